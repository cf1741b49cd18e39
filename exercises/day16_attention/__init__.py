"""Day 16 · Attention: masked softmax, scaled dot-product and multi-head attention, and attention by tiles."""
