"""The one JSONL reader and writer of the project.

Lines are split on "\\n" only: ``str.splitlines()`` also splits on U+2028, U+0085, form feeds and other
characters a JSON string may hold raw, and would cut a valid line in two. Text that cannot round-trip
through UTF-8 (lone surrogates, written as ``\\ud800`` escapes) and NUL characters are refused with the
line named, so nothing unreadable is ever stored and read back."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from rgro_bench.atomic import atomic_write_text
from rgro_bench.errors import DataError


class LineProblem(ValueError):
    """What is wrong with one line, without its location (the caller names the file and line)."""


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored as report text, or None: NUL characters and lone surrogates."""
    if "\x00" in text:
        return "contains a NUL character (U+0000); expected text"
    for ch in text:
        if "\ud800" <= ch <= "\udfff":
            return f"contains a lone surrogate (U+{ord(ch):04X}); expected valid Unicode text"
    return None


def storable_text(text: str) -> str:
    """``text`` with NUL characters and lone surrogates replaced by U+FFFD: for text no user can correct
    (a model's generation), which must still be stored, scored and written like any other."""
    if not text_problem(text):
        return text
    return "".join("\ufffd" if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch for ch in text)


def _value_problem(value: Any) -> str | None:
    """The first text problem among a parsed JSON value's strings (keys included)."""
    if isinstance(value, str):
        return text_problem(value)
    if isinstance(value, dict):
        items: Iterable[Any] = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    else:
        return None
    return next((p for p in map(_value_problem, items) if p), None)


def split_lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line) for every non-blank line; a trailing "\\r" (CRLF files) is dropped."""
    for number, raw in enumerate(data.split(b"\n"), start=1):
        raw = raw.removesuffix(b"\r")
        if raw.strip():
            yield number, raw


def parse_line(raw: bytes) -> Any:
    """One JSONL line to its value; raises ``LineProblem`` saying what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise LineProblem("not UTF-8; expected UTF-8 JSON") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LineProblem(f"invalid JSON ({exc.msg} at column {exc.colno}); expected one object per line") from None
    problem = _value_problem(value)
    if problem:
        raise LineProblem(problem)
    return value


def read_bytes(path: Path) -> bytes:
    """A data file's bytes; a missing, folder or unreadable path is a one-line ``DataError``."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder; expected a data file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read file ({exc.strerror})") from None


def read_jsonl(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, value) for each non-blank line of ``path``; the first bad line is a ``DataError``."""
    path = Path(path)
    for number, raw in split_lines(read_bytes(path).removeprefix(b"\xef\xbb\xbf")):
        try:
            yield number, parse_line(raw)
        except LineProblem as exc:
            raise DataError(f"{path}: line {number}: {exc}") from None


def dumps_line(value: Any, **options: Any) -> str:
    """One JSONL line (no newline); refuses what ``read_jsonl`` would refuse, so every file reads back.
    A pydantic model is written as its JSON form (NaN as null, as ``model_dump_json`` does)."""
    if isinstance(value, BaseModel):
        value = json.loads(value.model_dump_json())
    problem = _value_problem(value)
    if problem:
        raise DataError(f"cannot write JSONL: a value {problem}")
    return json.dumps(value, ensure_ascii=False, allow_nan=False, **options)


def jsonl_text(values: Iterable[Any], **options: Any) -> str:
    lines = [dumps_line(v, **options) for v in values]
    return "\n".join(lines) + ("\n" if lines else "")


def write_jsonl(path: str | Path, values: Iterable[Any], **options: Any) -> Path:
    """Write ``values`` one per line, atomically."""
    return atomic_write_text(path, jsonl_text(values, **options))
