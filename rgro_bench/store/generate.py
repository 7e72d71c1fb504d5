"""Generation through the store: look every prompt up, generate only the missing ones (each distinct
prompt once), commit each batch as the backend yields it, and report progress and a summary."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from tqdm.auto import tqdm

from rgro_bench.errors import RgroError
from rgro_bench.jsonl import storable_text
from rgro_bench.models.backend import Backend
from rgro_bench.models.base import GenerationArgs, GenerationRequest, Model
from rgro_bench.store.sqlite import GenerationStore, args_key, open_store, prompt_key


@dataclass
class GenerationStats:
    prompts: int
    reused: int = 0
    generated: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    store: str | None = None

    @property
    def tokens_per_second(self) -> float | None:
        return self.completion_tokens / self.seconds if self.seconds > 0 and self.completion_tokens else None

    def summary(self) -> str:
        rate = f", {self.tokens_per_second:.1f} tok/s" if self.tokens_per_second else ""
        where = f" (store {self.store})" if self.store else " (no store)"
        return (
            f"{self.prompts} prompts: {self.generated} generated, {self.reused} from the store, "
            f"{self.completion_tokens} new tokens in {self.seconds:.1f} s{rate}{where}"
        )


def generate(
    model: Model,
    requests: Sequence[GenerationRequest],
    args: GenerationArgs,
    store: GenerationStore | str | Path | bool | None = True,
    output_dir: str | Path | None = None,
) -> tuple[list[str], GenerationStats]:
    """One text per request. Only model backends (hf, vllm, openai) go through the store: baselines and
    prediction files are computed or read in milliseconds, so storing them would only add a copy.
    ``store`` as in :func:`open_store`."""
    if not isinstance(model, Backend):
        started = time.perf_counter()
        texts = model.generate(requests, args)
        return texts, GenerationStats(len(texts), generated=len(texts), seconds=time.perf_counter() - started)
    opened, owned = open_store(store, output_dir)
    try:
        return _generate(model, requests, args, opened)
    finally:
        if owned:
            opened.close()


def _generate(
    model: Backend, requests: Sequence[GenerationRequest], args: GenerationArgs, store: GenerationStore | None
) -> tuple[list[str], GenerationStats]:
    stats = GenerationStats(prompts=len(requests), store=str(store.path) if store is not None else None)
    keys = [prompt_key(r.prompt.text, r.prompt.messages) for r in requests]
    first: dict[str, int] = {}  # each distinct prompt once, in request order
    for i, key in enumerate(keys):
        first.setdefault(key, i)
    arguments = args.as_dict()
    mkey = akey = ""
    texts: dict[str, str] = {}
    if store is not None:
        mkey = store.register_model(model.spec, model.kind, model.identity())
        akey = args_key(arguments)
        texts = {key: row.text for key, row in store.lookup(mkey, akey, first).items()}
    missing = [i for key, i in first.items() if key not in texts]
    stats.reused = len(first) - len(missing)
    pending = [requests[i] for i in missing]
    with tqdm(total=len(pending), desc=f"generate {model.name}", unit="prompt", disable=not pending) as progress:
        started = last = time.perf_counter()
        for batch in model.iter_batches(pending, args):
            now = time.perf_counter()
            per_prompt = (now - last) / max(len(batch), 1)
            last = now
            rows = [(keys[missing[j]], replace(g, text=storable_text(g.text)), per_prompt) for j, g in batch]
            if store is not None:
                store.insert(mkey, akey, arguments, rows)
            texts.update((key, g.text) for key, g, _ in rows)
            stats.generated += len(batch)
            stats.completion_tokens += sum(g.completion_tokens or 0 for _, g in batch)
            stats.seconds = now - started
            progress.update(len(batch))
            if stats.tokens_per_second:
                progress.set_postfix_str(f"{stats.tokens_per_second:.1f} tok/s")
    lost = [key for key in first if key not in texts]
    if lost:
        raise RgroError(f"{model.spec}: the backend returned no generation for {len(lost)} of {len(first)} prompts")
    return [texts[key] for key in keys], stats
