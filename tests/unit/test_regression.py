"""attachstats.stats.regression.ols against lm + sandwich + lmtest (fixtures: tests/fixtures/regression)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.errors import ModelError
from attachstats.stats.regression.design import build_design
from attachstats.stats.regression.ols import OLSResult, fit_ols, fit_table, regression_table

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "regression"
DATA = pd.read_csv(FIX / "data.csv")
MODELS = json.loads((FIX / "models.json").read_text(encoding="utf-8"))
COEF_REF = pd.read_csv(FIX / "coefficients.csv")
FIT_REF = pd.read_csv(FIX / "fit.csv").set_index("model")
COEF_COLUMNS = ["model", "outcome", "family", "term", "b", "se", "ci_lo", "ci_hi", "beta",
                "stat", "p", "n"]
OLS_FIT_COLUMNS = ["model", "outcome", "n", "r2", "adj_r2", "f", "f_df1", "f_df2", "f_p", "aic",
               "bic", "sigma"]
# R values are stored with 15 significant digits and agree to ~1e-12: far inside the 0.001
# the brief asks for, so the tolerance is tight enough to catch an HC1-for-HC3 slip.
TOL = dict(rtol=1e-7, atol=1e-7)
COV_TYPES = ["HC3", "HC2", "HC1", "HC0", "nonrobust"]


def _fit(model: dict, **kw) -> OLSResult:
    return fit_ols(DATA, model["outcome"], model["predictors"], model["name"], **kw)


def test_fixture_data_has_awkward_names_a_string_factor_and_missing_values():
    assert {"anx score", "avoid-score", "gender"} <= set(DATA.columns)
    assert sorted(DATA["gender"].dropna().unique()) == ["female", "male", "other"]
    assert DATA.isna().sum().min() > 0


@pytest.mark.parametrize("level", [0.95, 0.90])
@pytest.mark.parametrize("cov_type", COV_TYPES)
@pytest.mark.parametrize("model", MODELS, ids=[m["name"] for m in MODELS])
def test_coefficients_match_r(model, cov_type, level):
    res = _fit(model, robust=cov_type, ci=level)
    ref = COEF_REF[(COEF_REF["model"] == model["name"]) & (COEF_REF["cov_type"] == cov_type)
                   & np.isclose(COEF_REF["level"], level)].reset_index(drop=True)
    got = res.coefficients
    assert list(got.columns) == COEF_COLUMNS
    assert list(got["term"]) == list(ref["term"])
    assert (got["model"] == model["name"]).all() and (got["outcome"] == model["outcome"]).all()
    assert (got["family"] == "ols").all()
    assert list(got["n"]) == list(ref["n"])
    for col in ["b", "se", "ci_lo", "ci_hi", "beta", "stat", "p"]:
        np.testing.assert_allclose(got[col].to_numpy(float), ref[col].to_numpy(float),
                                   err_msg=col, equal_nan=True, **TOL)
    # p values far below 0.001 are compared on the log scale as well
    np.testing.assert_allclose(np.log(got["p"].to_numpy(float)), np.log(ref["p"].to_numpy(float)),
                               rtol=1e-6)
    assert res.cov_type == cov_type


def test_hc3_is_the_default_and_differs_from_classical():
    model = next(m for m in MODELS if m["name"] == "m2_full")
    default = _fit(model).coefficients
    hc3 = _fit(model, robust="HC3").coefficients
    classic = _fit(model, robust="nonrobust").coefficients
    pd.testing.assert_frame_equal(default, hc3)
    # the fixture's errors are heteroscedastic: robust and classical SEs must differ
    assert np.abs(hc3["se"] / classic["se"] - 1).max() > 0.05


@pytest.mark.parametrize("model", MODELS, ids=[m["name"] for m in MODELS])
def test_fit_statistics_match_r(model):
    res = _fit(model)
    ref = FIT_REF.loc[model["name"]]
    assert list(res.fit) == OLS_FIT_COLUMNS
    assert res.fit["model"] == model["name"] and res.fit["outcome"] == model["outcome"]
    assert res.n == res.fit["n"] == ref["n"]
    assert res.n_missing == ref["n_missing"]
    assert res.n + res.n_missing == len(DATA)
    for key in ["r2", "adj_r2", "sigma"]:
        assert res.fit[key] == pytest.approx(ref[key], rel=1e-7, abs=1e-7), key
    for key in ["aic", "bic"]:
        assert res.fit[key] == pytest.approx(ref[key], rel=1e-6, abs=0), key
    if model["predictors"]:
        for key in ["f", "f_df1", "f_df2", "f_p"]:
            assert res.fit[key] == pytest.approx(ref[key], rel=1e-7, abs=1e-12), key
    else:  # R's summary.lm has no F statistic for an intercept-only model
        assert np.isnan(res.fit["f"]) and np.isnan(res.fit["f_p"]) and np.isnan(ref["f"])


def test_tables_stack_models_in_order():
    results = [_fit(m) for m in MODELS]
    coefs = regression_table(results)
    fits = fit_table(results)
    assert list(coefs.columns) == COEF_COLUMNS
    assert list(fits.columns) == OLS_FIT_COLUMNS
    assert list(fits["model"]) == [m["name"] for m in MODELS]
    assert list(coefs["model"].unique()) == [m["name"] for m in MODELS]
    assert len(coefs) == sum(len(r.coefficients) for r in results)
    intercepts = coefs[coefs["term"] == "(Intercept)"]
    assert len(intercepts) == len(MODELS) and intercepts["beta"].isna().all()
    assert regression_table([]).columns.tolist() == COEF_COLUMNS
    assert fit_table([]).columns.tolist() == OLS_FIT_COLUMNS


# ---- design matrix --------------------------------------------------------------------------

def test_dummy_names_and_reference_level():
    y, X, n_missing = build_design(DATA, "y", ["gender", "anx score"], "m")
    assert list(X.columns) == ["(Intercept)", "gender[T.male]", "gender[T.other]", "anx score"]
    assert n_missing == int(DATA[["y", "gender", "anx score"]].isna().any(axis=1).sum())
    female = DATA.loc[X.index, "gender"] == "female"
    assert (X.loc[female, ["gender[T.male]", "gender[T.other]"]] == 0).all().all()
    assert len(y) == len(X) and not X.isna().any().any()


def test_categorical_dtype_uses_its_declared_level_order():
    data = DATA.copy()
    data["gender"] = pd.Categorical(data["gender"], categories=["other", "male", "female"])
    res = fit_ols(data, "y", ["gender"], "m")
    assert list(res.coefficients["term"]) == ["(Intercept)", "gender[T.male]",
                                              "gender[T.female]"]
    ref = _fit({"name": "m", "outcome": "y", "predictors": ["gender"]})
    assert res.fit["r2"] == pytest.approx(ref.fit["r2"], rel=1e-12)


def test_boolean_and_nullable_columns():
    rng = np.random.default_rng(3)
    n = 300
    data = pd.DataFrame({"flag": rng.random(n) < 0.4, "x": pd.array(rng.integers(0, 9, n),
                                                                        dtype="Int64")})
    data["y"] = 1 + 0.5 * data["flag"] + 0.2 * data["x"].astype(float) + rng.normal(size=n)
    data.loc[[0, 5], "x"] = pd.NA
    res = fit_ols(data, "y", ["flag", "x"], "m")
    assert list(res.coefficients["term"]) == ["(Intercept)", "flag[T.True]", "x"]
    assert res.n == n - 2 and res.n_missing == 2


def test_column_names_are_never_evaluated():
    rng = np.random.default_rng(4)
    names = ["np.log(x)", "__import__('os').getcwd()", "a + b", "y ~ x"]
    data = pd.DataFrame(rng.normal(size=(50, 4)), columns=names)
    data["out come"] = data @ np.ones(4) + rng.normal(size=50)
    res = fit_ols(data, "out come", names, "weird")
    assert list(res.coefficients["term"]) == ["(Intercept)"] + names
    assert res.coefficients["b"].iloc[1:].between(0.5, 1.5).all()


# ---- errors ---------------------------------------------------------------------------------

def test_missing_predictor_names_model_column_and_available_columns():
    with pytest.raises(ModelError) as exc:
        fit_ols(DATA, "y", ["anx score", "avoid score"], "m_typo")
    msg = str(exc.value)
    assert "m_typo" in msg and "'avoid score'" in msg
    assert "available columns" in msg and "'avoid-score'" in msg and "'gender'" in msg


def test_missing_outcome_names_the_column():
    with pytest.raises(ModelError, match="'depression'"):
        fit_ols(DATA, "depression", ["age"], "m")


def test_fewer_rows_than_parameters():
    with pytest.raises(ModelError, match="m_small.*complete row"):
        fit_ols(DATA.head(4), "y", ["anx score", "avoid-score", "age", "gender"], "m_small")


def test_non_numeric_outcome():
    with pytest.raises(ModelError, match="'gender'.*numeric"):
        fit_ols(DATA, "gender", ["age"], "m")


def test_single_level_factor():
    data = DATA[DATA["gender"] == "female"]
    with pytest.raises(ModelError, match="'gender'.*two levels"):
        fit_ols(data, "y", ["gender"], "m")


def test_collinear_predictor_is_named():
    data = DATA.assign(**{"anx x2": DATA["anx score"] * 2})
    with pytest.raises(ModelError, match="'anx x2'"):
        fit_ols(data, "y", ["anx score", "anx x2"], "m")


@pytest.mark.parametrize("kwargs, pattern", [
    ({"robust": "HC5"}, "robust"),
    ({"ci": 95}, "ci"),
])
def test_bad_options(kwargs, pattern):
    with pytest.raises(ModelError, match=pattern):
        fit_ols(DATA, "y", ["age"], "m", **kwargs)


@pytest.mark.parametrize("predictors", ["age", ["age", "age"], ["y"]])
def test_bad_predictor_lists(predictors):
    with pytest.raises(ModelError):
        fit_ols(DATA, "y", predictors, "m")


# ---- simulation with known truth ------------------------------------------------------------

def _simulate(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, dict[str, float]]:
    truth = {"(Intercept)": 1.0, "anx score": 0.4, "avoid-score": -0.25,
             "group[T.b]": 0.3, "group[T.c]": -0.5}
    x1 = rng.normal(size=n)
    x2 = 0.4 * x1 + rng.normal(size=n)
    g = rng.choice(np.array(["a", "b", "c"]), size=n, p=[0.5, 0.3, 0.2])
    mu = (truth["(Intercept)"] + truth["anx score"] * x1 + truth["avoid-score"] * x2
          + truth["group[T.b]"] * (g == "b") + truth["group[T.c]"] * (g == "c"))
    y = mu + rng.normal(size=n) * (0.3 + np.abs(x1))      # heteroscedastic errors
    return pd.DataFrame({"y": y, "anx score": x1, "avoid-score": x2, "group": g}), truth


def test_large_sample_recovers_truth():
    data, truth = _simulate(np.random.default_rng(11), 50_000)
    coefs = fit_ols(data, "y", ["anx score", "avoid-score", "group"], "sim").coefficients
    coefs = coefs.set_index("term")
    assert list(coefs.index) == list(truth)
    for term, value in truth.items():
        assert coefs.loc[term, "ci_lo"] < value < coefs.loc[term, "ci_hi"], term
        assert coefs.loc[term, "b"] == pytest.approx(value, abs=0.03), term


def test_hc3_intervals_keep_their_coverage_under_heteroscedasticity():
    """With error variance growing in |x|, HC3 intervals cover; classical ones undercover."""
    rng = np.random.default_rng(12)
    reps, n, slope = 400, 120, 0.4
    hits = {"HC3": 0, "nonrobust": 0}
    for _ in range(reps):
        x = rng.normal(size=n)
        data = pd.DataFrame({"x": x, "y": 1 + slope * x + rng.normal(size=n) * (0.3 + np.abs(x))})
        for robust in hits:
            c = fit_ols(data, "y", ["x"], "sim", robust=robust).coefficients
            hits[robust] += bool(c["ci_lo"].iloc[1] < slope < c["ci_hi"].iloc[1])
    coverage = {k: v / reps for k, v in hits.items()}
    assert 0.92 <= coverage["HC3"] <= 0.98, coverage
    assert coverage["nonrobust"] < coverage["HC3"] - 0.04, coverage


def test_aliasing_is_rs_rule_whatever_the_sample_size():
    """R's lm: a column is aliased when it adds no direction (|R_jj| < 1e-7 on unit-length
    columns); strongly correlated predictors in a large sample are not aliased."""
    rng = np.random.default_rng(3)
    n = 200_000
    x1 = rng.normal(size=n)
    d = pd.DataFrame({"x1": x1, "x2": x1 + 0.01 * rng.normal(size=n), "x3": rng.normal(size=n)})
    d["y"] = d["x1"] + d["x3"] + rng.normal(size=n)
    res = fit_ols(d, "y", ["x1", "x2", "x3"], "m")        # r(x1, x2) = .99995: still estimable
    assert res.coefficients["b"].notna().all()
    with pytest.raises(ModelError, match="'x4'"):
        fit_ols(d.assign(x4=d["x1"] - 2 * d["x3"]), "y", ["x1", "x3", "x4"], "m")


@pytest.mark.parametrize("cov_type", COV_TYPES)
def test_least_squares_fit_equals_statsmodels_on_an_uncentred_design(cov_type):
    """The QR fit (one refinement step) and its sandwich covariance equal statsmodels' pinv
    fit on a design with an uncentred covariate and an interaction (condition number ~1e3)."""
    from statsmodels.regression.linear_model import OLS

    from attachstats.stats.regression.ols import least_squares_fit

    rng = np.random.default_rng(21)
    n = 5_000
    age, g, x = rng.normal(40, 12, n), rng.integers(0, 2, n), rng.normal(3, 1, n)
    X = np.column_stack([np.ones(n), age, g, x, g * x])
    y = X @ [1.0, 0.02, -0.5, 0.3, 0.2] + rng.normal(size=n) * (1 + g)
    b, cov, ssr = least_squares_fit(y, X, cov_type)
    fit = OLS(y, X).fit()
    ref = fit if cov_type == "nonrobust" else fit.get_robustcov_results(cov_type=cov_type)
    np.testing.assert_allclose(b, ref.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cov, ref.cov_params(), rtol=1e-9, atol=1e-15)
    assert ssr == pytest.approx(fit.ssr, rel=1e-12)
