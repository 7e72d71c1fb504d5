"""A run's human-readable summary: one line per metric column with its interval (the CLI and the
benchmark print it; results.json holds the same numbers)."""

from __future__ import annotations

from pathlib import Path

from rgro_bench.results.schema import RunResult


def format_metric(name: str, result: RunResult) -> str:
    m = result.metrics[name]
    if m.value is None:
        return f"{name}: unavailable ({m.unavailable})" if m.unavailable else f"{name}: n/a"
    scale = 100.0 if m.percent else 1.0
    return f"{name} {m.value * scale:.2f} [{m.ci_low * scale:.2f}, {m.ci_high * scale:.2f}]"


def print_summary(result: RunResult, path: Path | None) -> None:
    print(
        f"{result.model.spec} on {result.task.id}/{result.task.split} (n={result.task.n_samples}, "
        f"task v{result.task.version}, data {result.task.data_hash[:12]})"
    )
    for name in result.metrics:
        print("  " + format_metric(name, result))
    if path is not None:
        print(f"  results: {path}")
