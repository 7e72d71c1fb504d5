"""Task registry: every ``*.yaml`` in the built-in ``tasks/`` folder and in the folders listed in
``RGRO_BENCH_TASKS`` (os.pathsep-separated), plus any YAML path given directly."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from rgro_bench.errors import ConfigError, UnknownNameError
from rgro_bench.registry import Registry
from rgro_bench.tasks.spec import TaskSpec
from rgro_bench.tasks.task import Task


def builtin_tasks_dir() -> Path:
    package = Path(__file__).resolve().parents[1]
    in_repo = package.parent / "tasks"  # editable install or a source checkout
    return in_repo if in_repo.is_dir() else package / "_tasks"  # wheel: force-included copy


def task_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("RGRO_BENCH_TASKS", "").split(os.pathsep) if p]
    return [builtin_tasks_dir(), *extra]


def load_spec(path: Path) -> TaskSpec:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read task file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; expected a YAML task file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path}: {where}invalid YAML ({problem})") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a YAML mapping of task fields, got {type(raw).__name__}")
    try:
        return TaskSpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{path}: field {field!r}: {first['msg']}{more}") from None


@dataclass(frozen=True)
class _Catalogue:
    tasks: Registry[Path]
    #: one line per task file that could not be read; the other tasks stay usable
    unreadable: list[str]
    #: task id -> why it cannot be used (two files declare it)
    ambiguous: dict[str, str]


@cache
def _catalogue() -> _Catalogue:
    registry: Registry[Path] = Registry("task")
    unreadable: list[str] = []
    ambiguous: dict[str, str] = {}
    for folder in task_dirs():
        for path in sorted(folder.glob("*.yaml")):
            try:
                task_id = load_spec(path).id
            except ConfigError as exc:
                unreadable.append(str(exc))
                continue
            if task_id in registry:
                ambiguous[task_id] = (
                    f"task id {task_id!r} is declared by both {registry.get(task_id)} and {path}; "
                    "expected each id in one task file"
                )
                continue
            registry.register(task_id, path)
    return _Catalogue(registry, unreadable, ambiguous)


def _registry() -> Registry[Path]:
    return _catalogue().tasks


def unreadable_task_files() -> list[str]:
    """One line per task file skipped by the registry (shown by ``rgro-bench tasks``)."""
    return list(_catalogue().unreadable)


def _registered_path(name: str) -> Path:
    catalogue = _catalogue()
    if name in catalogue.ambiguous:
        raise ConfigError(catalogue.ambiguous[name])
    try:
        return catalogue.tasks.get(name)
    except UnknownNameError as exc:
        if not catalogue.unreadable:
            raise
        skipped = f" ({len(catalogue.unreadable)} task file(s) skipped; first: {catalogue.unreadable[0]})"
        raise UnknownNameError(f"{exc}{skipped}") from None


def task_names() -> list[str]:
    return list(_registry())


@cache
def _load_task(path: Path) -> Task:
    return Task(spec=load_spec(path), yaml_path=path, lookup=get_task)


def get_task(name_or_path: str, data_path: str | Path | None = None) -> Task:
    """A task by registered id, or by the path of a task YAML file."""
    as_path = Path(name_or_path)
    if name_or_path.endswith((".yaml", ".yml")):
        if not as_path.is_file():
            raise ConfigError(f"{as_path}: task file not found")
        task = Task(spec=load_spec(as_path.resolve()), yaml_path=as_path.resolve(), lookup=get_task)
    else:
        task = _load_task(_registered_path(name_or_path))
    if data_path is not None:
        task = Task(spec=task.spec, yaml_path=task.yaml_path, data_path_override=Path(data_path), lookup=get_task)
    return task
