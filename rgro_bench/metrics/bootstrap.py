"""Bootstrap confidence intervals and paired significance tests on cached per-sample scores."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DEFAULT_RESAMPLES = 1000
DEFAULT_CONFIDENCE = 0.95


def resample_indices(n: int, resamples: int, seed: int) -> np.ndarray:
    """(resamples, n) indices drawn with replacement; the same seed gives the same draws."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def nanmean_rows(values: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Mean over applicable (non-NaN) samples of each bootstrap replicate, vectorised."""
    drawn = values[indices]
    mask = ~np.isnan(drawn)
    counts = mask.sum(axis=1)
    sums = np.where(mask, drawn, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float


def bootstrap_interval(
    statistic: Callable[[np.ndarray], float] | None,
    values: np.ndarray | None,
    n: int,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    seed: int = 0,
) -> Interval:
    """Percentile interval of a statistic. Give ``values`` for a mean (vectorised fast path) or
    ``statistic`` (a function of an index array) for anything else."""
    everything = np.arange(n)
    indices = resample_indices(n, resamples, seed)
    if statistic is None:
        assert values is not None
        point = nanmean_rows(values, everything[None, :])[0]
        replicates = nanmean_rows(values, indices)
    else:
        point = statistic(everything)
        replicates = np.array([statistic(row) for row in indices])
    replicates = replicates[~np.isnan(replicates)]
    if n == 0 or replicates.size == 0:
        return Interval(float(point) if n else float("nan"), float("nan"), float("nan"))
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(replicates, [alpha, 1.0 - alpha])
    return Interval(float(point), float(low), float(high))


@dataclass(frozen=True)
class PairedTest:
    difference: float  # mean(a) - mean(b) over samples where both apply
    p_value: float  # two-sided
    n: int


def paired_bootstrap(a: np.ndarray, b: np.ndarray, *, resamples: int = 10000, seed: int = 0) -> PairedTest:
    """Two-sided paired bootstrap test of mean(a) == mean(b) on aligned per-sample scores.

    The differences are centred on zero (the null hypothesis) and resampled; the p-value is the share
    of replicates at least as extreme as the observed difference (Efron & Tibshirani 1993, §16.4)."""
    keep = ~(np.isnan(a) | np.isnan(b))
    diff = (a - b)[keep]
    n = int(diff.size)
    if n == 0:
        return PairedTest(float("nan"), float("nan"), 0)
    observed = float(diff.mean())
    centred = diff - observed
    means = centred[resample_indices(n, resamples, seed)].mean(axis=1)
    p = (np.sum(np.abs(means) >= abs(observed) - 1e-12) + 1) / (resamples + 1)
    return PairedTest(observed, float(min(1.0, p)), n)


def paired_statistic_bootstrap(
    statistic_a: Callable[[np.ndarray], float],
    statistic_b: Callable[[np.ndarray], float],
    n: int,
    *,
    resamples: int = 10000,
    seed: int = 0,
) -> PairedTest:
    """Two-sided paired bootstrap test of a corpus statistic (micro-F1 over summed counts, say), where a
    mean of per-sample values would answer another question. Both statistics are functions of an index
    array over the same aligned samples; each replicate draws one index set for both. The p-value is the
    share of replicates whose difference, centred on the observed one, is at least as extreme as it."""
    if n == 0:
        return PairedTest(float("nan"), float("nan"), 0)
    everything = np.arange(n)
    observed = statistic_a(everything) - statistic_b(everything)
    replicates = np.array([statistic_a(row) - statistic_b(row) for row in resample_indices(n, resamples, seed)])
    replicates = replicates[~np.isnan(replicates)]
    if np.isnan(observed) or replicates.size == 0:
        return PairedTest(float("nan"), float("nan"), 0)
    extreme = np.sum(np.abs(replicates - observed) >= abs(observed) - 1e-12)
    return PairedTest(float(observed), float(min(1.0, (extreme + 1) / (replicates.size + 1))), n)
