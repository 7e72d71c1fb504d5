"""Find many ordered, named phrase groups in a text as one alternation would, running at each position only
the phrases able to start with the two characters found there.

Python's ``re`` tries every branch of an alternation at every position it scans; with ~150 observation
phrases most of the extractor's time went into branches failing on their first characters. The possible
first two characters of each phrase come from its parsed form (``re._parser``), so the dispatch is exact:
a phrase that could start there is always tried, groups and phrases keep their listed order, and "the
first listed group that matches wins" still holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from re import _constants as sre  # the parser's node types; stable across 3.11-3.13
from re import _parser

#: how many leading characters the dispatch looks at
KEY = 2
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (sre.AT, sre.ASSERT, sre.ASSERT_NOT)
#: what \s matches in a str pattern: str.isspace() characters, all below U+3001 (U+3000 is the last)
_WHITESPACE = frozenset(c for c in map(chr, range(0x3001)) if c.isspace())


class _Unbounded(Exception):
    """The phrase may start with any character (\\w, ., a negated class): no dispatch key."""


def _class_chars(items) -> set[str]:
    chars: set[str] = set()
    for op, arg in items:
        if op is sre.LITERAL:
            chars.add(chr(arg))
        elif op is sre.RANGE:
            chars.update(chr(c) for c in range(arg[0], arg[1] + 1))
        elif op is sre.CATEGORY and arg is sre.CATEGORY_SPACE:
            chars |= _WHITESPACE
        else:
            raise _Unbounded
    return chars


def _sequence(items, k: int) -> set[str]:
    """Strings of at most ``k`` characters: every match of ``items`` is one of those shorter than ``k`` or
    starts with one of length ``k``."""
    current = {""}
    for op, av in items:
        current = _extend(current, op, av, k)
    return current


def _extend(current: set[str], op, av, k: int) -> set[str]:
    out: set[str] = set()
    cache: dict[int, set[str]] = {}
    for s in current:
        room = k - len(s)
        if not room:
            out.add(s)
            continue
        if room not in cache:
            cache[room] = _node(op, av, room)
        out.update(s + t for t in cache[room])
    return out


def _node(op, av, k: int) -> set[str]:
    if op is sre.LITERAL:
        return {chr(av)}
    if op is sre.IN:
        return _class_chars(av)
    if op is sre.CATEGORY:
        return _class_chars([(op, av)])
    if op is sre.SUBPATTERN:
        return _sequence(av[-1], k)
    if op is sre.BRANCH:
        return set().union(*(_sequence(branch, k) for branch in av[1]))
    if op in _REPEATS:
        low, high, item = av
        out: set[str] = set()
        current = {""}
        # beyond low + k repetitions nothing new starts: each extra one adds a character or nothing
        for n in range(min(high, low + k) + 1):
            if n >= low:
                out |= current
            current = _extend(current, sre.SUBPATTERN, (None, 0, 0, item), k)
        return out
    if op in _ZERO_WIDTH:
        return {""}
    raise _Unbounded


def leading(pattern: str, k: int = KEY) -> frozenset[str]:
    """The strings of ``k`` characters a match of ``pattern`` can start with, plus its whole matches when
    shorter than ``k``. ValueError when that is not a short, finite list."""
    try:
        heads = _sequence(_parser.parse(pattern), k)
    except _Unbounded:
        heads = None
    if heads is None or "" in heads:
        raise ValueError(f"phrase {pattern!r} may start with any character or match nothing")
    return frozenset(heads)


class PhraseScanner:
    """``finditer`` over ``prefix(?:(?P<g1>...)|(?P<g2>...)|...)suffix``, then the ``extra`` groups without
    prefix and suffix, trying at each position only the phrases able to start there. ``prefix`` must be
    zero-width (\\b, a lookbehind).

    Yields (start, end, matched text, group name), non-overlapping, left to right, as ``finditer`` would.
    """

    def __init__(self, prefix: str, groups: list[tuple[str, list[str]]], suffix: str, extra=()) -> None:
        alternatives = [(prefix, groups, suffix), ("", list(extra), "")]
        heads = [[(name, [(p, leading(p)) for p in patterns]) for name, patterns in g] for _, g, _ in alternatives]
        keys = sorted({h for alt in heads for _, group in alt for _, first in group for h in first})
        compiled: dict[str, tuple[re.Pattern[str], list[str | None]]] = {}
        self._by_key: dict[str, tuple[re.Pattern[str], list[str | None]]] = {}
        for key in keys:
            names: list[str | None] = [None]
            sources = []
            for (pre, _, post), alt in zip(alternatives, heads, strict=True):
                parts = []
                for name, group in alt:
                    # a whole match shorter than the key is tried under every key it begins
                    kept = [p for p, first in group if any(key[:n] in first for n in range(1, len(key) + 1))]
                    if kept:
                        parts.append(f"({'|'.join(kept)})")
                        names.append(name)
                if parts:
                    sources.append(f"{pre}(?:{'|'.join(parts)}){post}")
            source = "|".join(sources)
            if source not in compiled:
                compiled[source] = (re.compile(source), names)
            self._by_key[key] = compiled[source]
        # where a match may start: the prefix holds and a key follows (zero-width, so none is skipped)
        self._candidates = re.compile(
            "|".join(
                f"{pre}(?={_alternation({h for _, group in alt for _, first in group for h in first})})"
                for (pre, _, _), alt in zip(alternatives, heads, strict=True)
                if alt
            )
        )

    def finditer(self, text: str) -> Iterator[tuple[int, int, str, str]]:
        by_key = self._by_key
        pos = 0
        for head in self._candidates.finditer(text):
            start = head.start()
            if start < pos:
                continue
            # a key of two characters covers the phrases starting there; one character, the shorter ones
            found = by_key.get(text[start : start + KEY]) or by_key.get(text[start])
            if found is None:
                continue
            match = found[0].match(text, start)
            if match is not None:
                pos = match.end()
                yield start, pos, match.group(), found[1][match.lastindex]


def _alternation(heads: set[str]) -> str:
    """A compact regex for a set of short strings: grouped by first character."""
    by_first: dict[str, set[str]] = {}
    for h in heads:
        by_first.setdefault(h[0], set()).add(h[1:])
    parts = []
    for first, rests in sorted(by_first.items()):
        tails = sorted(r for r in rests if r)
        tail = "[" + "".join(re.escape(c) for c in tails) + "]" if tails and all(len(t) == 1 for t in tails) else None
        if tail is None and tails:
            tail = "(?:" + "|".join(re.escape(t) for t in tails) + ")"
        if "" in rests:
            parts.append(re.escape(first) + (f"(?:{tail})?" if tail else ""))
        else:
            parts.append(re.escape(first) + tail)
    return "(?:" + "|".join(parts) + ")"
