"""What a model is asked: one request per study (its prompt) and the generation arguments of the run.

Both belong to the task (its prompt and generation blocks), so they are built here and nowhere else:
``Task.requests`` builds the requests and :func:`resolve_generation` is the one place the arguments are
merged from the task, the model's options and explicit overrides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from rgro_bench.data.records import Study
from rgro_bench.errors import ConfigError
from rgro_bench.tasks.prompts import Prompt
from rgro_bench.tasks.spec import GenerationSpec


@dataclass(frozen=True)
class GenerationRequest:
    study: Study
    prompt: Prompt


@dataclass(frozen=True)
class GenerationArgs:
    max_new_tokens: int = 128
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    stop: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "max_new_tokens": self.max_new_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "seed": self.seed,
            "stop": list(self.stop),
        }


def check_generation(values: Mapping[str, Any]) -> None:
    """The limits of the task's generation block, applied to every override (CLI flags, model options)."""
    try:
        GenerationSpec.model_validate({k: values[k] for k in ("max_new_tokens", "temperature", "top_p") if k in values})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(f"generation option {first['loc'][0]}={first['input']!r}: {first['msg'].lower()}") from None


def resolve_generation(spec: GenerationSpec, seed: int, *overrides: Mapping[str, Any] | None) -> GenerationArgs:
    """The run's generation arguments: the task's generation block, then each override in order, a later
    one winning (callers pass the model's options, e.g. ``--model-args temperature=...``, then explicit
    flags); a None value is "not given". Every value is checked against the task block's limits."""
    values: dict[str, Any] = {
        "max_new_tokens": spec.max_new_tokens,
        "temperature": spec.temperature,
        "top_p": spec.top_p,
        "seed": seed,
        "stop": tuple(spec.stop),
    }
    for layer in overrides:
        values.update({k: v for k, v in (layer or {}).items() if v is not None})
    check_generation(values)
    return GenerationArgs(**values)
