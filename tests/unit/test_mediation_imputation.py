"""Mediation (paths against R, bootstrap against a loop and known truth) and MICE + Rubin's rules
(pooling against mice::pool on the same completed data sets)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.errors import ModelError
from attachstats.stats.regression.glm import fit_glm
from attachstats.stats.regression.imputation import POOL_COLUMNS, mice, pool, pool_r2
from attachstats.stats.bootstrap import resample_counts
from attachstats.stats.regression.mediation import MEDIATION_COLUMNS, bootstrap_indirect, fit_mediation
from attachstats.spec.models import MediationSpec, parse_outcome_model
from attachstats.stats.regression.outcomes import fit_outcome_model
from attachstats.stats.regression.design import build_design
from attachstats.stats.regression.ols import fit_ols

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "outcomes"
DATA = pd.read_csv(FIX / "data.csv")
SPEC = MediationSpec("med", x="avoid-score", mediator="anx score", outcome="y", covariates=("age",),
                     bootstrap=2000)


def test_mediation_paths_match_r():
    ref = pd.read_csv(FIX / "mediation.csv").set_index("path")
    got = fit_mediation(DATA, SPEC, np.random.default_rng(1))
    assert list(got.columns) == MEDIATION_COLUMNS
    assert got["path"].tolist() == ["a", "b", "c", "c_prime", "indirect"]
    g = got.set_index("path")
    for path in ["a", "b", "c", "c_prime"]:
        for col in ["estimate", "se", "stat", "p", "ci_lo", "ci_hi"]:
            assert g.loc[path, col] == pytest.approx(ref.loc[path, col], rel=1e-7), (path, col)
    assert g.loc["indirect", "estimate"] == pytest.approx(ref.loc["indirect", "estimate"], rel=1e-10)
    assert (g["n"] == ref["n"].iloc[0]).all()
    # OLS identity: total = direct + indirect
    assert g.loc["c", "estimate"] == pytest.approx(g.loc["c_prime", "estimate"] + g.loc["indirect", "estimate"])
    assert g.loc["indirect", "ci_method"] == "percentile bootstrap" and g.loc["indirect", "n_boot"] == 2000


def test_vectorised_bootstrap_equals_a_loop_over_resamples():
    d = DATA.dropna(subset=["y", "avoid-score", "anx score", "age"]).reset_index(drop=True)
    x, m, y = (d[c].to_numpy(float) for c in ("avoid-score", "anx score", "y"))
    cov = d[["age"]].to_numpy(float)
    fast = bootstrap_indirect(x, m, y, cov, 60, np.random.default_rng(7))
    counts = resample_counts(len(d), 60, np.random.default_rng(7)).astype(int)
    slow = []
    for r in (np.repeat(np.arange(len(d)), w) for w in counts):
        a = fit_ols(d.iloc[r].reset_index(drop=True), "anx score", ["avoid-score", "age"], "a",
                    robust="nonrobust").coefficients["b"].iloc[1]
        b = fit_ols(d.iloc[r].reset_index(drop=True), "y", ["avoid-score", "anx score", "age"], "b",
                    robust="nonrobust").coefficients["b"].iloc[2]
        slow.append(a * b)
    np.testing.assert_allclose(fast, slow, rtol=1e-9)


def test_bootstrap_is_seeded():
    a = fit_mediation(DATA, SPEC, np.random.default_rng(11))
    b = fit_mediation(DATA, SPEC, np.random.default_rng(11))
    c2 = fit_mediation(DATA, SPEC, np.random.default_rng(12))
    pd.testing.assert_frame_equal(a, b)
    assert a["ci_lo"].iloc[-1] != c2["ci_lo"].iloc[-1]


def test_bootstrap_interval_covers_the_true_indirect_effect():
    """Known truth: a = 0.4, b = 0.3; 40 seeded data sets of 200 rows, 95% interval covers ab = 0.12."""
    covered = 0
    for r in range(40):
        rng = np.random.default_rng([2024, r])
        x = rng.normal(size=200)
        m = 0.4 * x + rng.normal(size=200)
        y = 0.3 * m + 0.1 * x + rng.normal(size=200)
        tab = fit_mediation(pd.DataFrame({"x": x, "m": m, "y": y}),
                            MediationSpec("t", "x", "m", "y", bootstrap=1000), rng).set_index("path")
        covered += tab.loc["indirect", "ci_lo"] < 0.12 < tab.loc["indirect", "ci_hi"]
    assert covered >= 34   # P(X >= 34 | n = 40, p = .95) > .99


# ---- MICE and Rubin's rules ------------------------------------------------------------------

def _completed() -> list[pd.DataFrame]:
    long = pd.read_csv(FIX / "mice_completed.csv")
    return [g.drop(columns=[".imp", ".id"]).reset_index(drop=True) for _, g in long.groupby(".imp")]


def test_pool_matches_mice_pool_for_lm_and_glm():
    ref = pd.read_csv(FIX / "mice_pool.csv")
    sets = _completed()
    assert len(sets) == 5
    fits = [fit_ols(d, "y", ["anx score", "avoid-score", "age", "gender"], "lm", robust="nonrobust") for d in sets]
    est = np.array([f.coefficients["b"] for f in fits])
    se = np.array([f.coefficients["se"] for f in fits])
    got = pool(est, se, dfcom=fits[0].fit["f_df2"], terms=list(fits[0].coefficients["term"]))
    r = ref[ref["model"] == "lm"].reset_index(drop=True)
    assert list(got.columns) == POOL_COLUMNS and list(got["term"]) == list(r["term"])
    for col in POOL_COLUMNS[1:]:
        np.testing.assert_allclose(got[col], r[col], rtol=1e-7, err_msg=col)
    # logistic regression: dfcom = n - k as mice takes df.residual(glm)
    glm_fits = []
    for d in sets:
        y = (d["y"] >= 4).astype(float)
        X = pd.DataFrame({"(Intercept)": 1.0, "anx score": d["anx score"], "age": d["age"]})
        glm_fits.append(fit_glm(y, X, "logit", "logit"))
    got = pool(np.array([g.b for g in glm_fits]), np.array([g.se for g in glm_fits]),
               dfcom=glm_fits[0].fit["df_resid"], terms=["(Intercept)", "anx score", "age"])
    r = ref[ref["model"] == "logit"].reset_index(drop=True)
    for col in POOL_COLUMNS[1:]:
        # R's glm computes the covariance from the weights of its last-but-one IRLS step: SEs differ
        # by ~1e-6 relative, p values of 1e-14 by ~3e-5 relative (still far inside 0.001)
        np.testing.assert_allclose(got[col], r[col], rtol=1e-4, atol=1e-12, err_msg=col)


def test_pool_r2_matches_pool_r_squared():
    ref = pd.read_csv(FIX / "mice_r2.csv").iloc[0]
    fits = [fit_ols(d, "y", ["anx score", "avoid-score", "age", "gender"], "lm") for d in _completed()]
    assert pool_r2([f.fit["r2"] for f in fits]) == pytest.approx(ref["r2"], rel=1e-10)
    assert pool_r2([f.fit["adj_r2"] for f in fits]) == pytest.approx(ref["adj_r2"], rel=1e-10)


def test_mice_imputes_observed_values_reproducibly():
    d = DATA[["y", "anx score", "avoid-score", "age", "count_nb"]]
    a = mice(d, m=3, iterations=5, rng=np.random.default_rng(5))
    b = mice(d, m=3, iterations=5, rng=np.random.default_rng(5))
    assert len(a) == 3
    for x, z in zip(a, b):
        pd.testing.assert_frame_equal(x, z)
        assert not x.isna().any().any()
        pd.testing.assert_frame_equal(x[d.notna().all(axis=1)], d[d.notna().all(axis=1)].astype(float),
                                      check_dtype=False)
        for c in d.columns:               # PMM imputes values that occur in the data
            miss = d[c].isna()
            assert set(x.loc[miss, c]) <= set(d[c].dropna())
    assert not a[0].equals(a[1])


def test_mice_refuses_to_impute_a_categorical_column():
    with pytest.raises(ModelError, match="imputing the categorical variable 'gender'"):
        mice(DATA[["y", "gender"]], m=2, iterations=1, rng=np.random.default_rng(1), name="m")


def test_outcome_model_with_mice_recovers_truth_under_mar():
    """Known truth y = 1 + 0.5 x1 - 0.3 x2 + e; x1 missing at random (more often when x2 is high)."""
    rng = np.random.default_rng(99)
    n = 800
    x2 = rng.normal(size=n)
    x1 = 0.5 * x2 + rng.normal(size=n)
    y = 1 + 0.5 * x1 - 0.3 * x2 + rng.normal(size=n)
    x1m = x1.copy()
    x1m[rng.random(n) < 1 / (1 + np.exp(-(x2 - 0.5)))] = np.nan
    d = pd.DataFrame({"y": y, "x1": x1m, "x2": x2})
    spec = parse_outcome_model({"name": "mi", "outcome": "y", "predictors": ["x1", "x2"],
                                "missing": {"method": "mice", "m": 10, "iterations": 5}})
    res = fit_outcome_model(d, spec, seed=3)
    c = res.coefficients.set_index("term")
    assert res.fit["missing"] == "mice" and res.fit["imputations"] == 10 and res.fit["n"] == n
    for term, true in (("x1", 0.5), ("x2", -0.3)):
        assert c.loc[term, "ci_lo"] < true < c.loc[term, "ci_hi"], term
    # same seed, same tables; and the pooled SE exceeds the complete-data SE of one imputation
    again = fit_outcome_model(d, spec, seed=3)
    pd.testing.assert_frame_equal(res.coefficients, again.coefficients)
    pooled = res.extra["pooled"].set_index("term")
    assert (pooled["t"] > pooled["ubar"]).all()
    assert res.extra["samples"].query("reason == 'imputed'")["n"].sum() == np.isnan(x1m).sum()
    assert build_design(d, "y", ["x1", "x2"], "cc")[2] == np.isnan(x1m).sum()


def test_pmm_donors_are_the_nearest_and_ties_are_shared_at_random():
    from attachstats.stats.regression.imputation import _nearest_donors

    rng = np.random.default_rng(11)
    obs, mis = rng.normal(size=2000), rng.normal(size=300) * 1.5
    picked = _nearest_donors(obs, mis, 5, np.random.default_rng(3))
    dist = np.abs(mis[:, None] - obs[None, :])
    fifth = np.sort(dist, axis=1)[:, 4]
    assert np.all(dist[np.arange(len(mis)), picked] <= fifth)        # one of the 5 nearest (brute force)
    # 40 donors share one prediction: over draws, each of them is picked about equally often
    tied = np.r_[np.zeros(40), np.arange(1, 100.0)]
    g = np.random.default_rng(4)
    counts = np.bincount(np.concatenate([_nearest_donors(tied, np.full(10, -0.2), 5, g) for _ in range(2000)]),
                         minlength=139)
    assert counts[40:].sum() == 0
    assert counts[:40].min() > 0.5 * 500 and counts[:40].max() < 1.5 * 500


def test_threads_do_not_change_imputations_or_bootstrap():
    d = DATA[["y", "anx score", "avoid-score", "age"]]
    one = mice(d, m=4, iterations=3, rng=np.random.default_rng(8))
    two = mice(d, m=4, iterations=3, rng=np.random.default_rng(8), threads=2)
    for a, b in zip(one, two):
        pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(fit_mediation(DATA, SPEC, np.random.default_rng(3)),
                                  fit_mediation(DATA, SPEC, np.random.default_rng(3), threads=2))
