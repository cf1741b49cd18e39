"""Day 9 · RNN: the recurrence step by step, backpropagation through time, clipping, vanishing gradients."""
