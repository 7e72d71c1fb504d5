"""Retrieval-augmented prompts: a model is shown the impression of the most similar training report
(TF-IDF cosine over findings, the ``baseline:tfidf-nn`` retriever) above the task's prompt.

Any generative model takes it as the option ``retrieve=tfidf``; the tiny reference recipe trains with the
same hints (:func:`training_hints`), so the model learns when to copy the neighbour's conclusion and
when the findings say otherwise. The neighbour is never the study itself nor one with the same
findings text: at evaluation the pool excludes every evaluated study (``retrieval_pool``), and in
training each study's own findings group is excluded, as the grouped split does for validation and test.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from rgro_bench.data.clean import normalise_findings
from rgro_bench.data.records import Study
from rgro_bench.errors import ConfigError
from rgro_bench.models.backend import Backend
from rgro_bench.models.base import Batch, GenerationArgs, GenerationRequest, Model
from rgro_bench.tasks.prompts import Prompt

RETRIEVERS = ("tfidf",)
#: the line put above the task's prompt; changing it changes what trained models were shown
HINT = "IMPRESSION OF THE MOST SIMILAR EARLIER REPORT: {impression}"


class TfidfRetriever:
    """Nearest pool study by TF-IDF cosine over findings, never one with the query's findings text."""

    def __init__(self, pool: Sequence[Study], source: str) -> None:
        from rgro_bench.models.baselines import TfidfNearestNeighbour

        self.index = TfidfNearestNeighbour(pool, source)
        self.groups = np.array([normalise_findings(s.findings) for s in self.index.train], dtype=object)

    def nearest(self, findings: Sequence[str]) -> list[Study]:
        if not findings:
            return []
        queries = self.index.vectorizer.transform(list(findings))
        similarity = (queries @ self.index.matrix.T).toarray()  # rows are L2-normalised: cosine
        for row, text in enumerate(findings):
            similarity[row, self.groups == normalise_findings(text)] = -np.inf
        return [self.index.train[i] for i in similarity.argmax(axis=1)]


def with_hint(prompt: Prompt, neighbour: Study) -> Prompt:
    """``prompt`` with the neighbour's impression as the first line of its (last) user turn."""
    user = prompt.messages[-1]["content"]
    hinted = HINT.format(impression=neighbour.impression or "") + "\n" + user
    if not prompt.text.endswith(user):
        raise ConfigError("retrieval hint: the prompt's text does not end with its user turn")
    messages = (*prompt.messages[:-1], {**prompt.messages[-1], "content": hinted})
    return Prompt(text=prompt.text[: len(prompt.text) - len(user)] + hinted, messages=messages)


def training_hints(studies: Sequence[Study], prompts: Sequence[Prompt]) -> list[Prompt]:
    """The prompts a retrieval-augmented model trains on: each study's neighbour drawn from the other
    studies of the same split, outside its own findings group."""
    retriever = TfidfRetriever([s for s in studies if s.impression], "training split")
    return [with_hint(p, n) for p, n in zip(prompts, retriever.nearest([s.findings for s in studies]), strict=True)]


class RetrievalAugmented(Backend):
    """Wraps a model backend: each request's prompt gets its retrieved hint, then the backend answers. It
    is a backend itself, so its generations go through the store (keyed by the task's own prompt and an
    identity that names the retriever) and the wrapped backend's generation options still apply. Built
    without a retriever (as ``load_model`` builds it) it gets one in :meth:`fit`, from the task's
    retrieval pool, as the retrieval baselines do."""

    def __init__(self, inner: Backend, retriever: TfidfRetriever | None = None) -> None:
        self.inner = inner
        self.retriever = retriever
        self.spec = inner.spec
        self.kind = inner.kind
        self.options = inner.options
        self.generation_overrides = inner.generation_overrides

    def fit(self, task: Any) -> None:
        from rgro_bench.models.baselines import retrieval_pool

        self.inner.fit(task)
        self.retriever = TfidfRetriever(*retrieval_pool(task, f"{self.spec} retrieve=tfidf"))

    def identity(self) -> dict[str, Any]:
        retriever = self._fitted()
        return {
            **self.inner.identity(),
            "retrieve": "tfidf",
            "retrieved_from": retriever.index.source,
            "n_retrievable": len(retriever.index.train),
        }

    def iter_batches(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> Iterator[Batch]:
        neighbours = self._fitted().nearest([r.study.findings for r in requests])
        hinted = [replace(r, prompt=with_hint(r.prompt, n)) for r, n in zip(requests, neighbours, strict=True)]
        yield from self.inner.iter_batches(hinted, args)

    def close(self) -> None:
        self.inner.close()

    def _fitted(self) -> TfidfRetriever:
        if self.retriever is None:
            raise ConfigError(f"{self.spec} retrieve=tfidf needs a task to retrieve from; call fit(task) first")
        return self.retriever


def augment(model: Model, retriever_name: str) -> Model:
    """``model`` answering with retrieved hints (the ``retrieve=`` option), fitted per task by the runner."""
    if retriever_name not in RETRIEVERS:
        raise ConfigError(f"model option retrieve={retriever_name!r}: expected one of {', '.join(RETRIEVERS)}")
    if not isinstance(model, Backend):
        raise ConfigError(f"model option retrieve= applies to generative models (hf, vllm, openai), not {model.spec}")
    return RetrievalAugmented(model)
