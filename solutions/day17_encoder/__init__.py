"""Day 17 · Transformer Encoder: padding masks, encoder blocks (post-LN and pre-LN), the stack, the backward pass."""
