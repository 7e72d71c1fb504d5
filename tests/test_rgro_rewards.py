from dataclasses import dataclass

import pytest

from reference.rgro.rewards import (
    EpisodeWeights,
    StageWeights,
    episode_reward,
    episode_reward_functions,
    impression_stage_rewards,
    stage_rewards,
)
from reference.rgro.stages import parse_stages


@dataclass
class Verdict:
    supported: int = 0
    contradicted: int = 0
    unsupported: int = 0
    hedged: bool = False
    observations: tuple = ()


class FakeChecks:
    """Judges by keyword: 'effusion' is in the findings, 'mass' is not, 'pneumothorax' is negated there."""

    def extract(self, text):
        return ["effusion"]

    def judge_statement(self, mentions, statement):
        s = statement.lower()
        if "effusion" in s:
            return Verdict(supported=1, observations=("effusion",))
        if "mass" in s:
            return Verdict(unsupported=1, observations=("mass",))
        if "pneumothorax" in s:
            return Verdict(contradicted=1, observations=("pneumothorax",))
        return Verdict(hedged="cannot be excluded" in s)

    def guideline_report(self, findings, impression):
        return type("Report", (), {"score": 0.75})()


def test_stage_rewards_follow_the_verdicts():
    stages = parse_stages(
        "1. Effusion. 2. Lung mass. 3. Pneumothorax. 4. Effusion again. 5. Pneumonia cannot be excluded."
    )
    r = stage_rewards(["effusion"], stages, FakeChecks(), guideline_score=0.0)
    w = StageWeights()
    assert r == [w.supported, w.unsupported, w.contradicted, w.supported + w.repeated, w.hedged]


def test_recommendation_stage_earns_the_guideline_score():
    _, r = impression_stage_rewards(
        "f", "1. Effusion. 2. Recommend follow-up CT.", FakeChecks(), StageWeights(guideline=2.0)
    )
    assert r == [1.0, 1.5]


def test_real_checks_reward_a_supported_stage_over_a_hallucinated_one():
    pytest.importorskip("rgro_bench.clinical")
    from reference.rgro.rewards import default_checks

    findings = "Heart size is normal. There is a small left pleural effusion. No pneumothorax."
    _, r = impression_stage_rewards(findings, "1. Small left pleural effusion. 2. Right lung mass.", default_checks())
    assert r[0] > 0 > r[1]
    _, r = impression_stage_rewards(findings, "Large right pneumothorax.", default_checks())
    assert r[0] < 0  # contradicts "No pneumothorax"


def test_episode_reward_is_the_weighted_sum_skipping_nan():
    w = EpisodeWeights(recall=1.0, precision=0.5, guideline=0.25, rouge=2.0)
    assert episode_reward({"recall": 0.5, "precision": 1.0, "guideline": float("nan"), "rouge": 0.25}, w) == 1.5


def test_reward_functions_skip_zero_weights_and_need_providers():
    funcs, weights = episode_reward_functions(EpisodeWeights(precision=0.0, guideline=0.0), scorer=object())
    assert [f.__name__ for f in funcs] == ["recall", "rouge"] and weights == [1.0, 1.0]
    with pytest.raises(ValueError, match="feedback"):
        episode_reward_functions(EpisodeWeights(feedback=1.0), scorer=object())


def test_component_rewards_come_from_the_harness_metrics():
    from reference.rgro.rewards import MetricScorer

    funcs, _ = episode_reward_functions(EpisodeWeights(), MetricScorer())
    findings = ["There is a small left pleural effusion. No pneumothorax."] * 2
    completions = [" Small left pleural effusion.", " No acute disease."]
    values = {
        f.__name__: f(completions=completions, findings=findings, reference=["Left pleural effusion."] * 2)
        for f in funcs
    }
    assert values["recall"][0] == 1.0 and values["recall"][1] == 0.0
    assert values["rouge"][0] > values["rouge"][1]
