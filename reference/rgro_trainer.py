"""RGRO as a subclass of TRL's ``GRPOTrainer``: the same rollouts, rewards, clipped surrogate and optional
KL to the SFT reference (``beta``), with per-token advantages of shape (B, T):

    A_ik = (R_i − mean_G R)/σ  +  λ · D_ik/σ,    D_ik = (G_ik − b_k) − (G_i0 − b_0)

TRL computes the first term; this class adds the stage term (``stage_credit="relative"``, defined in
reference/rgro/advantages.py with the recorded recipe's ``"pooled"`` form). Stage rewards are computed
with the other rewards (they count as reward time), gathered across processes so each baseline spans
its whole group; σ is the one TRL divides the sequence term by (``scale_rewards``).

    python -m reference.rgro_trainer --config reference/configs/tiny-cpu-rgro.yaml
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from accelerate.utils import gather_object

from reference.grpo_config import RewardArguments
from reference.grpo_trainer import TimedGRPOTrainer, run_rl
from reference.rgro.advantages import (
    normalised_returns,
    relative_stage_terms,
    sequence_sigmas,
    token_advantages,
    token_stage_terms,
    token_stages,
)
from reference.rgro.rewards import completion_text, default_checks, impression_stage_rewards
from reference.rgro_config import RgroConfig
from reference.sft_config import ScriptArguments
from reference.training import run_cli
from rgro_bench.errors import ConfigError

#: the dataclasses a recipe file of this stage fills (its CLI's too), in the order train_rgro takes them
CONFIG_TYPES = (ScriptArguments, RewardArguments, RgroConfig)


def token_ends(tokenizer, ids: list[int]) -> list[int]:
    """Character offset where each completion token ends in the decoded completion: the length of each
    decoded prefix, which is exact for the generated ids (a re-tokenisation need not reproduce them)."""
    return [len(t) for t in tokenizer.batch_decode([ids[: i + 1] for i in range(len(ids))], skip_special_tokens=True)]


def completion_stage_info(findings: str, completion: str, ids: list[int], tokenizer, checks, weights):
    """(stage rewards, stage index of each token) of one completion."""
    stages, rewards = impression_stage_rewards(findings, completion, checks, weights)
    return rewards, token_stages(token_ends(tokenizer, ids), [(s.start, s.end) for s in stages])


class RgroTrainer(TimedGRPOTrainer):
    """GRPO with RGRO's stage credit added to each token's advantage (the module docstring has the
    formula). Overrides TRL's private ``_calculate_rewards`` (stage rewards and the sequence σ, computed
    with the other rewards) and ``_generate_and_score_completions`` (the stage term added to TRL's
    advantages); tests/test_trl_contract.py fails by name when a TRL upgrade changes one."""

    def __init__(self, *args: Any, checks=None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.args.stage_credit == "relative" and self.multi_objective_aggregation != "sum_then_normalize":
            raise ConfigError(
                "stage_credit 'relative' scales by the σ of the summed rewards: it needs "
                f"multi_objective_aggregation 'sum_then_normalize', got {self.multi_objective_aggregation!r}"
            )
        self.checks = checks or default_checks()
        self._stage_info: list[tuple[list[float], list[int]]] | None = None
        self._sigmas: list[float | None] = []

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards_per_func = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self._stage_info = None
        if self.model.training:
            t0 = time.perf_counter()
            weights = self.args.stage_weights()
            self._stage_info = [
                completion_stage_info(
                    x["findings"], completion_text(c), list(ids), self.processing_class, self.checks, weights
                )
                for x, c, ids in zip(inputs, completions, completion_ids_list, strict=True)
            ]
            self._sigmas = self._sequence_sigmas(rewards_per_func)
            self.clock.add("reward", time.perf_counter() - t0)
        return rewards_per_func

    def _sequence_sigmas(self, rewards_per_func) -> list[float | None]:
        """σ of each group's sequence term, from the gathered rewards as TRL sums them."""
        weights = self.reward_weights.to(rewards_per_func.device).unsqueeze(0)
        rewards = (rewards_per_func * weights).nansum(dim=1)
        rewards[rewards_per_func.isnan().all(dim=1)] = float("nan")
        return sequence_sigmas(rewards.double().cpu().numpy(), self.num_generations, self.scale_rewards)

    def _generate_and_score_completions(self, inputs):
        output = super()._generate_and_score_completions(inputs)
        if self._stage_info is None:
            return output
        local = self._stage_info
        self._stage_info = None
        # baselines span each whole group, whose completions may sit on several processes
        everyone = gather_object([rewards for rewards, _ in local])
        if self.args.stage_credit == "relative":
            values = relative_stage_terms(everyone, self.num_generations, self._sigmas)
        else:
            values = normalised_returns(everyone, self.num_generations, self.args.stage_scale)
        start = self.accelerator.process_index * len(local)
        length = output["completion_ids"].shape[1]
        terms = [token_stage_terms(values[start + i], stages, length) for i, (_, stages) in enumerate(local)]
        advantages = output["advantages"]
        terms = np.asarray(terms, dtype=float).reshape(-1, length)  # one array: torch copies it at once
        terms = torch.from_numpy(terms).to(dtype=advantages.dtype, device=advantages.device)
        output["advantages"] = token_advantages(advantages, terms, self.args.stage_lambda)
        mode = "train"
        # the size of the per-token credit actually applied: the regression gate checks it is not zero
        self._metrics[mode]["rgro/stage_term_abs"].append(self.args.stage_lambda * float(terms.abs().mean()))
        self._metrics[mode]["rgro/stages_per_completion"].append(sum(len(r) for r, _ in local) / max(1, len(local)))
        self._metrics[mode]["rgro/mean_stage_reward"].append(
            sum(sum(r) for r, _ in local) / max(1, sum(len(r) for r, _ in local))
        )
        return output


def train_rgro(script: ScriptArguments, rewards: RewardArguments, config: RgroConfig) -> Path:
    return run_rl(RgroTrainer, script, rewards, config, stage_weights=config.stage_weights())


def main(argv: list[str] | None = None) -> int:
    return run_cli(CONFIG_TYPES, train_rgro, argv, __doc__, "RGRO")


if __name__ == "__main__":
    raise SystemExit(main())
