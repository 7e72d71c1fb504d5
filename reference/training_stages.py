"""The training stages, in one table: each stage's trainer module (what ``python -m`` runs), its train
function and the dataclasses its recipe file fills. The recipe, the launcher, the step-time check and the
tests all read it, so a stage is added or changed here only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reference import grpo_trainer, rgro_trainer, sft_trainer
from reference.config_files import parse_config


@dataclass(frozen=True)
class TrainingStage:
    module: str  #: the trainer's ``python -m`` entry point
    train: Callable[..., Path]  #: trains on the parsed ``config_types``, in their order; returns the model folder
    config_types: tuple[type, ...]  #: the dataclasses a recipe file of the stage (and its CLI) fills


TRAINING_STAGES: dict[str, TrainingStage] = {
    "sft": TrainingStage(sft_trainer.__name__, sft_trainer.train_sft, sft_trainer.CONFIG_TYPES),
    "grpo": TrainingStage(grpo_trainer.__name__, grpo_trainer.train_grpo, grpo_trainer.CONFIG_TYPES),
    "rgro": TrainingStage(rgro_trainer.__name__, rgro_trainer.train_rgro, rgro_trainer.CONFIG_TYPES),
}


def parse_stage_config(stage: str, recipe: str | Path | None, overrides: dict[str, Any] | None = None):
    """The ``stage``'s dataclasses filled from the recipe file and ``overrides``."""
    return parse_config(recipe, TRAINING_STAGES[stage].config_types, overrides)


def train_stage(stage: str, recipe: str | Path, overrides: dict[str, Any] | None = None) -> Path:
    """Train ``stage`` on the recipe file with ``overrides`` replacing its fields; returns the model folder."""
    return TRAINING_STAGES[stage].train(*parse_stage_config(stage, recipe, overrides))
