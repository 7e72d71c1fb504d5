"""What the CPU pins (rgro_bench.reproducibility) cost in speed on this machine: the same short recipe
(SFT, GRPO, RGRO and the evaluation of the three) trained from scratch pinned and unpinned, in
alternating rounds so that a slow spell of a shared machine hits both, with each phase's seconds and
the pinned / unpinned ratio. Results go to ``--out``/pin_cost.json and are printed.

    python -m reference.pin_cost --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from rgro_bench.reproducibility import MARKER, OPT_OUT, PINNED_ENV, cpu_model

SHORT = ["--sft-epochs", "0.1", "--rl-steps", "6", "--eval-limit", "32", "--no-baselines", "--split", "validation"]
PHASES = ("sft", "grpo", "rgro", "evaluation")


def timed_run(pinned: bool, workdir: Path) -> dict[str, float]:
    """Seconds of each phase of one short recipe, trained from scratch in ``workdir``."""
    env = {k: v for k, v in os.environ.items() if k not in PINNED_ENV and k not in (MARKER, OPT_OUT)}
    if not pinned:
        env[OPT_OUT] = "1"
    out = workdir / "out"
    command = [sys.executable, "-m", "reference.recipe", "--out", str(out), "--cache", str(workdir / "cache"), *SHORT]
    subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    report = json.loads((out / "results.json").read_text())
    seconds = dict(report["train_seconds"])
    seconds["evaluation"] = report["wall_seconds"] - sum(report["train_seconds"].values())
    seconds["numerics"] = report["numerics"]
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="pinned/unpinned pairs to run")
    parser.add_argument("--out", type=Path, default=Path("runs/pin-cost"), help="folder for pin_cost.json")
    args = parser.parse_args(argv)
    runs: dict[str, list[dict]] = {"pinned": [], "unpinned": []}
    for round_ in range(args.rounds):
        for mode in ("unpinned", "pinned") if round_ % 2 else ("pinned", "unpinned"):
            with tempfile.TemporaryDirectory() as workdir:
                print(f"round {round_ + 1}/{args.rounds}: {mode} ...", flush=True)
                runs[mode].append(timed_run(mode == "pinned", Path(workdir)))
    summary = {}
    for phase in (*PHASES, "total"):

        def seconds(run: dict, phase: str = phase) -> float:
            return sum(run[p] for p in PHASES) if phase == "total" else run[phase]

        pinned = statistics.mean(seconds(r) for r in runs["pinned"])
        unpinned = statistics.mean(seconds(r) for r in runs["unpinned"])
        summary[phase] = {"pinned_s": pinned, "unpinned_s": unpinned, "ratio": pinned / unpinned}
    result = {
        "cpu": cpu_model(),
        "recipe_arguments": SHORT,
        "rounds": args.rounds,
        "numerics": {mode: runs[mode][0]["numerics"] for mode in runs},
        "phases": summary,
        "runs": runs,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "pin_cost.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"{result['cpu']}; unpinned kernels {result['numerics']['unpinned'].get('torch_capability')}")
    print(f"{'phase':<12}{'pinned s':>10}{'unpinned s':>12}{'ratio':>8}")
    for phase, row in summary.items():
        print(f"{phase:<12}{row['pinned_s']:>10.1f}{row['unpinned_s']:>12.1f}{row['ratio']:>8.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
