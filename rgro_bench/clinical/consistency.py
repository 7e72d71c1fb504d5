"""Findings consistency: does an impression keep the findings' positive observations (recall), assert
only what the findings support (precision), and never flip a status or a side (contradictions)?"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from rgro_bench.clinical.extractor import Found, extract, found_mentions, register_derived_cache
from rgro_bench.clinical.lexicon import CHEXPERT_CLASSES, HEDGING_PHRASES
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


def _states(mentions: Iterable[tuple[int, str, Found]]) -> dict[str, ObservationState]:
    """Per observation, the first mention of the strongest status decides, and every side named by a
    positive mention counts. ``mentions`` as ``found_mentions`` yields them."""
    states: dict[str, ObservationState] = {}
    sides: dict[str, set[str]] = {}
    for index, sentence, (observation, status, _start, _end, laterality, _size, _severity, _trigger) in mentions:
        old = states.get(observation)
        if old is None or _RANK[status] > _RANK[old.status]:
            states[observation] = ObservationState(status, _NO_SIDES, index, sentence)
        if laterality and status == "positive":
            sides.setdefault(observation, set()).add(laterality)
    # the sides are known once every mention is read; most observations name none, so their states are
    # built once, above
    for observation, named in sides.items():
        status, _, index, sentence = states[observation]
        states[observation] = ObservationState(status, frozenset(named), index, sentence)
    return states


def observation_states(mentions: Iterable[Mention]) -> dict[str, ObservationState]:
    # each Mention as found_mentions yields it: (sentence index, sentence, its Found fields)
    return _states(
        (
            m.sentence_index,
            m.sentence,
            (m.observation, m.status, m.start, m.end, m.laterality, m.size_mm, m.severity, m.trigger),
        )
        for m in mentions
    )


@lru_cache(maxsize=131072)
def text_states(text: str) -> dict[str, ObservationState]:
    """``observation_states`` of a text's extraction, cached per text like the extraction (read-only).
    Read from the sentences' mentions as found: building Mention objects would cost more than the rest."""
    return _states(found_mentions(text))


register_derived_cache(text_states.cache_clear)


def _laterality_flip(a: frozenset[str], b: frozenset[str]) -> bool:
    """Both texts name a side, neither says bilateral, and they share none."""
    return bool(a and b) and "bilateral" not in a | b and not a & b


def _explain(kind: str, observation: str, state: ObservationState, section: str, rule: str) -> dict:
    return {
        "kind": kind,
        "observation": observation,
        "section": section,
        "sentence_index": state.sentence_index,
        "sentence": state.sentence,
        "rule": rule,
    }


def _contradiction(kind: str, observation: str, f: ObservationState, i: ObservationState, rule: str) -> dict:
    """A contradiction is explained at the impression's sentence, citing the findings' too."""
    explanation = _explain(kind, observation, i, "impression", rule)
    explanation["findings_sentence"] = f.sentence
    return explanation


def consistency(findings: str, impression: str) -> Consistency:
    """Judge ``impression`` against its own ``findings`` (see ``Consistency`` for empty-case conventions)."""
    return consistency_of_states(text_states(findings), text_states(impression))


def consistency_of_states(f_states: dict[str, ObservationState], i_states: dict[str, ObservationState]) -> Consistency:
    """``consistency`` on already extracted states, for callers that need them for other checks too.

    Explanations list the findings' positives (kept or omitted), then hallucinations, then contradictions;
    the last two come from one pass over the impression's observations (a cold pass runs this per pair)."""
    explanations: list[dict] = []

    n_relevant = covered = 0
    for obs, f in f_states.items():
        if f.status != "positive" or obs not in RECALL_CLASSES:
            continue
        n_relevant += 1
        i = i_states.get(obs)
        if i is not None and i.status != "negative" and not _laterality_flip(f.sides, i.sides):
            covered += 1
            explanations.append(_explain("supported", obs, i, "impression", "finding kept in the impression"))
        else:
            explanations.append(
                _explain("omission", obs, f, "findings", "positive finding missing from the impression")
            )

    n_asserted = supported = contradicted = 0
    contradictions: list[dict] = []
    for obs, i in i_states.items():
        f = f_states.get(obs)
        if i.status == "positive":
            n_asserted += 1
            if f is None:
                explanations.append(
                    _explain("hallucination", obs, i, "impression", "asserted but absent from the findings")
                )
            elif f.status != "negative" and not _laterality_flip(f.sides, i.sides):
                supported += 1
        if f is None:
            continue
        if f.status != i.status and "uncertain" not in (f.status, i.status):  # positive against negative
            contradicted += 1
            contradictions.append(
                _contradiction("contradiction", obs, f, i, f"status flip: findings {f.status}, impression {i.status}")
            )
        elif f.status == i.status == "positive" and _laterality_flip(f.sides, i.sides):
            contradicted += 1
            contradictions.append(
                _contradiction(
                    "laterality flip",
                    obs,
                    f,
                    i,
                    f"findings {'/'.join(sorted(f.sides))}, impression {'/'.join(sorted(i.sides))}",
                )
            )
    explanations += contradictions

    recall = covered / n_relevant if n_relevant else 1.0
    precision = supported / n_asserted if n_asserted else 1.0
    rate = contradicted / len(i_states) if i_states else 0.0
    f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
    return Consistency(
        recall=recall,
        precision=precision,
        contradiction_rate=rate,
        f1=f1,
        explanations=explanations,
        n_findings_positive=n_relevant,
        n_impression_positive=n_asserted,
        n_impression_observations=len(i_states),
    )


def is_hedged(text: str) -> bool:
    return _HEDGE.search(text.lower()) is not None


def judge_statement(findings_mentions: list[Mention], statement: str) -> StatementVerdict:
    """Judge one impression statement (one RGRO stage) against the findings' mentions.

    A positive assertion is supported when the findings call it positive or uncertain, contradicted
    when they negate it or name the other side, unsupported (a hallucination) when they never mention
    it. A negated statement is contradicted when the findings call it positive, and counted as a restated
    negative when they negate it too (it repeats the findings; it asserts nothing new). ``hedged`` is true
    when the statement has an uncertain mention or a hedging phrase.
    """
    f_states = observation_states(findings_mentions)
    s_states = observation_states(extract(statement))
    supported = contradicted = unsupported = restated = 0
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
                restated += 1
    hedged = any(s.status == "uncertain" for s in s_states.values()) or is_hedged(statement)
    return StatementVerdict(
        supported=supported,
        contradicted=contradicted,
        unsupported=unsupported,
        hedged=hedged,
        observations=tuple(s_states),
        negatives_restated=restated,
    )
