"""The ``rgro-bench`` command. Subcommands live in the modules of ``COMMAND_MODULES``; each defines
``register(subparsers)`` and sets ``func`` (args -> exit code) on its parser."""

from __future__ import annotations

import argparse
import importlib
import sys

from rgro_bench.errors import RgroError
from rgro_bench.version import __version__

COMMAND_MODULES = [
    "rgro_bench.commands.catalogue",
    "rgro_bench.commands.run",
    "rgro_bench.commands.rescore",
    "rgro_bench.commands.compare_backends",
    "rgro_bench.commands.leaderboard",
    "rgro_bench.commands.score",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rgro-bench",
        description="Benchmark harness for radiology impression generation (FINDINGS in, IMPRESSION out).",
    )
    parser.add_argument("--version", action="version", version=f"rgro-bench {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except RgroError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.filename is None:  # not about a file the user named or must fix: a bug, keep the traceback
            raise
        print(f"error: {exc.filename}: {exc.strerror}; expected a readable file and a writable folder", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
