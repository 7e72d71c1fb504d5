"""``rgro-bench run``: evaluate a model on one or more tasks."""

from __future__ import annotations

import argparse
from pathlib import Path

from rgro_bench.results.summary import print_summary


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser("run", help="generate impressions with a model and score them")
    run.add_argument(
        "--model",
        required=True,
        help="model spec, e.g. baseline:lead-2, hf:PATH_OR_ID, vllm:PATH_OR_ID, openai:BASE_URL#MODEL",
    )
    run.add_argument("--model-args", default="", help="backend options as key=value,key=value (e.g. dtype=bfloat16)")
    run.add_argument("--task", action="append", required=True, help="task id or task YAML path; repeat for several")
    run.add_argument("--split", default=None, help="split to evaluate (default: the task's evaluation split)")
    run.add_argument("--metrics", default=None, help="comma-separated metric names (default: the task's list)")
    run.add_argument("--limit", type=int, default=None, help="evaluate only the first N studies (smoke tests)")
    run.add_argument("--output-dir", type=Path, default=Path("runs"), help="results go to OUTPUT_DIR/<task>/<model>/")
    run.add_argument("--seed", type=int, default=0, help="seed for sampling, few-shot choice and the bootstrap")
    run.add_argument("--max-new-tokens", type=int, default=None, help="override the task's generation length")
    run.add_argument("--temperature", type=float, default=None, help="override the task's temperature")
    run.add_argument("--top-p", type=float, default=None, help="override the task's top-p")
    run.add_argument("--data-dir", default=None, help="data file/folder for tasks whose data is not shipped (mimic-*)")
    run.add_argument(
        "--store",
        type=Path,
        default=None,
        help="generation store (default: $RGRO_BENCH_STORE or "
        "OUTPUT_DIR/generations.sqlite); a rerun generates only what it lacks",
    )
    run.add_argument("--no-store", action="store_true", help="generate everything and store nothing")
    run.set_defaults(func=run_command)


def run_command(args: argparse.Namespace) -> int:
    from rgro_bench.models import load_model, parse_options
    from rgro_bench.runner import check_limit, evaluate
    from rgro_bench.tasks import get_task
    from rgro_bench.tasks.generation import check_generation

    options = parse_options(args.model_args)
    generation = {"max_new_tokens": args.max_new_tokens, "temperature": args.temperature, "top_p": args.top_p}
    check_limit(args.limit)  # before a model is loaded
    check_generation({k: v for k, v in generation.items() if v is not None})
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    tasks = [get_task(name, data_path=args.data_dir) for name in args.task]  # a bad name fails before loading
    model = load_model(args.model, options=options)  # fitted to each task by evaluate (Model.fit)
    try:
        for task in tasks:
            evaluation = evaluate(
                model,
                task,
                split=args.split,
                metrics=metrics,
                output_dir=args.output_dir,
                generation=generation,
                limit=args.limit,
                seed=args.seed,
                store=False if args.no_store else (args.store or True),
            )
            print_summary(evaluation.result, evaluation.results_path)
            if evaluation.generation is not None:
                print(f"  generation: {evaluation.generation.summary()}")
                if model.kind == "openai" and evaluation.generation.reused:
                    print(
                        f"  note: {evaluation.generation.reused} generations reused from the store for this endpoint "
                        "(same URL, name and served-model fields); pass --model-args revision=... if the model "
                        "behind it changed"
                    )
    finally:
        model.close()
    return 0
