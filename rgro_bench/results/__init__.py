"""The typed result contract and its atomic writers."""

from rgro_bench.results.io import atomic_write_text, write_json, write_jsonl
from rgro_bench.results.schema import MetricValue, ModelInfo, RunResult, SampleRecord, TaskInfo

__all__ = [
    "MetricValue",
    "ModelInfo",
    "RunResult",
    "SampleRecord",
    "TaskInfo",
    "atomic_write_text",
    "write_json",
    "write_jsonl",
]
