"""Regenerate every table, page and plot from ``submissions/``, ``cache/`` and ``reported.yaml``.

Cache entries are recomputed from the stored predictions when missing, when the task's metric list or
a metric's version changed, or when the task data changed; the entry's numbers are updated with them."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError
from tqdm import tqdm

from rgro_bench.errors import ConfigError, RgroError
from rgro_bench.leaderboard.contamination import contamination
from rgro_bench.leaderboard.intake import checked, eval_ids, pydantic_errors
from rgro_bench.leaderboard.layout import Layout, entries, read_cache, write_cache
from rgro_bench.leaderboard.plots import write_plot
from rgro_bench.leaderboard.recompute import metric_versions, recomputed_entry, score_task
from rgro_bench.leaderboard.render import write_index, write_task_files
from rgro_bench.leaderboard.schema import Entry, ReportedFile, ReportedRow
from rgro_bench.leaderboard.significance import significance_groups
from rgro_bench.leaderboard.table import REFERENCE_MODEL, REFERENCE_SOURCE, REPORTED, Column, Row, Table
from rgro_bench.metrics import METRICS
from rgro_bench.predictions_jsonl import read_predictions
from rgro_bench.results.io import write_json
from rgro_bench.results.schema import MetricValue
from rgro_bench.tasks import Task, get_task


@dataclass
class BuildReport:
    tables: list[Table]
    warnings: list[str]


def task_columns(task: Task) -> list[Column]:
    """The task's metric columns, judges first: a table leads with what no reference trainer optimised."""
    columns = []
    for name in task.spec.metrics:
        metric = METRICS.get(name)
        shown = metric.shown_columns or tuple(metric.columns)
        columns += [Column(c, name, hib, metric.percent, metric.role, c in shown) for c, hib in metric.columns.items()]
    return sorted(columns, key=lambda c: c.role == "reward")


def reference_row(layout: Layout, task: Task, seed: int) -> Row | None:
    """The radiologists' own impressions of the evaluated split scored as a model's (None where the
    task has no references, and on credentialed data, of which the public folder holds nothing): the
    ceiling a model is compared with, recomputed when the metrics or the data change, cached beside the
    entries' scores, never ranked."""
    if task.spec.data.credentialed:
        return None
    studies = task.studies(task.spec.split.eval_split)
    if not studies or any(not s.impression for s in studies):
        return None
    path = layout.cache / task.id / "reference-impressions.json"
    stamp = {"metric_versions": metric_versions(task.spec.metrics), "data_hash": task.data_hash, "seed": seed}
    key = json.dumps([task.id, stamp], sort_keys=True)
    cached = _cached_json(path)
    if {k: cached.get(k) for k in stamp} == stamp:
        metrics = {k: MetricValue.model_validate(v) for k, v in cached["metrics"].items()}
    else:
        if key not in _REFERENCE_SCORES:  # the same numbers for every folder built in this process
            _REFERENCE_SCORES[key] = score_task(task, {s.id: s.impression for s in studies}, seed=seed).aggregates
        metrics = _REFERENCE_SCORES[key]
        write_json(path, {**stamp, "metrics": {k: v.model_dump(mode="json") for k, v in metrics.items()}})
    return Row(model=REFERENCE_MODEL, source=REFERENCE_SOURCE, metrics=metrics, n=len(studies))


_REFERENCE_SCORES: dict[str, dict[str, MetricValue]] = {}


def _cached_json(path: Path) -> dict:
    """A cache file's object, or {} when absent or damaged: the cache is derived and is recomputed."""
    try:
        cached = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return cached if isinstance(cached, dict) else {}


def refresh_entry(
    layout: Layout, entry: Entry, warnings: list[str], seed: int, task_ids: Collection[str] | None = None
) -> Entry:
    """Re-score the entry's public tasks (of ``task_ids``, default all) whose cache is missing or stale;
    returns the updated entry."""
    changed = False
    left_out: set[str] = set()
    for task_id, task_entry in list(entry.tasks.items()):
        if task_entry.source != "recomputed" or (task_ids is not None and task_id not in task_ids):
            continue
        try:
            task = get_task(task_id)
        except RgroError as exc:
            warnings.append(f"{entry.slug}: {task_id} skipped ({exc})")
            continue
        current = metric_versions(task.spec.metrics)
        fresh = (
            task_entry.metric_versions == current
            and task_entry.data_hash == task.data_hash
            and read_cache(layout, task_id, entry.slug) is not None
        )
        if fresh:
            continue
        stored = layout.entry_dir(entry.slug) / "predictions" / f"{task_id}.jsonl"
        if not stored.is_file():
            warnings.append(f"{stored}: missing; cannot recompute {entry.slug} on {task_id}")
            continue
        try:
            stored_predictions = read_predictions(stored)
        except RgroError as exc:
            warnings.append(f"{entry.slug}: left out of {task_id} ({exc})")
            left_out.add(task_id)  # for this build only: the entry's files are left as they are
            continue
        accepted, problems = checked(str(stored), stored_predictions, task)
        if accepted is None:  # the task data changed under the entry: it no longer covers the split
            warnings.append(f"{entry.slug}: dropped from {task_id}: {problems[0]}")
            del entry.tasks[task_id]
            changed = True
            continue
        scored = score_task(task, accepted, seed=seed)
        write_cache(layout, task_id, entry.slug, scored.per_sample)
        entry.tasks[task_id] = recomputed_entry(task, accepted, scored)
        changed = True
    if changed:
        write_json(layout.entry_dir(entry.slug) / "entry.json", entry)
    return entry.model_copy(update={"tasks": {k: v for k, v in entry.tasks.items() if k not in left_out}})


