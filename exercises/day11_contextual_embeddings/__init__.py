"""Day 11 · 文脈を考慮して単語を埋め込む · Contextual embeddings (ELMo): a bidirectional LSTM
over padded batches and the ELMo scalar mix."""
