"""The broken copies of RGRO the regression gate is shown to catch (reference/mutations.py)."""

import pytest

from reference import rgro_trainer
from reference.mutations import MUTATIONS, get_mutation, mutant_cache, mutated, shuffled_stage_rewards
from reference.recipe import fingerprint, recipe_files
from reference.rgro import advantages
from rgro_bench.errors import ConfigError

GROUPS = [[1.0, -0.5], [0.0], [2.0, 0.0, -1.0], [0.5]]


def test_shuffling_keeps_each_completions_stage_count_and_the_batchs_rewards():
    seen = []
    original = advantages.relative_stage_terms

    def spy(stage_rewards, group_size, sigmas):
        seen.append(stage_rewards)
        return original(stage_rewards, group_size, sigmas)

    advantages.relative_stage_terms = spy
    try:
        with shuffled_stage_rewards(seed=3):
            advantages.relative_stage_terms(GROUPS, 2, [1.0, 1.0])
    finally:
        advantages.relative_stage_terms = original
    (shuffled,) = seen
    assert [len(r) for r in shuffled] == [len(r) for r in GROUPS]
    assert sorted(x for r in shuffled for x in r) == sorted(x for r in GROUPS for x in r)
    assert shuffled != GROUPS
    assert advantages.relative_stage_terms is original  # the patch ends with its context


def test_lambda0_changes_only_rgros_lambda_and_the_recipe_runs_unpatched():
    assert get_mutation("lambda0").overrides == {"stage_lambda": 0.0}
    original = advantages.relative_stage_terms
    with mutated("lambda0"):
        assert advantages.relative_stage_terms is original
        assert rgro_trainer.relative_stage_terms is original
    with mutated("shuffled-stages"):
        # the name the trainer calls is the one that must change
        assert rgro_trainer.relative_stage_terms is not original
    assert rgro_trainer.relative_stage_terms is original
    with pytest.raises(ConfigError, match="unknown mutation 'lambda1'; known: lambda0, shuffled-stages"):
        get_mutation("lambda1")
    assert set(MUTATIONS) == {"lambda0", "shuffled-stages"}


def test_a_mutant_reuses_the_recipes_sft_and_grpo_and_retrains_rgro_only(tmp_path):
    source = tmp_path / fingerprint(recipe_files(), {})
    with pytest.raises(ConfigError, match="train the recipe"):
        mutant_cache(tmp_path, "lambda0")
    for part in ("base", "sft", "grpo"):
        (source / part).mkdir(parents=True)
    folder, overrides = mutant_cache(tmp_path, "lambda0")
    assert overrides == {"rgro": {"stage_lambda": 0.0}}
    root = folder / fingerprint(recipe_files(), overrides)
    assert all((root / p).resolve() == (source / p).resolve() for p in ("base", "sft", "grpo"))
    assert not (root / "rgro").exists()
    assert mutant_cache(tmp_path, "lambda0") == (folder, overrides)  # a second call finds its links


def test_lambda0_reuses_the_experiments_ablation_arm_when_it_was_trained(tmp_path):
    source = tmp_path / fingerprint(recipe_files(), {})
    for part in ("base", "sft", "grpo", "grpo-summed"):
        (source / part).mkdir(parents=True)
    folder, overrides = mutant_cache(tmp_path, "lambda0")
    assert not (folder / fingerprint(recipe_files(), overrides) / "rgro").exists()  # not trained: no twin
    (source / "grpo-summed" / "done.json").write_text("{}")
    folder, overrides = mutant_cache(tmp_path / ".", "lambda0")
    rgro = folder / fingerprint(recipe_files(), overrides) / "rgro"
    assert rgro.resolve() == (source / "grpo-summed").resolve()
    (source / "rgro").mkdir()
    (source / "rgro" / "done.json").write_text("{}")
    # the shuffled mutant has the recipe's own fields, but a patched trainer: it is never the recipe's RGRO
    shuffled_folder, shuffled = mutant_cache(tmp_path, "shuffled-stages")
    assert not (shuffled_folder / fingerprint(recipe_files(), shuffled) / "rgro").exists()
