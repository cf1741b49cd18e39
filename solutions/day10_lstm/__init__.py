"""Day 10 · LSTM: the gates, one step forward and backward, and a fast kernel for whole sequences."""
