"""`attachstats init` on a Qualtrics-style SPSS export, then the workflow on the file as written.

One small run (240 respondents, shared with test_wheel.py: the installed wheel's
`attachstats init`, `check` and `run` from an empty folder): the study file init writes is run unedited, and the scores
the workflow computes are checked against the ECR-R key applied by hand to the simulated
export (tests/qualtrics_export.py), so a wrong column mapping, key or missing code fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT
from qualtrics_export import ECR_REVERSE, qualtrics_frame

pytestmark = pytest.mark.integration
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def init_run(wheel_init_run):
    """(work folder, `attachstats check` output) of the shared run (tests/conftest.py:
    init → check → run with only the wheel installed, from an empty folder)."""
    return wheel_init_run["work"], wheel_init_run["check"].stdout


def test_the_example_study_init_writes_is_accepted_by_the_workflow(tmp_path) -> None:
    """The full example run is the example study's own test; here the workflow's loading of the
    init-written file (Snakemake's validate with defaults, the study checks) and its plan."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    init = subprocess.run([sys.executable, "-m", "attachstats", "init", str(ROOT / "data" / "example" / "survey.csv"),
                           "-o", "example.yaml"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert init.returncode == 0, init.stderr
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"studies": ["example.yaml"], "seed": 1,
                                                          "results_dir": "results"}))
    plan = subprocess.run([str(BIN / "snakemake"), "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path),
                           "--configfile", str(tmp_path / "config.yaml"), "--cores", "1", "-n", "--quiet", "rules"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert plan.returncode == 0, plan.stderr[-3000:]
    assert "cfa" in plan.stdout and "report" in plan.stdout


def test_the_written_study_runs_to_a_report(init_run) -> None:
    wd, checked = init_run
    out = wd / "results" / "study"
    assert (out / "report.html").stat().st_size > 10_000
    assert "240 rows" in checked
    flow = pd.read_csv(out / "validation" / "flow.csv").set_index("stage")
    assert flow.loc["raw", "n_after"] == 240 and flow.loc["analysed", "n_after"] == 240
    fit = pd.read_csv(out / "tables" / "cfa_fit.csv").set_index("model")
    assert list(fit.index) == ["one_factor", "two_factor", "two_factor_method"]
    # simulated with two factors: the two-factor model fits, the one-factor model does not
    assert fit.loc["two_factor", "cfi"] > 0.95 > fit.loc["one_factor", "cfi"]


def test_scores_follow_the_ecr_r_key_and_the_files_missing_codes(init_run) -> None:
    wd, _ = init_run
    df, _, _, _ = qualtrics_frame()
    items = df[[f"Q1_{i}" for i in range(1, 37)]].replace(-99, np.nan)
    keyed = items.copy()
    for i in ECR_REVERSE:
        keyed[f"Q1_{i}"] = 8 - keyed[f"Q1_{i}"]
    anx = keyed.iloc[:, :18]
    expected = anx.mean(axis=1).where(anx.notna().sum(axis=1) >= 15)       # min_answered .8 of 18 -> 15
    scores = pd.read_csv(wd / "results" / "study" / "scores" / "scores.csv")
    got = scores.set_index("id")["ecr_anxiety"].reindex(df["ResponseId"]).to_numpy()
    np.testing.assert_allclose(got, expected.to_numpy(), rtol=1e-12)
    ages = scores.set_index("id")["age"].reindex(df["ResponseId"])
    assert ages.isna().sum() == (df["Q3"] == 999).sum()                       # "Prefer not to say"
