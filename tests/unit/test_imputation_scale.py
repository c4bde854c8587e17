"""MICE by PMM against R's mice on its own ``nhanes`` data, and equivariance under units.

The deterministic part of a PMM draw (β̂, (X'X)⁻¹, RSS of ``mice:::estimice``) is compared
exactly; the random part cannot share a seed with R, so pooled estimates over 1,000
imputations are compared within Monte Carlo error (fixtures: tests/fixtures/imputation/).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.stats.regression.imputation import least_squares, mice, pool
from attachstats.stats.regression.ols import fit_ols

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "imputation"
NHANES = pd.read_csv(FIX / "nhanes.csv")


def ols_coefficients(data: pd.DataFrame, y: str, xs: list[str]) -> np.ndarray:
    """OLS coefficients (intercept first) by least squares."""
    x = np.c_[np.ones(len(data)), data[xs].to_numpy(float)]
    return np.linalg.lstsq(x, data[y].to_numpy(float), rcond=None)[0]


def test_least_squares_matches_estimice():
    comp = pd.read_csv(FIX / "nhanes_completed.csv")
    ref = pd.read_csv(FIX / "estimice.csv")
    for v in ["bmi", "hyp", "chl"]:
        r = ref[ref["variable"] == v]
        ry = NHANES[v].notna().to_numpy()
        x = np.c_[np.ones(len(comp)), comp.drop(columns=v).to_numpy(float)][ry]
        y = comp[v].to_numpy(float)[ry]
        got = least_squares(x.T @ x, x.T @ y)
        assert not got.ridged
        np.testing.assert_allclose(got.coef, r["coef"], rtol=1e-10)
        np.testing.assert_allclose(got.v, r[["v1", "v2", "v3", "v4"]], rtol=1e-10)
        np.testing.assert_allclose(got.v_chol @ got.v_chol.T, got.v, rtol=1e-12, atol=0)
        assert np.sum((y - x @ got.coef) ** 2) == pytest.approx(r["rss"].iloc[0], rel=1e-10)
        assert len(y) - x.shape[1] == r["df"].iloc[0]


def test_least_squares_ridge_only_when_singular_and_relative_to_each_diagonal():
    rng = np.random.default_rng(3)
    x = np.c_[np.ones(50), rng.normal(size=(50, 2))]
    x = np.c_[x, x[:, 1] * 2 - x[:, 2]]                 # exactly collinear
    y = x[:, 1] + rng.normal(size=50)
    a = least_squares(x.T @ x, x.T @ y)
    scale = np.array([1.0, 1000.0, 1e-3, 50.0])
    xs = x * scale
    b = least_squares(xs.T @ xs, xs.T @ y)
    assert a.ridged and b.ridged
    np.testing.assert_allclose(b.coef * scale, a.coef, rtol=1e-9)
    np.testing.assert_allclose(b.v * np.outer(scale, scale), a.v, rtol=1e-9)


def test_least_squares_does_not_ridge_badly_scaled_but_regular_predictors():
    rng = np.random.default_rng(4)
    x = np.c_[np.ones(200), rng.normal(500, 100, 200), rng.normal(size=200) * 1e-4]
    y = x @ np.array([1.0, 0.002, 3000.0]) + rng.normal(size=200)
    got = least_squares(x.T @ x, x.T @ y)
    assert not got.ridged
    np.testing.assert_allclose(got.coef, np.linalg.lstsq(x, y, rcond=None)[0], rtol=1e-8)


def reaction_time_data(n: int = 400, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Full and incomplete data: a reaction time ``rt`` in ms (mean 600, sd 120), a score ``z``
    and an outcome ``y``; 30 % of ``y`` missing, 10 % of ``rt`` (at random: more often for high ``z``)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    rt = 600 + 120 * (0.5 * z + 0.85 * rng.normal(size=n))
    y = 0.5 * (rt - 600) / 120 + 0.3 * z + rng.normal(size=n)
    full = pd.DataFrame({"y": y, "rt": rt, "z": z})
    d = full.copy()
    d.loc[rng.random(n) < 0.2 / (1 + np.exp(-z)), "rt"] = np.nan
    d.loc[rng.random(n) < 0.3, "y"] = np.nan
    return full, d


@pytest.mark.parametrize("data, column, other", [(NHANES, "chl", "bmi"), (NHANES, "bmi", "chl"),
                                                 (reaction_time_data()[1], "rt", "y")])
@pytest.mark.parametrize("scale", [1 / 38.67, 10.0, 1000.0, 1e-3])
def test_mice_is_equivariant_under_units(data, column, other, scale):
    """Rescaling a variable rescales its imputations and changes nothing else (same generator state)."""
    rescaled = data.assign(**{column: data[column] * scale})
    a = mice(data, m=3, iterations=5, rng=np.random.default_rng(7))
    b = mice(rescaled, m=3, iterations=5, rng=np.random.default_rng(7))
    for da, db in zip(a, b):
        np.testing.assert_allclose(db[column].to_numpy(), da[column].to_numpy() * scale, rtol=1e-12)
        for c in data.columns.drop(column):
            np.testing.assert_array_equal(db[c].to_numpy(), da[c].to_numpy())
        xs = [c for c in data.columns if c != other]
        ca, cb = ols_coefficients(da, other, xs), ols_coefficients(db, other, xs)
        k = xs.index(column) + 1
        np.testing.assert_allclose(cb[k] * scale, ca[k], rtol=1e-9)
        np.testing.assert_allclose(np.delete(cb, k), np.delete(ca, k), rtol=1e-9, atol=1e-12)


def test_mice_recovers_a_reaction_time_coefficient_in_ms():
    """The pooled RT coefficient stays near its full-data value (the old ridge on the intercept
    shrank it by a fifth with RT in ms, not in seconds)."""
    full, d = reaction_time_data(n=2000, seed=12)
    truth = ols_coefficients(full, "y", ["rt", "z"])[1]
    imps = mice(d, m=20, iterations=5, rng=np.random.default_rng(12))
    fits = [fit_ols(i, "y", ["rt", "z"], "rt", robust="nonrobust") for i in imps]
    est = np.array([f.coefficients["b"].to_numpy() for f in fits])
    se = np.array([f.coefficients["se"].to_numpy() for f in fits])
    pooled = pool(est, se, dfcom=fits[0].fit["f_df2"], terms=list(fits[0].coefficients["term"])).set_index("term")
    assert abs(pooled.loc["rt", "estimate"] - truth) < 2 * pooled.loc["rt", "se"]
    assert abs(pooled.loc["rt", "estimate"] / truth - 1) < 0.1


def test_pooled_nhanes_agrees_with_mice_within_monte_carlo_error():
    """mice(nhanes, m = 1000) then lm(chl ~ age + bmi): mean and variance of the 1000 estimates."""
    ref = pd.read_csv(FIX / "pooled_mc.csv")
    ref = ref[ref["chl_scale"] == 1].set_index("term")
    m = int(ref["m"].iloc[0])
    imps = mice(NHANES, m=m, iterations=5, rng=np.random.default_rng(20240601))
    q = np.array([ols_coefficients(i, "chl", ["age", "bmi"]) for i in imps])
    for k, term in enumerate(["(Intercept)", "age", "bmi"]):
        b_r, b_py = ref.loc[term, "b"], q[:, k].var(ddof=1)
        mc_se = np.sqrt((b_r + b_py) / m)                                   # of the difference of the means
        assert abs(q[:, k].mean() - ref.loc[term, "qbar"]) < 4 * mc_se, term
        assert abs(np.log(b_py / b_r)) < 4 * np.sqrt(2 * 2 / (m - 1)), term   # of the log ratio of variances
