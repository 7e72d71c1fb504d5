"""Deterministic train/validation/test splits grouped by normalised findings text.

The split is a pure function of the data and the task's salt:
1. studies are grouped by normalised findings text (``normalise_findings``: case, punctuation,
   spacing and anonymisation style removed), so identical findings always share a split;
2. groups are ordered by SHA-256 of ``salt + "\\0" + text`` (a fixed pseudo-random order);
3. walking that order, each group goes to the split whose cumulative fraction interval holds the
   group's midpoint, counted in studies.
Step 3 (rather than hashing each group straight into a bucket) keeps the sizes within one group of
the target fractions even though IU X-ray has groups of up to 51 identical normal findings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from rgro_bench.data.clean import normalise_findings
from rgro_bench.data.records import Study


def _order_key(salt: str, text: str) -> bytes:
    return hashlib.sha256(f"{salt}\x00{text}".encode()).digest()


def grouped_split(studies: Iterable[Study], salt: str, fractions: Mapping[str, float]) -> dict[str, list[Study]]:
    studies = list(studies)
    groups: dict[str, list[Study]] = {}
    for study in studies:
        groups.setdefault(normalise_findings(study.findings), []).append(study)
    names = list(fractions)
    bounds = []
    cumulative = 0.0
    for name in names:
        cumulative += fractions[name]
        bounds.append(cumulative)
    out: dict[str, list[Study]] = {name: [] for name in names}
    total = len(studies)
    seen = 0
    for text in sorted(groups, key=lambda t: _order_key(salt, t)):
        members = groups[text]
        midpoint = (seen + len(members) / 2) / total
        name = next((n for n, b in zip(names, bounds, strict=True) if midpoint < b), names[-1])
        out[name].extend(members)
        seen += len(members)
    # keep the file's order inside each split, so the split reads like the source
    position = {id(s): i for i, s in enumerate(studies)}
    return {name: sorted(members, key=lambda s: position[id(s)]) for name, members in out.items()}
