"""The one-command GPU device check (reference/device_check.py): on a machine without CUDA it must fail at
once, loudly, naming what is missing; its model is Qwen2.5-0.5B's shape with a vocabulary every id of
which decodes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def test_without_cuda_the_device_check_fails_with_one_line_naming_what_is_missing(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: the check would run (python -m reference.device_check)")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-m", "reference.device_check", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2 and result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("device check FAILED: no CUDA device: torch ") and "CPU build" in line
    assert not (tmp_path / "out").exists()  # nothing built before the requirement is checked


def test_the_full_model_has_qwen25_05b_parameter_count():
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    from reference.device_check import QWEN25_05B

    with torch.device("meta"):
        model = Qwen2ForCausalLM(Qwen2Config(**QWEN25_05B))
    assert model.num_parameters() == 494_032_768  # Qwen2.5-0.5B(-Instruct), tied embeddings


def test_small_qwen_shaped_model_pads_the_tokenizer_to_its_vocabulary(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from reference.device_check import build_qwen_shaped

    small = {"num_hidden_layers": 1, "hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2}
    out = build_qwen_shaped(tmp_path / "m", **small)
    tokenizer, model = AutoTokenizer.from_pretrained(out), AutoModelForCausalLM.from_pretrained(out)
    assert type(model).__name__ == "Qwen2ForCausalLM" and str(model.dtype) == "torch.bfloat16"
    assert len(tokenizer) == model.config.vocab_size == 151936 and model.config.tie_word_embeddings
    assert tokenizer.decode([151935]) == " __151935"
    text = "FINDINGS: The heart is normal in size."
    assert tokenizer.decode(tokenizer(text)["input_ids"]) == text  # encoding unchanged by the padding
    assert json.loads((out / "shape.json").read_text())["num_key_value_heads"] == 2
