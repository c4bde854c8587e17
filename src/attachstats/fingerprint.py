"""Code fingerprints of workflow steps: which library source a rule's results depend on.

Snakemake reruns a rule when its script, inputs or params change, but not when a library
module that the script imports changes, so results could silently disagree with the code
said to have produced them. Each rule therefore carries a ``code`` param: the fingerprint of
its step function (:func:`code_fingerprint`). It covers

- the source of the step function and of the helpers of its own module that it uses, and
  the module-level constants they read (so editing another step of the same module does not
  count);
- every :mod:`attachstats` module the function imports, with everything those modules import
  in turn (whole files, transitively), their packages' ``__init__`` files, and the data files
  a module declares in a module-level ``RESOURCES`` list (paths relative to its folder).

Editing ``stats/reliability.py`` thus changes the fingerprint of the ``reliability`` rule
(and of any rule whose code reaches that module) and of nothing else. Only source is read:
nothing is imported, so the workflow's start-up stays fast. Third-party packages are not
part of the fingerprint (``provenance.json`` records their versions).

Example
-------
>>> fp = code_fingerprint("attachstats.steps.score", "reliability")
>>> len(fp), fp == code_fingerprint("attachstats.steps.score", "reliability")
(16, True)
"""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

__all__ = ["code_fingerprint", "step_modules"]

PACKAGE = "attachstats"


#: The folder of this package's source: modules are found by path, never imported, so the
#: workflow can fingerprint steps even where Snakemake cannot import the library (the
#: workflow then loads this file by its path; it uses the standard library only).
SOURCE_ROOT = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=None)
def _origin(module: str) -> Path | None:
    """The source file of ``module`` (None when it is not a module of this package).

    Found on the file system below the package's folder: ``importlib.util.find_spec`` of a
    dotted name imports its parent, and the names tried here include ``module.function``
    (from ``from module import function``), which would import the library's modules (and
    pandas) into Snakemake's parse of the workflow.
    """
    if module != PACKAGE and not module.startswith(PACKAGE + "."):
        return None
    parts = module.split(".")[1:]
    if not all(p.isidentifier() for p in parts):
        return None
    base = SOURCE_ROOT.joinpath(*parts)
    for path in (base / "__init__.py", base.with_suffix(".py") if parts else None):
        if path is not None and path.is_file():
            return path
    return None


@functools.lru_cache(maxsize=None)
def _parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_package(module: str) -> bool:
    path = _origin(module)
    return path is not None and path.name == "__init__.py"


def _resolve(node: ast.ImportFrom, module: str) -> str:
    """The absolute module name of a ``from X import ...`` statement inside ``module``."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not _is_package(module):
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


@functools.lru_cache(maxsize=None)
def _imports(module: str) -> dict[str, str]:
    """Local name → the package module it refers to, for every import anywhere in ``module``
    (cached: every rule's fingerprint walks the same modules; callers must not modify it)."""
    path = _origin(module)
    if path is None:
        return {}
    out: dict[str, str] = {}
    for node in ast.walk(_parsed(path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _origin(alias.name) is not None:
                    out[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(node, module)
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                target = sub if _origin(sub) is not None else source
                if _origin(target) is not None:
                    out[alias.asname or alias.name] = target
    return out


@functools.lru_cache(maxsize=None)
def _closure(module: str) -> frozenset[str]:
    """``module``, its parent packages and every package module they import, transitively."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        m = todo.pop()
        if m in seen or _origin(m) is None:
            continue
        seen.add(m)
        parts = m.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        todo.extend(_imports(m).values())
    return frozenset(seen)


def _resources(module: str) -> list[Path]:
    """Data files a module declares in a module-level ``RESOURCES = [...]`` list."""
    path = _origin(module)
    if path is None:
        return []
    for node in _parsed(path).body:
        if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "RESOURCES"
                                                  for t in node.targets)):
            return sorted(path.parent / str(v) for v in ast.literal_eval(node.value))
    return []


def step_modules(module: str, function: str) -> tuple[list[str], list[str]]:
    """What the step ``module.function`` depends on: (local definitions, package modules).

    Local definitions are the top-level functions, classes and assignments of ``module`` that
    the function uses, directly or through each other; package modules are those it reaches
    through imports (sorted, transitive).

    >>> local, modules = step_modules("attachstats.steps.score", "reliability")
    >>> "study_reliability" in local, "attachstats.stats.reliability" in modules
    (True, True)
    """
    path = _origin(module)
    if path is None:
        raise ValueError(f"{module} is not a module of the {PACKAGE} package")
    tree = _parsed(path)
    defs: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for name in ast.walk(t):
                    if isinstance(name, ast.Name):
                        defs[name.id] = node
    if function not in defs:
        raise ValueError(f"{module} has no function {function!r}")
    imports = _imports(module)
    local, reached = [], set()
    todo = [function]
    while todo:
        name = todo.pop()
        if name in local:
            continue
        local.append(name)
        for node in ast.walk(defs[name]):
            if isinstance(node, ast.Name) and node.id != name:
                if node.id in defs and node.id not in local:
                    todo.append(node.id)
                elif node.id in imports:
                    reached.add(imports[node.id])
    modules = set()
    for m in reached:
        modules |= _closure(m)
    return sorted(local), sorted(modules)


def code_fingerprint(module: str, function: str) -> str:
    """A short SHA-256 (16 hex digits) of the source that the step ``module.function`` runs.

    See the module docstring for what it covers. R has no equivalent; Snakemake's own code
    trigger covers a rule's script but not the modules the script imports.
    """
    local, modules = step_modules(module, function)
    path = _origin(module)
    src = path.read_text(encoding="utf-8")
    tree = _parsed(path)
    h = hashlib.sha256()
    for node in tree.body:
        names = ([node.name] if hasattr(node, "name") else
                 [n.id for t in (node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)])
                  if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)])
        if any(n in local for n in names):
            h.update((ast.get_source_segment(src, node) or "").encode("utf-8"))
    for m in modules:
        h.update(m.encode("utf-8"))
        h.update(_origin(m).read_bytes())
        for res in _resources(m):
            h.update(res.read_bytes())
    return h.hexdigest()[:16]
