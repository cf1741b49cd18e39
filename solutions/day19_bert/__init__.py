"""Day 19 · BERT: embeddings, [CLS]/[SEP] packing, masked-LM corruption and loss, the [CLS] head."""
