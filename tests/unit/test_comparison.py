"""Nested-model comparison against lavaan's ``lavTestLRT`` (fixture: tests/fixtures/factor/)."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.stats.latent.cfa import fit_cfa
from attachstats.stats.latent.syntax import build_model_syntax, method_factor_syntax
from attachstats.stats.latent.comparison import COMPARISON_COLUMNS, compare_models
from attachstats.errors import ModelError

FIX = Path(__file__).resolve().parents[1] / "fixtures"
Q = [f"Q{i}" for i in range(1, 37)]
REVERSED = [f"Q{i}" for i in (3, 15, 19, 22, 25, 27, 29, 31, 33, 35)]
TWO = {"avoidance": Q[0::2], "anxiety": Q[1::2]}
SYNTAX = {"one_factor": build_model_syntax({"attachment": Q}), "two_factor": build_model_syntax(TWO),
          "two_factor_method": method_factor_syntax(TWO, REVERSED)}
PAIRS = [("one_factor", "two_factor"), ("two_factor", "two_factor_method")]


@lru_cache(maxsize=None)
def fits(data: str, estimator: str) -> tuple:
    if data == "ecr":
        d = pd.read_csv(FIX / "cfa" / "ecr_sample.csv")
        return tuple(fit_cfa(d, s, m, estimator=estimator).fit for m, s in SYNTAX.items())
    from test_fiml import fitted as fiml_fit            # the same FIML fits, cached there

    return tuple(fiml_fit("ecr_missing", m).fit for m in ("one_factor", "two_factor"))


def lavaan(data: str, estimator: str) -> pd.DataFrame:
    ref = pd.read_csv(FIX / "factor" / "comparisons.csv")
    return ref[(ref["data"] == data) & (ref["estimator"] == estimator)].reset_index(drop=True)


@pytest.mark.parametrize("data,estimator", [("ecr", "ML"), ("ecr", "MLR"), ("ecr_missing", "FIML")])
def test_likelihood_ratio_tests_match_lavaan(data: str, estimator: str) -> None:
    ref = lavaan(data, estimator)
    pairs = [tuple(r) for r in ref[["restricted", "general"]].to_numpy()]
    tab = compare_models(fits(data, estimator if data == "ecr" else "ML"), pairs)
    assert list(tab.columns) == COMPARISON_COLUMNS
    assert (tab["estimator"] == estimator).all()
    # lavaan gives NA when the scaled difference is undefined (negative c_d). The scaled
    # difference amplifies the scaling factors' last digits (by df/Δdf ≈ 60), so it is only
    # as precise as the two fits' convergence; the formula itself is checked exactly on
    # lavaan's own numbers below
    np.testing.assert_allclose(tab["chi2_diff"], ref["chi2_diff"], rtol=1e-5)
    assert (tab["df_diff"] == ref["df_diff"]).all()
    np.testing.assert_allclose(tab["p"], ref["p"], atol=1e-10)


def test_scaled_difference_formula_on_lavaans_own_statistics() -> None:
    fm = pd.read_csv(FIX / "factor" / "fit_measures.csv")
    fm = fm[(fm["data"] == "ecr") & (fm["estimator"] == "MLR")]
    fits_lav = [{"model": r["model"], "estimator": "MLR", "n": r["ntotal"], "df": r["df"],
                 "chi2": r["chisq.scaled"], "chi2_ml": r["chisq"],
                 "scaling_factor": r["chisq.scaling.factor"], "aic": r["aic"], "bic": r["bic"],
                 "cfi": r["cfi.robust"], "tli": r["tli.robust"], "rmsea": r["rmsea.robust"],
                 "srmr": r["srmr"]} for _, r in fm.iterrows()]
    tab = compare_models(fits_lav, PAIRS)
    ref = lavaan("ecr", "MLR")
    np.testing.assert_allclose(tab["chi2_diff"], ref["chi2_diff"], rtol=1e-12)


def test_undefined_scaled_difference_is_nan_not_hidden() -> None:
    tab = compare_models(fits("ecr", "MLR"), PAIRS)
    first = tab.iloc[0]
    assert first["scaling_diff"] < 0 and math.isnan(first["chi2_diff"]) and math.isnan(first["p"])
    assert tab.iloc[1]["scaling_diff"] > 0


def test_fit_differences_are_restricted_minus_general() -> None:
    f = {r["model"]: r for r in fits("ecr", "ML")}
    tab = compare_models(fits("ecr", "ML"), PAIRS).set_index("restricted")
    row = tab.loc["one_factor"]
    for k in ("aic", "bic", "cfi", "tli", "rmsea", "srmr"):
        assert row[f"delta_{k}"] == f["one_factor"][k] - f["two_factor"][k]
    assert row["delta_cfi"] < 0 and row["delta_aic"] > 0       # one factor fits worse
    # ML: Δχ² = 2 (logL_general − logL_restricted)
    assert row["chi2_diff"] == pytest.approx(2 * (f["two_factor"]["loglik"] - f["one_factor"]["loglik"]),
                                             rel=1e-8)


def test_comparison_errors() -> None:
    ml = fits("ecr", "ML")
    with pytest.raises(ModelError, match="no fitted model named nope"):
        compare_models(ml, [("nope", "two_factor")])
    with pytest.raises(ModelError, match="is not more restricted"):
        compare_models(ml, [("two_factor", "one_factor")])
    with pytest.raises(ModelError, match="different estimators"):
        compare_models([ml[0], fits("ecr", "MLR")[1]], [("one_factor", "two_factor")])
