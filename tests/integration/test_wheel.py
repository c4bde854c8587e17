"""The built wheel in a fresh virtual environment: a new user's first session.

From an empty folder, with only the wheel installed (tests/conftest.py, fixtures
``wheel_install`` and ``wheel_init_run``): `attachstats init` on a Qualtrics-style SPSS
export, `attachstats check`, and `attachstats run` on the study file as init wrote it. The
results land in ./results, nothing is written inside site-packages, the terminal shows one
line per job and the steps' progress. The init-specific checks of the same run (scores
against the ECR-R key) are in test_init_workflow.py.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.integration


def test_the_wheel_carries_the_workflow_and_the_instruments(wheel_install) -> None:
    installed = wheel_install
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for path in ("attachstats/workflow/Snakefile", "attachstats/workflow/rules/common.smk",
                 "attachstats/workflow/scripts/report.py", "attachstats/workflow/schemas/study.schema.yaml",
                 "attachstats/workflow/report/flow.rst", "attachstats/workflow/envs/attachstats.yaml",
                 "attachstats/workflow/profiles/slurm/config.yaml", "attachstats/spec/instruments/ecr-r.yaml"):
        assert path in names, path
    shipped = {n for n in names if n.startswith("attachstats/workflow/")}
    in_repo = {"attachstats/workflow/" + p.relative_to(ROOT / "workflow").as_posix()
               for p in (ROOT / "workflow").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert shipped == in_repo
    sources = {"attachstats/" + p.relative_to(ROOT / "src" / "attachstats").as_posix()
               for p in (ROOT / "src" / "attachstats").rglob("*.py")}
    assert sources <= names


def test_init_check_and_run_from_an_empty_folder_write_results_there_and_nothing_in_the_package(
        wheel_init_run) -> None:
    r = wheel_init_run
    assert r["version"].returncode == 0 and r["version"].stdout.startswith("attachstats ")
    work = r["work"]
    # the study file init wrote, the results, and Snakemake's own metadata folder
    assert sorted(p.name for p in work.iterdir()) == [".snakemake", "results", "study.yaml"]
    assert (r["results"] / "report.html").is_file() and (r["results"] / "report.docx").is_file()
    assert (r["results"] / "tables" / "cfa_fit.csv").is_file()
    assert r["site_unchanged"]                      # nothing written inside site-packages
    assert not (r["elsewhere"] / "results").exists()
    provenance = json.loads((r["results"] / "provenance.json").read_text())
    assert Path(provenance["config"]["data"]["path"]) == r["elsewhere"] / "export.sav"
    # the terminal shows one line per job and the steps' progress, not Snakemake's log
    err = r["run"].stderr
    assert "  done   report (study)" in err and "reason:" not in err
    assert "reliability: bootstrap: 1000 resamples of 240 respondents" in err
    assert "cfa: CFA model 'two_factor': fitting" in err
    log = next((work / "results" / "logs").glob("run-*.log")).read_text()
    assert "Finished jobid" in log and "reason:" in log


def test_the_venv_imports_the_wheels_copy(wheel_install) -> None:
    import subprocess

    venv, site = wheel_install["venv"], wheel_install["site"]
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import attachstats; print(attachstats.__file__)"],
                           capture_output=True, text=True, cwd=wheel_install["tmp"],
                           env={"PATH": "/usr/bin:/bin"}).stdout.strip()
    assert Path(where).is_relative_to(site)         # the wheel's copy, not the checkout's
