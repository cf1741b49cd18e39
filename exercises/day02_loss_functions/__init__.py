"""Day 2 · 損失関数 · Loss functions: how wrong a prediction is, and which way to move it."""
