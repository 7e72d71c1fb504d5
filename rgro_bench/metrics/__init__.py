"""Metric registry. Importing this package registers every built-in metric."""

from rgro_bench.metrics import bertscore, clinical, labels, lexical, radeval_adapter  # noqa: F401  (registers)
from rgro_bench.metrics.base import METRICS, Metric, MetricOutput, Sample, get_metric, register_metric
from rgro_bench.metrics.scoring import ScoredRun, score_predictions, score_samples, task_samples

__all__ = [
    "METRICS",
    "Metric",
    "MetricOutput",
    "Sample",
    "ScoredRun",
    "get_metric",
    "register_metric",
    "score_predictions",
    "score_samples",
    "task_samples",
]
