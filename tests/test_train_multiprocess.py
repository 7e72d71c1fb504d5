"""A 2-process CPU run through ``accelerate launch --cpu --num_processes 2`` (with the MPI hostfile that
accelerate needs to start more than one CPU process, see reference/launch.py) finishes, and both
processes log the same loss."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reference.config_files import CONFIG_DIR
from reference.launch import cpu_launch
from reference.throughput import read_log

pytestmark = [pytest.mark.slow, pytest.mark.mpi]


def test_two_cpu_processes_finish_and_log_the_same_loss(tiny_model_dir, tmp_path):
    out = tmp_path / "sft"
    overrides = {
        "model": str(tiny_model_dir),
        "build_tiny": "false",
        "output_dir": str(out),
        "limit": "16",
        "per_device_train_batch_size": "4",
        "num_train_epochs": "1",
        "max_steps": "2",
        "logging_steps": "1",
        "save_strategy": "no",
        "report_to": "none",
        "log_all_ranks": "true",
    }
    trainer_args = [part for key, value in overrides.items() for part in (f"--{key}", value)]
    command, env = cpu_launch(CONFIG_DIR / "tiny-cpu-sft.yaml", 2, tmp_path / "hostfile", trainer_args)
    # the `accelerate` script beside this interpreter; one thread per process on a 2-core machine
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    run_env = {**os.environ, **env, "PATH": path, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(command, env=run_env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert (out / "model.safetensors").is_file()

    ranks = [{r["step"]: r for r in read_log(out / name) if "loss" in r} for name in ("log.jsonl", "log.rank1.jsonl")]
    assert sorted(ranks[0]) == sorted(ranks[1]) == [1, 2]
    for step in (1, 2):
        assert ranks[1][step]["loss"] == ranks[0][step]["loss"]
        # the gradient norm is each process's own: equal only if DDP averaged the gradients
        assert ranks[1][step]["grad_norm"] == pytest.approx(ranks[0][step]["grad_norm"], rel=1e-6)
    # 16 studies, 4 per process per step: an epoch is 2 steps with 2 processes (it would be 4 with one)
    assert ranks[0][1]["epoch"] == pytest.approx(0.5)
