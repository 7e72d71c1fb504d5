"""External tools joining the reward: any callable scorer or observation source, named as
``module:attribute`` (a class is instantiated with no arguments).

- A **scorer** is called as ``tool(findings, impression) -> float | None``: a score in [0, 1], or None
  where it does not apply. The "tools" reward component is the mean of the scorers that apply.
  A CheXbert or RadGraph F1 against the findings, where installed, fits here.
- An **observation source** has ``observations(findings) -> list[Mention]``: its mentions join the
  rule-based extractor's when stage rewards judge statements (``ObservationChecks``).

One tool ships: ``reference.rgro.tools:MeasurementCheck``, which no other reward component covers.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from reference.rgro.rewards import ClinicalChecks, completion_text
from rgro_bench.errors import ConfigError


class Scorer(Protocol):
    def __call__(self, findings: str, impression: str) -> float | None: ...


class ObservationSource(Protocol):
    def observations(self, findings: str) -> list: ...


def load_tool(spec: str) -> Any:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"tool {spec!r}: expected module:attribute")
    try:
        obj = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"tool {spec!r}: cannot load ({exc})") from None
    return obj() if isinstance(obj, type) else obj


def checked_score(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
        raise ConfigError(f"tool {name}: returned {value!r}; a scorer must return a number in [0, 1] or None")
    return float(value)


def tools_reward(tools: Sequence[str | Scorer]) -> Callable[..., list[float | None]]:
    """The "tools" reward component: per completion, the mean score of the tools that apply."""
    loaded = [(t, load_tool(t)) if isinstance(t, str) else (getattr(t, "__name__", repr(t)), t) for t in tools]

    def tools_score(completions, findings, **_):
        out: list[float | None] = []
        for f, c in zip(findings, completions, strict=True):
            scores = [checked_score(n, tool(f, completion_text(c).strip())) for n, tool in loaded]
            scores = [s for s in scores if s is not None]
            out.append(sum(scores) / len(scores) if scores else None)
        return out

    tools_score.__name__ = "tools"
    return tools_score


class ObservationChecks:
    """Clinical checks whose findings extraction also includes the sources' observations."""

    def __init__(self, checks: ClinicalChecks, sources: Sequence[ObservationSource]) -> None:
        self._checks = checks
        self._sources = list(sources)

    def extract(self, text: str) -> list:
        return list(self._checks.extract(text)) + [m for s in self._sources for m in s.observations(text)]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._checks, name)


class MeasurementCheck:
    """A scorer: the share of the sizes an impression states that the findings state too (to
    ``tolerance_mm``, after converting cm to mm), None when the impression states no size. A size the
    findings never gave ("9 mm" for a 4 mm nodule, or "4 cm" for it) is a fabricated measurement: the
    consistency check sees the nodule as supported, so only this tool catches the number."""

    def __init__(self, tolerance_mm: float = 0.5) -> None:
        self.tolerance_mm = tolerance_mm

    def __call__(self, findings: str, impression: str) -> float | None:
        from rgro_bench.clinical.extractor import measurements_mm

        stated = measurements_mm(impression)
        if not stated:
            return None
        given = measurements_mm(findings)
        matched = sum(any(abs(s - g) <= self.tolerance_mm for g in given) for s in stated)
        return matched / len(stated)
