"""Throughput accounting for the trainers: rollout, reward and train (update) time per logged step,
generated tokens/s, the reward share of a step and a model-FLOPs-utilisation estimate where the device's
peak is known. Every run writes them to ``log.jsonl`` (with everything else TRL logs; TensorBoard gets the
same numbers through ``report_to``), to ``throughput.jsonl`` (only these, one line per logged step), to
``throughput_summary.json`` at the end (plus one human-readable line on stdout) and to
``throughput.png`` (step time split by phase), all beside the trainer's logs."""

from __future__ import annotations

import json
import math
import statistics
import time
from pathlib import Path
from typing import Any

#: Dense (no sparsity) bf16 tensor-core peak of one device, FLOP/s, from the vendors' datasheets; matched
#: in order against ``torch.cuda.get_device_name()`` (so "GH200" before "H200", "H100 PCIe" before "H100").
#: The MFU it gives assumes a bf16 run (the GPU recipes' ``bf16: true``); set ``peak_flops`` otherwise.
PEAK_FLOPS: tuple[tuple[str, float, str], ...] = (
    ("GH200", 989e12, "NVIDIA GH200 datasheet: H100-class, 989 TFLOP/s dense BF16"),
    ("H200", 989e12, "NVIDIA H200 datasheet (SXM): 989 TFLOP/s dense BF16 (1,979 with sparsity)"),
    ("H100 PCIe", 756e12, "NVIDIA H100 datasheet (PCIe): 756 TFLOP/s dense BF16"),
    ("H100 NVL", 835e12, "NVIDIA H100 datasheet (NVL): 835 TFLOP/s dense BF16"),
    ("H100", 989e12, "NVIDIA H100 datasheet (SXM, 'H100 80GB HBM3'): 989 TFLOP/s dense BF16"),
    ("B200", 2250e12, "NVIDIA DGX B200 datasheet: 2.25 PFLOP/s dense BF16 per GPU"),
    ("A100", 312e12, "NVIDIA A100 datasheet: 312 TFLOP/s dense BF16"),
    ("L40S", 362e12, "NVIDIA L40S datasheet: 362 TFLOP/s dense BF16"),
    ("L4", 121e12, "NVIDIA L4 datasheet: 121 TFLOP/s dense BF16"),
    ("A10G", 70e12, "AWS G5 (A10G): 70 TFLOP/s dense BF16 (NVIDIA figure for the A10G variant)"),
    ("A10", 125e12, "NVIDIA A10 datasheet: 125 TFLOP/s dense BF16"),
)


def device_name() -> str:
    """The first CUDA device's name, or "cpu"."""
    import torch

    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"


def peak_for(device: str) -> tuple[float | None, str]:
    """(peak FLOP/s, source) of a device name from :data:`PEAK_FLOPS`; (None, why) when it is not listed."""
    for key, peak, source in PEAK_FLOPS:
        if key.lower() in device.lower():
            return peak, source
    return None, f"unknown peak for {device!r} (set peak_flops in the recipe)"


def resolve_peak(configured: float | None, device: str | None = None) -> tuple[float | None, str]:
    """The peak the MFU is computed against: the recipe's ``peak_flops`` when set, else the table's."""
    if configured:
        return float(configured), "recipe field peak_flops"
    return peak_for(device or device_name())


def mfu(n_params: int, tokens: int, seconds: float, peak_flops: float | None) -> float:
    """Model FLOPs utilisation: 6·N·tokens (forward + backward) over seconds × peak FLOP/s; NaN when the
    peak is unknown."""
    if seconds <= 0 or not peak_flops or peak_flops <= 0:
        return float("nan")
    return 6.0 * n_params * tokens / (seconds * peak_flops)


