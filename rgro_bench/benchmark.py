"""Every baseline on every task whose data is available offline, submitted to the leaderboard like any
other entry. ``nox -s benchmark`` runs ``reference.benchmark``, which adds the tiny reference models: the
harness never imports the trainers.

    python -m rgro_bench.benchmark [--leaderboard-dir leaderboards] [--runs-dir runs/benchmark] [--task ID]

Each run's typed results and per-sample JSONL go to ``RUNS_DIR/<task>/<model>/``; the leaderboard
recomputes every number from the predictions. Task by task, each table prints as soon as its entries are in;
then every file of the leaderboard is rebuilt.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rgro_bench.errors import RgroError


@dataclass(frozen=True)
class Contender:
    spec: str
    card: dict = field(hash=False)
    model_args: dict = field(default_factory=dict, hash=False)


BASELINE_AUTHORS = ["rgro-bench baselines"]


def baseline_contenders() -> list[Contender]:
    def card(name: str, description: str, parameters: int = 0, **extra: str) -> dict:
        return {
            "name": name,
            "authors": BASELINE_AUTHORS,
            "licence": "Apache-2.0",
            "parameters": parameters,
            "description": description,
            "training_data": [],
            **extra,
        }

    return [
        Contender(
            "baseline:constant", card("Constant 'normal' impression", "Always 'No acute cardiopulmonary abnormality.'")
        ),
        Contender("baseline:lead-2", card("Lead-2 sentences of the findings", "First two findings sentences.")),
        Contender("baseline:copy-findings", card("Copy findings", "The findings verbatim.")),
        Contender(
            "baseline:tfidf-nn",
            card("TF-IDF nearest-neighbour retrieval", "Impression of the nearest training report (TF-IDF cosine)."),
        ),
        Contender(
            "baseline:dense-nn",
            card(
                "Dense nearest-neighbour retrieval",
                "Impression of the nearest training report by cosine of mean-pooled all-MiniLM-L6-v2 sentence "
                "embeddings of the findings (the encoder is used as shipped, not tuned on any task).",
                parameters=22_713_216,
                base_model="sentence-transformers/all-MiniLM-L6-v2",
            ),
        ),
    ]


def offline_tasks() -> list:
    from rgro_bench.tasks import get_task, task_names

    tasks = []
    for name in task_names():
        task = get_task(name)
        if task.spec.data.credentialed:
            continue
        try:
            task.load()
        except RgroError as exc:
            print(f"skipping {name}: {exc}", file=sys.stderr)
            continue
        tasks.append(task)
    return tasks


#: baselines fitted per task on a pool that excludes each evaluated split (models.baselines.retrieval_pool)
RETRIEVAL_SPECS = ("baseline:tfidf-nn", "baseline:dense-nn")


def retrieval_training_data(task) -> list:
    """What a retrieval entry on ``task`` was fitted on, exactly, so the leaderboard can judge overlap."""
    from rgro_bench.models.baselines import retrieval_pool

    pool, source = retrieval_pool(task)
    return [{"task": source.partition(":")[0], "ids": [s.id for s in pool]}]


def evaluate_contender(contender: Contender, task, runs_dir: Path, seed: int):
    """The contender's evaluation of ``task`` (predictions and scores), its summary printed."""
    from rgro_bench.results.summary import print_summary
    from rgro_bench.runner import evaluate

    evaluation = evaluate(contender.spec, task, output_dir=runs_dir, seed=seed, model_args=contender.model_args)
    print_summary(evaluation.result, evaluation.results_path)
    return evaluation


def submit_evaluations(leaderboard_dir: Path, card: dict, evaluations: dict, seed: int) -> None:
    """Submit like any entry; the runner's scores are reused where the leaderboard verifies they are what
    it would compute (same samples, metric versions and bootstrap), so each contender is scored once."""
    from rgro_bench.leaderboard import submit_predictions

    predictions = {
        task_id: dict(zip(e.samples["id"], e.samples["prediction"], strict=True)) for task_id, e in evaluations.items()
    }
    scored = {task_id: e.scored for task_id, e in evaluations.items()}
    submit_predictions(leaderboard_dir, card, predictions, replace=True, seed=seed, build=False, scored=scored)


def submit_contender(leaderboard_dir: Path, contender: Contender, evaluations: dict, task, seed: int) -> None:
    """Enter (or re-enter) the contender with its evaluations so far (task id -> evaluation), ``task`` the
    latest: one entry across tasks, so each re-entry adds a task and re-scores nothing."""
    if contender.spec in RETRIEVAL_SPECS:
        # Fitted per task (the pool excludes each evaluated split), so it enters once per task with the
        # exact ids it was fitted on: the contamination check then sees the truth.
        card = {
            **contender.card,
            "name": f"{contender.card['name']} ({task.id})",
            "training_data": retrieval_training_data(task),
        }
        submit_evaluations(leaderboard_dir, card, {task.id: evaluations[task.id]}, seed)
        return
    submit_evaluations(leaderboard_dir, contender.card, evaluations, seed)


def parser(description: str | None) -> argparse.ArgumentParser:
    """The options every benchmark driver shares (``reference.benchmark`` adds the trained models')."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leaderboard-dir", type=Path, default=Path("leaderboards"), help="leaderboard folder")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/benchmark"), help="per-run results folder")
    parser.add_argument("--seed", type=int, default=0, help="seed of generation and bootstrap")
    parser.add_argument(
        "--task", action="append", default=None, help="only these task ids (repeatable; default: every offline task)"
    )
    return parser


def run_benchmark(args: argparse.Namespace, contenders: list[Contender]) -> int:
    """Submit each contender on every offline task (of ``args.task``), task by task, printing each task's
    Markdown table as soon as its entries are in; then rebuild the leaderboard's files. 2 with a one-line
    error on bad input."""
    from rgro_bench.leaderboard import build_leaderboard, preview_tables
    from rgro_bench.leaderboard.render import table_markdown

    try:
        tasks = [t for t in offline_tasks() if args.task is None or t.id in args.task]
        evaluations: dict[Contender, dict] = {c: {} for c in contenders}
        for task in tasks:
            for contender in contenders:
                evaluations[contender][task.id] = evaluate_contender(contender, task, args.runs_dir, args.seed)
                submit_contender(args.leaderboard_dir, contender, evaluations[contender], task, args.seed)
            for table in preview_tables(args.leaderboard_dir, [task.id], seed=args.seed).tables:
                print(f"\n{args.leaderboard_dir / f'{table.task.id}.md'}\n{table_markdown(table)}", flush=True)
        build_leaderboard(args.leaderboard_dir, seed=args.seed)
    except RgroError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_benchmark(parser(__doc__).parse_args(argv), baseline_contenders())


if __name__ == "__main__":
    from rgro_bench.reproducibility import pin_process

    # the leaderboards' reference rows are recorded numbers: the same on every x86-64 CPU
    pin_process()
    raise SystemExit(main())
