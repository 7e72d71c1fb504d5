"""Reading and validating a submission: a folder or a .zip/.tar.gz holding ``model_card.yaml``,
``predictions/<task>.jsonl`` and, for credentialed tasks only, ``scores/<task>.json``.

Every problem found is collected as one line naming the file, line or field and what was expected, so a
submitter sees all of them at once."""

from __future__ import annotations

import contextlib
import lzma
import math
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import ValidationError

from rgro_bench.errors import RgroError
from rgro_bench.hashing import bytes_sha256
from rgro_bench.jsonl import LineProblem, parse_line, split_lines, text_problem
from rgro_bench.leaderboard.schema import CredentialedScores, ModelCard
from rgro_bench.metrics import METRICS
from rgro_bench.predictions_jsonl import PredictionLineError, prediction_row
from rgro_bench.tasks import Task, get_task

#: an impression is a few sentences; 4,000 characters is ten times the longest in IU X-ray
PREDICTION_MAX_CHARS = 4_000
#: a JSONL line longer than this is refused before it is parsed
LINE_MAX_BYTES = 64 * 1024
#: one predictions file (MIMIC-CXR's test split is the largest in view: a few thousand lines)
FILE_MAX_BYTES = 64 * 1024 * 1024
#: everything an archive may unpack to
ARCHIVE_MAX_BYTES = 256 * 1024 * 1024
#: after this many problems in one file the rest are counted, not listed
MAX_ERRORS_PER_FILE = 20

CARD_FILE = "model_card.yaml"


class SubmissionError(RgroError):
    """A submission was refused; ``errors`` holds one line per problem."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass(frozen=True, eq=False)
class CheckedPredictions(Mapping[str, str]):
    """One task's predictions as intake accepted them: every id of the evaluated split once, in split
    order, each a usable impression. Read-only, and stamped with the task data it was checked against, so
    what follows intake (recompute, submit) uses it as it is instead of checking it again."""

    task_id: str
    data_hash: str
    split: str
    texts: Mapping[str, str]

    def __getitem__(self, sample_id: str) -> str:
        return self.texts[sample_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self.texts)

    def __len__(self) -> int:
        return len(self.texts)

    def checked_for(self, task: Task) -> bool:
        """Whether intake checked these against ``task`` as its data is now."""
        return self.task_id == task.id and self.data_hash == task.data_hash


def intake(where: str, rows: Iterable[tuple[str, Any]], task: Task) -> tuple[CheckedPredictions | None, list[str]]:
    """Check (location, parsed object) rows against ``task``'s evaluated split: the checked predictions,
    or None and the problems found."""
    ids, split = eval_ids(task)
    predictions, problems = check_predictions(where, rows, ids, split)
    if problems:
        return None, problems
    return CheckedPredictions(task.id, task.data_hash, split, MappingProxyType(predictions)), []


def checked(where: str, predictions: Mapping[str, str], task: Task) -> tuple[CheckedPredictions | None, list[str]]:
    """``predictions`` (id -> text) as checked for ``task``: as given when intake already checked them for
    it, else through :func:`intake`."""
    if isinstance(predictions, CheckedPredictions) and predictions.checked_for(task):
        return predictions, []
    return intake(where, [(f"id {i!r}", {"id": i, "prediction": p}) for i, p in predictions.items()], task)


@dataclass
class Submission:
    card: ModelCard
    card_sha256: str
    predictions: dict[str, CheckedPredictions] = field(default_factory=dict)  # task -> checked predictions
    credentialed: dict[str, CredentialedScores] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def pydantic_errors(where: str, exc: ValidationError) -> list[str]:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"{where}: field {loc!r}: {err['msg'].removeprefix('Value error, ')}")
    return lines


class _Problems:
    """Collects the problems of one file, listing the first few and counting the rest."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.lines: list[str] = []
        self.hidden = 0

    def add(self, message: str) -> None:
        if len(self.lines) < MAX_ERRORS_PER_FILE:
            self.lines.append(f"{self.where}: {message}")
        else:
            self.hidden += 1

    def result(self) -> list[str]:
        more = [f"{self.where}: … and {self.hidden} more problems"] if self.hidden else []
        return self.lines + more


