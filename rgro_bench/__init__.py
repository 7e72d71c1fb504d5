"""rgro-bench: an evaluation-first benchmark harness for radiology impression generation, with a
reference implementation of RGRO (Radiology-Guided Reinforcement Optimization)."""

from rgro_bench.version import __version__


def evaluate(*args, **kwargs):
    """See ``rgro_bench.runner.evaluate``; imported lazily so ``import rgro_bench`` stays light."""
    from rgro_bench.runner import evaluate as _evaluate

    return _evaluate(*args, **kwargs)


__all__ = ["__version__", "evaluate"]
