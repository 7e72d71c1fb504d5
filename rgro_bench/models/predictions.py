"""A predictions file as a model: ``predictions:FILE`` answers each study from a JSONL of
``{"id": ..., "prediction": ...}`` lines (``impression`` is accepted for ``prediction``), so scoring a
file goes through exactly the same path as running a model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rgro_bench.errors import DataError
from rgro_bench.hashing import file_sha256
from rgro_bench.models.base import BACKENDS, GenerationArgs, GenerationRequest, Model, ModelContext
from rgro_bench.predictions_jsonl import read_predictions


class PredictionsFile(Model):
    kind = "predictions"

    def __init__(self, path: Path, allow_partial: bool = False) -> None:
        self.path = path
        self.spec = f"predictions:{path}"
        self.predictions = read_predictions(path, alias="impression", extra_keys=True)
        self.allow_partial = allow_partial

    @property
    def name(self) -> str:
        return self.path.stem

    def identity(self) -> dict[str, Any]:
        return {"spec": self.spec, "sha256": file_sha256(self.path)}

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
