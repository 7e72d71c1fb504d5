"""A few RGRO steps on the tiny model, recording what the loss sees; run as a subprocess by
tests/test_rgro_vllm.py (a colocated vLLM engine leaves a process group and RANK/WORLD_SIZE behind, so it
gets a process of its own).

    python tests/rollout_capture.py MODEL_DIR OUT_DIR vllm|transformers [REPLAY.pt]

Writes OUT_DIR/captured.pt: per generation batch the prompt and completion ids TRL generated, and the
rows (prompt ids, completion ids, completion mask, advantages) each ``_compute_loss`` call received.
With REPLAY.pt (another run's captured.pt), the transformers path does not sample: each batch's
completions are the recorded ones, after checking that the prompts are the recorded prompts.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB; the tiny model needs little

STEPS, BATCH, GENERATIONS, MAX_TOKENS = 2, 6, 3, 8


def capturing_class(replay: list[dict] | None):
    from reference.rgro_trainer import RgroTrainer

    class Capturing(RgroTrainer):
        generated: list[dict] = []
        losses: list[dict] = []

        def _generate_single_turn(self, prompt_ids, images, multimodal_fields, num_generations, has_tool_images=False):
            if replay is not None:
                recorded = replay[len(self.generated)]
                assert [list(p) for p in prompt_ids] == recorded["prompt_ids"], "replayed batch has other prompts"
                completion_ids, logprobs = [list(c) for c in recorded["completion_ids"]], None
            else:
                completion_ids, logprobs = super()._generate_single_turn(
                    prompt_ids, images, multimodal_fields, num_generations, has_tool_images
                )
            self.generated.append(
                {"prompt_ids": [list(p) for p in prompt_ids], "completion_ids": [list(c) for c in completion_ids]}
            )
            return completion_ids, logprobs

        def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
            rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
            self.generated[-1]["rewards"] = rewards.detach().cpu().clone()  # (completions, reward functions)
            return rewards

        def _compute_loss(self, model, inputs):
            keep = ("prompt_ids", "prompt_mask", "completion_ids", "completion_mask", "advantages")
            self.losses.append({k: inputs[k].detach().cpu().clone() for k in keep})
            return super()._compute_loss(model, inputs)

    return Capturing


def main(model_dir: str, out: str, mode: str, replay_file: str | None = None) -> None:
    import torch

    sys.path.insert(0, str(Path(__file__).parent))
    from test_rgro_trainer import WordCountChecks

    from reference.config_files import CONFIG_DIR
    from reference.grpo_trainer import run_rl
    from reference.training_stages import parse_stage_config

    replay = torch.load(replay_file)["generated"] if replay_file else None
    values = {
        "model": model_dir,
        "output_dir": out,
        "limit": 16,
        "max_steps": STEPS,
        "per_device_train_batch_size": BATCH,
        "num_generations": GENERATIONS,
        "max_completion_length": MAX_TOKENS,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": [],
        "use_vllm": mode == "vllm",
        "vllm_mode": "colocate",
        # the parity checks rebuild prompts and rewards by hand: plain prompts, the three episode rewards
        "retrieve": None,
        "reward_stages": 0.0,
        # a stage term on every token, the first included (the relative form leaves stage 0 at the sequence
        # advantage), so that the check that advantages carry it cannot pass by accident
        "stage_credit": "pooled",
    }
    recipe = parse_stage_config("rgro", CONFIG_DIR / "tiny-cpu-rgro.yaml", values)
    trainer_cls = capturing_class(replay)
    run_rl(trainer_cls, *recipe, checks=WordCountChecks())
    torch.save({"generated": trainer_cls.generated, "losses": trainer_cls.losses}, Path(out) / "captured.pt")


if __name__ == "__main__":
    main(*sys.argv[1:])
