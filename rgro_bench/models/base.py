"""The model contract: a batch of generation requests in, one impression per request out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rgro_bench.data.records import Study
from rgro_bench.registry import Registry
from rgro_bench.tasks.prompts import Prompt


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


@dataclass
class ModelContext:
    """What a model factory may need besides its own options: the task it will be run on."""

    task: Any = None  # rgro_bench.tasks.Task; Any keeps this module free of an import cycle
    options: dict[str, str] = field(default_factory=dict)


class Model(ABC):
    spec: str
    kind: str

    @property
    def name(self) -> str:
        return self.spec.split(":", 1)[-1].rstrip("/").rsplit("/", 1)[-1] if self.kind != "baseline" else self.spec

    def identity(self) -> dict[str, Any]:
        """What makes two runs of this model the same model (path + weights hash, revision, options)."""
        return {"spec": self.spec}

    @abstractmethod
    def generate(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> list[str]: ...

    def close(self) -> None:
        """Release processes or memory the backend holds."""


ModelFactory = Callable[[str, ModelContext], Model]
BACKENDS: Registry[ModelFactory] = Registry("model kind")
