"""What BERTScore with the default packaged model costs: pairs per second and seconds per 1,000 pairs.

A benchmark, not a timed test: nothing asserts a time. The pairs are realistic ones: the lead-2 baseline's
prediction (the first two findings sentences) against the reference impression, for the first 1,000 IU
X-ray studies. Loading the model (and checking its weights) is timed apart, once, since a run pays it once.
"""

from __future__ import annotations

import time

import pytest

from rgro_bench.metrics import Sample, get_metric
from rgro_bench.metrics.bertscore import LAYERS_ENV, MODEL_ENV

PAIRS = 1000


@pytest.fixture(scope="module")
def samples() -> list[Sample]:
    from rgro_bench.clinical.sentences import punctuation_sentences
    from rgro_bench.tasks import get_task

    studies = [s for s in get_task("iu-xray").all_studies() if s.impression][:PAIRS]
    return [Sample(s.id, s.findings, " ".join(punctuation_sentences(s.findings)[:2]), s.impression) for s in studies]


def test_bertscore_speed(benchmark, samples, monkeypatch):
    pytest.importorskip("bert_score")
    monkeypatch.delenv(MODEL_ENV, raising=False)
    monkeypatch.delenv(LAYERS_ENV, raising=False)
    metric = get_metric("bertscore")
    start = time.perf_counter()
    metric.compute(samples[:1])  # loads the model and checks its weights
    load = time.perf_counter() - start
    scorer = metric._scorer()

    def cold() -> object:  # every reference encoded again: the cost of a task's first entry
        scorer.references.clear()
        return metric.compute(samples)

    benchmark.pedantic(cold, rounds=1, iterations=1)
    start, cpu = time.perf_counter(), time.process_time()
    out = cold()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"\nBERTScore ({metric.version}) over {len(samples)} IU pairs: {len(samples) / wall:,.1f} pairs/s, "
        f"{1000 * wall / len(samples):.1f} s per 1,000 pairs ({1000 * cpu / len(samples):.1f} CPU s); "
        f"model load and weights check {load:.1f} s, once per process"
    )
    benchmark.extra_info.update(
        {
            "pairs": len(samples),
            "pairs_per_s": len(samples) / wall,
            "s_per_1000_pairs": 1000 * wall / len(samples),
            "cpu_s_per_1000_pairs": 1000 * cpu / len(samples),
            "load_s": load,
        }
    )
    assert out.unavailable is None and len(out.columns["bertscore_f1"]) == len(samples)
