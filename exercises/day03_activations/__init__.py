"""Day 3 · 活性化関数 · Activation functions."""
