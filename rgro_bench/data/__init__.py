"""Study records, loaders with validation, cleaning and deterministic splits."""

from rgro_bench.data.clean import clean_text, normalise_findings
from rgro_bench.data.loaders import load_records
from rgro_bench.data.records import Study
from rgro_bench.data.splits import grouped_split

__all__ = ["Study", "clean_text", "grouped_split", "load_records", "normalise_findings"]
