"""Findings consistency: does an impression keep the findings' positive observations (recall), assert
only what the findings support (precision), and never flip a status or a side (contradictions)?"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from rgro_bench.clinical.extractor import extract, register_derived_cache, sentence_found
from rgro_bench.clinical.lexicon import CHEXPERT_CLASSES, HEDGING_PHRASES
from rgro_bench.clinical.sentences import sentence_tuple
from rgro_bench.clinical.types import Consistency, Mention, StatementVerdict

#: observations whose omission from the impression counts against recall: the CheXpert pathologies plus
#: nodule and mass. Devices and incidental chronic findings (granuloma, scoliosis, scarring, hernia,
#: emphysema) are routinely left out of good impressions, so omitting them is not penalised; asserting
#: them without support still costs precision.
RECALL_CLASSES = frozenset(set(CHEXPERT_CLASSES) - {"no_finding", "support_devices"} | {"nodule", "mass"})
_HEDGE = re.compile(r"\b(?:" + "|".join(HEDGING_PHRASES) + r")\b")


class ObservationState(NamedTuple):
    """What one text says about one observation: the strongest status, the sides it names, and where the
    mention that decided the status is (what explanations cite). A named tuple: a cold pass builds one per
    observation of every report, and a frozen dataclass takes twice as long to build."""

    status: str  # positive > uncertain > negative
    sides: frozenset[str]
    sentence_index: int
    sentence: str


_RANK = {"positive": 2, "uncertain": 1, "negative": 0}
_NO_SIDES: frozenset[str] = frozenset()
#: what a state needs of one mention: (observation, status, laterality, sentence index, sentence)
_Evidence = tuple[str, str, str | None, int, str]


def _states(evidence: Iterable[_Evidence]) -> dict[str, ObservationState]:
    """Per observation, the first mention of the strongest status decides, and every side named by a
    positive mention counts."""
    deciding: dict[str, tuple[str, int, str]] = {}
    sides: dict[str, set[str]] = {}
    for observation, status, laterality, index, sentence in evidence:
        old = deciding.get(observation)
        if old is None or _RANK[status] > _RANK[old[0]]:
            deciding[observation] = (status, index, sentence)
        if laterality and status == "positive":
            sides.setdefault(observation, set()).add(laterality)
    return {
        o: ObservationState(status, frozenset(sides[o]) if o in sides else _NO_SIDES, index, sentence)
        for o, (status, index, sentence) in deciding.items()
    }


def observation_states(mentions: Iterable[Mention]) -> dict[str, ObservationState]:
    return _states((m.observation, m.status, m.laterality, m.sentence_index, m.sentence) for m in mentions)


@lru_cache(maxsize=131072)
def text_states(text: str) -> dict[str, ObservationState]:
    """``observation_states`` of a text's extraction, cached per text like the extraction (read-only).
    Read from the sentences' mentions as found: building Mention objects would cost more than the rest."""
    return _states(
        (observation, status, laterality, index, sentence)
        for index, sentence in enumerate(sentence_tuple(text or ""))
        for observation, status, _start, _end, laterality, _size, _severity, _trigger in sentence_found(sentence)
    )


register_derived_cache(text_states.cache_clear)


def _laterality_flip(a: frozenset[str], b: frozenset[str]) -> bool:
    """Both texts name a side, neither says bilateral, and they share none."""
    return bool(a and b) and "bilateral" not in a | b and not a & b


def _explain(kind: str, observation: str, state: ObservationState, section: str, rule: str, **extra: object) -> dict:
    return {
        "kind": kind,
        "observation": observation,
        "section": section,
        "sentence_index": state.sentence_index,
        "sentence": state.sentence,
        "rule": rule,
        **extra,
    }


def consistency(findings: str, impression: str) -> Consistency:
    """Judge ``impression`` against its own ``findings`` (see ``Consistency`` for empty-case conventions)."""
    return consistency_of_states(text_states(findings), text_states(impression))


