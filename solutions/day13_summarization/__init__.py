"""Day 13 · 要約処理 · Summarisation: pick the sentences that say the most, and score the pick."""
