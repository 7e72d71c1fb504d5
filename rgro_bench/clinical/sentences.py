"""Sentence splitting for report text, in the two forms the harness uses.

- :func:`split_sentences`: the clinical splitter (numbered lists, abbreviations and decimals handled; list
  markers removed), which the observation extractor and the guideline rules read.
- :func:`punctuation_sentences`: a plain split after ``.``/``!``/``?`` and at newlines, which rougeLsum and
  the lead-K baselines read. It is kept apart on purpose: on the shipped texts it differs from the clinical
  splitter on 867 of 5,636 distinct texts (a numbered "1." is its own piece here, "e.g." ends a sentence),
  so using the clinical one there would change every published rougeLsum and lead-2 number."""

from __future__ import annotations

import re
import string
from functools import lru_cache

# A boundary is whitespace after sentence punctuation, a newline, or whitespace before a list marker
# ("... effusion 2. Stable ..."). A period inside a number (4.5 mm) has no whitespace after it.
# Written as "(?<=[.!?])\s+|\n+|\s+(?=<list marker>)" with the leading \s factored out: a pattern starting
# with one character class lets re skip ahead to whitespace instead of trying each branch everywhere.
_BOUNDARY = re.compile(r"\s(?:(?<=[.!?]\s)\s*|(?<=\n)\n*|\s*(?=\(?\d{1,2}[.)]\s+[A-Za-z]))")
_LIST_MARKER = re.compile(r"^\s*(?:\(?\d{1,2}[.)]|[-*•])\s+")
# Pieces ending in these tokens continue into the next piece.
_ABBREVIATIONS = frozenset(
    [
        "e.g.",
        "i.e.",
        "approx.",
        "vs.",
        "dr.",
        "mr.",
        "mrs.",
        "ms.",
        "no.",
        "cf.",
        "etc.",
        "fig.",
        "st.",
        "ca.",
        "prob.",
        "hx.",
        "h/o.",
        "a.m.",
        "p.m.",
        "ap.",
        "pa.",
        "lat.",
    ]
)
_HAS_WORD = re.compile(r"[A-Za-z0-9]")
_ASCII_LETTERS = frozenset(string.ascii_letters)
_BARE_MARKER = re.compile(r"\(?\d{1,2}[.)]")
#: the longest last token that can continue: an abbreviation (initials and bare markers are shorter;
#: lower-casing never shortens a token)
_LONGEST_CONTINUATION = max(map(len, _ABBREVIATIONS))


def _continues(piece: str) -> bool:
    """Whether a piece runs on into the next: it ends in an abbreviation or an initial ("J."), or it is a
    bare list marker ("1."). A piece of whitespace only (between two newlines) ends in nothing."""
    tokens = piece.rsplit(None, 1)
    if not tokens:
        return False
    last = tokens[-1]
    if len(last) > _LONGEST_CONTINUATION:  # most pieces end in a longer word: nothing to look up
        return False
    lowered = last.lower()
    if lowered in _ABBREVIATIONS or (len(lowered) == 2 and lowered[1] == "." and "a" <= lowered[0] <= "z"):
        return True
    # a bare marker is one token of at most 4 characters, so the last token is all of it (most are longer)
    return len(last) <= 4 and _BARE_MARKER.fullmatch(piece.strip()) is not None


@lru_cache(maxsize=65536)
def sentence_tuple(text: str) -> tuple[str, ...]:
    """``split_sentences`` as the cached tuple itself, for callers that only read it."""
    merged: list[str] = []
    for piece in _BOUNDARY.split(text.strip()):
        if not piece:
            continue
        if merged and _continues(merged[-1]):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    out = []
    for piece in merged:
        if piece[0] in _ASCII_LETTERS:  # most pieces: no list marker, and a word to keep
            out.append(piece.strip())
            continue
        piece = _LIST_MARKER.sub("", piece).strip()
        if _HAS_WORD.search(piece):
            out.append(piece)
    return tuple(out)


_PUNCTUATION_END = re.compile(r"(?<=[.!?])\s+|\n+")


def punctuation_sentences(text: str) -> list[str]:
    """Pieces of ``text`` split after sentence punctuation followed by whitespace, and at newlines."""
    return [s for s in _PUNCTUATION_END.split(text.strip()) if s.strip()]


def split_sentences(text: str) -> list[str]:
    """Split report text into sentences; list markers ("1.", "2)") are removed from the items."""
    return list(sentence_tuple(text or ""))


def clear_sentence_cache() -> None:
    sentence_tuple.cache_clear()
