"""Shared test helpers: a small synthetic study written to a temporary folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from qualtrics_export import write_qualtrics_sav

ROOT = Path(__file__).resolve().parents[1]
SHARED_ECR = ROOT.parent / "shared" / "data" / "ecr-openpsychometrics" / "data.csv"


def make_survey(n: int = 120, seed: int = 1) -> pd.DataFrame:
    """A clean two-factor ECR-R + PHQ-9 export with raw (unkeyed) answers, as strings."""
    rng = np.random.default_rng(seed)
    anx, avo = rng.standard_normal(n), rng.standard_normal(n)
    dep = 0.4 * anx + 0.2 * avo + rng.standard_normal(n) * 0.85
    cols: dict[str, object] = {"ResponseId": [f"R_{i:04d}" for i in range(n)],
                               "Duration": rng.integers(400, 900, n).astype(str),
                               "Age": rng.integers(18, 70, n).astype(str),
                               "Gender": rng.choice(["Female", "Male"], n),
                               "IPAddress": [f"10.0.0.{i % 250}" for i in range(n)]}
    reverse = {9, 11, 20, 22, 26, 27, 28, 29, 30, 31, 33, 34, 35, 36}
    for i in range(1, 37):
        f = anx if i <= 18 else avo
        x = np.clip(np.round(4 + 1.2 * f + rng.standard_normal(n)), 1, 7).astype(int)
        if i in reverse:
            x = 8 - x
        cols[f"ECR_{i}"] = x.astype(str)
    for i in range(1, 10):
        cols[f"PHQ_{i}"] = np.clip(np.round(1 + 0.7 * dep + rng.standard_normal(n) * 0.6), 0, 3).astype(int).astype(str)
    return pd.DataFrame(cols)


def study_dict(data_file: str = "survey.csv", **extra) -> dict:
    d = {
        "name": "mini",
        "data": {"path": data_file, "missing_codes": [-99]},
        "id_column": "ResponseId",
        "duration_column": "Duration",
        "variables": {"age": {"column": "Age", "min": 16, "max": 99},
                      "gender": {"column": "Gender", "type": "categorical", "reference": "Female"}},
        "instruments": {"ecr": {"instrument": "ecr-r", "columns": "ECR_{n}"},
                        "phq9": {"instrument": "phq-9", "columns": "PHQ_{n}"}},
        "screening": {"min_seconds_per_item": 1.0, "longstring": {"instrument": "ecr", "max_run": 18}},
        "factor_analysis": {"instrument": "ecr", "models": ["one_factor", "two_factor"]},
        "reliability": {"bootstrap": 200},   # fewer resamples than the default 1000 keep tests fast
        "outcome_models": [{"name": "depression", "outcome": "phq9_total",
                            "predictors": ["ecr_anxiety", "ecr_avoidance", "age", "gender"]}],
    }
    d.update(extra)
    return d


@pytest.fixture
def mini_study(tmp_path: Path) -> tuple[Path, dict]:
    """(study file path, study dict) of a small clean study in tmp_path."""
    make_survey().to_csv(tmp_path / "survey.csv", index=False)
    d = study_dict()
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path, d


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="session")
def wheel_install(tmp_path_factory) -> dict[str, Path]:
    """The built wheel installed in a fresh venv.

    The wheel is built from a copy of the sources (so the checkout gets no build/ folder) and
    installed without dependencies into a new venv whose dependencies come from the running
    environment (a .pth file naming its site-packages; a .pth line adds a folder but does not
    run the .pth files inside it, so the checkout's editable install of attachstats stays out).
    """
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


@pytest.fixture(scope="session")
def wheel_init_run(wheel_install) -> dict:
    """What a new user does, with only the wheel installed: from an empty folder,
    `attachstats init` on a Qualtrics-style SPSS export kept in another folder, `attachstats
    check` and `attachstats run` on the study file exactly as init wrote it.

    One workflow run shared by the wheel tests (tests/integration/test_wheel.py) and the
    init tests (tests/integration/test_init_workflow.py).
    """
    venv, site, tmp = wheel_install["venv"], wheel_install["site"], wheel_install["tmp"]
    work, elsewhere = tmp / "empty", tmp / "elsewhere"
    work.mkdir()
    elsewhere.mkdir()
    write_qualtrics_sav(elsewhere / "export.sav")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ATTACHSTATS_SNAKEFILE")}
    env["MPLBACKEND"] = "Agg"
    tool = str(venv / "bin" / "attachstats")
    before = _snapshot(site)

    def call(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
        return subprocess.run([tool, *args], capture_output=True, text=True, env=env, cwd=work, timeout=timeout)

    out = {"work": work, "elsewhere": elsewhere, "env": env, "site": site, "venv": venv}
    out["version"] = call("--version")
    out["init"] = call("init", str(elsewhere / "export.sav"), "-o", "study.yaml")
    assert out["init"].returncode == 0, out["init"].stderr
    out["check"] = call("check", "study.yaml")
    assert out["check"].returncode == 0, out["check"].stderr
    out["run"] = call("run", "study.yaml", "--cores", "2", timeout=1800)
    assert out["run"].returncode == 0, out["run"].stderr[-4000:]
    out["site_unchanged"] = _snapshot(site) == before
    out["results"] = work / "results" / "study"
    return out
