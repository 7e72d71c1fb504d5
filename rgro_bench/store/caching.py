"""Generation through the store: a wrapper model that looks every prompt up, generates only the missing
ones (each distinct prompt once), commits each batch as the model yields it, and reports progress and a
summary."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from rgro_bench.errors import RgroError
from rgro_bench.jsonl import storable_text
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


class CachingModel(Model):
    """The store in front of a model, as lm-eval's ``CachingLM``: it answers each distinct prompt from the
    store when it can and asks the wrapped model for the rest, committing each batch as the model yields
    it (so a killed run resumes after the last). ``store`` None generates every distinct prompt and
    stores nothing. It is the wrapped model as far as the store and the results can tell (spec, kind,
    identity); the caller keeps the wrapped model's life cycle (fit, close)."""

    def __init__(self, model: Model, store: GenerationStore | None) -> None:
        self.model, self.store = model, store
        self.spec, self.kind = model.spec, model.kind
        #: what the last call generated and reused
        self.stats: GenerationStats | None = None

    def identity(self) -> dict[str, Any]:
        return self.model.identity()

    def generate(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> list[str]:
        texts, self.stats = self.run(requests, args)
        return texts

    def run(self, requests: Sequence[GenerationRequest], args: GenerationArgs) -> tuple[list[str], GenerationStats]:
        """One text per request, and what was generated and what reused."""
        store, model = self.store, self.model
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


def generate(
    model: Model,
    requests: Sequence[GenerationRequest],
    args: GenerationArgs,
    store: GenerationStore | str | Path | bool | None = True,
    output_dir: str | Path | None = None,
) -> tuple[list[str], GenerationStats]:
    """One text per request, through a :class:`CachingModel` when the model's generations are worth storing
    (``Model.store_generations``: a baseline's are not); ``store`` as in :func:`open_store`."""
    if not model.store_generations:
        started = time.perf_counter()
        texts = model.generate(requests, args)
        return texts, GenerationStats(len(texts), generated=len(texts), seconds=time.perf_counter() - started)
    opened, owned = open_store(store, output_dir)
    try:
        return CachingModel(model, opened).run(requests, args)
    finally:
        if owned:
            opened.close()
