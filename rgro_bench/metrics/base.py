"""The metric contract: per-sample columns in, aggregate values with bootstrap intervals out.

A metric scores a batch of ``Sample``s and returns one or more named per-sample columns (NaN marks a
sample the column does not apply to). Aggregation is a function of a set of sample indices, so the same
code gives the point estimate (all indices) and each bootstrap replicate (indices drawn with
replacement); the default is the mean over applicable samples, and a corpus-level metric (BLEU)
overrides it with its own sufficient statistics.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from rgro_bench.registry import Registry


@dataclass(frozen=True)
class Sample:
    id: str
    findings: str
    prediction: str
    reference: str | None
    #: the study's human annotations, by field (IU X-ray: ``{"MeSH": ..., "Problems": ...}``), or None where
    #: the task has none. Filled by whoever builds samples from a task (``rgro_bench.metrics.labels.task_labels``
    #: resolves them, also through a task's ``overlaps``); only label metrics read it. Not hashed.
    labels: Mapping[str, str] | None = field(default=None, hash=False)


def says_nothing(text: str) -> bool:
    """An impression with no letter or digit ("", ".", "—"): it asserts nothing, so a metric that rewards
    what an impression does not say (no contradiction, no guideline broken) must not reward it."""
    return not any(ch.isalnum() for ch in text)


Aggregator = Callable[[np.ndarray], float]


@dataclass
class MetricOutput:
    columns: dict[str, np.ndarray]
    #: per-sample explanation (JSON-serialisable) or None; one list per metric, aligned with samples
    explanations: list[Any] | None = None
    #: column -> aggregator over an index array; columns not listed use ``nanmean``
    aggregators: dict[str, Aggregator] = field(default_factory=dict)
    #: set when the metric could not run (missing model, missing package): the reason, never a number
    unavailable: str | None = None

    def aggregate(self, column: str, indices: np.ndarray) -> float:
        if column in self.aggregators:
            return self.aggregators[column](indices)
        values = self.columns[column][indices]
        values = values[~np.isnan(values)]
        return float(values.mean()) if values.size else float("nan")


class Metric(ABC):
    #: registry name, e.g. "rouge"
    name: str
    #: bumped whenever the numbers could change; recorded with every result
    version: str = "1"
    #: column -> whether higher is better (None: descriptive, neither), for each column the metric emits
    columns: dict[str, bool | None]
    #: short description shown by ``rgro-bench metrics``
    description: str = ""
    #: column values are in [0, 1] and shown ×100 in tables
    percent: bool = True
    #: the interval every column's value lies in (a self-computed score outside it is refused); None where
    #: unbounded. Percent columns are rates in [0, 1].
    value_range: tuple[float, float] | None = (0.0, 1.0)
    #: needs a reference impression
    needs_reference: bool = True
    #: "judge": no reference trainer optimises it, so it may grade them; "reward": a reference trainer's
    #: reward is built from it, so tables report it beside the judges, marked, and never lead with it
    role: Literal["judge", "reward"] = "judge"
    #: for a reward: one line saying what it pays for (shown by ``rgro-bench metrics`` and in tables)
    rewards: str = ""
    #: the columns a leaderboard's Markdown and HTML tables show (None: all); the CSV and JSON hold every one
    shown_columns: tuple[str, ...] | None = None

    @abstractmethod
    def compute(self, samples: Sequence[Sample]) -> MetricOutput: ...

    def unavailable(self, reason: str, n: int) -> MetricOutput:
        nan = np.full(n, np.nan)
        return MetricOutput(columns={c: nan for c in self.columns}, unavailable=reason)


METRICS: Registry[type[Metric]] = Registry("metric")


def register_metric(cls: type[Metric]) -> type[Metric]:
    METRICS.register(cls.name, cls)
    return cls


def get_metric(name: str, **options: Any) -> Metric:
    return METRICS.get(name)(**options)
