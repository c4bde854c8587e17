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

Reading which modules a module imports means parsing it, the costly part (about a second
for the ~90 modules the workflow's rules reach). :class:`Fingerprints` computes the
fingerprints of many steps with one read of each file and keeps what it learnt from each
parse in a cache file (the workflow uses ``.snakemake/attachstats/code-fingerprints.json``),
keyed by the SHA-256 of the file's content: every file is still read and hashed on every
use, so an edit is seen whatever its size or modification time, and a stale or unreadable
cache is recomputed, never trusted.

Example
-------
>>> fp = code_fingerprint("attachstats.steps.score", "reliability")
>>> len(fp), fp == code_fingerprint("attachstats.steps.score", "reliability")
(16, True)
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["Fingerprints", "code_fingerprint", "step_modules"]

PACKAGE = "attachstats"


#: The folder of this package's source: modules are found by path, never imported, so the
#: workflow can fingerprint steps even where Snakemake cannot import the library (the
#: workflow then loads this file by its path; it uses the standard library only).
SOURCE_ROOT = Path(__file__).resolve().parent

#: Lines as ``ast.get_source_segment`` counts them (``\r\n``, ``\r`` or ``\n``; not ``\f``).
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _analysis_version() -> str:
    """What a cache entry's meaning depends on: this file's code and Python's ``ast``."""
    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(f"{sys.version_info[0]}.{sys.version_info[1]}".encode())
    return h.hexdigest()[:16]


def _segments(src: str, nodes: list[ast.AST]) -> list[str]:
    """``ast.get_source_segment(src, node)`` for each node, splitting ``src`` once."""
    lines = _LINE.findall(src)
    out = []
    for node in nodes:
        end = getattr(node, "end_lineno", None)
        if end is None or node.end_col_offset is None:
            out.append("")
            continue
        first, last = node.lineno - 1, end - 1
        if first == last:
            out.append(lines[first].encode()[node.col_offset:node.end_col_offset].decode())
            continue
        head = lines[first].encode()[node.col_offset:].decode()
        tail = lines[last].encode()[:node.end_col_offset].decode()
        out.append("".join([head, *lines[first + 1:last], tail]))
    return out


def _well_formed(entry: Any) -> bool:
    """Whether a cache entry has the fields and types :class:`Fingerprints` writes."""
    if not (isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and isinstance(entry.get("file"), str)
            and isinstance(entry.get("resources"), list) and isinstance(entry.get("imports"), list)):
        return False
    if not all(isinstance(i, list) and len(i) == 2 and isinstance(i[0], str) and isinstance(i[1], list)
               for i in entry["imports"]):
        return False
    defs = entry.get("defs", [])
    return isinstance(defs, list) and all(
        isinstance(d, dict) and all(isinstance(d.get(k), list) for k in ("defines", "hashed", "refs"))
        and isinstance(d.get("source"), str) for d in defs)


def _target_names(node: ast.AST) -> list[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return [n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)]


class Fingerprints:
    """Code fingerprints of the steps of one source tree, sharing one read of each file.

    Parameters
    ----------
    cache
        A JSON file that keeps what was learnt from parsing each module (its package
        imports, declared resources and top-level definitions) under the SHA-256 of its
        content, so that a later process parses only the files that changed. Written
        atomically when something new was learnt; None keeps nothing.
    root
        The package's source folder (default: this package's).

    Example
    -------
    >>> fps = Fingerprints()
    >>> fps.of("attachstats.steps.score", "score") == code_fingerprint("attachstats.steps.score", "score")
    True

    R has no equivalent; Snakemake's own code trigger covers a rule's script but not the
    modules the script imports.
    """

    def __init__(self, cache: str | Path | None = None, root: str | Path = SOURCE_ROOT) -> None:
        self.root = Path(root)
        self.cache = Path(cache) if cache is not None else None
        self._version = _analysis_version()
        self._entries: dict[str, dict[str, Any]] = self._load()
        self._origins: dict[str, Path | None] = {}
        self._bytes: dict[Path, bytes] = {}
        self._imports: dict[str, dict[str, str]] = {}
        self._closures: dict[str, frozenset[str]] = {}
        self._checked: dict[str, dict[str, Any]] = {}   # entries matched to the file, this process
        self._dirty = False                # entries learnt since the cache was last written

    # ------------------------------------------------------------------ the cache file

    def _load(self) -> dict[str, dict[str, Any]]:
        if self.cache is None:
            return {}
        try:
            data = json.loads(self.cache.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("version") != self._version:
            return {}
        modules = data.get("modules")
        return modules if isinstance(modules, dict) else {}

    def _save(self) -> None:
        """Write the cache file if something new was learnt (atomically: concurrent readers
        see the old or the new file; the last writer wins)."""
        if self.cache is None or not self._dirty:
            return
        self._dirty = False
        keep = {m: e for m, e in sorted(self._entries.items()) if self._origin(m) is not None}
        text = json.dumps({"version": self._version, "modules": keep}, separators=(",", ":"))
        try:
            self.cache.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.cache.parent, prefix=self.cache.name, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.cache)
        except OSError:     # a read-only folder: fingerprints are still right, only not kept
            pass

    # ------------------------------------------------------------------ source files

    def _origin(self, module: str) -> Path | None:
        """The source file of ``module`` (None when it is not a module of this package).

        Found on the file system below the package's folder: ``importlib.util.find_spec`` of
        a dotted name imports its parent, and the names tried here include
        ``module.function`` (from ``from module import function``), which would import the
        library's modules (and pandas) into Snakemake's parse of the workflow.
        """
        if module in self._origins:
            return self._origins[module]
        found = None
        if module == PACKAGE or module.startswith(PACKAGE + "."):
            parts = module.split(".")[1:]
            if all(p.isidentifier() for p in parts):
                base = self.root.joinpath(*parts)
                for path in (base / "__init__.py", base.with_suffix(".py") if parts else None):
                    if path is not None and path.is_file():
                        found = path
                        break
        self._origins[module] = found
        return found

    def _read(self, path: Path) -> bytes:
        if path not in self._bytes:
            self._bytes[path] = path.read_bytes()
        return self._bytes[path]

    def _entry(self, module: str, with_defs: bool = False) -> dict[str, Any]:
        """What parsing ``module`` tells (from the cache when its content is unchanged)."""
        entry = self._checked.get(module)
        if entry is not None and (not with_defs or "defs" in entry):
            return entry
        entry = self._checked[module] = self._check(module, with_defs)
        return entry

    def _check(self, module: str, with_defs: bool) -> dict[str, Any]:
        path = self._origin(module)
        data = self._read(path)
        digest = hashlib.sha256(data).hexdigest()
        entry = self._entries.get(module)
        if (not _well_formed(entry) or entry["sha256"] != digest or entry["file"] != path.name
                or (with_defs and "defs" not in entry)):
            entry = self._parse(module, path, data, digest, with_defs or (_well_formed(entry) and "defs" in entry))
            self._entries[module] = entry
            self._dirty = True
        return entry

    def _parse(self, module: str, path: Path, data: bytes, digest: str, with_defs: bool) -> dict[str, Any]:
        src = data.decode("utf-8")
        tree = ast.parse(src, filename=str(path))
        imports: list[list[Any]] = []
        package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    imports.append([alias.asname or alias.name.split(".")[0], [alias.name]])
            elif isinstance(node, ast.ImportFrom):
                source = self._absolute(node, module, package)
                for alias in node.names:
                    imports.append([alias.asname or alias.name, [f"{source}.{alias.name}", source]])
        imports = [[name, [c for c in cands if c == PACKAGE or c.startswith(PACKAGE + ".")]]
                   for name, cands in imports]
        entry: dict[str, Any] = {"file": path.name, "sha256": digest,
                                 "imports": [i for i in imports if i[1]], "resources": []}
        for node in tree.body:
            if (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "RESOURCES"
                                                      for t in node.targets)):
                entry["resources"] = sorted(str(v) for v in ast.literal_eval(node.value))
                break
        if with_defs:
            defs = []
            for node, segment in zip(tree.body, _segments(src, tree.body)):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    defines = [node.name]
                elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                    defines = _target_names(node)
                else:
                    defines = []
                hashed = [node.name] if hasattr(node, "name") else _target_names(node)
                refs = sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name)})
                defs.append({"defines": defines, "hashed": hashed, "refs": refs, "source": segment})
            entry["defs"] = defs
        return entry

    @staticmethod
    def _absolute(node: ast.ImportFrom, module: str, package: bool) -> str:
        """The absolute module name of a ``from X import ...`` statement inside ``module``."""
        if not node.level:
            return node.module or ""
        base = module.split(".")
        if not package:
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        return ".".join(base + ([node.module] if node.module else []))

    def _module_imports(self, module: str) -> dict[str, str]:
        """Local name → the package module it refers to, for every import anywhere in ``module``."""
        if module not in self._imports:
            out: dict[str, str] = {}
            if self._origin(module) is not None:
                for name, candidates in self._entry(module)["imports"]:
                    for c in candidates:
                        if self._origin(c) is not None:
                            out[name] = c
                            break
            self._imports[module] = out
        return self._imports[module]

    def _closure(self, module: str) -> frozenset[str]:
        """``module``, its parent packages and every package module they import, transitively."""
        if module not in self._closures:
            seen: set[str] = set()
            todo = [module]
            while todo:
                m = todo.pop()
                if m in seen or self._origin(m) is None:
                    continue
                seen.add(m)
                parts = m.split(".")
                todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
                todo.extend(self._module_imports(m).values())
            self._closures[module] = frozenset(seen)
        return self._closures[module]

    def resources(self, module: str) -> list[Path]:
        """Data files ``module`` declares in a module-level ``RESOURCES = [...]`` list."""
        path = self._origin(module)
        if path is None:
            return []
        return sorted(path.parent / r for r in self._entry(module)["resources"])

    # ------------------------------------------------------------------ steps

    def _step(self, module: str, function: str) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        if self._origin(module) is None:
            raise ValueError(f"{module} is not a module of the {PACKAGE} package")
        body = self._entry(module, with_defs=True)["defs"]
        defs = {name: node for node in body for name in node["defines"]}
        if function not in defs:
            raise ValueError(f"{module} has no function {function!r}")
        imports = self._module_imports(module)
        local, reached = [], set()
        todo = [function]
        while todo:
            name = todo.pop()
            if name in local:
                continue
            local.append(name)
            for ref in defs[name]["refs"]:
                if ref != name:
                    if ref in defs and ref not in local:
                        todo.append(ref)
                    elif ref in imports:
                        reached.add(imports[ref])
        modules: set[str] = set()
        for m in reached:
            modules |= self._closure(m)
        return sorted(local), sorted(modules), body

    def modules(self, module: str, function: str) -> tuple[list[str], list[str]]:
        """What the step ``module.function`` depends on: (local definitions, package modules).

        Local definitions are the top-level functions, classes and assignments of ``module``
        that the function uses, directly or through each other; package modules are those it
        reaches through imports (sorted, transitive).

        >>> local, modules = Fingerprints().modules("attachstats.steps.score", "reliability")
        >>> "study_reliability" in local, "attachstats.stats.reliability" in modules
        (True, True)
        """
        local, modules, _ = self._step(module, function)
        self._save()
        return local, modules

    def of(self, module: str, function: str) -> str:
        """A short SHA-256 (16 hex digits) of the source that the step ``module.function`` runs."""
        local, modules, body = self._step(module, function)
        h = hashlib.sha256()
        for node in body:
            if any(n in local for n in node["hashed"]):
                h.update(node["source"].encode("utf-8"))
        for m in modules:
            h.update(m.encode("utf-8"))
            h.update(self._read(self._origin(m)))
            for res in self.resources(m):
                h.update(res.read_bytes())
        self._save()
        return h.hexdigest()[:16]


def step_modules(module: str, function: str) -> tuple[list[str], list[str]]:
    """What the step ``module.function`` depends on (see :meth:`Fingerprints.modules`).

    >>> local, modules = step_modules("attachstats.steps.score", "reliability")
    >>> "study_reliability" in local, "attachstats.stats.reliability" in modules
    (True, True)
    """
    return Fingerprints().modules(module, function)


def code_fingerprint(module: str, function: str) -> str:
    """A short SHA-256 (16 hex digits) of the source that the step ``module.function`` runs.

    See the module docstring for what it covers; :class:`Fingerprints` computes many at
    once with a persistent cache. R has no equivalent; Snakemake's own code trigger covers
    a rule's script but not the modules the script imports.
    """
    return Fingerprints().of(module, function)
