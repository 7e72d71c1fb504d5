"""Rule-based observation extractor: observation phrases, NegEx-style status, size/laterality/severity.

Speed comes from two precompiled alternations (observations, triggers) that try only the phrases able to
start at each position (see ``dispatch``), scanned once per distinct sentence, and LRU caches on sentences
and whole texts: report sentences repeat massively ("No pneumothorax."), reports less so. A sentence's
mentions are cached as plain tuples (``sentence_found``); callers that only read them (observation states,
guideline rules) use ``found_mentions`` and never pay for building Mention objects.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from functools import lru_cache

from rgro_bench.clinical.dispatch import PhraseScanner
from rgro_bench.clinical.lexicon import OBSERVATION_GROUPS, SEVERITY_WORDS, TRIGGER_GROUPS
from rgro_bench.clinical.sentences import clear_sentence_cache, sentence_tuple
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
_SIDES = frozenset(["left", "right", "bilateral", "bilaterally", "both", "bibasilar", "bibasal", "bibasally"])


def _word_alternation(words: list[str]) -> str:
    """``\\b(?:w1|w2|...)\\b`` for lower-case words, written to start with a letter so that re skips ahead
    (in C) to the positions holding a first letter, where a leading \\b would have it try every position.
    The \\b before a word becomes a look back from its end (``(?<!\\w.{n})`` for a word of n letters), so
    that it only runs once a whole word has matched."""
    by_first: dict[str, list[str]] = {}
    for word in words:
        if not word.isalpha() or not word.islower() or not word.isascii():
            raise ValueError(f"not a lower-case word: {word!r}")
        by_first.setdefault(word[0], []).append(rf"{word[1:]}(?<!\w.{{{len(word)}}})")
    return "(?:" + "|".join(f"{c}(?:{'|'.join(rests)})" for c, rests in by_first.items()) + r")\b"


# Attribute words (sides, severities) and sizes are found once per sentence. None contains a segment
# boundary (a comma, semicolon, colon, or the space before a conjunction), so the attributes of a segment
# are those that start inside it.
_ATTRIBUTE_WORD = re.compile(_word_alternation(sorted(_SIDES | SEVERITY_WORDS.keys())))
# \d\d* rather than \d+: a pattern starting with a character class lets re skip ahead to digits
_SIZE = re.compile(
    r"(\d\d*(?:\.\d+)?)(?:\s*(?:x|by|×)\s*(\d+(?:\.\d+)?))?(?:\s*(?:x|by|×)\s*(\d+(?:\.\d+)?))?"
    r"\s*-?\s*(mm|cm|millimeters?|centimeters?)\b"
)
_NO_ATTRIBUTES = (None, None, None)


def _holds_size(lower: str) -> bool:
    """Whether a lower-cased sentence holds a _SIZE. A size ends in its unit (mm, cm, ...meter(s)): most
    sentences name none, and looking for the units is cheaper than _SIZE's search, which tests every
    character for a digit against the Unicode database."""
    return ("mm" in lower or "cm" in lower or "meter" in lower) and _SIZE.search(lower) is not None


def _laterality(sides: set[str]) -> str | None:
    if not sides:
        return None
    if sides - {"left", "right"} or sides == {"left", "right"}:
        return "bilateral"
    return sides.pop()


def _size_mm(size: re.Match[str]) -> float:
    dims = [float(d) for d in size.groups()[:3] if d is not None]
    scale = 10.0 if size.group(4).startswith("c") else 1.0
    return round(scale * sum(dims) / len(dims), 2)


def measurements_mm(text: str) -> list[float]:
    """Every size ``text`` states, in mm (a multi-dimension size by its mean, as mentions carry it)."""
    lower = text.lower()
    return [_size_mm(m) for m in _SIZE.finditer(lower)] if _holds_size(lower) else []


def _attributes(
    words: list[tuple[int, str]], sizes: list[re.Match[str]], lo: int, hi: int
) -> tuple[str | None, float | None, str | None]:
    """Laterality (every side named), size and severity (the first of each) of the segment [lo, hi)."""
    sides: set[str] = set()
    severity = None
    for start, word in words:
        if lo <= start < hi:
            if word in _SIDES:
                sides.add(word)
            elif severity is None:  # an attribute word that is no side is a severity
                severity = SEVERITY_WORDS[word]
    size = next((_size_mm(m) for m in sizes if lo <= m.start() < hi), None) if sizes else None
    return _laterality(sides), size, severity


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


#: a mention as found in its sentence, the fields of Mention less the sentence and its index:
#: (observation, status, start, end, laterality, size, severity, trigger)
Found = tuple[str, str, int, int, str | None, float | None, str | None, str | None]


@lru_cache(maxsize=131072)
def sentence_found(sentence: str) -> tuple[Found, ...]:
    """The mentions of one sentence, whatever its place in a report. Cached: report sentences repeat far
    more than reports do (IU X-ray: ~20,000 sentences, ~7,300 distinct), so a report's extraction is
    mostly cache hits plus numbering."""
    lower = sentence.lower()
    spans: list[tuple[int, int, str, tuple[str, ...], str | None]] = []
    needs_triggers = False  # only mentions without a forced status need the triggers
    for start, end, text, group in _OBSERVATIONS.finditer(lower):
        observations, forced = _OBSERVATION_META[group]
        if observations is not None:  # "ignore" phrases only keep their words from matching as others
            spans.append((start, end, text, observations, forced))
            needs_triggers = needs_triggers or forced is None
    if not spans:  # most of the work below only serves mentions: skip it for sentences without any
        return ()
    triggers: list[tuple[int, int, str, str, str]] = []
    terminations: list[int] = []
    clause_stops: list[int] = []  # terminations and copulas
    if needs_triggers:
        for t_start, t_end, text, group in _TRIGGERS.finditer(lower):
            kind, direction = _TRIGGER_META[group]
            if kind == "termination":
                terminations.append(t_start)
                clause_stops.append(t_start)
            elif kind == "copula":
                clause_stops.append(t_start)
            elif kind != "pseudo":
                triggers.append((t_start, t_end, kind, direction, text))
    words = [(m.start(), m.group()) for m in _ATTRIBUTE_WORD.finditer(lower)]
    sizes = list(_SIZE.finditer(lower)) if _holds_size(lower) else []
    # segments only matter in sentences with attributes (about half of those with mentions)
    boundaries = [m.start() for m in _SEGMENT.finditer(lower)] if words or sizes else []
    found: list[Found] = []
    for start, end, text, observations, forced in spans:
        if forced:
            status, trigger = forced, text
        else:
            status, trigger = _status(start, end, triggers, terminations, clause_stops)
        # attributes come from the clause segment holding the mention
        laterality, size, severity = _NO_ATTRIBUTES
        if words or sizes:
            i = bisect_right(boundaries, start)
            seg_start = boundaries[i - 1] if i else 0
            j = bisect_right(boundaries, end - 1)
            seg_end = boundaries[j] if j < len(boundaries) else len(lower)
            laterality, size, severity = _attributes(words, sizes, seg_start, seg_end)
        for observation in observations:
            found.append((observation, status, start, end, laterality, size, severity, trigger))
    return tuple(found)


def found_mentions(text: str | None) -> Iterator[tuple[int, str, Found]]:
    """The mentions of ``text`` in reading order as (sentence index, sentence, found): ``extract`` without
    building Mention objects, which cost more than finding the mentions of a cached sentence."""
    for index, sentence in enumerate(sentence_tuple(text or "")):
        for found in sentence_found(sentence):
            yield index, sentence, found


@lru_cache(maxsize=131072)
def _extract(text: str) -> tuple[Mention, ...]:
    # a Found holds Mention's fields in order, less the sentence index and the sentence after the status
    return tuple(Mention(*found[:2], index, sentence, *found[2:]) for index, sentence, found in found_mentions(text))


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
    sentence_found.cache_clear()
    clear_sentence_cache()
