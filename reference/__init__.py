"""Reference trainers for rgro-bench: a tiny CPU recipe, SFT, GRPO and RGRO."""
