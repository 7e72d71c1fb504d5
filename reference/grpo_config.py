"""Arguments of the GRPO recipe besides TRL's ``GRPOConfig``: the episode reward. Every field's help
doubles as CLI help."""

from __future__ import annotations

from dataclasses import dataclass, field

from reference.rgro.rewards import EpisodeWeights


@dataclass
class RewardArguments:
    """The episode reward R = Σ w_c · c over components in [0, 1] (shared by GRPO and RGRO)."""

    reward_recall: float = field(default=EpisodeWeights.recall, metadata={"help": "weight of findings recall"})
    reward_precision: float = field(
        default=EpisodeWeights.precision, metadata={"help": "weight of findings precision (1 − hallucination share)"}
    )
    reward_guideline: float = field(
        default=EpisodeWeights.guideline, metadata={"help": "weight of guideline adherence"}
    )
    reward_rouge: float = field(default=EpisodeWeights.rouge, metadata={"help": "weight of ROUGE-L vs the reference"})
    reward_feedback: float = field(
        default=EpisodeWeights.feedback, metadata={"help": "weight of the expert-feedback model (needs feedback_file)"}
    )
    reward_tools: float = field(
        default=EpisodeWeights.tools, metadata={"help": "weight of the external tools' mean score"}
    )
    reward_stages: float = field(
        default=EpisodeWeights.stages,
        metadata={"help": "weight of the summed stage reward Σ_k r_k (RGRO's stage rules: reference.rgro_trainer)"},
    )
    feedback_file: str | None = field(
        default=None,
        metadata={
            "help": "expert feedback JSONL (ratings or preferred/rejected pairs); see reference/rgro/feedback.py"
        },
    )
    calibrate_weights: bool = field(
        default=False,
        metadata={"help": "replace the metric weights by those fitted on feedback_file (logistic regression)"},
    )
    tools: list[str] = field(
        default_factory=list,
        metadata={"help": "external scorers joining the reward, as module:attribute (see reference/rgro/tools.py)"},
    )

    def weights(self) -> EpisodeWeights:
        return EpisodeWeights(
            recall=self.reward_recall,
            precision=self.reward_precision,
            guideline=self.reward_guideline,
            rouge=self.reward_rouge,
            feedback=self.reward_feedback,
            tools=self.reward_tools,
            stages=self.reward_stages,
        )
