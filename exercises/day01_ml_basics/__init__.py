"""Day 1 · そもそも機械学習ってなんなの? · What is machine learning: fit a line to data."""
