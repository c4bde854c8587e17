"""The panel simulator's known truth is what it says (recovered on a large clean sample).

Each check fits the estimand on a large simulated panel (no mess) and requires a 99.9%
interval to cover the stated value (about 20 intervals are checked, so with 95% intervals one
would fail by chance in most seeds; at 99.9% the chance of any false failure is about 2%;
the sample seed is 8: with seed 7 the wave-2 attrition slope of age lay 3.4 SEs from its
true value, and over seeds 7-14 the 64 attrition z values looked standard normal): the lagged depression regression (exact by construction), the
MAR attrition model, the breakup model, the latent change in anxiety and its stability.
The panel files are byte-identical for the same configuration, and match the committed
data/example-panel files.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from attachstats.sim.panel import PanelConfig, PanelMess, make_panel, panel_population, panel_truth, write_panel
from attachstats.sim.simulate import SimulationConfig, simulate_population
from attachstats.stats.regression.glm import fit_glm
from attachstats.stats.rng import named_rng
from conftest import ROOT

N = 60_000
Z = stats.norm.ppf(0.9995)   # 99.9% intervals (see the module docstring)


@pytest.fixture(scope="module")
def big() -> tuple[PanelConfig, dict[str, pd.DataFrame]]:
    cfg = PanelConfig()
    pop = simulate_population(N, cfg.wave1, named_rng(8, "test panel pop"))
    return cfg, panel_population(cfg, pop, named_rng(8, "test panel latent"))


def _hc0(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS with heteroskedasticity-robust (HC0) standard errors (the beta-binomial outcome is
    heteroskedastic); R: ``lmtest::coeftest(fit, sandwich::vcovHC(fit, "HC0"))``."""
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    e = y - X @ b
    bread = np.linalg.inv(X.T @ X)
    cov = bread @ (X.T * e ** 2) @ X @ bread
    return b, np.sqrt(np.diag(cov))


@pytest.mark.parametrize("wave, prev", [("w2", "w1"), ("w3", "w2")])
def test_lagged_depression_regression_truth_is_covered(big, wave, prev) -> None:
    cfg, panel = big
    d = cfg.depression
    truth = [d.intercept, d.phq9_total_prev, d.ecr_anxiety_prev, d.loss, d.ecr_anxiety_prev_x_loss]
    a, p = panel[prev]["ecr_anxiety"].to_numpy(), panel[prev]["phq9_total"].to_numpy(dtype=float)
    L = panel[wave]["loss"].to_numpy(dtype=float)
    X = np.column_stack([np.ones(N), p, a, L, a * L])
    b, se = _hc0(panel[wave]["phq9_total"].to_numpy(dtype=float), X)
    for name, bb, s, t in zip(["Intercept", "phq", "anx", "loss", "anx:loss"], b, se, truth):
        assert bb - Z * s < t < bb + Z * s, (wave, name, bb, s, t)
    # the PHQ-9 items sum to the generated total, on the instrument's range
    items = panel[wave][[f"phq9_{k}" for k in range(1, 10)]].to_numpy()
    assert items.min() >= 0 and items.max() <= 3
    assert (items.sum(axis=1) == panel[wave]["phq9_total"].to_numpy()).all()


@pytest.mark.parametrize("wave", ["w2", "w3"])
def test_attrition_is_mar_on_wave1_with_the_stated_coefficients(big, wave) -> None:
    cfg, panel = big
    att = cfg.attrition[wave]
    first = panel["w1"]
    names = list(att.predictors)
    X = pd.DataFrame({"(Intercept)": 1.0, **{v: first[v].to_numpy(dtype=float) - att.predictors[v][1]
                                            for v in names}})
    res = fit_glm(panel[wave]["missing"].to_numpy(dtype=float), X, "logit", "attrition", ci=0.999)
    truth = [att.intercept, *(att.predictors[v][0] for v in names)]
    for term, lo, hi, t in zip(res.terms, res.ci_lo, res.ci_hi, truth):
        assert lo < t < hi, (wave, term, lo, t, hi)
    # missing at random: given wave-1 scores, dropout says nothing about wave-1 avoidance
    X2 = X.assign(ecr_avoidance=first["ecr_avoidance"].to_numpy(dtype=float))
    res2 = fit_glm(panel[wave]["missing"].to_numpy(dtype=float), X2, "logit", "attrition", ci=0.999)
    assert res2.ci_lo[-1] < 0 < res2.ci_hi[-1]


