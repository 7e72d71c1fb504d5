"""Training datasets from a task: the same prompt template the benchmark evaluates with."""

from __future__ import annotations

import random

from rgro_bench.errors import DataError


def _studies(task_id: str, split: str, limit: int | None):
    from rgro_bench.tasks import get_task

    task = get_task(task_id)
    studies = [s for s in task.studies(split) if s.impression]
    if limit:
        studies = studies[:limit]
    if not studies:
        raise DataError(f"task {task_id!r} split {split!r}: no study with an impression to train on")
    return studies


def _prompts(task_id: str, studies, retrieve: str | None = None):
    """The prompts the model is evaluated with: zero-shot, and with ``retrieve`` the retrieved hint of
    :mod:`rgro_bench.models.retrieval`, each study's neighbour drawn from ``studies`` outside its findings group."""
    from rgro_bench.models.retrieval import RETRIEVERS, training_hints
    from rgro_bench.tasks import build_prompts, get_task

    prompts = build_prompts(get_task(task_id).spec.prompt, studies, [], seed=0)
    if retrieve is None:
        return prompts
    if retrieve not in RETRIEVERS:
        raise DataError(f"retrieve={retrieve!r}: expected one of {', '.join(RETRIEVERS)}")
    return training_hints(studies, prompts)


def has_positive_finding(findings: str) -> bool:
    """Whether the findings state a positive observation that findings recall counts (the harness's
    extractor reads the input only: no reference impression is looked at)."""
    from rgro_bench.clinical.consistency import RECALL_CLASSES, text_states

    return any(s.status == "positive" and o in RECALL_CLASSES for o, s in text_states(findings).items())


def balance_abnormal(studies: list, fraction: float, seed: int) -> list:
    """Every study whose findings have a positive finding, plus a seeded sample of the others sized so
    that the first kind makes up ``fraction`` of the result, in split order. A group of samples of a
    normal study that all say "no acute abnormality" has zero advantage in GRPO, so spending rollouts on
    studies with something to find gives the recall and stage rewards more to act on; the normal studies
    kept still teach that asserting nothing is right there."""
    if not 0.0 < fraction < 1.0:
        raise DataError(f"abnormal_fraction must lie in (0, 1), got {fraction}")
    abnormal = [i for i, s in enumerate(studies) if has_positive_finding(s.findings)]
    if not abnormal:
        raise DataError("abnormal_fraction: no study of the split has a positive finding to balance on")
    normal = sorted(set(range(len(studies))) - set(abnormal))
    wanted = min(len(normal), round(len(abnormal) * (1.0 - fraction) / fraction))
    kept = sorted(abnormal + random.Random(seed).sample(normal, wanted))
    return [studies[i] for i in kept]


def sft_dataset(task_id: str, split: str = "train", limit: int | None = None, retrieve: str | None = None):
    """Prompt-completion pairs (plain-text prompt; the completion starts with a space, as it follows
    "IMPRESSION:"); TRL's SFTTrainer appends the end-of-sequence token and trains on the completion only."""
    from datasets import Dataset

    studies = _studies(task_id, split, limit)
    prompts = _prompts(task_id, studies, retrieve)
    return Dataset.from_dict({"prompt": [p.text for p in prompts], "completion": [" " + s.impression for s in studies]})


def rl_dataset(
    task_id: str,
    split: str = "train",
    limit: int | None = None,
    abnormal_fraction: float | None = None,
    seed: int = 0,
    retrieve: str | None = None,
):
    """Prompts with the columns the rewards read: the findings and the reference impression.
    ``abnormal_fraction`` rebalances the prompts (see :func:`balance_abnormal`); None keeps the split."""
    from datasets import Dataset

    studies = _studies(task_id, split, limit)
    # hints are drawn from the whole split, before the balancing keeps a subset of it
    prompt_of = dict(zip((s.id for s in studies), _prompts(task_id, studies, retrieve), strict=True))
    if abnormal_fraction is not None:
        studies = balance_abnormal(studies, abnormal_fraction, seed)
    prompts = [prompt_of[s.id] for s in studies]
    return Dataset.from_dict(
        {
            "prompt": [p.text for p in prompts],
            "findings": [s.findings for s in studies],
            "reference": [s.impression for s in studies],
        }
    )
