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
    negatives_restated: int = 0


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
        if "no edema" in s:
            return Verdict(negatives_restated=1, observations=("edema",))
        return Verdict(hedged="cannot be excluded" in s)

    def guideline_report(self, findings, impression):
        return type("Report", (), {"score": 0.75})()

    def followup_indication(self, findings):
        return "8 mm nodule" if "nodule" in findings else None


def test_stage_rewards_follow_the_verdicts():
    stages = parse_stages(
        "1. Effusion. 2. Lung mass. 3. Pneumothorax. 4. Effusion again. 5. Pneumonia cannot be excluded."
    )
    r = stage_rewards(["effusion"], stages, FakeChecks(), guideline_score=0.0)
    w = StageWeights()
    assert r == [w.supported, w.unsupported, w.contradicted, w.supported + w.repeated, w.hedged]


def test_a_recommendation_earns_the_guideline_score_only_where_the_findings_call_for_one():
    impression = "1. Effusion. 2. Recommend follow-up CT."
    _, r = impression_stage_rewards("8 mm nodule", impression, FakeChecks(), StageWeights(guideline=2.0))
    assert r == [1.0, 1.5]
    _, r = impression_stage_rewards("f", impression, FakeChecks(), StageWeights(guideline=2.0, unwarranted=-0.75))
    assert r == [1.0, -0.75]
    # the recorded recipe's rules paid any recommendation
    _, r = impression_stage_rewards("f", impression, FakeChecks(), StageWeights(guideline=2.0, rules="v0"))
    assert r == [1.0, 1.5]


def test_a_restated_negative_is_neutral_except_under_the_recorded_rules():
    stages = parse_stages("1. Effusion. 2. No edema.")
    assert stage_rewards([], stages, FakeChecks(), 0.0) == [1.0, 0.0]
    assert stage_rewards([], stages, FakeChecks(), 0.0, StageWeights(rules="v0")) == [1.0, 1.0]
    with pytest.raises(ValueError, match="stage rules"):
        StageWeights(rules="v2")


# The stage rewards that paid for the wrong things (issue 14), with the real clinical checks.
NEGATIVE_FINDINGS = "Heart size is normal. No pneumothorax. No pleural effusion. No focal consolidation. No edema."


def real_stage_rewards(findings: str, impression: str, **weights) -> list[float]:
    from reference.rgro.rewards import default_checks

    return impression_stage_rewards(findings, impression, default_checks(), StageWeights(**weights))[1]


def test_listing_the_findings_negatives_earns_what_a_normal_impression_earns():
    listed = "1. No pneumothorax. 2. No pleural effusion. 3. No focal consolidation. 4. No edema."
    assert sum(real_stage_rewards(NEGATIVE_FINDINGS, listed, rules="v0")) == 4.0  # the old rules paid each
    assert real_stage_rewards(NEGATIVE_FINDINGS, listed) == [0.0, 0.0, 0.0, 0.0]
    assert real_stage_rewards(NEGATIVE_FINDINGS, "No acute cardiopulmonary abnormality.") == [0.0]


def test_an_unwarranted_follow_up_costs_and_a_fleischner_one_earns():
    unwarranted = "1. No acute cardiopulmonary abnormality. 2. Follow-up CT chest recommended."
    assert real_stage_rewards(NEGATIVE_FINDINGS, unwarranted, rules="v0")[-1] > 0  # the old rules paid it
    assert real_stage_rewards(NEGATIVE_FINDINGS, unwarranted)[-1] == StageWeights().unwarranted
    nodule = "There is a 7 mm nodule in the right upper lobe. No pleural effusion."
    warranted = "1. 7 mm right upper lobe nodule. 2. Recommend follow-up CT chest in 6-12 months."
    r = real_stage_rewards(nodule, warranted)
    assert r[0] > 0 and r[-1] > 0
    small = "There is a 4 mm nodule in the right upper lobe."
    assert real_stage_rewards(small, "1. 4 mm nodule. 2. Recommend follow-up CT chest.")[-1] < 0
    high_risk = "Smoking history. There is a 4 mm nodule in the right upper lobe."
    assert real_stage_rewards(high_risk, "1. 4 mm nodule. 2. Recommend follow-up CT chest in 12 months.")[-1] > 0


def test_clinical_correlation_is_a_hedge_not_a_recommendation():
    impression = "1. No acute cardiopulmonary abnormality. 2. Recommend clinical correlation."
    assert parse_stages(impression, hedged_recommendations=True)[-1].recommendation  # the old rules
    assert not parse_stages(impression)[-1].recommendation
    assert real_stage_rewards(NEGATIVE_FINDINGS, impression)[-1] == StageWeights().hedged
    assert real_stage_rewards(NEGATIVE_FINDINGS, impression, rules="v0")[-1] > 0


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


def test_the_summed_stage_reward_is_the_sum_of_the_stage_rewards():
    from reference.rgro.rewards import summed_stage_reward

    reward = summed_stage_reward(FakeChecks(), StageWeights())
    impressions = ["1. Effusion. 2. Lung mass.", "Effusion."]
    assert reward(completions=impressions, findings=["f", "f"]) == [0.0, 1.0]


def test_the_summed_stage_reward_needs_rgros_stage_rules():
    from reference.grpo_config import RewardArguments
    from reference.grpo_trainer import reward_functions
    from rgro_bench.errors import ConfigError

    with pytest.raises(ConfigError, match="reward_stages needs RGRO's stage rules"):
        reward_functions(RewardArguments(reward_stages=1.0))
    funcs, weights = reward_functions(RewardArguments(reward_stages=0.5), StageWeights(), FakeChecks())
    assert funcs[-1].__name__ == "stages" and weights[-1] == 0.5
