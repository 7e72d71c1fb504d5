"""``rgro-bench submit PATH`` and ``rgro-bench leaderboard build|score-local``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_DIR = Path("leaderboards")


def register(subparsers: argparse._SubParsersAction) -> None:
    submit = subparsers.add_parser("submit", help="validate a submission, recompute its metrics, add it to the tables")
    submit.add_argument("path", type=Path, help="submission folder, .zip or .tar.gz (see leaderboards/README.md)")
    submit.add_argument("--leaderboard-dir", type=Path, default=DEFAULT_DIR, help="leaderboard folder")
    submit.add_argument("--replace", action="store_true", help="supersede an existing entry of the same name")
    submit.set_defaults(func=submit_command)

    board = subparsers.add_parser("leaderboard", help="build the leaderboard tables, page and plots")
    actions = board.add_subparsers(dest="action", metavar="ACTION", required=True)
    build = actions.add_parser("build", help="regenerate every table, page and plot from the stored entries")
    build.add_argument("--leaderboard-dir", type=Path, default=DEFAULT_DIR, help="leaderboard folder")
    build.set_defaults(func=build_command)
    local = actions.add_parser("score-local", help="score a credentialed task here; write scores/<task>.json")
    local.add_argument("--task", required=True, help="credentialed task id, e.g. mimic-cxr-rrs")
    local.add_argument("--predictions", type=Path, required=True, help='JSONL of {"id", "prediction"} lines')
    local.add_argument("--data-dir", default=None, help="the task's data folder (or its environment variable)")
    local.add_argument("--output", type=Path, required=True, help="where to write the scores JSON")
    local.set_defaults(func=score_local_command)


def _refused(errors: list[str]) -> int:
    for line in errors:
        print(f"error: {line}", file=sys.stderr)
    return 2


def _print_tables(report) -> None:
    for table in report.tables:
        primary = table.primary
        print(f"{table.task.id} (sorted by {primary.name}):")
        for row in table.rows:
            metric = row.metrics.get(primary.name)
            value = (
                "—"
                if metric is None or metric.value is None
                else f"{metric.value * (100 if primary.percent else 1):.2f}"
            )
            group = f"group {row.verdict.group}" if row.verdict else row.source
            print(f"  {row.rank or '-':>3}  {row.model[:50]:<50} {value:>7}  {group}")


def submit_command(args: argparse.Namespace) -> int:
    from rgro_bench.leaderboard import SubmissionError, submit_path

    try:
        submitted = submit_path(args.leaderboard_dir, args.path, replace=args.replace)
    except SubmissionError as exc:
        return _refused(exc.errors)
    entry = submitted.entry
    for warning in entry.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"accepted {entry.card.name!r} as {entry.slug}")
    for place in submitted.placements():
        if place.rank is None:  # left out of this build; the warning above says why
            print(f"  {place.task_id}: not in the table")
            continue
        shown = "—" if place.value is None else f"{place.value:.4f}"
        print(
            f"  {place.task_id}: rank {place.rank} of {place.ranked}, {place.metric} {shown}, "
            f"group {place.group or '—'}"
        )
    return 0


def build_command(args: argparse.Namespace) -> int:
    from rgro_bench.leaderboard import build_leaderboard

    report = build_leaderboard(args.leaderboard_dir)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    _print_tables(report)
    print(f"wrote {len(report.tables)} tables, index.html and plots under {args.leaderboard_dir}")
    return 0


def score_local_command(args: argparse.Namespace) -> int:
    from rgro_bench.errors import DataError
    from rgro_bench.leaderboard import SubmissionError, score_credentialed
    from rgro_bench.leaderboard.intake import intake, jsonl_rows
    from rgro_bench.results.io import write_json
    from rgro_bench.tasks import get_task

    task = get_task(args.task, data_path=args.data_dir)
    if not args.predictions.is_file():
        raise DataError(f'{args.predictions}: not found; expected a JSONL of {{"id", "prediction"}} lines')
    where = str(args.predictions)
    rows, problems = jsonl_rows(where, args.predictions.read_bytes())
    predictions, more = intake(where, rows, task)
    if problems or predictions is None:
        return _refused(problems + more)
    try:
        scores = score_credentialed(task, predictions)
    except SubmissionError as exc:
        return _refused(exc.errors)
    write_json(args.output, scores)
    print(f"wrote {args.output}; put it in your submission as scores/{task.id}.json (predictions stay here)")
    return 0
