"""Read CSV, JSON, JSONL and parquet files of reports into ``Study`` records, validating as we go.

Every problem is a ``DataError`` whose one-line message names the file, the row (1-based data row;
the CSV header is not counted) or field, and what was expected.
"""

from __future__ import annotations

import csv
import io
import json
import numbers
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rgro_bench.data.clean import clean_text
from rgro_bench.data.records import Study
from rgro_bench.errors import DataError
from rgro_bench.jsonl import read_bytes, read_jsonl, text_problem

FORMATS = ("csv", "json", "jsonl", "parquet")


def infer_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    if suffix in ("ndjson",):
        return "jsonl"
    if suffix in ("pq",):
        return "parquet"
    raise DataError(f"{path}: cannot tell the file format from '{path.suffix}'; expected one of {', '.join(FORMATS)}")


def read_text(path: Path) -> str:
    raw = read_bytes(path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DataError(
            f"{path}: line {line}, column {column}: byte 0x{raw[exc.start]:02x} is not valid UTF-8; expected UTF-8 text"
        ) from None


def text_lines(text: str) -> list[str]:
    """Lines split on "\n" only (a trailing "\r" dropped): ``str.splitlines()`` would also split on U+2028,
    U+0085 and form feeds inside a line's text."""
    if not text:
        return []
    return [line.removesuffix("\r") for line in text.removesuffix("\n").split("\n")]


def iter_rows(path: Path, fmt: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (row number, row) pairs; row numbers are 1-based data rows (JSONL: line numbers)."""
    fmt = fmt or infer_format(path)
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
        if reader.fieldnames is None:
            raise DataError(f"{path}: empty file; expected a CSV header row")
        try:
            for number, row in enumerate(reader, start=1):
                if None in row:
                    raise DataError(f"{path}: row {number}: more fields than the header's {len(reader.fieldnames)}")
                yield number, row
        except csv.Error as exc:
            raise DataError(f"{path}: row {reader.line_num}: malformed CSV ({exc})") from None
    elif fmt == "jsonl":
        for number, row in read_jsonl(path):
            if not isinstance(row, dict):
                raise DataError(f"{path}: line {number}: expected a JSON object, got {type(row).__name__}")
            yield number, row
    elif fmt == "json":
        try:
            data = json.loads(read_text(path))
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: line {exc.lineno}: invalid JSON ({exc.msg})") from None
        if isinstance(data, dict) and isinstance(data.get("data"), list):
            data = data["data"]
        if not isinstance(data, list):
            raise DataError(
                f'{path}: expected a JSON array of objects (or {{"data": [...]}}), got {type(data).__name__}'
            )
        for number, row in enumerate(data, start=1):
            if not isinstance(row, dict):
                raise DataError(f"{path}: row {number}: expected a JSON object, got {type(row).__name__}")
            yield number, row
    elif fmt == "parquet":
        yield from _iter_parquet(path)
    else:
        raise DataError(f"{path}: unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def _iter_parquet(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    import pandas as pd

    if not path.is_file():
        raise DataError(f"{path}: file not found")
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many types for a bad file
        raise DataError(f"{path}: cannot read parquet ({type(exc).__name__}: {exc})".splitlines()[0]) from None
    yield from enumerate(frame.to_dict(orient="records"), start=1)


def _field(path: Path, number: int, row: dict[str, Any], column: str, *, integer_ok: bool = False) -> str:
    """A text cell; an integer id is accepted as its digits. Anything else (lists, floats, bools, bytes)
    is refused rather than stringified into the report text."""
    value = row.get(column)
    if value is None or (isinstance(value, float) and value != value):  # NaN from parquet
        return ""
    if integer_ok and isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if not isinstance(value, str):
        expected = "a string or an integer" if integer_ok else "a string"
        raise DataError(f"{path}: row {number}: column {column!r} is {_type_name(value)}; expected {expected}")
    problem = text_problem(value)
    if problem:
        raise DataError(f"{path}: row {number}: column {column!r} {problem}")
    return value


def _type_name(value: Any) -> str:
    return {bool: "a boolean", float: "a number", list: "a list", dict: "an object", bytes: "bytes"}.get(
        type(value), f"of type {type(value).__name__}"
    )


def load_records(
    path: str | Path,
    *,
    id_column: str = "id",
    findings_column: str = "findings",
    impression_column: str | None = "impression",
    fmt: str | None = None,
    drop_incomplete: bool = False,
    require_impression: bool = True,
    keep_columns: tuple[str, ...] = (),
) -> list[Study]:
    """Load and validate a report file.

    ``drop_incomplete`` skips rows whose findings or impression are empty (a task's documented
    filter, e.g. IU X-ray reports without a FINDINGS section); otherwise an empty field is an error.
    """
    path = Path(path)
    wanted = [c for c in (id_column, findings_column, impression_column if require_impression else None) if c]
    studies: list[Study] = []
    first_row: dict[str, int] = {}
    checked_columns = False
    for number, row in iter_rows(path, fmt):
        if not checked_columns:
            missing = [c for c in wanted if c not in row]
            if missing:
                raise DataError(
                    f"{path}: missing column(s) {', '.join(repr(c) for c in missing)}; expected "
                    f"{', '.join(repr(c) for c in wanted)} (found {', '.join(repr(c) for c in row) or 'none'})"
                )
            checked_columns = True
        study_id = _field(path, number, row, id_column, integer_ok=True).strip()
        if not study_id:
            raise DataError(f"{path}: row {number}: empty {id_column!r}; every row needs an id")
        findings = clean_text(_field(path, number, row, findings_column))
        impression = (
            clean_text(_field(path, number, row, impression_column))
            if impression_column and impression_column in row
            else None
        )
        if not findings or (require_impression and not impression):
            if drop_incomplete:
                continue
            field = findings_column if not findings else impression_column
            raise DataError(f"{path}: row {number} (id {study_id}): empty {field!r}; expected report text")
        if study_id in first_row:
            raise DataError(
                f"{path}: row {number}: duplicate id {study_id!r} (first at row {first_row[study_id]}); ids must be unique"
            )
        first_row[study_id] = number
        meta = {c: _field(path, number, row, c, integer_ok=True) for c in keep_columns if c in row}
        studies.append(Study(id=study_id, findings=findings, impression=impression or None, meta=meta))
    if not checked_columns:
        raise DataError(f"{path}: no rows; expected at least one report")
    return studies
