"""Shared test helpers: a small synthetic study written to a temporary folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

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
