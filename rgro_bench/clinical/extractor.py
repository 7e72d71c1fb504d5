"""Rule-based observation extractor: observation phrases, NegEx-style status, size/laterality/severity.

Speed comes from two precompiled alternations (observations, triggers) scanned once per sentence and
an LRU cache on whole texts: reports repeat a lot (IU X-ray has ~3,000 distinct findings among 3,331).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from rgro_bench.clinical.lexicon import OBSERVATION_GROUPS, SEVERITY_WORDS, TRIGGER_GROUPS
from rgro_bench.clinical.sentences import clear_sentence_cache, split_sentences
from rgro_bench.clinical.types import Mention

#: how far (characters) a trigger reaches: long enough for "no A, B, C or D", short enough to stop at clauses
PRE_WINDOW = 110
POST_WINDOW = 60


def _compile_observations() -> tuple[re.Pattern[str], dict[str, tuple[tuple[str, ...] | None, str | None]]]:
    parts, meta = [], {}
    for name, observations, forced, patterns in OBSERVATION_GROUPS:
        parts.append(rf"(?P<{name}>{'|'.join(patterns)})")
        meta[name] = (observations, forced)
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b"), meta


def _compile_triggers() -> tuple[re.Pattern[str], dict[str, tuple[str, str]]]:
    parts, meta = [], {}
    for i, (kind, direction, patterns) in enumerate(TRIGGER_GROUPS):
        name = f"t{i}"
        parts.append(rf"(?P<{name}>{'|'.join(patterns)})")
        meta[name] = (kind, direction)
    # clause punctuation terminates scope like a word does
    meta["punct"] = ("termination", "none")
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])|(?P<punct>[;:])"), meta


_OBSERVATIONS, _OBSERVATION_META = _compile_observations()
_TRIGGERS, _TRIGGER_META = _compile_triggers()
# "right and left lower lobes" stays one segment: both sides belong to one mention
_SEGMENT = re.compile(r"[,;:]|(?<!left)(?<!right)\s(?:and|with|but|which|while|whereas)\s")
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


def _sentence_mentions(index: int, sentence: str) -> list[Mention]:
    lower = sentence.lower()
    triggers: list[tuple[int, int, str, str, str]] = []
    terminations: list[int] = []
    clause_stops: list[int] = []  # terminations and copulas
    for match in _TRIGGERS.finditer(lower):
        kind, direction = _TRIGGER_META[match.lastgroup]
        if kind == "termination":
            terminations.append(match.start())
            clause_stops.append(match.start())
        elif kind == "copula":
            clause_stops.append(match.start())
        elif kind != "pseudo":
            triggers.append((match.start(), match.end(), kind, direction, match.group()))
    boundaries = [m.start() for m in _SEGMENT.finditer(lower)]
    mentions = []
    for match in _OBSERVATIONS.finditer(lower):
        observations, forced = _OBSERVATION_META[match.lastgroup]
        if observations is None:
            continue
        start, end = match.span()
        if forced:
            status, trigger = forced, match.group()
        else:
            status, trigger = _status(start, end, triggers, terminations, clause_stops)
        # attributes come from the clause segment holding the mention
        i = bisect_right(boundaries, start)
        seg_start = boundaries[i - 1] if i else 0
        j = bisect_right(boundaries, end - 1)
        seg_end = boundaries[j] if j < len(boundaries) else len(lower)
        segment = lower[seg_start:seg_end]
        laterality, size, severity = _laterality(segment), _size_mm(segment), _severity(segment)
        for observation in observations:
            mentions.append(
                Mention(observation, status, index, sentence, start, end, laterality, size, severity, trigger)
            )
    return mentions


@lru_cache(maxsize=131072)
def _extract(text: str) -> tuple[Mention, ...]:
    out: list[Mention] = []
    for index, sentence in enumerate(split_sentences(text)):
        out.extend(_sentence_mentions(index, sentence))
    return tuple(out)


def extract(text: str) -> list[Mention]:
    """Every observation mention in ``text``, in reading order (cached on the whole text)."""
    return list(_extract(text or ""))


def clear_cache() -> None:
    """Drop cached extractions (benchmarks measure cold speed with it)."""
    _extract.cache_clear()
    clear_sentence_cache()
