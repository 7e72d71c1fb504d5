"""RGRO's own parts as small pure functions: stages, stage and episode rewards, per-token advantages,
expert feedback and external tools. The trainer (reference.rgro_trainer) only wires them into TRL."""
