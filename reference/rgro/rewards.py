"""Rewards built from the harness's own clinical checks and metrics: one definition of "clinically right".

- Stage reward r_k (RGRO's credit signal): a stage's positive assertions supported by the findings earn,
  contradicted, unsupported (hallucinated), repeated and hedged ones cost; negatives restated from the
  findings are neutral (they assert nothing new); a recommendation stage earns the guideline score only
  where the findings call for one (``followup_indication``: Fleischner 2017, ACR communication) and costs
  otherwise. ``StageWeights.rules = "v0"`` keeps the rules of the recorded tiny recipe, which paid a
  restated negative like a finding, paid any recommendation the guideline score and took "clinical
  correlation" for a recommendation.
- Episode reward R: a weighted sum of components in [0, 1] (findings recall, precision, guideline
  adherence, ROUGE-L against the reference, expert feedback, external tools). TRL receives each component
  as its own reward function with its weight, so every component is logged on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from reference.rgro.stages import Stage, parse_stages


class ClinicalChecks(Protocol):
    """What the rewards need from ``rgro_bench.clinical`` (the module itself satisfies it)."""

    def extract(self, text: str) -> list: ...
    def consistency(self, findings: str, impression: str) -> Any: ...
    def judge_statement(self, findings_mentions: Sequence, statement: str) -> Any: ...
    def guideline_report(self, findings: str, impression: str) -> Any: ...
    def followup_indication(self, findings: str) -> str | None: ...


def default_checks() -> ClinicalChecks:
    import rgro_bench.clinical as clinical

    return clinical  # type: ignore[return-value]


@dataclass(frozen=True)
class StageWeights:
    """The stage rules' rewards. Each field is also the recipe field ``stage_<name>`` (reference.rgro_config),
    with its help as the CLI's."""

    supported: float = field(default=1.0, metadata={"help": "reward per positive assertion the findings support"})
    contradicted: float = field(
        default=-1.0, metadata={"help": "reward per assertion whose status flips the findings'"}
    )
    unsupported: float = field(
        default=-1.0, metadata={"help": "reward per positive assertion absent from the findings"}
    )
    repeated: float = field(default=-0.5, metadata={"help": "reward for a stage that only repeats earlier stages"})
    hedged: float = field(default=-0.25, metadata={"help": "reward for a stage that hedges"})
    guideline: float = field(
        default=1.0, metadata={"help": "weight of the guideline score on a recommendation the findings call for"}
    )
    unwarranted: float = field(
        default=-1.0, metadata={"help": "reward of a recommendation no guideline calls for (rules 'clinical')"}
    )
    restated_negative: float = field(
        default=0.0, metadata={"help": "reward per negative restated from the findings (rules 'clinical')"}
    )
    rules: str = field(
        default="clinical",
        metadata={
            "help": "'clinical', or 'v0': the recorded tiny recipe's rules (a restated negative earns like a "
            "finding, any recommendation earns the guideline score, a hedge can be a recommendation)",
            "choices": ["clinical", "v0"],
        },
    )

    def __post_init__(self) -> None:
        if self.rules not in ("clinical", "v0"):
            raise ValueError(f"stage rules must be 'clinical' or 'v0', got {self.rules!r}")


def recommendation_reward(guideline_score: float, indication: str | None, weights: StageWeights) -> float:
    if weights.rules == "v0" or indication is not None:
        return weights.guideline * guideline_score
    return weights.unwarranted


def stage_rewards(
    findings_mentions: Sequence,
    stages: Sequence[Stage],
    checks: ClinicalChecks,
    guideline_score: float,
    weights: StageWeights = StageWeights(),
    indication: str | None = None,
) -> list[float]:
    """r_k for each stage, judged on that stage alone against the findings' mentions; ``indication`` is
    what in the findings calls for a recommendation (``followup_indication``), None when nothing does."""
    rewards: list[float] = []
    seen_observations: set[str] = set()
    seen_texts: set[str] = set()
    restated = weights.supported if weights.rules == "v0" else weights.restated_negative
    for stage in stages:
        if stage.recommendation:
            rewards.append(recommendation_reward(guideline_score, indication, weights))
            continue
        verdict = checks.judge_statement(findings_mentions, stage.text)
        observations = set(verdict.observations)
        normalised = " ".join(stage.text.lower().split()).rstrip(".")
        repeated = normalised in seen_texts or bool(observations and observations <= seen_observations)
        rewards.append(
            weights.supported * verdict.supported
            + restated * verdict.negatives_restated
            + weights.contradicted * verdict.contradicted
            + weights.unsupported * verdict.unsupported
            + weights.repeated * repeated
            + weights.hedged * bool(verdict.hedged)
        )
        seen_observations |= observations
        seen_texts.add(normalised)
    return rewards


def impression_stage_rewards(
    findings: str, impression: str, checks: ClinicalChecks, weights: StageWeights = StageWeights()
) -> tuple[list[Stage], list[float]]:
    stages = parse_stages(impression, hedged_recommendations=weights.rules == "v0")
    guideline, indication = 0.0, None
    if any(s.recommendation for s in stages):
        guideline = checks.guideline_report(findings, impression).score
        indication = checks.followup_indication(findings)
    return stages, stage_rewards(checks.extract(findings), stages, checks, guideline, weights, indication)


