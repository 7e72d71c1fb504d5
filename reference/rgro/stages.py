"""Stage parsing: an impression as a sequence of decisions.

Each numbered item ("1. ... 2. ...") is one stage; an impression without numbering is split into
sentences. A final stage that recommends an action (follow-up imaging, CT, communication) is marked
as the recommendation stage, which is rewarded by whether a guideline calls for it, not as a statement.
A hedge is never a recommendation ("Recommend clinical correlation." defers the decision): it is judged
as a statement, and pays the hedge cost (``hedged_recommendations=True`` keeps the recorded recipe's
rules, under which it was one).
Every stage keeps its character span in the impression, so stages map onto completion tokens.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rgro_bench.clinical.consistency import is_hedged

# an item number at the start of the text or after whitespace, followed by "." or ")" and a space;
# "4.5 mm" never matches because a digit, not a space, follows the dot
_ITEM = re.compile(r"(?:(?<=\s)|^)(\d{1,2})[.)](?=\s)")
_SENTENCE = re.compile(r"[^\n]+?(?:[.!?](?=\s|$)|$)", re.DOTALL)
_RECOMMENDATION = re.compile(
    r"\b(recommend\w*|follow[- ]?up|suggest\w*|advis\w*|consider\w*|correlat\w*|"
    r"further evaluation|repeat (?:imaging|radiograph|study)|ct (?:chest|thorax)|discussed with|communicated)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Stage:
    index: int
    text: str
    start: int  # character offsets into the impression; text == impression[start:end].strip()
    end: int
    recommendation: bool = False


def numbered_item_starts(text: str) -> list[tuple[int, int]]:
    """(start of the number, start of the item's text) for the items 1, 2, 3, ... in order, or [] when
    the impression does not begin with item 1."""
    starts: list[tuple[int, int]] = []
    expected = 1
    for match in _ITEM.finditer(text):
        if int(match.group(1)) == expected:
            starts.append((match.start(), match.end()))
            expected += 1
    if not starts or text[: starts[0][0]].strip():
        return []
    return starts


def _spans(text: str) -> list[tuple[int, int]]:
    items = numbered_item_starts(text)
    if items:
        bounds = [start for start, _ in items[1:]] + [len(text)]
        return [(body, end) for (_, body), end in zip(items, bounds, strict=True)]
    spans = []
    for line in re.finditer(r"[^\n]+", text):
        for sentence in _SENTENCE.finditer(line.group(0)):
            spans.append((line.start() + sentence.start(), line.start() + sentence.end()))
    return spans


def parse_stages(impression: str, hedged_recommendations: bool = False) -> list[Stage]:
    """Stages of ``impression`` in order; empty stages (stray punctuation, whitespace) are dropped."""
    stages: list[Stage] = []
    for start, end in _spans(impression):
        raw = impression[start:end]
        text = raw.strip()
        if not re.search(r"\w", text):
            continue
        lead = len(raw) - len(raw.lstrip())
        stages.append(Stage(len(stages), text, start + lead, start + lead + len(text)))
    last = stages[-1] if len(stages) > 1 else None
    if last and _RECOMMENDATION.search(last.text) and (hedged_recommendations or not is_hedged(last.text)):
        stages[-1] = Stage(last.index, last.text, last.start, last.end, recommendation=True)
    return stages
