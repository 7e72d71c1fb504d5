"""A killed run resumes from its last checkpoint and reproduces the uninterrupted run's loss."""

import pytest

pytestmark = pytest.mark.slow


def sft(model_dir, out, max_steps):
    from reference.config_files import CONFIG_DIR
    from reference.throughput import read_log
    from reference.training_stages import train_stage

    overrides = {
        "model": str(model_dir),
        "build_tiny": False,
        "output_dir": str(out),
        "limit": 48,
        "per_device_train_batch_size": 8,
        "num_train_epochs": 1,
        "max_steps": max_steps,
        "logging_steps": 1,
        "save_steps": 2,
        "save_total_limit": 3,
        "report_to": [],
    }
    train_stage("sft", CONFIG_DIR / "tiny-cpu-sft.yaml", overrides)
    return {r["step"]: r["loss"] for r in read_log(out / "log.jsonl") if "loss" in r}


def test_resume_reproduces_the_uninterrupted_loss(tiny_model_dir, tmp_path):
    import shutil

    full = sft(tiny_model_dir, tmp_path / "full", 6)
    # the "killed" run: stopped after step 4's checkpoint, then started again with the full budget
    sft(tiny_model_dir, tmp_path / "killed", 4)
    for leftover in ("model.safetensors", "log.jsonl"):
        (tmp_path / "killed" / leftover).unlink()
    shutil.rmtree(tmp_path / "killed" / "checkpoint-2", ignore_errors=True)
    resumed = sft(tiny_model_dir, tmp_path / "killed", 6)
    assert sorted(resumed) == [5, 6]  # only the steps after the checkpoint were run again
    for step in (5, 6):
        assert resumed[step] == pytest.approx(full[step], abs=1e-6)
