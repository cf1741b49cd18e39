"""Day 22 · GPT-3: parameter counts, compute, few-shot prompts, choice scoring, banded attention."""
