"""Day 24 · GPT-4: predictable scaling, calibration, images as tokens, mixture of experts."""
