"""Same floating-point results on every x86-64 CPU, for the runs whose numbers are recorded.

torch, MKL and oneDNN each pick their CPU kernels by instruction set when the process starts: a Xeon
or a Zen 4/5 EPYC gets AVX-512 kernels, a Zen 3 EPYC AVX2 ones. The kernels sum in other orders, the
last bits of the logits differ, sampled rollouts diverge after a few steps, and RL turns that into
points of ROUGE-L (the tiny recipe moved by 2.6 points between an Intel and an AMD machine). The pins
below make every x86-64 CPU with AVX2 (every server CPU since 2013) run the same kernels with the
same thread count, so the tiny recipe, the benchmark's reference models and the regression check
give the same numbers to the last digit wherever they run.

They are environment variables that each library reads once, when it first runs a kernel, so they
must be in place before torch is imported: :func:`pin_process` re-executes the interpreter with them
(the same command line), and is called by the entry points as the first thing they do. A user's own
``ATEN_CPU_CAPABILITY`` or thread settings are overridden there, on purpose: a recorded number must
not depend on the shell it was run from. ``RGRO_UNPINNED=1`` opts out (for speed, on a machine whose
numbers nobody compares); the run then records that it was not pinned.
"""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

#: the instruction set every pinned run uses: the widest one that every x86-64 server CPU in use has
PINNED_ISA = "AVX2"
#: intra-op threads of a pinned run: reductions split work by thread count, so it must not follow the
#: machine's core count (2 is the development and CI machines' count, so pinning costs them no speed)
PINNED_THREADS = 2
PINNED_ENV = {
    # ATen's own vectorised kernels (reductions, softmax, activations): DispatchStub's capability
    "ATEN_CPU_CAPABILITY": "avx2",
    # oneDNN (matmul/linear through mkldnn on some shapes): highest ISA its JIT may emit
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    # MKL's BLAS (torch's linear layers): conditional numerical reproducibility on the AVX2 code path,
    # STRICT so that results do not depend on memory alignment either
    "MKL_CBWR": "AVX2,STRICT",
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",
    "OMP_NUM_THREADS": str(PINNED_THREADS),
    "MKL_NUM_THREADS": str(PINNED_THREADS),
    "TOKENIZERS_PARALLELISM": "false",
}
#: set by :func:`pin_process` in the re-executed process, so that it does not re-execute again
MARKER = "RGRO_PINNED"
OPT_OUT = "RGRO_UNPINNED"


def applies() -> bool:
    """The pins name x86 instruction sets; other CPUs (aarch64) run unpinned and say so."""
    return platform.machine().lower() in ("x86_64", "amd64")


def pinned_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """``environ`` (default: this process's) with every pin in force, whatever it held before."""
    return {**(os.environ if environ is None else environ), **PINNED_ENV, MARKER: "1"}


def pin_process() -> None:
    """Put the pins in force for this process: re-execute the same command line with them unless they
    already are, then fix torch's thread count and ask for deterministic algorithms. Call it first
    thing in an entry point (``if __name__ == "__main__"``), never from library code: it replaces
    the running process."""
    if os.environ.get(OPT_OUT) == "1" or not applies():
        return
    if os.environ.get(MARKER) != "1" or any(os.environ.get(k) != v for k, v in PINNED_ENV.items()):
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], pinned_environment())
    configure_torch()


def configure_torch() -> None:
    """The in-process half of the pins (no effect on which kernels are chosen, which the environment
    decided): a fixed thread count and deterministic algorithms."""
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(PINNED_THREADS)
    torch.use_deterministic_algorithms(True, warn_only=True)


def numerics(import_torch: bool = True) -> dict[str, Any]:
    """What decides this process's floating-point results, for results files and the history: the
    CPU, the kernel set torch dispatches to, its thread count, and whether the pins are in force.
    ``import_torch=False`` reports torch's part only when something already imported it (a baseline
    run should not pay a second for torch's import)."""
    state: dict[str, Any] = {
        "cpu": cpu_model(),
        "pinned": os.environ.get(MARKER) == "1" and all(os.environ.get(k) == v for k, v in PINNED_ENV.items()),
    }
    if not import_torch and "torch" not in sys.modules:
        return state
    try:
        import torch
    except ImportError:
        return state
    state["torch_capability"] = torch.backends.cpu.get_cpu_capability()
    state["threads"] = torch.get_num_threads()
    return state


def numerics_key() -> str:
    """A short name of the numerics a trained model depends on: the same for every pinned run, the
    kernel set and thread count for an unpinned one."""
    state = numerics()
    if check_pinned(state) is None:
        return f"pinned-{PINNED_ISA}-{PINNED_THREADS}"
    return f"unpinned-{state.get('torch_capability')}-{state.get('threads')}"


def cpu_model() -> str:
    """The CPU's model name (Linux names it in /proc/cpuinfo, where ``platform.processor()`` is often
    empty)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def check_pinned(state: dict[str, Any] | None = None) -> str | None:
    """Why this process's numbers may not match the recorded ones (None when they should): not
    pinned, or a CPU without AVX2 whose torch fell back to another kernel set."""
    state = state or numerics()
    if not applies():
        return f"{platform.machine()} CPU: the pins name x86 instruction sets; numbers may differ from x86 ones"
    if not state["pinned"]:
        return f"not pinned ({OPT_OUT}=1 or started without pin_process): numbers depend on this CPU"
    capability = state.get("torch_capability")
    if capability is not None and capability != PINNED_ISA:
        return f"torch dispatches to {capability}, not {PINNED_ISA}: this CPU lacks it; numbers will differ"
    return None
