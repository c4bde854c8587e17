"""WLSMV chi-square difference tests (lavaan ``lavTestLRT``, method satorra.2000) against lavaan.

Fixtures: tests/fixtures/ordinal/make_ordinal_lrt_fixtures.R — the four ordinal invariance
steps by gender on the 2,000-row ECR sample (8 items), and one group with and without a
residual covariance.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

import attachstats
from attachstats.errors import ModelError
from attachstats.stats.latent.comparison import wlsmv_difference_test, wlsmv_lrt
from attachstats.stats.latent.ordinal import fit_ordinal_cfa
from attachstats.stats.latent.ordinal_invariance import ordinal_invariance_steps

FIX = ROOT / "tests" / "fixtures" / "ordinal"


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(FIX / "ecr_sample.csv")


@pytest.fixture(scope="module")
def steps(sample):
    ref = json.loads((FIX / "lrt_invariance.json").read_text())
    return ordinal_invariance_steps(ref["model"], sample[sample["gender"].isin([1, 2])], "gender")


def _num(v):
    return math.nan if v == "NA" else float(v)


def test_invariance_sequence_matches_lavtestlrt(steps):
    ref = json.loads((FIX / "lrt_invariance.json").read_text())
    got = wlsmv_lrt(steps)
    want = pd.DataFrame(ref["sequence"])
    assert got["model"].tolist() == want["model"].tolist()
    assert got["df"].tolist() == want["df"].tolist()
    np.testing.assert_allclose(got["chisq"], want["chisq"], rtol=1e-6)
    for col in ("chisq_diff", "df_diff", "pvalue"):
        w = want[col].map(_num).to_numpy()
        assert math.isnan(got[col].iloc[0]) and math.isnan(w[0])
        np.testing.assert_allclose(got[col].to_numpy()[1:], w[1:], rtol=1e-6, atol=1e-6, err_msg=col)


@pytest.mark.parametrize("pair", ["configural_thresholds", "thresholds_metric", "metric_scalar",
                                  "configural_metric", "configural_scalar"])
def test_pair_scaling_and_shift_match_lavaan(steps, pair):
    ref = json.loads((FIX / "lrt_invariance.json").read_text())["pairs"][pair]
    general, restricted = pair.split("_")
    t = wlsmv_difference_test(steps[restricted], steps[general])
    for key in ("a", "b", "trace_ug", "trace_ug2"):
        assert t[key] == pytest.approx(ref[key], rel=1e-6, abs=1e-7), key
    assert t["df_diff"] == ref["df_diff"]
    assert t["chisq_diff"] == pytest.approx(ref["chisq_diff"], rel=1e-6)
    assert t["pvalue"] == pytest.approx(ref["pvalue"], rel=1e-5)


def test_one_group_nested_models_match_lavaan(sample):
    ref = json.loads((FIX / "lrt_single.json").read_text())
    g = fit_ordinal_cfa(ref["general"], sample)
    r = fit_ordinal_cfa(ref["restricted"], sample)
    t = wlsmv_difference_test(r, g)
    assert t["df_diff"] == 1
    for key in ("chisq_diff", "a", "trace_ug", "trace_ug2"):
        assert t[key] == pytest.approx(ref["pair"][key], rel=1e-6), key
    assert t["pvalue"] == pytest.approx(ref["pair"]["pvalue"], rel=1e-5)
    assert abs(t["b"]) < 1e-9                    # one df: the shift vanishes (lavaan 1e-14)


def test_public_lrt_through_sem(sample):
    ref = json.loads((FIX / "lrt_single.json").read_text())
    g = attachstats.sem(ref["general"], sample, ordered=True)
    r = attachstats.sem(ref["restricted"], sample, ordered=True)
    t = attachstats.lrt(r, g, names=["restricted", "general"])      # any order: sorted by df
    assert t["model"].tolist() == ["general", "restricted"]
    assert t.loc[1, "chisq_diff"] == pytest.approx(ref["pair"]["chisq_diff"], rel=1e-6)
    assert t.loc[0, "chisq"] == pytest.approx(ref["chisq"][0], rel=1e-6)


def test_lrt_refuses_what_it_cannot_test(sample, steps):
    ref = json.loads((FIX / "lrt_single.json").read_text())
    g = fit_ordinal_cfa(ref["general"], sample)
    with pytest.raises(ModelError, match="different items, groups or rows"):
        wlsmv_difference_test(steps["metric"], g)
    with pytest.raises(ModelError, match="not more restricted"):
        wlsmv_difference_test(steps["configural"], steps["metric"])
    same = wlsmv_difference_test(steps["metric"], steps["metric"])      # equal df: lavaan's no-test branch
    assert same["df_diff"] == 0 and same["chisq_diff"] == 0 and math.isnan(same["pvalue"])
    r_other_rows = fit_ordinal_cfa(ref["restricted"], sample.iloc[:1500])
    with pytest.raises(ModelError, match="different items, groups or rows"):
        wlsmv_difference_test(r_other_rows, g)
    with pytest.raises(ModelError, match="not a WLSMV fit"):
        wlsmv_difference_test({"chisq": 1.0}, g)
    cont = sample[["Q1", "Q3", "Q5", "Q7"]].astype(float)
    with pytest.raises(ModelError, match="mix ordinal"):
        attachstats.lrt(g, attachstats.sem("f =~ Q1 + Q3 + Q5 + Q7", cont))


@pytest.mark.parametrize("missing", ["listwise", "fiml"])
def test_ml_and_mlr_lrt_equal_compare_models(missing):
    name = "holzinger_swineford.csv" if missing == "listwise" else "hs_missing.csv"
    hs = pd.read_csv(ROOT / "tests" / "fixtures" / "lavaan_syntax" / name)
    m2 = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"
    for est in ("ML", "MLR"):
        g = attachstats.sem(m2, hs, estimator=est, missing=missing)
        r = attachstats.sem(m2 + "\nvisual ~~ 0*textual", hs, estimator=est, missing=missing)
        t = attachstats.lrt(g, r)
        fg, fr = g.fit_measures(), r.fit_measures()
        if est == "ML":
            assert t.loc[1, "chisq_diff"] == pytest.approx(fr["chisq"] - fg["chisq"], rel=1e-12)
        else:
            cd = (fr["df"] * fr["chisq.scaling.factor"] - fg["df"] * fg["chisq.scaling.factor"]) / 1
            assert t.loc[1, "chisq_diff"] == pytest.approx((fr["chisq"] - fg["chisq"]) / cd, rel=1e-12)


def test_equivalent_thresholds_step_of_three_category_items(sample):
    """Three categories: the thresholds step only re-identifies the configural model (Δdf = 0,
    same χ²); lavaan's lavTestLRT reports the difference on 0 df without a p value."""
    ref = json.loads((FIX / "lrt_invariance.json").read_text())
    d = sample[sample["gender"].isin([1, 2])].copy()
    for v in ref["items"]:
        d[v] = np.digitize(d[v], [2.5, 3.5])
    t = wlsmv_lrt(ordinal_invariance_steps(ref["model"], d, "gender", steps=["configural", "thresholds", "metric"]))
    assert t["df"].tolist()[0] == t["df"].tolist()[1] and t.loc[1, "df_diff"] == 0
    assert abs(t.loc[1, "chisq_diff"]) < 1e-6 and math.isnan(t.loc[1, "pvalue"])
    assert t.loc[2, "df_diff"] == 6 and np.isfinite(t.loc[2, "pvalue"])


@pytest.mark.parametrize("case", ["holzinger_swineford", "hs_missing"])
def test_mlr_lrt_matches_lavaan(case):
    """MLR (complete data; FIML on the data with missing values): lavTestLRT's Satorra–Bentler (2001)."""
    ref = json.loads((FIX / "lrt_mlr.json").read_text())
    d = pd.read_csv(ROOT / "tests" / "fixtures" / "lavaan_syntax" / f"{case}.csv")
    miss = "fiml" if case == "hs_missing" else "listwise"
    g = attachstats.sem(ref["model"], d, estimator="MLR", missing=miss)
    r = attachstats.sem(ref["model"] + "\n" + ref["restricted"], d, estimator="MLR", missing=miss)
    t = attachstats.lrt(g, r).iloc[1]
    want = ref["cases"][case]
    assert t["df_diff"] == want["df_diff"]
    # FIML: the h1 traces come from a numerical Hessian (about 1e-7), which the difference of
    # the scaling factors (times df) amplifies to about 2e-6 of Δχ²
    assert t["chisq_diff"] == pytest.approx(want["chisq_diff"], rel=1e-6 if miss == "listwise" else 1e-5)
    assert t["pvalue"] == pytest.approx(want["pvalue"], rel=2e-5)
