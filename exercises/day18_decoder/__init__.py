"""Day 18 · Transformer Decoder: causal masks, cross-attention, decoder blocks, the loss, a key/value cache."""
