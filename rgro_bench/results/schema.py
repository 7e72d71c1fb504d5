"""The one typed result contract of a run (after lm-eval's ``result_schema``); JSON on disk."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MetricValue(_Model):
    value: float | None = Field(description="Point estimate on all samples; None when unavailable.")
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = Field(description="Samples the column applies to.")
    metric: str = Field(description="Registry name of the metric that produced the column.")
    version: str
    higher_is_better: bool | None
    percent: bool = True
    unavailable: str | None = Field(None, description="Why no value was computed.")


class ModelInfo(_Model):
    spec: str = Field(description="The model spec as given, e.g. 'baseline:lead-2' or 'hf:/models/x'.")
    name: str = Field(description="Short display name.")
    kind: str
    identity: dict[str, Any] = Field(default_factory=dict, description="Path, weights hash or revision, options.")


class TaskInfo(_Model):
    id: str
    version: str
    data_hash: str
    split: str
    n_samples: int
    primary_metric: str


class Environment(_Model):
    rgro_bench: str
    python: str
    platform: str
    git_commit: str | None
    git_dirty: bool | None = Field(
        default=None,
        description="True when tracked files differed from git_commit (an edited tree); None outside git.",
    )
    packages: dict[str, str]
    numerics: dict[str, Any] | None = Field(
        default=None,
        description="CPU model, torch's kernel set and threads, and whether rgro_bench.reproducibility's pins "
        "were in force: what decides the last digits of a model's outputs on a CPU.",
    )


class Bootstrap(_Model):
    resamples: int
    confidence: float
    seed: int


class RunResult(_Model):
    schema_version: str = SCHEMA_VERSION
    run_id: str
    created_at: datetime
    model: ModelInfo
    task: TaskInfo
    metrics: dict[str, MetricValue] = Field(description="Column name -> aggregate with its interval.")
    generation: dict[str, Any] = Field(default_factory=dict)
    seed: int
    bootstrap: Bootstrap
    environment: Environment
    samples_file: str = Field(description="Per-sample JSONL beside this file.")
    timings: dict[str, float] = Field(default_factory=dict, description="Seconds per phase.")
    contamination: list[str] = Field(
        default_factory=list, description="Why this model's training data may overlap the evaluated split."
    )


class RunStatus(_Model):
    """``status.json`` beside a run's results (inspect_ai's log status): written when the run starts and
    rewritten when it ends, so a run that failed or was interrupted says so instead of leaving nothing, or
    an older run's results that look current. Generations already made stay in the store: rerunning
    resumes."""

    status: Literal["started", "success", "error", "cancelled"]
    run_id: str
    model: str
    task: str
    started_at: datetime
    ended_at: datetime | None = None
    error: str | None = Field(None, description="The error's type and first line, when status is 'error'.")
    git_commit: str | None = None
    git_dirty: bool | None = None


class SampleRecord(_Model):
    """One line of the per-sample JSONL: enough to re-score without the model."""

    id: str
    findings: str
    reference: str | None
    prediction: str
    scores: dict[str, float | None]
    explanations: dict[str, Any] = Field(default_factory=dict)
