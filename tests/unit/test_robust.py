"""Robust ML (MLR) and the method-factor model against lavaan 0.6-14.

Fixtures: ``tests/fixtures/factor/`` (made by ``make_factor_fixtures.R``): lavaan
``cfa(..., estimator = "MLR")`` on the simulated data and on the open ECR sample.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.stats.latent import cfa, engine
from attachstats.stats.latent.syntax import parse_syntax
from attachstats.stats.latent import mlr as robust
from attachstats.stats.latent.cfa import fit_cfa
from attachstats.stats.latent.syntax import build_model_syntax, method_factor_syntax
from attachstats.errors import ModelError

FIX = Path(__file__).resolve().parents[1] / "fixtures"
Q = [f"Q{i}" for i in range(1, 37)]
REVERSED = [f"Q{i}" for i in (3, 15, 19, 22, 25, 27, 29, 31, 33, 35)]
SIM_ITEMS = [f"anx_{i}" for i in range(1, 8)] + [f"avo_{i}" for i in range(1, 8)]
ECR_TWO = {"avoidance": Q[0::2], "anxiety": Q[1::2]}
SYNTAX = {
    ("sim", "one_factor"): build_model_syntax({"attachment": SIM_ITEMS}),
    ("sim", "two_factor"): build_model_syntax({"anxiety": SIM_ITEMS[:7], "avoidance": SIM_ITEMS[7:]}),
    ("ecr", "one_factor"): build_model_syntax({"attachment": Q}),
    ("ecr", "two_factor"): build_model_syntax(ECR_TWO),
    ("ecr", "two_factor_method"): method_factor_syntax(ECR_TWO, REVERSED),
}
# ours -> lavaan fitMeasures name, for MLR
ROBUST_NAME = {"chi2": "chisq.scaled", "p": "pvalue.scaled", "cfi": "cfi.robust",
               "tli": "tli.robust", "rmsea": "rmsea.robust",
               "rmsea_ci_lo": "rmsea.ci.lower.robust", "rmsea_ci_hi": "rmsea.ci.upper.robust",
               "chi2_ml": "chisq", "scaling_factor": "chisq.scaling.factor",
               "baseline_scaling_factor": "baseline.chisq.scaling.factor",
               "srmr": "srmr", "aic": "aic", "bic": "bic", "loglik": "logl", "npar": "npar",
               "n": "ntotal", "df": "df", "baseline_chi2": "baseline.chisq"}
ML_NAME = {"chi2": "chisq", "p": "pvalue", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea",
           "rmsea_ci_lo": "rmsea.ci.lower", "rmsea_ci_hi": "rmsea.ci.upper", "srmr": "srmr",
           "aic": "aic", "bic": "bic", "loglik": "logl", "npar": "npar", "n": "ntotal", "df": "df"}
RELATIVE = {"chi2", "chi2_ml", "aic", "bic", "loglik", "baseline_chi2"}
EXACT = {"n", "df", "npar"}


@lru_cache(maxsize=None)
def data(ds: str) -> pd.DataFrame:
    return pd.read_csv(FIX / "cfa" / ("sim_data.csv" if ds == "sim" else "ecr_sample.csv"))


@lru_cache(maxsize=None)
def lavaan_fit() -> pd.DataFrame:
    return pd.read_csv(FIX / "factor" / "fit_measures.csv")


@lru_cache(maxsize=None)
def lavaan_est() -> pd.DataFrame:
    return pd.read_csv(FIX / "factor" / "estimates.csv")


def ref_fit(ds: str, model: str, est: str) -> pd.Series:
    fm = lavaan_fit()
    row = fm[(fm["data"] == ds) & (fm["model"] == model) & (fm["estimator"] == est)]
    assert len(row) == 1
    return row.iloc[0]


def ref_est(ds: str, model: str, est: str) -> pd.DataFrame:
    e = lavaan_est()
    return e[(e["data"] == ds) & (e["model"] == model) & (e["estimator"] == est)]


@lru_cache(maxsize=None)
def fitted(ds: str, model: str, est: str) -> cfa.CFAResult:
    return fit_cfa(data(ds), SYNTAX[(ds, model)], model, estimator=est)


def compare(fit: dict, ref: pd.Series, names: dict) -> list[str]:
    bad = []
    for key, lav in names.items():
        ours, theirs = fit[key], float(ref[lav])
        if key in EXACT:
            ok = ours == theirs
        elif key in RELATIVE:
            ok = abs(ours - theirs) <= 1e-6 * abs(theirs)
        else:
            ok = abs(ours - theirs) <= 1e-5      # project minimum 0.001
        if not ok:
            bad.append(f"{key}: ours {ours!r}, lavaan {theirs!r}")
    return bad


MLR_CASES = [("sim", "one_factor"), ("sim", "two_factor"), ("ecr", "one_factor"),
             ("ecr", "two_factor"), ("ecr", "two_factor_method")]


@pytest.mark.parametrize("ds,model", MLR_CASES)
def test_mlr_fit_measures_match_lavaan(ds: str, model: str) -> None:
    res = fitted(ds, model, "MLR")
    bad = compare(res.fit, ref_fit(ds, model, "MLR"), ROBUST_NAME)
    assert not bad, f"{ds}/{model}: " + "; ".join(bad)
    assert res.fit["estimator"] == "MLR"


@pytest.mark.parametrize("ds,model", MLR_CASES)
def test_mlr_estimates_and_sandwich_se_match_lavaan(ds: str, model: str) -> None:
    ours = fitted(ds, model, "MLR").parameters
    ref = ref_est(ds, model, "MLR")
    m = ours.merge(ref, on=["lhs", "op", "rhs"], suffixes=("", "_lav"), validate="1:1")
    assert len(m) == len(ours) == len(ref)
    np.testing.assert_allclose(m["est"], m["est_lav"], atol=1e-4)
    free = m["free"].to_numpy(bool)
    np.testing.assert_allclose(m.loc[free, "se"], m.loc[free, "se_lav"], rtol=1e-4)
    np.testing.assert_allclose(m["std"], m["std_lav"], atol=1e-4)
    np.testing.assert_allclose(m["std_se"], m["std_se_lav"], rtol=1e-3, atol=1e-5)


def test_mlr_se_differ_from_ml_se() -> None:
    """The fixture can tell sandwich from expected-information SEs (by more than 1e-4)."""
    ml, mlr = fitted("ecr", "two_factor", "ML"), fitted("ecr", "two_factor", "MLR")
    np.testing.assert_allclose(ml.parameters["est"], mlr.parameters["est"], rtol=0, atol=0)
    free = ml.parameters["free"].to_numpy(bool)
    ratio = mlr.parameters.loc[free, "se"].to_numpy() / ml.parameters.loc[free, "se"].to_numpy()
    assert np.abs(ratio - 1).max() > 0.05


@pytest.mark.parametrize("model", ["one_factor", "two_factor", "two_factor_method"])
def test_ml_fits_on_ecr_sample_match_lavaan(model: str) -> None:
    res = fitted("ecr", model, "ML")
    bad = compare(res.fit, ref_fit("ecr", model, "ML"), ML_NAME)
    assert not bad, "; ".join(bad)
    assert math.isnan(res.fit["scaling_factor"]) and res.fit["chi2_ml"] == res.fit["chi2"]


def test_mlr_equals_ml_scaling_for_normal_data() -> None:
    """On multivariate normal data the scaling factor tends to 1 (known truth)."""
    rng = np.random.default_rng(5)
    lam = np.array([0.8, 0.7, 0.6, 0.7, 0.5, 0.6])
    f = rng.standard_normal(20000)
    x = f[:, None] * lam + rng.standard_normal((20000, 6)) * np.sqrt(1 - lam ** 2)
    d = pd.DataFrame(x, columns=[f"x{i}" for i in range(6)])
    res = fit_cfa(d, build_model_syntax({"f": list(d.columns)}), "m", estimator="MLR")
    assert abs(res.fit["scaling_factor"] - 1) < 0.1
    assert abs(res.fit["baseline_scaling_factor"] - 1) < 0.05


def test_casewise_scores_sum_to_zero_at_the_estimate() -> None:
    """At the ML estimate the casewise scores sum to N × (−½ gradient of F) = 0."""
    spec = parse_syntax(SYNTAX[("sim", "two_factor")], "m")
    model = engine.CFAModel(spec)
    x = data("sim")[spec.observed].dropna().to_numpy(float)
    z = x - x.mean(axis=0)
    s = z.T @ z / len(x)
    theta, _ = engine.minimise(model, s, np.linalg.slogdet(s)[1])
    sc = robust.casewise_scores(model, theta, z)
    assert np.abs(sc.mean(axis=0)).max() < 1e-8
    # and away from it they equal −½ ∂F/∂θ (mean over cases)
    t2 = theta * 1.05
    g = engine.discrepancy(model, s, np.linalg.slogdet(s)[1]).grad(t2)
    np.testing.assert_allclose(robust.casewise_scores(model, t2, z).mean(axis=0), -g / 2, atol=1e-10)


def test_method_factor_syntax_and_identification_checks() -> None:
    syn = method_factor_syntax({"a": ["x1", "x2", "x3"], "b": ["x4", "x5", "x6"]}, ["x2", "x4", "x6"])
    assert syn.splitlines() == ["a =~ x1 + x2 + x3", "b =~ x4 + x5 + x6", "method =~ NA*x2 + x4 + x6",
                                "method ~~ 1*method", "a ~~ 0*method", "b ~~ 0*method"]
    with pytest.raises(ModelError, match="at least 3 reverse-keyed"):
        method_factor_syntax({"a": ["x1", "x2", "x3"], "b": ["x4", "x5", "x6"]}, ["x2", "x4"])
    with pytest.raises(ModelError, match="not an item of any factor: x9"):
        method_factor_syntax({"a": ["x1", "x2", "x3"]}, ["x1", "x2", "x9"])
    with pytest.raises(ModelError, match="'a'"):
        method_factor_syntax({"a": ["x1", "x2", "x3"]}, ["x1", "x2", "x3"], method="a")


def test_bad_estimator_options() -> None:
    d = data("sim")
    syn = SYNTAX[("sim", "two_factor")]
    with pytest.raises(ModelError, match="unknown estimator 'DWLS'; implemented: ML, MLR, WLSMV"):
        fit_cfa(d, syn, "m", estimator="DWLS")
    with pytest.raises(ModelError, match="WLSMV is implemented with listwise deletion only"):
        fit_cfa(d, syn, "m", estimator="WLSMV", missing="fiml")
    with pytest.raises(ModelError, match="FIML is implemented with estimator ML only"):
        fit_cfa(d, syn, "m", estimator="MLR", missing="fiml")
    with pytest.raises(ModelError, match="unknown missing-data option 'pairwise'"):
        fit_cfa(d, syn, "m", missing="pairwise")
