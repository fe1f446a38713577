"""The layers of the README's Architecture section, read from the code's imports with ast.

Imports run one way: app_pages -> components -> charts -> queries -> sessionscope (the core).
The one documented exception: a few core writers read through queries/ so a column list or
a SQL piece is defined once. No module imports streamlit below components/, no import circle,
the floor of components/ imports nothing above it, and nothing but the tests imports tests/.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app_pages", "components", "charts", "queries", "sessionscope", "harness", "bench")
RANK = {"sessionscope": 0, "queries": 1, "charts": 2, "components": 3, "app_pages": 4}
# The core's reads through queries/ (README, Architecture): a column list or SQL piece once.
CORE_READS = {
    ("sessionscope.bulk", "queries.admin"),
    ("sessionscope.bulk", "queries.items"),
    ("sessionscope.cli", "queries.tokens"),
    ("sessionscope.downloads", "queries.items"),
    ("sessionscope.rollup", "queries.daily"),
    ("sessionscope.rollup", "queries.sql"),
}
# components/ modules that everything else in components/ may import: they import no other.
FLOOR = {
    "components.data",
    "components.admin.data",
    "components.viewer",
    "components.identity",
    "components.format",
    "components.keys",
}


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    _name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "data" not in p.parts
}


def _imports(path: Path) -> set[str]:
    """Every module named by an import in the file, at any depth (function-level too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return found


def _own(name: str) -> str | None:
    """The project module an imported name lives in (a package's name for its __init__)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _targets(path: Path) -> set[str]:
    """The project modules a file imports; `from pkg import mod` names mod, not pkg."""
    owns = {o for i in _imports(path) if (o := _own(i))}
    return {o for o in owns if not any(x.startswith(o + ".") for x in owns)}


GRAPH = {m: _targets(p) - {m} for m, p in MODULES.items()}


def _layer(module: str) -> str:
    return module.partition(".")[0]


def test_imports_run_one_way() -> None:
    upward = [
        (m, n)
        for m, ns in GRAPH.items()
        for n in ns
        if _layer(m) in RANK
        and _layer(n) in RANK
        and RANK[_layer(n)] > RANK[_layer(m)]
        and (m, n) not in CORE_READS
    ]
    assert upward == []


def test_the_core_reads_through_queries_only_where_documented() -> None:
    reads = {(m, n) for m, ns in GRAPH.items() for n in ns if _layer(m) == "sessionscope"}
    assert {r for r in reads if _layer(r[1]) == "queries"} == CORE_READS


@pytest.mark.parametrize("layer", ["charts", "queries", "sessionscope"])
def test_no_streamlit_below_components(layer: str) -> None:
    roots = {m: {i.partition(".")[0] for i in _imports(p)} for m, p in MODULES.items()}
    assert [m for m, r in roots.items() if _layer(m) == layer and "streamlit" in r] == []


def test_the_floor_of_components_imports_only_the_floor() -> None:
    above = {m: sorted(n for n in GRAPH[m] if _layer(n) == "components") for m in FLOOR}
    assert {m: ns for m, ns in above.items() if set(ns) - FLOOR} == {}


def test_no_import_circle() -> None:
    seen: dict[str, int] = {}  # 1: on the current path, 2: done
    circles: list[list[str]] = []

    def visit(m: str, path: list[str]) -> None:
        seen[m] = 1
        for n in sorted(GRAPH[m]):
            if n.startswith(m + ".") or m.startswith(n + "."):
                continue  # a package and its own modules
            if seen.get(n) == 1:
                circles.append(path[path.index(n) :] + [n])
            elif n not in seen:
                visit(n, [*path, n])
        seen[m] = 2

    for m in sorted(GRAPH):
        if m not in seen:
            visit(m, [m])
    assert circles == []


def test_nothing_but_tests_imports_tests() -> None:
    assert [m for m, p in MODULES.items() if any(i.startswith("tests") for i in _imports(p))] == []
