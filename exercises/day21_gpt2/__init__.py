"""Day 21 · GPT-2: pre-LN blocks, a final layer norm, tied embeddings, and text generation."""
