"""The library's floors (../shared/docs/architecture.md, README "Layout"), checked on the source.

Who may import whom::

    errors                        (nothing of the package)
    spec      ← errors            what a study, an instrument and a model are
    stats     ← spec              pure statistics
    sim       ← spec, stats       simulator and power analysis
    data      ← spec, stats       raw export → clean, scored rows
    output    ← spec              formatting only: never statistics, data or steps
    steps     ← everything above  one function per workflow rule
    runner, fingerprint, cli      entry points (cli may use anything but the workflow)

and: no import cycle, no package import inside a function (only heavy third-party ones),
no module importing another module's ``_private`` name (the CLI alone may load a command's
module when the command runs), every workflow script calling
exactly one ``attachstats.steps`` function, named after its rule. Each check is a function
of a source tree, so the tests below also show that each one fails on a tree that breaks it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import ROOT

SRC = ROOT / "src" / "attachstats"
PKG = "attachstats"
#: floor → floors it may import (besides itself and ``errors``)
ALLOWED = {
    "errors": set(),
    "spec": set(),
    "stats": {"spec"},
    "sim": {"spec", "stats"},
    "data": {"spec", "stats"},
    "output": {"spec"},
    "steps": {"spec", "stats", "sim", "data", "output"},
    "runner": set(),
    "fingerprint": set(),
    "cli": {"spec", "stats", "sim", "data", "output", "steps", "runner"},
    "__init__": set(),
    "__main__": {"cli"},
}
TOP_LEVEL_LIMIT = 6   # modules directly in src/attachstats besides __init__/__main__


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name → file, for every module under ``root`` (the package folder)."""
    out = {}
    for f in sorted(root.rglob("*.py")):
        parts = list(f.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        out[".".join([PKG, *parts])] = f
    return out


def _imports(name: str, path: Path, known: dict[str, Path]) -> list[tuple[ast.AST, str, list[str], bool]]:
    """(node, imported package module, imported names, inside a function) of every package import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_pkg = path.name == "__init__.py"
    out = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                for a in child.names:
                    if a.name == PKG or a.name.startswith(PKG + "."):
                        out.append((child, a.name, [], in_function))
            elif isinstance(child, ast.ImportFrom):
                mod = child.module or ""
                if child.level:
                    base = name.split(".") if is_pkg else name.split(".")[:-1]
                    base = base[: len(base) - (child.level - 1)]
                    mod = ".".join(base + ([mod] if mod else []))
                if mod == PKG or mod.startswith(PKG + "."):
                    for a in child.names:
                        target = f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod
                        out.append((child, target, [] if target != mod else [a.name], in_function))
            visit(child, inner)

    visit(tree, False)
    return out


def floor(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def layer_violations(root: Path) -> list[str]:
    """Imports that go against :data:`ALLOWED`."""
    known = modules(root)
    bad = []
    for name, path in known.items():
        src = floor(name)
        for node, target, _, _ in _imports(name, path, known):
            dst = floor(target)
            if dst in (src, "errors", "__init__"):
                continue
            if dst not in ALLOWED.get(src, set()):
                bad.append(f"{name} (floor {src}) imports {target} (floor {dst}), line {node.lineno}")
    return bad


#: Modules allowed to import package modules inside functions: the command-line entry point
#: loads a command's module only when that command runs (``attachstats --help`` stays fast).
LAZY_ENTRY_POINTS = {f"{PKG}.cli"}


def function_imports(root: Path) -> list[str]:
    """Package imports placed inside a function (a cycle dodged instead of removed)."""
    known = modules(root)
    found = {f"{name}: import of {target} inside a function, line {node.lineno}"
             for name, path in known.items() if name not in LAZY_ENTRY_POINTS
             for node, target, _, inner in _imports(name, path, known) if inner}
    return sorted(found)


def private_imports(root: Path) -> list[str]:
    """Names with a leading underscore imported from, or read off, another package module."""
    known = modules(root)
    bad = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}
        for node, target, names, _ in _imports(name, path, known):
            if target == name:
                continue
            for n in names:
                if n.startswith("_") and not (n.startswith("__") and n.endswith("__")):   # __version__ is public
                    bad.append(f"{name} imports {target}.{n}, line {node.lineno}")
            if isinstance(node, ast.ImportFrom) and not names:
                for a in node.names:
                    aliases[a.asname or a.name] = target
            if isinstance(node, ast.Import):
                for a in node.names:
                    aliases[a.asname or a.name] = a.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, ast.Name) and node.value.id in aliases):
                bad.append(f"{name} reads {aliases[node.value.id]}.{node.attr}, line {node.lineno}")
    return bad


def import_cycles(root: Path) -> list[list[str]]:
    """Cycles in the graph of module-level package imports (each cycle once)."""
    known = modules(root)
    graph = {name: sorted({t for _, t, _, _ in _imports(name, path, known) if t != name and t in known})
             for name, path in known.items()}
    cycles, state, stack = [], {}, []

    def dfs(v: str) -> None:
        state[v] = 1
        stack.append(v)
        for w in graph[v]:
            if state.get(w) == 1:
                cyc = stack[stack.index(w):]
                k = cyc.index(min(cyc))
                cyc = cyc[k:] + cyc[:k]
                if cyc not in cycles:
                    cycles.append(cyc)
            elif w not in state:
                dfs(w)
        stack.pop()
        state[v] = 2

    for v in graph:
        if v not in state:
            dfs(v)
    return cycles


def twin_constants(root: Path, suffix: str = "_COLUMNS") -> dict[str, list[str]]:
    """Module-level constants ending in ``suffix`` defined in more than one module (a public
    table interface has one name, e.g. ``FIT_COLUMNS`` once, not three lists that disagree)."""
    seen: dict[str, list[str]] = {}
    for name, path in modules(root).items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            for t in targets:
                if isinstance(t, ast.Name) and t.id.endswith(suffix):
                    seen.setdefault(t.id, []).append(name)
    return {k: v for k, v in seen.items() if len(v) > 1}


def rules_by_file(workflow: Path) -> dict[str, str]:
    """Rule name → the stem of the ``rules/*.smk`` file that defines it."""
    out = {}
    for smk in sorted((workflow / "rules").glob("*.smk")):
        for rule in re.findall(r"^rule (\w+):", smk.read_text(encoding="utf-8"), flags=re.M):
            out[rule] = smk.stem
    return out


def script_violations(workflow: Path) -> list[str]:
    """Scripts that do not call exactly one ``attachstats.steps.<file>.<rule>``."""
    rules = rules_by_file(workflow)
    bad = []
    for script in sorted((workflow / "scripts").glob("*.py")):
        rule = script.stem
        tree = ast.parse(script.read_text(encoding="utf-8"))
        steps = {a.asname or a.name: f"{n.module}.{a.name}" for n in ast.walk(tree)
                 if isinstance(n, ast.ImportFrom) and (n.module or "").startswith(f"{PKG}.steps") for a in n.names}
        calls = [steps[c.func.id] for c in ast.walk(tree)
                 if isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in steps]
        expected = f"{PKG}.steps.{rules.get(rule, '?')}.{rule}"
        if rule not in rules:
            bad.append(f"{script.name}: no rule {rule!r} in workflow/rules/*.smk")
        elif calls != [expected]:
            bad.append(f"{script.name}: calls {calls or 'no steps function'}, expected exactly [{expected}]")
    for rule, stem in rules.items():
        if not (workflow / "scripts" / f"{rule}.py").is_file() and rule != "all":
            bad.append(f"rule {rule} ({stem}.smk) has no script workflow/scripts/{rule}.py")
    return bad


# --- the real tree --------------------------------------------------------------------

def test_floors_import_only_downwards() -> None:
    assert layer_violations(SRC) == []


def test_no_package_import_inside_a_function() -> None:
    assert function_imports(SRC) == []


def test_no_private_name_crosses_a_module() -> None:
    assert private_imports(SRC) == []


def test_no_import_cycle() -> None:
    assert import_cycles(SRC) == []


def test_each_table_interface_is_named_once() -> None:
    assert twin_constants(SRC) == {}


def test_each_script_calls_its_rule_step() -> None:
    assert script_violations(ROOT / "workflow") == []


def test_top_level_holds_a_handful_of_modules() -> None:
    top = sorted(p.stem for p in SRC.glob("*.py") if p.stem not in ("__init__", "__main__"))
    assert len(top) <= TOP_LEVEL_LIMIT, top
    floors = sorted(p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").is_file())
    assert floors == ["data", "output", "sim", "spec", "stats", "steps"]


# --- each check fails when its rule is broken -------------------------------------------

def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / PKG
    for rel, text in {"__init__.py": "", "errors.py": "", **files}.items():
        f = root / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        for parent in f.relative_to(root).parents:
            (root / parent / "__init__.py").touch()
        f.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("files", [
    {"spec/a.py": "from attachstats.stats.b import f\n", "stats/b.py": "def f(): pass\n"},
    {"output/a.py": "from attachstats.data import b\n", "data/b.py": ""},
    {"stats/a.py": "import attachstats.steps.b\n", "steps/b.py": ""},
])
def test_layer_check_catches_an_upward_import(tmp_path: Path, files: dict[str, str]) -> None:
    assert len(layer_violations(_tree(tmp_path, files))) == 1


def test_function_import_check_catches_a_dodged_cycle(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"stats/a.py": "def g():\n    from attachstats.stats.b import f\n", "stats/b.py": ""})
    assert len(function_imports(root)) == 1


def test_private_check_catches_both_forms(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"stats/a.py": "from attachstats.stats.b import _f\n",
                            "stats/c.py": "from attachstats.stats import b\nx = b._f\n",
                            "stats/b.py": "def _f(): pass\n"})
    assert len(private_imports(root)) == 2


def test_cycle_check_finds_a_cycle(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"stats/a.py": "from attachstats.stats import b\n",
                            "stats/b.py": "from attachstats.stats.a import x\n"})
    assert import_cycles(root) == [["attachstats.stats.a", "attachstats.stats.b"]]


def test_twin_check_finds_a_constant_defined_twice(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"stats/a.py": "FIT_COLUMNS = ['chi2']\n", "stats/b.py": "FIT_COLUMNS = ['r2']\n"})
    assert twin_constants(root) == {"FIT_COLUMNS": ["attachstats.stats.a", "attachstats.stats.b"]}


def test_script_check_catches_a_second_hop(tmp_path: Path) -> None:
    wf = tmp_path / "workflow"
    (wf / "rules").mkdir(parents=True)
    (wf / "scripts").mkdir()
    (wf / "rules" / "measure.smk").write_text("rule cfa:\n    script: '../scripts/cfa.py'\n")
    (wf / "scripts" / "cfa.py").write_text("from attachstats.steps.model import cfa\ncfa(snakemake)\n")
    assert len(script_violations(wf)) == 1
    (wf / "scripts" / "cfa.py").write_text("from attachstats.steps.measure import cfa\ncfa(snakemake)\n")
    assert script_violations(wf) == []
