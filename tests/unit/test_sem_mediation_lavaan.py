"""The example study's latent mediation model (config/studies/example.yaml, ``sem_models``:
``latent_mediation``) against lavaan: estimates, SEs, standardised values, defined effects and
fit measures to 1e-4, by ML and by MLR (the estimator the study declares), on the model's
analysis sample exported from the pipeline (tests/fixtures/sem_mediation, made by
export_sample.py and make_sem_mediation_fixtures.R)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from attachstats.spec.models import sem_specs
from attachstats.stats.latent.api import pipeline_tables, sem

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "tests" / "fixtures" / "sem_mediation"
TOL = 1e-4


@pytest.fixture(scope="module")
def spec():
    study = yaml.safe_load((ROOT / "config" / "studies" / "example.yaml").read_text(encoding="utf-8"))
    return next(s for s in sem_specs(study) if s.name == "latent_mediation")


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(FIX / "sample.csv")


@pytest.fixture(scope="module")
def lavaan() -> tuple[pd.DataFrame, pd.DataFrame]:
    return (pd.read_csv(FIX / "estimates.csv", keep_default_na=False, na_values=[""]),
            pd.read_csv(FIX / "fit_measures.csv"))


def test_the_fixture_is_of_the_shipped_model(spec) -> None:
    assert (FIX / "model.lav").read_text(encoding="utf-8") == spec.syntax
    assert spec.estimator == "MLR" and spec.missing == "listwise"


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_estimates_and_errors_match_lavaan(spec, sample, lavaan, estimator) -> None:
    res = sem(spec.syntax, sample, estimator=estimator, name=spec.name)
    ours = res.parameters()
    ours = ours[ours["op"] != "r2"]
    ref = lavaan[0][lavaan[0]["estimator"] == estimator]
    m = ref.merge(ours, on=["lhs", "op", "rhs"], suffixes=("_r", ""), validate="one_to_one")
    assert len(m) == len(ref) == len(ours) == 176 / 2                       # every parameter and := row
    for c in ["est", "se", "ci.lower", "ci.upper", "std.all"]:
        np.testing.assert_allclose(m[c], m[c + "_r"], atol=TOL, rtol=0, err_msg=c)
    # z = est / se is up to ~16 here: relative agreement (lavaan's optimum is itself ~1e-5 off ours)
    np.testing.assert_allclose(m["z"], m["z_r"], rtol=TOL, atol=TOL, err_msg="z")
    np.testing.assert_allclose(m["pvalue"], m["pvalue_r"], atol=TOL, err_msg="pvalue")
    ind = m.set_index("lhs").loc["indirect"]
    assert ind["est"] == pytest.approx(0.0806939, abs=1e-6)                  # a*b, as lavaan's


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_fit_measures_match_lavaan(spec, sample, lavaan, estimator) -> None:
    res = sem(spec.syntax, sample, estimator=estimator, name=spec.name)
    ours = res.fit_measures()
    ref = lavaan[1][lavaan[1]["estimator"] == estimator].set_index("measure")["value"]
    names = ["npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli", "logl",
             "unrestricted.logl", "aic", "bic", "ntotal", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr"]
    if estimator == "MLR":
        names += ["chisq.scaled", "pvalue.scaled", "chisq.scaling.factor", "baseline.chisq.scaled",
                  "cfi.scaled", "tli.scaled", "cfi.robust", "tli.robust", "rmsea.scaled", "rmsea.robust",
                  "rmsea.ci.lower.robust", "rmsea.ci.upper.robust"]
    for k in names:
        assert ours[k] == pytest.approx(ref[k], rel=TOL, abs=TOL), k
    # the pipeline's fit row (tables/sem_fit.csv) reports the robust versions for MLR
    row, table = pipeline_tables(res, spec.name)
    assert row["estimator"] == estimator and row["n"] == len(sample)
    if estimator == "MLR":
        assert row["chi2"] == pytest.approx(ref["chisq.scaled"], rel=TOL)
        assert row["cfi"] == pytest.approx(ref["cfi.robust"], rel=TOL)
        assert row["rmsea"] == pytest.approx(ref["rmsea.robust"], abs=TOL)
    defined = table[table["op"] == ":="].set_index("lhs")
    est = lavaan[0][(lavaan[0]["estimator"] == estimator) & (lavaan[0]["op"] == ":=")].set_index("lhs")
    np.testing.assert_allclose(defined.loc[est.index, "se"], est["se"], atol=TOL)