def check_predictions(
    where: str, rows: Iterable[tuple[str, Any]], expected_ids: list[str], split: str
) -> tuple[dict[str, str], list[str]]:
    """Validate (location, parsed object) rows against the ids of the evaluated split.

    Returns the predictions in split order and the problems found."""
    problems = _Problems(where)
    expected = set(expected_ids)
    seen: dict[str, str] = {}
    found: dict[str, str] = {}
    for loc, obj in rows:
        try:
            sample_id, text = prediction_row(obj)
        except PredictionLineError as exc:
            problems.add(f"{loc}: {exc}")
            continue
        shown = sample_id if len(sample_id) <= 40 else sample_id[:40] + "…"
        if not isinstance(text, str):
            problems.add(f"{loc}: 'prediction' for id {shown!r} must be a string, got {type(text).__name__}")
        elif not text.strip():
            problems.add(f"{loc}: 'prediction' for id {shown!r} is empty; expected the impression text")
        elif not any(ch.isalnum() for ch in text):
            problems.add(f"{loc}: 'prediction' for id {shown!r} has no letters or digits; expected the impression text")
        elif text_problem(text):
            problems.add(f"{loc}: 'prediction' for id {shown!r} {text_problem(text)}")
        elif len(text) > PREDICTION_MAX_CHARS:
            problems.add(
                f"{loc}: 'prediction' for id {shown!r} is {len(text):,} characters; expected at most "
                f"{PREDICTION_MAX_CHARS:,}"
            )
        if sample_id in seen:
            problems.add(f"{loc}: duplicate id {shown!r} (first at {seen[sample_id]}); expected each id once")
            continue
        seen[sample_id] = loc
        if sample_id not in expected:
            problems.add(f"{loc}: id {shown!r} is not in the task's {split!r} split")
            continue
        if isinstance(text, str):
            found[sample_id] = text
    missing = [i for i in expected_ids if i not in seen]
    if missing:
        example = ", ".join(repr(i) for i in missing[:5])
        problems.add(
            f"{len(missing)} of the {len(expected_ids)} ids of the {split!r} split have no prediction "
            f"(e.g. {example}); expected one line per id"
        )
    errors = problems.result()
    ordered = {} if errors else {i: found[i] for i in expected_ids}
    return ordered, errors


def jsonl_rows(where: str, data: bytes) -> tuple[list[tuple[str, Any]], list[str]]:
    """Parse JSONL bytes into (\"line N\", object) rows; unparsable lines become problems."""
    problems = _Problems(where)
    rows: list[tuple[str, Any]] = []
    for number, raw in split_lines(data):
        if len(raw) > LINE_MAX_BYTES:
            problems.add(
                f"line {number}: {len(raw):,} bytes; expected at most {LINE_MAX_BYTES:,} per line "
                f"(a prediction holds at most {PREDICTION_MAX_CHARS:,} characters)"
            )
            continue
        try:
            rows.append((f"line {number}", parse_line(raw)))
        except LineProblem as exc:
            problems.add(f"line {number}: {exc}")
    return rows, problems.result()


def eval_ids(task: Task) -> tuple[list[str], str]:
    split = task.spec.split.eval_split
    return [s.id for s in task.studies(split)], split


def load_card(path: Path) -> tuple[ModelCard | None, str, list[str], list[str]]:
    """The validated card, the sha256 of the file, its problems and its warnings."""
    where = path.name
    if not path.is_file():
        return None, "", [f"{where}: missing; expected a YAML model card at the top of the submission"], []
    data = path.read_bytes()
    try:
        raw = yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "", [f"{where}: not UTF-8 text; expected a YAML model card"], []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark else ""
        return None, "", [f"{where}: {line}invalid YAML ({getattr(exc, 'problem', None) or 'unparsable'})"], []
    if not isinstance(raw, dict):
        return None, "", [f"{where}: expected a mapping of card fields, got {type(raw).__name__}"], []
    warnings = []
    if "scores" in raw:
        raw = {k: v for k, v in raw.items() if k != "scores"}
        warnings.append(f"{where}: 'scores' dropped; the leaderboard recomputes every number from the predictions")
    try:
        card = ModelCard.model_validate(raw)
    except ValidationError as exc:
        return None, "", pydantic_errors(where, exc), warnings
    return card, bytes_sha256(data), [], warnings


