"""``nox -s benchmark``: the harness's baselines first (their tables print within minutes), then the tiny
reference SFT/GRPO/RGRO models, trained on first use and cached, entered like any other model.

    python -m reference.benchmark [--baselines-only] [--cache-dir runs/tiny-recipe] [harness options]

The harness (``rgro_bench.benchmark``) knows nothing of the trainers; this driver brings them.
"""

from __future__ import annotations

from pathlib import Path

from rgro_bench.benchmark import Contender, baseline_contenders, parser, run_benchmark


def trained_contenders(cache_dir: Path) -> list[Contender]:
    """The tiny models of the recipe (trained now unless cached), as the benchmark enters them."""
    from reference.recipe import ensure_trained

    return [
        Contender(f"hf:{info['path']}", info["card"], info["model_args"]) for info in ensure_trained(cache_dir).values()
    ]


def main(argv: list[str] | None = None) -> int:
    from reference.recipe import DEFAULT_CACHE

    options = parser(__doc__)
    options.add_argument(
        "--baselines-only", action="store_true", help="stop after the baselines (no trained reference models)"
    )
    options.add_argument(
        "--cache-dir", type=Path, default=DEFAULT_CACHE, help="where the trained reference models are cached"
    )
    args = options.parse_args(argv)
    code = run_benchmark(args, baseline_contenders())
    if code or args.baselines_only:
        return code
    print(
        "\ntiny reference models: trained on first use (about 22 min on 2 CPU cores, each stage with its "
        "progress bar and time left), then reused from the cache"
    )
    return run_benchmark(args, trained_contenders(args.cache_dir))


if __name__ == "__main__":
    from rgro_bench.reproducibility import pin_process

    # the leaderboards' reference rows are recorded numbers: the same on every x86-64 CPU
    pin_process()
    raise SystemExit(main())
