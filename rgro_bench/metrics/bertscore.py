"""BERTScore (bert-score) against the reference impression, with any local model folder or Hub id.

The model comes from the ``model`` option or the ``RGRO_BERTSCORE_MODEL`` environment variable, the
layer from ``num_layers`` or ``RGRO_BERTSCORE_LAYERS`` (bert-score's tuned layer for the models it
knows, else the model's last layer). With a network, ``roberta-large`` at layer 17 is bert-score's own
default for English; ``distilroberta-base`` (layer 5) is a light alternative. When no model is configured
or it cannot be loaded (offline, missing folder) the metric reports *unavailable* with the reason: never
a number from a model that was not loaded.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from rgro_bench.metrics.base import Metric, MetricOutput, Sample, register_metric

MODEL_ENV = "RGRO_BERTSCORE_MODEL"
LAYERS_ENV = "RGRO_BERTSCORE_LAYERS"
#: what we suggest to users with a network (bert-score's English default)
SUGGESTED_MODEL = "roberta-large"
SUGGESTED_LAYERS = 17


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@register_metric
class BertScore(Metric):
    name = "bertscore"
    version = "1"
    columns = {"bertscore_p": True, "bertscore_r": True, "bertscore_f1": True}
    description = (
        f"BERTScore P/R/F1 (bert-score) with the model in ${MODEL_ENV} or option model=; suggested with a "
        f"network: {SUGGESTED_MODEL}, layer {SUGGESTED_LAYERS}. Unavailable (with the reason) without a model."
    )

    def __init__(
        self, model: str | None = None, num_layers: int | None = None, batch_size: int = 32, device: str | None = None
    ) -> None:
        self.model = model or os.environ.get(MODEL_ENV) or None
        layers = num_layers if num_layers is not None else os.environ.get(LAYERS_ENV)
        self.num_layers = int(layers) if layers else None
        self.batch_size = batch_size
        self.device = device

    def _scorer(self):
        """A BERTScorer for the configured model, or the reason it cannot be built."""
        try:
            from bert_score import BERTScorer
            from bert_score.utils import model2layers
            from transformers import AutoConfig
        except ImportError as exc:
            return None, f"bert-score is not installed ({exc.name}); pip install 'rgro-bench[bertscore]'"
        try:
            config = AutoConfig.from_pretrained(self.model)
        except (OSError, ValueError) as exc:
            return None, f"cannot load BERTScore model {self.model!r}: {_first_line(exc)}"
        layers = self.num_layers or model2layers.get(self.model) or config.num_hidden_layers
        if not 1 <= layers <= config.num_hidden_layers:
            return None, f"num_layers={layers} but {self.model!r} has {config.num_hidden_layers} layers"
        try:
            scorer = BERTScorer(
                model_type=self.model, num_layers=layers, batch_size=self.batch_size, device=self.device
            )
        except (OSError, ValueError) as exc:
            return None, f"cannot load BERTScore model {self.model!r}: {_first_line(exc)}"
        # Tokenizers saved without a length limit report ~1e30; bert-score truncates to model_max_length,
        # so bound it by the position embeddings (RoBERTa reserves two of them for its padding offset).
        limit = getattr(config, "max_position_embeddings", 512) - (2 if config.model_type == "roberta" else 0)
        scorer._tokenizer.model_max_length = min(scorer._tokenizer.model_max_length, limit)
        self.version = f"1+{self.model}@L{layers}"
        return scorer, None

    def compute(self, samples: Sequence[Sample]) -> MetricOutput:
        n = len(samples)
        if not self.model:
            return self.unavailable(
                f"no BERTScore model: set {MODEL_ENV} (a local folder or Hub id) or the option model=; "
                f"with a network use {SUGGESTED_MODEL} (layer {SUGGESTED_LAYERS})",
                n,
            )
        scorer, reason = self._scorer()
        if scorer is None:
            return self.unavailable(reason, n)
        out = {c: np.full(n, np.nan) for c in self.columns}
        # an empty prediction or reference shares nothing with the other text: score 0, not a model call
        scored = [i for i, s in enumerate(samples) if s.reference is not None]
        for i in scored:
            if not samples[i].prediction.strip() or not samples[i].reference.strip():
                for c in self.columns:
                    out[c][i] = 0.0
        live = [i for i in scored if samples[i].prediction.strip() and samples[i].reference.strip()]
        if live:
            p, r, f = scorer.score([samples[i].prediction for i in live], [samples[i].reference for i in live])
            for column, values in zip(self.columns, (p, r, f), strict=True):
                out[column][live] = values.numpy()
        return MetricOutput(columns=out)
