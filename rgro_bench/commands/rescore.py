"""``rgro-bench rescore``: recompute a run's metrics from its stored generations, with no model at hand."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("rescore", help="score stored generations again (no model needed)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", type=Path, help="a run folder or its results.json (identity, task, arguments)")
    source.add_argument("--model", help="a model spec exactly as given to `run` (its newest identity in the store)")
    parser.add_argument("--task", help="task id (with --model; a --run names its own task)")
    parser.add_argument("--split", default=None, help="split (with --model; default: the task's evaluation split)")
    parser.add_argument("--limit", type=int, default=None, help="first N studies (with --model)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the run (with --model)")
    parser.add_argument("--max-new-tokens", type=int, default=None, help="generation length of the run (with --model)")
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help="generation store (default: $RGRO_BENCH_STORE, "
        "else the one beside the run folder, else OUTPUT_DIR/generations.sqlite)",
    )
    parser.add_argument("--metrics", default=None, help="comma-separated metric names (default: the task's list)")
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        help="where results go (default: the run's OUTPUT_DIR, overwriting its results; with --model: runs)",
    )
    parser.set_defaults(func=rescore_command)


def rescore_command(args: argparse.Namespace) -> int:
    from rgro_bench.errors import ConfigError
    from rgro_bench.results.summary import print_summary
    from rgro_bench.runner import evaluate
    from rgro_bench.store import STORE_ENV, GenerationStore
    from rgro_bench.store.rescore import StoredModel, guess_store, model_from_store, read_run, run_sample_ids
    from rgro_bench.tasks import get_task

    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    if args.run is not None:
        result, folder = read_run(args.run)
        output_dir = args.output_dir or folder.parent.parent
        store_path = args.store or os.environ.get(STORE_ENV) or guess_store(folder)
        task = get_task(result.task.id)
        if (task.version, task.data_hash) != (result.task.version, result.task.data_hash):
            print(
                f"warning: task {task.id} is now v{task.version} (data {task.data_hash[:12]}); the run used "
                f"v{result.task.version} (data {result.task.data_hash[:12]})"
            )
        ids = run_sample_ids(folder, result)
        options = {
            "split": result.task.split,
            "seed": result.seed,
            "ids": ids,
            "limit": None if ids else result.task.n_samples,
            "generation": {**result.generation, "stop": tuple(result.generation.get("stop", ()))},
            "resamples": result.bootstrap.resamples,
            "confidence": result.bootstrap.confidence,
        }
        spec, kind, identity = result.model.spec, result.model.kind, result.model.identity
        if kind in ("baseline", "predictions"):
            raise ConfigError(f"{args.run}: {spec} is computed, not generated; run it again instead of rescoring")
    else:
        if not args.task:
            raise ConfigError("rescore --model needs --task")
        output_dir = args.output_dir or Path("runs")
        store_path = args.store or os.environ.get(STORE_ENV) or output_dir / "generations.sqlite"
        task = get_task(args.task)
        options = {
            "split": args.split,
            "seed": args.seed,
            "limit": args.limit,
            "generation": {"max_new_tokens": args.max_new_tokens},
        }
        spec, kind, identity = args.model, None, None
    with GenerationStore(store_path, read_only=True) as store:
        if identity is None:
            kind, identity = model_from_store(store, spec)
        model = StoredModel(spec, kind, identity, store)
        evaluation = evaluate(model, task, metrics=metrics, output_dir=output_dir, store=store, **options)
    print_summary(evaluation.result, evaluation.results_path)
    print(f"  rescored from {store_path}: {evaluation.generation.reused} stored generations, none generated")
    return 0
