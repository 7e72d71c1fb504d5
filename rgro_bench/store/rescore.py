"""Re-score from the store: the generations of a past run, found by its model identity, prompts and
generation arguments, scored again (new metrics, new metric versions) with no model at hand."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rgro_bench.errors import DataError
from rgro_bench.jsonl import read_jsonl
from rgro_bench.models.base import GenerationArgs, GenerationRequest, Model
from rgro_bench.results.schema import RunResult
from rgro_bench.store.sqlite import STORE_FILENAME, GenerationStore


class StoredModel(Model):
    """A model known only by its identity: every generation must already be in the store, which answers
    before the model is asked (``store_generations``), so any request that reaches it is a miss."""

    store_generations = True

    def __init__(self, spec: str, kind: str, identity: dict[str, Any], store: GenerationStore) -> None:
        self.spec, self.kind, self._identity, self.store = spec, kind, identity, store

    def identity(self) -> dict[str, Any]:
        return self._identity

    def generate(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> list[str]:
        if requests:
            raise DataError(
                f"store {self.store.path}: no generation of {self.spec} for {len(requests)} prompt(s) with these "
                f"generation arguments ({json.dumps(args.as_dict())}); run the model on them first"
            )
        return []


def read_run(path: str | Path) -> tuple[RunResult, Path]:
    """The results.json of a run folder (or the file itself) and its folder."""
    path = Path(path)
    results = path / "results.json" if path.is_dir() else path
    if not results.is_file():
        raise DataError(f"{path}: no results.json (pass a run folder or its results.json)")
    try:
        return RunResult.model_validate_json(results.read_text(encoding="utf-8")), results.parent
    except ValueError as exc:
        raise DataError(f"{results}: not a run result ({str(exc).splitlines()[0]})") from None


def run_sample_ids(folder: Path, result: RunResult) -> list[str] | None:
    samples = folder / result.samples_file
    if not samples.is_file():
        return None
    ids = []
    for number, row in read_jsonl(samples):
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            raise DataError(f"{samples}: line {number}: expected an object with a string 'id'")
        ids.append(row["id"])
    return ids


def guess_store(folder: Path) -> Path:
    """Runs live at OUTPUT_DIR/<task>/<model>/, the default store at OUTPUT_DIR/generations.sqlite."""
    return folder.parent.parent / STORE_FILENAME


def model_from_store(store: GenerationStore, spec: str) -> tuple[str, dict[str, Any]]:
    """(kind, identity) of the newest model stored under ``spec``."""
    found = store.models_for_spec(spec)
    if not found:
        raise DataError(f"store {store.path}: no generations of {spec} (specs are matched exactly as given to run)")
    _, identity, _ = found[0]
    return spec.partition(":")[0], identity
