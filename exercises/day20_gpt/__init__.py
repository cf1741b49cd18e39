"""Day 20 · GPT: a decoder-only Transformer trained to predict the next token, from init to AdamW."""
