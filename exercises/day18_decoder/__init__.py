"""Day 18 · Transformer Decoder: causal masks, cross-attention, decoder blocks, a key/value cache."""
