"""``sem_models`` entries written in lavaan syntax (study file → steps → tables), and the preset
latent regression as syntax: the same numbers by both routes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attachstats.errors import ConfigError
from attachstats.spec.models import parse_sem_model
from attachstats.stats.latent.api import sem
from attachstats.stats.latent.fit_indices import FIT_COLUMNS
from attachstats.stats.latent.sem import SEM_PARAMETER_COLUMNS, fit_sem, sem_syntax
from attachstats.steps.model import fit_sem_models, sem_data, study_model_samples, syntax_data

STUDY = {"name": "t", "instruments": {"ecr": {"instrument": "ecr-r"}},
         "sem_models": []}
REVERSED = {9, 11, 20, 22, 26, 27, 28, 29, 30, 31, 33, 34, 35, 36}


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean items (raw direction, 1–7) and scores: two factors, a mediator and an outcome."""
    rng = np.random.default_rng(20261201)
    n = 400
    anx = rng.normal(size=n)
    avo = 0.3 * anx + rng.normal(scale=0.95, size=n)
    items = {"id": [f"r{k}" for k in range(n)]}
    for j in range(1, 37):
        f = anx if j <= 18 else avo
        v = np.clip(np.round(4 + 1.2 * (0.7 * f + 0.7 * rng.normal(size=n))), 1, 7)
        items[f"ecr_{j}"] = 8 - v if j in REVERSED else v       # stored as answered
    clean = pd.DataFrame(items)
    med = 0.5 * anx + rng.normal(size=n)
    scores = pd.DataFrame({"id": clean["id"], "ecr_anxiety": anx, "sasi_total": med,
                           "pdss_total": 0.4 * med + 0.2 * anx + rng.normal(size=n)})
    scores.loc[3, "pdss_total"] = np.nan
    return clean, scores


def test_preset_and_its_syntax_give_the_same_numbers(frames) -> None:
    clean, scores = frames
    preset = parse_sem_model({"name": "p", "instrument": "ecr", "outcomes": ["pdss_total"]}, ["ecr"])
    data, factors = sem_data(clean, scores, preset, STUDY)
    a = fit_sem(data, factors, ["pdss_total"], "p")
    b = sem(sem_syntax(factors, ["pdss_total"]), data, name="p")
    fa, fb = a.fit, b.fit_row()
    for k in ["n", "chi2", "df", "p", "cfi", "tli", "rmsea", "rmsea_ci_lo", "rmsea_ci_hi", "srmr", "aic",
              "bic", "loglik", "npar", "baseline_chi2"]:
        assert fb[k] == pytest.approx(fa[k], rel=1e-8, abs=1e-10), k
    m = a.parameters.merge(b.sem_table(), on=["lhs", "op", "rhs"])
    assert len(m) == len(a.parameters)
    for c in ["est", "se", "std"]:
        np.testing.assert_allclose(m[c + "_y"], m[c + "_x"], rtol=1e-7, atol=1e-9, err_msg=c)


