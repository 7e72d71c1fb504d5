"""Accepting an entry: validate, recompute every metric from the predictions, store, rebuild the tables.

``submit_predictions`` is the one way in, used by ``rgro-bench submit`` and by ``nox -s benchmark`` for
the baselines, so a baseline is an entry like any other."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pydantic import ValidationError

from rgro_bench.errors import RgroError
from rgro_bench.hashing import bytes_sha256, predictions_sha256
from rgro_bench.leaderboard.build import BuildReport, build_locked
from rgro_bench.leaderboard.intake import (
    CheckedPredictions,
    SubmissionError,
    checked,
    pydantic_errors,
    read_submission,
    unpacked,
)
from rgro_bench.leaderboard.layout import Layout, entry_slug, install_entry, write_cache
from rgro_bench.leaderboard.recompute import metric_versions, recomputed_entry, score_task
from rgro_bench.leaderboard.schema import CredentialedScores, Entry, ModelCard, TaskEntry
from rgro_bench.metrics import ScoredRun
from rgro_bench.tasks import Task, get_task
from rgro_bench.version import __version__


def credentialed_entry(scores: CredentialedScores) -> TaskEntry:
    return TaskEntry(
        task_version=scores.task_version,
        data_hash=scores.data_hash,
        split=scores.split,
        n=scores.n,
        source="self-computed (credentialed data)",
        predictions_sha256=scores.predictions_sha256,
        metric_versions=scores.metric_versions,
        metrics=scores.metrics,
        scored_with=scores.rgro_bench,
    )


def score_credentialed(task: str | Task, predictions: Mapping[str, str], *, seed: int = 0) -> CredentialedScores:
    """Score a credentialed task on the machine that holds its data; the result (not the predictions)
    goes into a submission as ``scores/<task>.json``."""
    task = get_task(task) if isinstance(task, str) else task
    accepted, errors = checked(f"predictions for {task.id}", predictions, task)
    if accepted is None:
        raise SubmissionError(errors)
    scored = score_task(task, accepted, seed=seed)
    return CredentialedScores(
        task=task.id,
        task_version=task.version,
        data_hash=task.data_hash,
        split=accepted.split,
        n=len(accepted),
        predictions_sha256=predictions_sha256(dict(accepted)),
        metric_versions=metric_versions(task.spec.metrics),
        metrics=scored.aggregates,
        rgro_bench=__version__,
    )


def _validated_card(model_card: Mapping | ModelCard) -> tuple[ModelCard, list[str]]:
    if isinstance(model_card, ModelCard):
        return model_card, []
    raw = dict(model_card)
    warnings = []
    if "scores" in raw:
        raw.pop("scores")
        warnings.append("model card: 'scores' dropped; the leaderboard recomputes every number from the predictions")
    try:
        return ModelCard.model_validate(raw), warnings
    except ValidationError as exc:
        raise SubmissionError(pydantic_errors("model card", exc)) from None


def submit_predictions(
    leaderboard_dir: str | Path,
    model_card: Mapping | ModelCard,
    predictions: Mapping[str, Mapping[str, str]],
    *,
    credentialed: Mapping[str, CredentialedScores] | None = None,
    replace: bool = False,
    seed: int = 0,
    build: bool = True,
    warnings: list[str] | None = None,
    card_sha256: str | None = None,
    scored: Mapping[str, ScoredRun] | None = None,
) -> Submitted:
    """Validate, recompute and store an entry; rebuild the tables unless ``build`` is False. Returns the
    entry and the tables it built, so a caller reports from them rather than from the files written.

    ``predictions`` maps task id -> {study id -> impression} and must cover each task's evaluated split
    exactly; predictions intake already checked for the task (``CheckedPredictions``) are not checked
    again. ``scored`` (task id -> run) offers runs already scored from these predictions, reused only
    where ``score_task`` verifies them. Raises ``SubmissionError`` (one line per problem) when anything
    is wrong."""
    card, card_warnings = _validated_card(model_card)
    warnings = [*(warnings or []), *card_warnings]
    layout = Layout(Path(leaderboard_dir))
    slug = entry_slug(card.name)
    _refuse_existing(layout, slug, card.name, replace)

    errors: list[str] = []
    tasks: dict[str, TaskEntry] = {}
    caches = {}
    stored: dict[str, CheckedPredictions] = {}
    for task_id, rows in predictions.items():
        task = get_task(task_id)
        where = f"predictions/{task.id}"
        if task.spec.data.credentialed:
            errors.append(
                f"{where}: predictions on credentialed task {task.id!r} are never stored or published; "
                "submit scores made with `rgro-bench leaderboard score-local` instead"
            )
            continue
        accepted, problems = checked(where, rows, task)
        if accepted is None:
            errors += problems
            continue
        run = score_task(task, accepted, seed=seed, prior=(scored or {}).get(task.id))
        tasks[task.id], caches[task.id], stored[task.id] = recomputed_entry(task, accepted, run), run, accepted
    for task_id, scores in (credentialed or {}).items():
        tasks[task_id] = credentialed_entry(scores)
    if not tasks and not errors:
        errors.append("submission: no predictions and no credentialed scores; expected at least one task")
    if errors:
        raise SubmissionError(errors)

    entry = Entry(
        slug=slug,
        card=card,
        submitted_at=datetime.now(timezone.utc),
        rgro_bench=__version__,
        card_sha256=card_sha256 or bytes_sha256(card.model_dump_json().encode()),
        tasks=tasks,
        warnings=warnings,
    )
    with layout.lock():
        _refuse_existing(layout, slug, card.name, replace)  # another process may have landed it meanwhile
        for task_id, run in caches.items():
            write_cache(layout, task_id, slug, run.per_sample)
        install_entry(layout, entry, stored)
        report = _build_after_install(layout, entry, seed) if build else None
    return Submitted(entry, report)


@dataclass(frozen=True)
class Placement:
    """Where an entry landed in one task's table: its rank among the ranked rows, its primary metric's
    value and its significance group (None where the table left it out)."""

    task_id: str
    metric: str
    rank: int | None = None
    ranked: int = 0
    value: float | None = None
    group: int | None = None


@dataclass(frozen=True)
class Submitted:
    """What a submit built: the entry as stored and, when it rebuilt the tables, their build report."""

    entry: Entry
    report: BuildReport | None = None

    def placements(self) -> list[Placement]:
        """The entry's place in the table of each of its tasks, in the entry's order (none without a build)."""
        tables = {t.task.id: t for t in self.report.tables} if self.report else {}
        out = []
        for task_id in self.entry.tasks if self.report else []:
            table = tables.get(task_id)
            row = None if table is None else next((r for r in table.rows if r.slug == self.entry.slug), None)
            if table is None or row is None:
                out.append(Placement(task_id, table.primary.name if table else ""))
                continue
            primary = table.primary.name
            value = row.metrics.get(primary)
            out.append(
                Placement(
                    task_id,
                    primary,
                    rank=row.rank,
                    ranked=sum(r.rank is not None for r in table.rows),
                    value=None if value is None else value.value,
                    group=row.verdict.group if row.verdict else None,
                )
            )
        return out


class BuildFailedError(RgroError):
    """The entry is installed, but the tables could not be rebuilt: the submitter must not resubmit."""


def _build_after_install(layout: Layout, entry: Entry, seed: int) -> BuildReport:
    try:
        report = build_locked(layout, seed=seed)
    except (RgroError, OSError) as exc:
        if isinstance(exc, OSError) and exc.filename:
            reason = f"{exc.filename2 or exc.filename}: {exc.strerror}"  # a rename names the target second
        else:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BuildFailedError(
            f"accepted {entry.card.name!r} as {entry.slug}, build failed: {reason}; "
            "fix it and run `rgro-bench leaderboard build`"
        ) from None
    entry.warnings += [w for w in report.warnings if w.startswith(f"{entry.slug}:")]
    return report


def _refuse_existing(layout: Layout, slug: str, name: str, replace: bool) -> None:
    if not replace and layout.entry_dir(slug).exists():
        raise SubmissionError(
            [
                f"model_card.yaml: field 'name': an entry {slug!r} already exists for {name!r}; "
                "expected a new name, or pass --replace to supersede it"
            ]
        )


def submit_path(leaderboard_dir: str | Path, path: str | Path, *, replace: bool = False, seed: int = 0) -> Submitted:
    """``rgro-bench submit PATH``: a submission folder or archive."""
    with unpacked(Path(path)) as folder:
        submission = read_submission(folder)
    return submit_predictions(
        leaderboard_dir,
        submission.card,
        submission.predictions,
        credentialed=submission.credentialed,
        replace=replace,
        seed=seed,
        warnings=submission.warnings,
        card_sha256=submission.card_sha256,
    )
