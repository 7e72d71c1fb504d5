"""Expert feedback from IU X-ray's manual MeSH indexing: the one expert signal available offline.

Human indexers read each report and recorded what the study shows (``rgro_bench.clinical.mesh_labels``).
This turns the indexing of the **train** split into preference pairs in the feedback file format
(:mod:`reference.rgro.feedback`), for a train study whose own impression names what its indexers recorded
(its label vector, read by the harness's label extractor, equals theirs):

- an abnormal study: its impression is preferred to the normal template (a missed finding);
- a normal study: its impression is preferred to the impression of another train study that names a
  finding of the 8 label classes (a hallucinated one), drawn with a fixed seed.

Only train studies are read: validation and test labels stay the judges' (``label_accuracy``). Training
with this feedback optimises agreement with the indexers, so a run that uses it is judged on label
accuracy by a function close to its reward: such runs are reported with BERTScore first.

    python -m reference.rgro.mesh_feedback --out runs/feedback/iu-xray-train-mesh.jsonl
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from typing import Any

NORMAL_TEMPLATE = "No acute cardiopulmonary abnormality."
SOURCE = "IU X-ray manual MeSH indexing"


def agreeing_studies(task: Any, split: str) -> list[tuple[Any, bool]]:
    """(study, abnormal) for the studies of ``split`` whose impression's labels equal their indexers'."""
    from rgro_bench.metrics.labels import gold_labels, task_labels, text_labels

    labels = task_labels(task)
    out = []
    for study in task.studies(split):
        gold = gold_labels(labels.get(study.id))
        if gold is None or not study.impression:
            continue
        abnormal, classes = text_labels(study.impression)
        if abnormal == gold[0] and (classes == gold[1]).all():
            out.append((study, bool(gold[0])))
    return out


def mesh_pairs(task: Any, split: str = "train", seed: int = 0) -> list[dict[str, str]]:
    """Preference pairs (feedback file rows) from ``split``'s indexing; see the module docstring."""
    from rgro_bench.metrics.labels import text_labels

    studies = agreeing_studies(task, split)
    naming = [s.impression for s, abnormal in studies if abnormal and text_labels(s.impression)[1].any()]
    if not naming:
        return []
    rng = random.Random(seed)
    rows = []
    for study, abnormal in studies:
        rejected = NORMAL_TEMPLATE if abnormal else rng.choice(naming)
        if rejected == study.impression:
            continue
        rows.append(
            {
                "findings": study.findings,
                "preferred": study.impression,
                "rejected": rejected,
                "source": f"{SOURCE}, {task.id} {split} study {study.id}",
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    from rgro_bench.results.io import write_jsonl
    from rgro_bench.tasks import get_task

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="feedback JSONL to write")
    parser.add_argument("--task", default="iu-xray", help="a task whose data has the MeSH column")
    parser.add_argument("--seed", type=int, default=0, help="seed of the rejected impressions' draw")
    args = parser.parse_args(argv)
    rows = mesh_pairs(get_task(args.task), "train", args.seed)
    if not rows:
        print(f"error: {args.task}: no train study with MeSH indexing that its impression agrees with")
        return 2
    write_jsonl(args.out, rows)
    print(f"{len(rows)} preference pairs from the train split's indexing -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
