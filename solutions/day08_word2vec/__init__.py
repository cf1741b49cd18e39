"""Day 8 · 単語を埋め込む · Word embeddings (word2vec): skip-gram with negative sampling, trained by SGD."""
