"""Broken copies of RGRO that the regression gate must catch: each retrains the recipe's RGRO with one part
broken, from the recipe's own SFT checkpoint (SFT and GRPO are reused, not retrained), and the gate's
verdict on it is what ``reference/RESULTS.md`` records.

- ``lambda0``: λ = 0, no per-token stage credit (RGRO is then exactly GRPO on RGRO's reward: the
  experiment's GRPO+stages arm, whose trained model is reused when there is one).
- ``shuffled-stages``: each batch's stage rewards permuted among all its stages (seeded) before the
  per-token credit is computed, so credit lands on stages that did not earn it; the summed stage reward
  inside the sequence reward is left as earned.

    python -m reference.regression --mutate lambda0
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rgro_bench.errors import ConfigError


@contextlib.contextmanager
def shuffled_stage_rewards(seed: int = 0) -> Iterator[None]:
    """While active, RGRO's relative stage terms are computed from a seeded permutation of the batch's
    stage rewards (each completion keeps its number of stages)."""
    from unittest import mock

    from reference import rgro_trainer
    from reference.rgro import advantages

    rng = random.Random(seed)
    original = advantages.relative_stage_terms

    def shuffled(stage_rewards, group_size, sigmas):
        pool = [r for rewards in stage_rewards for r in rewards]
        rng.shuffle(pool)
        drawn = iter(pool)
        return original([[next(drawn) for _ in rewards] for rewards in stage_rewards], group_size, sigmas)

    # the trainer holds its own reference to the function: both names are replaced
    with (
        mock.patch.object(advantages, "relative_stage_terms", shuffled),
        mock.patch.object(rgro_trainer, "relative_stage_terms", shuffled),
    ):
        yield


@dataclass(frozen=True)
class Mutation:
    description: str
    #: recipe fields replaced in the RGRO stage
    overrides: dict[str, Any] = field(default_factory=dict)
    #: a context in force while it trains (None: the recipe's code as it is)
    patch: Callable[[], contextlib.AbstractContextManager] | None = None


MUTATIONS = {
    "lambda0": Mutation("λ = 0: no per-token stage credit (GRPO on RGRO's reward)", {"stage_lambda": 0.0}),
    "shuffled-stages": Mutation(
        "stage rewards permuted across the batch's stages before the per-token credit", patch=shuffled_stage_rewards
    ),
}


def get_mutation(name: str) -> Mutation:
    if name not in MUTATIONS:
        raise ConfigError(f"unknown mutation {name!r}; known: {', '.join(MUTATIONS)}")
    return MUTATIONS[name]


def variant_cache(
    cache: Path, folder_name: str, rgro_fields: dict[str, Any], code_changed: bool = False
) -> tuple[Path, dict[str, dict[str, Any]]]:
    """(cache folder, recipe overrides) training an RGRO variant (``rgro_fields`` replaced) beside the recipe's
    own models, whose tiny base, SFT and GRPO models it links to (they must be trained first): only RGRO is
    retrained, from the very checkpoint the recipe's RGRO started from, unless the recipe already trained
    that very variant (and ``code_changed`` is False: a patched trainer is never a twin)."""
    from reference.recipe import fingerprint, recipe_files

    overrides = {"rgro": dict(rgro_fields)}
    files = recipe_files()
    source = cache / fingerprint(files, {})
    folder = cache / folder_name
    root = folder / fingerprint(files, overrides)
    root.mkdir(parents=True, exist_ok=True)
    for part in ("base", "sft", "grpo"):
        if not (source / part).is_dir():
            raise ConfigError(f"{source / part}: train the recipe (python -m reference.regression) before a variant")
        if not (root / part).exists():
            (root / part).symlink_to((source / part).resolve(), target_is_directory=True)
    twin = None if code_changed else trained_twin(source, rgro_fields)
    if twin is not None and not (root / "rgro").exists():
        (root / "rgro").symlink_to(twin.resolve(), target_is_directory=True)
    return folder, overrides


def trained_twin(source: Path, rgro_fields: dict[str, Any]) -> Path | None:
    """An arm the recipe already trained that is this variant: RGRO's recipe file from the same SFT
    checkpoint with exactly these fields (λ = 0 is the experiment's GRPO+stages arm); None if there is none."""
    from reference.recipe import ARMS, arm_overrides, recipe_files

    for arm, (stage, start) in ARMS.items():
        same = (stage, start) == ("rgro", "sft") and arm_overrides(arm, recipe_files()) == rgro_fields
        if same and (source / arm / "done.json").is_file():
            return source / arm
    return None


def mutant_cache(cache: Path, name: str) -> tuple[Path, dict[str, dict[str, Any]]]:
    mutation = get_mutation(name)
    return variant_cache(cache, f"mutation-{name}", mutation.overrides, code_changed=mutation.patch is not None)


def mutated(name: str) -> contextlib.AbstractContextManager:
    patch = get_mutation(name).patch
    return patch() if patch else contextlib.nullcontext()
