"""Lexical overlap with the reference impression: ROUGE (rouge-score), BLEU-4 (sacrebleu), and
length statistics."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache

import numpy as np

from rgro_bench.clinical.sentences import punctuation_sentences
from rgro_bench.metrics.base import Metric, MetricOutput, Sample, register_metric


@cache
def _cached_stemming_tokenizer():
    """rouge-score's own tokenizer with the Porter stemmer, memoised per text and shared by every ROUGE
    instance: impressions repeat a lot (IU X-ray: 345 copies of one sentence) and stemming dominates
    ROUGE's cost. Same tokens, same scores."""
    from rouge_score.tokenizers import DefaultTokenizer, Tokenizer

    stem_tokens = lru_cache(maxsize=1 << 16)(DefaultTokenizer(use_stemmer=True).tokenize)

    class CachedTokenizer(Tokenizer):
        def tokenize(self, text: str) -> list[str]:
            return list(stem_tokens(text))  # a copy: callers own their token lists

    return CachedTokenizer()


@register_metric
class Rouge(Metric):
    name = "rouge"
    version = "1"
    columns = {"rouge1": True, "rouge2": True, "rougeL": True, "rougeLsum": True}
    description = "ROUGE-1/2/L/Lsum F1 against the reference (rouge-score, Porter stemmer); Lsum splits sentences."
    role = "reward"
    rewards = "word overlap with the reference impression (ROUGE-L is the RL reward's similarity term, weight 1)"

    def __init__(self) -> None:
        from rouge_score import rouge_scorer

        self._scorer = rouge_scorer.RougeScorer(list(self.columns), tokenizer=_cached_stemming_tokenizer())

    def compute(self, samples: Sequence[Sample]) -> MetricOutput:
        out = {c: np.full(len(samples), np.nan) for c in self.columns}
        for i, s in enumerate(samples):
            if s.reference is None:
                continue
            # rougeLsum reads sentences from newlines, as in the summarisation literature
            scores = self._scorer.score(
                "\n".join(punctuation_sentences(s.reference)), "\n".join(punctuation_sentences(s.prediction))
            )
            for c in self.columns:
                out[c][i] = scores[c].fmeasure
        return MetricOutput(columns=out)


@register_metric
class Bleu(Metric):
    name = "bleu"
    version = "1"
    columns = {"bleu": True}
    description = "BLEU-4 (sacrebleu, 13a tokenisation), corpus-level; per-sample values are sentence BLEU."

    def __init__(self) -> None:
        import logging

        from sacrebleu.metrics import BLEU

        # sacrebleu warns that copied findings "look tokenised"; the texts are what they are
        logging.getLogger("sacrebleu").setLevel(logging.ERROR)
        self._corpus = BLEU()
        self._sentence = BLEU(effective_order=True)

    def compute(self, samples: Sequence[Sample]) -> MetricOutput:
        scored = [i for i, s in enumerate(samples) if s.reference is not None]
        stats = np.zeros((len(samples), 10), dtype=np.int64)
        if scored:
            rows = self._corpus._extract_corpus_statistics(
                [samples[i].prediction for i in scored], [[samples[i].reference for i in scored]]
            )
            stats[scored] = np.asarray(rows, dtype=np.int64)
        per_sample = np.full(len(samples), np.nan)
        for i in scored:
            per_sample[i] = self._sentence._compute_score_from_stats(stats[i].tolist()).score / 100.0
        applicable = np.zeros(len(samples), dtype=bool)
        applicable[scored] = True

        def corpus(indices: np.ndarray) -> float:
            chosen = indices[applicable[indices]]
            if chosen.size == 0:
                return float("nan")
            # BLEU's sufficient statistics add up, so a bootstrap replicate costs one sum
            return self._corpus._compute_score_from_stats(stats[chosen].sum(axis=0).tolist()).score / 100.0

        return MetricOutput(columns={"bleu": per_sample}, aggregators={"bleu": corpus})


@register_metric
class Length(Metric):
    name = "length"
    version = "1"
    columns = {"words": None, "compression": None}
    description = "Impression length in words, and compression: impression words / findings words."
    percent = False
    value_range = (0.0, float("inf"))
    needs_reference = False

    def compute(self, samples: Sequence[Sample]) -> MetricOutput:
        words = np.array([len(s.prediction.split()) for s in samples], dtype=float)
        findings = np.array([max(1, len(s.findings.split())) for s in samples], dtype=float)
        return MetricOutput(columns={"words": words, "compression": words / findings})