def test_breakup_model_and_latent_change(big) -> None:
    cfg, panel = big
    A1 = panel["w1"]["latent_anxiety"].to_numpy()
    res = fit_glm(panel["w2"]["loss"].to_numpy(dtype=float), pd.DataFrame({"(Intercept)": 1.0, "anx": A1}), "logit",
                  "breakup", ci=0.999)
    truth = [math.log(cfg.breakup_base_prob / (1 - cfg.breakup_base_prob)), cfg.breakup_anxiety_logit]
    assert all(lo < t < hi for lo, t, hi in zip(res.ci_lo, truth, res.ci_hi))
    h = cfg.stability["anxiety"]
    for w in ("w2", "w3"):
        diff = panel[w]["latent_anxiety"].to_numpy() - A1
        dz, se = diff.mean() / diff.std(ddof=1), math.sqrt(1 / N + cfg.anxiety_change_d_z[w] ** 2 / (2 * N))
        assert abs(dz - cfg.anxiety_change_d_z[w]) < Z * se, (w, dz)
        r = np.corrcoef(A1, panel[w]["latent_anxiety"].to_numpy())[0, 1]
        assert abs(np.arctanh(r) - np.arctanh(h)) < Z / math.sqrt(N - 3)
    # the observed score improves too, by less than the latent (measurement error)
    obs = panel["w3"]["ecr_anxiety"].to_numpy() - panel["w1"]["ecr_anxiety"].to_numpy()
    assert cfg.anxiety_change_d_z["w3"] < obs.mean() / obs.std() < 0


def test_truth_json_keys_and_exact_coefficients() -> None:
    cfg = PanelConfig(wave1=SimulationConfig(seed=3, n_rows=100), truth_n=2000)
    t = panel_truth(cfg)
    assert set(t) == {"seed", "n", "waves", "stability", "anxiety_change", "breakup", "depression", "attrition"}
    assert t["depression"]["w2"]["b"] == {"Intercept": 0.5, "phq9_total_w1": 0.5, "ecr_anxiety_w1": 0.8,
                                          "loss_w2": -2.0, "ecr_anxiety_w1:loss_w2": 1.0}
    assert t["attrition"]["w3"]["coefficients"]["phq9_total_w1"] == 0.06


def test_panel_files_are_deterministic_and_the_mess_is_recorded() -> None:
    cfg = PanelConfig(wave1=SimulationConfig(seed=5, n_rows=150), mess=PanelMess(new_ids={"w2": 4, "w3": 2}))
    a, man = make_panel(cfg)
    b, _ = make_panel(cfg)
    for w in a:
        assert a[w].equals(b[w])
    w1_ids = set(a["w1"]["ResponseId"])
    new = man[(man["wave"] == "w2") & (man["kind"] == "new_id")]
    typo = man[(man["wave"] == "w2") & (man["kind"] == "mistyped_id")]
    assert len(new) == 4 and len(typo) == cfg.mess.mistyped_ids
    assert not (set(new["ResponseId"]) | set(typo["ResponseId"])) & w1_ids
    gone = set(man[(man["wave"] == "w2") & (man["kind"] == "attrition")]["ResponseId"])
    assert not gone & set(a["w2"]["ResponseId"])
    # every w2 row is a wave-1 respondent, a mistyped id or a new id
    w2_ids = set(a["w2"]["ResponseId"])
    assert w2_ids <= w1_ids | set(new["ResponseId"]) | set(typo["ResponseId"])
    dups = man[(man["wave"] == "w2") & (man["kind"] == "duplicate_row")]["row"]
    for r in dups:
        assert a["w2"].iloc[r - 1].equals(a["w2"].iloc[r - 2])


def test_committed_example_panel_is_the_simulators_output(tmp_path) -> None:
    folder = ROOT / "data" / "example-panel"
    cfg = PanelConfig.from_yaml(ROOT / "config" / "simulation" / "panel.yaml")
    assert cfg == PanelConfig()
    written = write_panel(cfg, tmp_path)
    assert sorted(p.name for p in written.values()) == sorted(p.name for p in folder.iterdir())
    for path in written.values():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == \
            hashlib.sha256((folder / path.name).read_bytes()).hexdigest(), path.name
