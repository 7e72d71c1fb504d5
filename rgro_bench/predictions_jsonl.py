"""The predictions JSONL format, one ``{"id": ..., "prediction": ...}`` object a line, written and read in
one place: read by a submission's intake (which collects every problem of a file), by a stored entry's
read-back and by the ``predictions:FILE`` model (both of which stop at the first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rgro_bench.errors import DataError
from rgro_bench.jsonl import read_jsonl, write_jsonl


class PredictionLineError(ValueError):
    """One line's object is not a prediction; the message says what was expected."""


def prediction_row(obj: Any, *, alias: str | None = None, extra_keys: bool = False) -> tuple[str, Any]:
    """(id, prediction) of one line's parsed object. The object holds exactly ``id`` and ``prediction``
    (or ``alias`` in its place), or at least those with ``extra_keys`` (a run's samples.jsonl read as
    predictions); a whole-number id reads as a string. The prediction is returned as found: what a usable
    impression is, the caller decides."""
    names = [name for name in ("prediction", alias) if name]
    text_key = next((name for name in names if isinstance(obj, dict) and name in obj), None)
    shape_ok = isinstance(obj, dict) and "id" in obj and text_key is not None
    if shape_ok and not extra_keys:
        shape_ok = set(obj) == {"id", text_key}
    if not shape_ok:
        keys = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        wanted = "'id' and 'prediction'" + (f" (or {alias!r})" if alias else "")
        quantity = "the keys" if extra_keys else "exactly the keys"
        raise PredictionLineError(f"expected an object with {quantity} {wanted}, got {keys}")
    sample_id = obj["id"]
    if isinstance(sample_id, int) and not isinstance(sample_id, bool):
        sample_id = str(sample_id)
    if not isinstance(sample_id, str):
        raise PredictionLineError(f"'id' must be a string, got {type(sample_id).__name__}")
    return sample_id, obj[text_key]


def read_predictions(path: Path, *, alias: str | None = None, extra_keys: bool = False) -> dict[str, str]:
    """id -> prediction of a predictions file, in file order; the first bad line, a prediction that is not
    a string or an id given twice is a ``DataError`` naming the file and line."""
    predictions: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for number, obj in read_jsonl(path):
        try:
            sample_id, text = prediction_row(obj, alias=alias, extra_keys=extra_keys)
        except PredictionLineError as exc:
            raise DataError(f"{path}: line {number}: {exc}") from None
        if not isinstance(text, str):
            raise DataError(
                f"{path}: line {number}: 'prediction' for id {sample_id!r} must be a string, got {type(text).__name__}"
            )
        if sample_id in first_line:
            raise DataError(
                f"{path}: line {number}: duplicate id {sample_id!r} (first at line {first_line[sample_id]})"
            )
        first_line[sample_id] = number
        predictions[sample_id] = text
    return predictions


def write_predictions(path: Path, predictions: dict[str, str]) -> None:
    """id -> prediction as a predictions file, atomically, in the mapping's order."""
    write_jsonl(path, ({"id": i, "prediction": p} for i, p in predictions.items()))
