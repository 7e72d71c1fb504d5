"""RGRO as a GRPOTrainer subclass, end to end on the tiny model: invariants that must hold exactly."""

import pytest

pytestmark = pytest.mark.slow


class WordCountChecks:
    """The harness's clinical checks, except that a stage's verdict depends on its word count: an
    untrained model's text names no observation, so the real checks would give every stage 0 and the
    stage term would vanish, making the invariants below hold trivially."""

    def __getattr__(self, name):
        import rgro_bench.clinical as clinical

        return getattr(clinical, name)

    def judge_statement(self, findings_mentions, statement):
        from rgro_bench.clinical.types import StatementVerdict

        words = len(statement.split())
        return StatementVerdict(
            supported=words % 3, contradicted=0, unsupported=words % 2, hedged=False, observations=()
        )


def rl_log(stage, model_dir, out, **overrides):
    from reference.config_files import CONFIG_DIR
    from reference.grpo_trainer import TimedGRPOTrainer, run_rl
    from reference.rgro_trainer import RgroTrainer
    from reference.throughput import read_log
    from reference.training_stages import parse_stage_config

    values = {
        "model": str(model_dir),
        "output_dir": str(out),
        "limit": 64,
        "max_steps": 3,
        "per_device_train_batch_size": 12,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": [],
        **overrides,
    }
    recipe = parse_stage_config(stage, CONFIG_DIR / f"tiny-cpu-{stage}.yaml", values)
    if stage == "rgro":
        run_rl(RgroTrainer, *recipe, stage_weights=recipe[2].stage_weights(), checks=WordCountChecks())
    else:
        run_rl(TimedGRPOTrainer, *recipe)
    return [r for r in read_log(out / "log.jsonl") if "loss" in r]


def test_rgro_with_lambda_zero_trains_exactly_like_grpo(tiny_model_dir, tmp_path):
    grpo = rl_log("grpo", tiny_model_dir, tmp_path / "grpo")
    # the recipe's RGRO adds the summed stage reward to R; without it, λ = 0 leaves GRPO's reward
    rgro = rl_log("rgro", tiny_model_dir, tmp_path / "rgro", stage_lambda=0.0, reward_stages=0.0)
    assert len(grpo) == len(rgro) == 3
    assert any(r["rgro/mean_stage_reward"] != 0 for r in rgro)  # the stage term exists; λ = 0 removes it
    assert all(r["rgro/stage_term_abs"] == 0 for r in rgro)  # what the regression gate reads
    for a, b in zip(grpo, rgro, strict=True):
        assert b["loss"] == pytest.approx(a["loss"], abs=1e-7)
        assert b["reward"] == a["reward"]
        assert b["completions/mean_length"] == a["completions/mean_length"]


@pytest.mark.parametrize("credit", ["pooled", "relative"])
def test_stage_credit_changes_the_loss_but_not_the_rollouts_at_learning_rate_zero(tiny_model_dir, tmp_path, credit):
    # what reference.step_ratio relies on: with a frozen policy both trainers see the same batches
    grpo = rl_log("grpo", tiny_model_dir, tmp_path / "grpo", learning_rate=0.0)
    rgro = rl_log(
        "rgro",
        tiny_model_dir,
        tmp_path / "rgro",
        learning_rate=0.0,
        stage_lambda=1.0,
        stage_credit=credit,
        reward_stages=0.0,  # GRPO's reward: only the stage credit differs
    )
    assert [r["completions/mean_length"] for r in rgro] == [r["completions/mean_length"] for r in grpo]
    assert [r["reward"] for r in rgro] == [r["reward"] for r in grpo]
    assert any(abs(b["loss"] - a["loss"]) > 1e-6 for a, b in zip(grpo, rgro, strict=True))


def test_the_ablation_gets_the_same_total_reward_without_per_token_credit(tiny_model_dir, tmp_path):
    # "GRPO + summed stage reward" is RGRO at λ = 0 with Σ_k r_k in R: same rollouts, same reward, and a
    # loss that differs from RGRO's only through the per-token stage credit
    common = {"learning_rate": 0.0, "reward_stages": 1.0, "stage_credit": "relative", "stage_rules": "clinical"}
    ablation = rl_log("rgro", tiny_model_dir, tmp_path / "ablation", stage_lambda=0.0, **common)
    rgro = rl_log("rgro", tiny_model_dir, tmp_path / "rgro", stage_lambda=1.0, **common)
    assert all("rewards/stages/mean" in r for r in ablation)
    assert [r["rewards/stages/mean"] for r in rgro] == [r["rewards/stages/mean"] for r in ablation]
    assert [r["reward"] for r in rgro] == [r["reward"] for r in ablation]
    assert any(abs(b["loss"] - a["loss"]) > 1e-6 for a, b in zip(ablation, rgro, strict=True))
    assert all(r["rgro/stage_term_abs"] == 0 for r in ablation)
    assert any(r["rgro/stage_term_abs"] > 0 for r in rgro)
