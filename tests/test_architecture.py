"""The package's architecture, read from the source with ``ast`` (nothing is imported).

* no import cycles between helpers modules (module-level and function-level imports, absolute and
  relative, ``from helpers.x import y`` counting as an import of ``helpers.x.y`` when that is a
  module);
* no module imports another module's private (underscore) names, or reads them as attributes;
* ``helpers.core`` imports nothing of helpers outside ``helpers.core``;
* nothing under ``helpers.cohort`` imports ``helpers.checks`` (the simulator must not depend on
  the checks it feeds).
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "helpers"


@dataclass(frozen=True)
class Import:
    importer: str      # dotted module doing the import
    target: str        # dotted module imported
    names: tuple       # names imported from it ("from target import names"); () for "import target"
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@functools.lru_cache(maxsize=None)
def all_modules() -> dict[str, Path]:
    """Every module of the package (read once per test session; callers do not mutate it)."""
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@functools.lru_cache(maxsize=None)
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _resolve(importer: str, is_package: bool, level: int, module: str | None) -> str:
    """The absolute module a relative import names (``from ..core import x`` in helpers.run.cli)."""
    if level == 0:
        return module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def imports_of(source: str | ast.Module, importer: str, is_package: bool = False) -> list[Import]:
    """Every import statement anywhere in ``source`` (module level, in functions, in classes)."""
    out = []
    for node in ast.walk(source if isinstance(source, ast.Module) else ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                out.append(Import(importer, alias.name, (), node.lineno))
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(importer, is_package, node.level, node.module)
            out.append(Import(importer, target, tuple(a.name for a in node.names), node.lineno))
    return out


@functools.lru_cache(maxsize=None)
def package_imports() -> tuple[Import, ...]:
    out = []
    for name, path in all_modules().items():
        out += imports_of(parsed(path), name, path.name == "__init__.py")
    return tuple(out)


def import_graph(imports: list[Import], modules: set[str]) -> dict[str, set[str]]:
    """Module -> helpers modules it imports. ``from pkg import mod`` is an edge to ``pkg.mod``;
    ``from mod import name`` an edge to ``mod``. Package ``__init__`` modules are left out (they
    hold docstrings only; importing ``helpers.x.y`` runs them, which is not a dependency)."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for imp in imports:
        if imp.importer not in graph:
            continue
        targets = []
        for n in imp.names:
            if f"{imp.target}.{n}" in modules:
                targets.append(f"{imp.target}.{n}")
            elif imp.target in modules:
                targets.append(imp.target)
        if not imp.names and imp.target in modules:
            targets.append(imp.target)
        graph[imp.importer] |= {t for t in targets if t != imp.importer}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path ``[a, b, ..., a]``, or None when the graph is acyclic."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = {n: WHITE for n in graph}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = GREY
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt, WHITE) == GREY:
                return stack[stack.index(nxt):] + [nxt]
            if colour.get(nxt, WHITE) == WHITE:
                colour.setdefault(nxt, WHITE)
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        colour[node] = BLACK
        return None

    for node in sorted(graph):
        if colour[node] == WHITE:
            found = visit(node)
            if found:
                return found
    return None


def _real_modules() -> set[str]:
    return {m for m, p in all_modules().items() if p.name != "__init__.py"}


# ------------------------------------------------------------------------------- the cycle finder

def test_find_cycle_reports_the_cycle_of_a_hand_made_graph():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1]
    assert set(cycle) == {"a", "b", "c"}
    for x, y in zip(cycle, cycle[1:]):
        assert y in graph[x]


def test_find_cycle_accepts_an_acyclic_graph_and_finds_a_self_loop():
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_a_function_level_relative_import_makes_a_cycle():
    """The graph builder sees imports inside functions and resolves relative ones."""
    a = "from .b import f\n"
    b = "def g():\n    from .a import h\n    return h\n"
    imports = imports_of(a, "pkg.sub.a") + imports_of(b, "pkg.sub.b")
    graph = import_graph(imports, {"pkg.sub.a", "pkg.sub.b"})
    assert graph == {"pkg.sub.a": {"pkg.sub.b"}, "pkg.sub.b": {"pkg.sub.a"}}
    assert find_cycle(graph) in (["pkg.sub.a", "pkg.sub.b", "pkg.sub.a"],
                                 ["pkg.sub.b", "pkg.sub.a", "pkg.sub.b"])


