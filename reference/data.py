"""Training datasets from a task: the same prompt template the benchmark evaluates with."""

from __future__ import annotations

from rgro_bench.errors import DataError


def _studies(task_id: str, split: str, limit: int | None):
    from rgro_bench.tasks import build_prompts, get_task

    task = get_task(task_id)
    studies = [s for s in task.studies(split) if s.impression]
    if limit:
        studies = studies[:limit]
    if not studies:
        raise DataError(f"task {task_id!r} split {split!r}: no study with an impression to train on")
    # fewshot = 0 in training: the model learns the zero-shot prompt it is evaluated with
    return studies, build_prompts(task.spec.prompt, studies, [], seed=0)


def sft_dataset(task_id: str, split: str = "train", limit: int | None = None):
    """Prompt-completion pairs (plain-text prompt; the completion starts with a space, as it follows
    "IMPRESSION:"); TRL's SFTTrainer appends the end-of-sequence token and trains on the completion only."""
    from datasets import Dataset

    studies, prompts = _studies(task_id, split, limit)
    return Dataset.from_dict({"prompt": [p.text for p in prompts], "completion": [" " + s.impression for s in studies]})


def rl_dataset(task_id: str, split: str = "train", limit: int | None = None):
    """Prompts with the columns the rewards read: the findings and the reference impression."""
    from datasets import Dataset

    studies, prompts = _studies(task_id, split, limit)
    return Dataset.from_dict(
        {
            "prompt": [p.text for p in prompts],
            "findings": [s.findings for s in studies],
            "reference": [s.impression for s in studies],
        }
    )
