"""Model identity: which weights a backend loads, so stored generations are reused only for the same model.

A local folder is identified by its resolved path and a sha256 over its weight, config and tokenizer
files; hashing a multi-GB checkpoint takes a while, so each file's digest is cached by (path, size,
mtime) in a small SQLite file and warm runs only stat the files. A Hub id is identified by the commit of
its snapshot, which is already a content hash.
"""

from __future__ import annotations

import os
import re
import sqlite3
from contextlib import closing, nullcontext
from pathlib import Path
from typing import Any

from rgro_bench.errors import ConfigError
from rgro_bench.hashing import canonical_hash, file_sha256

__all__ = ["canonical_hash", "file_sha256"]

#: files whose content decides what a model generates (weights, config, tokenizer, chat template)
IDENTITY_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".json", ".model", ".txt", ".jinja", ".tiktoken")
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")


def hash_cache_path() -> Path:
    root = os.environ.get("RGRO_BENCH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", "~/.cache"), "rgro-bench"
    )
    return Path(root).expanduser() / "file-hashes.sqlite"


def _open_cache() -> sqlite3.Connection | None:
    path = hash_cache_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS file_hashes (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, sha256 TEXT)"
        )
        return conn
    except (OSError, sqlite3.Error):  # a read-only home only costs speed, never correctness
        return None


def cached_file_sha256(path: Path, conn: sqlite3.Connection | None) -> str:
    stat = path.stat()
    key = str(path.resolve())
    if conn is not None:
        row = conn.execute("SELECT size, mtime_ns, sha256 FROM file_hashes WHERE path = ?", (key,)).fetchone()
        if row and row[0] == stat.st_size and row[1] == stat.st_mtime_ns:
            return row[2]
    digest = file_sha256(path)
    if conn is not None:
        with conn:
            conn.execute(
                "INSERT OR REPLACE INTO file_hashes VALUES (?, ?, ?, ?)", (key, stat.st_size, stat.st_mtime_ns, digest)
            )
    return digest


def folder_identity(folder: Path) -> dict[str, Any]:
    """``{"path", "weights_sha256", "files"}`` for a local model folder (top level and subfolders)."""
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix in IDENTITY_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    if not any(p.suffix in (".safetensors", ".bin", ".pt", ".pth", ".gguf") for p in files):
        raise ConfigError(f"model folder {folder}: no weights file (*.safetensors, *.bin, *.pt, *.gguf) in it")
    cache = _open_cache()
    with closing(cache) if cache is not None else nullcontext():
        digests = {str(p.relative_to(folder)): cached_file_sha256(p, cache) for p in files}
    return {"path": str(folder.resolve()), "weights_sha256": canonical_hash(digests), "files": len(digests)}


def looks_like_path(target: str) -> bool:
    return target.startswith(("/", "./", "../", "~")) or (os.sep in target and not _HUB_ID.match(target))


def resolve_model(spec: str, target: str, revision: str | None = None) -> tuple[str, dict[str, Any]]:
    """The local folder to load and the identity of the model behind ``target`` (a folder or a Hub id).

    A Hub id is resolved through the Hub cache (offline mode is honoured); the snapshot's commit hash
    is its identity."""
    folder = Path(target).expanduser()
    if folder.is_dir():
        if revision:
            raise ConfigError(f"{spec}: revision={revision} applies to Hub ids, not to the local folder {folder}")
        return str(folder.resolve()), folder_identity(folder)
    if looks_like_path(target) or not _HUB_ID.match(target):
        raise ConfigError(f"{spec}: model folder {folder} does not exist (nor is {target!r} a Hub id like org/name)")
    try:
        from huggingface_hub import snapshot_download

        local = Path(snapshot_download(target, revision=revision))
    except Exception as exc:  # offline, unknown repo, gated, no network: one line either way
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            f"{spec}: no folder {target} here, and Hub model {target!r} (revision {revision or 'main'}) cannot be resolved: {reason}"
        ) from None
    return str(local), {"hub_id": target, "revision": local.name}
