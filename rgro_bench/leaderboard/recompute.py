"""Recomputing an entry's numbers from its predictions: the one place the leaderboard scores, used by a
submit, by a build (stale caches, the reference impressions row) and by credentialed self-scoring."""

from __future__ import annotations

from collections.abc import Mapping

from rgro_bench.hashing import predictions_sha256
from rgro_bench.leaderboard.schema import TaskEntry
from rgro_bench.metrics import METRICS, ScoredRun, score_predictions, task_samples
from rgro_bench.metrics.bootstrap import DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES
from rgro_bench.tasks import Task
from rgro_bench.version import __version__


def metric_versions(names: list[str]) -> dict[str, str]:
    return {name: METRICS.get(name).version for name in names}


def score_task(
    task: Task, predictions: Mapping[str, str], *, seed: int = 0, prior: ScoredRun | None = None
) -> ScoredRun:
    """Score predictions (id -> text, covering the evaluated split) with every metric the task lists.

    ``prior`` is a run already scored elsewhere (``runner.evaluate``'s): it is returned instead of
    scoring again only when it is exactly what this call would compute from, i.e. the same samples
    (ids, findings, predictions, references, labels), the current version of every metric the task lists
    and the same bootstrap settings; anything else is scored afresh."""
    studies = task.studies(task.spec.split.eval_split)
    texts = [predictions[s.id] for s in studies]
    if prior is not None and _same_computation(
        prior, task_samples(task, studies, texts), metric_versions(task.spec.metrics), seed
    ):
        return prior
    return score_predictions(task, studies, texts, seed=seed)


def _same_computation(prior: ScoredRun, samples: list, versions: dict[str, str], seed: int) -> bool:
    return (
        prior.samples == samples
        and {v.metric: v.version for v in prior.aggregates.values()} == versions
        and (prior.seed, prior.resamples, prior.confidence) == (seed, DEFAULT_RESAMPLES, DEFAULT_CONFIDENCE)
    )


def recomputed_entry(task: Task, predictions: Mapping[str, str], scored: ScoredRun) -> TaskEntry:
    return TaskEntry(
        task_version=task.version,
        data_hash=task.data_hash,
        split=task.spec.split.eval_split,
        n=len(predictions),
        source="recomputed",
        predictions_sha256=predictions_sha256(dict(predictions)),
        metric_versions=metric_versions(task.spec.metrics),
        metrics=scored.aggregates,
        scored_with=__version__,
    )
