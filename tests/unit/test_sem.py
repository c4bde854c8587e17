"""attachstats.stats.latent.sem against lavaan::sem (fixture: tests/fixtures/sem)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.stats.latent.cfa import fit_cfa
from attachstats.stats.latent.fit_indices import FIT_COLUMNS
from attachstats.stats.latent.syntax import build_model_syntax
from attachstats.errors import ModelError
from attachstats.stats.latent.sem import SEM_PARAMETER_COLUMNS, fit_sem, sem_syntax

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "sem"
DATA = pd.read_csv(FIX / "data.csv")
FACTORS = {"anxiety": [f"anx_{i}" for i in range(1, 7)], "avoidance": [f"avo_{i}" for i in range(1, 7)]}
OUTCOMES = ["dep_total", "pan_total"]


@pytest.fixture(scope="module")
def result():
    return fit_sem(DATA, FACTORS, OUTCOMES, "latent")


def test_syntax_is_the_fixture_syntax():
    assert sem_syntax(FACTORS, OUTCOMES) == (FIX / "syntax.txt").read_text().strip()


def test_parameters_match_lavaan(result):
    ref = pd.read_csv(FIX / "parameters.csv")
    got = result.parameters
    assert list(got.columns) == SEM_PARAMETER_COLUMNS
    key = ["lhs", "op", "rhs"]
    assert sorted(map(tuple, got[key].to_numpy())) == sorted(map(tuple, ref[key].to_numpy()))
    m = got.merge(ref, on=key)
    # lavaan's nlminb stops with a gradient norm of ~2e-6 on this fixture (ours: 6e-9, and our chi2 is
    # lower by 2e-9), so estimates differ by up to ~2e-6 relative: far inside the 0.001 asked for
    np.testing.assert_allclose(m["est_x"], m["est_y"], rtol=1e-5, atol=1e-8, err_msg="est")
    free = m["free"]
    np.testing.assert_allclose(m.loc[free, "se_x"], m.loc[free, "se_y"], rtol=1e-5, err_msg="se")
    np.testing.assert_allclose(m.loc[free, "stat"], m.loc[free, "z"], rtol=1e-5, err_msg="z")
    np.testing.assert_allclose(m.loc[free, "p"], m.loc[free, "pvalue"], rtol=1e-4, atol=1e-12, err_msg="p")
    np.testing.assert_allclose(m.loc[free, "ci_lo"], m.loc[free, "ci.lower"], rtol=1e-5, err_msg="ci")
    np.testing.assert_allclose(m["std"], m["std.all"], rtol=1e-5, atol=1e-9, err_msg="std.all")
    assert m.loc[~free & (m["op"] == "=~"), "est_x"].eq(1.0).all()


def test_fit_measures_match_lavaan(result):
    ref = pd.read_csv(FIX / "fit_measures.csv").iloc[0]
    assert set(FIT_COLUMNS) <= set(result.fit)
    assert result.n == result.fit["n"] == ref["n"]
    for key in ["chi2", "df", "p", "cfi", "tli", "rmsea", "rmsea_ci_lo", "rmsea_ci_hi", "srmr", "aic", "bic",
                "loglik", "npar", "baseline_chi2", "baseline_df"]:
        assert result.fit[key] == pytest.approx(ref[key], rel=1e-6, abs=1e-8), key


def test_measurement_only_model_reduces_to_the_cfa():
    """With no structural paths the SEM machinery must equal the CFA fit (outcomes left out)."""
    cfa = fit_cfa(DATA.dropna(subset=OUTCOMES), build_model_syntax(FACTORS), "cfa")
    sem = fit_sem(DATA, FACTORS, OUTCOMES, "latent")
    sem_load = sem.parameters[sem.parameters["op"] == "=~"].reset_index(drop=True)
    cfa_load = cfa.parameters[cfa.parameters["op"] == "=~"].reset_index(drop=True)
    # not equal (the outcomes carry information about the factors) but close: a sanity check
    np.testing.assert_allclose(sem_load["est"], cfa_load["est"], rtol=0.05)


def test_bad_inputs():
    with pytest.raises(ModelError, match="not in the data"):
        fit_sem(DATA, FACTORS, ["nope"], "m")
    with pytest.raises(ModelError, match="also items or factor names"):
        fit_sem(DATA, FACTORS, ["anx_1"], "m")
    with pytest.raises(ModelError, match="at least one outcome"):
        fit_sem(DATA, FACTORS, [], "m")
