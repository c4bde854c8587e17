"""Descriptives and correlations against R cor.test / psych::corr.test (tests/fixtures/descriptives)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.stats.descriptives import correlation_table, describe
from attachstats.steps.describe import study_descriptives
from attachstats.errors import ConfigError
from attachstats.output.numbers import significance_marks
from attachstats.output.tables import apa_correlations

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "descriptives"
DATA = pd.read_csv(FIX / "data.csv")
VARS = list(DATA.columns)


def test_correlations_match_cor_test():
    ref = pd.read_csv(FIX / "correlations.csv")
    got = correlation_table(DATA, VARS)
    assert got[["var1", "var2"]].values.tolist() == ref[["var1", "var2"]].values.tolist()
    assert got["n"].tolist() == ref["n"].tolist() == ref["psych_n"].tolist()
    for col in ["r", "ci_lo", "ci_hi"]:
        np.testing.assert_allclose(got[col], ref[col], atol=1e-10, err_msg=col)
    np.testing.assert_allclose(got["p"], ref["p"], rtol=1e-6, atol=1e-15)
    np.testing.assert_allclose(got["r"], ref["psych_r"], atol=1e-10)
    np.testing.assert_allclose(got["p"], ref["psych_p"], rtol=1e-6, atol=1e-15)


def test_descriptives_match_r():
    ref = pd.read_csv(FIX / "descriptives.csv")
    got = describe(DATA, VARS, {})
    assert got["n"].tolist() == ref["n"].tolist()
    for col in ["mean", "sd", "min", "max"]:
        np.testing.assert_allclose(got[col], ref[col], atol=1e-10, err_msg=col)


def test_apa_matrix_cells():
    desc = describe(DATA, VARS, {"anxiety": "score"}, {"anxiety": 0.912})
    corr = correlation_table(DATA, VARS)
    apa = apa_correlations(desc, corr)
    assert list(apa.columns) == ["Variable", "n", "M", "SD", "1", "2", "3", "4", "5"]
    assert apa.loc[0, "1"] == "(.91)" and apa.loc[1, "2"] == "—"          # alpha / no alpha
    assert apa.loc[1, "1"] == ".21*** [.11, .31]"                       # cor.test: .2139, [.1146, .3090]
    assert apa.loc[0, "2"] == "" and apa.loc[0, "Variable"] == "1. anxiety"
    assert [significance_marks(p) for p in (0.2, 0.04, 0.009, 0.0009, float("nan"))] == ["", "*", "**", "***", ""]


def test_study_selection_and_alpha_join():
    study = {"name": "t", "variables": {"age": {"column": "Age"}, "sex": {"column": "S", "type": "categorical"}},
             "instruments": {"phq9": {"instrument": "phq-9", "columns": "P{n}"}}}
    scores = pd.DataFrame({"phq9_total": [1.0, 5, 9, 12], "age": [20, 30, 40, 55], "sex": list("fmfm")})
    rel = pd.DataFrame({"scale": ["phq9_total"], "alpha": [0.8]})
    desc, corr = study_descriptives(scores, study, rel)
    assert desc["variable"].tolist() == ["phq9_total", "age"] and desc["kind"].tolist() == ["score", "covariate"]
    assert desc["alpha"].iat[0] == 0.8 and np.isnan(desc["alpha"].iat[1])
    assert corr["r"].iat[0] == pytest.approx(np.corrcoef([1, 5, 9, 12], [20, 30, 40, 55])[0, 1])
    with pytest.raises(ConfigError, match="descriptives.variables: 'sex' is not a scale score or numeric"):
        study_descriptives(scores, {**study, "descriptives": {"variables": ["phq9_total", "sex"]}})
