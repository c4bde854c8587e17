"""Trajectories, change between waves and lagged moderation (attachstats.stats.longitudinal).

Lagged moderation against R (tests/fixtures/longitudinal/make_longitudinal_fixtures.R: lm +
sandwich HC3, simple slopes and Johnson–Neyman written out); change against the formulas and
against known truth (attachstats.sim.panel_truth).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import ROOT
from attachstats.errors import ModelError
from attachstats.sim.panel_truth import simulate_lagged, simulate_prepost
from attachstats.stats.longitudinal import (CHANGE_COLUMNS, RELIABLE_CHANGE_COLUMNS, TRAJECTORY_COLUMNS,
                                            lagged_columns, lagged_moderation, score_change, wave_means)
from attachstats.stats.reliability import cronbach_alpha

FIX = ROOT / "tests" / "fixtures" / "longitudinal"


def test_lagged_moderation_matches_r():
    d = pd.read_csv(FIX / "lagged_data.csv")
    res = lagged_moderation(d, "phq9_total", "loss", "ecr_anxiety", "w1", "w2", ["age"])
    ref = pd.read_csv(FIX / "lagged_coefficients.csv")
    ref["term"] = ref["term"].str.replace("anx_c", "ecr_anxiety_w1")
    m = res.coefficients.merge(ref, on="term", suffixes=("", "_r"))
    assert len(m) == 6
    np.testing.assert_allclose(m["b"], m["b_r"], atol=1e-8)
    np.testing.assert_allclose(m["se"], m["se_r"], atol=1e-8)
    np.testing.assert_allclose(m["p"], m["p_r"], rtol=1e-6)
    s = pd.read_csv(FIX / "lagged_simple_slopes.csv")
    for c in ("moderator_value", "slope", "se", "ci_lo", "ci_hi", "p"):
        np.testing.assert_allclose(res.simple_slopes[c], s[c], atol=1e-8)
    jn = pd.read_csv(FIX / "lagged_johnson_neyman.csv").iloc[0]
    mine = res.johnson_neyman.iloc[0]
    assert mine["lower"] == pytest.approx(jn["lower"], abs=1e-8)
    assert mine["upper"] == pytest.approx(jn["upper"], abs=1e-8)
    assert mine["region"] == jn["region"] and mine["region_observed"] == jn["region_observed"]
    assert mine["share_significant"] == pytest.approx(jn["share_significant"])
    assert res.columns == {"outcome": "phq9_total_w2", "baseline": "phq9_total_w1", "focal": "loss_w2",
                           "moderator": "ecr_anxiety_w1", "covariate:age": "age_w1"}


def test_lagged_moderation_recovers_the_truth():
    d = simulate_lagged(6000, b_interaction=0.4, seed=3)
    res = lagged_moderation(d, "phq9_total", "loss", "ecr_anxiety", "w1", "w2", ["age"])
    c = res.coefficients.set_index("term")
    truth = {"loss_w2:ecr_anxiety_w1": 0.4, "phq9_total_w1": 0.5, "age_w1": 0.1}
    for term, value in truth.items():       # 99.9% intervals: several parameters, one sample
        assert abs(c.loc[term, "b"] - value) < 3.29 * c.loc[term, "se"], term
    assert c.loc["loss_w2:ecr_anxiety_w1", "p"] < 1e-6
    # slope of the breakup at the moderator's mean: 0.6 + 0.4·(mean − 3.5)
    mean_row = res.simple_slopes[res.simple_slopes["at"] == "mean"].iloc[0]
    expected = 0.6 + 0.4 * (mean_row["moderator_value"] - 3.5)
    assert abs(mean_row["slope"] - expected) < 3.29 * mean_row["se"]
    plus = res.simple_slopes[res.simple_slopes["at"] == "+1 SD"].iloc[0]
    assert abs(plus["slope"] - (0.6 + 0.4 * (plus["moderator_value"] - 3.5))) < 3.29 * plus["se"]


def test_lagged_missing_rows_are_counted_and_columns_checked():
    d = simulate_lagged(200, seed=4)
    d.loc[:9, "phq9_total_w2"] = np.nan            # ten people did not come back
    res = lagged_moderation(d, "phq9_total", "loss", "ecr_anxiety", "w1", "w2")
    assert int(res.fit["n"].iloc[0]) == 190
    used = res.samples[res.samples["reason"] == "used"]["n"].sum()
    assert used == 190 and res.samples["n"].sum() == 200
    with pytest.raises(ModelError, match="no column"):
        lagged_columns(d, "phq9_total", "loss", "ecr_anxiety", "w1", "w3")


def test_wave_means_is_the_t_interval():
    d = simulate_prepost(50, seed=1)
    d.loc[:4, "ecr_anxiety_w2"] = np.nan
    t = wave_means(d, "ecr_anxiety", ["w1", "w2"])
    assert list(t.columns) == TRAJECTORY_COLUMNS and list(t["n"]) == [50, 45]
    x = d["ecr_anxiety_w2"].dropna()
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert t.loc[1, "ci_lo"] == pytest.approx(lo) and t.loc[1, "ci_hi"] == pytest.approx(hi)


def test_score_change_uses_alpha_of_the_pre_items():
    d = simulate_prepost(300, seed=5)
    d.loc[:19, "ecr_anxiety_w2"] = np.nan
    items = [f"ecr_{j}" for j in range(1, 7)]
    res = score_change(d, "ecr_anxiety", "w1", "w2", "alpha", items=items, cutoff=3.5, ids=d["id"])
    row = res.change.iloc[0]
    assert list(res.change.columns) == CHANGE_COLUMNS
    both = d["ecr_anxiety_w1"].notna() & d["ecr_anxiety_w2"].notna()
    alpha = cronbach_alpha(d.loc[both, [f"{i}_w1" for i in items]])["alpha"]
    assert row["reliability"] == pytest.approx(alpha) and row["reliability_method"] == "alpha at w1"
    sd = d.loc[both, "ecr_anxiety_w1"].std(ddof=1)
    se_diff = sd * np.sqrt(2 * (1 - alpha))
    assert row["se_diff"] == pytest.approx(se_diff)
    rci = (d["ecr_anxiety_w2"] - d["ecr_anxiety_w1"]) / se_diff
    shares = res.shares[res.shares["classification"] == "reliable"].set_index("category")["share"]
    assert list(res.shares.columns) == RELIABLE_CHANGE_COLUMNS
    assert shares["improved"] == pytest.approx((rci[both] < -1.96).mean())
    assert shares["deteriorated"] == pytest.approx((rci[both] > 1.96).mean())
    assert row["n"] == 280 and row["n_dropped"] == 20
    assert (res.persons["dropped"] == "post missing").sum() == 20
    assert res.persons["id"].iloc[0] == "p0001"


def test_score_change_recovers_the_truth():
    """True-score change −0.5 (true SD 1): the observed mean change's CI covers −0.5."""
    d = simulate_prepost(3000, effect=-0.5, seed=6)
    row = score_change(d, "ecr_anxiety", "w1", "w2", 0.8).change.iloc[0]
    assert row["diff_ci_lo"] < -0.5 < row["diff_ci_hi"]
    assert row["reliability_method"] == "stated"


def test_score_change_needs_items_for_estimated_reliability():
    d = simulate_prepost(30, seed=7)
    with pytest.raises(ModelError, match="no column"):
        score_change(d, "ecr_anxiety", "w1", "w2", "omega", items=["nope"])


def test_docstring_examples_run():
    import doctest

    from attachstats.output.figures import longitudinal as figs
    from attachstats.output.report import longitudinal as report
    from attachstats.sim import panel_truth
    from attachstats.spec import longitudinal as spec, waves
    from attachstats.stats import longitudinal as obs
    from attachstats.stats.latent import longitudinal as sem_models

    for mod in (figs, report, panel_truth, spec, waves, obs, sem_models):
        result = doctest.testmod(mod)
        assert result.attempted > 0 and result.failed == 0, mod.__name__
