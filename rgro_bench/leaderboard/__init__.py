"""Leaderboard: validated submissions whose every number is recomputed, contamination flags,
significance groups, and tables rendered to CSV/JSON, Markdown, one static HTML page and PNG plots.

Heavy parts (matplotlib) load only when a build renders."""

from rgro_bench.leaderboard.build import BuildReport, build_leaderboard, preview_tables
from rgro_bench.leaderboard.intake import SubmissionError
from rgro_bench.leaderboard.schema import CredentialedScores, Entry, ModelCard
from rgro_bench.leaderboard.submit import Submitted, score_credentialed, submit_path, submit_predictions

__all__ = [
    "BuildReport",
    "CredentialedScores",
    "Entry",
    "ModelCard",
    "SubmissionError",
    "Submitted",
    "build_leaderboard",
    "preview_tables",
    "score_credentialed",
    "submit_path",
    "submit_predictions",
]
