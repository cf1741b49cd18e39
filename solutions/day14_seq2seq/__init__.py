"""Day 14 · Seq2Seq · Sequence to sequence: an LSTM encoder–decoder, its loss, greedy and beam
search decoding, additive attention."""
