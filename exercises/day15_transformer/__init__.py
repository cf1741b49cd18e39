"""Day 15 · Transformer · The Transformer: positions, embeddings, layer norm, feed-forward, dropout."""
