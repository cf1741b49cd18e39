"""Day 6 · 自然言語処理ってなに? · What is NLP: text in, numbers out."""