def test_a_syntax_model_in_the_study_gets_the_sem_tables(frames) -> None:
    clean, scores = frames
    anx = " + ".join(f"ecr_{j}" for j in range(1, 19))
    syntax = f"anxiety =~ {anx}\nsasi_total ~ a*anxiety\npdss_total ~ b*sasi_total + anxiety\nind := a*b"
    specs = [parse_sem_model({"name": "latent_mediation", "syntax": syntax}, ["ecr"]),
             parse_sem_model({"name": "preset", "instrument": "ecr", "outcomes": ["pdss_total"]}, ["ecr"])]
    fit, par = fit_sem_models(clean, scores, specs, STUDY)
    assert list(fit.columns) == FIT_COLUMNS and list(par.columns) == SEM_PARAMETER_COLUMNS
    assert fit["model"].tolist() == ["latent_mediation", "preset"]
    row = fit.iloc[0]
    assert row["n"] == len(clean) - 1 and row["estimator"] == "ML"           # the missing outcome: listwise
    ind = par[(par["model"] == "latent_mediation") & (par["op"] == ":=")].iloc[0]
    a = par[(par["model"] == "latent_mediation") & (par["lhs"] == "sasi_total") & (par["op"] == "~")]["est"].iloc[0]
    b = par[(par["model"] == "latent_mediation") & (par["lhs"] == "pdss_total") & (par["rhs"] == "sasi_total")]["est"].iloc[0]
    assert ind["est"] == pytest.approx(a * b) and ind["se"] > 0
    assert set(par.loc[(par["model"] == "latent_mediation") & (par["op"] == "r2"), "lhs"]) >= {"sasi_total", "pdss_total"}
    # the same model fitted directly on the joined data (keyed items)
    direct = sem(syntax, syntax_data(clean, scores, STUDY), name="latent_mediation").fit_measures()
    assert row["chi2"] == pytest.approx(direct["chisq"])
    study = dict(STUDY, sem_models=[{"name": "latent_mediation", "syntax": syntax}])
    samples = study_model_samples(clean, scores, study)
    used = samples[(samples["model"] == "latent_mediation") & (samples["reason"] == "used")]["n"].iloc[0]
    assert used == row["n"]


@pytest.mark.parametrize("entry, message", [
    ({"name": "m", "syntax": "f =~ a + b + c", "instrument": "ecr"}, "not both"),
    ({"name": "m", "syntax": "   "}, "non-empty"),
    ({"name": "m", "syntax": "f =~ a + b + c", "std_lv": "yes"}, "true or false"),
    ({"name": "m", "instrument": "ecr", "outcomes": ["y"], "std_lv": True}, "syntax models only"),
    ({"name": "m"}, "either syntax"),
    ({"name": "m", "instrument": "ecr"}, "outcomes"),
])
def test_bad_syntax_entries_are_refused_naming_the_model(entry, message) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_sem_model(entry, ["ecr"], where="study 't', sem_models[0] (m)")


def test_the_pipeline_fits_a_preset_as_syntax_with_todays_numbers(frames) -> None:
    """The routed preset (lavaan syntax → the one driver) against the direct latent regression:
    same rows in the same order, every number within 1e-8 (in fact ~1e-14)."""
    from attachstats.stats.latent.sem import fit_sem_as_syntax

    clean, scores = frames
    preset = parse_sem_model({"name": "p", "instrument": "ecr", "outcomes": ["pdss_total", "sasi_total"]}, ["ecr"])
    data, factors = sem_data(clean, scores, preset, STUDY)
    a = fit_sem(data, factors, list(preset.outcomes), "p")
    b = fit_sem_as_syntax(data, factors, list(preset.outcomes), "p")
    pa, pb = a.parameters, b.parameters
    assert list(pb.columns) == SEM_PARAMETER_COLUMNS
    assert pa[["model", "lhs", "op", "rhs", "free"]].equals(pb[["model", "lhs", "op", "rhs", "free"]])
    for c in ["est", "se", "stat", "p", "ci_lo", "ci_hi", "std"]:
        x, y = pa[c].to_numpy(float), pb[c].to_numpy(float)
        assert (np.isnan(x) == np.isnan(y)).all(), c
        np.testing.assert_allclose(y, x, rtol=1e-8, atol=1e-10, err_msg=c)
    for k in FIT_COLUMNS:
        if isinstance(a.fit[k], str):
            assert a.fit[k] == b.fit[k], k
        elif not (np.isnan(a.fit[k]) and np.isnan(b.fit[k])):
            assert b.fit[k] == pytest.approx(a.fit[k], rel=1e-8, abs=1e-10), k
    fit, par = fit_sem_models(clean, scores, [preset], STUDY)             # what the sem rule writes
    assert par.equals(pb) and fit.iloc[0]["chi2"] == b.fit["chi2"]
