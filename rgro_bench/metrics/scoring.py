"""Score a list of samples with named metrics: per-sample table, aggregates with intervals."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rgro_bench.metrics.base import Metric, MetricOutput, Sample, get_metric
from rgro_bench.metrics.bootstrap import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, bootstrap_interval
from rgro_bench.results.schema import MetricValue


def _finite(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


@dataclass
class ScoredRun:
    samples: list[Sample]
    per_sample: pd.DataFrame  # index: sample id; one column per metric column
    aggregates: dict[str, MetricValue]
    explanations: dict[str, list[Any]] = field(default_factory=dict)  # metric name -> per-sample
    #: the bootstrap settings of the intervals, so a consumer can tell whether it would compute the same
    seed: int = 0
    resamples: int = DEFAULT_RESAMPLES
    confidence: float = DEFAULT_CONFIDENCE


def task_samples(task: Any, studies: Sequence[Any], predictions: Sequence[str]) -> list[Sample]:
    """Samples of ``studies`` (of ``task``) with their predictions, each carrying its study's human labels
    where the task has any (``rgro_bench.metrics.labels.task_labels``: its own MeSH column, or that of a
    task it overlaps), so label metrics can score them. Every path that scores a task's studies should
    build its samples here."""
    from rgro_bench.metrics.labels import task_labels

    labels = task_labels(task)
    return [
        Sample(s.id, s.findings, p, s.impression, labels.get(s.id)) for s, p in zip(studies, predictions, strict=True)
    ]


def score_samples(
    samples: Sequence[Sample],
    metrics: Sequence[str | Metric],
    *,
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
    metric_options: dict[str, dict[str, Any]] | None = None,
) -> ScoredRun:
    samples = list(samples)
    n = len(samples)
    columns: dict[str, np.ndarray] = {}
    aggregates: dict[str, MetricValue] = {}
    explanations: dict[str, list[Any]] = {}
    for entry in metrics:
        metric = entry if isinstance(entry, Metric) else get_metric(entry, **(metric_options or {}).get(entry, {}))
        output: MetricOutput = metric.compute(samples)
        if output.explanations is not None:
            explanations[metric.name] = output.explanations
        for column, higher in metric.columns.items():
            values = np.asarray(output.columns[column], dtype=float)
            columns[column] = values
            applicable = int((~np.isnan(values)).sum())
            if output.unavailable:
                interval = None
            elif column in output.aggregators:
                interval = bootstrap_interval(
                    lambda idx, c=column, o=output: o.aggregate(c, idx),
                    None,
                    n,
                    resamples=resamples,
                    confidence=confidence,
                    seed=seed,
                )
            else:
                interval = bootstrap_interval(None, values, n, resamples=resamples, confidence=confidence, seed=seed)
            aggregates[column] = MetricValue(
                value=_finite(interval.value) if interval else None,
                ci_low=_finite(interval.low) if interval else None,
                ci_high=_finite(interval.high) if interval else None,
                n=applicable,
                metric=metric.name,
                version=metric.version,
                higher_is_better=higher,
                percent=metric.percent,
                unavailable=output.unavailable,
            )
    frame = pd.DataFrame(columns, index=pd.Index([s.id for s in samples], name="id"))
    return ScoredRun(
        samples=samples,
        per_sample=frame,
        aggregates=aggregates,
        explanations=explanations,
        seed=seed,
        resamples=resamples,
        confidence=confidence,
    )


def score_predictions(
    task: Any,
    studies: Sequence[Any],
    predictions: Sequence[str],
    metrics: Sequence[str | Metric] | None = None,
    *,
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
    confidence: float = DEFAULT_CONFIDENCE,
) -> ScoredRun:
    """The one scoring path of a task's predictions (one per study, in order), with the task's metrics
    unless ``metrics`` names others: the runner and the leaderboard both score here, so the leaderboard's
    number is the runner's number by construction."""
    return score_samples(
        task_samples(task, studies, predictions),
        metrics or task.spec.metrics,
        seed=seed,
        resamples=resamples,
        confidence=confidence,
    )
