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
        default=StageWeights.guideline,
        metadata={"help": "weight of the guideline score on a recommendation the findings call for"},
    )
    stage_unwarranted: float = field(
        default=StageWeights.unwarranted, metadata={"help": "r_k of a recommendation no guideline calls for"}
    )
    stage_restated_negative: float = field(
        default=StageWeights.restated_negative, metadata={"help": "r_k per negative restated from the findings"}
    )
    stage_rules: str = field(
        default=StageWeights.rules,
        metadata={
            "help": "'clinical', or 'v0': the recorded tiny recipe's stage rules (reference/rgro/rewards.py)",
            "choices": ["clinical", "v0"],
        },
    )

    def stage_weights(self) -> StageWeights:
        return StageWeights(
            supported=self.stage_supported,
            contradicted=self.stage_contradicted,
            unsupported=self.stage_unsupported,
            repeated=self.stage_repeated,
            hedged=self.stage_hedged,
            guideline=self.stage_guideline,
            unwarranted=self.stage_unwarranted,
            restated_negative=self.stage_restated_negative,
            rules=self.stage_rules,
        )
