"""Helpers shared by the leaderboard tests: predictions built from a task's studies, submission folders."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from rgro_bench.tasks import get_task


def first_sentence_predictions(task_id: str) -> dict[str, str]:
    """A lead-1 style system: the first sentence of the findings."""
    return {s.id: s.findings.split(". ")[0].rstrip(".") + "." for s in get_task(task_id).studies()}


def constant_predictions(task_id: str, text: str = "No acute cardiopulmonary abnormality.") -> dict[str, str]:
    return {s.id: text for s in get_task(task_id).studies()}


def write_submission(
    folder: Path,
    card: dict,
    predictions: dict[str, dict[str, str]] | None = None,
    lines: dict[str, list[str]] | None = None,
) -> Path:
    """A submission folder; ``lines`` gives raw JSONL lines per task for tampered files."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model_card.yaml").write_text(yaml.safe_dump(card), encoding="utf-8")
    (folder / "predictions").mkdir(exist_ok=True)
    for task_id, rows in (predictions or {}).items():
        raw = [json.dumps({"id": i, "prediction": p}) for i, p in rows.items()]
        (folder / "predictions" / f"{task_id}.jsonl").write_text("\n".join(raw) + "\n", encoding="utf-8")
    for task_id, raw in (lines or {}).items():
        (folder / "predictions" / f"{task_id}.jsonl").write_text("\n".join(raw) + "\n", encoding="utf-8")
    return folder
