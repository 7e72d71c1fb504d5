"""A loaded task: its spec, its cleaned studies, their content hash and their splits."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from rgro_bench.data.loaders import load_records
from rgro_bench.data.records import Study
from rgro_bench.data.splits import grouped_split
from rgro_bench.errors import ConfigError, DataError
from rgro_bench.hashing import file_sha256
from rgro_bench.tasks.generation import GenerationArgs, GenerationRequest, resolve_generation
from rgro_bench.tasks.prompts import build_prompts
from rgro_bench.tasks.radsum import load_radsum
from rgro_bench.tasks.spec import TaskSpec


def studies_hash(studies: list[Study]) -> str:
    """Content hash of what the harness actually uses: ids and cleaned texts, in order."""
    digest = hashlib.sha256()
    for study in studies:
        for part in (study.id, study.findings, study.impression or ""):
            digest.update(part.encode())
            digest.update(b"\x00")
    return digest.hexdigest()


@dataclass
class Task:
    spec: TaskSpec
    yaml_path: Path | None = None
    data_path_override: Path | None = None
    #: finds another task by id (a few-shot source); the registry passes its ``get_task``, so this module
    #: needs no import of the registry (which imports it)
    lookup: Callable[[str], Task] | None = field(default=None, repr=False, compare=False)
    _splits: dict[str, list[Study]] | None = field(default=None, init=False, repr=False)

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def template_where(self) -> str:
        """How errors name the task's prompt template: the task file and the field."""
        return f"{self.yaml_path or self.id}: prompt.template"

    @property
    def version(self) -> str:
        return self.spec.version

    def data_path(self) -> Path:
        data = self.spec.data
        candidates: list[str] = []
        if self.data_path_override is not None:
            return self.data_path_override
        if data.env_var and os.environ.get(data.env_var):
            candidates.append(os.environ[data.env_var])
        if data.path:
            candidates.append(data.path)
        if not candidates:
            raise DataError(self._missing_message(None))
        path = Path(os.path.expanduser(candidates[0]))
        if not path.is_absolute() and self.yaml_path is not None:
            path = self.yaml_path.parent / path
        return path

    def _missing_message(self, path: Path | None) -> str:
        data = self.spec.data
        where = f"{path} does not exist" if path else "no data path is set"
        how = f" Set {data.env_var} or pass --data-dir." if data.env_var else ""
        get = f" {data.how_to_get}" if data.how_to_get else ""
        return f"task {self.id!r}: {where}.{how}{get}"

    def load(self) -> dict[str, list[Study]]:
        if self._splits is None:
            self._splits = self._load_splits()
        return self._splits

    def _load_splits(self) -> dict[str, list[Study]]:
        path = self.data_path()
        data = self.spec.data
        if not path.exists():
            raise DataError(self._missing_message(path))
        if data.sha256 and path.is_file():
            actual = file_sha256(path)
            if actual != data.sha256:
                raise DataError(
                    f"{path}: sha256 {actual[:12]}… differs from the task's {data.sha256[:12]}…; "
                    "expected the verbatim shipped file"
                )
        if data.format == "radsum" or self.spec.split.method == "files":
            return load_radsum(path, self.spec)
        studies = load_records(
            path,
            id_column=data.id_column,
            findings_column=data.findings_column,
            impression_column=data.impression_column,
            fmt=data.format,
            drop_incomplete=data.drop_incomplete,
            keep_columns=tuple(data.keep_columns),
        )
        if self.spec.split.method == "none":
            return {self.spec.split.eval_split: studies}
        return grouped_split(studies, self.spec.split.salt, self.spec.split.fractions)

    def studies(self, split: str | None = None) -> list[Study]:
        split = split or self.spec.split.eval_split
        splits = self.load()
        if split not in splits:
            raise DataError(f"task {self.id!r} has no split {split!r}; it has {', '.join(splits)}")
        return splits[split]

    def all_studies(self) -> list[Study]:
        return [s for split in self.load().values() for s in split]

    @cached_property
    def data_hash(self) -> str:
        return studies_hash(sorted(self.all_studies(), key=lambda s: s.id))

    def split_sizes(self) -> dict[str, int]:
        return {name: len(studies) for name, studies in self.load().items()}

    def fewshot_pool(self) -> list[Study]:
        """The studies few-shot examples are drawn from: ``prompt.fewshot_source`` (default: the train split)."""
        prompt = self.spec.prompt
        if prompt.fewshot == 0:
            return []
        if prompt.fewshot_source is None:
            return self.studies("train")
        task_id, _, split = prompt.fewshot_source.partition(":")
        if self.lookup is None:
            raise ConfigError(f"{self.template_where}: fewshot_source {prompt.fewshot_source!r} names another task")
        return self.lookup(task_id).studies(split or "train")

    def requests(
        self,
        split: str | None = None,
        *,
        ids: Sequence[str] | None = None,
        limit: int | None = None,
        seed: int = 0,
    ) -> list[GenerationRequest]:
        """What a model is asked on ``split`` (default: the evaluation split): one request per study, in
        split order, with its prompt. ``ids`` keeps those studies only, ``limit`` then the first N; the
        few-shot examples are drawn with ``seed``."""
        studies = self.studies(split)
        if ids is not None:
            wanted = set(ids)
            studies = [s for s in studies if s.id in wanted]
        studies = studies[:limit] if limit else studies
        prompts = build_prompts(self.spec.prompt, studies, self.fewshot_pool(), seed=seed, where=self.template_where)
        return [GenerationRequest(s, p) for s, p in zip(studies, prompts, strict=True)]

    def generation_args(self, seed: int, *overrides: Mapping[str, Any] | None) -> GenerationArgs:
        """The task's generation block with ``overrides`` applied in order (:func:`resolve_generation`)."""
        return resolve_generation(self.spec.generation, seed, *overrides)
