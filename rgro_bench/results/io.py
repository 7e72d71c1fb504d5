"""Atomic writes: a file appears whole or not at all (temp file in the same folder, fsync, rename)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from rgro_bench import jsonl


def atomic_write_text(path: str | Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _json_default(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


def write_json(path: str | Path, obj: Any) -> Path:
    if isinstance(obj, BaseModel):
        return atomic_write_text(path, obj.model_dump_json(indent=2) + "\n")
    return atomic_write_text(path, json.dumps(obj, indent=2, default=_json_default, allow_nan=False) + "\n")


def write_jsonl(path: str | Path, rows: Iterable[Any]) -> Path:
    """One row per line (``rgro_bench.jsonl``'s writer, which every JSONL reader of the project reads)."""
    return jsonl.write_jsonl(path, rows, default=_json_default)
