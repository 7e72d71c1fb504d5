"""Clinical checks of an impression: observation extraction, findings consistency, guideline rules and
observation F1. Pure functions on strings; every result is a frozen dataclass or a plain dict."""

from rgro_bench.clinical.consistency import consistency, judge_statement
from rgro_bench.clinical.extractor import extract
from rgro_bench.clinical.guidelines import followup_indication, guideline_report
from rgro_bench.clinical.observation_f1 import observation_f1
from rgro_bench.clinical.sentences import split_sentences
from rgro_bench.clinical.types import Consistency, GuidelineReport, Mention, RuleResult, StatementVerdict

__all__ = [
    "Consistency",
    "GuidelineReport",
    "Mention",
    "RuleResult",
    "StatementVerdict",
    "consistency",
    "extract",
    "followup_indication",
    "guideline_report",
    "judge_statement",
    "observation_f1",
    "split_sentences",
]
