"""RGRO's cost over GRPO on the same batches: both trainers start from the same checkpoint, seed and data
with a learning rate of 0, so the policy never moves and every step's rollouts are identical in the
two runs (with a real learning rate they diverge after the first update and the ratio measures the
lengths the two policies choose, not RGRO's cost). The update still runs in full (backward pass,
optimizer step, KL to the reference model). Prints the mean step time of RGRO over GRPO's (target
≤ 1.05) and the reward share of a step.

    python -m reference.step_ratio --model runs/tiny-recipe/<hash>/sft --steps 4
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path


def mean_of(log: Path, key: str, skip_first: bool = True) -> float:
    from reference.throughput import read_log

    values = [r[key] for r in read_log(log) if key in r]
    values = values[1:] if skip_first and len(values) > 1 else values  # the first step warms caches
    return statistics.fmean(values)


def measure(model: str, steps: int, limit: int) -> dict[str, float]:
    from trl import GRPOConfig

    from reference.config_files import CONFIG_DIR, parse_config
    from reference.grpo_config import RewardArguments
    from reference.grpo_trainer import train_grpo
    from reference.rgro_config import RgroConfig
    from reference.rgro_trainer import train_rgro
    from reference.sft_config import ScriptArguments

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, train, config_type in (("grpo", train_grpo, GRPOConfig), ("rgro", train_rgro, RgroConfig)):
            overrides = {
                "model": model,
                "output_dir": f"{tmp}/{name}",
                "max_steps": steps,
                "learning_rate": 0.0,  # identical rollouts in both runs at every step
                "logging_steps": 1,
                "save_strategy": "no",
                "limit": limit,
                "report_to": [],
            }
            train(
                *parse_config(
                    CONFIG_DIR / f"tiny-cpu-{name}.yaml", (ScriptArguments, RewardArguments, config_type), overrides
                )
            )
            log = Path(tmp) / name / "log.jsonl"
            out[f"{name}_step_s"] = mean_of(log, "time/step_s")
            out[f"{name}_reward_share"] = mean_of(log, "time/reward_share")
    out["ratio"] = out["rgro_step_s"] / out["grpo_step_s"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="SFT checkpoint both trainers start from")
    parser.add_argument("--steps", type=int, default=4, help="steps per trainer (the first is not counted)")
    parser.add_argument("--limit", type=int, default=256, help="training studies to draw batches from")
    args = parser.parse_args(argv)
    m = measure(args.model, args.steps, args.limit)
    print(
        f"GRPO step {m['grpo_step_s']:.2f} s (reward share {m['grpo_reward_share']:.1%}); "
        f"RGRO step {m['rgro_step_s']:.2f} s (reward share {m['rgro_reward_share']:.1%})"
    )
    print(f"RGRO/GRPO step-time ratio: {m['ratio']:.3f} (target ≤ 1.05)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
