"""Models: baselines and backends behind one ``Model`` contract, chosen by a spec string."""

from rgro_bench.models.base import BACKENDS, GenerationArgs, GenerationRequest, Model, ModelContext
from rgro_bench.models.spec import load_model, parse_options

__all__ = ["BACKENDS", "GenerationArgs", "GenerationRequest", "Model", "ModelContext", "load_model", "parse_options"]
