"""Guideline adherence: independent rules, each citing its source, each pass / fail / not applicable."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rgro_bench.clinical.consistency import ObservationState, consistency_of_states, is_hedged, text_states
from rgro_bench.clinical.extractor import extract
from rgro_bench.clinical.sentences import split_sentences
from rgro_bench.clinical.types import GuidelineReport, Mention, RuleResult

ACR = "ACR Practice Parameter for Communication of Diagnostic Imaging Findings (2020)"
FLEISCHNER = "Fleischner Society 2017 (MacMahon et al. Radiology 2017;284:228-243), solid nodule, low-risk default"
HARTUNG = "Hartung et al. RadioGraphics 2020;40:1658 (the impression synthesizes, it does not restate)"
HEDGING = "Hedging lexicon (Hartung et al. RadioGraphics 2020;40:1658; Panicek & Hricak, AJR 2016;207:2-3)"

#: concise: at most this share of the findings' words (or CONCISE_MIN_WORDS, for very short findings) ...
CONCISE_LENGTH_RATIO = 0.6
CONCISE_MIN_WORDS = 15
#: ... and at most this share of the impression's word trigrams copied verbatim from the findings
CONCISE_COPY_RATIO = 0.6
#: significance order for "most significant first": critical > acute > lesion/chronic cardiac > incidental
SIGNIFICANCE = {
    "pneumothorax": 4,
    "pneumoperitoneum": 4,
    "consolidation": 3,
    "pneumonia": 3,
    "edema": 3,
    "pleural_effusion": 3,
    "mass": 3,
    "lung_lesion": 3,
    "enlarged_cardiomediastinum": 3,
    "fracture": 3,
    "lung_opacity": 3,
    "nodule": 2,
    "cardiomegaly": 2,
    "atelectasis": 2,
    "pleural_other": 2,
}
CRITICAL = frozenset({"pneumothorax", "pneumoperitoneum"})

_NUMBERED = re.compile(r"(?:^|\s)1[.)]\s.*\s2[.)]\s", re.S)
_COMMUNICATED = re.compile(
    r"\b(?:discussed|communicated|called|reported|notified|paged|telephoned|conveyed|relayed|read back|critical result)\b"
)
_WORD = re.compile(r"[a-z0-9]+")
_CT_FOLLOW_UP = re.compile(r"\b(?:ct|computed tomography|pet(?:/ct)?|biopsy|tissue sampling|follow[- ]?up|repeat)\b")
_INTERVAL = re.compile(
    r"\b(\d+|one|two|three|four|six|nine|twelve|eighteen|twenty-four)\s*(?:-|to)?\s*(?:\d+\s*)?(month|year)s?\b"
)
_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "six": 6,
    "nine": 9,
    "twelve": 12,
    "eighteen": 18,
    "twenty-four": 24,
}
_NO_FOLLOW_UP = re.compile(r"\bno (?:routine |further )?(?:follow[- ]?up|imaging)\b")


@dataclass(frozen=True)
class Pair:
    """One findings/impression pair with the extractions several rules share, computed once per pair."""

    findings: str
    impression: str
    findings_mentions: list[Mention]
    impression_mentions: list[Mention]
    findings_states: dict[str, ObservationState]
    impression_states: dict[str, ObservationState]

    @classmethod
    def of(cls, findings: str, impression: str) -> Pair:
        return cls(
            findings, impression, extract(findings), extract(impression), text_states(findings), text_states(impression)
        )


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def rule_no_hedging(pair: Pair) -> RuleResult:
    if is_hedged(pair.impression):
        return RuleResult(False, "the impression hedges", HEDGING)
    return RuleResult(True, "no hedging phrase", HEDGING)


def rule_concise(pair: Pair) -> RuleResult:
    f_words, i_words = _words(pair.findings), _words(pair.impression)
    if not f_words:
        return RuleResult(None, "no findings to compare with", HARTUNG)
    limit = max(CONCISE_MIN_WORDS, CONCISE_LENGTH_RATIO * len(f_words))
    if len(i_words) > limit:
        return RuleResult(False, f"{len(i_words)} words, more than {limit:.0f} (findings: {len(f_words)})", HARTUNG)
    trigrams = list(zip(i_words, i_words[1:], i_words[2:], strict=False))
    if trigrams:
        f_trigrams = set(zip(f_words, f_words[1:], f_words[2:], strict=False))
        copied = sum(t in f_trigrams for t in trigrams) / len(trigrams)
        if copied > CONCISE_COPY_RATIO and len(i_words) > 6:
            return RuleResult(False, f"{copied:.0%} of the impression's trigrams are copied from the findings", HARTUNG)
    return RuleResult(True, f"{len(i_words)} words, synthesised", HARTUNG)


def rule_numbered_list(pair: Pair) -> RuleResult:
    items = split_sentences(pair.impression)
    if len(items) < 2:
        return RuleResult(None, "a single item", HARTUNG)
    if _NUMBERED.search(pair.impression):
        return RuleResult(True, f"{len(items)} items, numbered", HARTUNG)
    return RuleResult(False, f"{len(items)} items, not numbered", HARTUNG)


def _item_ranks(mentions: list[Mention]) -> dict[int, int]:
    ranks: dict[int, int] = {}
    for m in mentions:
        if m.status == "positive":
            ranks[m.sentence_index] = max(ranks.get(m.sentence_index, 0), SIGNIFICANCE.get(m.observation, 1))
    return ranks


def rule_most_significant_first(pair: Pair) -> RuleResult:
    ranks = _item_ranks(pair.impression_mentions)
    if len(ranks) < 2 or len(set(ranks.values())) < 2:
        return RuleResult(None, "fewer than two items of different significance", HARTUNG)
    first = ranks[min(ranks)]
    if first == max(ranks.values()):
        return RuleResult(True, "the first abnormal item is the most significant", HARTUNG)
    top = max(ranks, key=ranks.get)
    return RuleResult(False, f"item {top + 1} outranks the first abnormal item", HARTUNG)


def _critical(pair: Pair) -> list[str]:
    return sorted(o for o, s in pair.findings_states.items() if o in CRITICAL and s.status == "positive")


def rule_critical_first(pair: Pair) -> RuleResult:
    critical = _critical(pair)
    if not critical:
        return RuleResult(None, "no critical finding", ACR)
    first = [m.observation for m in pair.impression_mentions if m.sentence_index == 0 and m.status == "positive"]
    missing = [c for c in critical if c not in first]
    if missing:
        return RuleResult(False, f"{', '.join(missing)} not stated in the first item", ACR)
    return RuleResult(True, f"{', '.join(critical)} stated first", ACR)


def rule_critical_communicated(pair: Pair) -> RuleResult:
    critical = _critical(pair)
    if not critical:
        return RuleResult(None, "no critical finding", ACR)
    if _COMMUNICATED.search(pair.impression.lower()):
        return RuleResult(True, "communication documented", ACR)
    return RuleResult(False, f"{', '.join(critical)}: no documented communication", ACR)


def _months(text: str) -> list[float]:
    out = []
    for number, unit in _INTERVAL.findall(text):
        value = float(_NUMBER_WORDS.get(number, number)) if number in _NUMBER_WORDS or number.isdigit() else None
        if value is not None:
            out.append(value * (12 if unit == "year" else 1))
    return out


def rule_fleischner(pair: Pair) -> RuleResult:
    """Solid, single, low-risk nodule table (the radiograph gives no risk factors, so low risk is the
    default). Fleischner 2017 was written for CT-detected nodules; on a radiograph we read it as the
    follow-up an impression should state once a size is measured. Calcified nodules are benign: excluded."""
    sizes = [
        m.size_mm
        for m in pair.findings_mentions + pair.impression_mentions
        if m.observation == "nodule" and m.status == "positive" and m.size_mm and "calcif" not in m.sentence.lower()
    ]
    if not sizes:
        return RuleResult(None, "no measured non-calcified nodule", FLEISCHNER)
    size = max(sizes)
    text = pair.impression.lower()
    recommends = bool(_CT_FOLLOW_UP.search(text)) and not _NO_FOLLOW_UP.search(text)
    months = _months(text)
    if size < 6:
        if recommends and months and min(months) < 12:
            return RuleResult(
                False, f"{size:g} mm: no routine follow-up, yet {min(months):g} months advised", FLEISCHNER
            )
        return RuleResult(True, f"{size:g} mm: no routine follow-up needed", FLEISCHNER)
    if size <= 8:
        if not recommends:
            return RuleResult(False, f"{size:g} mm: CT at 6-12 months not advised", FLEISCHNER)
        if months and not any(6 <= m <= 12 for m in months):
            return RuleResult(False, f"{size:g} mm: interval should be 6-12 months", FLEISCHNER)
        return RuleResult(True, f"{size:g} mm: CT follow-up at 6-12 months", FLEISCHNER)
    if not recommends:
        return RuleResult(False, f"{size:g} mm: CT at 3 months, PET/CT or tissue sampling not advised", FLEISCHNER)
    if months and min(months) > 3:
        return RuleResult(False, f"{size:g} mm: interval should be about 3 months", FLEISCHNER)
    return RuleResult(True, f"{size:g} mm: CT at 3 months, PET/CT or tissue sampling advised", FLEISCHNER)


def rule_no_unsupported(pair: Pair) -> RuleResult:
    result = consistency_of_states(pair.findings_states, pair.impression_states)
    if not result.n_impression_positive:
        return RuleResult(None, "the impression asserts no observation", HARTUNG)
    invented = [e["observation"] for e in result.explanations if e["kind"] == "hallucination"]
    if invented:
        return RuleResult(False, f"not in the findings: {', '.join(invented)}", HARTUNG)
    return RuleResult(True, "every assertion is in the findings", HARTUNG)


RULES: dict[str, Callable[[Pair], RuleResult]] = {
    "no_hedging": rule_no_hedging,
    "concise": rule_concise,
    "numbered_list": rule_numbered_list,
    "most_significant_first": rule_most_significant_first,
    "critical_first": rule_critical_first,
    "critical_communicated": rule_critical_communicated,
    "fleischner_followup": rule_fleischner,
    "no_unsupported": rule_no_unsupported,
}


def guideline_report(findings: str, impression: str) -> GuidelineReport:
    """Every rule on one pair; ``score`` is the pass rate over the rules that apply (1.0 if none do)."""
    pair = Pair.of(findings, impression)
    rules = {name: rule(pair) for name, rule in RULES.items()}
    applicable = [r.passed for r in rules.values() if r.passed is not None]
    score = sum(applicable) / len(applicable) if applicable else 1.0
    return GuidelineReport(rules=rules, score=score)
