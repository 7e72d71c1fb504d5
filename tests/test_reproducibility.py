"""The CPU pins: in force whatever the caller's shell says, and the same trained weights under them."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rgro_bench import reproducibility
from rgro_bench.reproducibility import PINNED_ENV, PINNED_ISA, PINNED_THREADS, check_pinned

ROOT = Path(__file__).resolve().parents[1]
PRINT_NUMERICS = (
    "from rgro_bench.reproducibility import pin_process, numerics; pin_process(); "
    "import json, sys; print(json.dumps({**numerics(), 'argv': sys.argv[1:]}))"
)


def has_avx2() -> bool:
    try:
        return " avx2" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


needs_avx2 = pytest.mark.skipif(
    not (reproducibility.applies() and has_avx2()), reason="the pins name x86 instruction sets (AVX2)"
)


def run_python(args: list[str], **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PINNED_ENV and k != reproducibility.MARKER}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=300
    )


@needs_avx2
def test_pins_override_the_callers_settings_and_keep_the_command_line():
    hostile = {"ATEN_CPU_CAPABILITY": "avx512", "OMP_NUM_THREADS": "7", "MKL_CBWR": "AUTO"}
    done = run_python(["-c", PRINT_NUMERICS, "--flag", "value"], **hostile)
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout)
    assert state["pinned"] is True
    assert state["torch_capability"] == PINNED_ISA
    assert state["threads"] == PINNED_THREADS
    assert state["argv"] == ["--flag", "value"]  # re-executed with the same arguments
    assert check_pinned(state) is None


def test_opting_out_runs_unpinned_and_says_so():
    done = run_python(["-c", PRINT_NUMERICS], RGRO_UNPINNED="1")
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout)
    assert state["pinned"] is False
    assert "not pinned" in (check_pinned(state) or "")


def test_check_pinned_names_a_fallback_kernel_set():
    if not reproducibility.applies():
        pytest.skip("x86 only")
    message = check_pinned({"cpu": "old", "pinned": True, "torch_capability": "DEFAULT", "threads": 2})
    assert message is not None and "DEFAULT" in message


def weight_hashes(cache: Path) -> dict[str, str]:
    return {
        str(path.relative_to(cache)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(cache.rglob("model.safetensors"))
        if "checkpoint-" not in str(path)
    }


@pytest.mark.slow
@needs_avx2
def test_pinned_recipe_is_identical_whatever_the_shell_asked_for(tmp_path):
    """A short recipe (SFT, GRPO and RGRO, a few steps each) trained twice: once from a shell that asks
    for AVX-512 kernels and 1 thread, once from one that forces AVX2 itself. The pins make both the same
    run: the same weights, byte for byte, and the same evaluation."""
    short = ["--sft-epochs", "0.03", "--rl-steps", "2", "--eval-limit", "12", "--no-baselines", "--split", "validation"]
    runs = {}
    for name, env in {
        "hostile": {"ATEN_CPU_CAPABILITY": "avx512", "OMP_NUM_THREADS": "1"},
        "forced-avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_CBWR": "AVX2,STRICT"},
    }.items():
        out, cache = tmp_path / name / "out", tmp_path / name / "cache"
        done = run_python(["-m", "reference.recipe", "--out", str(out), "--cache", str(cache), *short], **env)
        assert done.returncode == 0, done.stderr[-3000:]
        report = json.loads((out / "results.json").read_text())
        assert report["numerics"]["pinned"] and report["numerics"]["torch_capability"] == PINNED_ISA
        runs[name] = (weight_hashes(cache), report["table"])
    hostile, forced = runs["hostile"], runs["forced-avx2"]
    assert len(hostile[0]) == 4  # base, SFT, GRPO, RGRO
    assert hostile[0] == forced[0]
    assert hostile[1] == forced[1]
