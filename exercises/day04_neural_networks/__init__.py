"""Day 4 · ニューラルネットワーク · Neural networks: dense layers, an MLP and its training loop."""
