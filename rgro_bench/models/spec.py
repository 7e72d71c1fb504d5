"""Model specs: ``KIND:TARGET`` plus options ``key=value,key=value`` (given as ``--model-args``).

Kinds: ``baseline:NAME`` (constant, lead-K, copy-findings, tfidf-nn, dense-nn); later backends register more
(``hf:PATH_OR_ID``, ``vllm:PATH_OR_ID``, ``openai:BASE_URL#MODEL``). Any generative model also takes
``retrieve=tfidf``: the most similar training report's impression above its prompt (models.retrieval).
"""

from __future__ import annotations

from rgro_bench.errors import ConfigError
from rgro_bench.models.base import BACKENDS, Model, ModelContext


def parse_options(text: str | None) -> dict[str, str]:
    options: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"model option {part.strip()!r}: expected key=value (e.g. dtype=bfloat16,batch_size=8)")
        options[key.strip()] = value.strip()
    return options


def split_spec(spec: str) -> tuple[str, str]:
    kind, sep, target = spec.partition(":")
    if not sep or not kind or not target:
        raise ConfigError(
            f"model spec {spec!r}: expected KIND:TARGET, e.g. baseline:lead-2, hf:/path/to/model, "
            f"vllm:org/name, openai:http://127.0.0.1:8000/v1#name (kinds: {', '.join(BACKENDS)})"
        )
    return kind, target


def load_model(spec: str, options: dict[str, str] | None = None) -> Model:
    """The model a spec names, not yet fitted to any task (the runner calls ``Model.fit`` per task)."""
    _ensure_backends()
    kind, target = split_spec(spec)
    factory = BACKENDS.get(kind)
    options = dict(options or {})
    # a prompt-side option every generative backend takes: the backend itself never sees it
    retrieve = options.pop("retrieve", None)
    model = factory(target, ModelContext(options=options))
    if retrieve is None:
        return model
    from rgro_bench.models.retrieval import augment

    return augment(model, retrieve)


def _ensure_backends() -> None:
    # Importing the modules registers their kinds; heavy libraries load lazily inside them.
    import rgro_bench.models.baselines
    import rgro_bench.models.hf
    import rgro_bench.models.openai_backend
    import rgro_bench.models.predictions
    import rgro_bench.models.vllm_backend  # noqa: F401
