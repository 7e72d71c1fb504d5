"""Durable generation store (SQLite): resume a killed run, re-score without the model."""

from rgro_bench.store.caching import CachingModel, GenerationStats, generate
from rgro_bench.store.sqlite import STORE_ENV, GenerationStore, default_store_path, open_store

__all__ = [
    "STORE_ENV",
    "CachingModel",
    "GenerationStats",
    "GenerationStore",
    "default_store_path",
    "generate",
    "open_store",
]
