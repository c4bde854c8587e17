"""Longitudinal SEMs (attachstats.stats.latent.longitudinal) against lavaan/semTools and known truth.

Fixtures: tests/fixtures/longitudinal/make_longitudinal_fixtures.R (lavaan 0.6-14, semTools
0.5-6) on the simulated data of make_data.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from attachstats.errors import ModelError
from attachstats.sim.panel_truth import RICLPMTruth, simulate_measurement_waves, simulate_riclpm
from attachstats.stats.latent.longitudinal import (LONG_INVARIANCE_COLUMNS, latent_change, latent_change_syntax,
                                                   longitudinal_invariance, longitudinal_invariance_syntax,
                                                   parcel_items, riclpm, riclpm_syntax)

FIX = ROOT / "tests" / "fixtures" / "longitudinal"
WAVES = ["w1", "w2", "w3"]
FACTORS = {"f1": [f"ecr_{j}" for j in range(1, 5)], "f2": [f"ecr_{j}" for j in range(5, 9)]}
SETS = {"complete_ML": ("invariance_data.csv", "ML", "listwise"),
        "complete_MLR": ("invariance_data.csv", "MLR", "listwise"),
        "missing_FIML": ("invariance_missing_data.csv", "ML", "fiml")}


@pytest.fixture(scope="module")
def invariance_fits():
    out = {}
    for key, (f, est, miss) in SETS.items():
        out[key] = longitudinal_invariance(pd.read_csv(FIX / f), FACTORS, WAVES, estimator=est, missing=miss)
    return out


@pytest.mark.parametrize("key", list(SETS))
def test_invariance_fit_matches_lavaan(invariance_fits, key):
    ref = pd.read_csv(FIX / "invariance_fit.csv")
    ref = ref[ref["set"] == key]
    res = invariance_fits[key]
    for step, fit in res.fits.items():
        r = ref[ref["step"] == step].set_index("measure")["value"]
        fm = fit.fit_measures()
        for m in ("chisq", "df", "cfi", "rmsea", "tli", "srmr"):
            assert fm[m] == pytest.approx(r[m], abs=1e-4), (step, m)
        for m in ("aic", "bic"):
            assert fm[m] == pytest.approx(r[m], rel=1e-7), (step, m)
        if key == "complete_MLR":
            for m in ("chisq.scaled", "cfi.robust", "rmsea.robust"):
                assert fm[m] == pytest.approx(r[m], abs=1e-4), (step, m)


@pytest.mark.parametrize("key", list(SETS))
def test_invariance_loadings_and_lrt_match_lavaan(invariance_fits, key):
    res = invariance_fits[key]
    ref = pd.read_csv(FIX / "invariance_loadings.csv")
    ref = ref[ref["set"] == key]
    mine = res.loadings.assign(lhs=lambda t: t["factor"] + "_" + t["wave"], rhs=lambda t: t["indicator"] + "_" + t["wave"])
    m = mine.merge(ref, on=["step", "lhs", "rhs"], suffixes=("", "_r"))
    assert len(m) == len(ref) == 3 * 24
    np.testing.assert_allclose(m["est"], m["est_r"], atol=1e-4)
    np.testing.assert_allclose(m["se"], m["se_r"], atol=1e-4)
    np.testing.assert_allclose(m["std"], m["std_r"], atol=1e-4)
    lrt = pd.read_csv(FIX / "invariance_lrt.csv")
    lrt = lrt[lrt["set"] == key].set_index("step")
    t = res.table.set_index("step")
    assert list(res.table.columns) == LONG_INVARIANCE_COLUMNS
    assert np.isnan(t.loc["configural", "chi2_diff"])
    for step in ("metric", "scalar"):
        assert t.loc[step, "chi2_diff"] == pytest.approx(lrt.loc[step, "chisq_diff"], abs=1e-4)
        assert t.loc[step, "df_diff"] == lrt.loc[step, "df_diff"]
        assert t.loc[step, "p_diff"] == pytest.approx(lrt.loc[step, "p"], abs=1e-5)


def test_identifications_give_the_same_fit():
    d = pd.read_csv(FIX / "invariance_data.csv")
    a = longitudinal_invariance(d, FACTORS, WAVES, identification="marker").table
    b = longitudinal_invariance(d, FACTORS, WAVES, identification="std.lv").table
    np.testing.assert_allclose(a["chi2"], b["chi2"], rtol=1e-8)
    assert list(a["df"]) == list(b["df"])


def test_noninvariant_intercept_is_detected():
    d = simulate_measurement_waves(1500, waves=3, items=4, factors=1, seed=4, noninvariant=(3, 0.6))
    t = longitudinal_invariance(d, {"f": [f"ecr_{j}" for j in range(1, 5)]}, WAVES).table.set_index("step")
    assert t.loc["metric", "p_diff"] > 0.001
    assert t.loc["scalar", "p_diff"] < 1e-6


def test_syntax_errors_are_clear():
    with pytest.raises(ModelError, match="at least 2 waves"):
        longitudinal_invariance_syntax(FACTORS, ["w1"], "metric")
    with pytest.raises(ModelError, match="unknown step"):
        longitudinal_invariance_syntax(FACTORS, WAVES, "strict")
    with pytest.raises(ModelError, match="at least 3 waves"):
        riclpm_syntax("x", "y", ["w1", "w2"])
    with pytest.raises(ModelError, match="no column"):
        longitudinal_invariance(pd.DataFrame({"ecr_1_w1": [1.0]}), FACTORS, WAVES)


def test_parcels_are_item_means():
    d = pd.read_csv(FIX / "invariance_data.csv")
    p, names = parcel_items(d, FACTORS, WAVES, n_parcels=2)
    assert names["f1"] == ["f1_p1", "f1_p2"]
    np.testing.assert_allclose(p["f1_p1_w2"], d[["ecr_1_w2", "ecr_3_w2"]].mean(axis=1))


@pytest.mark.parametrize("model", ["score", "indicators"])
def test_latent_change_matches_lavaan(model):
    d = pd.read_csv(FIX / "prepost_data.csv")
    ref = pd.read_csv(FIX / "latent_change.csv")
    ref = ref[ref["model"] == model].drop_duplicates("parameter").set_index("parameter")
    if model == "score":
        pre, post = ["ecr_anxiety_w1"], ["ecr_anxiety_w2"]
    else:
        pre, post = [f"ecr_{j}_w1" for j in range(1, 7)], [f"ecr_{j}_w2" for j in range(1, 7)]
    tab, fit, _ = latent_change(d, pre, post, score="ecr_anxiety", pre_wave="w1", post_wave="w2")
    tab = tab.set_index("parameter")
    for p in tab.index:
        for c in ("est", "se", "std"):
            assert tab.loc[p, c] == pytest.approx(ref.loc[p, c], abs=1e-4), (p, c)
    assert fit.fit_measures()["df"] == ref["df"].iloc[0]
    assert fit.fit_measures()["chisq"] == pytest.approx(ref["chisq"].iloc[0], abs=1e-4)
    if model == "score":      # saturated: the latent mean change is the observed mean difference
        diff = (d["ecr_anxiety_w2"] - d["ecr_anxiety_w1"]).mean()
        assert tab.loc["mean_change", "est"] == pytest.approx(diff, abs=1e-6)


def test_latent_change_syntax_pairs_indicators():
    with pytest.raises(ModelError, match="pair up"):
        latent_change_syntax(["a_w1", "b_w1"], ["a_w2"])


def test_riclpm_matches_lavaan():
    d = pd.read_csv(FIX / "riclpm_data.csv")
    tab, fit, _ = riclpm(d, "x", "y", WAVES)
    ref_fit = pd.read_csv(FIX / "riclpm_fit.csv").set_index("measure")["value"]
    fm = fit.fit_measures()
    for m in ("chisq", "df", "cfi", "rmsea", "srmr"):
        assert fm[m] == pytest.approx(ref_fit[m], abs=1e-4), m
    ref = pd.read_csv(FIX / "riclpm_parameters.csv")
    rename = {f"w{v}{k}": f"w{v}_w{k}" for v in "xy" for k in (1, 2, 3)}
    rename.update({"RIx": "RI_x", "RIy": "RI_y"})
    ref = ref.replace({"lhs": rename, "rhs": rename})
    p = fit.parameters()
    m = ref.merge(p, on=["lhs", "op", "rhs"], suffixes=("_r", ""))
    assert len(m) == len(ref)
    np.testing.assert_allclose(m["est"], m["est_r"], atol=1e-4)
    np.testing.assert_allclose(m["se"], m["se_r"], atol=1e-4)
    np.testing.assert_allclose(m["std.all"], m["std"], atol=1e-4)
    assert set(tab["parameter"]) == {"autoregression_x", "autoregression_y", "crosslag_xy", "crosslag_yx",
                                     "within_cov", "ri_var_x", "ri_var_y", "ri_cov"}


def test_riclpm_recovers_the_truth():
    """Large sample, lagged effects held equal over time: every generating value lies within the
    99.9% Wald interval (|est − truth| < 3.29 SE; with seven parameters a 95% interval would miss
    one of them in about a third of samples), and the mean estimate over eight replications is
    within 0.03 of the truth (checked when written; too slow to repeat here)."""
    t = RICLPMTruth()
    d = simulate_riclpm(4000, waves=4, truth=t, seed=21)
    tab, _, _ = riclpm(d, "x", "y", ["w1", "w2", "w3", "w4"], constrained=True)
    truth = {"autoregression_x": t.ar_x, "autoregression_y": t.ar_y, "crosslag_xy": t.cl_xy,
             "crosslag_yx": t.cl_yx, "ri_var_x": t.var_ri_x, "ri_var_y": t.var_ri_y, "ri_cov": t.cov_ri}
    for name, value in truth.items():
        rows = tab[tab["parameter"] == name]
        assert len(rows) >= 1
        for r in rows.itertuples():
            assert abs(r.est - value) < 3.29 * r.se, (name, r.est, r.se, value)
    # the cross-lag of x on y is found, the much smaller reverse one is not confused with it
    xy = tab[tab["parameter"] == "crosslag_xy"].iloc[0]
    assert xy.p < 1e-6


def test_invariance_recovers_the_truth():
    """Invariant population (loadings .8 .7 .6 .75, factor variance 1, latent means 0, −.3, −.6 in SD
    units): under marker identification the metric loadings are λ_j/λ_1 and the scalar model's
    latent means 0.8·(−.3·t); each within 3.29 SE (99.9%) of the truth, and no step rejected."""
    d = simulate_measurement_waves(3000, waves=3, items=4, factors=1, seed=31)
    res = longitudinal_invariance(d, {"f": [f"ecr_{j}" for j in range(1, 5)]}, WAVES)
    lam = [0.8, 0.7, 0.6, 0.75]
    load = res.loadings[(res.loadings["step"] == "metric") & (res.loadings["wave"] == "w1")]
    for r in load.itertuples():
        j = int(r.indicator.split("_")[1]) - 1
        if j:
            assert abs(r.est - lam[j] / lam[0]) < 3.29 * r.se, (r.indicator, r.est)
    p = res.fits["scalar"].parameters()
    for k, w in enumerate(WAVES[1:], start=1):
        row = p[(p["lhs"] == f"f_{w}") & (p["op"] == "~1")].iloc[0]
        assert abs(row["est"] - 0.8 * -0.3 * k) < 3.29 * row["se"], (w, row["est"])
    assert (res.table["p_diff"].dropna() > 0.001).all()


def test_latent_change_recovers_the_truth():
    from attachstats.sim.panel_truth import simulate_prepost

    d = simulate_prepost(3000, effect=-0.5, seed=32)
    tab, _, _ = latent_change(d, ["ecr_anxiety_w1"], ["ecr_anxiety_w2"])
    m = tab.set_index("parameter").loc["mean_change"]
    assert abs(m["est"] + 0.5) < 3.29 * m["se"]
    # true-score change variance + error: Var(t2 − t1) = 1 + 1 − 2·0.7 = 0.6, plus 2·0.9²/6 of error
    v = tab.set_index("parameter").loc["var_change"]
    assert abs(v["est"] - (0.6 + 2 * 0.81 / 6)) < 3.29 * v["se"]
