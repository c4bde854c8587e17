"""The longitudinal rules through Snakemake: a study file with `longitudinal:`, its linked waves
written here as results/<study>/waves/linked.csv (what the waves rules write), and Snakemake
asked for the longitudinal targets only (no full run of the study)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, make_survey, study_dict
from attachstats.sim.panel_truth import simulate_linked_study

pytestmark = pytest.mark.integration
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
TABLES = ["invariance", "invariance_loadings", "change", "reliable_change", "reliable_change_persons", "trajectory",
          "latent_change", "latent_change_fit", "lagged_moderation", "lagged_fit", "lagged_simple_slopes",
          "lagged_johnson_neyman", "lagged_slope_curve", "lagged_lines", "lagged_samples", "riclpm", "riclpm_fit"]


def test_longitudinal_targets_run_and_rerun_clean(tmp_path):
    make_survey().to_csv(tmp_path / "survey.csv", index=False)
    study = study_dict(name="panel")
    study["variables"]["loss"] = {"column": "Breakup", "label": "Breakup since the last wave"}
    study["longitudinal"] = {
        "estimator": "MLR", "missing": "fiml",
        "invariance": {"instrument": "ecr", "indicators": "parcels"},
        "change": {"score": "ecr_anxiety", "pre": "w1", "post": "w2", "reliability": "omega", "cutoff": 3.5},
        "latent_change": {"score": "ecr_anxiety", "pre": "w1", "post": "w2"},
        "lagged_moderation": {"outcome": "phq9_total", "focal": "loss", "moderator": "ecr_anxiety",
                              "from": "w1", "to": "w2", "covariates": ["age"]},
        "riclpm": {"variables": ["ecr_anxiety", "phq9_total"]}}
    (tmp_path / "panel.yaml").write_text(yaml.safe_dump(study, sort_keys=False))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"studies": [str(tmp_path / "panel.yaml")], "seed": 2}))
    linked = tmp_path / "results" / "panel" / "waves" / "linked.csv"
    linked.parent.mkdir(parents=True)
    simulate_linked_study(250, seed=8).to_csv(linked, index=False)
    base = tmp_path / "results" / "panel" / "longitudinal"
    rel = "results/panel/longitudinal"
    targets = [f"{rel}/results.md", *(f"{rel}/figures/{f}.png" for f in ("spaghetti", "jacobson_truax",
                                                                           "lagged_interaction"))]

    def run(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path), "--configfile",
                               str(tmp_path / "config.yaml"), "--cores", "1", *extra, *targets],
                              capture_output=True, text=True, timeout=900)

    res = run()
    assert res.returncode == 0, res.stderr[-4000:]
    for t in TABLES:
        assert (base / f"{t}.csv").is_file(), t
    inv = pd.read_csv(base / "invariance.csv")
    assert list(inv["estimator"]) == ["MLR/FIML"] * 3
    assert pd.read_csv(base / "change.csv")["reliability_method"].iloc[0] == "omega at w1"
    assert "## Change across waves" in (base / "results.md").read_text()
    again = run("-n")
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr, again.stdout[-2000:]
