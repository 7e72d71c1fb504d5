"""Throughput accounting for the trainers: rollout, reward and update time per logged step, tokens/s
and a model-FLOPs-utilisation estimate, written as JSONL (TensorBoard gets the same numbers through
``report_to``) and plotted to PNG with the reward curves."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def mfu(n_params: int, tokens: int, seconds: float, peak_flops: float) -> float:
    """Model FLOPs utilisation: 6·N·tokens (forward + backward) over seconds × peak FLOP/s."""
    if seconds <= 0 or peak_flops <= 0:
        return float("nan")
    return 6.0 * n_params * tokens / (seconds * peak_flops)


class StepClock:
    """Wall time split into named phases between two reads; what no phase claims is "update"."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.started = time.perf_counter()
        self.phases: dict[str, float] = {}
        self.tokens = 0

    def add(self, phase: str, seconds: float) -> None:
        self.phases[phase] = self.phases.get(phase, 0.0) + seconds

    def read(self, n_params: int, peak_flops: float) -> dict[str, float]:
        wall = time.perf_counter() - self.started
        out = {f"time/{k}_s": v for k, v in self.phases.items()}
        out["time/update_s"] = max(0.0, wall - sum(self.phases.values()))
        out["time/step_s"] = wall
        for k, v in self.phases.items():
            out[f"time/{k}_share"] = v / wall if wall > 0 else float("nan")
        out["throughput/tokens"] = float(self.tokens)
        out["throughput/tokens_per_s"] = self.tokens / wall if wall > 0 else float("nan")
        out["throughput/mfu"] = mfu(n_params, self.tokens, wall, peak_flops)
        self.reset()
        return out


def timed(clock_attr: str, phase: str):
    """Decorator for a trainer method: its wall time counts to ``phase`` of ``self.<clock_attr>``."""

    def wrap(method):
        def inner(self, *args, **kwargs):
            t0 = time.perf_counter()
            try:
                return method(self, *args, **kwargs)
            finally:
                getattr(self, clock_attr).add(phase, time.perf_counter() - t0)

        inner.__name__ = method.__name__
        return inner

    return wrap


def jsonl_callback(path: Path, all_ranks: bool = False):
    """A transformers TrainerCallback appending every log as one JSON line: the main process writes
    ``path``; with ``all_ranks`` every other process writes ``<stem>.rank<N>.jsonl`` beside it."""
    from transformers import TrainerCallback

    class JsonlLog(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if not logs or not (state.is_world_process_zero or all_ranks):
                return
            target = path if state.is_world_process_zero else path.with_suffix(f".rank{args.process_index}.jsonl")
            target.parent.mkdir(parents=True, exist_ok=True)
            row = {"step": state.global_step, "epoch": state.epoch, **logs}
            with target.open("a") as handle:
                handle.write(json.dumps(row, default=float) + "\n")

    return JsonlLog()


def read_log(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def plot_log(path: Path, out: Path, title: str = "") -> Path:
    """Reward curves (total and per component) and throughput (tokens/s, time split) of one run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_log(path)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    series = sorted({k for r in rows for k in r if k == "reward" or (k.startswith("rewards/") and k.endswith("/mean"))})
    for key in series or ["loss"]:
        points = [(r["step"], r[key]) for r in rows if key in r]
        if points:
            left.plot(*zip(*points, strict=True), label=key.removeprefix("rewards/").removesuffix("/mean"))
    left.set_xlabel("step")
    left.set_ylabel("reward" if series else "loss")
    left.legend(fontsize=7)
    for key in ("time/rollout_s", "time/reward_s", "time/update_s"):
        points = [(r["step"], r[key]) for r in rows if key in r]
        if points:
            right.plot(*zip(*points, strict=True), label=key)
    right.set_xlabel("step")
    right.set_ylabel("seconds per logged step")
    twin = right.twinx()
    points = [(r["step"], r["throughput/tokens_per_s"]) for r in rows if "throughput/tokens_per_s" in r]
    if points:
        twin.plot(*zip(*points, strict=True), color="black", linestyle="--", label="tokens/s")
        twin.set_ylabel("tokens/s")
    if right.get_legend_handles_labels()[0]:
        right.legend(fontsize=7, loc="upper left")
    fig.suptitle(title)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
