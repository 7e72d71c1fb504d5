"""The generation store: one SQLite file, one row per (model identity, prompt, generation arguments).

WAL journal: readers never block the writer and a committed batch survives a killed process; a busy
timeout lets several runs share the file. Rows are only ever inserted (never replaced), so a row's
``created_at`` and ``writer`` say which run generated it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rgro_bench.errors import DataError
from rgro_bench.models.identity import canonical_hash

STORE_ENV = "RGRO_BENCH_STORE"
STORE_FILENAME = "generations.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    model_key TEXT PRIMARY KEY, spec TEXT NOT NULL, kind TEXT NOT NULL, identity TEXT NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS generations (
    model_key TEXT NOT NULL, prompt_key TEXT NOT NULL, args_key TEXT NOT NULL,
    text TEXT NOT NULL, prompt_tokens INTEGER, completion_tokens INTEGER, finish_reason TEXT,
    seconds REAL, args TEXT NOT NULL, writer TEXT NOT NULL, created_at REAL NOT NULL,
    PRIMARY KEY (model_key, prompt_key, args_key)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class StoredGeneration:
    prompt_key: str
    text: str
    prompt_tokens: int | None
    completion_tokens: int | None
    finish_reason: str | None
    seconds: float | None
    writer: str
    created_at: float


def model_key(identity: dict[str, Any]) -> str:
    return canonical_hash(identity)


def prompt_key(text: str, messages: Sequence[dict[str, str]]) -> str:
    return canonical_hash({"text": text, "messages": list(messages)})


def args_key(args: dict[str, Any]) -> str:
    return canonical_hash(args)


#: every column the store reads, by table: a SQLite file without them is not a generation store
COLUMNS = {
    "models": "model_key, spec, kind, identity, created_at",
    "generations": "model_key, prompt_key, args_key, text, prompt_tokens, completion_tokens, finish_reason, "
    "seconds, args, writer, created_at",
}


class GenerationStore:
    """``read_only`` (rescoring) opens the file without writing to it or beside it, so a store on a
    read-only disk or shared read-only can be rescored from."""

    def __init__(self, path: str | Path, *, create: bool = True, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if (read_only or not create) and not self.path.is_file():
            raise DataError(f"generation store {self.path} does not exist (pass --store PATH or set {STORE_ENV})")
        self.writer = uuid.uuid4().hex[:12]
        try:
            self.conn = self._connect_read_only() if read_only else self._connect()
            for table, columns in COLUMNS.items():
                self.conn.execute(f"SELECT {columns} FROM {table} LIMIT 0")
        except sqlite3.DatabaseError as exc:
            raise DataError(f"generation store {self.path}: {_reason(exc)}") from None

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=60000")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable against a killed process
        conn.executescript(SCHEMA)
        return conn

    def _connect_read_only(self) -> sqlite3.Connection:
        uri = self.path.resolve().as_uri()
        try:
            conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=60, check_same_thread=False)
            conn.execute("SELECT 1 FROM sqlite_master LIMIT 1")
            return conn
        except sqlite3.OperationalError:  # a WAL file in a read-only folder: no -shm can be made; read as is
            return sqlite3.connect(f"{uri}?immutable=1", uri=True, check_same_thread=False)

    def __enter__(self) -> GenerationStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    def register_model(self, spec: str, kind: str, identity: dict[str, Any]) -> str:
        key = model_key(identity)
        if self.read_only:  # a model absent from the store simply has no generations to reuse
            return key
        with self.conn:
            self.conn.execute(
                "INSERT OR IGNORE INTO models VALUES (?, ?, ?, ?, ?)",
                (key, spec, kind, json.dumps(identity, sort_keys=True), time.time()),
            )
        return key

    def models_for_spec(self, spec: str) -> list[tuple[str, dict[str, Any], float]]:
        """(model key, identity, first seen) of every model stored under ``spec``, newest first."""
        rows = self.conn.execute(
            "SELECT model_key, identity, created_at FROM models WHERE spec = ? ORDER BY created_at DESC", (spec,)
        ).fetchall()
        return [(key, json.loads(identity), created) for key, identity, created in rows]

    def lookup(self, mkey: str, akey: str, prompt_keys: Iterable[str]) -> dict[str, StoredGeneration]:
        wanted = list(dict.fromkeys(prompt_keys))
        found: dict[str, StoredGeneration] = {}
        for start in range(0, len(wanted), 500):  # SQLite bounds the number of parameters
            part = wanted[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self.conn.execute(
                "SELECT prompt_key, text, prompt_tokens, completion_tokens, finish_reason, seconds, writer, created_at "
                f"FROM generations WHERE model_key = ? AND args_key = ? AND prompt_key IN ({marks})",
                (mkey, akey, *part),
            ).fetchall()
            found.update({row[0]: StoredGeneration(*row) for row in rows})
        return found

    def insert(self, mkey: str, akey: str, args: dict[str, Any], rows: Sequence[tuple[str, Any, float]]) -> int:
        """Commit one batch: (prompt key, Generation, seconds per prompt) rows; returns rows added."""
        now = time.time()
        args_json = json.dumps(args, sort_keys=True)
        with self.conn:
            cursor = self.conn.executemany(
                "INSERT INTO generations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [
                    (
                        mkey,
                        pkey,
                        akey,
                        g.text,
                        g.prompt_tokens,
                        g.completion_tokens,
                        g.finish_reason,
                        seconds,
                        args_json,
                        self.writer,
                        now,
                    )
                    for pkey, g, seconds in rows
                ],
            )
        return cursor.rowcount

    def count(self, mkey: str | None = None) -> int:
        if mkey is None:
            return self.conn.execute("SELECT COUNT(*) FROM generations").fetchone()[0]
        return self.conn.execute("SELECT COUNT(*) FROM generations WHERE model_key = ?", (mkey,)).fetchone()[0]


def _reason(exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return f"read-only ({text}); expected a writable file, or pass --no-store (rescore reads it as it is)"
    if "no such table" in text or "no such column" in text:
        return f"not a generation store ({text}); expected a file written by rgro-bench"
    return f"not a usable SQLite file ({text}); expected a file written by rgro-bench"


def default_store_path(output_dir: str | Path | None) -> Path | None:
    """$RGRO_BENCH_STORE, else ``<output_dir>/generations.sqlite``; None when neither is given."""
    if env := os.environ.get(STORE_ENV):
        return Path(env)
    return Path(output_dir) / STORE_FILENAME if output_dir is not None else None


def open_store(store: GenerationStore | str | Path | bool | None, output_dir: str | Path | None):
    """The store a run uses: an open store as is; a path opened; True the default path; False/None none.

    Returns (store or None, whether the caller opened it and must close it)."""
    if isinstance(store, GenerationStore):
        return store, False
    if store is True:
        path = default_store_path(output_dir)
        return (GenerationStore(path), True) if path is not None else (None, False)
    if store in (None, False):
        return None, False
    return GenerationStore(store), True
