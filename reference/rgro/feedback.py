"""Expert feedback: a file of radiologist judgements that calibrates the reward weights and adds a
reward term.

File format: JSON Lines, one judgement per line, either a rating or a preference pair:

    {"findings": "...", "impression": "...", "rating": 4, "reference": "..."}          # rating 1..5
    {"findings": "...", "preferred": "...", "rejected": "...", "reference": "..."}     # pair

``reference`` (the report's own impression) is optional; other keys (rater, note, source) are kept
but not read. Each judged impression is turned into the reward's metric vector (findings recall,
precision, guideline score, ROUGE-L when every row has a reference), and a logistic regression
(scikit-learn) is fitted on it: ratings ≥ ``acceptable`` (default 4) against the rest, or, for pairs, the
Bradley–Terry form P(preferred ≻ rejected) = σ(w · (x_preferred − x_rejected)). The fitted probability
is the "feedback" reward component; the non-negative part of w, rescaled, can replace the metric
weights (``calibrated_weights``). A few dozen judgements are enough to fit four coefficients.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from reference.rgro.rewards import METRIC_COMPONENTS, EpisodeWeights, MetricScorer, completion_text
from rgro_bench.errors import DataError


@dataclass(frozen=True)
class Rating:
    findings: str
    impression: str
    rating: float
    reference: str | None = None


@dataclass(frozen=True)
class Preference:
    findings: str
    preferred: str
    rejected: str
    reference: str | None = None


def _text(row: dict, key: str, where: str, optional: bool = False) -> str | None:
    value = row.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"{where}: field {key!r} must be a non-empty string")
    return value


def read_feedback(path: str | Path) -> list[Rating | Preference]:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: feedback file not found")
    rows: list[Rating | Preference] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise DataError(f"{where}: expected a JSON object")
        findings, reference = _text(row, "findings", where), _text(row, "reference", where, optional=True)
        if "rating" in row:
            rating = row["rating"]
            if isinstance(rating, bool) or not isinstance(rating, int | float) or not 1 <= rating <= 5:
                raise DataError(f"{where}: field 'rating' must be a number from 1 to 5, got {rating!r}")
            rows.append(Rating(findings, _text(row, "impression", where), float(rating), reference))
        elif "preferred" in row:
            rows.append(Preference(findings, _text(row, "preferred", where), _text(row, "rejected", where), reference))
        else:
            raise DataError(f"{where}: expected a 'rating' (with 'impression') or 'preferred'/'rejected'")
    if not rows:
        raise DataError(f"{path}: no judgements")
    return rows


@dataclass
class FeedbackModel:
    features: tuple[str, ...]
    coef: np.ndarray
    intercept: float

    def probability(self, vectors: Sequence[dict[str, float]]) -> np.ndarray:
        x = np.array([[v[f] for f in self.features] for v in vectors], dtype=float)
        return 1.0 / (1.0 + np.exp(-(x @ self.coef + self.intercept)))

    @classmethod
    def fit(cls, judgements: Sequence[Rating | Preference], scorer: MetricScorer, acceptable: float = 4.0):
        from sklearn.linear_model import LogisticRegression

        features = tuple(c for c in METRIC_COMPONENTS if c != "rouge" or all(j.reference for j in judgements))
        ratings = [j for j in judgements if isinstance(j, Rating)]
        pairs = [j for j in judgements if isinstance(j, Preference)]

        def vectors(items, attr):
            found = scorer.vectors(
                [j.findings for j in items], [getattr(j, attr) for j in items], [j.reference for j in items]
            )
            return np.array([[v[f] for f in features] for v in found], dtype=float)

        xs, ys = [], []
        if ratings:
            xs.append(vectors(ratings, "impression"))
            ys.append(np.array([j.rating >= acceptable for j in ratings], dtype=int))
        if pairs:
            diff = vectors(pairs, "preferred") - vectors(pairs, "rejected")
            xs += [diff, -diff]  # mirrored pairs: the model sees both orders, so no intercept is needed
            ys += [np.ones(len(pairs), dtype=int), np.zeros(len(pairs), dtype=int)]
        x, y = np.vstack(xs), np.concatenate(ys)
        if len(set(y.tolist())) < 2:
            raise DataError("feedback: every judgement has the same label; a fit needs both acceptable and not")
        model = LogisticRegression(fit_intercept=bool(ratings) and not pairs).fit(x, y)
        intercept = float(model.intercept_[0]) if model.fit_intercept else 0.0
        return cls(features, model.coef_[0].astype(float), intercept)

    @classmethod
    def fit_file(cls, path: str | Path, scorer: MetricScorer, acceptable: float = 4.0) -> FeedbackModel:
        return cls.fit(read_feedback(path), scorer, acceptable)

    def calibrated_weights(self, weights: EpisodeWeights) -> EpisodeWeights:
        """Metric weights proportional to the fitted non-negative coefficients, with the same total as
        ``weights``' metric weights; a metric the experts did not reward gets weight 0."""
        positive = np.clip(self.coef, 0.0, None)
        if positive.sum() == 0:
            return weights
        total = sum(getattr(weights, f) for f in self.features)
        fitted = {f: float(total * w / positive.sum()) for f, w in zip(self.features, positive, strict=True)}
        return replace(weights, **fitted)

    def reward_function(self, scorer: MetricScorer):
        """The "feedback" reward component: the fitted probability that an expert accepts the impression."""

        def feedback(completions, findings, reference, **_):
            texts = [completion_text(c).strip() for c in completions]
            return self.probability(scorer.vectors(findings, texts, reference)).tolist()

        return feedback
