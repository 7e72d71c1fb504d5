"""``rgro-bench score``: score a predictions file with every metric of a task, no model needed."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    score = subparsers.add_parser("score", help="score a predictions JSONL (id -> impression) without a model")
    score.add_argument("--task", required=True, help="task id or task YAML path")
    score.add_argument("--predictions", type=Path, required=True, help='JSONL of {"id": ..., "prediction": ...}')
    score.add_argument("--split", default=None, help="split the ids belong to (default: the task's evaluation split)")
    score.add_argument("--metrics", default=None, help="comma-separated metric names (default: the task's list)")
    score.add_argument("--allow-partial", action="store_true", help="score only the ids present in the file")
    score.add_argument("--output-dir", type=Path, default=Path("runs"), help="results go to OUTPUT_DIR/<task>/<file>/")
    score.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    score.add_argument("--data-dir", default=None, help="data file/folder for tasks whose data is not shipped")
    score.set_defaults(func=score_command)


def score_command(args: argparse.Namespace) -> int:
    from rgro_bench.models.predictions import PredictionsFile
    from rgro_bench.results.summary import print_summary
    from rgro_bench.runner import evaluate
    from rgro_bench.tasks import get_task

    task = get_task(args.task, data_path=args.data_dir)
    model = PredictionsFile(args.predictions, allow_partial=args.allow_partial)
    split_ids = {s.id for s in task.studies(args.split)}
    ids = [i for i in model.predictions if i in split_ids] if args.allow_partial else None
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    evaluation = evaluate(
        model, task, split=args.split, metrics=metrics, output_dir=args.output_dir, seed=args.seed, ids=ids
    )
    print_summary(evaluation.result, evaluation.results_path)
    return 0
