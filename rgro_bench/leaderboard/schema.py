"""Typed contracts of the leaderboard: the model card a submitter writes, the self-computed scores of a
credentialed task, the stored entry, and the published-but-not-reproduced reference rows."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from rgro_bench.results.schema import MetricValue

NAME_MAX = 100
TEXT_MAX = 500
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_SPLIT_REF = re.compile(r"^[A-Za-z0-9._-]+:[A-Za-z0-9._-]+$")


def _no_control(text: str) -> str:
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text):
        raise ValueError("must not contain control or format characters (newlines, tabs, bidi overrides)")
    if text != text.strip() or not text:
        raise ValueError("must be non-empty without leading or trailing spaces")
    return text


def _http_url(text: str) -> str:
    if len(text) > 300 or not _URL.match(text):
        raise ValueError("expected an http:// or https:// URL of at most 300 characters")
    return text


Name = Annotated[str, Field(max_length=NAME_MAX), AfterValidator(_no_control)]
ShortText = Annotated[str, Field(max_length=TEXT_MAX), AfterValidator(_no_control)]
Url = Annotated[str, AfterValidator(_http_url)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrainingSet(_Strict):
    """Data a model was trained (or tuned, or prompted with few-shot examples) on."""

    task: Annotated[str, Field(max_length=NAME_MAX, pattern=r"^[A-Za-z0-9._-]+$")]
    split: Annotated[str, Field(max_length=NAME_MAX, pattern=r"^[A-Za-z0-9._-]+$")] | None = None
    ids: list[Annotated[str, Field(max_length=200)]] | None = None
    exclude_overlap_with: list[str] = Field(
        default_factory=list,
        description="Task ids whose evaluated ids were removed from this data before training (the TF-IDF "
        "baseline removes mediqa2021-indiana's ids from iu-xray:train, for instance).",
    )

    @model_validator(mode="after")
    def _split_or_ids(self) -> TrainingSet:
        if (self.split is None) == (self.ids is None):
            raise ValueError("give exactly one of 'split' or 'ids'")
        return self

    def label(self) -> str:
        return f"{self.task}:{self.split}" if self.split else f"{self.task} ({len(self.ids or [])} ids)"


def _training_entry(value: object) -> object:
    if isinstance(value, str):
        if not _SPLIT_REF.match(value):
            raise ValueError(f"expected 'task:split' (e.g. iu-xray:train), got {value[:60]!r}")
        task, split = value.split(":")
        return {"task": task, "split": split}
    return value


class ModelCard(_Strict):
    name: Name
    authors: list[Name] = Field(min_length=1)
    url: Url | None = None
    parameters: int | Annotated[str, Field(pattern=r"^\d+(\.\d+)?[KMBT]$")] | None = Field(
        None, description="Parameter count, as an integer or like '7B', '350M'."
    )
    licence: Name | None = None
    base_model: Name | None = None
    description: ShortText | None = None
    training_data: list[TrainingSet] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _expand_training_refs(cls, raw: object) -> object:
        if isinstance(raw, dict) and isinstance(raw.get("training_data"), list):
            raw = {**raw, "training_data": [_training_entry(v) for v in raw["training_data"]]}
        if isinstance(raw, dict) and isinstance(raw.get("authors"), str):
            raw = {**raw, "authors": [raw["authors"]]}
        return raw


class CredentialedScores(_Strict):
    """``scores/<task>.json``: a credentialed task scored on the submitter's machine with the harness
    (``rgro-bench leaderboard score-local``). The predictions themselves never leave that machine."""

    task: str
    task_version: str
    data_hash: str
    split: str
    n: int = Field(gt=0)
    predictions_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    metric_versions: dict[str, str]
    metrics: dict[str, MetricValue]
    rgro_bench: str


Source = Literal["recomputed", "self-computed (credentialed data)"]


class TaskEntry(_Strict):
    task_version: str
    data_hash: str
    split: str
    n: int
    source: Source
    predictions_sha256: str
    metric_versions: dict[str, str] = Field(description="Metric registry name -> version the numbers come from.")
    metrics: dict[str, MetricValue]
    scored_with: str = Field(description="rgro-bench version that computed the numbers.")


class Entry(_Strict):
    """``submissions/<slug>/entry.json``: what the leaderboard accepted."""

    slug: str
    card: ModelCard
    submitted_at: datetime
    rgro_bench: str
    card_sha256: str
    tasks: dict[str, TaskEntry]
    warnings: list[str] = Field(default_factory=list)


class ReportedRow(_Strict):
    """A published number the leaderboard did not reproduce (``leaderboards/reported.yaml``)."""

    task: str
    model: Name
    source: ShortText
    url: Url | None = None
    metrics: dict[str, float] = Field(description="Column -> value as printed in the paper (×100 for percent metrics).")
    note: ShortText = Field(description="How the setting differs from the task's (subset, split, prompt).")


class ReportedFile(_Strict):
    reported: list[ReportedRow] = Field(default_factory=list)
