"""Speed of the clinical checks (consistency + guidelines) over all 3,331 IU X-ray pairs, with the ratio
against rouge-score's rougeL on the same pairs in the same run.

A benchmark, not a timed test: nothing asserts a time. With ``--benchmark-disable`` (the default
addopts) each timed function still runs once and the figures are printed; ``nox -s perf`` runs it with
``--benchmark-enable``. Cold figures clear every cache first (texts, sentences, clause attributes,
observation states), so the cold pass includes filling them; warm figures reuse them, as a trainer
scoring many samples of the same findings does.
"""

from __future__ import annotations

import time

import pytest

from rgro_bench.clinical import consistency, guideline_report
from rgro_bench.clinical.extractor import clear_cache


@pytest.fixture(scope="module")
def pairs() -> list[tuple[str, str]]:
    from rgro_bench.tasks import get_task

    return [(s.findings, s.impression or "") for s in get_task("iu-xray").all_studies()]


def _clinical(pairs: list[tuple[str, str]]) -> None:
    for findings, impression in pairs:
        consistency(findings, impression)
        guideline_report(findings, impression)


def _clinical_cold(pairs: list[tuple[str, str]]) -> None:
    clear_cache()
    _clinical(pairs)


def _rouge(scorer, pairs: list[tuple[str, str]]) -> None:
    for findings, impression in pairs:
        scorer.score(findings, impression)


def _rate(fn, *args) -> tuple[float, float]:
    """Pairs per wall-clock second and per CPU second of this process: on a shared machine the second
    tells the code's own speed when other processes take turns on the core."""
    start, cpu = time.perf_counter(), time.process_time()
    fn(*args)
    return len(args[-1]) / (time.perf_counter() - start), len(args[-1]) / (time.process_time() - cpu)


def test_clinical_speed_cold(benchmark, pairs):
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    benchmark.pedantic(_clinical_cold, args=(pairs,), rounds=3, iterations=1)
    (cold, cold_cpu), (warm, warm_cpu), (rouge, rouge_cpu) = (
        _rate(_clinical_cold, pairs),
        _rate(_clinical, pairs),
        _rate(_rouge, scorer, pairs),
    )
    print(
        f"\nclinical consistency+guidelines over {len(pairs)} IU pairs: cold {cold:,.0f} pairs/s, warm {warm:,.0f} "
        f"pairs/s; rouge-score rougeL {rouge:,.0f} pairs/s; ratio cold/rouge {cold / rouge:.2f}, "
        f"warm/rouge {warm / rouge:.2f}\nper CPU second: cold {cold_cpu:,.0f}, warm {warm_cpu:,.0f}, "
        f"rouge {rouge_cpu:,.0f} pairs"
    )
    benchmark.extra_info.update(
        {
            "pairs": len(pairs),
            "cold_pairs_per_s": cold,
            "warm_pairs_per_s": warm,
            "rouge_pairs_per_s": rouge,
            "ratio_cold": cold / rouge,
            "ratio_warm": warm / rouge,
            "cold_pairs_per_cpu_s": cold_cpu,
            "warm_pairs_per_cpu_s": warm_cpu,
            "rouge_pairs_per_cpu_s": rouge_cpu,
        }
    )
    # the cache must not change answers: a cold and a warm pass agree
    clear_cache()
    cold_scores = [consistency(f, i).f1 for f, i in pairs[:200]]
    assert cold_scores == [consistency(f, i).f1 for f, i in pairs[:200]]


def test_clinical_speed_warm(benchmark, pairs):
    _clinical(pairs)  # fill the caches
    benchmark.pedantic(_clinical, args=(pairs,), rounds=5, iterations=1)
