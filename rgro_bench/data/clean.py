"""Load-time cleaning. The shipped files stay verbatim; every consumer sees the same cleaned text."""

from __future__ import annotations

import re

#: IU X-ray writes removed identifiers as ``XXXX``; MEDIQA 2021 writes ``____``. Both become this token
#: so that a model trained on one collection is not scored on the other's anonymisation style.
ANON_TOKEN = "[ANON]"

_ANON = re.compile(r"X{4,}|_{3,}")
_SPACE = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def clean_text(text: str) -> str:
    return _SPACE.sub(" ", _ANON.sub(ANON_TOKEN, text)).strip()


def normalise_findings(text: str) -> str:
    """The grouping key of a split: case, punctuation, spacing and anonymisation style removed."""
    return _NON_ALNUM.sub(" ", clean_text(text).lower()).strip()
