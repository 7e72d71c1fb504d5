"""RGRO's configuration: TRL's ``GRPOConfig`` plus the stage credit. Every field's help doubles as CLI help."""

from __future__ import annotations

from dataclasses import dataclass, field

from trl import GRPOConfig

from reference.rgro.rewards import StageWeights


@dataclass
class RgroConfig(GRPOConfig):
    stage_lambda: float = field(
        default=0.5,
        metadata={"help": "λ: weight of the normalised stage return-to-go in each token's advantage (0 is GRPO)"},
    )
    stage_scale: str = field(
        default="group",
        metadata={
            "help": "σ of the stage term: 'group' (over each group's stages) or 'batch' (over the whole batch's, "
            "as scale_rewards='batch' does for the sequence term)",
            "choices": ["group", "batch"],
        },
    )
    stage_supported: float = field(default=StageWeights.supported, metadata={"help": "r_k per supported assertion"})
    stage_contradicted: float = field(
        default=StageWeights.contradicted, metadata={"help": "r_k per assertion contradicting the findings"}
    )
    stage_unsupported: float = field(
        default=StageWeights.unsupported, metadata={"help": "r_k per hallucinated (unsupported) assertion"}
    )
    stage_repeated: float = field(
        default=StageWeights.repeated, metadata={"help": "r_k of a stage repeating earlier ones"}
    )
    stage_hedged: float = field(default=StageWeights.hedged, metadata={"help": "r_k of a hedging stage"})
    stage_guideline: float = field(
        default=StageWeights.guideline, metadata={"help": "weight of the guideline score on the recommendation stage"}
    )

    def stage_weights(self) -> StageWeights:
        return StageWeights(
            supported=self.stage_supported,
            contradicted=self.stage_contradicted,
            unsupported=self.stage_unsupported,
            repeated=self.stage_repeated,
            hedged=self.stage_hedged,
            guideline=self.stage_guideline,
        )
