"""Find many ordered, named phrase groups in a text as one alternation would, running at each position only
the phrases able to start with the two characters found there.

Python's ``re`` tries every branch of an alternation at every position it scans; with ~150 observation
phrases most of the extractor's time went into branches failing on their first characters. The possible
first two characters of each phrase come from its parsed form (``re._parser``), so the dispatch is exact:
a phrase that could start there is always tried, groups and phrases keep their listed order, and "the
first listed group that matches wins" still holds. The positions to try come from one regex over the
phrases' longer heads (up to FILTER characters), so that "the" or "normal" is not tried as "the lungs" or
"nodule"; where the prefix only excludes characters before a match, that regex starts with the class of the
character before it, which lets re skip ahead in C instead of trying every position.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from re import _constants as sre  # the parser's node types; stable across 3.11-3.13
from re import _parser

#: how many leading characters the dispatch looks at
KEY = 2
#: the candidate filter looks up to this many characters ahead, while a phrase has at most FILTER_HEADS
#: heads that long (past a free word such as \w+ nothing is known, and the filter stops there)
FILTER = 8
FILTER_HEADS = 64
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (sre.AT, sre.ASSERT, sre.ASSERT_NOT)
#: what \s matches in a str pattern: str.isspace() characters, all below U+3001 (U+3000 is the last)
_WHITESPACE = frozenset(c for c in map(chr, range(0x3001)) if c.isspace())
#: one character standing for all of \s in the filter's heads (its 29 characters would multiply the heads
#: by 29 at each position), written back as \s; a noncharacter, so no phrase contains it
_SPACE = "\uffff"
#: the ASCII characters \w matches
_ASCII_WORD = "0-9A-Za-z_"


class _Unbounded(Exception):
    """The phrase may start with any character (\\w, ., a negated class): no dispatch key."""


def _class_chars(items, space: frozenset[str]) -> set[str]:
    chars: set[str] = set()
    for op, arg in items:
        if op is sre.LITERAL:
            chars.add(chr(arg))
        elif op is sre.RANGE:
            chars.update(chr(c) for c in range(arg[0], arg[1] + 1))
        elif op is sre.CATEGORY and arg is sre.CATEGORY_SPACE:
            chars |= space
        else:
            raise _Unbounded
    return chars


def _sequence(items, k: int, space: frozenset[str]) -> set[str]:
    """Strings of at most ``k`` characters: every match of ``items`` is one of those shorter than ``k`` or
    starts with one of length ``k``."""
    current = {""}
    for op, av in items:
        current = _extend(current, op, av, k, space)
    return current


def _extend(current: set[str], op, av, k: int, space: frozenset[str]) -> set[str]:
    out: set[str] = set()
    cache: dict[int, set[str]] = {}
    for s in current:
        room = k - len(s)
        if not room:
            out.add(s)
            continue
        if room not in cache:
            cache[room] = _node(op, av, room, space)
        out.update(s + t for t in cache[room])
    return out


def _node(op, av, k: int, space: frozenset[str]) -> set[str]:
    if op is sre.LITERAL:
        return {chr(av)}
    if op is sre.IN:
        return _class_chars(av, space)
    if op is sre.CATEGORY:
        return _class_chars([(op, av)], space)
    if op is sre.SUBPATTERN:
        return _sequence(av[-1], k, space)
    if op is sre.BRANCH:
        return set().union(*(_sequence(branch, k, space) for branch in av[1]))
    if op in _REPEATS:
        low, high, item = av
        out: set[str] = set()
        current = {""}
        # beyond low + k repetitions nothing new starts: each extra one adds a character or nothing
        for n in range(min(high, low + k) + 1):
            if n >= low:
                out |= current
            current = _extend(current, sre.SUBPATTERN, (None, 0, 0, item), k, space)
        return out
    if op in _ZERO_WIDTH:
        return {""}
    raise _Unbounded


def leading(pattern: str, k: int = KEY) -> frozenset[str]:
    """The strings of ``k`` characters a match of ``pattern`` can start with, plus its whole matches when
    shorter than ``k``. ValueError when that is not a short, finite list."""
    return _leading(_parser.parse(pattern), k, _WHITESPACE, pattern)


def _leading(parsed, k: int, space: frozenset[str], pattern: str) -> frozenset[str]:
    """``leading`` of an already parsed pattern, with ``space`` standing for what \\s matches."""
    try:
        heads = _sequence(parsed, k, space)
    except _Unbounded:
        heads = None
    if heads is None or "" in heads:
        raise ValueError(f"phrase {pattern!r} may start with any character or match nothing")
    return frozenset(heads)


def _keys_and_heads(pattern: str) -> tuple[frozenset[str], frozenset[str]]:
    """A phrase's dispatch keys (its ``leading`` strings) and its filter heads: the longest heads, up to
    FILTER characters with _SPACE standing for \\s, that stay few."""
    if _SPACE in pattern:
        raise ValueError(f"phrase {pattern!r} contains the filter's stand-in for \\s")
    parsed, space = _parser.parse(pattern), frozenset(_SPACE)
    keys = _leading(parsed, KEY, _WHITESPACE, pattern)
    heads = _leading(parsed, KEY, space, pattern)
    for k in range(KEY + 1, FILTER + 1):
        try:
            longer = _leading(parsed, k, space, pattern)
        except ValueError:  # a free character (\w, .) follows: nothing more is known
            break
        if len(longer) > FILTER_HEADS:
            break
        heads = longer
    return keys, heads


class PhraseScanner:
    """``finditer`` over ``prefix(?:(?P<g1>...)|(?P<g2>...)|...)suffix``, then the ``extra`` groups without
    prefix and suffix, trying at each position only the phrases able to start there. ``prefix`` must be
    zero-width (\\b, a lookbehind).

    Yields (start, end, matched text, group name), non-overlapping, left to right, as ``finditer`` would.
    """

    def __init__(self, prefix: str, groups: list[tuple[str, list[str]]], suffix: str, extra=()) -> None:
        alternatives = [(prefix, groups, suffix), ("", list(extra), "")]
        # per alternative, per group: (name, [(phrase, its keys, its filter heads)])
        phrases = [
            [(name, [(p, *_keys_and_heads(p)) for p in patterns]) for name, patterns in g] for _, g, _ in alternatives
        ]
        keys = sorted({key for alt in phrases for _, group in alt for _, first, _ in group for key in first})
        compiled: dict[str, tuple[re.Pattern[str], list[str | None]]] = {}
        self._by_key: dict[str, tuple[re.Pattern[str], list[str | None]]] = {}
        for key in keys:
            names: list[str | None] = [None]
            sources = []
            for (pre, _, post), alt in zip(alternatives, phrases, strict=True):
                parts = []
                for name, group in alt:
                    # a whole match shorter than the key is tried under every key it begins
                    kept = [p for p, first, _ in group if any(key[:n] in first for n in range(1, len(key) + 1))]
                    if kept:
                        parts.append(f"({'|'.join(kept)})")
                        names.append(name)
                if parts:
                    sources.append(f"{pre}(?:{'|'.join(parts)}){post}")
            source = "|".join(sources)
            if source not in compiled:
                compiled[source] = (re.compile(source), names)
            self._by_key[key] = compiled[source]
        # Where a match may start: the prefix holds and a phrase's head follows; the longer heads leave far
        # fewer positions to dispatch than the keys would.
        heads = [{h for _, group in alt for *_, hs in group for h in hs} for alt in phrases]
        before = _preceding_class(prefix, heads[0])
        if before is None:  # zero-width, so no position is skipped
            self._candidates = re.compile(
                "|".join(
                    f"{pre}(?={_alternation(alt_heads)})"
                    for (pre, _, _), alt_heads in zip(alternatives, heads, strict=True)
                    if alt_heads
                )
            )
            self._padded, self._extra = False, None
        else:
            # A zero-width pattern is tried at every position; one starting with a character class lets re
            # skip (in C) to the characters of the class. So the candidates consume the character before
            # the phrase, in the text with a space in front (for a phrase at its start): the candidate
            # found at i of that text starts the phrase at i of the text itself. The extra phrases, with
            # no prefix, consume their own first character instead.
            self._candidates = re.compile(f"{_ascii_superset(before)}(?={_alternation(heads[0])})")
            self._padded = True
            self._extra = re.compile(_first_consumed(heads[1])) if heads[1] else None

    def _starts(self, text: str) -> Iterable[int]:
        """Where a match may start, in order."""
        if not self._padded:
            return (head.start() for head in self._candidates.finditer(text))
        starts = [head.start() for head in self._candidates.finditer(" " + text)]
        # the extra phrases are rare (clause punctuation): one search rules most texts out more cheaply than
        # listing their starts would
        if self._extra is not None and self._extra.search(text) is not None:
            starts = sorted({*starts, *(head.start() for head in self._extra.finditer(text))})
        return starts

    def finditer(self, text: str) -> Iterator[tuple[int, int, str, str]]:
        by_key = self._by_key
        pos = 0
        for start in self._starts(text):
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


def _preceding_class(prefix: str, heads: set[str]) -> str | None:
    """A character class that the character before a match must be in, when that is all ``prefix`` asks
    and a space is in it: a negative lookbehind of one class ("(?<![\\w-])"), or \\b before phrases that all
    start with a word character. None otherwise."""
    if not heads:
        return None
    if prefix == r"\b":
        return r"\W" if all(re.match(r"\w", h[0]) for h in heads) else None
    lookbehind = re.fullmatch(r"\(\?<!\[([^]^][^]]*)\]\)", prefix)
    if lookbehind is None or re.match(f"[{lookbehind[1]}]", " "):
        return None
    return f"[^{lookbehind[1]}]"


def _ascii_superset(before: str) -> str:
    """``before`` (a class from ``_preceding_class``, excluding \\w) excluding only ASCII word characters,
    [0-9A-Za-z_]: re tests \\w against the Unicode database at every character it skips, a written-out class
    with one table lookup. The class only has to let every start through, as the key's pattern checks the
    prefix again (a start after "é" is tried and fails). ``before`` itself when it holds another escape."""
    if before == r"\W":
        return f"[^{_ASCII_WORD}]"
    written = before.replace(r"\w", _ASCII_WORD)
    return before if re.search(r"\\[A-Za-z]", written) else written


def _first_consumed(heads: set[str]) -> str:
    """A regex for the first character of a string starting with one of ``heads``, a lookahead checking
    the rest: one character consumed skips no later start, and literal first characters let re skip ahead
    (in C) to them."""
    tails_of: dict[str, set[str]] = {}
    for h in heads:
        tails_of.setdefault(h[0], set()).add(h[1:])
    return "|".join(
        _char_class([first]) + ("" if "" in tails else f"(?={_alternation(tails)})")
        for first, tails in sorted(tails_of.items())
    )


def _alternation(heads: set[str]) -> str:
    """A regex for "starts with one of ``heads``" (used in a lookahead): a trie in which first characters
    with the same continuations share a character class, and a head ends a branch (a longer head adds
    nothing after it)."""
    tails_of: dict[str, set[str]] = {}
    for h in heads:
        tails_of.setdefault(h[0], set()).add(h[1:])
    firsts_of: dict[frozenset[str], list[str]] = {}
    for first, tails in tails_of.items():
        firsts_of.setdefault(frozenset(tails), []).append(first)
    parts = []
    for tails, firsts in firsts_of.items():
        part = _char_class(firsts)
        if "" not in tails:
            part += _alternation(set(tails))
        parts.append(part)
    return "(?:" + "|".join(sorted(parts)) + ")"


def _char_class(chars: list[str]) -> str:
    escaped = sorted(r"\s" if c == _SPACE else re.escape(c) for c in chars)
    return escaped[0] if len(escaped) == 1 else "[" + "".join(escaped) + "]"
