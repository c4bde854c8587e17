"""FIML (lavaan ``missing = "ml"``) against lavaan 0.6-14.

Fixtures ``tests/fixtures/factor/`` (``make_factor_fixtures.R``): the simulated data (21 of
620 rows with a missing item) and 1,500 real rows of the open ECR data with their real
missing answers (1,000 incomplete rows).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.stats.latent import fiml
from attachstats.stats.latent.cfa import fit_cfa
from attachstats.stats.latent.syntax import build_model_syntax
from attachstats.errors import ModelError

FIX = Path(__file__).resolve().parents[1] / "fixtures"
Q = [f"Q{i}" for i in range(1, 37)]
SIM_ITEMS = [f"anx_{i}" for i in range(1, 8)] + [f"avo_{i}" for i in range(1, 8)]
SYNTAX = {
    ("sim", "one_factor"): build_model_syntax({"attachment": SIM_ITEMS}),
    ("sim", "two_factor"): build_model_syntax({"anxiety": SIM_ITEMS[:7], "avoidance": SIM_ITEMS[7:]}),
    ("ecr_missing", "one_factor"): build_model_syntax({"attachment": Q}),
    ("ecr_missing", "two_factor"): build_model_syntax({"avoidance": Q[0::2], "anxiety": Q[1::2]}),
}
NAMES = {"chi2": "chisq", "p": "pvalue", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea",
         "rmsea_ci_lo": "rmsea.ci.lower", "rmsea_ci_hi": "rmsea.ci.upper", "srmr": "srmr",
         "aic": "aic", "bic": "bic", "loglik": "logl", "npar": "npar", "n": "ntotal", "df": "df",
         "baseline_chi2": "baseline.chisq", "baseline_df": "baseline.df"}
RELATIVE = {"chi2", "aic", "bic", "loglik", "baseline_chi2"}
EXACT = {"n", "df", "npar", "baseline_df"}


@lru_cache(maxsize=None)
def data(ds: str) -> pd.DataFrame:
    if ds == "sim":
        return pd.read_csv(FIX / "cfa" / "sim_data.csv")
    return pd.read_csv(FIX / "factor" / "ecr_missing.csv")


@lru_cache(maxsize=None)
def fitted(ds: str, model: str):
    return fit_cfa(data(ds), SYNTAX[(ds, model)], model, missing="fiml")


def ref(ds: str, model: str, what: str):
    df = pd.read_csv(FIX / "factor" / what)
    return df[(df["data"] == ds) & (df["model"] == model) & (df["estimator"] == "FIML")]


CASES = list(SYNTAX)


@pytest.mark.parametrize("ds,model", CASES)
def test_fiml_fit_measures_match_lavaan(ds: str, model: str) -> None:
    res = fitted(ds, model)
    r = ref(ds, model, "fit_measures.csv").iloc[0]
    bad = []
    for key, lav in NAMES.items():
        ours, theirs = res.fit[key], float(r[lav])
        ok = (ours == theirs if key in EXACT else
              abs(ours - theirs) <= 1e-6 * abs(theirs) if key in RELATIVE else abs(ours - theirs) <= 1e-5)
        if not ok:
            bad.append(f"{key}: ours {ours!r}, lavaan {theirs!r}")
    assert not bad, "; ".join(bad)
    assert res.fit["estimator"] == "FIML"
    # chi2 = 2 (logL_h1 − logL_h0), with lavaan's unrestricted.logl as h1
    assert res.fit["chi2"] == pytest.approx(2 * (float(r["unrestricted.logl"]) - res.fit["loglik"]), rel=1e-6)


@pytest.mark.parametrize("ds,model", CASES)
def test_fiml_estimates_match_lavaan(ds: str, model: str) -> None:
    ours = fitted(ds, model).parameters
    lav = ref(ds, model, "estimates.csv").fillna({"rhs": ""})
    m = ours.merge(lav, on=["lhs", "op", "rhs"], suffixes=("", "_lav"), validate="1:1")
    assert len(m) == len(ours) == len(lav)
    np.testing.assert_allclose(m["est"], m["est_lav"], atol=1e-4)
    free = m["free"].to_numpy(bool)
    # observed-information SEs (lavaan's default for missing = "ml")
    np.testing.assert_allclose(m.loc[free, "se"], m.loc[free, "se_lav"], rtol=1e-3)
    np.testing.assert_allclose(m["std"], m["std_lav"], atol=1e-4)
    np.testing.assert_allclose(m.loc[free, "std_se"], m.loc[free, "std_se_lav"], rtol=1e-3, atol=1e-5)


def test_fiml_uses_incomplete_rows_and_equals_ml_on_complete_data() -> None:
    d = data("sim")
    syn = SYNTAX[("sim", "two_factor")]
    assert fitted("sim", "two_factor").n == 620               # listwise ML has 599
    complete = d.dropna(subset=SIM_ITEMS)
    a = fit_cfa(complete, syn, "m", missing="fiml")
    b = fit_cfa(complete, syn, "m")
    for k in ("chi2", "df", "cfi", "tli", "rmsea", "loglik", "baseline_chi2"):
        assert a.fit[k] == pytest.approx(b.fit[k], rel=1e-8, abs=1e-10), k
    assert a.fit["npar"] == b.fit["npar"] + len(SIM_ITEMS)    # plus the intercepts
    np.testing.assert_allclose(a.loadings["est"], b.loadings["est"], atol=1e-7)


def test_em_recovers_known_moments() -> None:
    """MCAR deletion from a large normal sample: EM moments near the population ones."""
    rng = np.random.default_rng(3)
    sig = np.array([[1.0, 0.5, 0.3], [0.5, 2.0, 0.4], [0.3, 0.4, 1.5]])
    x = rng.multivariate_normal([1, 2, 3], sig, size=40000)
    x[rng.random(x.shape) < 0.2] = np.nan
    mu, s, it = fiml.em_moments(fiml.missing_patterns(x))
    np.testing.assert_allclose(mu, [1, 2, 3], atol=0.03)
    np.testing.assert_allclose(s, sig, atol=0.05)
    # at the EM solution the gradient of the observed-data log-likelihood is zero
    pat = fiml.missing_patterns(x)
    _, g_sig, g_mu = fiml.loglik(pat, mu, s, gradient=True)
    assert np.abs(g_mu).max() < 1e-6 and np.abs(g_sig).max() < 1e-6


def test_rows_without_answers_are_left_out_and_counted() -> None:
    d = data("sim").copy()
    d.loc[:4, SIM_ITEMS] = np.nan
    res = fit_cfa(d, SYNTAX[("sim", "two_factor")], "m", missing="fiml")
    assert res.n == 615 and res.fit["n_empty_rows"] == 5


def test_fiml_errors() -> None:
    d = data("sim").copy()
    with pytest.raises(ModelError, match="fewer than two answers to anx_2"):
        fit_cfa(d.assign(anx_2=np.nan), SYNTAX[("sim", "two_factor")], "m", missing="fiml")
    with pytest.raises(ModelError, match="not in the data: zz"):
        fit_cfa(d, "f =~ anx_1 + anx_2 + zz", "m", missing="fiml")
