"""Ordered items with continuous variables (polyserial correlations, WLSMV) against lavaan.

Fixtures: tests/fixtures/ordinal/make_polyserial_fixtures.R — ECR items Q1..Q8 ordered and
continuous totals of 14 other items: one factor with a total as an indicator, two factors
with a total regressed on anxiety, and with both totals regressed on a factor each.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from test_ordinal import FIT_KEYS

import attachstats
from attachstats.errors import ModelError
from attachstats.stats.latent.comparison import wlsmv_lrt
from attachstats.stats.latent.ordinal import fit_ordinal_cfa
from attachstats.stats.latent.ordinal_invariance import ordinal_invariance_steps
from attachstats.stats.latent.polychoric import mixed_moments, polyserial

FIX = ROOT / "tests" / "fixtures" / "ordinal"
CASES = ["poly_one", "poly_reg", "poly_two"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    x = pd.read_csv(FIX / "ecr_sample.csv")
    x["tot"] = x[[f"Q{k}" for k in range(10, 37, 2)]].mean(axis=1)
    x["tot2"] = x[[f"Q{k}" for k in range(9, 36, 2)]].mean(axis=1)
    return x


def _ref(case: str) -> dict:
    return json.loads((FIX / f"{case}.json").read_text())


@pytest.mark.parametrize("case", CASES)
def test_sample_statistics_and_gamma_match_lavaan(data, case):
    ref = _ref(case)
    m = mixed_moments(data, ref["variables"], ref["ordered"], case)
    # lavaan stores a continuous variable's mean as -mean (and Γ's row with that sign)
    sign = np.ones(len(m.moments))
    sign[[k for k, nm in enumerate(m.threshold_names) if nm.endswith("~1")]] = -1
    names = m.threshold_names + [f"{v}~~{v}" for v in m.numeric] + [
        f"{m.items[j]}~~{m.items[i]}" for i, j in m.pairs]
    assert names == list(ref["wls_obs"])
    np.testing.assert_allclose(m.moments * sign, list(ref["wls_obs"].values()), atol=1e-8)
    np.testing.assert_allclose(m.gamma * np.outer(sign, sign), np.array(ref["gamma"]), atol=1e-7)


@pytest.mark.parametrize("case", CASES)
def test_wlsmv_with_a_continuous_variable_matches_lavaan(data, case):
    ref = _ref(case)
    res = fit_ordinal_cfa(ref["model"], data, ordered=ref["ordered"])
    e = pd.DataFrame(ref["estimates"]).fillna({"rhs": ""})
    m = e.merge(res.parameters(), on=["lhs", "op", "rhs"], how="outer", suffixes=("_lav", ""), indicator=True)
    assert (m["_merge"] == "both").all(), m.loc[m["_merge"] != "both", ["lhs", "op", "rhs"]]
    for col in ("est", "se", "std.all"):
        np.testing.assert_allclose(m[col], m[col + "_lav"], atol=1e-6, err_msg=col)
    fm = res.fit_measures()
    for key in FIT_KEYS:
        want = ref["fit"][key]
        if want == "NA":                     # lavaan: no robust (catML) indices with continuous variables
            assert math.isnan(fm[key]), key
        else:
            assert fm[key] == pytest.approx(want, rel=1e-6, abs=1e-8), key
    for key in ("srmr", "crmr", "rmr", "srmr_bentler", "wrmr"):
        assert fm[key] == pytest.approx(ref["fit"][key], rel=1e-6), key


def test_regression_on_a_factor_through_sem(data):
    ref = _ref("poly_reg")
    res = attachstats.sem(ref["model"], data, ordered=ref["ordered"])
    p = res.parameters().set_index(["lhs", "op", "rhs"])
    e = pd.DataFrame(ref["estimates"]).set_index(["lhs", "op", "rhs"])
    assert p.loc[("tot", "~", "anxiety"), "est"] == pytest.approx(e.loc[("tot", "~", "anxiety"), "est"], abs=1e-6)
    assert p.loc[("tot", "~", "anxiety"), "std.all"] == pytest.approx(
        e.loc[("tot", "~", "anxiety"), "std.all"], abs=1e-6)
    assert res.fit_measures()["chisq.scaled"] == pytest.approx(ref["fit"]["chisq.scaled"], rel=1e-6)
    lines = ref["model"].split("\n")             # the regression written first: the markers stay Q1, Q2
    first = attachstats.sem("\n".join(lines[::-1]), data, ordered=ref["ordered"])
    assert first.fit_measures()["chisq"] == pytest.approx(ref["fit"]["chisq"], rel=1e-6)
    q = first.parameters().set_index(["lhs", "op", "rhs"])
    assert q.loc[("anxiety", "=~", "Q2"), "est"] == 1.0 and q.loc[("anxiety", "=~", "Q2"), "se"] == 0.0


def test_polyserial_recovers_a_known_correlation():
    rng = np.random.default_rng(11)
    u = rng.multivariate_normal([0, 0], [[1, -0.45], [-0.45, 1]], 40000)
    codes = np.digitize(u[:, 1], [-0.8, 0.1, 0.9])
    tau = np.array([-0.8, 0.1, 0.9])
    assert polyserial(3 + 2 * u[:, 0], codes, tau) == pytest.approx(-0.45, abs=0.01)


def test_what_is_not_implemented_says_so(data):
    with pytest.raises(ModelError, match="regressions are implemented for an observed continuous"):
        fit_ordinal_cfa("f =~ Q2 + Q4 + Q6\ng =~ Q1 + Q3 + Q5\ng ~ f", data, ordered=True)
    with pytest.raises(ModelError, match="regression on factors is implemented for a continuous variable"):
        fit_ordinal_cfa("f =~ Q2 + Q4 + Q6\nQ8 ~ f", data, ordered=True)      # an ordered outcome


def test_invariance_steps_with_a_continuous_variable_match_lavaan(data):
    """The four semTools steps with `tot` continuous (its intercept free in every group and equal
    at the scalar step, residual variances free, no scale factor), and their lavTestLRT."""
    from test_ordinal_partial import _check

    ref = json.loads((FIX / "poly_inv.json").read_text())
    d = data[data["gender"].isin([1, 2])]
    res = ordinal_invariance_steps(ref["model"], d, "gender", ordered=ref["ordered"])
    for st, r in res.items():
        want = dict(ref["steps"][st], groups=["2", "1"], n=[int(v) for v in r.n])
        _check(r, want)
        assert r.fit_measures()["rmr"] == pytest.approx(ref["steps"][st]["fit"]["rmr"], rel=1e-5)
    t = wlsmv_lrt(res)
    np.testing.assert_allclose(t["chisq_diff"].to_numpy()[1:], [float(v) for v in ref["lrt"]["chisq_diff"][1:]],
                               rtol=1e-6)
    metric = attachstats.sem(ref["model"], d, ordered=ref["ordered"], group="gender",
                             group_equal=["thresholds", "loadings"])
    assert metric.fit_measures()["chisq"] == pytest.approx(ref["steps"]["metric"]["fit"]["chisq"], rel=1e-6)
