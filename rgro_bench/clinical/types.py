"""The clinical module's value types: frozen dataclasses, so results can be cached and shared safely.

The result types are slotted: a cold pass builds a Consistency and a GuidelineReport per pair, and a slotted
instance is built faster and is one object for the garbage collector to count instead of two (no __dict__).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Status = Literal["positive", "negative", "uncertain"]


@dataclass(frozen=True)
class Mention:
    """One observation found in one sentence.

    ``start``/``end`` are character offsets into ``sentence`` (the text returned by ``split_sentences``),
    ``size_mm`` is the mean of the dimensions written next to the mention (Fleischner 2017 measures the
    average of long and short axes), ``trigger`` is the negation/uncertainty phrase that set the status
    (None for a plain positive).
    """

    observation: str
    status: Status
    sentence_index: int
    sentence: str
    start: int
    end: int
    laterality: str | None = None
    size_mm: float | None = None
    severity: str | None = None
    trigger: str | None = None


@dataclass(frozen=True, slots=True)
class Consistency:
    """An impression judged against its own findings.

    Conventions for empty cases (so no value is ever NaN): ``recall`` is 1.0 when the findings assert no
    positive observation (nothing can be omitted), ``precision`` is 1.0 when the impression asserts no
    positive observation (nothing is hallucinated), ``contradiction_rate`` is 0.0 when the impression
    mentions no observation. ``f1`` is the harmonic mean of recall and precision (0.0 when both are 0).
    """

    recall: float
    precision: float
    contradiction_rate: float
    f1: float
    explanations: list[dict] = field(default_factory=list, compare=False, hash=False)
    #: denominators, so callers can tell "not applicable" from "perfect": findings positives considered for
    #: recall, impression positive assertions, observations the impression mentions (any status)
    n_findings_positive: int = 0
    n_impression_positive: int = 0
    n_impression_observations: int = 0


@dataclass(frozen=True, slots=True)
class StatementVerdict:
    """One impression statement (an RGRO stage) judged against the findings' mentions."""

    supported: int  # positive assertions the findings support
    contradicted: int
    unsupported: int
    hedged: bool
    observations: tuple[str, ...]
    negatives_restated: int = 0  # negations the findings make too ("No pneumothorax." after "no pneumothorax")


@dataclass(frozen=True, slots=True)
class RuleResult:
    """``passed`` is None when the rule does not apply to the sample; ``source`` cites the rule."""

    passed: bool | None
    reason: str
    source: str


@dataclass(frozen=True, slots=True)
class GuidelineReport:
    rules: dict[str, RuleResult]
    #: mean pass rate over applicable rules, in [0, 1]; 1.0 when no rule applies
    score: float
