"""Tests of attachstats.stats.latent.cfa against lavaan 0.6-14 (fixtures in tests/fixtures/cfa/).

The fixtures are made by ``tests/fixtures/cfa/make_cfa_fixtures.R``; R is not needed here.
Tolerances are tighter than the project's minimum (fit indices within 0.001, estimates
within 0.001) because the implementation reproduces lavaan to ~1e-7 in the fit statistics
and ~2e-5 in the estimates (lavaan's own convergence tolerance), and conventions such as
N versus N − 1 in the RMSEA move the indices by less than 0.001.
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.stats.latent import cfa, engine
from attachstats.stats.latent.syntax import parse_syntax
from attachstats.stats.latent.cfa import FACTOR_CORRELATION_COLUMNS, LOADING_COLUMNS, CFAResult, fit_cfa, fit_table
from attachstats.stats.latent.fit_indices import FIT_COLUMNS
from attachstats.stats.latent.syntax import build_model_syntax
from attachstats.errors import ModelError

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "cfa"
from conftest import SHARED_ECR as ECR_SOURCE
Q = [f"Q{i}" for i in range(1, 37)]
REVERSED = [f"Q{i}" for i in (3, 15, 19, 25, 27, 29, 31, 33, 35, 22)]

# our fit key -> lavaan fitMeasures name
LAVAAN_NAME = {"n": "ntotal", "chi2": "chisq", "df": "df", "p": "pvalue", "cfi": "cfi",
               "tli": "tli", "rmsea": "rmsea", "rmsea_ci_lo": "rmsea.ci.lower",
               "rmsea_ci_hi": "rmsea.ci.upper", "srmr": "srmr", "aic": "aic", "bic": "bic",
               "loglik": "logl", "npar": "npar", "baseline_chi2": "baseline.chisq",
               "baseline_df": "baseline.df"}
EXACT = {"n", "df", "npar", "baseline_df"}
RELATIVE = {"chi2", "aic", "bic", "loglik", "baseline_chi2"}
REL_TOL = 1e-6          # project minimum: 1e-5
INDEX_TOL = 1e-6        # p, cfi, tli, rmsea and its interval, srmr; project minimum: 0.001
EST_TOL = 1e-4          # est, std, CI bounds, latent correlation; project minimum: 0.001
SE_REL_TOL = 1e-4       # se relative; project minimum: 1e-3


# ---------------------------------------------------------------------------------------
# fixture data and models (the same as in make_cfa_fixtures.R)
# ---------------------------------------------------------------------------------------

@lru_cache(maxsize=None)
def _data(name: str) -> pd.DataFrame:
    return pd.read_csv(FIX / ("sim_data.csv" if name == "sim" else "ecr_sample.csv"))


SIM_ITEMS = [f"anx_{i}" for i in range(1, 8)] + [f"avo_{i}" for i in range(1, 8)]
SIM_TWO = {"anxiety": SIM_ITEMS[:7], "avoidance": SIM_ITEMS[7:]}
SYNTAX = {
    ("sim", "one_factor"): build_model_syntax({"attachment": SIM_ITEMS}),
    ("sim", "two_factor"): build_model_syntax(SIM_TWO),
    ("sim", "two_factor_orth"): build_model_syntax(SIM_TWO, correlated=False),
    ("sim", "two_factor_rescov"): build_model_syntax(SIM_TWO) + "\navo_2 ~~ avo_3",
    ("sim", "two_factor_fixres"): build_model_syntax(SIM_TWO) + "\nanx_1 ~~ 1*anx_1",
    ("ecr", "one_factor"): build_model_syntax({"attachment": Q}),
    ("ecr", "two_factor"): build_model_syntax({"avoidance": Q[0::2], "anxiety": Q[1::2]}),
}
CASES = list(SYNTAX)


@lru_cache(maxsize=None)
def _fit(ds: str, model: str) -> CFAResult:
    return fit_cfa(_data(ds), SYNTAX[(ds, model)], model)


@lru_cache(maxsize=None)
def _lavaan_fit() -> pd.DataFrame:
    return pd.read_csv(FIX / "fit_measures.csv")


@lru_cache(maxsize=None)
def _lavaan_est() -> pd.DataFrame:
    return pd.read_csv(FIX / "estimates.csv")


def _ref_fit(ds: str, model: str) -> pd.Series:
    fm = _lavaan_fit()
    row = fm[(fm["data"] == ds) & (fm["model"] == model)]
    assert len(row) == 1, f"no lavaan fixture for {ds}/{model}"
    return row.iloc[0]


def _ref_est(ds: str, model: str) -> pd.DataFrame:
    est = _lavaan_est()
    return est[(est["data"] == ds) & (est["model"] == model)].reset_index(drop=True)


def _compare_fit(fit: dict, ref: pd.Series) -> list[str]:
    bad = []
    for key, lav in LAVAAN_NAME.items():
        ours, theirs = fit[key], float(ref[lav])
        if key in EXACT:
            ok = ours == theirs
        elif key in RELATIVE:
            ok = abs(ours - theirs) <= REL_TOL * abs(theirs)
        else:
            ok = abs(ours - theirs) <= INDEX_TOL
        if not ok:
            bad.append(f"{key}: ours {ours!r}, lavaan {theirs!r}")
    return bad


# ---------------------------------------------------------------------------------------
# comparisons with lavaan
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("ds,model", CASES)
def test_fit_measures_match_lavaan(ds: str, model: str) -> None:
    res = _fit(ds, model)
    bad = _compare_fit(res.fit, _ref_fit(ds, model))
    assert not bad, f"{ds}/{model}: " + "; ".join(bad)
    assert res.fit["model"] == model and res.fit["estimator"] == "ML"
    assert res.n == res.fit["n"]


@pytest.mark.parametrize("ds,model", CASES)
def test_all_parameters_match_lavaan(ds: str, model: str) -> None:
    """Every parameter: est, se, std.all, its se and CI (loadings, (co)variances)."""
    ours = _fit(ds, model).parameters
    ref = _ref_est(ds, model)
    assert len(ours) == len(ref)
    m = ours.merge(ref, on=["lhs", "op", "rhs"], suffixes=("", "_lav"), validate="1:1")
    assert len(m) == len(ref), "parameter tables do not have the same rows"
    np.testing.assert_allclose(m["est"], m["est_lav"], rtol=0, atol=EST_TOL)
    free = m["free"].to_numpy(bool)
    # lavaan prints se = 0 for a fixed parameter; ours is NaN
    assert m.loc[~free, "se"].isna().all() and (m.loc[~free, "se_lav"] == 0).all()
    np.testing.assert_allclose(m.loc[free, "se"], m.loc[free, "se_lav"], rtol=SE_REL_TOL)
    for col in ["std", "std_ci_lo", "std_ci_hi"]:
        np.testing.assert_allclose(m[col], m[f"{col}_lav"], rtol=0, atol=EST_TOL, err_msg=col)
    # atol: se of a standardised value near 0 or 1 depends on a near-zero estimate, which
    # is only as precise as lavaan's convergence
    np.testing.assert_allclose(m["std_se"], m["std_se_lav"], rtol=SE_REL_TOL, atol=1e-5)


@pytest.mark.parametrize("ds,model", CASES)
def test_loadings_table_matches_lavaan(ds: str, model: str) -> None:
    res = _fit(ds, model)
    lo = res.loadings
    assert list(lo.columns) == LOADING_COLUMNS
    ref = _ref_est(ds, model)
    ref = ref[ref["op"] == "=~"].reset_index(drop=True)
    assert list(lo["factor"]) == list(ref["lhs"]) and list(lo["item"]) == list(ref["rhs"])
    assert (lo["model"] == model).all()
    np.testing.assert_allclose(lo["est"], ref["est"], atol=EST_TOL)
    np.testing.assert_allclose(lo["se"].fillna(0), ref["se"], rtol=SE_REL_TOL, atol=1e-12)
    np.testing.assert_allclose(lo["std"], ref["std"], atol=EST_TOL)
    np.testing.assert_allclose(lo["std_ci_lo"], ref["std_ci_lo"], atol=EST_TOL)
    np.testing.assert_allclose(lo["std_ci_hi"], ref["std_ci_hi"], atol=EST_TOL)
    # the interval is std ± 1.959964·se(std)
    half = (lo["std_ci_hi"] - lo["std_ci_lo"]) / 2
    se = res.parameters.loc[res.parameters["op"] == "=~", "std_se"].to_numpy()
    np.testing.assert_allclose(half, 1.959964 * se, rtol=1e-6)


@pytest.mark.parametrize("ds,model", CASES)
def test_factor_correlations_match_lavaan(ds: str, model: str) -> None:
    fc = _fit(ds, model).factor_correlations
    assert list(fc.columns) == FACTOR_CORRELATION_COLUMNS
    ref = _ref_est(ds, model)
    lat = set(ref.loc[ref["op"] == "=~", "lhs"])
    ref = ref[(ref["op"] == "~~") & ref["lhs"].isin(lat) & (ref["lhs"] != ref["rhs"])]
    ref = ref.reset_index(drop=True)
    assert len(fc) == len(ref) == (0 if model == "one_factor" else 1)
    if len(ref):
        assert (fc["factor1"].tolist(), fc["factor2"].tolist()) == (ref["lhs"].tolist(),
                                                                    ref["rhs"].tolist())
        np.testing.assert_allclose(fc["est"], ref["std"], atol=EST_TOL)
        np.testing.assert_allclose(fc["se"], ref["std_se"], rtol=SE_REL_TOL, atol=1e-12)
        np.testing.assert_allclose(fc["ci_lo"], ref["std_ci_lo"], atol=EST_TOL)
        np.testing.assert_allclose(fc["ci_hi"], ref["std_ci_hi"], atol=EST_TOL)


def test_srmr_is_bentlers_not_bollens() -> None:
    """With a fixed residual variance the two SRMRs differ; lavaan's ``srmr`` is Bentler's."""
    ref = _ref_fit("sim", "two_factor_fixres")
    assert abs(ref["srmr_bollen"] - ref["srmr"]) > 50 * INDEX_TOL     # the test can tell
    assert abs(_fit("sim", "two_factor_fixres").fit["srmr"] - ref["srmr"]) <= INDEX_TOL


def test_listwise_deletion_uses_only_model_columns() -> None:
    sim = _data("sim")
    assert len(sim) == 620 and sim["age"].isna().sum() == 40
    expected = int(sim[SIM_ITEMS].notna().all(axis=1).sum())
    res = _fit("sim", "two_factor")
    assert res.n == res.fit["n"] == expected == 599
    # a model on items without missing values keeps every row, whatever 'age' holds
    full = fit_cfa(sim, build_model_syntax({"f": ["anx_1", "anx_2", "anx_4", "anx_5"]}), "m")
    assert full.n == 620


def test_fit_cfa_does_not_modify_the_data() -> None:
    sim = _data("sim")
    before = sim.copy()
    fit_cfa(sim, SYNTAX[("sim", "two_factor")], "m")
    pd.testing.assert_frame_equal(sim, before)


# ---------------------------------------------------------------------------------------
# the full open ECR data (optional: skips when the shared data are not there)
# ---------------------------------------------------------------------------------------

def _ecr_keyed() -> pd.DataFrame:
    raw = pd.read_csv(ECR_SOURCE, usecols=Q)
    x = raw.replace(0, np.nan).astype(float)
    x[REVERSED] = 6 - x[REVERSED]
    return x


@pytest.mark.skipif(not ECR_SOURCE.exists(), reason="open ECR data (../shared) not available")
def test_full_open_ecr_data_reference_values() -> None:
    x = _ecr_keyed()
    two = fit_cfa(x, SYNTAX[("ecr", "two_factor")], "two_factor")
    one = fit_cfa(x, SYNTAX[("ecr", "one_factor")], "one_factor")
    # numbers quoted in docs/python-stack.md
    assert two.n == one.n == 46610
    assert round(two.fit["chi2"], 1) == 197931.9 and two.fit["df"] == 593
    assert round(two.fit["cfi"], 3) == 0.777 and round(two.fit["tli"], 3) == 0.763
    assert round(two.fit["rmsea"], 4) == 0.0845
    assert round(one.fit["chi2"], 1) == 483169.5 and one.fit["df"] == 594
    assert round(one.fit["cfi"], 3) == 0.454
    # and every statistic against lavaan on the same rows
    full = pd.read_csv(FIX / "ecr_full.csv")
    for res in (one, two):
        ref = full[full["model"] == res.name].iloc[0]
        bad = _compare_fit(res.fit, ref)
        assert not bad, f"{res.name}: " + "; ".join(bad)


@pytest.mark.skipif(not ECR_SOURCE.exists(), reason="open ECR data (../shared) not available")
def test_ecr_sample_is_keyed_rows_of_the_source() -> None:
    sample = _data("ecr")
    assert len(sample) == 3000 and sample[Q].notna().all().all()
    keyed = _ecr_keyed()
    src = keyed.iloc[sample["row"].to_numpy() - 1].reset_index(drop=True)
    np.testing.assert_array_equal(src.to_numpy(), sample[Q].to_numpy(float))


# ---------------------------------------------------------------------------------------
# known answers without lavaan
# ---------------------------------------------------------------------------------------

def _data_with_covariance(sigma: np.ndarray, n: int, names: list[str], seed: int = 1) -> pd.DataFrame:
    """Data whose covariance matrix (divisor n) is exactly ``sigma``."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, sigma.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(z.T @ z / n)).T       # covariance = I exactly
    return pd.DataFrame(3 + z @ np.linalg.cholesky(sigma).T, columns=names)


