"""Arguments of the GRPO recipe besides TRL's ``GRPOConfig``: the episode reward. Every field's help
doubles as CLI help."""

from __future__ import annotations

from dataclasses import dataclass, field

from reference.config_files import prefixed_fields, unprefixed
from reference.rgro.rewards import EpisodeWeights


@dataclass
@prefixed_fields(EpisodeWeights, "reward_")
class RewardArguments:
    """The episode reward R = Σ w_c · c over components in [0, 1] (shared by GRPO and RGRO): the weights
    are :class:`EpisodeWeights`' fields as ``reward_<name>``, the feedback and tools they weigh are here."""

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
        return unprefixed(EpisodeWeights, self, "reward_")