def test_relative_imports_resolve_across_subpackages():
    imports = imports_of("from ..core.paths import x\nfrom ..report import build\n", "helpers.run.cli")
    assert [(i.target, i.names) for i in imports] == [("helpers.core.paths", ("x",)),
                                                      ("helpers.report", ("build",))]
    graph = import_graph(imports, {"helpers.run.cli", "helpers.core.paths", "helpers.report.build"})
    assert graph["helpers.run.cli"] == {"helpers.core.paths", "helpers.report.build"}


# ------------------------------------------------------------------------------- the package

def test_the_package_has_the_expected_subpackages_and_no_old_modules():
    top = sorted(p.name for p in PACKAGE.iterdir() if p.suffix == ".py")
    assert top == ["__init__.py"], f"modules left at the top of helpers: {top}"
    for sub in ("core", "ledger", "checks", "cohort", "report", "run"):
        assert (PACKAGE / sub / "__init__.py").is_file(), sub
    assert len(_real_modules()) > 30


def test_every_helpers_import_names_an_existing_module():
    """A relative import that resolves to no module (``from . import report`` left behind by a
    move) would also hide an edge from the cycle check."""
    modules = all_modules()
    packages = {m for m, p in modules.items() if p.name == "__init__.py"}
    bad = []
    for i in package_imports():
        if not (i.target == "helpers" or i.target.startswith("helpers.")):
            continue
        if i.target not in modules:
            bad.append(f"{i.importer} line {i.line}: no module {i.target}")
        elif i.target in packages:
            bad += [f"{i.importer} line {i.line}: no module {i.target}.{n}" for n in i.names
                    if f"{i.target}.{n}" not in modules and not n.startswith("__")]
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    modules = _real_modules()
    graph = import_graph(package_imports(), modules)
    assert any(graph.values()), "the import graph is empty: the graph builder is broken"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_module_imports_another_modules_private_names():
    modules = set(all_modules())
    bad = [f"{i.importer} line {i.line}: from {i.target} import {n}"
           for i in package_imports() if i.target.startswith("helpers") and i.target != i.importer
           for n in i.names if n.startswith("_") and not n.startswith("__")
           and f"{i.target}.{n}" not in modules]
    assert not bad, "private names imported across modules:\n" + "\n".join(bad)


def test_no_module_reads_another_modules_private_attributes():
    """``module._name`` where ``module`` is a helpers module bound by an import."""
    bad = []
    modules = all_modules()
    for name, path in modules.items():
        tree = parsed(path)
        bound = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = _resolve(name, path.name == "__init__.py", node.level, node.module)
                for a in node.names:
                    if f"{target}.{a.name}" in modules:
                        bound.add(a.asname or a.name)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("helpers"):
                        bound.add(a.asname or a.name.split(".")[0])
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__") and isinstance(node.value, ast.Name)
                    and node.value.id in bound):
                bad.append(f"{name} line {node.lineno}: {node.value.id}.{node.attr}")
    assert not bad, "private attributes of other modules:\n" + "\n".join(bad)


def test_core_imports_nothing_of_helpers_outside_core():
    bad = [f"{i.importer} line {i.line}: imports {i.target}"
           for i in package_imports() if i.importer.startswith("helpers.core")
           and (i.target == "helpers" or i.target.startswith("helpers."))
           and not (i.target == "helpers.core" or i.target.startswith("helpers.core."))]
    assert not bad, "\n".join(bad)


def test_cohort_does_not_import_checks():
    bad = [f"{i.importer} line {i.line}: imports {i.target} {i.names}"
           for i in package_imports() if i.importer.startswith("helpers.cohort")
           and (i.target == "helpers.checks" or i.target.startswith("helpers.checks."))]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("sub", ["core", "ledger", "checks", "cohort", "report", "run"])
def test_subpackage_init_is_a_docstring_without_imports(sub):
    tree = ast.parse((PACKAGE / sub / "__init__.py").read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"helpers.{sub} has no docstring"
    assert not [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
