"""Day 23 · ChatGPT: the InstructGPT recipe (SFT on responses, a reward model, PPO with a KL penalty) and DPO."""
