"""Modules depend downward only: the rooms never import the desk, the desk never
imports what watches it, and the pure layers import nothing of the component.
Read from the source (``ast``), so a cycle fails here before it fails at import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Lower layers first; a module may import only its own layer or lower ones.
LAYERS = (
    ("roles",),
    ("storage",),
    ("component.config", "component.addressing", "component.errors", "component.iq_router"),
    ("component.muc",),
    ("component.desk",),
    ("component.floor", "component.adhoc", "component.visitor_requests"),
    ("component.app",),
)


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _layer(module: str) -> int | None:
    for index, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    return None


def _sources() -> list[Path]:
    return sorted(
        p for top in ("roles", "storage", "component") for p in (ROOT / top).rglob("*.py")
    )


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_downward(path: Path) -> None:
    module = _module(path)
    own = _layer(module)
    if own is None:
        return  # the CLI, dev tools: above everything
    upward = sorted(
        imported
        for imported in _imports(path)
        if (layer := _layer(imported)) is not None and layer > own
    )
    assert upward == [], f"{module} imports from a higher layer: {upward}"

