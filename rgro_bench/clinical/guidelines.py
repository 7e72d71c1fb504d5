"""Guideline adherence: independent rules, each citing its source, each pass / fail / not applicable."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from rgro_bench.clinical.consistency import ObservationState, is_hedged, text_states
from rgro_bench.clinical.extractor import found_mentions, register_derived_cache
from rgro_bench.clinical.sentences import sentence_tuple
from rgro_bench.clinical.types import GuidelineReport, RuleResult

ACR = "ACR Practice Parameter for Communication of Diagnostic Imaging Findings (2020)"
FLEISCHNER = "Fleischner Society 2017 (MacMahon et al. Radiology 2017;284:228-243), solid nodule, low-risk default"
HARTUNG = "Hartung et al. RadioGraphics 2020;40:1658 (the impression synthesizes, it does not restate)"
HEDGING = "Hedging lexicon (Hartung et al. RadioGraphics 2020;40:1658; Panicek & Hricak, AJR 2016;207:2-3)"

#: concise: at most this share of the findings' words (or CONCISE_MIN_WORDS, for very short findings) ...
CONCISE_LENGTH_RATIO = 0.6
CONCISE_MIN_WORDS = 15
#: ... and at most this share of the impression's word trigrams copied verbatim from the findings, which
#: only counts in impressions of more than CONCISE_COPY_MIN_WORDS words
CONCISE_COPY_RATIO = 0.6
CONCISE_COPY_MIN_WORDS = 6
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
_CRITICAL_SORTED = tuple(sorted(CRITICAL))

# "1." at the start or after whitespace, later "2.": written to start with the literal 1 (the start-or-space
# check as a look back), which lets re skip ahead to the ones instead of trying every position
_NUMBERED = re.compile(r"(?<!\S)1[.)]\s.*\s2[.)]\s", re.S)
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


class ImpressionRules(NamedTuple):
    """The results of the rules that read the impression alone. Impressions repeat across pairs (IU X-ray:
    3,331 pairs, 1,346 distinct impressions), so they are worked out once per impression and cached
    together: a pair looks them up once."""

    no_hedging: RuleResult
    numbered_list: RuleResult
    most_significant_first: RuleResult


class Pair(NamedTuple):
    """One findings/impression pair with the observation states several rules share (a named tuple: one is
    built per pair). Rules that need the mentions themselves read them as found (``found_mentions``):
    building Mention objects would cost more than the rest of a cold pass."""

    findings: str
    impression: str
    findings_states: dict[str, ObservationState]
    impression_states: dict[str, ObservationState]
    #: the critical observations the findings assert, sorted (two rules read them)
    critical: list[str]
    #: the results of the rules that read the impression alone (cached per impression)
    impression_rules: ImpressionRules

    @classmethod
    def of(cls, findings: str, impression: str) -> Pair:
        f_states = text_states(findings)
        critical = [o for o in _CRITICAL_SORTED if o in f_states and f_states[o].status == "positive"]
        return cls(findings, impression, f_states, text_states(impression), critical, _impression_rules(impression))


# Results whose reason names nothing of the pair, built once and shared (RuleResult is frozen): a cold pass
# would otherwise build, and the garbage collector count, one per pair or per impression.
_HEDGED = RuleResult(False, "the impression hedges", HEDGING)
_NOT_HEDGED = RuleResult(True, "no hedging phrase", HEDGING)
_SINGLE_ITEM = RuleResult(None, "a single item", HARTUNG)
_NO_RANKING = RuleResult(None, "fewer than two items of different significance", HARTUNG)
_MOST_SIGNIFICANT_FIRST = RuleResult(True, "the first abnormal item is the most significant", HARTUNG)
_NO_CRITICAL = RuleResult(None, "no critical finding", ACR)
_NO_NODULE = RuleResult(None, "no measured non-calcified nodule", FLEISCHNER)
_NO_ASSERTION = RuleResult(None, "the impression asserts no observation", HARTUNG)
_ALL_SUPPORTED = RuleResult(True, "every assertion is in the findings", HARTUNG)


# Texts repeat across pairs, so what depends on one text only is cached on it; RuleResult is frozen, so a
# cached result is safe to share.
@lru_cache(maxsize=131072)
def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower()))


def rule_no_hedging(pair: Pair) -> RuleResult:
    return pair.impression_rules.no_hedging


def _no_hedging(impression: str) -> RuleResult:
    return _HEDGED if is_hedged(impression) else _NOT_HEDGED


def rule_concise(pair: Pair) -> RuleResult:
    findings = pair.findings.lower()
    if not _WORD.search(findings):
        return RuleResult(None, "no findings to compare with", HARTUNG)
    i_words = _words(pair.impression)
    n = len(i_words)
    # The length limit is never under CONCISE_MIN_WORDS, and copying only counts in longer impressions, so
    # most impressions (IU X-ray: two thirds) pass without the findings' words.
    if n > CONCISE_MIN_WORDS:
        f_words = _words(pair.findings)
        limit = max(CONCISE_MIN_WORDS, CONCISE_LENGTH_RATIO * len(f_words))
        if n > limit:
            return RuleResult(False, f"{n} words, more than {limit:.0f} (findings: {len(f_words)})", HARTUNG)
    if n > CONCISE_COPY_MIN_WORDS:
        trigrams = list(zip(i_words, i_words[1:], i_words[2:], strict=False))
        # a trigram can only be copied if its three words occur in the findings (each word looked up once):
        # when too few can be, the findings need not be split into words (nine in ten of IU X-ray's longer
        # impressions)
        present = list(map(findings.__contains__, i_words))
        possible = sum(map(all, zip(present, present[1:], present[2:], strict=False)))
        if possible / len(trigrams) > CONCISE_COPY_RATIO:
            # words hold no spaces, so " a b c " occurs in the findings' words joined by spaces exactly
            # when the findings have the trigram (a, b, c)
            f_joined = f" {' '.join(_words(pair.findings))} "
            copied = sum(f" {a} {b} {c} " in f_joined for a, b, c in trigrams) / len(trigrams)
            if copied > CONCISE_COPY_RATIO:
                return RuleResult(
                    False, f"{copied:.0%} of the impression's trigrams are copied from the findings", HARTUNG
                )
    return _synthesised(n)


@lru_cache(maxsize=1024)
def _synthesised(n_words: int) -> RuleResult:
    return RuleResult(True, f"{n_words} words, synthesised", HARTUNG)


def rule_numbered_list(pair: Pair) -> RuleResult:
    return pair.impression_rules.numbered_list


def _numbered_list(impression: str) -> RuleResult:
    items = sentence_tuple(impression)
    if len(items) < 2:
        return _SINGLE_ITEM
    if _NUMBERED.search(impression):
        return RuleResult(True, f"{len(items)} items, numbered", HARTUNG)
    return RuleResult(False, f"{len(items)} items, not numbered", HARTUNG)


def _item_ranks(text: str) -> dict[int, int]:
    """The significance of each item (sentence) of ``text``: that of its most significant positive mention."""
    ranks: dict[int, int] = {}
    for index, _, (observation, status, *_) in found_mentions(text):
        if status == "positive":
            ranks[index] = max(ranks.get(index, 0), SIGNIFICANCE.get(observation, 1))
    return ranks


def rule_most_significant_first(pair: Pair) -> RuleResult:
    return pair.impression_rules.most_significant_first


def _most_significant_first(impression: str) -> RuleResult:
    ranks = _item_ranks(impression)
    if len(ranks) < 2 or len(set(ranks.values())) < 2:
        return _NO_RANKING
    first = ranks[min(ranks)]
    if first == max(ranks.values()):
        return _MOST_SIGNIFICANT_FIRST
    top = max(ranks, key=ranks.get)
    return RuleResult(False, f"item {top + 1} outranks the first abnormal item", HARTUNG)


@lru_cache(maxsize=131072)
def _impression_rules(impression: str) -> ImpressionRules:
    return ImpressionRules(_no_hedging(impression), _numbered_list(impression), _most_significant_first(impression))


def rule_critical_first(pair: Pair) -> RuleResult:
    critical = pair.critical
    if not critical:
        return _NO_CRITICAL
    first = [o for index, _, (o, status, *_) in found_mentions(pair.impression) if index == 0 and status == "positive"]
    missing = [c for c in critical if c not in first]
    if missing:
        return RuleResult(False, f"{', '.join(missing)} not stated in the first item", ACR)
    return RuleResult(True, f"{', '.join(critical)} stated first", ACR)


def rule_critical_communicated(pair: Pair) -> RuleResult:
    critical = pair.critical
    if not critical:
        return _NO_CRITICAL
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


def _nodule_size(findings: str) -> float | None:
    """The largest measured, positive, non-calcified nodule of ``findings`` in mm, or None."""
    sizes = [
        size
        for _, sentence, (observation, status, _, _, _, size, *_) in found_mentions(findings)
        if observation == "nodule" and status == "positive" and size and "calcif" not in sentence.lower()
    ]
    return max(sizes) if sizes else None


def rule_fleischner(pair: Pair) -> RuleResult:
    """Solid, single, low-risk nodule table (the radiograph gives no risk factors, so low risk is the
    default). Fleischner 2017 was written for CT-detected nodules; on a radiograph we read it as the
    follow-up an impression should state once a size is measured. Calcified nodules are benign: excluded."""
    # the states list every observation mentioned: most pairs mention no nodule, so skip their mentions
    if "nodule" not in pair.findings_states and "nodule" not in pair.impression_states:
        return _NO_NODULE
    sizes = [size for size in map(_nodule_size, (pair.findings, pair.impression)) if size is not None]
    if not sizes:
        return _NO_NODULE
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


_HIGH_RISK = re.compile(
    r"\b(?:smok(?:er|ing)|pack[- ]years?|high[- ]risk|history of (?:lung )?(?:cancer|malignancy))\b"
)


def followup_indication(findings: str) -> str | None:
    """What in the findings calls for a recommendation in the impression (with its guideline), or None
    when nothing does: a critical finding to communicate (ACR), or a measured solid nodule that Fleischner
    2017 gives a follow-up for: 6 mm or more, or any size when the findings state a high-risk patient
    (CT at 12 months is then optional, and advising it is not wrong)."""
    states = text_states(findings)
    critical = [o for o in _CRITICAL_SORTED if o in states and states[o].status == "positive"]
    if critical:
        return f"{', '.join(critical)}: communicate ({ACR})"
    size = _nodule_size(findings)
    if size is None:
        return None
    if size >= 6:
        return f"{size:g} mm nodule: CT follow-up ({FLEISCHNER})"
    if _HIGH_RISK.search(findings.lower()):
        return f"{size:g} mm nodule, high-risk patient: optional CT at 12 months (Fleischner Society 2017)"
    return None


def rule_no_unsupported(pair: Pair) -> RuleResult:
    """The hallucinations of ``consistency``: positive in the impression, never mentioned in the findings."""
    asserted = [o for o, s in pair.impression_states.items() if s.status == "positive"]
    if not asserted:
        return _NO_ASSERTION
    invented = [o for o in asserted if o not in pair.findings_states]
    if invented:
        return RuleResult(False, f"not in the findings: {', '.join(invented)}", HARTUNG)
    return _ALL_SUPPORTED


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


for _cache in (_words, _impression_rules, _synthesised):
    register_derived_cache(_cache.cache_clear)


def guideline_report(findings: str, impression: str) -> GuidelineReport:
    """Every rule on one pair; ``score`` is the pass rate over the rules that apply (1.0 if none do)."""
    pair = Pair.of(findings, impression)
    rules = {name: rule(pair) for name, rule in RULES.items()}
    applicable = [r.passed for r in rules.values() if r.passed is not None]
    score = sum(applicable) / len(applicable) if applicable else 1.0
    return GuidelineReport(rules, score)
