"""Reporting guardrail: conditional effects at meaningful values (issue 13, item 4).

Continuous variables that enter an interaction are mean-centred by default, so the
coefficient of a partner is its effect at the sample mean, not at an off-scale zero. The
reference is R (tests/fixtures/moderation/make_fixtures.R): lm/glm on the centred variables,
simple slopes by hand from the HC3 covariance, Johnson–Neyman roots by uniroot, in the
moderator's own units.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.errors import ConfigError
from attachstats.spec.models import parse_outcome_model
from attachstats.stats.regression.moderation import observed_region
from attachstats.stats.regression.outcomes import fit_outcome_model, interaction_centres, model_frame, probe_tables

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "moderation"
DATA = pd.read_csv(FIX.parent / "outcomes" / "data.csv")
MODELS = {m["name"]: m for m in json.loads((FIX / "models.json").read_text(encoding="utf-8"))}
COEF = pd.read_csv(FIX / "coefficients.csv")
SLOPES = pd.read_csv(FIX / "simple_slopes.csv")
JN = pd.read_csv(FIX / "johnson_neyman.csv")
TOL = dict(rtol=1e-6, atol=1e-8)


@pytest.fixture(scope="module")
def results():
    return {name: fit_outcome_model(DATA, parse_outcome_model(m)) for name, m in MODELS.items()}


@pytest.mark.parametrize("name", list(MODELS))
def test_centred_coefficients_match_r(results, name):
    got = results[name].coefficients
    ref = COEF[COEF["model"] == name].reset_index(drop=True)
    assert list(got["term"]) == list(ref["term"])
    for col in ["b", "se", "stat", "p", "ci_lo", "ci_hi", "centre"]:
        np.testing.assert_allclose(got[col].to_numpy(float), ref[col].to_numpy(float), equal_nan=True,
                                   err_msg=f"{name}: {col}", **TOL)


def test_only_continuous_interaction_variables_are_centred(results):
    assert results["centred_loss"].frame.centres.keys() == {"anx score"}      # loss is 0/1: kept
    assert results["centred_both"].frame.centres.keys() == {"anx score", "avoid-score"}
    spec = parse_outcome_model({**MODELS["centred_loss"], "standardise": ["anx score"]})
    assert interaction_centres(DATA.dropna(), spec) == {}                      # already z-scored
    off = parse_outcome_model({**MODELS["centred_loss"], "centre": False})
    assert model_frame(DATA, off).centres == {}


def test_the_partner_coefficient_is_the_simple_slope_at_the_mean(results):
    """The guardrail's point: loss's coefficient equals its slope at mean anxiety."""
    res = results["centred_loss"]
    b = res.coefficients.set_index("term")
    s = probe_tables(res)["simple_slopes"].set_index("at")
    assert b.loc["loss", "b"] == pytest.approx(s.loc["mean", "slope"], rel=1e-12)
    assert b.loc["loss", "p"] == pytest.approx(s.loc["mean", "p"], rel=1e-9)
    # uncentred, the same coefficient is the effect at anxiety = 0 (another number)
    raw = fit_outcome_model(DATA, parse_outcome_model({**MODELS["centred_loss"], "centre": False}))
    b0 = raw.coefficients.set_index("term")
    assert abs(b0.loc["loss", "b"] - b.loc["loss", "b"]) > 0.5
    # interaction and fit are the same model
    assert b0.loc["anx score:loss", "b"] == pytest.approx(b.loc["anx score:loss", "b"], rel=1e-10)
    assert raw.fit["r2"] == pytest.approx(res.fit["r2"], rel=1e-12)


@pytest.mark.parametrize("name", ["centred_loss", "centred_both"])
def test_probe_in_the_moderators_own_units_matches_r(results, name):
    tabs = probe_tables(results[name])
    got = tabs["simple_slopes"]
    ref = SLOPES[SLOPES["model"] == name].reset_index(drop=True)
    for col in ["moderator_value", "slope", "se", "stat", "p", "ci_lo", "ci_hi"]:
        np.testing.assert_allclose(got[col], ref[col], err_msg=col, **TOL)
    jn = tabs["johnson_neyman"].iloc[0]
    roots = JN[JN["model"] == name]
    np.testing.assert_allclose([jn["lower"], jn["upper"]], sorted(roots["root"]), rtol=1e-7)
    assert jn["moderator_min"] == pytest.approx(roots["moderator_min"].iloc[0])
    assert jn["moderator_max"] == pytest.approx(roots["moderator_max"].iloc[0])
    curve = tabs["slope_curve"]
    assert curve["moderator_value"].iloc[0] == pytest.approx(jn["moderator_min"])
    assert curve["moderator_value"].iloc[-1] == pytest.approx(jn["moderator_max"])


def test_johnson_neyman_clipped_to_the_observed_range(results):
    both = probe_tables(results["centred_both"])["johnson_neyman"].iloc[0]
    # R's roots are 1.01 and 6.90, significant between them; the data end at 6.27
    assert both["region"] == "inside" and both["upper"] > both["moderator_max"]
    assert both["region_observed"] == "above"
    assert both["lower_observed"] == pytest.approx(both["lower"]) and math.isnan(both["upper_observed"])
    loss = probe_tables(results["centred_loss"])["johnson_neyman"].iloc[0]
    assert loss["region_observed"] == "outside"       # both roots inside the observed range


@pytest.mark.parametrize("args, want", [
    (("outside", 0.64, 2.36, 1.0, 6.94), ("above", 2.36)),
    (("outside", 2.0, 3.0, 1.0, 7.0), ("outside", 2.0)),
    (("outside", -5.0, 0.5, 1.0, 7.0), ("everywhere", math.nan)),
    (("outside", 0.5, 9.0, 1.0, 7.0), ("nowhere", math.nan)),
    (("inside", 0.0, 3.0, 1.0, 7.0), ("below", 3.0)),
    (("inside", 8.0, 9.0, 1.0, 7.0), ("nowhere", math.nan)),
    (("everywhere", math.nan, math.nan, 1.0, 7.0), ("everywhere", math.nan)),
    (("above", 0.2, 0.2, 1.0, 7.0), ("everywhere", math.nan)),
    (("below", 4.0, 4.0, 1.0, 7.0), ("below", 4.0)),
])
def test_observed_region_cases(args, want):
    region, lo, _ = observed_region(*args)
    assert region == want[0]
    assert (math.isnan(lo) and math.isnan(want[1])) or lo == pytest.approx(want[1])


def test_centre_key_must_be_boolean():
    with pytest.raises(ConfigError, match="centre must be true or false"):
        parse_outcome_model({**MODELS["centred_loss"], "centre": "yes"})
