"""RGRO's configuration: TRL's ``GRPOConfig`` plus the stage credit. Every field's help doubles as CLI help."""

from __future__ import annotations

from dataclasses import dataclass, field

from trl import GRPOConfig

from reference.config_files import prefixed_fields, unprefixed
from reference.rgro.rewards import StageWeights


@dataclass
@prefixed_fields(StageWeights, "stage_")
class RgroConfig(GRPOConfig):
    """``GRPOConfig``, the stage credit, and the stage rules' rewards: :class:`StageWeights`' fields as
    ``stage_<name>``."""

    stage_lambda: float = field(
        default=0.5,
        metadata={"help": "λ: weight of the normalised stage return-to-go in each token's advantage (0 is GRPO)"},
    )
    stage_credit: str = field(
        default="relative",
        metadata={
            "help": "'relative': per-position baselines, stage 0 carries the sequence advantage, scaled by the "
            "sequence term's σ (reference/rgro/advantages.py); 'pooled': the recorded tiny recipe's term, "
            "μ and σ pooled over a group's stages (σ as stage_scale says)",
            "choices": ["relative", "pooled"],
        },
    )
    stage_scale: str = field(
        default="group",
        metadata={
            "help": "σ of the pooled stage term: 'group' (over each group's stages) or 'batch' (over the whole "
            "batch's, as scale_rewards='batch' does for the sequence term); unused by the relative term",
            "choices": ["group", "batch"],
        },
    )

    def stage_weights(self) -> StageWeights:
        return unprefixed(StageWeights, self, "stage_")
