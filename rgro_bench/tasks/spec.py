"""The typed TaskSpec every task YAML is validated into."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataSpec(_Strict):
    format: Literal["csv", "json", "jsonl", "parquet", "radsum"] | None = Field(
        None,
        description="File format; inferred from the extension when omitted. 'radsum' is the BioNLP "
        "2023 RadSum23 layout: line-aligned <split>.findings.tok / <split>.impression.tok files in a folder.",
    )
    path: str | None = Field(None, description="Data file (or folder for 'radsum'), relative to the YAML file.")
    env_var: str | None = Field(None, description="Environment variable that may hold the path instead.")
    id_column: str = "id"
    findings_column: str = "findings"
    impression_column: str = "impression"
    keep_columns: list[str] = Field(default_factory=list, description="Extra columns kept as study metadata.")
    drop_incomplete: bool = Field(False, description="Skip rows with empty findings or impression instead of failing.")
    sha256: str | None = Field(None, description="Expected SHA-256 of the shipped file; checked at load.")
    credentialed: bool = Field(False, description="Restricted data: never shipped, predictions never published.")
    how_to_get: str | None = Field(None, description="Shown when the data is missing.")
    source: str | None = None
    licence: str | None = None


class SplitSpec(_Strict):
    method: Literal["grouped-hash", "none", "files"] = Field(
        "grouped-hash",
        description="'grouped-hash': deterministic split grouped by normalised findings; 'none': all studies "
        "form the evaluation split; 'files': the data layout already has splits (RadSum23).",
    )
    salt: str = "rgro-bench"
    fractions: dict[str, float] = Field(default_factory=lambda: {"train": 0.7, "validation": 0.1, "test": 0.2})
    eval_split: str = "test"
    eval_size: int | None = Field(
        None,
        gt=0,
        description="Studies in the evaluated split, where published: self-computed (credentialed) scores must "
        "report this n when the leaderboard's machine does not hold the data.",
    )

    @model_validator(mode="after")
    def _fractions_sum_to_one(self) -> SplitSpec:
        if self.method == "grouped-hash" and abs(sum(self.fractions.values()) - 1.0) > 1e-9:
            raise ValueError(f"split fractions must sum to 1, got {sum(self.fractions.values())}")
        return self


DEFAULT_TEMPLATE = (
    "Summarize the FINDINGS of this radiology report into its IMPRESSION.\nFINDINGS: {{ findings }}\nIMPRESSION:"
)
DEFAULT_METRICS = ["rouge", "bleu", "length"]


class PromptSpec(_Strict):
    template: str = Field(DEFAULT_TEMPLATE, description="Jinja2 template of the user turn; variables: findings, study.")
    system: str | None = Field(None, description="System prompt for chat models.")
    fewshot: int = Field(0, ge=0, description="Number of solved examples put before the study.")
    fewshot_source: str | None = Field(
        None, description="'<task>:<split>' the examples come from; default: this task's train split."
    )


class GenerationSpec(_Strict):
    max_new_tokens: int = Field(128, gt=0)
    temperature: float = Field(0.0, ge=0.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    stop: list[str] = Field(default_factory=list)


class TaskSpec(_Strict):
    id: str
    version: str
    description: str = ""
    data: DataSpec
    split: SplitSpec = Field(default_factory=SplitSpec)
    prompt: PromptSpec = Field(default_factory=PromptSpec)
    generation: GenerationSpec = Field(default_factory=GenerationSpec)
    metrics: list[str] = Field(default_factory=lambda: list(DEFAULT_METRICS))
    primary_metric: str = "rougeL"
    train_source: str | None = Field(
        None,
        description="'<task>:<split>' that trainable baselines (TF-IDF retrieval) fit on; default: own train split.",
    )
    overlaps: dict[str, str] = Field(
        default_factory=dict, description="Task id -> file listing the ids this task shares with it."
    )
    citation: str | None = None