class StepClock:
    """Wall time split into named phases between two reads; what no phase claims is "update" (the train
    phase: loss, backward, optimizer step). ``nested`` phases (weight sync, inside the rollout) are
    reported but not subtracted."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.started = time.perf_counter()
        self.phases: dict[str, float] = {}
        self.nested: dict[str, float] = {}
        self.tokens = 0
        self.generated = 0

    def add(self, phase: str, seconds: float, nested: bool = False) -> None:
        target = self.nested if nested else self.phases
        target[phase] = target.get(phase, 0.0) + seconds

    def read(self, n_params: int, peak_flops: float | None) -> dict[str, float]:
        wall = time.perf_counter() - self.started
        out = {f"time/{k}_s": v for k, v in {**self.phases, **self.nested}.items()}
        out["time/update_s"] = max(0.0, wall - sum(self.phases.values()))
        out["time/step_s"] = wall
        for k, v in self.phases.items():
            out[f"time/{k}_share"] = v / wall if wall > 0 else float("nan")
        out["throughput/tokens"] = float(self.tokens)
        out["throughput/tokens_per_s"] = self.tokens / wall if wall > 0 else float("nan")
        out["throughput/generated_tokens"] = float(self.generated)
        rollout = self.phases.get("rollout", 0.0)
        if rollout > 0:
            out["throughput/generated_tokens_per_s"] = self.generated / rollout
        if peak_flops:
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


def timed_call(clock: StepClock, phase: str, function, nested: bool = True):
    """``function`` whose wall time counts to ``phase`` of ``clock`` (nested: inside another phase)."""

    def inner(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            clock.add(phase, time.perf_counter() - t0, nested=nested)

    return inner


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


def save_figure(fig, out: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


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
    return save_figure(fig, out)


#: the keys of a log row that go to throughput.jsonl
THROUGHPUT_PREFIXES = ("time/", "throughput/")
#: phases of a step in the order they happen (update = the train phase)
PHASES = ("rollout", "reward", "update")


def throughput_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"step": r["step"], **{k: v for k, v in r.items() if k.startswith(THROUGHPUT_PREFIXES)}}
        for r in rows
        if "time/step_s" in r
    ]


def _mean(values: list[float]) -> float | None:
    values = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return statistics.fmean(values) if values else None


def _ratio(rows: list[dict[str, Any]], numerator: str, denominator: str) -> float | None:
    pairs = [(r[numerator], r[denominator]) for r in rows if numerator in r and denominator in r]
    total = sum(d for _, d in pairs)
    return sum(n for n, _ in pairs) / total if pairs and total > 0 else None


def summarise(rows: list[dict[str, Any]], **context: Any) -> dict[str, Any]:
    """Over the logged steps after the first (which builds caches and compiles; all steps when only one
    was logged): mean time of each phase and its share of the step, tokens/s (all tokens over all step
    time), generated tokens/s (completion tokens over rollout time) and MFU (step-time weighted)."""
    rows = throughput_rows(rows)
    counted = rows[1:] if len(rows) > 1 else rows
    out: dict[str, Any] = {"logged_steps": len(rows), "steps_averaged": len(counted), **context}
    step = _mean([r.get("time/step_s") for r in counted])
    out["step_s"] = step
    for phase in PHASES:
        seconds = _mean([r.get(f"time/{phase}_s", 0.0) for r in counted])
        out[f"{phase}_s"] = seconds
        out[f"{phase}_share"] = seconds / step if seconds is not None and step else None
    # medians resist the odd step slowed by something else on a shared machine
    for key in ("step", *PHASES):
        values = [r.get(f"time/{key}_s", 0.0) for r in counted]
        out[f"{key}_s_median"] = statistics.median(values) if values else None
    rates = [r["throughput/generated_tokens_per_s"] for r in counted if "throughput/generated_tokens_per_s" in r]
    out["generated_tokens_per_s_median"] = statistics.median(rates) if rates else None
    out["weight_sync_s"] = _mean([r["time/weight_sync_s"] for r in counted if "time/weight_sync_s" in r])
    out["tokens_per_s"] = _ratio(counted, "throughput/tokens", "time/step_s")
    out["generated_tokens_per_s"] = _ratio(counted, "throughput/generated_tokens", "time/rollout_s")
    weighted = [{"flops": r["throughput/mfu"] * r["time/step_s"], **r} for r in counted if "throughput/mfu" in r]
    out["mfu"] = _ratio(weighted, "flops", "time/step_s")
    return out


def summary_line(summary: dict[str, Any]) -> str:
    """One human-readable line of :func:`summarise`'s output."""

    def num(key: str, fmt: str) -> str:
        value = summary.get(key)
        return "n/a" if value is None else format(value, fmt)

    return (
        f"throughput ({summary.get('trainer', 'trainer')}, {summary.get('device', '?')}, "
        f"{summary['steps_averaged']} steps): step {num('step_s', '.3f')} s = rollout {num('rollout_s', '.3f')} "
        f"({num('rollout_share', '.1%')}) + reward {num('reward_s', '.3f')} ({num('reward_share', '.1%')}) + "
        f"train {num('update_s', '.3f')} ({num('update_share', '.1%')}); {num('generated_tokens_per_s', '.1f')} "
        f"generated tokens/s, {num('tokens_per_s', '.1f')} tokens/s, MFU {num('mfu', '.2%')}"
    )


