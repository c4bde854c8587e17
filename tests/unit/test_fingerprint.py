"""Code fingerprints of workflow steps (attachstats.fingerprint): what each step depends on."""

from __future__ import annotations

import pytest

from attachstats.fingerprint import _resources, code_fingerprint, step_modules


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


def test_a_modules_declared_data_files_are_its_resources(tmp_path, monkeypatch) -> None:
    # a module's data files (package resources) are part of its fingerprint
    import attachstats.fingerprint as fp

    pkg = tmp_path / "attachstats" / "output"          # a package tree of its own, read from the files only
    (pkg / "templates").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "page.py").write_text('RESOURCES = ["templates/b.html", "templates/a.html"]\n')
    (pkg / "plain.py").write_text("X = 1\n")
    monkeypatch.setattr(fp, "SOURCE_ROOT", tmp_path / "attachstats")
    assert [p.name for p in _resources("attachstats.output.page")] == ["a.html", "b.html"]
    assert _resources("attachstats.output.plain") == []


def test_unknown_steps_are_refused() -> None:
    with pytest.raises(ValueError, match="no function"):
        step_modules("attachstats.steps.score", "nonexistent")
    with pytest.raises(ValueError, match="not a module"):
        step_modules("numpy", "array")
