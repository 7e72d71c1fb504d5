"""Non-learned baselines, run as models so every table compares them the same way.

- ``baseline:constant``: one fixed "normal" impression (option ``text=``).
- ``baseline:lead-K``: the first K sentences of the findings.
- ``baseline:copy-findings``: the findings verbatim (perfect coverage, no synthesis).
- ``baseline:tfidf-nn``: the impression of the most similar training report (TF-IDF cosine over
  findings, scikit-learn), fitted on the task's ``train_source`` (default: its own train split).
- ``baseline:dense-nn``: the same retrieval with sentence embeddings (mean-pooled all-MiniLM-L6-v2, the
  packaged encoder of :mod:`rgro_bench.encoder`) and cosine similarity, over the same pool.

Both retrieval baselines draw from :func:`retrieval_pool`: the train source minus every study being
evaluated, so neither can return an evaluated study's own impression.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from rgro_bench.clinical.sentences import punctuation_sentences
from rgro_bench.data.clean import normalise_findings
from rgro_bench.data.records import Study
from rgro_bench.errors import ConfigError
from rgro_bench.models.base import BACKENDS, GenerationArgs, GenerationRequest, Model, ModelContext

#: the most frequent impression of IU X-ray (345 of 3,331 reports)
NORMAL_IMPRESSION = "No acute cardiopulmonary abnormality."
BASELINE_NAMES = ("constant", "lead-K", "copy-findings", "tfidf-nn", "dense-nn")


class Constant(Model):
    kind = "baseline"

    def __init__(self, text: str = NORMAL_IMPRESSION) -> None:
        self.text = text
        self.spec = "baseline:constant"

    def identity(self) -> dict[str, Any]:
        return {"spec": self.spec, "text": self.text}

    def generate(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> list[str]:
        return [self.text for _ in requests]


class Lead(Model):
    kind = "baseline"

    def __init__(self, k: int) -> None:
        if k < 1:
            raise ConfigError(f"baseline:lead-{k}: K must be at least 1")
        self.k = k
        self.spec = f"baseline:lead-{k}"

    def generate(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> list[str]:
        return [" ".join(punctuation_sentences(r.study.findings)[: self.k]) for r in requests]


class CopyFindings(Model):
    kind = "baseline"
    spec = "baseline:copy-findings"

    def generate(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> list[str]:
        return [r.study.findings for r in requests]


class _Retrieval(Model):
    """A retrieval baseline: the impression of the nearest study of a pool. Built with a pool
    (``Cls(train, source)``) it is fitted at once; built empty (as ``load_model`` builds it) it is fitted by
    :meth:`fit`, which the runner calls for each task on that task's :func:`retrieval_pool`."""

    kind = "baseline"

    def __init__(self, train: Sequence[Study] | None = None, source: str | None = None) -> None:
        self.train: list[Study] = []
        self.source = source
        if train is not None:
            self._fit(list(train), source or "")

    def fit(self, task: Any) -> None:
        self._fit(*retrieval_pool(task, self.spec))

    def _fit(self, train: list[Study], source: str) -> None:
        self.train, self.source = train, source
        self.index(train)

    @abstractmethod
    def index(self, train: list[Study]) -> None:
        """Build the search index of ``train`` (the subclass's vectors)."""

    @abstractmethod
    def nearest(self, requests: Sequence[GenerationRequest]) -> list[int]:
        """Index into ``train`` of each request's nearest study."""

    def identity(self) -> dict[str, Any]:
        self._check_fitted()
        return {"spec": self.spec, "fitted_on": self.source, "n_train": len(self.train)}

    def generate(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> list[str]:
        self._check_fitted()
        if not requests:
            return []
        return [self.train[i].impression or "" for i in self.nearest(requests)]

    def _check_fitted(self) -> None:
        if not self.train:
            raise ConfigError(f"{self.spec} needs a task to fit on; call fit(task) before generating")


class TfidfNearestNeighbour(_Retrieval):
    """Retrieval: return the training impression whose findings are nearest in TF-IDF cosine."""

    spec = "baseline:tfidf-nn"

    def index(self, train: list[Study]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
        self.matrix = self.vectorizer.fit_transform([s.findings for s in train])

    def nearest(self, requests: Sequence[GenerationRequest]) -> list[int]:
        queries = self.vectorizer.transform([r.study.findings for r in requests])
        return list((queries @ self.matrix.T).toarray().argmax(axis=1))  # rows are L2-normalised: cosine


class DenseNearestNeighbour(_Retrieval):
    """Retrieval: return the training impression whose findings are nearest in sentence-embedding cosine."""

    spec = "baseline:dense-nn"
    #: queries scored against the whole pool at a time: bounds the similarity matrix on large pools
    QUERY_CHUNK = 1024

    def index(self, train: list[Study]) -> None:
        from rgro_bench import encoder

        self.matrix = encoder.embed([s.findings for s in train], desc=f"{self.spec}: encode {self.source}")

    def identity(self) -> dict[str, Any]:
        from rgro_bench import encoder

        return {**super().identity(), "encoder": encoder.MODEL_ID, "weights_sha256": encoder.WEIGHTS_SHA256}

    def nearest(self, requests: Sequence[GenerationRequest]) -> list[int]:
        from rgro_bench import encoder

        queries = encoder.embed([r.study.findings for r in requests], desc=f"{self.spec}: encode queries")
        return [
            i
            for start in range(0, len(queries), self.QUERY_CHUNK)
            for i in (queries[start : start + self.QUERY_CHUNK] @ self.matrix.T).argmax(axis=1)  # unit rows: cosine
        ]


def retrieval_pool(task, spec: str = "baseline:tfidf-nn") -> tuple[list[Study], str]:
    """(studies, source) a retrieval baseline on ``task`` draws from: the studies with an impression in
    the task's ``train_source`` (default: its own train split), minus every study being evaluated."""
    from rgro_bench.tasks import get_task

    source = task.spec.train_source or f"{task.id}:train"
    source_task_id, _, split = source.partition(":")
    source_task = task if source_task_id == task.id else get_task(source_task_id)
    # Never retrieve a study that is itself being evaluated (same id or same findings text).
    evaluated = task.studies()
    ids = {s.id for s in evaluated}
    texts = {normalise_findings(s.findings) for s in evaluated}
    pool = [
        s
        for s in source_task.studies(split or "train")
        if s.impression and s.id not in ids and normalise_findings(s.findings) not in texts
    ]
    if not pool:
        raise ConfigError(f"{spec}: {source} has no studies with an impression to retrieve")
    return pool, source


_LEAD = re.compile(r"lead-(\d+)")


#: the options each baseline reads; any other is refused rather than silently ignored
_OPTIONS = {"constant": ("text",)}


def baseline_factory(target: str, context: ModelContext) -> Model:
    accepted = _OPTIONS.get(target, ())
    unknown = sorted(set(context.options) - set(accepted))
    if unknown:
        raise ConfigError(
            f"baseline:{target}: unknown option {unknown[0]!r}; this baseline accepts: {', '.join(accepted) or 'none'}"
        )
    if target == "constant":
        return Constant(context.options.get("text", NORMAL_IMPRESSION))
    if match := _LEAD.fullmatch(target):
        if int(match.group(1)) < 1:
            raise ConfigError(f"baseline:{target}: expected lead-N with N >= 1 sentences")
        return Lead(int(match.group(1)))
    if target == "copy-findings":
        return CopyFindings()
    if target == "tfidf-nn":
        return TfidfNearestNeighbour()  # fitted per task by the runner (Model.fit)
    if target == "dense-nn":
        return DenseNearestNeighbour()
    import difflib

    known = ["constant", "lead-2", "copy-findings", "tfidf-nn", "dense-nn"]
    close = difflib.get_close_matches(target, known, n=1, cutoff=0.5)
    hint = f" Did you mean 'baseline:{close[0]}'?" if close else ""
    raise ConfigError(f"unknown baseline {target!r}.{hint} Known: {', '.join(BASELINE_NAMES)}.")


BACKENDS.register("baseline", baseline_factory)
