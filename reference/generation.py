"""A trained checkpoint behind the harness's ``Model`` contract: batched greedy (or sampled)
``generate`` with left padding, on the plain-text prompt the model was trained with."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rgro_bench.models.base import GenerationArgs, GenerationRequest, Model


class LocalCausalLM(Model):
    kind = "hf"

    def __init__(self, path: str | Path, batch_size: int = 64) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.path = Path(path)
        self.spec = f"hf:{self.path}"
        self.batch_size = batch_size
        self.tokenizer = AutoTokenizer.from_pretrained(self.path, padding_side="left")
        self.model = AutoModelForCausalLM.from_pretrained(self.path, dtype=torch.float32).eval()

    def identity(self) -> dict[str, Any]:
        from rgro_bench.tasks.task import sha256_file

        weights = sorted(self.path.glob("*.safetensors"))
        return {"spec": self.spec, "weights_sha256": [sha256_file(w) for w in weights]}

    def generate(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> list[str]:
        import torch
        from tqdm import tqdm

        torch.manual_seed(args.seed)
        sampling = args.temperature > 0
        out: list[str] = []
        for start in tqdm(range(0, len(requests), self.batch_size), desc=f"generate {self.name}", leave=False):
            batch = [r.prompt.text for r in requests[start : start + self.batch_size]]
            encoded = self.tokenizer(batch, return_tensors="pt", padding=True)
            with torch.inference_mode():
                generated = self.model.generate(
                    **encoded,
                    max_new_tokens=args.max_new_tokens,
                    do_sample=sampling,
                    temperature=args.temperature if sampling else None,
                    top_p=args.top_p if sampling else None,
                    pad_token_id=self.tokenizer.pad_token_id,
                    eos_token_id=self.tokenizer.eos_token_id,
                )
            texts = self.tokenizer.batch_decode(generated[:, encoded["input_ids"].shape[1] :], skip_special_tokens=True)
            out += [cut_at_stop(t, args.stop).strip() for t in texts]
        return out


def cut_at_stop(text: str, stops: Sequence[str]) -> str:
    cuts = [text.index(s) for s in stops if s and s in text]
    return text[: min(cuts)] if cuts else text
