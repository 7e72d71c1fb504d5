"""Speed of the clinical checks (consistency + guidelines) over all 3,331 IU X-ray pairs, with the ratio
against rouge-score's rougeL on the same pairs in the same run.

A benchmark, not a timed test: nothing asserts a time. With ``--benchmark-disable`` (the default
addopts) each timed function still runs and the figures are printed; ``nox -s perf`` runs it with
``--benchmark-enable``. Cold passes start from empty caches: ``clear_cache`` empties every cache in
rgro_bench.clinical (texts, sentences, observation states, per-text rule results) before the pass, outside
its timing; warm passes reuse them, as a trainer scoring many samples of the same findings does.

The figures are per CPU second of this process, so that other processes taking turns on a shared core do
not count, and every timed pass starts after a full garbage collection: a test session's heap is large,
and a collection owed by earlier work would otherwise land on whichever pass happens to trigger it. The
clinical and rouge passes alternate over several rounds and the medians are compared.
"""

from __future__ import annotations

import gc
import time
from statistics import median

import pytest

from rgro_bench.clinical import consistency, guideline_report
from rgro_bench.clinical.extractor import clear_cache

ROUNDS = 5


@pytest.fixture(scope="module")
def pairs() -> list[tuple[str, str]]:
    from rgro_bench.tasks import get_task

    return [(s.findings, s.impression or "") for s in get_task("iu-xray").all_studies()]


def _clinical(pairs: list[tuple[str, str]]) -> None:
    for findings, impression in pairs:
        consistency(findings, impression)
        guideline_report(findings, impression)


def _rouge(scorer, pairs: list[tuple[str, str]]) -> None:
    for findings, impression in pairs:
        scorer.score(findings, impression)


def _empty_caches() -> None:
    clear_cache()
    gc.collect()


def _timed(fn, *args) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one call, after a full collection."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return time.process_time() - cpu, time.perf_counter() - start


def test_clinical_speed_cold(benchmark, pairs):
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    benchmark.pedantic(_clinical, args=(pairs,), setup=_empty_caches, rounds=3, iterations=1)
    cold, warm, rouge = [], [], []
    for _ in range(ROUNDS):
        clear_cache()
        cold.append(_timed(_clinical, pairs))
        warm.append(_timed(_clinical, pairs))
        rouge.append(_timed(_rouge, scorer, pairs))
    n = len(pairs)
    # pairs per second, CPU then wall clock, from the median round of each
    (cold_cpu, cold_wall), (warm_cpu, warm_wall), (rouge_cpu, rouge_wall) = (
        (n / median(t[0] for t in times), n / median(t[1] for t in times)) for times in (cold, warm, rouge)
    )
    print(
        f"\nclinical consistency+guidelines over {n} IU pairs, per CPU second (median of {ROUNDS} rounds): "
        f"cold {cold_cpu:,.0f} pairs, warm {warm_cpu:,.0f} pairs; rouge-score rougeL {rouge_cpu:,.0f} pairs\n"
        f"ratio cold/rouge {cold_cpu / rouge_cpu:.2f}, warm/rouge {warm_cpu / rouge_cpu:.2f} "
        f"(wall clock: {cold_wall / rouge_wall:.2f}, {warm_wall / rouge_wall:.2f})"
    )
    benchmark.extra_info.update(
        {
            "pairs": n,
            "cold_pairs_per_cpu_s": cold_cpu,
            "warm_pairs_per_cpu_s": warm_cpu,
            "rouge_pairs_per_cpu_s": rouge_cpu,
            "ratio_cold": cold_cpu / rouge_cpu,
            "ratio_warm": warm_cpu / rouge_cpu,
            "ratio_cold_wall": cold_wall / rouge_wall,
            "ratio_warm_wall": warm_wall / rouge_wall,
        }
    )
    # the cache must not change answers: a cold and a warm pass agree
    clear_cache()
    cold_scores = [consistency(f, i).f1 for f, i in pairs[:200]]
    assert cold_scores == [consistency(f, i).f1 for f, i in pairs[:200]]


def test_clinical_speed_warm(benchmark, pairs):
    _clinical(pairs)  # fill the caches
    benchmark.pedantic(_clinical, args=(pairs,), rounds=5, iterations=1)