def plot_phases(rows: list[dict[str, Any]], out: Path, title: str = "") -> Path:
    """Stacked bars: each logged step's time split into rollout, reward and train (update)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = throughput_rows(rows)
    fig, ax = plt.subplots(figsize=(8, 4))
    steps = [r["step"] for r in rows]
    bottom = [0.0] * len(rows)
    for phase, colour in zip(PHASES, ("tab:blue", "tab:orange", "tab:green"), strict=True):
        heights = [r.get(f"time/{phase}_s", 0.0) for r in rows]
        ax.bar(steps, heights, bottom=bottom, color=colour, label="train (update)" if phase == "update" else phase)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.set_xlabel("step")
    ax.set_ylabel("seconds per logged step")
    ax.legend(fontsize=8)
    ax.set_title(title)
    return save_figure(fig, out)


def throughput_callback(out_dir: Path, trainer_name: str, clock: StepClock | None = None, **context: Any):
    """A TrainerCallback that restarts ``clock`` when training begins (so model and vLLM engine building
    do not count to the first step), appends each logged step's time/ and throughput/ keys to
    ``out_dir/throughput.jsonl``, and at the end writes ``throughput_summary.json`` and
    ``throughput.png`` and prints :func:`summary_line` (main process only)."""
    from transformers import TrainerCallback

    class ThroughputLog(TrainerCallback):
        def __init__(self) -> None:
            self.rows: list[dict[str, Any]] = []

        def on_train_begin(self, args, state, control, **kwargs):
            if clock is not None:
                clock.reset()

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not logs or "time/step_s" not in logs or not state.is_world_process_zero:
                return
            (row,) = throughput_rows([{"step": state.global_step, **logs}])
            self.rows.append(row)
            out_dir.mkdir(parents=True, exist_ok=True)
            with (out_dir / "throughput.jsonl").open("a") as handle:
                handle.write(json.dumps(row, default=float) + "\n")

        def on_train_end(self, args, state, control, **kwargs):
            if not state.is_world_process_zero or not self.rows:
                return
            summary = summarise(self.rows, trainer=trainer_name, world_size=args.world_size, **context)
            summary["line"] = summary_line(summary)
            (out_dir / "throughput_summary.json").write_text(json.dumps(summary, indent=2, default=float) + "\n")
            plot_phases(self.rows, out_dir / "throughput.png", title=f"{trainer_name}: step time by phase")
            print(summary["line"], flush=True)

    return ThroughputLog()


def sft_clock_callback(n_params: int, peak_flops: float | None):
    """For trainers without rollouts (SFT): adds the step clock's keys to each training log (the whole
    step is the train phase; tokens from TRL's cumulative ``num_tokens``, all processes together, divided
    by the world size). Goes before the callbacks that write the logs."""
    from transformers import TrainerCallback

    clock = StepClock()

    class SftClock(TrainerCallback):
        seen = 0.0

        def on_train_begin(self, args, state, control, **kwargs):
            clock.reset()

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not logs or "loss" not in logs:
                return
            total = float(logs.get("num_tokens", self.seen))
            clock.tokens = int((total - self.seen) / max(1, args.world_size))
            self.seen = total
            logs.update(clock.read(n_params, peak_flops))

    return SftClock()
