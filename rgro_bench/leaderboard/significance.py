"""Significance groups from paired tests on cached per-sample scores of the primary metric.

Group 1 is the leader and every entry not significantly different from it; the best entry left then
leads group 2, and so on. Within each round the p-values of the tests against that round's leader are
Holm-corrected (family-wise error at ``alpha``). The test is the paired bootstrap of the per-sample mean
(``rgro_bench.metrics.bootstrap.paired_bootstrap``), so it assumes the primary metric is a mean of
per-sample scores, as ROUGE is."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rgro_bench.metrics.bootstrap import paired_bootstrap

ALPHA = 0.05
RESAMPLES = 10_000


@dataclass(frozen=True)
class Verdict:
    group: int
    leader: str  # the entry this one was tested against
    difference: float | None  # leader minus this entry, on the primary metric
    p_holm: float | None


def holm(p_values: list[float]) -> list[float]:
    """Holm step-down adjusted p-values, in the input order."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def significance_groups(
    scores: dict[str, np.ndarray],
    higher_is_better: bool = True,
    *,
    alpha: float = ALPHA,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> dict[str, Verdict]:
    """Assign groups to entries given their per-sample scores, aligned on the same samples."""
    sign = 1.0 if higher_is_better else -1.0
    remaining = sorted(scores, key=lambda k: (-sign * float(np.nanmean(scores[k])), k))
    verdicts: dict[str, Verdict] = {}
    group = 0
    while remaining:
        group += 1
        leader, rest = remaining[0], remaining[1:]
        verdicts[leader] = Verdict(group, leader, 0.0, None)
        tests = [paired_bootstrap(scores[leader], scores[k], resamples=resamples, seed=seed) for k in rest]
        adjusted = holm([t.p_value for t in tests])
        left = []
        for key, test, p in zip(rest, tests, adjusted, strict=True):
            if p >= alpha:
                verdicts[key] = Verdict(group, leader, sign * test.difference, p)
            else:
                left.append(key)
        remaining = left
    return verdicts
