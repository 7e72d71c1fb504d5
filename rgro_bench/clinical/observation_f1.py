"""Observation F1 of predicted impressions against reference impressions over the 14 CheXpert classes:
the rule-based counterpart of F1-CheXbert.

Labels per report follow CheXpert: nodule and mass fold into lung_lesion; ``no_finding`` is positive when
no pathology (support devices excepted) is positive or uncertain. Two conventions are reported:

- ``positive``: a class counts when some mention is positive (uncertain counts as absent), as in the
  F1-CheXbert of Miura et al. 2021;
- ``with_uncertain``: uncertain counts as positive (the "U-Ones" policy of Irvin et al. 2019).

Micro-F1 pools TP/FP/FN over classes and reports; macro-F1 averages per-class F1 over the classes
present in the references or predictions (a class absent from both has no F1 and is left out).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rgro_bench.clinical.extractor import extract
from rgro_bench.clinical.lexicon import CHEXPERT_CLASSES, CHEXPERT_PARENT, TOP5_CLASSES
from rgro_bench.errors import RgroError

_INDEX = {c: i for i, c in enumerate(CHEXPERT_CLASSES)}
_TOP5 = np.array([_INDEX[c] for c in TOP5_CLASSES])
_PATHOLOGIES = np.array([_INDEX[c] for c in CHEXPERT_CLASSES if c not in ("no_finding", "support_devices")])


def chexpert_labels(text: str, *, uncertain_positive: bool) -> np.ndarray:
    """A 0/1 vector over CHEXPERT_CLASSES for one report."""
    labels = np.zeros(len(CHEXPERT_CLASSES), dtype=bool)
    accepted = ("positive", "uncertain")
    any_pathology = False
    for m in extract(text):
        cls = CHEXPERT_PARENT.get(m.observation, m.observation)
        i = _INDEX.get(cls)
        if i is None:
            continue
        if m.status == "positive" or (uncertain_positive and m.status == "uncertain"):
            labels[i] = True
        if m.status in accepted and cls not in ("no_finding", "support_devices"):
            any_pathology = True
    labels[_INDEX["no_finding"]] = not any_pathology and not labels[_PATHOLOGIES].any()
    return labels


def class_sentences(text: str) -> dict[str, str]:
    """The first sentence that mentions each CheXpert class (any status), for explanations."""
    out: dict[str, str] = {}
    for m in extract(text):
        out.setdefault(CHEXPERT_PARENT.get(m.observation, m.observation), m.sentence)
    return out


def confusion(prediction: str, reference: str, *, uncertain_positive: bool) -> np.ndarray:
    """Per-class (TP, FP, FN) counts for one pair, shape (classes, 3): additive over a corpus."""
    p = chexpert_labels(prediction, uncertain_positive=uncertain_positive)
    r = chexpert_labels(reference, uncertain_positive=uncertain_positive)
    return np.stack([p & r, p & ~r, ~p & r], axis=1).astype(np.int64)


def f1_from_counts(counts: np.ndarray) -> dict[str, float]:
    """Micro, macro and top-5 micro F1 from summed (classes, 3) counts; NaN when nothing is labelled."""
    tp, fp, fn = counts[:, 0], counts[:, 1], counts[:, 2]
    denom = 2 * tp + fp + fn
    present = denom > 0
    per_class = np.where(present, 2 * tp / np.maximum(denom, 1), np.nan)
    micro_denom = denom.sum()
    top5 = counts[_TOP5].sum(axis=0)
    top5_denom = 2 * top5[0] + top5[1] + top5[2]
    return {
        "micro_f1": float(2 * tp.sum() / micro_denom) if micro_denom else float("nan"),
        "macro_f1": float(np.nanmean(per_class)) if present.any() else float("nan"),
        "micro_f1_top5": float(2 * top5[0] / top5_denom) if top5_denom else float("nan"),
        "per_class": {c: float(v) for c, v in zip(CHEXPERT_CLASSES, per_class, strict=True) if not np.isnan(v)},
    }


def observation_f1(predictions: Sequence[str], references: Sequence[str]) -> dict:
    """Corpus F1 of predictions against references: ``{"positive": {...}, "with_uncertain": {...}}``,
    each with micro_f1, macro_f1, micro_f1_top5 and per_class (see the module docstring)."""
    if len(predictions) != len(references):
        raise RgroError(f"observation_f1: {len(predictions)} predictions but {len(references)} references")
    out = {}
    for key, uncertain in (("positive", False), ("with_uncertain", True)):
        total = np.zeros((len(CHEXPERT_CLASSES), 3), dtype=np.int64)
        for p, r in zip(predictions, references, strict=True):
            total += confusion(p, r, uncertain_positive=uncertain)
        out[key] = {**f1_from_counts(total), "n": len(predictions)}
    return out
