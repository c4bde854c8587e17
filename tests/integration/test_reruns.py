"""Honest reruns: after a finished run, Snakemake plans exactly the jobs a change affects.

Each rule's params hold only the study settings it reads and a fingerprint of the library
code its step runs (``attachstats.fingerprint``); shipped instrument files carry their
checksum in the resolved study. The workflow runs once on a small study with a private copy
of the library (``PYTHONPATH``), so the tests can edit library files; each test makes one
change, asks for a dry run, and undoes the change.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pytest
import yaml

from conftest import ROOT, make_survey, study_dict

pytestmark = pytest.mark.integration
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
#: Reasons that say a job itself changed (as opposed to an input being remade by another job).
#: Snakemake names only the first reason it finds, so a job whose input is remade anyway may
#: not report its own change.
TRIGGERS = ("Params have changed", "Code has changed", "Set of input files has changed",
            "Software environment definition has changed", "Updated input files")
#: Rules downstream of the reliability table: its readers and theirs (descriptives writes the
#: correlations that the data figures draw).
AFTER_RELIABILITY = {"reliability", "descriptives", "formatted_tables", "figures_data", "report",
                     "cross_study_summary", "all"}


class Run:
    """A finished workflow run in ``workdir`` whose library copy lives in ``src``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.src = workdir / "lib"
        self.study_file = workdir / "mini.yaml"

    def snakemake(self, *args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(self.src)}
        return subprocess.run([SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(self.workdir),
                               "--configfile", str(self.workdir / "config.yaml"), "--cores", "2", *args],
                              capture_output=True, text=True, env=env, timeout=900)

    def plan(self) -> dict[str, list[str]]:
        """Rule → the reasons of its planned jobs, from a dry run."""
        res = self.snakemake("--dry-run")
        assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
        plan: dict[str, list[str]] = {}
        rule = None
        for line in res.stdout.splitlines():
            m = re.match(r"^(?:local)?rule (\w+):", line)
            if m:
                rule = m.group(1)
                plan.setdefault(rule, [])
            m = re.match(r"^\s+reason: (.*)", line)
            if m and rule:
                plan[rule].append(m.group(1))
        return plan

    def triggered(self, plan: dict[str, list[str]]) -> set[str]:
        """Rules planned because of a change of their own (not because an input will be remade)."""
        return {r for r, reasons in plan.items() if any(t in x for x in reasons for t in TRIGGERS)}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    wd = tmp_path_factory.mktemp("reruns")
    r = Run(wd)
    shutil.copytree(ROOT / "src" / "attachstats", r.src / "attachstats",
                    ignore=shutil.ignore_patterns("__pycache__"))
    make_survey(150).to_csv(wd / "survey.csv", index=False)
    study = study_dict(title="Reruns", figures={"scatter": ["ecr_anxiety", "ecr_avoidance"]})
    study["reliability"]["bootstrap"] = 50
    r.study_file.write_text(yaml.safe_dump(study, sort_keys=False))
    (wd / "config.yaml").write_text(yaml.safe_dump({"studies": [str(r.study_file)], "seed": 1}))
    res = r.snakemake()
    assert res.returncode == 0, res.stderr[-4000:]
    return r


@contextmanager
def _edited(path: Path, change: Callable[[str], str]) -> Iterator[None]:
    """``path`` rewritten by ``change`` for the duration of the block, then restored."""
    old = path.read_text()
    path.write_text(change(old))
    try:
        yield
    finally:
        path.write_text(old)


def plan_after_study_change(run: Run, change: Callable[[dict], None]) -> dict[str, list[str]]:
    """The dry-run plan after ``change`` of the study mapping (the study file is restored)."""
    def rewrite(text: str) -> str:
        study = yaml.safe_load(text)
        change(study)
        return yaml.safe_dump(study, sort_keys=False)

    with _edited(run.study_file, rewrite):
        return run.plan()


def plan_after_library_edit(run: Run, rel: str) -> dict[str, list[str]]:
    """The dry-run plan after appending a comment to the library copy's file ``rel`` (restored)."""
    with _edited(run.src / "attachstats" / rel, lambda text: text + "\n# an edit\n"):
        return run.plan()


def test_a_finished_run_has_nothing_to_do(run: Run) -> None:
    assert run.plan() == {}
    # the parsed library modules are kept for the next parse (attachstats.fingerprint.Fingerprints);
    # every test below edits a module after it was cached, so each also checks the cache's invalidation
    cache = json.loads((run.workdir / ".snakemake" / "attachstats" / "code-fingerprints.json").read_text())
    assert "attachstats.stats.reliability" in cache["modules"]


def test_a_title_change_reruns_the_record_and_the_report_only(run: Run) -> None:
    plan = plan_after_study_change(run, lambda s: s.update(title="Another title"))
    assert set(plan) == {"provenance", "report", "all"}      # provenance records the whole study file


def test_a_figure_setting_reruns_its_figures_and_the_report_that_embeds_them(run: Run) -> None:
    plan = plan_after_study_change(run, lambda s: s["figures"].update(scatter=["ecr_avoidance", "ecr_anxiety"]))
    # the two figure groups that read the study's figures block (scatter, partial_regression)
    assert run.triggered(plan) == {"figures_data", "figures_models", "provenance"}
    assert set(plan) == {"figures_data", "figures_models", "provenance", "report", "all"}


def test_a_screening_change_reruns_validation_and_what_follows(run: Run) -> None:
    plan = plan_after_study_change(run, lambda s: s["screening"].update(min_seconds_per_item=0.5))
    assert run.triggered(plan) == {"validate", "provenance"}
    # ingest's output is kept: the raw export is not read again
    assert "ingest" not in plan
    assert {"score", "reliability", "cfa", "efa", "regress", "figures_data", "figures_factor", "figures_models",
            "report"} <= set(plan)


def test_editing_reliability_code_reruns_reliability_and_its_readers_only(run: Run) -> None:
    plan = plan_after_library_edit(run, "stats/reliability.py")
    assert run.triggered(plan) == {"reliability"}
    assert set(plan) == AFTER_RELIABILITY


def test_editing_latent_code_reruns_the_latent_models_only(run: Run) -> None:
    plan = plan_after_library_edit(run, "stats/latent/invariance.py")
    assert run.triggered(plan) == {"invariance"}
    assert set(plan) <= {"invariance", "formatted_tables", "report", "all"}


def test_editing_a_used_instrument_file_reruns_the_rules_that_read_it(run: Run) -> None:
    plan = plan_after_library_edit(run, "spec/instruments/phq-9.yaml")
    assert {"ingest", "provenance"} <= run.triggered(plan)
    assert {"validate", "score", "reliability", "cfa"} <= set(plan)


def test_editing_an_unused_instrument_file_reruns_nothing(run: Run) -> None:
    assert plan_after_library_edit(run, "spec/instruments/gad-7.yaml") == {}


def test_summary_lists_every_output_as_up_to_date(run: Run) -> None:
    res = run.snakemake("--summary")
    assert res.returncode == 0, res.stderr[-3000:]
    rows = [line.split("\t") for line in res.stdout.splitlines() if "\t" in line]
    header, body = rows[0], rows[1:]
    status = header.index("status")
    assert body and all(r[status] in ("ok", "removed temp file") for r in body), \
        {r[0]: r[status] for r in body if r[status] not in ("ok", "removed temp file")}
