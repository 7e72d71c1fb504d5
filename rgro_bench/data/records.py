from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Study:
    """One report: its id, cleaned FINDINGS, cleaned reference IMPRESSION (None when unknown)."""

    id: str
    findings: str
    impression: str | None
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
