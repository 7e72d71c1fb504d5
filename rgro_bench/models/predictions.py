"""A predictions file as a model: ``predictions:FILE`` answers each study from a JSONL of
``{"id": ..., "prediction": ...}`` lines (``impression`` is accepted for ``prediction``), so scoring a
file goes through exactly the same path as running a model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rgro_bench.data.loaders import iter_rows
from rgro_bench.errors import DataError
from rgro_bench.models.base import BACKENDS, GenerationArgs, GenerationRequest, Model, ModelContext


def read_predictions(path: Path) -> dict[str, str]:
    predictions: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for number, row in iter_rows(path, "jsonl"):
        if "id" not in row:
            raise DataError(f"{path}: line {number}: expected an object with 'id' and 'prediction'")
        text = row.get("prediction", row.get("impression"))
        if not isinstance(text, str):
            raise DataError(f"{path}: line {number}: field 'prediction' must be a string")
        study_id = row["id"]
        if isinstance(study_id, int) and not isinstance(study_id, bool):
            study_id = str(study_id)
        if not isinstance(study_id, str):
            raise DataError(f"{path}: line {number}: field 'id' is {type(study_id).__name__}; expected a string")
        if study_id in first_line:
            raise DataError(f"{path}: line {number}: duplicate id {study_id!r} (first at line {first_line[study_id]})")
        first_line[study_id] = number
        predictions[study_id] = text
    return predictions


class PredictionsFile(Model):
    kind = "predictions"

    def __init__(self, path: Path, allow_partial: bool = False) -> None:
        self.path = path
        self.spec = f"predictions:{path}"
        self.predictions = read_predictions(path)
        self.allow_partial = allow_partial

    @property
    def name(self) -> str:
        return self.path.stem

    def identity(self) -> dict[str, Any]:
        import hashlib

        return {"spec": self.spec, "sha256": hashlib.sha256(self.path.read_bytes()).hexdigest()}

    def generate(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> list[str]:
        wanted = {r.study.id for r in requests}
        missing = [r.study.id for r in requests if r.study.id not in self.predictions]
        extra = sorted(set(self.predictions) - wanted)
        if extra:
            raise DataError(
                f"{self.path}: {len(extra)} ids are not in the evaluated split (first: {', '.join(extra[:3])})"
            )
        if missing and not self.allow_partial:
            raise DataError(
                f"{self.path}: no prediction for {len(missing)} of {len(requests)} ids of the split "
                f"(first: {', '.join(missing[:3])}); expected one line per id"
            )
        return [self.predictions.get(r.study.id, "") for r in requests]


def predictions_factory(target: str, context: ModelContext) -> Model:
    return PredictionsFile(Path(target), allow_partial=context.options.get("allow_partial") in ("1", "true", "yes"))


BACKENDS.register("predictions", predictions_factory)
