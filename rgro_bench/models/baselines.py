"""Non-learned baselines, run as models so every table compares them the same way.

- ``baseline:constant``: one fixed "normal" impression (option ``text=``).
- ``baseline:lead-K``: the first K sentences of the findings.
- ``baseline:copy-findings``: the findings verbatim (perfect coverage, no synthesis).
- ``baseline:tfidf-nn``: the impression of the most similar training report (TF-IDF cosine over
  findings, scikit-learn), fitted on the task's ``train_source`` (default: its own train split).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rgro_bench.data.clean import normalise_findings
from rgro_bench.data.records import Study
from rgro_bench.errors import ConfigError
from rgro_bench.metrics.lexical import sentences
from rgro_bench.models.base import BACKENDS, GenerationArgs, GenerationRequest, Model, ModelContext

#: the most frequent impression of IU X-ray (345 of 3,331 reports)
NORMAL_IMPRESSION = "No acute cardiopulmonary abnormality."
BASELINE_NAMES = ("constant", "lead-K", "copy-findings", "tfidf-nn")


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
        return [" ".join(sentences(r.study.findings)[: self.k]) for r in requests]


class CopyFindings(Model):
    kind = "baseline"
    spec = "baseline:copy-findings"

    def generate(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> list[str]:
        return [r.study.findings for r in requests]


class TfidfNearestNeighbour(Model):
    """Retrieval: return the training impression whose findings are nearest in TF-IDF cosine."""

    kind = "baseline"
    spec = "baseline:tfidf-nn"

    def __init__(self, train: Sequence[Study], source: str) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.train = [s for s in train if s.impression]
        if not self.train:
            raise ConfigError(f"baseline:tfidf-nn: {source} has no studies with an impression to retrieve")
        self.source = source
        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
        self.matrix = self.vectorizer.fit_transform([s.findings for s in self.train])

    def identity(self) -> dict[str, Any]:
        return {"spec": self.spec, "fitted_on": self.source, "n_train": len(self.train)}

    def generate(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> list[str]:
        if not requests:
            return []
        queries = self.vectorizer.transform([r.study.findings for r in requests])
        best = (queries @ self.matrix.T).toarray().argmax(axis=1)  # rows are L2-normalised: cosine
        return [self.train[i].impression or "" for i in best]


def _tfidf_for(context: ModelContext) -> TfidfNearestNeighbour:
    from rgro_bench.tasks import get_task

    task = context.task
    if task is None:
        raise ConfigError("baseline:tfidf-nn needs a task to fit on")
    source = task.spec.train_source or f"{task.id}:train"
    source_task_id, _, split = source.partition(":")
    source_task = task if source_task_id == task.id else get_task(source_task_id)
    pool = source_task.studies(split or "train")
    # Never retrieve a study that is itself being evaluated (same id or same findings text).
    evaluated = task.studies()
    ids = {s.id for s in evaluated}
    texts = {normalise_findings(s.findings) for s in evaluated}
    pool = [s for s in pool if s.id not in ids and normalise_findings(s.findings) not in texts]
    return TfidfNearestNeighbour(pool, source)


_LEAD = re.compile(r"lead-(\d+)")


def baseline_factory(target: str, context: ModelContext) -> Model:
    if target == "constant":
        return Constant(context.options.get("text", NORMAL_IMPRESSION))
    if match := _LEAD.fullmatch(target):
        return Lead(int(match.group(1)))
    if target == "copy-findings":
        return CopyFindings()
    if target == "tfidf-nn":
        return _tfidf_for(context)
    import difflib

    close = difflib.get_close_matches(target, ["constant", "lead-2", "copy-findings", "tfidf-nn"], n=1, cutoff=0.5)
    hint = f" Did you mean 'baseline:{close[0]}'?" if close else ""
    raise ConfigError(f"unknown baseline {target!r}.{hint} Known: {', '.join(BASELINE_NAMES)}.")


BACKENDS.register("baseline", baseline_factory)
