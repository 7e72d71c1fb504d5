"""The leaderboard folder on disk: accepted entries, the per-sample score cache, the lock.

``submissions/<slug>/`` holds ``entry.json``, ``model_card.yaml`` and ``predictions/<task>.jsonl``
(public tasks only); ``cache/<task>/<slug>.parquet`` holds per-sample scores for significance tests.
Every file is written atomically; an entry folder is assembled beside its final place and renamed in."""

from __future__ import annotations

import io
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml
from filelock import FileLock
from pydantic import ValidationError

from rgro_bench.errors import DataError
from rgro_bench.leaderboard.schema import Entry
from rgro_bench.predictions_jsonl import write_predictions
from rgro_bench.results.io import atomic_write_bytes, atomic_write_text, write_json

LOCK_TIMEOUT_S = 600


def entry_slug(name: str) -> str:
    """Folder-safe identifier of a model name: lower-case letters, digits, '.', '-'."""
    slug = re.sub(r"[^a-z0-9.]+", "-", name.lower()).strip("-.")[:80]
    return slug or "model"


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def submissions(self) -> Path:
        return self.root / "submissions"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    @property
    def plots(self) -> Path:
        return self.root / "plots"

    @property
    def reported(self) -> Path:
        return self.root / "reported.yaml"

    def entry_dir(self, slug: str) -> Path:
        return self.submissions / slug

    def cache_path(self, task_id: str, slug: str) -> Path:
        return self.cache / task_id / f"{slug}.parquet"

    def lock(self) -> FileLock:
        """Serialises every read-modify-write of the folder (submit, build) across processes."""
        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.root / ".lock"), timeout=LOCK_TIMEOUT_S)


def install_entry(layout: Layout, entry: Entry, predictions: dict[str, dict[str, str]]) -> Path:
    """Put an entry folder in place in one rename (replacing an older one of the same slug)."""
    layout.submissions.mkdir(parents=True, exist_ok=True)
    staging = layout.submissions / f".staging-{entry.slug}-{uuid.uuid4().hex[:8]}"
    try:
        atomic_write_text(
            staging / "model_card.yaml",
            yaml.safe_dump(entry.card.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True),
        )
        for task_id, rows in predictions.items():
            write_predictions(staging / "predictions" / f"{task_id}.jsonl", rows)
        write_json(staging / "entry.json", entry)
        final = layout.entry_dir(entry.slug)
        retired = None
        if final.exists():
            retired = layout.submissions / f".retired-{entry.slug}-{uuid.uuid4().hex[:8]}"
            final.rename(retired)
        staging.rename(final)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return final


def read_entry(path: Path) -> Entry:
    try:
        return Entry.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as exc:
        first = exc.errors()[0] if isinstance(exc, ValidationError) else {"loc": (), "msg": str(exc)}
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise DataError(f"{path}: field {field!r}: {first['msg']}; expected an entry written by rgro-bench") from None


def entries(layout: Layout, warnings: list[str]) -> list[Entry]:
    """Every readable entry; an unreadable one is named in ``warnings`` and left out, so one bad entry
    never stops a build."""
    if not layout.submissions.is_dir():
        return []
    found = []
    for folder in sorted(layout.submissions.iterdir()):
        if folder.name.startswith(".") or not (folder / "entry.json").is_file():
            continue
        try:
            found.append(read_entry(folder / "entry.json"))
        except DataError as exc:
            warnings.append(f"{folder.name}: left out of the tables ({exc})")
    return found


def write_cache(layout: Layout, task_id: str, slug: str, per_sample: pd.DataFrame) -> None:
    buffer = io.BytesIO()
    per_sample.to_parquet(buffer)
    atomic_write_bytes(layout.cache_path(task_id, slug), buffer.getvalue())


def read_cache(layout: Layout, task_id: str, slug: str) -> pd.DataFrame | None:
    """The entry's per-sample scores, or None when absent or unreadable (the cache is derived data:
    the build recomputes it from the stored predictions)."""
    path = layout.cache_path(task_id, slug)
    if not path.is_file():
        return None
    try:
        return pd.read_parquet(path)
    except Exception:  # pyarrow raises many types for a damaged file; the file is rebuilt, never trusted
        return None
