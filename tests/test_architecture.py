"""The layers import only downward, and no package holds an import cycle.

Read from the source with `ast`, so every import counts: module level, inside functions (a lazy
import hides a cycle, it does not remove it) and under `TYPE_CHECKING`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("models", "storage", "training", "bot")
# What each layer may import among our packages (DESIGN.md, "Layers").
ALLOWED: dict[str, set[str]] = {
    "models": set(),
    "storage": set(),
    "training": {"models", "storage"},
    "bot": {"models", "storage", "training"},
}
# Third-party roots a layer must never import.
FORBIDDEN_THIRD_PARTY: dict[str, set[str]] = {
    "models": {"sqlalchemy", "alembic", "slack_sdk", "slack_bolt", "flask"},
    "storage": {"torch", "transformers", "slack_sdk", "slack_bolt", "flask"},
    "training": {"slack_sdk", "slack_bolt", "flask", "celery"},
    "bot": set(),
}


@dataclass(frozen=True)
class Import:
    source: str  # module that imports
    target: str  # absolute dotted name it imports
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files() -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def imports_of(path: Path) -> Iterator[Import]:
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            yield Import(name, module, node.lineno)
            for alias in node.names:
                yield Import(name, f"{module}.{alias.name}", node.lineno)


ALL_IMPORTS = [item for path in source_files() for item in imports_of(path)]
MODULES = {module_name(path) for path in source_files()}


def internal_edges() -> dict[str, set[str]]:
    """Module -> the modules of ours it imports (a name inside a module counts as the module)."""
    edges: dict[str, set[str]] = {module: set() for module in MODULES}
    for item in ALL_IMPORTS:
        if item.target in MODULES and item.target != item.source:
            edges[item.source].add(item.target)
    return edges


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that reach each other (cycles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_the_walk_sees_the_code() -> None:
    # Guards the test itself: an empty walk would pass everything below.
    assert len(MODULES) > 50
    assert any(
        item.target.startswith("storage") for item in ALL_IMPORTS if item.source.startswith("bot")
    )


@pytest.mark.parametrize("layer", PACKAGES)
def test_layer_imports_only_downward(layer: str) -> None:
    wrong = [
        f"{item.source}:{item.line} imports {item.target}"
        for item in ALL_IMPORTS
        if item.source.split(".")[0] == layer
        and item.target.split(".")[0] in PACKAGES
        and item.target.split(".")[0] not in ALLOWED[layer] | {layer}
    ]
    assert not wrong, "upward or sideways imports:\n" + "\n".join(sorted(set(wrong)))


@pytest.mark.parametrize("layer", PACKAGES)
def test_layer_keeps_out_of_forbidden_libraries(layer: str) -> None:
    wrong = [
        f"{item.source}:{item.line} imports {item.target}"
        for item in ALL_IMPORTS
        if item.source.split(".")[0] == layer
        and item.target.split(".")[0] in FORBIDDEN_THIRD_PARTY[layer]
    ]
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_no_import_cycles() -> None:
    cycles = strongly_connected(internal_edges())
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(group) for group in cycles)


def test_cycle_finder_finds_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(edges) == [["a", "b", "c"]]
