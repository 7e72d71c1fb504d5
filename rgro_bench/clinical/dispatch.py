"""One regular expression over many ordered, named phrase groups that, at each position, tries only the
phrases able to start with the character found there.

Python's ``re`` tries every branch of an alternation at every position it scans; with ~150 observation
phrases most of the extractor's time went into branches failing on their first character. Each phrase's
possible first characters come from its parsed form, so the dispatch is exact: a phrase that could start
with a character is kept in that character's branch, groups and phrases keep their listed order, and "the
first listed group that matches wins" still holds.
"""

from __future__ import annotations

import re
from re import _constants as sre  # the parser's node types; stable across 3.11-3.13
from re import _parser

#: the set of characters a pattern can start with; None: any character (or the empty string)
FirstSet = frozenset[str] | None
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (sre.AT, sre.ASSERT, sre.ASSERT_NOT)
#: what \s matches in a str pattern: str.isspace() characters, all below U+3001 (U+3000 is the last)
_WHITESPACE = frozenset(c for c in map(chr, range(0x3001)) if c.isspace())


def _first_of_sequence(items) -> tuple[FirstSet, bool]:
    """(first characters, whether the sequence can match the empty string)."""
    chars: set[str] = set()
    for op, av in items:
        first, nullable = _first_of_node(op, av)
        if first is None:
            return None, nullable
        chars |= first
        if not nullable:
            return frozenset(chars), False
    return frozenset(chars), True


def _first_of_class(av) -> FirstSet:
    chars: set[str] = set()
    for op, arg in av:
        if op is sre.LITERAL:
            chars.add(chr(arg))
        elif op is sre.RANGE:
            chars.update(chr(c) for c in range(arg[0], arg[1] + 1))
        elif op is sre.CATEGORY and arg is sre.CATEGORY_SPACE:
            chars |= _WHITESPACE
        else:  # another category (\w, \d) or a negation: any character, to stay a superset
            return None
    return frozenset(chars)


def _first_of_node(op, av) -> tuple[FirstSet, bool]:
    if op is sre.LITERAL:
        return frozenset(chr(av)), False
    if op is sre.IN:
        return _first_of_class(av), False
    if op is sre.CATEGORY:
        return _first_of_class([(op, av)]), False
    if op is sre.SUBPATTERN:
        return _first_of_sequence(av[-1])
    if op is sre.BRANCH:
        chars: set[str] = set()
        nullable = False
        for branch in av[1]:
            first, empty = _first_of_sequence(branch)
            if first is None:
                return None, True
            chars |= first
            nullable = nullable or empty
        return frozenset(chars), nullable
    if op in _REPEATS:
        first, nullable = _first_of_sequence(av[2])
        return first, nullable or av[0] == 0
    if op in _ZERO_WIDTH:
        # an assertion consumes nothing; ignoring what it demands keeps the set a superset
        return frozenset(), True
    return None, True  # ANY, NOT_LITERAL, anything unforeseen: any character


def first_chars(pattern: str) -> FirstSet:
    """The characters a match of ``pattern`` can start with (None: any, including an empty match)."""
    first, nullable = _first_of_sequence(_parser.parse(pattern))
    return None if nullable else first


class PhraseScanner:
    """``finditer`` over ``prefix(?:(?P<g1>...)|(?P<g2>...)|...)suffix`` (then ``extra`` alternatives, tried
    without prefix and suffix), that runs at each position only the phrases able to start with the
    character there. ``prefix`` must be zero-width (\\b, a lookbehind). Phrases must not match the empty
    string nor start with an arbitrary character: their first characters must be known.

    Yields (start, end, matched text, group name), as ``finditer`` would, non-overlapping, left to right.
    """

    def __init__(self, prefix: str, groups: list[tuple[str, list[str]]], suffix: str, extra=()) -> None:
        alternatives = [(prefix, groups, suffix), ("", list(extra), "")]
        firsts = [
            [(name, [(p, _known_first(p)) for p in patterns]) for name, patterns in g] for _, g, _ in alternatives
        ]
        chars = sorted({c for alt in firsts for _, group in alt for _, first in group for c in first})
        self._by_char: dict[str, tuple[re.Pattern[str], list[str | None]]] = {}
        for c in chars:
            names: list[str | None] = [None]
            sources = []
            for (pre, _, post), alt in zip(alternatives, firsts, strict=True):
                parts = []
                for name, group in alt:
                    kept = [p for p, first in group if c in first]
                    if kept:
                        parts.append(f"({'|'.join(kept)})")
                        names.append(name)
                if parts:
                    sources.append(f"{pre}(?:{'|'.join(parts)}){post}")
            self._by_char[c] = (re.compile("|".join(sources)), names)
        # where a match may start: a first character, with the prefix's assertion where it applies
        heads = [
            (prefix, {c for _, g in firsts[0] for _, f in g for c in f}),
            ("", {c for _, g in firsts[1] for _, f in g for c in f}),
        ]
        self._candidates = re.compile(
            "|".join(f"{pre}[{''.join(re.escape(c) for c in sorted(cs))}]" for pre, cs in heads if cs)
        )

    def finditer(self, text: str):
        by_char = self._by_char
        pos = 0
        for head in self._candidates.finditer(text):
            start = head.start()
            if start < pos:
                continue
            regex, names = by_char[text[start]]
            match = regex.match(text, start)
            if match is not None:
                pos = match.end()
                yield start, pos, match.group(), names[match.lastindex]


def _known_first(pattern: str) -> frozenset[str]:
    first = first_chars(pattern)
    if first is None:
        raise ValueError(f"phrase {pattern!r} may start with any character or match nothing: give its first characters")
    return first
