"""Ids two tasks share: the record that lets a leaderboard mark models trained on one task and
evaluated on the other as contaminated.

    python -m rgro_bench.tasks.overlap mediqa2021-indiana   # rewrites the task's overlap files
"""

from __future__ import annotations

import sys
from pathlib import Path

from rgro_bench.data.loaders import text_lines
from rgro_bench.results.io import atomic_write_text
from rgro_bench.tasks.registry import get_task
from rgro_bench.tasks.task import Task


def shared_ids(task: Task, other: Task) -> list[str]:
    mine = {s.id for s in task.all_studies()}
    return sorted(mine & {s.id for s in other.all_studies()}, key=lambda i: (len(i), i))


def overlap_file(task: Task, other_id: str) -> Path:
    assert task.yaml_path is not None
    return task.yaml_path.parent / task.spec.overlaps[other_id]


def read_overlap(task: Task, other_id: str) -> list[str]:
    """The recorded ids ``task`` shares with ``other_id`` (lines of the overlap file, '#' comments skipped)."""
    lines = text_lines(overlap_file(task, other_id).read_text(encoding="utf-8"))
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def render_overlap(task: Task, other: Task) -> str:
    ids = shared_ids(task, other)
    header = (
        f"# ids of task {task.id} (v{task.version}) that are also ids of task {other.id} (v{other.version}): "
        f"{len(ids)}\n# written by `python -m rgro_bench.tasks.overlap {task.id}`; do not edit by hand\n"
    )
    return header + "\n".join(ids) + "\n"


def main(argv: list[str] | None = None) -> int:
    for task_id in argv if argv is not None else sys.argv[1:]:
        task = get_task(task_id)
        for other_id in task.spec.overlaps:
            path = atomic_write_text(overlap_file(task, other_id), render_overlap(task, get_task(other_id)))
            print(f"{path}: {len(read_overlap(task, other_id))} shared ids")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
