"""User-facing errors: one line that names the file, row or field and what was expected.

The CLI prints these as ``error: <message>`` with exit status 2 and no traceback; anything else is a
bug and keeps its traceback.
"""

from __future__ import annotations


class RgroError(Exception):
    """A problem with the user's input or environment, explained in one line."""


class DataError(RgroError):
    """A data file cannot be read or does not hold what the task expects."""


class ConfigError(RgroError):
    """A YAML/TOML configuration or a specification string is malformed."""


class UnknownNameError(RgroError, KeyError):
    """A registry lookup failed; the message carries did-you-mean suggestions."""

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0])