def load_reported(layout: Layout) -> list[ReportedRow]:
    if not layout.reported.is_file():
        return []
    try:
        raw = yaml.safe_load(layout.reported.read_text(encoding="utf-8")) or {}
        return ReportedFile.model_validate(raw).reported
    except yaml.YAMLError as exc:
        raise ConfigError(f"{layout.reported}: invalid YAML ({getattr(exc, 'problem', exc)})") from None
    except ValidationError as exc:
        raise ConfigError(pydantic_errors(str(layout.reported), exc)[0]) from None


def reported_row(item: ReportedRow, columns: list[Column]) -> Row:
    by_name = {c.name: c for c in columns}
    metrics = {}
    for name, shown in item.metrics.items():
        column = by_name.get(name)
        if column is None:
            continue
        value = shown / 100.0 if column.percent else shown
        metrics[name] = MetricValue(
            value=value,
            n=0,
            metric=column.metric,
            version="reported",
            higher_is_better=column.higher_is_better,
            percent=column.percent,
        )
    return Row(
        model=item.model, source=REPORTED, metrics=metrics, url=item.url, note=f"{item.note} Source: {item.source}"
    )


def _sort_key(row: Row, primary: Column) -> tuple[int, float]:
    value = row.metrics.get(primary.name)
    if value is None or value.value is None:
        return (1, 0.0)
    return (0, -value.value if primary.higher_is_better is not False else value.value)


def assign_groups(layout: Layout, table: Table, seed: int) -> None:
    primary = table.primary
    ids, _ = eval_ids(table.task)
    scores = {}
    for row in table.rows:
        cached = read_cache(layout, table.task.id, row.slug) if row.source == "recomputed" and row.slug else None
        if cached is not None and primary.name in cached.columns:
            scores[row.slug] = cached[primary.name].reindex(ids).to_numpy(dtype=float)
    verdicts = significance_groups(scores, primary.higher_is_better is not False, seed=seed) if scores else {}
    for row in table.rows:
        row.verdict = verdicts.get(row.slug or "")


def task_table(layout: Layout, task: Task, task_entries: list[Entry], reported: list[ReportedRow], seed: int) -> Table:
    columns = task_columns(task)
    table = Table(task=task, columns=columns, rows=[])
    for entry in task_entries:
        te = entry.tasks[task.id]
        table.rows.append(
            Row(
                model=entry.card.name,
                source=te.source,
                metrics=te.metrics,
                slug=entry.slug,
                url=entry.card.url,
                n=te.n,
                contamination=contamination(entry.card, task, te.n),
            )
        )
    if any(r.source == "recomputed" for r in table.rows):
        assign_groups(layout, table, seed)
    table.rows.sort(key=lambda r: (_sort_key(r, table.primary), r.model))
    for rank, row in enumerate(table.rows, start=1):
        row.rank = rank
    ceiling = reference_row(layout, task, seed)
    table.rows += [ceiling] if ceiling else []
    extra = [reported_row(item, columns) for item in reported if item.task == task.id]
    table.rows += sorted(extra, key=lambda r: _sort_key(r, table.primary))
    return table


def build_tables(layout: Layout, seed: int = 0, task_ids: Collection[str] | None = None) -> BuildReport:
    """The tables of every task with an entry or a reported row, or of ``task_ids`` only (the other tasks'
    entries are then neither refreshed nor drawn)."""
    warnings: list[str] = []
    accepted = []
    for entry in tqdm(entries(layout, warnings), desc="entries", leave=False):
        try:
            accepted.append(refresh_entry(layout, entry, warnings, seed, task_ids))
        except RgroError as exc:
            warnings.append(f"{entry.slug}: left out of the tables ({exc})")
    try:
        reported = load_reported(layout)
    except ConfigError as exc:  # the entries' tables are still built
        warnings.append(f"reported rows left out ({exc})")
        reported = []
    found = sorted({t for e in accepted for t in e.tasks} | {r.task for r in reported})
    tables = []
    for task_id in [t for t in found if task_ids is None or t in task_ids]:
        try:
            task = get_task(task_id)
        except RgroError as exc:
            warnings.append(f"{task_id}: skipped ({exc})")
            continue
        with_task = [e for e in accepted if task_id in e.tasks]
        tables.append(task_table(layout, task, with_task, reported, seed))
    return BuildReport(tables=tables, warnings=warnings)


def build_locked(layout: Layout, seed: int = 0) -> BuildReport:
    """Rebuild every output; the caller holds ``layout.lock()``."""
    report = build_tables(layout, seed)
    for table in report.tables:
        write_task_files(layout, table)
        write_plot(layout, table)
    write_index(layout, report.tables)
    return report


def preview_tables(leaderboard_dir: str | Path, task_ids: Collection[str], *, seed: int = 0) -> BuildReport:
    """The tables of ``task_ids`` as a build would make them now, rendered nowhere (a build refreshes the
    score caches it reads, and so does this): ``nox -s benchmark`` shows each task's table as soon as its
    entries are in, before the build that writes every file."""
    layout = Layout(Path(leaderboard_dir))
    with layout.lock():
        return build_tables(layout, seed, task_ids)


def build_leaderboard(leaderboard_dir: str | Path, *, seed: int = 0) -> BuildReport:
    """``rgro-bench leaderboard build``: regenerate tables, page and plots under the folder's lock."""
    layout = Layout(Path(leaderboard_dir))
    with layout.lock():
        return build_locked(layout, seed)
