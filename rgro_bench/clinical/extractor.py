"""Rule-based observation extractor: observation phrases, NegEx-style status, size/laterality/severity.

Speed comes from two precompiled alternations (observations, triggers) that try only the phrases able to
start at each position (see ``dispatch``), scanned once per distinct sentence, and LRU caches on sentences
and whole texts: report sentences repeat massively ("No pneumothorax."), reports less so.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from functools import lru_cache

from rgro_bench.clinical.dispatch import PhraseScanner
from rgro_bench.clinical.lexicon import OBSERVATION_GROUPS, SEVERITY_WORDS, TRIGGER_GROUPS
from rgro_bench.clinical.sentences import clear_sentence_cache, split_sentences
from rgro_bench.clinical.types import Mention

#: how far (characters) a trigger reaches: long enough for "no A, B, C or D", short enough to stop at clauses
PRE_WINDOW = 110
POST_WINDOW = 60


_OBSERVATION_META = {name: (observations, forced) for name, observations, forced, _ in OBSERVATION_GROUPS}
_OBSERVATIONS = PhraseScanner(r"\b", [(name, patterns) for name, _, _, patterns in OBSERVATION_GROUPS], r"\b")
_TRIGGER_META = {f"t{i}": (kind, direction) for i, (kind, direction, _) in enumerate(TRIGGER_GROUPS)}
# clause punctuation terminates scope like a word does
_TRIGGER_META["punct"] = ("termination", "none")
_TRIGGERS = PhraseScanner(
    r"(?<![\w-])",
    [(f"t{i}", patterns) for i, (_, _, patterns) in enumerate(TRIGGER_GROUPS)],
    r"(?![\w-])",
    extra=[("punct", [r"[;:]"])],
)
# "right and left lower lobes" stays one segment: both sides belong to one mention
# (written to start with one character class, which lets re skip ahead to candidates: "[,;:]|(?<!left)
# (?<!right)\s(?:and|with|...)\s" with the left/right check moved after the space)
_SEGMENT = re.compile(r"[,;:\s](?:(?<=[,;:])|(?<!left\s)(?<!right\s)(?<=\s)(?:and|with|but|which|while|whereas)\s)")
_LATERALITY = re.compile(r"\b(left|right|bilateral(?:ly)?|both|bibasilar|bibasal|bibasally)\b")
_SIZE = re.compile(
    r"(\d+(?:\.\d+)?)(?:\s*(?:x|by|×)\s*(\d+(?:\.\d+)?))?(?:\s*(?:x|by|×)\s*(\d+(?:\.\d+)?))?"
    r"\s*-?\s*(mm|cm|millimeters?|centimeters?)\b"
)
_SEVERITY = re.compile(r"\b(" + "|".join(sorted(SEVERITY_WORDS, key=len, reverse=True)) + r")\b")


def _laterality(segment: str) -> str | None:
    sides = {m.group(1) for m in _LATERALITY.finditer(segment)}
    if not sides:
        return None
    if sides - {"left", "right"} or sides == {"left", "right"}:
        return "bilateral"
    return sides.pop()


def _size_mm(segment: str) -> float | None:
    match = _SIZE.search(segment)
    if match is None:
        return None
    dims = [float(d) for d in match.groups()[:3] if d is not None]
    scale = 10.0 if match.group(4).startswith("c") else 1.0
    return round(scale * sum(dims) / len(dims), 2)


def _severity(segment: str) -> str | None:
    match = _SEVERITY.search(segment)
    return SEVERITY_WORDS[match.group(1)] if match else None


@lru_cache(maxsize=131072)
def _attributes(segment: str) -> tuple[str | None, float | None, str | None]:
    """Laterality, size and severity of a clause segment; cached: short clauses ("no pneumothorax") recur."""
    return _laterality(segment), _size_mm(segment), _severity(segment)


def _blocked(stops: list[int], lo: int, hi: int) -> bool:
    """Whether some scope stop lies in [lo, hi)."""
    i = bisect_right(stops, lo - 1)
    return i < len(stops) and stops[i] < hi


def _status(
    start: int,
    end: int,
    triggers: list[tuple[int, int, str, str, str]],
    terminations: list[int],
    clause_stops: list[int],
) -> tuple[str, str | None]:
    """The nearest negation/uncertainty trigger in scope decides; none in scope means positive."""
    best: tuple[int, str, str] | None = None
    for t_start, t_end, kind, direction, text in triggers:
        if direction in ("pre", "both") and t_end <= end and t_start >= start - PRE_WINDOW:
            # scope: no termination (or copula) between the trigger and the mention's end
            if _blocked(clause_stops, t_end, end):
                continue
            distance = max(0, start - t_end)
        elif direction in ("post", "both") and t_start >= end and t_start - end <= POST_WINDOW:
            if _blocked(terminations, end, t_start):
                continue
            distance = t_start - end
        else:
            continue
        if best is None or distance < best[0]:
            best = (distance, kind, text)
    if best is None:
        return "positive", None
    if best[1] == "chain":
        # "no opacity to suggest pneumonia": the chain word passes on a negation in scope, else it hedges
        negated = [
            t for t in triggers if t[2] == "negative" and t[3] == "pre" and t[1] <= start and t[0] >= start - PRE_WINDOW
        ]
        return ("negative", negated[-1][4]) if negated else ("uncertain", best[2])
    return best[1], best[2]


#: a mention without its sentence index: (observation, status, start, end, laterality, size, severity, trigger)
_Found = tuple[str, str, int, int, str | None, float | None, str | None, str | None]


@lru_cache(maxsize=131072)
def _sentence_found(sentence: str) -> tuple[_Found, ...]:
    """The mentions of one sentence, whatever its place in a report. Cached: report sentences repeat far
    more than reports do (IU X-ray: ~20,000 sentences, ~7,300 distinct), so a report's extraction is
    mostly cache hits plus numbering."""
    lower = sentence.lower()
    spans = [(start, end, text, _OBSERVATION_META[group]) for start, end, text, group in _OBSERVATIONS.finditer(lower)]
    spans = [span for span in spans if span[3][0] is not None]
    if not spans:  # most of the work below only serves mentions: skip it for sentences without any
        return ()
    triggers: list[tuple[int, int, str, str, str]] = []
    terminations: list[int] = []
    clause_stops: list[int] = []  # terminations and copulas
    if not all(forced for *_, (_, forced) in spans):
        for t_start, t_end, text, group in _TRIGGERS.finditer(lower):
            kind, direction = _TRIGGER_META[group]
            if kind == "termination":
                terminations.append(t_start)
                clause_stops.append(t_start)
            elif kind == "copula":
                clause_stops.append(t_start)
            elif kind != "pseudo":
                triggers.append((t_start, t_end, kind, direction, text))
    boundaries = [m.start() for m in _SEGMENT.finditer(lower)]
    found: list[_Found] = []
    for start, end, text, (observations, forced) in spans:
        if forced:
            status, trigger = forced, text
        else:
            status, trigger = _status(start, end, triggers, terminations, clause_stops)
        # attributes come from the clause segment holding the mention
        i = bisect_right(boundaries, start)
        seg_start = boundaries[i - 1] if i else 0
        j = bisect_right(boundaries, end - 1)
        seg_end = boundaries[j] if j < len(boundaries) else len(lower)
        laterality, size, severity = _attributes(lower[seg_start:seg_end])
        for observation in observations:
            found.append((observation, status, start, end, laterality, size, severity, trigger))
    return tuple(found)


@lru_cache(maxsize=131072)
def _sentence_mentions(index: int, sentence: str) -> tuple[Mention, ...]:
    return tuple(
        Mention(observation, status, index, sentence, start, end, laterality, size, severity, trigger)
        for observation, status, start, end, laterality, size, severity, trigger in _sentence_found(sentence)
    )


@lru_cache(maxsize=131072)
def _extract(text: str) -> tuple[Mention, ...]:
    out: list[Mention] = []
    for index, sentence in enumerate(split_sentences(text)):
        out.extend(_sentence_mentions(index, sentence))
    return tuple(out)


def extract(text: str) -> list[Mention]:
    """Every observation mention in ``text``, in reading order (cached on the whole text)."""
    return list(_extract(text or ""))


#: clear functions of caches other modules keep of values derived from extractions
_DERIVED_CACHES: list[Callable[[], None]] = []


def register_derived_cache(clear: Callable[[], None]) -> None:
    """Have ``clear_cache`` clear a cache derived from extractions too."""
    _DERIVED_CACHES.append(clear)


def clear_cache() -> None:
    """Drop cached extractions and everything derived from them (benchmarks measure cold speed with it)."""
    for clear in _DERIVED_CACHES:
        clear()
    _extract.cache_clear()
    _sentence_mentions.cache_clear()
    _sentence_found.cache_clear()
    _attributes.cache_clear()
    clear_sentence_cache()