#: the episode-reward components computed here; "feedback" and "tools" join when configured
METRIC_COMPONENTS = ("recall", "precision", "guideline", "rouge")


@dataclass(frozen=True)
class EpisodeWeights:
    """The episode reward's weights. Each field is also the recipe field ``reward_<name>``
    (reference.grpo_config), with its help as the CLI's."""

    recall: float = field(default=1.0, metadata={"help": "weight of findings recall (coverage of positive findings)"})
    precision: float = field(default=0.5, metadata={"help": "weight of findings precision (no hallucination)"})
    guideline: float = field(default=0.25, metadata={"help": "weight of the guideline-adherence score"})
    rouge: float = field(default=1.0, metadata={"help": "weight of ROUGE-L F1 against the reference impression"})
    feedback: float = field(
        default=0.0, metadata={"help": "weight of the expert-feedback model's score (needs feedback_file)"}
    )
    tools: float = field(default=0.0, metadata={"help": "weight of the mean score of the external tools (`tools`)"})
    stages: float = field(
        default=0.0,
        metadata={
            "help": "weight of the summed stage reward Σ_k r_k (RGRO's stage rules, so reference.rgro_trainer; "
            "not bounded to [0, 1])"
        },
    )

    def as_dict(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in (*METRIC_COMPONENTS, "feedback", "tools", "stages")}


class MetricScorer:
    """Metric vectors of a batch of impressions, computed once per batch and shared by the per-component
    reward functions TRL calls one after the other with the same completions."""

    def __init__(self, checks: ClinicalChecks | None = None) -> None:
        from rgro_bench.metrics import get_metric

        self.checks = checks or default_checks()
        self._rouge = get_metric("rouge")
        self._key: tuple | None = None
        self._vectors: list[dict[str, float]] = []

    def vectors(self, findings: Sequence[str], impressions: Sequence[str], references: Sequence[str | None]):
        key = (tuple(findings), tuple(impressions), tuple(references))
        if key != self._key:
            self._vectors = self._compute(findings, impressions, references)
            self._key = key
        return self._vectors

    def _compute(self, findings, impressions, references) -> list[dict[str, float]]:
        from rgro_bench.metrics import Sample

        samples = [
            Sample(str(i), f, p, r) for i, (f, p, r) in enumerate(zip(findings, impressions, references, strict=True))
        ]
        rouge = self._rouge.compute(samples).columns["rougeL"]
        out = []
        for i, (f, p) in enumerate(zip(findings, impressions, strict=True)):
            c = self.checks.consistency(f, p)
            out.append(
                {
                    "recall": float(c.recall),
                    "precision": float(c.precision),
                    "guideline": float(self.checks.guideline_report(f, p).score),
                    "rouge": float(rouge[i]),
                }
            )
        return out


def completion_text(completion: Any) -> str:
    """A TRL completion as text: a string, or a conversational list of messages."""
    if isinstance(completion, str):
        return completion
    return "".join(m.get("content", "") for m in completion)


def component_reward(name: str, scorer: MetricScorer) -> Callable[..., list[float | None]]:
    """A TRL reward function returning one metric component per completion (None where undefined)."""

    def reward(completions: Sequence, findings: Sequence[str], reference: Sequence[str | None], **_: Any):
        vectors = scorer.vectors(findings, [completion_text(c).strip() for c in completions], reference)
        return [None if v[name] != v[name] else v[name] for v in vectors]

    reward.__name__ = name
    return reward


def summed_stage_reward(checks: ClinicalChecks, weights: StageWeights) -> Callable[..., list[float]]:
    """The "stages" reward component: Σ_k r_k of each completion, the whole stage signal as one sequence
    reward. With it in R and λ = 0, RGRO is "GRPO with the summed stage reward": the ablation that says
    what per-token stage credit adds beyond the same total reward."""

    def stages(completions: Sequence, findings: Sequence[str], **_: Any) -> list[float]:
        return [
            float(sum(impression_stage_rewards(f, completion_text(c), checks, weights)[1]))
            for f, c in zip(findings, completions, strict=True)
        ]

    return stages


def episode_reward_functions(
    weights: EpisodeWeights, scorer: MetricScorer | None = None, extra: dict[str, Callable] | None = None
) -> tuple[list[Callable], list[float]]:
    """Reward functions and their weights for TRL's ``reward_funcs``/``reward_weights``; components with
    weight 0 are left out so they cost nothing. ``extra`` supplies the "feedback"/"tools" functions."""
    scorer = scorer or MetricScorer()
    funcs, ws = [], []
    for name, weight in weights.as_dict().items():
        if weight == 0.0:
            continue
        if name in METRIC_COMPONENTS:
            funcs.append(component_reward(name, scorer))
        elif extra and name in extra:
            funcs.append(extra[name])
        else:
            raise ValueError(f"episode weight {name}={weight} needs a {name} reward function; none is configured")
        ws.append(weight)
    return funcs, ws


def episode_reward(components: dict[str, float], weights: EpisodeWeights) -> float:
    """R = Σ w_c · c over the components present (an absent or NaN component contributes nothing, as in
    TRL's nansum)."""
    w = weights.as_dict()
    return float(sum(w[k] * v for k, v in components.items() if v == v and k in w))
