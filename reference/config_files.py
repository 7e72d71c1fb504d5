"""Recipe YAML files: one flat mapping whose keys are the fields of a recipe's dataclasses (script
arguments, reward arguments, the TRL config). Unknown keys are an error naming the file and the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from rgro_bench.errors import ConfigError

CONFIG_DIR = Path(__file__).parent / "configs"


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
    from dataclasses import fields

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
