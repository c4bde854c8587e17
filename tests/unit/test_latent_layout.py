"""Import rules of attachstats.stats.latent (docs/architecture.md): no module imports another
module's ``_private`` name, imports inside functions only for third-party packages, and the
modules form no import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import attachstats.stats.latent as latent

PKG = Path(latent.__file__).parent
PREFIX = "attachstats.stats.latent."


def _modules() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(), str(p)) for p in sorted(PKG.glob("*.py"))
            if p.stem != "__init__"}


def _imports(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node, node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield node, a.name, []


def test_no_private_names_across_modules() -> None:
    bad = []
    for name, tree in _modules().items():
        for node, module, names in _imports(tree):
            if module.startswith("attachstats"):
                bad += [f"{name}: {module}.{n}" for n in names if n.startswith("_")]
        for node in ast.walk(tree):               # cfa._Model style access on a module
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__") and isinstance(node.value, ast.Name)
                    and node.value.id in _modules()):
                bad.append(f"{name}: {node.value.id}.{node.attr}")
    assert not bad, bad


def test_no_internal_imports_inside_functions() -> None:
    bad = []
    for name, tree in _modules().items():
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                bad += [f"{name}.{fn.name}: {module}" for _, module, _ in _imports(fn)
                        if module.startswith("attachstats")]
    assert not bad, bad


def test_no_import_cycle() -> None:
    mods = _modules()
    deps: dict[str, set[str]] = {}
    for name, tree in mods.items():
        for _, m, names in _imports(tree):
            if m.startswith(PREFIX):
                deps.setdefault(name, set()).add(m[len(PREFIX):])
            elif m == PREFIX[:-1]:                  # from attachstats.stats.latent import cfa
                deps.setdefault(name, set()).update(n for n in names if n in mods)
    state: dict[str, int] = {}

    def visit(n: str, path: list[str]) -> None:
        if state.get(n) == 1:
            raise AssertionError("import cycle: " + " -> ".join(path[path.index(n):] + [n]))
        if state.get(n) == 2:
            return
        state[n] = 1
        for d in sorted(deps.get(n, ())):
            visit(d, path + [n])
        state[n] = 2

    for n in mods:
        visit(n, [])


def test_fit_columns_defined_once() -> None:
    defining = [name for name, tree in _modules().items() for node in tree.body
                if isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "FIT_COLUMNS" for t in node.targets)]
    assert defining == ["fit_indices"]
