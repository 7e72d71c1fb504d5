"""The leaderboard's table model: what a build produces and render and plots draw, with nothing of how
it is built (rgro_bench.leaderboard.build) or drawn."""

from __future__ import annotations

from dataclasses import dataclass, field

from rgro_bench.leaderboard.contamination import Contamination
from rgro_bench.leaderboard.significance import Verdict
from rgro_bench.results.schema import MetricValue
from rgro_bench.tasks import Task

REPORTED = "reported, not reproduced"
REFERENCE_SOURCE = "reference impressions: the radiologists' own, scored like a model; the ceiling, never ranked"
REFERENCE_MODEL = "reference impressions"


@dataclass(frozen=True)
class Column:
    name: str
    metric: str
    higher_is_better: bool | None
    percent: bool
    #: "judge" or "reward" (rgro_bench.metrics.base.Metric.role): reward columns are shown after the
    #: judges and marked, since a reference trainer optimised them
    role: str = "judge"
    #: shown in the Markdown and HTML tables (every column is in the CSV and JSON)
    shown: bool = True

    @property
    def label(self) -> str:
        return f"{self.name} (reward)" if self.role == "reward" else self.name


@dataclass
class Row:
    model: str
    source: str  # "recomputed", "self-computed (credentialed data)" or REPORTED
    metrics: dict[str, MetricValue]
    slug: str | None = None
    url: str | None = None
    n: int | None = None
    contamination: Contamination = field(default_factory=Contamination)
    verdict: Verdict | None = None
    rank: int | None = None
    note: str | None = None


@dataclass
class Table:
    task: Task
    columns: list[Column]
    rows: list[Row]

    @property
    def shown_columns(self) -> list[Column]:
        return [c for c in self.columns if c.shown or c is self.primary]

    @property
    def primary(self) -> Column:
        wanted = self.task.spec.primary_metric
        return next((c for c in self.columns if c.name == wanted), self.columns[0])