def check_credentialed_scores(path: Path, task: Task) -> tuple[CredentialedScores | None, list[str]]:
    where = f"scores/{path.name}"
    try:
        scores = CredentialedScores.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        return None, pydantic_errors(where, exc)
    errors = []
    if scores.task != task.id:
        errors.append(f"{where}: field 'task' is {scores.task!r}; expected {task.id!r} (the file's name)")
    if scores.task_version != task.version:
        errors.append(f"{where}: task_version {scores.task_version!r}; expected {task.version!r}, rescore locally")
    missing = [m for m in task.spec.metrics if m not in scores.metric_versions]
    if missing:
        errors.append(f"{where}: no scores for metrics {missing}; expected every metric the task lists")
    errors += _split_size_errors(where, scores, task)
    for name in task.spec.metrics:
        errors += _metric_value_errors(where, scores, name)
    return (None if errors else scores), errors


def _split_size_errors(where: str, scores: CredentialedScores, task: Task) -> list[str]:
    """``n`` must be the evaluated split's size: from the task's data when present here, else the size
    its YAML declares (``split.eval_size``)."""
    if scores.split != task.spec.split.eval_split:
        return [f"{where}: field 'split' is {scores.split!r}; expected {task.spec.split.eval_split!r}"]
    expected = task.spec.split.eval_size
    with contextlib.suppress(RgroError):  # credentialed data is normally not on the leaderboard's machine
        expected = len(task.studies(task.spec.split.eval_split))
    if expected is not None and scores.n != expected:
        return [f"{where}: field 'n' is {scores.n}; expected {expected}, the size of the {scores.split!r} split"]
    return []


def _metric_value_errors(where: str, scores: CredentialedScores, name: str) -> list[str]:
    """Every column of the metric present, as the registry describes it, finite, in the metric's range,
    inside its own interval, on no more samples than were scored."""
    metric = METRICS.get(name)
    low, high = metric.value_range or (-math.inf, math.inf)
    errors = []
    for column in metric.columns:
        field = f"{where}: field 'metrics.{column}'"
        value = scores.metrics.get(column)
        if value is None:
            errors.append(f"{field}: missing; expected every column of metric {name!r}")
            continue
        if value.metric != name or value.percent != metric.percent:
            errors.append(
                f"{field}: metric {value.metric!r}, percent {value.percent}; expected {name!r}, {metric.percent}"
            )
        if not 0 <= value.n <= scores.n:
            errors.append(f"{field}: n {value.n}; expected 0 to {scores.n} (the samples scored)")
        if value.value is None:
            if not value.unavailable:
                errors.append(f"{field}: no value and no 'unavailable' reason; expected one of them")
            continue
        numbers = {"value": value.value, "ci_low": value.ci_low, "ci_high": value.ci_high}
        bad = [k for k, v in numbers.items() if v is not None and not math.isfinite(v)]
        if bad:
            errors.append(f"{field}: {', '.join(bad)} not finite; expected real numbers")
            continue
        outside = [f"{k} {v}" for k, v in numbers.items() if v is not None and not low <= v <= high]
        if outside:
            errors.append(f"{field}: {', '.join(outside)} outside [{low}, {high}], the range of metric {name!r}")
        if (value.ci_low is None) != (value.ci_high is None) or (
            value.ci_low is not None and not value.ci_low <= value.value <= value.ci_high
        ):
            errors.append(
                f"{field}: interval [{value.ci_low}, {value.ci_high}] does not contain the value {value.value}; "
                "expected ci_low <= value <= ci_high"
            )
    return errors


