"""Day 12 · 文章で類似度 · Sentence similarity: sentences as vectors, compared and retrieved."""
