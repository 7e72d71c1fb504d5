"""``rgro-bench compare-backends``: the per-sample disagreement rate of two model specs on the same
prompts and generation arguments (e.g. hf vs vllm of one folder: the parity gate)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("compare-backends", help="per-sample disagreement of two models' generations")
    parser.add_argument("--model-a", required=True, help="first model spec, e.g. hf:DIR")
    parser.add_argument("--model-b", required=True, help="second model spec, e.g. vllm:DIR")
    parser.add_argument("--model-args-a", default="", help="options of model A (key=value,...)")
    parser.add_argument("--model-args-b", default="", help="options of model B (key=value,...)")
    parser.add_argument("--task", required=True, help="task id or task YAML path")
    parser.add_argument("--split", default=None, help="split (default: the task's evaluation split)")
    parser.add_argument("--limit", type=int, default=32, help="first N studies (default 32)")
    parser.add_argument("--seed", type=int, default=0, help="generation seed")
    parser.add_argument("--max-new-tokens", type=int, default=None, help="override the task's generation length")
    parser.add_argument("--show", type=int, default=3, help="print this many disagreeing samples")
    parser.add_argument(
        "--max-disagreement",
        type=float,
        default=None,
        help="exit 1 when the disagreement rate exceeds this fraction (a CI gate)",
    )
    parser.add_argument("--store", type=Path, default=None, help="generation store to read and fill (default: none)")
    parser.set_defaults(func=compare_command)


def generations(spec: str, options: str, task, args: argparse.Namespace) -> tuple[list, list[str]]:
    from rgro_bench.models import load_model, parse_options
    from rgro_bench.store import generate

    requests = task.requests(args.split, limit=args.limit, seed=args.seed)
    model = load_model(spec, options=parse_options(options))
    try:
        gen_args = task.generation_args(
            args.seed, model.generation_overrides, {"max_new_tokens": args.max_new_tokens or None}
        )
        model.fit(task)
        texts, _ = generate(model, requests, gen_args, args.store or False)
    finally:
        model.close()
    return [r.study for r in requests], texts


def compare_command(args: argparse.Namespace) -> int:
    from rgro_bench.tasks import get_task

    task = get_task(args.task)
    studies, texts_a = generations(args.model_a, args.model_args_a, task, args)
    _, texts_b = generations(args.model_b, args.model_args_b, task, args)
    differ = [i for i, (a, b) in enumerate(zip(texts_a, texts_b, strict=True)) if a != b]
    rate = len(differ) / len(studies) if studies else 0.0
    print(
        f"{args.model_a} vs {args.model_b} on {task.id} ({len(studies)} samples): "
        f"{len(differ)} disagree, disagreement rate {rate:.4f}"
    )
    for i in differ[: args.show]:
        print(f"  {studies[i].id}: A={texts_a[i][:80]!r}  B={texts_b[i][:80]!r}")
    if args.max_disagreement is not None and rate > args.max_disagreement:
        print(f"disagreement {rate:.4f} exceeds --max-disagreement {args.max_disagreement}")
        return 1
    return 0