def test_perfect_fit_gives_chi2_zero() -> None:
    lam = np.zeros((8, 2))
    lam[:4, 0] = [1.0, 0.8, 1.2, 0.7]
    lam[4:, 1] = [1.0, 0.9, -0.6, 1.1]
    psi = np.array([[0.9, 0.3], [0.3, 1.4]])
    theta = np.diag([0.5, 0.6, 0.4, 0.8, 0.7, 0.5, 0.9, 0.6])
    sigma = lam @ psi @ lam.T + theta
    names = [f"x{i}" for i in range(1, 9)]
    data = _data_with_covariance(sigma, 400, names)
    res = fit_cfa(data, build_model_syntax({"f1": names[:4], "f2": names[4:]}), "perfect")
    f = res.fit
    assert f["chi2"] == pytest.approx(0, abs=1e-7)
    assert f["df"] == 36 - 17 and f["npar"] == 17
    assert f["cfi"] == 1.0 and f["rmsea"] == 0.0
    assert f["rmsea_ci_lo"] == 0.0 and f["rmsea_ci_hi"] == 0.0
    assert f["srmr"] == pytest.approx(0, abs=1e-7)
    assert f["p"] == pytest.approx(1, abs=1e-6)
    assert f["tli"] > 1                                 # lavaan does not cap the TLI
    assert f["loglik"] == pytest.approx(-400 / 2 * (8 * math.log(2 * math.pi)
                                                     + np.linalg.slogdet(sigma)[1] + 8), rel=1e-10)
    np.testing.assert_allclose(res.implied_cov.to_numpy(), sigma, atol=1e-7)
    np.testing.assert_allclose(res.loadings["est"], lam[lam != 0], atol=1e-6)
    assert res.factor_correlations["est"].iloc[0] == pytest.approx(0.3 / math.sqrt(0.9 * 1.4), abs=1e-7)


