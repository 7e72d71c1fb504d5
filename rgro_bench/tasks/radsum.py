"""The BioNLP 2023 RadSum23 layout: a folder of line-aligned ``<split>.findings.tok`` and
``<split>.impression.tok`` files (MIMIC-CXR and MIMIC-III parts alike). Line n of each file is one study;
its id is ``<split>-<n>`` (1-based), since the layout carries no study ids of its own."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rgro_bench.data.clean import clean_text
from rgro_bench.data.loaders import read_text, text_lines
from rgro_bench.data.records import Study
from rgro_bench.errors import DataError
from rgro_bench.jsonl import text_problem

if TYPE_CHECKING:
    from rgro_bench.tasks.spec import TaskSpec

RADSUM_SPLITS = {"train": "train", "validation": "validate", "test": "test"}


def load_radsum(folder: Path, spec: TaskSpec) -> dict[str, list[Study]]:
    if not folder.is_dir():
        raise DataError(f"{folder}: expected a folder holding the RadSum23 <split>.findings.tok files")
    splits: dict[str, list[Study]] = {}
    for name, stem in RADSUM_SPLITS.items():
        findings_path = folder / f"{stem}.findings.tok"
        impression_path = folder / f"{stem}.impression.tok"
        if not findings_path.exists():
            continue
        findings = text_lines(read_text(findings_path))
        impressions = text_lines(read_text(impression_path)) if impression_path.exists() else [None] * len(findings)
        if len(impressions) != len(findings):
            raise DataError(
                f"{impression_path}: {len(impressions)} lines but {findings_path.name} has {len(findings)}; "
                "expected line-aligned files"
            )
        studies = []
        for number, (f, i) in enumerate(zip(findings, impressions, strict=True), start=1):
            if not f.strip():
                raise DataError(f"{findings_path}: line {number}: empty findings; expected report text")
            for path, text in ((findings_path, f), (impression_path, i or "")):
                if problem := text_problem(text):
                    raise DataError(f"{path}: line {number}: {problem}")
            studies.append(
                Study(id=f"{name}-{number}", findings=clean_text(f), impression=clean_text(i) if i else None)
            )
        splits[name] = studies
    if spec.split.eval_split not in splits:
        expected = RADSUM_SPLITS.get(spec.split.eval_split, spec.split.eval_split)
        raise DataError(
            f"{folder}: no {expected}.findings.tok; expected the RadSum23 files of task {spec.id!r}. "
            f"{spec.data.how_to_get or ''}".strip()
        )
    return splits
