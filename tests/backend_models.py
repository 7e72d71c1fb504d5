"""Model fixtures for the backend tests: the session's tiny Llama with its weights scaled up, so that
greedy outputs differ from prompt to prompt (the freshly initialised model emits the same token for
every prompt, which would make parity and equality checks vacuous)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

WEIGHT_SCALE = 4.0


def sharpen(source: Path, out: Path) -> Path:
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "norm" not in name:
                param.mul_(WEIGHT_SCALE)
    model.save_pretrained(out, safe_serialization=True)
    for tokenizer_file in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(source / tokenizer_file, out / tokenizer_file)
    return out


@pytest.fixture(scope="session")
def sharp_model_dir(tiny_model_dir, tmp_path_factory) -> Path:
    return sharpen(Path(tiny_model_dir), tmp_path_factory.mktemp("sharp-model"))
