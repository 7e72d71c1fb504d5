"""``rgro-bench tasks`` and ``rgro-bench metrics``: what is available."""

from __future__ import annotations

import argparse

from rgro_bench.errors import RgroError


def register(subparsers: argparse._SubParsersAction) -> None:
    tasks = subparsers.add_parser("tasks", help="list tasks, their splits and whether their data is present")
    tasks.add_argument("--json", action="store_true", help="machine-readable output")
    tasks.set_defaults(func=list_tasks)
    metrics = subparsers.add_parser("metrics", help="list metrics and the columns they report")
    metrics.add_argument("--json", action="store_true", help="machine-readable output")
    metrics.set_defaults(func=list_metrics)


def list_tasks(args: argparse.Namespace) -> int:
    import json
    import sys

    from rgro_bench.tasks import get_task, task_names
    from rgro_bench.tasks.registry import unreadable_task_files

    for problem in unreadable_task_files():
        print(f"warning: skipped {problem}", file=sys.stderr)
    rows = []
    for name in task_names():
        task = get_task(name)
        try:
            sizes = task.split_sizes()
            status = "ready"
        except RgroError as exc:
            sizes, status = {}, f"data missing: {exc}"
        rows.append(
            {
                "id": name,
                "version": task.version,
                "eval_split": task.spec.split.eval_split,
                "primary_metric": task.spec.primary_metric,
                "splits": sizes,
                "status": status,
                "credentialed": task.spec.data.credentialed,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        sizes = ", ".join(f"{k} {v}" for k, v in row["splits"].items()) or "-"
        print(f"{row['id']:<22} v{row['version']:<5} {sizes:<40} primary {row['primary_metric']}")
        if row["status"] != "ready":
            print(f"{'':<22} {row['status']}")
    return 0


def list_metrics(args: argparse.Namespace) -> int:
    import json

    from rgro_bench.metrics import METRICS

    rows = [
        {
            "name": name,
            "version": cls.version,
            "role": cls.role,
            "rewards": cls.rewards or None,
            "columns": list(cls.columns),
            "description": cls.description,
        }
        for name, cls in METRICS.items()
    ]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(
        "role: judge = no reference trainer optimises it (it may grade them); "
        "reward = a reference trainer's reward is built from it (reported beside the judges, never leading)\n"
    )
    for row in rows:
        print(f"{row['name']:<22} v{row['version']:<4} {row['role']:<7} {', '.join(row['columns'])}")
        print(f"{'':<22} {row['description']}")
        if row["rewards"]:
            print(f"{'':<22} as a reward it pays for: {row['rewards']}")
    return 0
