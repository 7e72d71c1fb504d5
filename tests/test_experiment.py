"""The sealed experiment's protocol: test read once per recipe and logged, tuning runs counted per arm,
comparisons pooled over seeds, the goal checked as stated."""

import json

import numpy as np
import pytest

from reference import experiment
from reference.recipe import ARMS, arm_overrides, read_yaml, recipe_files
from rgro_bench.errors import ConfigError
from rgro_bench.runner import evaluate


def test_a_recipes_test_split_is_read_once_unless_a_reason_is_given(tmp_path):
    log = tmp_path / "test_log.jsonl"
    experiment.check_final_allowed("abc", None, log)  # never read: allowed
    experiment.append_log(log, {"recipe_hash": "abc", "date": "2026-12-07"})
    with pytest.raises(ConfigError, match="already read for recipe abc on 2026-12-07; a second reading needs"):
        experiment.check_final_allowed("abc", None, log)
    experiment.check_final_allowed("abc", "the data fix of issue 99", log)
    experiment.check_final_allowed("def", None, log)  # another recipe


def test_tuning_runs_count_each_arms_distinct_recipes(tmp_path):
    log = tmp_path / "validation_log.jsonl"
    for grpo, rgro in (("g1", "r1"), ("g1", "r2"), ("g1", "r3"), ("g2", "r3")):
        experiment.append_log(log, {"arm_hashes": {"GRPO": grpo, "RGRO": rgro}})
    assert experiment.tuning_runs(log) == {"GRPO": 2, "RGRO": 3}


def test_arm_hashes_follow_the_recipe_files(tmp_path):
    import shutil

    for path in recipe_files().values():
        shutil.copy(path, tmp_path / path.name)
    before = experiment.arm_hashes(tmp_path)
    assert set(before) == set(experiment.ARM_NAMES.values())
    rgro = tmp_path / "tiny-cpu-rgro.yaml"
    rgro.write_text(rgro.read_text().replace("stage_lambda: 1.0", "stage_lambda: 0.5"))
    after = experiment.arm_hashes(tmp_path)
    changed = {arm for arm in before if before[arm] != after[arm]}
    assert changed == {"RGRO", "GRPO+stages"}  # the ablation is RGRO's recipe at λ = 0: it follows it


def test_the_controls_are_what_they_claim():
    files = recipe_files()
    assert ARMS["grpo-summed"] == ("rgro", "sft") and arm_overrides("grpo-summed", files) == {"stage_lambda": 0.0}
    continued = arm_overrides("sft-continued", files)
    rl = read_yaml(files["grpo"])
    assert ARMS["sft-continued"] == ("sft", "sft")  # from the SFT checkpoint, for the RL arms' updates
    assert (continued["max_steps"], continued["learning_rate"]) == (rl["max_steps"], rl["learning_rate"])


@pytest.fixture(scope="module")
def evaluations():
    specs = ("baseline:constant", "baseline:lead-2", "baseline:copy-findings")
    return {spec: evaluate(spec, "iu-xray", split="validation", limit=60, output_dir=None) for spec in specs}


def test_pooled_comparison_is_the_mean_over_seeds_of_the_differences(evaluations):
    lead, copy, constant = (evaluations[f"baseline:{b}"] for b in ("lead-2", "copy-findings", "constant"))
    result = experiment.pooled_comparison([lead, copy], [constant, constant], "validation", seed=0, resamples=200)
    for column in ("label_micro_f1", "bertscore_f1", "rougeL"):
        expected = np.mean(
            [e.result.metrics[column].value - constant.result.metrics[column].value for e in (lead, copy)]
        )
        assert result[column]["difference"] == pytest.approx(expected, abs=1e-6), column
        assert 0 < result[column]["p_value"] <= 1
    same = experiment.pooled_comparison([lead, lead], [lead, lead], "validation", seed=0, resamples=200)
    assert same["rougeL"]["difference"] == 0.0


def test_the_goal_needs_both_controls_beaten_and_rouge_at_the_retrieval_floor():
    def comparisons(d_sft, p_sft, d_abl, p_abl):
        return {
            "RGRO vs SFT-continued": {"label_micro_f1": {"difference": d_sft, "p_value": p_sft}},
            "RGRO vs GRPO+stages": {"label_micro_f1": {"difference": d_abl, "p_value": p_abl}},
        }

    summaries = {"RGRO": {"rougeL": {"mean": 0.40}}, "tfidf-nn": {"rougeL": {"mean": 0.35}}}
    assert experiment.goal_verdict(comparisons(0.05, 0.01, 0.02, 0.04), summaries)["met"]
    assert not experiment.goal_verdict(comparisons(0.05, 0.01, 0.02, 0.06), summaries)["met"]
    assert not experiment.goal_verdict(comparisons(-0.05, 0.01, 0.02, 0.01), summaries)["met"]
    low = {**summaries, "RGRO": {"rougeL": {"mean": 0.30}}}
    assert not experiment.goal_verdict(comparisons(0.05, 0.01, 0.02, 0.01), low)["met"]


def test_fewer_than_three_seeds_are_refused(capsys):
    assert experiment.main(["--seeds", "0", "1"]) == 2
    assert "expected at least 3 distinct training seeds" in capsys.readouterr().out


def test_the_logs_are_json_lines(tmp_path):
    log = tmp_path / "log.jsonl"
    experiment.append_log(log, {"a": 1})
    experiment.append_log(log, {"b": "x\u2028y"})
    assert [json.loads(line) for line in log.read_text().split("\n") if line] == experiment.read_log(log)


@pytest.mark.slow
def test_every_arm_trains_and_is_compared_over_seeds(tmp_path):
    short = {"sft": {"num_train_epochs": 0.03}, "sft-continued": {"max_steps": 2}}
    short |= {arm: {"max_steps": 2} for arm in ("grpo", "grpo-summed", "rgro")}
    report = experiment.run(
        tmp_path / "out", tmp_path / "cache", "validation", (0, 1, 2), 0, short, limit=12, resamples=50
    )
    assert report["n_samples"] == 12
    arms = set(experiment.ARM_NAMES.values())
    assert arms <= set(report["summaries"]) and all(report["summaries"][a]["rougeL"]["seeds"] == 3 for a in arms)
    assert set(report["comparisons"]) == {f"{a} vs {b}" for a, b in experiment.COMPARISONS}
    trained = {p.parent.name for p in (tmp_path / "cache").rglob("done.json")}
    assert trained == set(ARMS)
    continued = json.loads(next((tmp_path / "cache").rglob("sft-continued/done.json")).read_text())
    assert continued["overrides"]["model"].endswith("/sft")  # continued from the SFT checkpoint
    assert "Goal (RGRO beats" in experiment.markdown(report)


@pytest.mark.parametrize("name", sorted(experiment.ADDONS))
def test_each_addon_is_a_valid_rgro_recipe_that_turns_its_reward_term_on(name):
    from trl import GRPOConfig  # noqa: F401 (RgroConfig's base must import)

    from reference.config_files import parse_config
    from reference.grpo_config import RewardArguments
    from reference.rgro_config import RgroConfig
    from reference.sft_config import ScriptArguments

    _, fields = experiment.ADDONS[name]
    _, rewards, _ = parse_config(recipe_files()["rgro"], (ScriptArguments, RewardArguments, RgroConfig), fields)
    off = parse_config(recipe_files()["rgro"], (ScriptArguments, RewardArguments, RgroConfig))[1]
    assert (rewards.reward_feedback, rewards.reward_tools) != (off.reward_feedback, off.reward_tools)
    assert rewards.weights().stages == off.weights().stages  # the rest of RGRO's reward is the recipe's
