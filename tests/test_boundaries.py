"""The harness and the trainers stay apart, and nothing imports in a circle.

The import graph is read from the source (every ``import`` and ``from ... import``, deferred ones inside
functions included), so a cycle hidden by a deferred import still fails here by name."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[1]
PACKAGES = ("rgro_bench", "reference")
#: the harness modules that may import the CLI's commands: the CLI itself
CLI = ("rgro_bench.cli", "rgro_bench.commands")


def module_files() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules ``name`` imports: ``from pkg import x`` names ``pkg.x`` when that is a module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                kept = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*kept, base] if base else kept)
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names}
    resolved = set()
    for target in found:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name:
            resolved.add(target)
    return resolved


GRAPH = {name: imports_of(name, path, module_files()) for name, path in module_files().items()}


def is_cli(name: str) -> bool:
    return any(name == c or name.startswith(c + ".") for c in CLI)


def test_the_harness_never_imports_the_trainers_or_the_cli():
    crossing = [
        f"{name} imports {target}"
        for name, targets in sorted(GRAPH.items())
        if name.startswith("rgro_bench") and not is_cli(name)
        for target in sorted(targets)
        if target.startswith("reference") or is_cli(target)
    ]
    assert crossing == []


def test_no_import_cycle_in_the_harness_or_the_trainers():
    cycles = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for target in sorted(GRAPH.get(name, ())):
            if state.get(target) == "open":
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[name] = "done"

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_graph_sees_deferred_imports():
    # rgro_bench/__init__.py imports the runner inside a function only
    assert "rgro_bench.runner" in GRAPH["rgro_bench"]
