"""The built wheel in a fresh virtual environment: `attachstats run` from an empty folder.

The wheel is built from a copy of the sources (so the checkout gets no build/ folder) and
installed without dependencies into a new venv whose dependencies come from the running
environment (a .pth file naming its site-packages; a .pth line adds a folder but does not
run the .pth files inside it, so the checkout's editable install of attachstats stays out).
The venv's `attachstats` then runs the workflow shipped in the wheel on one small study.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, make_survey, study_dict

pytestmark = pytest.mark.integration


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=ignore)
    shutil.copytree(ROOT / "workflow", source / "workflow", ignore=ignore)
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                          "-w", str(tmp / "dist"), str(source)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    wheel = next((tmp / "dist").glob("attachstats-*.whl"))
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    res = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                          "--no-index", "--quiet", str(wheel)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "_attachstats_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return {"wheel": wheel, "venv": venv, "site": site, "tmp": tmp}


def test_the_wheel_carries_the_workflow_and_the_instruments(installed) -> None:
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for path in ("attachstats/workflow/Snakefile", "attachstats/workflow/rules/common.smk",
                 "attachstats/workflow/scripts/report.py", "attachstats/workflow/schemas/study.schema.yaml",
                 "attachstats/workflow/report/flow.rst", "attachstats/workflow/envs/attachstats.yaml",
                 "attachstats/workflow/profiles/slurm/config.yaml", "attachstats/spec/instruments/ecr-r.yaml",
                 "attachstats/output/report/templates/report.html"):
        assert path in names, path
    shipped = {n for n in names if n.startswith("attachstats/workflow/")}
    in_repo = {"attachstats/workflow/" + p.relative_to(ROOT / "workflow").as_posix()
               for p in (ROOT / "workflow").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert shipped == in_repo
    sources = {"attachstats/" + p.relative_to(ROOT / "src" / "attachstats").as_posix()
               for p in (ROOT / "src" / "attachstats").rglob("*.py")}
    assert sources <= names


def test_run_from_an_empty_folder_writes_results_there_and_nothing_in_the_package(installed) -> None:
    venv, site = installed["venv"], installed["site"]
    work = installed["tmp"] / "empty"
    work.mkdir()
    data = installed["tmp"] / "elsewhere"       # the study file and its data live in another folder
    data.mkdir()
    make_survey(150).to_csv(data / "survey.csv", index=False)
    study = study_dict()
    study["reliability"]["bootstrap"] = 50
    (data / "mini.yaml").write_text(yaml.safe_dump(study, sort_keys=False))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ATTACHSTATS_SNAKEFILE")}
    env["MPLBACKEND"] = "Agg"
    version = subprocess.run([str(venv / "bin" / "attachstats"), "--version"], capture_output=True, text=True,
                             env=env, cwd=work)
    assert version.returncode == 0 and version.stdout.startswith("attachstats ")
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import attachstats; print(attachstats.__file__)"],
                           capture_output=True, text=True, env=env, cwd=work).stdout.strip()
    assert Path(where).is_relative_to(site)         # the wheel's copy, not the checkout's
    before = _snapshot(site)
    res = subprocess.run([str(venv / "bin" / "attachstats"), "run", str(data / "mini.yaml"), "--cores", "2"],
                         capture_output=True, text=True, env=env, cwd=work, timeout=900)
    assert res.returncode == 0, res.stderr[-4000:]
    assert (work / "results" / "mini" / "report.html").is_file()
    assert (work / "results" / "mini" / "tables" / "cfa_fit.csv").is_file()
    assert _snapshot(site) == before                # nothing written inside site-packages
    assert not (data / "results").exists()
    # the terminal shows one line per job and the steps' progress, not Snakemake's log
    assert "  done   report (mini)" in res.stderr and "reason:" not in res.stderr
    assert "reliability: bootstrap: 50 resamples of " in res.stderr
    assert "regress: model 'depression': phq9_total fitted on" in res.stderr
    log = next((work / "results" / "logs").glob("run-*.log")).read_text()
    assert "Finished jobid" in log and "reason:" in log
    provenance = yaml.safe_load((work / "results" / "mini" / "provenance.json").read_text())
    assert Path(provenance["config"]["data"]["path"]) == data / "survey.csv"   # read from the study's folder