def test_heywood_case_is_reported_not_hidden() -> None:
    """Just identified, r12 = r13 = .6, r23 = .3: residual variance of x1 is 1 − .6²/.3 = −.2."""
    r = np.array([[1, 0.6, 0.6], [0.6, 1, 0.3], [0.6, 0.3, 1]])
    data = _data_with_covariance(r, 300, ["x1", "x2", "x3"])
    with pytest.warns(UserWarning, match="negative variance.*x1"):
        res = fit_cfa(data, "f =~ x1 + x2 + x3", "heywood")
    p = res.parameters.set_index(["lhs", "op", "rhs"])
    assert p.loc[("x1", "~~", "x1"), "est"] == pytest.approx(-0.2, abs=1e-7)
    assert p.loc[("f", "~~", "f"), "est"] == pytest.approx(1.2, abs=1e-7)
    assert res.fit["df"] == 0 and res.fit["chi2"] == pytest.approx(0, abs=1e-8)
    assert math.isnan(res.fit["p"]) and res.fit["rmsea"] == 0 and res.fit["tli"] == 1


def test_std_lv_parametrisation_gives_the_same_solution() -> None:
    """Fixing latent variances (NA* frees the first loading) changes nothing standardised."""
    sim = _data("sim")
    stdlv = ("anxiety =~ NA*anx_1 + " + " + ".join(SIM_ITEMS[1:7]) + "\n"
             "avoidance =~ NA*avo_1 + " + " + ".join(SIM_ITEMS[8:]) + "\n"
             "anxiety ~~ 1*anxiety; avoidance ~~ 1*avoidance  # comment")
    a, b = _fit("sim", "two_factor"), fit_cfa(sim, stdlv, "std_lv")
    assert b.fit["npar"] == a.fit["npar"]
    assert b.fit["chi2"] == pytest.approx(a.fit["chi2"], rel=1e-9)
    np.testing.assert_allclose(b.loadings["std"], a.loadings["std"], atol=1e-7)
    np.testing.assert_allclose(b.loadings["std_ci_lo"], a.loadings["std_ci_lo"], atol=1e-7)
    assert b.loadings["se"].notna().all()                   # every loading is free now
    assert b.loadings["est"].iloc[0] > 0                    # first item loads positively
    np.testing.assert_allclose(b.factor_correlations[["est", "se"]],
                               a.factor_correlations[["est", "se"]], atol=1e-7)


