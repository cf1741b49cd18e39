"""Day 5 · 評価指標 · Evaluation metrics."""
