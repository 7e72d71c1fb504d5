"""Recipe YAML files: one flat mapping whose keys are the fields of a recipe's dataclasses (script
arguments, reward arguments, the TRL config). Unknown keys are an error naming the file and the key.
Reward weights reach those dataclasses from the weights' own dataclass (:func:`prefixed_fields`)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import field, fields
from pathlib import Path
from typing import Any, TypeVar, get_type_hints

import yaml

from rgro_bench.errors import ConfigError

CONFIG_DIR = Path(__file__).parent / "configs"

T = TypeVar("T")


def prefixed_fields(source: type, prefix: str) -> Callable[[type[T]], type[T]]:
    """Class decorator, applied under ``@dataclass``: every field of the dataclass ``source`` becomes a
    field ``prefix + name`` of the decorated class, after its own, with the same type, default and
    metadata (the help and choices that HfArgumentParser shows). A weight added to ``source`` is then
    a CLI flag and a recipe YAML key without an edit here."""
    hints = get_type_hints(source)  # real types: HfArgumentParser cannot resolve names from another module

    def add(cls: type[T]) -> type[T]:
        annotations = inspect.get_annotations(cls)  # the class's own, not a base's
        for f in fields(source):
            annotations[prefix + f.name] = hints[f.name]
            setattr(
                cls, prefix + f.name, field(default=f.default, default_factory=f.default_factory, metadata=f.metadata)
            )
        cls.__annotations__ = annotations
        return cls

    return add


def unprefixed(source: type[T], values: Any, prefix: str) -> T:
    """The ``source`` dataclass built from the fields :func:`prefixed_fields` gave ``values``."""
    return source(**{f.name: getattr(values, prefix + f.name) for f in fields(source)})


def read_yaml(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read recipe YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of recipe fields, got {type(data).__name__}")
    return data


def parse_config(path: str | Path | None, dataclass_types: tuple[type, ...], overrides: dict[str, Any] | None = None):
    """The recipe's dataclasses filled from ``path`` (and ``overrides``), in the order of ``dataclass_types``."""
    from transformers import HfArgumentParser

    values = {**(read_yaml(path) if path else {}), **(overrides or {})}
    known = {f.name for t in dataclass_types for f in fields(t)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"{path or 'overrides'}: unknown recipe field(s) {', '.join(unknown)}")
    try:
        return HfArgumentParser(dataclass_types).parse_dict(values, allow_extra_keys=False)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path or 'overrides'}: {exc}") from None


def parse_cli(dataclass_types: tuple[type, ...], argv: list[str] | None, description: str):
    """``--config recipe.yaml`` plus ``--field value`` overrides (TRL's parser); fields' help is the CLI help."""
    from trl import TrlParser

    parser = TrlParser(dataclass_types, description=description)
    return parser.parse_args_and_config(argv)