def consistency_of_states(f_states: dict[str, ObservationState], i_states: dict[str, ObservationState]) -> Consistency:
    """``consistency`` on already extracted states, for callers that need them for other checks too."""
    explanations: list[dict] = []

    relevant = [o for o, s in f_states.items() if s.status == "positive" and o in RECALL_CLASSES]
    covered = 0
    for obs in relevant:
        f = f_states[obs]
        i = i_states.get(obs)
        if i is not None and i.status != "negative" and not _laterality_flip(f.sides, i.sides):
            covered += 1
            explanations.append(_explain("supported", obs, i, "impression", "finding kept in the impression"))
        else:
            explanations.append(
                _explain("omission", obs, f, "findings", "positive finding missing from the impression")
            )

    asserted = [o for o, s in i_states.items() if s.status == "positive"]
    supported = 0
    for obs in asserted:
        f = f_states.get(obs)
        i = i_states[obs]
        if f is not None and f.status != "negative" and not _laterality_flip(f.sides, i.sides):
            supported += 1
        elif f is None:
            explanations.append(
                _explain("hallucination", obs, i, "impression", "asserted but absent from the findings")
            )

    contradicted = 0
    for obs, i in i_states.items():
        f = f_states.get(obs)
        if f is None:
            continue
        if f.status != i.status and "uncertain" not in (f.status, i.status):  # positive against negative
            contradicted += 1
            explanations.append(
                _explain(
                    "contradiction",
                    obs,
                    i,
                    "impression",
                    f"status flip: findings {f.status}, impression {i.status}",
                    findings_sentence=f.sentence,
                )
            )
        elif f.status == i.status == "positive" and _laterality_flip(f.sides, i.sides):
            contradicted += 1
            explanations.append(
                _explain(
                    "laterality flip",
                    obs,
                    i,
                    "impression",
                    f"findings {'/'.join(sorted(f.sides))}, impression {'/'.join(sorted(i.sides))}",
                    findings_sentence=f.sentence,
                )
            )

    recall = covered / len(relevant) if relevant else 1.0
    precision = supported / len(asserted) if asserted else 1.0
    rate = contradicted / len(i_states) if i_states else 0.0
    f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
    return Consistency(
        recall=recall,
        precision=precision,
        contradiction_rate=rate,
        f1=f1,
        explanations=explanations,
        n_findings_positive=len(relevant),
        n_impression_positive=len(asserted),
        n_impression_observations=len(i_states),
    )


def is_hedged(text: str) -> bool:
    return _HEDGE.search(text.lower()) is not None


def judge_statement(findings_mentions: list[Mention], statement: str) -> StatementVerdict:
    """Judge one impression statement (one RGRO stage) against the findings' mentions.

    A positive assertion is supported when the findings call it positive or uncertain, contradicted
    when they negate it or name the other side, unsupported (a hallucination) when they never mention
    it. A negated statement is contradicted when the findings call it positive, supported when they
    negate it too. ``hedged`` is true when the statement has an uncertain mention or a hedging phrase.
    """
    f_states = observation_states(findings_mentions)
    s_states = observation_states(extract(statement))
    supported = contradicted = unsupported = 0
    for obs, s in s_states.items():
        f = f_states.get(obs)
        if s.status == "positive":
            if f is None:
                unsupported += 1
            elif f.status == "negative" or (f.status == "positive" and _laterality_flip(f.sides, s.sides)):
                contradicted += 1
            else:
                supported += 1
        elif s.status == "negative" and f is not None:
            if f.status == "positive":
                contradicted += 1
            elif f.status == "negative":
                supported += 1
    hedged = any(s.status == "uncertain" for s in s_states.values()) or is_hedged(statement)
    return StatementVerdict(
        supported=supported,
        contradicted=contradicted,
        unsupported=unsupported,
        hedged=hedged,
        observations=tuple(s_states),
    )
