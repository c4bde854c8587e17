"""The power analysis of a longitudinal design (design: panel, config/power-panel.yaml)."""

from __future__ import annotations

import pandas as pd
import pytest

from attachstats.errors import ConfigError
from attachstats.sim.panel import PanelConfig
from attachstats.sim.power import PowerSpec, run_chunk, simulated_panel, true_coefficients
from attachstats.spec.study import read_yaml
from attachstats.stats.rng import named_rng
from conftest import ROOT


def _spec(**over) -> PowerSpec:
    d = read_yaml(ROOT / "config" / "power-panel.yaml")
    d["simulation"] = str(ROOT / d["simulation"])
    d.update(over)
    return PowerSpec.from_dict(d, seed=11)


def test_bad_design_or_attrition_is_one_clear_error() -> None:
    with pytest.raises(ConfigError, match="design must be one of cross_sectional, panel"):
        _spec(design="growth")
    with pytest.raises(ConfigError, match="attrition must be model, none or a share"):
        _spec(attrition=1.5)


def test_attrition_options() -> None:
    cfg = PanelConfig()
    none = simulated_panel(2000, cfg, named_rng(1, "t"), "none")
    half = simulated_panel(2000, cfg, named_rng(1, "t"), 0.5)
    model = simulated_panel(2000, cfg, named_rng(1, "t"), "model")
    assert none["missing_w2"].sum() == 0 and "missing_w1" not in none
    assert 0.45 < half["missing_w2"].mean() < 0.55
    assert 0.17 < model["missing_w2"].mean() < 0.28      # the MAR model: about 22 % (truth.json)
    # MAR: dropouts had higher baseline depression
    assert model.loc[model["missing_w2"] == 1, "phq9_total_w1"].mean() > model["phq9_total_w1"].mean()


def test_chunks_do_not_change_the_replications() -> None:
    a = _spec(replications=4, chunk_size=4)
    b = _spec(replications=4, chunk_size=2)
    whole = run_chunk(a, 200, 0)
    parts = pd.concat([run_chunk(b, 200, 0), run_chunk(b, 200, 1)], ignore_index=True)
    pd.testing.assert_frame_equal(whole, parts)
    assert set(whole["term"]) == {"ecr_anxiety_w1:loss_w2", "loss_w2"}


def test_true_values_are_the_panels_exact_coefficients() -> None:
    truth = true_coefficients(_spec(truth_n=50_000))
    d = PanelConfig().depression
    assert truth[("lagged_moderation", "ecr_anxiety_w1:loss_w2")] == pytest.approx(d.ecr_anxiety_prev_x_loss, abs=0.2)
    assert truth[("lagged_moderation", "phq9_total_w1")] == pytest.approx(d.phq9_total_prev, abs=0.02)