def read_submission(folder: Path) -> Submission:
    """Validate an unpacked submission folder; raises ``SubmissionError`` listing every problem."""
    errors = _outside_paths(folder)
    if errors:  # nothing is read through a link that leaves the folder, so no outside content is echoed
        raise SubmissionError(errors)
    card, card_sha, card_errors, warnings = load_card(folder / CARD_FILE)
    errors += card_errors
    submission = Submission(card=card, card_sha256=card_sha, warnings=warnings)  # type: ignore[arg-type]

    prediction_files = sorted((folder / "predictions").glob("*")) if (folder / "predictions").is_dir() else []
    for path in prediction_files:
        where = f"predictions/{path.name}"
        if path.suffix != ".jsonl" or not path.is_file():
            errors.append(f"{where}: unexpected file; expected predictions/<task-id>.jsonl")
            continue
        task = _task_or_error(path.stem, where, errors)
        if task is None:
            continue
        if task.spec.data.credentialed:
            errors.append(
                f"{where}: predictions on credentialed task {task.id!r} must not be submitted; remove the file and "
                f"include scores/{task.id}.json made with `rgro-bench leaderboard score-local` instead"
            )
            continue
        if path.stat().st_size > FILE_MAX_BYTES:
            errors.append(f"{where}: {path.stat().st_size:,} bytes; expected at most {FILE_MAX_BYTES:,}")
            continue
        rows, problems = jsonl_rows(where, path.read_bytes())
        predictions, more = intake(where, rows, task)
        errors += problems + more
        if predictions is not None:
            submission.predictions[task.id] = predictions

    score_files = sorted((folder / "scores").glob("*")) if (folder / "scores").is_dir() else []
    for path in score_files:
        where = f"scores/{path.name}"
        task = _task_or_error(path.stem, where, errors) if path.suffix == ".json" else None
        if task is None:
            if path.suffix != ".json":
                errors.append(f"{where}: unexpected file; expected scores/<credentialed-task-id>.json")
            continue
        if not task.spec.data.credentialed:
            submission.warnings.append(f"{where}: ignored; scores on public task {task.id!r} are recomputed")
            continue
        scores, more = check_credentialed_scores(path, task)
        errors += more
        if scores is not None:
            submission.credentialed[task.id] = scores

    if not prediction_files and not score_files:
        errors.append(
            f"{folder.name}: no predictions/<task-id>.jsonl and no scores/<task-id>.json; expected at least one"
        )
    if errors:
        raise SubmissionError(errors)
    return submission


def _outside_paths(folder: Path) -> list[str]:
    """One line per path of the submission that resolves outside its folder (a symlink out of it)."""
    root = folder.resolve()
    candidates = [folder / CARD_FILE]
    for sub in ("predictions", "scores"):
        candidates += [folder / sub, *((folder / sub).glob("*") if (folder / sub).is_dir() else [])]
    return [
        f"{path.relative_to(folder)}: resolves outside the submission folder; expected a plain file inside it"
        for path in candidates
        if (path.is_symlink() or path.exists()) and not path.resolve().is_relative_to(root)
    ]


def _task_or_error(task_id: str, where: str, errors: list[str]) -> Task | None:
    try:
        return get_task(task_id)
    except RgroError as exc:
        errors.append(f"{where}: {exc}")
        return None


def _safe_member(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith(("/", "\\")) and ".." not in parts and ":" not in parts[0]


def _extract(archive: Path, target: Path) -> None:
    try:
        _unpack(archive, target)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError) as exc:
        reason = type(exc).__name__ if isinstance(exc, OSError) else (str(exc) or type(exc).__name__)
        raise SubmissionError(
            [f"{archive.name}: damaged archive ({reason}); expected a complete .zip or .tar.gz"]
        ) from None


def _unpack(archive: Path, target: Path) -> None:
    where = archive.name
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if sum(i.file_size for i in infos) > ARCHIVE_MAX_BYTES:
                raise SubmissionError([f"{where}: unpacks to more than {ARCHIVE_MAX_BYTES:,} bytes"])
            bad = [i.filename for i in infos if not _safe_member(i.filename)]
            if bad:
                raise SubmissionError([f"{where}: member {bad[0]!r} escapes the archive; expected relative paths"])
            zf.extractall(target)
        return
    try:
        with tarfile.open(archive) as tf:
            members = tf.getmembers()
            if sum(m.size for m in members) > ARCHIVE_MAX_BYTES:
                raise SubmissionError([f"{where}: unpacks to more than {ARCHIVE_MAX_BYTES:,} bytes"])
            try:
                tf.extractall(target, filter="data")  # refuses absolute paths, '..', links out, devices
            except tarfile.FilterError as exc:
                raise SubmissionError([f"{where}: {exc}; expected plain files with relative paths"]) from None
    except tarfile.ReadError:
        raise SubmissionError([f"{where}: not a .zip or .tar.gz archive; expected a folder or an archive"]) from None


@contextlib.contextmanager
def unpacked(path: Path) -> Iterator[Path]:
    """The submission folder: ``path`` itself, or an archive unpacked to a temporary folder (a single
    top-level folder inside the archive is stepped into)."""
    if path.is_dir():
        yield path
        return
    if not path.is_file():
        raise SubmissionError([f"{path}: not found; expected a submission folder, .zip or .tar.gz"])
    with tempfile.TemporaryDirectory(prefix="rgro-submission-") as tmp:
        root = Path(tmp)
        _extract(path, root)
        children = [p for p in root.iterdir() if not p.name.startswith(".")]
        if not (root / CARD_FILE).exists() and len(children) == 1 and children[0].is_dir():
            root = children[0]
        yield root
