"""The model contract: a batch of generation requests in, one impression per request out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from rgro_bench.registry import Registry
from rgro_bench.tasks.generation import GenerationArgs, GenerationRequest


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None


Batch = list[tuple[int, Generation]]  # (index into the requests, its generation)


@dataclass
class ModelContext:
    """What a model factory is given besides its target: the model's options (``--model-args``). Never the
    task: a model that learns from a task's data does so in :meth:`Model.fit`, called by the runner."""

    options: dict[str, str] = field(default_factory=dict)


class Model(ABC):
    spec: str
    kind: str
    #: generation options given with the model (``--model-args temperature=...``): they override the task's
    #: generation block, explicit overrides override them (``rgro_bench.tasks.generation.resolve_generation``)
    generation_overrides: Mapping[str, Any] = MappingProxyType({})
    #: whether its generations are worth keeping in the store: a backend's are (minutes of compute), a
    #: baseline's or a predictions file's are computed or read in milliseconds, so a copy would only cost
    store_generations: bool = False

    @property
    def name(self) -> str:
        return self.spec.split(":", 1)[-1].rstrip("/").rsplit("/", 1)[-1] if self.kind != "baseline" else self.spec

    def identity(self) -> dict[str, Any]:
        """What makes two runs of this model the same model (path + weights hash, revision, options)."""
        return {"spec": self.spec}

    def fit(self, task: Any) -> None:
        """Learn what the model needs from ``task`` (an ``rgro_bench.tasks.Task``) before its first request
        on it. The runner calls it once per task; most models learn nothing, the retrieval baselines index
        a training pool (``rgro_bench.models.baselines``)."""

    @abstractmethod
    def generate(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> list[str]: ...

    def iter_batches(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> Iterator[Batch]:
        """Generations as the model produces them, so a store can commit each batch (a killed run resumes
        after the last); a model that computes everything at once yields one batch."""
        if requests:
            yield list(enumerate(Generation(text) for text in self.generate(requests, args)))

    def close(self) -> None:
        """Release processes or memory the backend holds."""


ModelFactory = Callable[[str, ModelContext], Model]
BACKENDS: Registry[ModelFactory] = Registry("model kind")
