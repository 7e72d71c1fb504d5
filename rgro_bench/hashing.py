"""The project's content hashes: of bytes, of a file, of a JSON-able value whatever its key order, of a
task's predictions whatever their line order, and the short digest that names a run's folder."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


def canonical_hash(value: Any) -> str:
    """sha256 of the canonical JSON of ``value``: equal dicts give equal keys whatever their key order."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def bytes_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def predictions_sha256(predictions: dict[str, str]) -> str:
    """Hash of a task's predictions independent of line order and JSON spelling: sorted canonical lines."""
    digest = hashlib.sha256()
    for sample_id in sorted(predictions):
        line = json.dumps({"id": sample_id, "prediction": predictions[sample_id]}, ensure_ascii=False, sort_keys=True)
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def short_digest(text: str) -> str:
    """Eight hex digits that tell apart run folders of models with the same name (sha1: the names in use)."""
    return hashlib.sha1(text.encode()).hexdigest()[:8]
