"""The output floor formats only: it imports spec, errors and itself, never stats/data/steps.

Imports inside functions are allowed only for heavy third-party packages (never to dodge a
cycle). ``output/figures/`` is being rewritten and is not checked yet: drop it from
``UNCHECKED`` when its study-level assembly has left.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import attachstats.output

ROOT = Path(attachstats.output.__file__).parent
UNCHECKED = ("figures",)
ALLOWED = ("attachstats.spec", "attachstats.errors", "attachstats.output")
HEAVY = ("docx", "matplotlib", "seaborn", "jinja2", "scipy")
MODULES = sorted(p for p in ROOT.rglob("*.py") if p.relative_to(ROOT).parts[0] not in UNCHECKED)


def _imports(tree: ast.AST) -> list[tuple[str, bool]]:
    """(imported module, inside a function?) for every import statement of a module."""
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend((a.name, in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append((child.module, in_function))
            visit(child, inner)

    visit(tree, False)
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_output_imports_only_spec_errors_and_itself(path: Path) -> None:
    for module, in_function in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        if module.split(".")[0] == "attachstats":
            assert module.startswith(ALLOWED), f"{path.name} imports {module}"
            assert not in_function, f"{path.name} imports {module} inside a function"
        elif in_function:
            assert module.split(".")[0] in HEAVY, f"{path.name} imports {module} inside a function"


def test_the_checker_sees_nested_imports() -> None:
    tree = ast.parse("import os\ndef f():\n    from attachstats.stats import efa\n")
    assert _imports(tree) == [("os", False), ("attachstats.stats", True)]