def test_analytic_gradient_and_information() -> None:
    """Gradient of F against finite differences; SEs are from the expected information."""
    spec = parse_syntax(SYNTAX[("sim", "two_factor_rescov")], "m")
    model = engine.CFAModel(spec)
    x = _data("sim")[spec.observed].dropna().to_numpy(float)
    xc = x - x.mean(axis=0)
    s = xc.T @ xc / len(x)
    fun, grad, hess = engine.discrepancy(model, s, np.linalg.slogdet(s)[1])
    theta = engine.start_values(model, s) * 1.1
    h = 1e-6
    num = np.array([(fun(theta + h * e) - fun(theta - h * e)) / (2 * h) for e in np.eye(model.npar)])
    np.testing.assert_allclose(grad(theta), num, rtol=1e-5, atol=1e-8)
    # at S = Σ(θ) the expected information equals the Hessian of F / 2
    sig = model.sigma(theta)
    fun2, grad2, hess2 = engine.discrepancy(model, sig, np.linalg.slogdet(sig)[1])
    num_h = np.array([(grad2(theta + h * e) - grad2(theta - h * e)) / (2 * h) for e in np.eye(model.npar)])
    np.testing.assert_allclose(hess2(theta), num_h, rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------------------
# API: syntax, tables, errors
# ---------------------------------------------------------------------------------------

def test_build_model_syntax() -> None:
    syn = build_model_syntax({"anxiety": ["ecr_2", "ecr_4", "ecr_6"], "avoidance": ["ecr_1", "ecr_3"]})
    assert syn == "anxiety =~ ecr_2 + ecr_4 + ecr_6\navoidance =~ ecr_1 + ecr_3"
    orth = build_model_syntax({"a": ["x1", "x2"], "b": ["x3", "x4"], "c": ["x5", "x6"]},
                              correlated=False)
    assert orth.splitlines()[3:] == ["a ~~ 0*b", "a ~~ 0*c", "b ~~ 0*c"]
    assert build_model_syntax({"g": ["x1", "x2", "x3"]}, correlated=False) == "g =~ x1 + x2 + x3"


@pytest.mark.parametrize("factors,match", [
    ({}, "at least one factor"),
    ({"f": []}, "at least one item"),
    ({"f": "x1 + x2"}, "list"),
    ({"f": ["x1", "x2", "x1"]}, "more than once.*x1"),
    ({"f": ["x1", "x 2"]}, "'x 2'"),
    ({"1f": ["x1", "x2"]}, "'1f'"),
    ({"f": ["x1", "g"], "g": ["x3", "x4"]}, "'g' is also the name of an item"),
])
def test_build_model_syntax_rejects(factors: dict, match: str) -> None:
    with pytest.raises(ModelError, match=match):
        build_model_syntax(factors)


def test_result_structure_and_fit_table() -> None:
    one, two = _fit("sim", "one_factor"), _fit("sim", "two_factor")
    assert list(one.fit) == FIT_COLUMNS
    assert one.fit["estimator"] == "ML"
    assert isinstance(one.fit["df"], int) and isinstance(one.fit["npar"], int)
    assert one.factor_correlations.empty and list(one.factor_correlations.columns) == FACTOR_CORRELATION_COLUMNS
    tab = fit_table([one, two])
    assert list(tab.columns) == FIT_COLUMNS
    assert tab["model"].tolist() == ["one_factor", "two_factor"]
    assert tab.loc[1, "chi2"] == two.fit["chi2"]
    assert list(fit_table([]).columns) == FIT_COLUMNS and fit_table([]).empty
    assert one.sample_cov.shape == one.implied_cov.shape == (14, 14)


def test_missing_column_raises_model_error() -> None:
    sim = _data("sim")
    with pytest.raises(ModelError, match=r"'mymodel'.*not in the data: nope, avo_99"):
        fit_cfa(sim, "f =~ anx_1 + nope + anx_2\ng =~ avo_1 + avo_2 + avo_99", "mymodel")


@pytest.mark.parametrize("syntax,match", [
    ("", "empty"),
    ("f =~ anx_1 + anx_2", r"not identified.*df = -1"),
    ("f =~ anx_1 + anx_2 + anx_3\ng =~ avo_1", "not identified"),
    ("f =~ anx_1 + anx_2 + anx_3\nanx_1 ~ f", "unsupported statement"),
    ("f =~ lab*anx_1 + anx_2 + anx_3", "not labels"),
    ("f =~ anx_1 + anx_2 + anx_3\nf ~~ anx_1", "relates a factor to an item"),
    ("f =~ anx_1 + anx_2 + anx_3\nf ~~ zz", "'zz'.*neither a factor"),
    ("f =~ anx_1 + anx_2 + anx_1", "more than once"),
    ("f =~ anx_1 + anx_2 + g\ng =~ avo_1 + avo_2 + avo_3", "higher-order"),
    ("f =~ NA*anx_1 + anx_2 + anx_3", "not identified"),
    ("f =~ 0*anx_1 + anx_2 + anx_3 + anx_4", r"'bad'.*'f' has no scale"),
])
def test_bad_models_raise_model_error(syntax: str, match: str) -> None:
    with pytest.raises(ModelError, match=match):
        fit_cfa(_data("sim"), syntax, "bad")


def test_bad_data_raise_model_error() -> None:
    sim = _data("sim").copy()
    syn = "f =~ anx_1 + anx_2 + anx_3 + anx_4"
    text = sim.assign(anx_2=sim["anx_2"].astype(str))
    text.loc[5, "anx_2"] = "x"
    with pytest.raises(ModelError, match="'anx_2' is not numeric"):
        fit_cfa(text, syn, "m")
    with pytest.raises(ModelError, match="without variance.*anx_3"):
        fit_cfa(sim.assign(anx_3=4), syn, "m")
    with pytest.raises(ModelError, match="singular"):
        fit_cfa(sim.assign(anx_4=sim["anx_1"] + sim["anx_2"]), syn, "m")
    with pytest.raises(ModelError, match="complete case"):
        fit_cfa(sim.assign(anx_1=np.nan), syn, "m")


def test_nullable_integer_columns_are_accepted() -> None:
    sim = _data("sim")
    nullable = sim.astype({c: "Int64" for c in SIM_ITEMS})
    a = fit_cfa(nullable, SYNTAX[("sim", "two_factor")], "two_factor")
    assert a.n == 599 and a.fit["chi2"] == pytest.approx(_fit("sim", "two_factor").fit["chi2"], rel=1e-12)


def test_semopy_agrees_to_its_own_precision():
    """Cross-check with semopy (the stack's SEM library): same ML estimates within 1e-3.

    semopy's optimiser stops earlier than lavaan's, which is why attachstats fits the model
    itself; agreement to 1e-3 shows both solve the same problem.
    """
    import semopy

    data = _data("sim")[SIM_ITEMS].dropna()
    ours = fit_cfa(data, build_model_syntax(SIM_TWO), "two_factor").loadings.set_index("item")
    model = semopy.Model(build_model_syntax(SIM_TWO))
    model.fit(data)
    est = model.inspect()
    load = est[est["op"] == "~"].set_index("lval")["Estimate"]
    for item in SIM_ITEMS:
        assert abs(float(load[item]) - ours.loc[item, "est"]) < 1e-3, item
