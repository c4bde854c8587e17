"""Code fingerprints of workflow steps (attachstats.fingerprint): what each step depends on."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest

from attachstats.fingerprint import SOURCE_ROOT, Fingerprints, _segments, code_fingerprint, step_modules


def test_a_step_reaches_the_statistics_it_uses_and_no_others() -> None:
    local, modules = step_modules("attachstats.steps.score", "reliability")
    assert "study_reliability" in local and "score" not in local
    assert {"attachstats.stats.reliability", "attachstats.stats.omega", "attachstats.stats.efa"} <= set(modules)
    assert not any(m.startswith("attachstats.stats.latent") for m in modules)
    _, cfa = step_modules("attachstats.steps.measure", "cfa")
    assert "attachstats.stats.latent.engine" in cfa and "attachstats.stats.reliability" not in cfa
    assert "attachstats.stats.latent.invariance" not in cfa      # only the invariance rule uses it


def test_steps_of_one_module_have_their_own_fingerprints() -> None:
    prints = {r: code_fingerprint("attachstats.steps.score", r) for r in ("score", "reliability")}
    assert prints["score"] != prints["reliability"]
    assert prints["score"] == code_fingerprint("attachstats.steps.score", "score")


def test_the_manuscript_modules_are_part_of_the_report_step() -> None:
    _, modules = step_modules("attachstats.steps.report", "report")
    report = {f"attachstats.output.report.{m}" for m in ("manuscript", "manuscript_html", "manuscript_docx",
                                                         "references", "guardrails", "names")}
    assert report <= set(modules)


def test_a_modules_declared_data_files_are_its_resources(tmp_path) -> None:
    # a module's data files (package resources) are part of its fingerprint
    import attachstats.fingerprint as fp

    pkg = tmp_path / "attachstats" / "output"          # a package tree of its own, read from the files only
    (pkg / "templates").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "page.py").write_text('RESOURCES = ["templates/b.html", "templates/a.html"]\n')
    (pkg / "plain.py").write_text("X = 1\n")
    prints = fp.Fingerprints(root=tmp_path / "attachstats")
    assert [p.name for p in prints.resources("attachstats.output.page")] == ["a.html", "b.html"]
    assert prints.resources("attachstats.output.plain") == []


def test_unknown_steps_are_refused() -> None:
    with pytest.raises(ValueError, match="no function"):
        step_modules("attachstats.steps.score", "nonexistent")
    with pytest.raises(ValueError, match="not a module"):
        step_modules("numpy", "array")


# --------------------------------------------------------------------------- the parse cache

def _package(root: Path) -> Path:
    """A small package named like the library: a step that uses one statistics module."""
    pkg = root / "attachstats"
    (pkg / "steps").mkdir(parents=True)
    (pkg / "stats").mkdir()
    for init in (pkg, pkg / "steps", pkg / "stats"):
        (init / "__init__.py").write_text("")
    (pkg / "steps" / "s.py").write_text(
        "from attachstats.stats import m\n\nLIMIT = 3\n\n\ndef step(x):\n    return m.f(x) + LIMIT\n\n\n"
        "def other(x):\n    return x\n")
    (pkg / "stats" / "m.py").write_text("def f(x):\n    return x + 1\n")
    (pkg / "stats" / "n.py").write_text("def g(x):\n    return x * 2\n")
    return pkg


def _rewrite_keeping_size_and_mtime(path: Path, old: str, new: str) -> None:
    st = path.stat()
    text = path.read_text()
    assert len(old) == len(new) and old in text
    path.write_text(text.replace(old, new))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


def test_a_cached_fingerprint_sees_an_edit_that_keeps_size_and_mtime(tmp_path: Path, monkeypatch) -> None:
    pkg = _package(tmp_path)
    cache = tmp_path / "cache" / "fp.json"
    first = Fingerprints(cache=cache, root=pkg).of("attachstats.steps.s", "step")
    assert cache.is_file()
    parsed: list[str] = []
    original = Fingerprints._parse
    monkeypatch.setattr(Fingerprints, "_parse", lambda self, module, *a: parsed.append(module) or original(self, module, *a))
    # a new process with the cache parses nothing and agrees
    assert Fingerprints(cache=cache, root=pkg).of("attachstats.steps.s", "step") == first
    assert parsed == []
    # the statistics module edited in place: same size, same modification time
    _rewrite_keeping_size_and_mtime(pkg / "stats" / "m.py", "x + 1", "x + 2")
    edited = Fingerprints(cache=cache, root=pkg).of("attachstats.steps.s", "step")
    assert edited != first and parsed == ["attachstats.stats.m"]
    assert edited == Fingerprints(root=pkg).of("attachstats.steps.s", "step")      # no cache: same answer
    # an edit that adds an import: the newly reached module becomes part of the fingerprint
    (pkg / "stats" / "m.py").write_text("from attachstats.stats.n import g\n\ndef f(x):\n    return g(x)\n")
    fps = Fingerprints(cache=cache, root=pkg)
    assert "attachstats.stats.n" in fps.modules("attachstats.steps.s", "step")[1]
    with_n = fps.of("attachstats.steps.s", "step")
    (pkg / "stats" / "n.py").write_text("def g(x):\n    return x * 3\n")
    assert Fingerprints(cache=cache, root=pkg).of("attachstats.steps.s", "step") != with_n
    # editing the step's module outside the step (another function) changes nothing; the step's
    # own constant does, though size and modification time stay
    other = Fingerprints(cache=cache, root=pkg).of("attachstats.steps.s", "step")
    _rewrite_keeping_size_and_mtime(pkg / "steps" / "s.py", "return x\n", "return 0\n")
    assert Fingerprints(cache=cache, root=pkg).of("attachstats.steps.s", "step") == other
    _rewrite_keeping_size_and_mtime(pkg / "steps" / "s.py", "LIMIT = 3", "LIMIT = 4")
    assert Fingerprints(cache=cache, root=pkg).of("attachstats.steps.s", "step") != other


def test_a_corrupt_or_foreign_cache_is_recomputed_not_trusted(tmp_path: Path) -> None:
    pkg = _package(tmp_path)
    truth = Fingerprints(root=pkg).of("attachstats.steps.s", "step")
    cache = tmp_path / "fp.json"
    for junk in ("{not json", json.dumps({"version": "other", "modules": {}}), json.dumps([1, 2])):
        cache.write_text(junk)
        assert Fingerprints(cache=cache, root=pkg).of("attachstats.steps.s", "step") == truth
    # an entry with the file's hash but missing or mistyped fields is recomputed
    data = json.loads(cache.read_text())
    del data["modules"]["attachstats.stats.m"]["imports"]
    data["modules"]["attachstats.steps.s"]["defs"] = "nonsense"
    cache.write_text(json.dumps(data))
    assert Fingerprints(cache=cache, root=pkg).of("attachstats.steps.s", "step") == truth
    # an entry whose hash is not the file's is recomputed, whatever it says the file imports
    data = json.loads(cache.read_text())
    data["modules"]["attachstats.stats.m"]["sha256"] = "0" * 64
    data["modules"]["attachstats.stats.m"]["imports"] = [["g", ["attachstats.stats.n"]]]
    cache.write_text(json.dumps(data))
    fps = Fingerprints(cache=cache, root=pkg)
    assert fps.of("attachstats.steps.s", "step") == truth
    assert "attachstats.stats.n" not in fps.modules("attachstats.steps.s", "step")[1]


def test_the_workflow_steps_fingerprint_alike_with_and_without_the_cache(tmp_path: Path) -> None:
    steps = [("attachstats.steps.score", "reliability"), ("attachstats.steps.measure", "cfa"),
             ("attachstats.steps.report", "report"), ("attachstats.steps.validate", "validate")]
    cache = tmp_path / "fp.json"
    cold = [Fingerprints(cache=cache).of(*s) for s in steps]
    warm = Fingerprints(cache=cache)
    assert [warm.of(*s) for s in steps] == cold == [code_fingerprint(*s) for s in steps]


def test_source_segments_match_the_standard_library() -> None:
    for path in sorted(SOURCE_ROOT.rglob("*.py")):
        src = path.read_text(encoding="utf-8")
        body = ast.parse(src).body
        assert _segments(src, body) == [ast.get_source_segment(src, n) or "" for n in body], path
    src = "x = 1\r\ny = {\r\n  'a': 'é\f',\r\n}\rdef f():\n    return 'ü'  # é\n"
    body = ast.parse(src).body
    assert _segments(src, body) == [ast.get_source_segment(src, n) for n in body]
