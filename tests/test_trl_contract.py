"""The private parts of TRL's GRPOTrainer that the reference trainers override or read. A TRL upgrade that
renames or reshapes one fails here, by name, before a training run fails somewhere inside it."""

from __future__ import annotations

import inspect

import pytest

trl = pytest.importorskip("trl")

#: hook -> the parameters the reference trainers call it with (TimedGRPOTrainer, RgroTrainer)
HOOKS = {
    "_generate": None,  # wrapped as it is (rollout timing): any signature
    "_calculate_rewards": ("self", "inputs", "prompts", "completions", "completion_ids_list"),
    "_generate_and_score_completions": ("self", "inputs"),
}
#: the private methods the reference trainers add of their own (no TRL hook behind them)
OWN = {"_sequence_sigmas"}
#: what RGRO reads of the output of _generate_and_score_completions, and of the trainer itself
OUTPUT_KEYS = ("advantages", "completion_ids", "prompt_mask", "completion_mask")
ATTRIBUTES = ("reward_weights", "num_generations", "scale_rewards", "multi_objective_aggregation", "_metrics")
#: what the vLLM weight-sync fix (reference/vllm_rollouts.py) calls on TRL's vLLM helper
VLLM_GENERATION = ("sync_weights", "_iter_named_params")


def test_every_private_method_the_trainers_define_is_a_listed_hook():
    # an override of a hook TRL renamed would be a new method that nothing calls: list each one above
    from reference.grpo_trainer import TimedGRPOTrainer
    from reference.rgro_trainer import RgroTrainer

    defined = {
        name
        for cls in (TimedGRPOTrainer, RgroTrainer)
        for name, value in vars(cls).items()
        if name.startswith("_") and not name.startswith("__") and callable(value)
    }
    assert defined == set(HOOKS) | OWN


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_the_hooks_rgro_overrides_exist_with_their_parameters(hook):
    from trl import GRPOTrainer

    method = getattr(GRPOTrainer, hook, None)
    assert callable(method), f"trl {trl.__version__}: GRPOTrainer.{hook} is gone"
    if HOOKS[hook] is not None:
        assert tuple(inspect.signature(method).parameters) == HOOKS[hook], f"GRPOTrainer.{hook} changed"


def test_the_scored_batch_still_carries_what_rgro_reads():
    from trl import GRPOTrainer

    source = inspect.getsource(GRPOTrainer._generate_and_score_completions)
    missing = [key for key in OUTPUT_KEYS if f'"{key}"' not in source]
    assert missing == [], f"_generate_and_score_completions no longer returns {missing}"
    # the sequence advantages RGRO adds its stage term to are TRL's, summed then normalised by default
    assert "sum_then_normalize" in source and "self._calculate_rewards(" in source


def test_the_attributes_rgro_reads_are_set_by_the_trainer():
    from trl import GRPOTrainer

    init = inspect.getsource(GRPOTrainer.__init__)
    missing = [name for name in ATTRIBUTES if f"self.{name} =" not in init and f"self.{name}=" not in init]
    assert missing == [], f"GRPOTrainer.__init__ no longer sets {missing}"


def test_the_vllm_helper_keeps_what_the_cpu_weight_sync_uses():
    from trl.generation.vllm_generation import VLLMGeneration

    missing = [name for name in VLLM_GENERATION if not callable(getattr(VLLMGeneration, name, None))]
    assert missing == [], f"trl's VLLMGeneration no longer has {missing}"
