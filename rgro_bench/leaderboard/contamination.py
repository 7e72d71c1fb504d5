"""Contamination: how many of a task's evaluated ids a model declares it was trained on.

Two tasks share an id space when they are the same task or when either lists the other under
``overlaps`` (MEDIQA 2021's Indiana set reuses IU X-ray uids, for instance). Ids are only compared within
a shared id space, so unrelated tasks whose ids happen to coincide ("1", "2", …) are never flagged. When
the task names an overlap file, only the ids it lists count."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from rgro_bench.errors import RgroError
from rgro_bench.leaderboard.schema import ModelCard, TrainingSet
from rgro_bench.tasks import Task, get_task
from rgro_bench.tasks.overlap import overlap_file, read_overlap


@dataclass(frozen=True)
class Contamination:
    overlap: int = 0
    sources: list[str] = field(default_factory=list)  # the training sets that overlap, e.g. "iu-xray:train"

    @property
    def flagged(self) -> bool:
        return self.overlap > 0


@cache
def split_ids(task_id: str, split: str) -> frozenset[str]:
    return frozenset(s.id for s in get_task(task_id).studies(split))


def shares_ids(task: Task, other_id: str) -> bool:
    if other_id == task.id or other_id in task.spec.overlaps:
        return True
    try:
        return task.id in get_task(other_id).spec.overlaps
    except RgroError:
        return False


def overlap_file_ids(task: Task, other_id: str) -> frozenset[str] | None:
    if other_id not in task.spec.overlaps or task.yaml_path is None or not overlap_file(task, other_id).is_file():
        return None
    return frozenset(read_overlap(task, other_id))


def training_ids(item: TrainingSet) -> frozenset[str] | None:
    if item.ids is not None:
        return frozenset(item.ids)
    try:
        return split_ids(item.task, item.split or "")
    except RgroError:  # unknown task or split, or credentialed data not on this machine
        return None


def contamination(card: ModelCard, task: Task, n_evaluated: int) -> Contamination:
    """Overlap between the card's declared training data and ``task``'s evaluated split."""
    eval_split = task.spec.split.eval_split
    try:
        evaluated: frozenset[str] | None = split_ids(task.id, eval_split)
    except RgroError:
        evaluated = None
    shared: set[str] = set()
    whole_split = False
    sources = []
    for item in card.training_data:
        if task.id in item.exclude_overlap_with or not shares_ids(task, item.task):
            continue
        if item.task == task.id and item.split == eval_split:
            whole_split, hit = True, True  # trained on the very split it is evaluated on
        else:
            ids = training_ids(item)
            if ids is None or evaluated is None:
                continue
            listed = overlap_file_ids(task, item.task)
            common = evaluated & ids if listed is None else evaluated & ids & listed
            shared |= common
            hit = bool(common)
        if hit:
            sources.append(item.label())
    overlap = n_evaluated if whole_split else len(shared)
    return Contamination(overlap=overlap, sources=sources)
