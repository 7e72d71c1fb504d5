"""``hf:PATH_OR_ID``: transformers ``generate``, batched with left padding, prompts sorted by length.

Options: dtype (default float32 on CPU, the checkpoint's dtype on CUDA), device (auto/cpu/cuda),
batch_size (16), chat_template (auto/on/off), system_prompt, revision, trust_remote_code (off unless
given), and the generation overrides max_new_tokens, temperature, top_p, seed. Greedy when
temperature is 0; sampling is seeded per batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from rgro_bench.errors import ConfigError
from rgro_bench.models.backend import (
    BackendOptions,
    TokenizerBackend,
    decode_completion,
    truncate_at_stop,
    use_chat_template,
)
from rgro_bench.models.base import BACKENDS, Batch, Generation, GenerationArgs, GenerationRequest, ModelContext
from rgro_bench.models.identity import resolve_model

ACCEPTS = ("dtype", "device", "batch_size", "chat_template", "system_prompt", "revision", "trust_remote_code")
DEFAULT_BATCH_SIZE = 16


class HFModel(TokenizerBackend):
    kind = "hf"

    def __init__(self, target: str, options: dict[str, str]) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.spec = f"hf:{target}"
        self.options, self.generation_overrides = BackendOptions.parse(self.spec, options, ACCEPTS)
        self.path, self._identity = resolve_model(self.spec, target, self.options.revision)
        device = self.options.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ConfigError(f"{self.spec}: device={device} but torch sees no CUDA device")
        dtype = self.options.dtype
        if dtype == "auto" and device == "cpu":
            dtype = "float32"  # half precision on CPU is slow and breaks parity with the vllm backend
        self.device, self.dtype = device, dtype
        trust = self.options.trust_remote_code
        self.tokenizer = AutoTokenizer.from_pretrained(self.path, trust_remote_code=trust)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        try:
            torch_dtype = dtype if dtype == "auto" else getattr(torch, dtype)
        except AttributeError:
            raise ConfigError(f"{self.spec}: dtype={dtype!r}; expected auto, float32, bfloat16 or float16") from None
        self.model = AutoModelForCausalLM.from_pretrained(self.path, dtype=torch_dtype, trust_remote_code=trust)
        self.model.to(device).eval()
        self.chat = use_chat_template(self.spec, self.options.chat_template, self.tokenizer)
        self.batch_size = self.options.batch_size or DEFAULT_BATCH_SIZE

    def iter_batches(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> Iterator[Batch]:
        import torch

        encoded = self.encode(requests)
        # longest first: similar lengths share a batch (less padding) and memory errors show up at once
        order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i]))
        config = self._generation_config(args)
        eos = set(_as_list(config.eos_token_id))
        for start in range(0, len(order), self.batch_size):
            indices = order[start : start + self.batch_size]
            batch = self.tokenizer.pad({"input_ids": [encoded[i] for i in indices]}, return_tensors="pt")
            batch = {k: v.to(self.device) for k, v in batch.items()}
            if args.temperature > 0:
                torch.manual_seed(args.seed)
            with torch.inference_mode():
                output = self.model.generate(**batch, generation_config=config, tokenizer=self.tokenizer)
            new_tokens = output[:, batch["input_ids"].shape[1] :].tolist()
            yield [
                (i, self._generation(encoded[i], tokens, eos, args))
                for i, tokens in zip(indices, new_tokens, strict=True)
            ]

    def _generation(self, prompt_ids: list[int], tokens: list[int], eos: set[int], args: GenerationArgs) -> Generation:
        end = next((j + 1 for j, t in enumerate(tokens) if t in eos), None)
        kept = tokens[:end] if end is not None else tokens
        text = decode_completion(self.tokenizer, kept)
        return Generation(
            text=truncate_at_stop(text, args.stop),
            prompt_tokens=len(prompt_ids),
            completion_tokens=len(kept),
            finish_reason="stop" if end is not None else "length",
        )

    def _generation_config(self, args: GenerationArgs):
        from transformers import GenerationConfig

        config = GenerationConfig.from_dict(self.model.generation_config.to_dict())
        sampling = args.temperature > 0
        config.update(
            max_new_tokens=args.max_new_tokens,
            do_sample=sampling,
            num_beams=1,
            temperature=args.temperature if sampling else 1.0,
            top_p=args.top_p if sampling else 1.0,
            top_k=None,
            pad_token_id=self.tokenizer.pad_token_id,
        )
        if config.eos_token_id is None:
            config.eos_token_id = self.tokenizer.eos_token_id
        if args.stop:
            config.stop_strings = list(args.stop)
        return config

    def close(self) -> None:
        self.model = None


def _as_list(value: Any) -> list[int]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


@BACKENDS.register("hf")
def _factory(target: str, context: ModelContext) -> HFModel:
    return HFModel(target, context.options)
