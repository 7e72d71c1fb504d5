"""Result files, written atomically (``rgro_bench.atomic``): JSON, JSONL."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from rgro_bench import jsonl
from rgro_bench.atomic import atomic_write_bytes, atomic_write_text

__all__ = ["atomic_write_bytes", "atomic_write_text", "write_json", "write_jsonl"]


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
