"""Day 7 · トークナイザー · Tokenizers: byte-level BPE (train, encode, decode) and WordPiece."""
