"""Sentence splitting for report text: numbered lists, abbreviations and decimals handled."""

from __future__ import annotations

import re
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
_BARE_MARKER = re.compile(r"\(?\d{1,2}[.)]")
_INITIAL = re.compile(r"[a-z]\.")


def _ends_in_abbreviation(piece: str) -> bool:
    last = piece.rsplit(None, 1)[-1].lower()
    return last in _ABBREVIATIONS or bool(_INITIAL.fullmatch(last))


@lru_cache(maxsize=65536)
def _split(text: str) -> tuple[str, ...]:
    pieces = [p for p in _BOUNDARY.split(text.strip()) if p]
    merged: list[str] = []
    for piece in pieces:
        bare_marker = merged and _BARE_MARKER.fullmatch(merged[-1].strip())
        if merged and (bare_marker or _ends_in_abbreviation(merged[-1])):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    out = []
    for piece in merged:
        piece = _LIST_MARKER.sub("", piece).strip()
        if _HAS_WORD.search(piece):
            out.append(piece)
    return tuple(out)


def split_sentences(text: str) -> list[str]:
    """Split report text into sentences; list markers ("1.", "2)") are removed from the items."""
    return list(_split(text or ""))


def clear_sentence_cache() -> None:
    _split.cache_clear()
