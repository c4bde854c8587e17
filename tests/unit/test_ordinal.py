"""Ordinal CFA (lavaan's WLSMV) against lavaan: tests/fixtures/ordinal/make_ordinal_fixtures.R.

Cases: lavaan's Holzinger–Swineford items cut into 3, 4 and 2 categories (small N, binary
items, a Heywood case); 8 and all 36 ECR items on a 2,000-row sample of the open ECR data
(marker and std.lv identification, a residual covariance with orthogonal factors); binary
items with an empty cell in a 2 × 2 table; and all 46,610 complete ECR rows when
../shared is present.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SHARED_ECR
from scipy import integrate, optimize
from scipy.special import ndtr, ndtri

from attachstats.errors import ModelError
from attachstats.stats.latent.ordinal import fit_ordinal_cfa
from attachstats.stats.latent.polychoric import (
    bvn_cdf,
    encode_ordinal,
    ordinal_moments,
    polychoric_matrix,
)
from attachstats.stats.latent.wlsmv import ORDINAL_ESTIMATORS

FIX = ROOT / "tests" / "fixtures" / "ordinal"
DATA = {"hs": "hs_ordinal.csv", "ecr": "ecr_sample.csv", "binary": "binary_zero_cell.csv"}
CASES = ["hs_marker", "ecr_small", "ecr_small_rescov", "ecr_two_factor", "ecr_two_factor_stdlv"]
#: lavaan's fit measures we reproduce (the remaining ones, e.g. gfi, cn_05, mfi, are not computed)
FIT_KEYS = ["npar", "fmin", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
            "chisq.scaling.factor", "baseline.chisq", "baseline.df", "baseline.pvalue",
            "baseline.chisq.scaled", "baseline.df.scaled", "baseline.pvalue.scaled",
            "baseline.chisq.scaling.factor", "cfi", "tli", "cfi.scaled", "tli.scaled", "cfi.robust",
            "tli.robust", "nnfi", "rfi", "nfi", "pnfi", "ifi", "rni", "nnfi.scaled", "rfi.scaled",
            "nfi.scaled", "pnfi.scaled", "ifi.scaled", "rni.scaled", "nnfi.robust", "rni.robust", "rmsea",
            "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "rmsea.notclose.pvalue", "rmsea.scaled",
            "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "rmsea.pvalue.scaled",
            "rmsea.notclose.pvalue.scaled", "rmsea.robust", "rmsea.ci.lower.robust",
            "rmsea.ci.upper.robust", "rmsea.pvalue.robust", "rmsea.notclose.pvalue.robust", "rmr",
            "srmr", "srmr_bentler", "crmr", "wrmr"]


def _case(name: str) -> tuple[dict, pd.DataFrame]:
    ref = json.loads((FIX / f"{name}.json").read_text())
    return ref, pd.read_csv(FIX / DATA[name.split("_")[0]])


@pytest.fixture(scope="module")
def fits() -> dict:
    out = {}
    for name in CASES:
        ref, data = _case(name)
        out[name] = (ref, fit_ordinal_cfa(ref["model"], data, ordered=ref["items"], std_lv=ref["std_lv"]))
    return out


def test_bvn_cdf_against_quadrature():
    rng = np.random.default_rng(3)
    h, k = rng.uniform(-3, 3, 60), rng.uniform(-3, 3, 60)
    r = np.concatenate([rng.uniform(-0.999, 0.999, 50), [0.0, 0.5, -0.5, 0.9, -0.9, 0.95, 0.99, -0.99, 0.999,
                                                         -0.999]])
    got = bvn_cdf(h, k, r)
    for hi, ki, ri, g in zip(h, k, r, got):
        f = lambda t, hi=hi, ki=ki: math.exp(-(hi * hi + ki * ki - 2 * hi * ki * math.sin(t)) / (2 * math.cos(t) ** 2))
        v = integrate.quad(f, 0, math.asin(ri), epsabs=1e-15, epsrel=1e-13, limit=200)[0]
        tol = 1e-13 if abs(ri) <= 0.95 else 1e-10       # steep near |rho| = 1 when h != k
        assert g == pytest.approx(ndtr(hi) * ndtr(ki) + v / (2 * math.pi), abs=tol)
    # limits: Φ2(h, +inf) = Φ(h), Φ2(-inf, k) = 0, independence at ρ = 0
    assert bvn_cdf(np.array([0.3]), np.array([np.inf]), np.array([0.4]))[0] == pytest.approx(ndtr(0.3))
    assert bvn_cdf(np.array([-np.inf]), np.array([1.0]), np.array([0.4]))[0] == 0.0
    assert bvn_cdf(np.array([0.2]), np.array([-0.7]), np.array([0.0]))[0] == pytest.approx(ndtr(0.2) * ndtr(-0.7))


@pytest.mark.parametrize("name", ["hs_marker", "ecr_small", "ecr_two_factor"])
def test_thresholds_and_polychorics_match_lavaan(name):
    ref, data = _case(name)
    m = ordinal_moments(data, ref["items"], gamma=False)
    assert m.threshold_names == ref["threshold_names"]
    np.testing.assert_allclose(m.thresholds, ref["thresholds"], atol=1e-10)
    # lavaan's nlminb stops within ~1e-8 of the maximum; ours is Newton to 1e-13
    np.testing.assert_allclose(m.cor, np.array(ref["polychoric"]), atol=1e-6)
    np.testing.assert_allclose(m.cor, np.array(ref["lavcor"]), atol=1e-6)
    pm = polychoric_matrix(data, ref["items"])
    assert list(pm.columns) == ref["items"] and pm.to_numpy() == pytest.approx(m.cor)


@pytest.mark.parametrize("name", ["hs_marker", "ecr_small"])
def test_gamma_matches_lavaan(name):
    ref, data = _case(name)
    m = ordinal_moments(data, ref["items"])
    g = np.array(ref["gamma"])
    assert m.gamma.shape == g.shape
    np.testing.assert_allclose(m.gamma, g, atol=1e-6 * np.abs(g).max())
    np.testing.assert_allclose(1 / np.diag(m.gamma), ref["wls_v_diag"], rtol=1e-6)


def test_zero_cell_2x2_rule_and_boundary():
    """lavaan adds 0.5 to the empty cell of a 2 x 2 table and its opposite, 0.5 less elsewhere.

    On this table lavaan's nlminb stops at its bound 0.999 although the (adjusted) likelihood
    is higher inside; we check our value is the maximum of that likelihood (found here by an
    independent bounded scalar search), and every other pair and Γ entry against lavaan.
    """
    ref, data = _case("binary_zero_cell")
    m = ordinal_moments(data, ref["items"])
    assert m.zero_cell_pairs == [("b2", "b1")]
    t1, t2 = ndtri((data["b2"] == 0).mean()), ndtri((data["b1"] == 0).mean())
    tab = pd.crosstab(data["b2"], data["b1"]).to_numpy().astype(float)
    assert tab[0, 1] == 0
    tab += np.array([[-0.5, 0.5], [0.5, -0.5]])

    def negll(r: float) -> float:
        p00 = float(bvn_cdf(np.array(t1), np.array(t2), np.array(r)))
        pr = np.array([[p00, ndtr(t1) - p00], [ndtr(t2) - p00, 1 - ndtr(t1) - ndtr(t2) + p00]])
        return -float((tab * np.log(np.maximum(pr, 1.5e-8))).sum())

    best = optimize.minimize_scalar(negll, bounds=(-0.999, 0.999), method="bounded",
                                    options={"xatol": 1e-10}).x
    assert m.cor[1, 0] == pytest.approx(best, abs=1e-7)
    assert negll(m.cor[1, 0]) < negll(0.999) - 1      # lavaan's value is clearly worse
    r = np.array(ref["polychoric"])
    low = np.tril_indices(4, -1)
    other = [q for q in range(6) if (low[0][q], low[1][q]) != (1, 0)]
    np.testing.assert_allclose(m.cor[low][other], r[low][other], atol=1e-6)
    keep = [k for k in range(10) if k != 4]             # Γ without the boundary pair
    g = np.array(ref["gamma"])
    np.testing.assert_allclose(m.gamma[np.ix_(keep, keep)], g[np.ix_(keep, keep)], atol=1e-6)


@pytest.mark.parametrize("name", CASES)
def test_estimates_and_robust_se_match_lavaan(fits, name):
    ref, res = fits[name]
    r = pd.DataFrame(ref["estimates"]).fillna({"rhs": ""})
    ours = res.parameters()
    assert list(ours.columns) == ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci.lower",
                                  "ci.upper", "std.all"]
    m = r.merge(ours, on=["lhs", "op", "rhs"], how="outer", suffixes=("_lav", ""), indicator=True)
    assert (m["_merge"] == "both").all(), m.loc[m["_merge"] != "both", ["lhs", "op", "rhs"]]
    np.testing.assert_allclose(m["est"], m["est_lav"], atol=1e-5)
    np.testing.assert_allclose(m["se"], m["se_lav"], atol=1e-5)
    np.testing.assert_allclose(m["std.all"], m["std.all_lav"], atol=1e-5)


@pytest.mark.parametrize("name", CASES)
def test_fit_measures_match_lavaan(fits, name):
    ref, res = fits[name]
    fm = res.fit_measures()
    for key in FIT_KEYS:
        want = ref["fit"][key]
        if want == "NA":
            assert math.isnan(fm[key]), key
        else:
            # lavaan's RMSEA interval comes from uniroot() at its default tolerance (~1e-4 in λ)
            tol = 1e-6 if ".ci." in key else 1e-7
            assert fm[key] == pytest.approx(want, rel=1e-5, abs=tol), key


def test_heywood_case_is_reported_not_bounded(fits):
    _, res = fits["hs_marker"]
    row = res.parameters().query("lhs == 'x9' and op == '~~'")
    assert row["est"].iloc[0] < 0
    assert any("x9" in n for n in res.notes)


def test_row_order_and_repeat_do_not_change_results():
    ref, data = _case("ecr_small")
    a = fit_ordinal_cfa(ref["model"], data)
    b = fit_ordinal_cfa(ref["model"], data.sample(frac=1.0, random_state=5))
    c = fit_ordinal_cfa(ref["model"], data)
    assert a.fit == c.fit
    np.testing.assert_allclose(a.parameters()["est"], b.parameters()["est"], atol=1e-10)
    assert a.fit["chisq.scaled"] == pytest.approx(b.fit["chisq.scaled"], rel=1e-10)


def test_missing_rows_are_dropped_and_counted():
    ref, data = _case("ecr_small")
    d = data.copy()
    d.loc[[3, 10, 11], "Q5"] = np.nan
    res = fit_ordinal_cfa(ref["model"], d)
    assert res.n == len(d) - 3 and res.n_dropped == 3


def test_registry_hook():
    ref, data = _case("ecr_small")
    res = ORDINAL_ESTIMATORS["WLSMV"](ref["model"], data, ordered=ref["items"], name="m")
    assert res.fit_measures()["chisq"] == pytest.approx(ref["fit"]["chisq"], rel=1e-6)
    d = data[data["gender"].isin([1, 2])]
    inv = ORDINAL_ESTIMATORS["WLSMV"](ref["model"], d, ordered=ref["items"], group="gender",
                                      group_equal=["loadings", "thresholds"])
    assert inv.step == "metric"
    with pytest.raises(ModelError, match="not an ordinal invariance step"):
        ORDINAL_ESTIMATORS["WLSMV"](ref["model"], d, group="gender", group_equal=["loadings"])
    with pytest.raises(ModelError, match="not supported"):
        ORDINAL_ESTIMATORS["WLSMV"](ref["model"], d, missing="pairwise")


def test_bad_input_messages():
    ref, data = _case("ecr_small")
    with pytest.raises(ModelError, match="no ordered item"):
        fit_ordinal_cfa(ref["model"], data, ordered=["Q99"])
    with pytest.raises(ModelError, match="delta parameterisation"):
        fit_ordinal_cfa(ref["model"] + "\nQ1 ~~ 1*Q1", data)
    with pytest.raises(ModelError, match="not implemented"):
        fit_ordinal_cfa(ref["model"], data, estimator="WLS")
    d = data.copy()
    d["Q1"] = 3
    with pytest.raises(ModelError, match="'Q1' has only one observed category"):
        fit_ordinal_cfa(ref["model"], d)
    d = data.copy()
    d["Q1"] = d["Q1"].astype(str).replace("3", "three")
    with pytest.raises(ModelError, match="'Q1' is not numeric"):
        fit_ordinal_cfa(ref["model"], d)
    with pytest.raises(ModelError, match="not in the data: Q99"):
        encode_ordinal(data, ["Q1", "Q99"], "m")


@pytest.mark.skipif(not SHARED_ECR.exists() or not (FIX / "ecr_full.json").exists(),
                    reason="the open ECR data (../shared) are not present")
def test_full_open_ecr_matches_lavaan():
    ref = json.loads((FIX / "ecr_full.json").read_text())
    q = [f"Q{i}" for i in range(1, 37)]
    raw = pd.read_csv(SHARED_ECR, usecols=q)
    x = raw.replace(0, np.nan)
    rev = [f"Q{i}" for i in (3, 15, 19, 22, 25, 27, 29, 31, 33, 35)]
    x[rev] = 6 - x[rev]
    res = fit_ordinal_cfa(ref["model"], x)
    assert res.n == ref["n"] == 46610 and res.n_dropped == len(raw) - 46610
    for key in FIT_KEYS:
        if ref["fit"][key] != "NA":
            assert res.fit[key] == pytest.approx(ref["fit"][key], rel=1e-5, abs=1e-7), key
    r = pd.DataFrame(ref["estimates"]).fillna({"rhs": ""})
    m = r.merge(res.parameters(), on=["lhs", "op", "rhs"], suffixes=("_lav", ""))
    assert len(m) == len(r)
    np.testing.assert_allclose(m["est"], m["est_lav"], atol=1e-5)
    np.testing.assert_allclose(m["se"], m["se_lav"], atol=1e-5)


def test_just_identified_model():
    _, data = _case("ecr_small")
    res = fit_ordinal_cfa("f =~ Q1 + Q3 + Q5", data)
    fm = res.fit_measures()
    assert fm["df"] == 0 and fm["chisq"] == pytest.approx(0, abs=1e-9)
    assert fm["cfi"] == 1 and fm["rmsea"] == 0 and math.isnan(fm["pvalue"])
    assert math.isnan(fm["chisq.scaling.factor"])
