"""What the hf, vllm and openai backends share: typed options, the per-batch generation contract the
store commits from, and the prompt encoding that makes hf and vllm see the same token ids."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from typing import Any

from rgro_bench.errors import ConfigError
from rgro_bench.models.base import Batch, GenerationArgs, GenerationRequest, Model
from rgro_bench.tasks.prompts import Prompt

CHAT_TEMPLATE_MODES = ("auto", "on", "off")
#: options that change what is generated, so they enter the generation arguments (and the store key)
GENERATION_OPTIONS = {"max_new_tokens": int, "max_tokens": int, "temperature": float, "top_p": float, "seed": int}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass
class BackendOptions:
    """``--model-args`` of the model backends; each backend accepts the subset it names in ``accepts``."""

    dtype: str = "auto"
    batch_size: int | None = None
    chat_template: str = "auto"
    system_prompt: str | None = None
    revision: str | None = None
    trust_remote_code: bool = False
    device: str = "auto"
    tensor_parallel_size: int = 1
    data_parallel_size: int = 1
    max_model_len: int | None = None
    enforce_eager: bool | None = None
    gpu_memory_utilization: float | None = None
    concurrency: int = 8
    retries: int = 3
    timeout: float = 120.0
    api_key_env: str = "OPENAI_API_KEY"

    @classmethod
    def parse(cls, spec: str, options: dict[str, str], accepts: Sequence[str]) -> tuple[BackendOptions, dict]:
        """Typed options and the generation overrides (max_new_tokens, temperature, top_p, seed)."""
        kinds = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        generation: dict[str, Any] = {}
        for key, raw in options.items():
            if key in GENERATION_OPTIONS:
                value = _convert(spec, key, raw, GENERATION_OPTIONS[key])
                generation["max_new_tokens" if key == "max_tokens" else key] = value
            elif key in accepts:
                values[key] = _convert(spec, key, raw, kinds[key].type)
            else:
                known = ", ".join(sorted([*accepts, *GENERATION_OPTIONS]))
                raise ConfigError(f"{spec}: unknown model option {key!r}; this backend accepts: {known}")
        parsed = cls(**values)
        if parsed.chat_template not in CHAT_TEMPLATE_MODES:
            raise ConfigError(f"{spec}: chat_template={parsed.chat_template!r}; expected one of auto, on, off")
        for name in ("batch_size", "concurrency", "tensor_parallel_size", "data_parallel_size"):
            value = getattr(parsed, name)
            if value is not None and value < 1:
                raise ConfigError(f"{spec}: {name}={value}; expected a positive integer")
        if parsed.retries < 0 or parsed.timeout <= 0:
            raise ConfigError(f"{spec}: retries must be >= 0 and timeout > 0 seconds")
        return parsed, generation


def _convert(spec: str, key: str, raw: str, kind: Any) -> Any:
    kind = kind if isinstance(kind, type) else str(kind)
    try:
        if kind is bool or "bool" in str(kind):
            if raw.lower() in _TRUE:
                return True
            if raw.lower() in _FALSE:
                return False
            raise ValueError
        if kind is int or str(kind).startswith("int"):
            return int(raw)
        if kind is float or str(kind).startswith("float"):
            return float(raw)
    except ValueError:
        expected = "true/false" if "bool" in str(kind) else str(kind).split(" ")[0]
        raise ConfigError(f"{spec}: model option {key}={raw!r}; expected {expected}") from None
    return raw


class Backend(Model):
    """A model that generates in batches; the store commits each batch as it is yielded."""

    options: BackendOptions
    store_generations = True

    @abstractmethod
    def iter_batches(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> Iterator[Batch]: ...

    def generate(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> list[str]:
        texts: list[str | None] = [None] * len(requests)
        for batch in self.iter_batches(requests, args):
            for index, generation in batch:
                texts[index] = generation.text
        return [t if t is not None else "" for t in texts]


class TokenizerBackend(Backend):
    """A backend that loads weights and a tokenizer here (hf, vllm): the same identity and the same prompt
    token ids, so the two engines see the same input and share stored generations only when they should."""

    tokenizer: Any
    chat: bool
    dtype: str
    _identity: dict[str, Any]

    def identity(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            **self._identity,
            "dtype": self.dtype,
            "chat_template": self.chat,
            "system_prompt": self.options.system_prompt,
        }

    def encode(self, requests: Sequence[GenerationRequest]) -> list[list[int]]:
        return [
            encode_prompt(self.tokenizer, with_system_prompt(r.prompt, self.options.system_prompt), self.chat)
            for r in requests
        ]


def with_system_prompt(prompt: Prompt, system: str | None) -> Prompt:
    """Replace (or add) the system turn; in text form the task's system paragraph is the one replaced."""
    if system is None:
        return prompt
    messages = list(prompt.messages)
    text = prompt.text
    if messages and messages[0]["role"] == "system":
        old = messages.pop(0)["content"]
        if text.startswith(old):
            text = text[len(old) :].lstrip("\n")
    messages.insert(0, {"role": "system", "content": system})
    return Prompt(text=f"{system}\n\n{text}" if system else text, messages=tuple(messages))


def use_chat_template(spec: str, mode: str, tokenizer: Any) -> bool:
    has_template = bool(getattr(tokenizer, "chat_template", None))
    if mode == "on" and not has_template:
        raise ConfigError(f"{spec}: chat_template=on but the tokenizer has no chat template; use chat_template=off")
    return has_template if mode == "auto" else mode == "on"


def encode_prompt(tokenizer: Any, prompt: Prompt, chat: bool) -> list[int]:
    """Token ids of a prompt: the chat template (with its generation prompt) or the plain text."""
    if chat:
        text = tokenizer.apply_chat_template(list(prompt.messages), tokenize=False, add_generation_prompt=True)
        return tokenizer(text, add_special_tokens=False)["input_ids"]
    return tokenizer(prompt.text)["input_ids"]


def decode_completion(tokenizer: Any, token_ids: Sequence[int]) -> str:
    """Decode generated ids; a multi-byte character cut off by the token limit is dropped (decoding it gives
    U+FFFD), as vLLM's incremental detokenizer does on a server, so every backend returns the same text."""
    return tokenizer.decode(list(token_ids), skip_special_tokens=True).rstrip("\ufffd")


def truncate_at_stop(text: str, stop: Sequence[str]) -> str:
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=len(text))
    return text[:cut].strip()
