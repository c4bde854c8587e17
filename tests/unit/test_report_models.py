"""Manuscript sentences and figures of the outcome models: numbers come from the tables; empty tables say why."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attachstats.output.figures import models as model_figures


def base_tables() -> dict:
    flow = pd.DataFrame({"stage": ["raw", "analysed"], "n_before": [10, 10], "n_excluded": [0, 0], "n_after": [10, 10]})
    return {"flow": flow, "cfa_fit": pd.DataFrame(), "regressions": pd.DataFrame()}


def model_tables() -> dict:
    reg = pd.DataFrame([
        {"model": "dep", "outcome": "phq9_total", "family": "ols", "term": "ecr_anxiety", "b": 1.3, "ci_lo": 1.1,
         "ci_hi": 1.5, "beta": 0.31, "p": 1e-9, "p_adj": 2e-9, "exp_b": np.nan, "exp_ci_lo": np.nan,
         "exp_ci_hi": np.nan, "se": 0.1, "stat": 13.0, "sr2": 0.09, "n": 1427, "centre": np.nan},
        {"model": "case", "outcome": "phq9_total", "family": "logit", "term": "ecr_anxiety", "b": 0.47, "ci_lo": 0.36,
         "ci_hi": 0.57, "beta": np.nan, "p": 0.02, "p_adj": 0.04, "exp_b": 1.594, "exp_ci_lo": 1.438,
         "exp_ci_hi": 1.768, "se": 0.05, "stat": 2.33, "sr2": np.nan, "n": 1427, "centre": np.nan}])
    slopes = pd.DataFrame({"model": "mod", "outcome": "phq9_total", "focal": "loss", "moderator": "ecr_anxiety",
                           "at": ["-1 SD", "mean", "+1 SD"], "moderator_value": [2.41, 3.71, 5.0],
                           "slope": [1.15, 3.39, 5.63], "se": [0.5, 0.4, 0.6], "ci_lo": [0.1, 2.6, 4.4],
                           "ci_hi": [2.2, 4.2, 6.8], "stat": [2.1, 8.2, 9.2], "p": [0.032, 1e-10, 1e-12], "df": 100,
                           "n": 107, "focal_lo": 0.0, "focal_hi": 1.0, "fitted_lo": [4.6, 6.1, 7.5],
                           "fitted_hi": [5.8, 9.4, 13.1]})
    jn = pd.DataFrame([{"model": "mod", "outcome": "phq9_total", "focal": "loss", "moderator": "ecr_anxiety",
                        "alpha": 0.05, "t_crit": 1.98, "lower": 0.64, "upper": 2.36, "region": "outside",
                        "moderator_min": 1.0, "moderator_max": 6.94, "share_significant": 0.84, "n": 107}])
    grid = np.linspace(1, 6.94, 11)
    curve = pd.DataFrame({"model": "mod", "outcome": "phq9_total", "focal": "loss", "moderator": "ecr_anxiety",
                          "moderator_value": grid, "slope": grid - 2, "se": 0.5, "ci_lo": grid - 3, "ci_hi": grid - 1,
                          "significant": (grid < 0.64) | (grid > 2.36)})
    med = pd.DataFrame({"model": "med", "path": ["a", "b", "c", "c_prime", "indirect"], "x": "sasi_total",
                        "mediator": "ecr_anxiety", "outcome": "pdss_total",
                        "estimate": [0.041, 0.826, 0.135, 0.101, 0.034], "se": 0.01,
                        "ci_lo": [0.03, 0.6, 0.1, 0.07, 0.025], "ci_hi": [0.05, 1.0, 0.16, 0.13, 0.045], "std": 0.2,
                        "stat": [11, 9, 9, 7, np.nan], "p": [1e-20, 1e-19, 1e-18, 1e-12, np.nan],
                        "ci_method": "t (HC3)", "n_boot": [0, 0, 0, 0, 5000], "n": 1426})
    sem_fit = pd.DataFrame([{"model": "lat", "n": 973, "chi2": 657.63, "df": 661, "p": 0.53, "cfi": 1, "tli": 1,
                             "rmsea": 0, "srmr": 0.0215}])
    sem_par = pd.DataFrame([{"model": "lat", "lhs": "phq9_total", "op": "~", "rhs": "anxiety", "est": 1.901,
                             "std": 0.332, "p": 1e-12, "ci_lo": 1.5, "ci_hi": 2.3}])
    samples = pd.DataFrame({"model": ["dep", "dep", "lat"], "analysis": ["outcome_model", "outcome_model", "sem"],
                            "reason": ["used", "missing", "used"], "variable": ["", "age", ""], "n": [1427, 7, 973]})
    return {**base_tables(), "regressions": reg, "simple_slopes": slopes, "johnson_neyman": jn, "slope_curve": curve,
            "mediation": med, "sem_fit": sem_fit, "sem_parameters": sem_par, "model_samples": samples}


STUDY = {"name": "s", "title": "S", "study_file": "s.yaml", "instruments": {},
         "variables": {"ecr_anxiety": {"column": "A", "label": "Attachment anxiety"},
                       "phq9_total": {"column": "P", "label": "Depressive symptoms"},
                       "loss": {"column": "L", "label": "Relationship loss"},
                       "sasi_total": {"column": "S", "label": "Separation anxiety"},
                       "pdss_total": {"column": "D", "label": "Panic severity"}},
         "outcome_models": [{"name": "dep", "outcome": "phq9_total", "predictors": ["ecr_anxiety"], "label": "Depression"},
                            {"name": "case", "outcome": "phq9_total", "family": "logit", "cutoff": 10,
                             "predictors": ["ecr_anxiety"], "label": "Caseness"},
                            {"name": "mod", "outcome": "phq9_total", "predictors": ["loss", "ecr_anxiety"],
                             "interactions": [["loss", "ecr_anxiety"]], "label": "Moderation"}],
         "mediation_models": [{"name": "med", "x": "sasi_total", "mediator": "ecr_anxiety", "outcome": "pdss_total",
                               "label": "Separation anxiety to panic"}],
         "sem_models": [{"name": "lat", "label": "Latent anxiety"}]}
PROVENANCE = {"packages": {"attachstats": "0"}, "python": "3.11", "seed": 1}


def manuscript_text(tables: dict, study: dict = STUDY) -> str:
    from attachstats.output.report.manuscript import build_manuscript
    from test_manuscript import body

    return body(build_manuscript(study, tables, {}, PROVENANCE)).replace("\u00a0", " ")


def with_moderation_model(tables: dict) -> dict:
    """The moderation model's coefficients beside its probe (the slopes alone are not reported)."""
    rows = [{"model": "mod", "outcome": "phq9_total", "family": "ols", "term": t, "b": b, "ci_lo": b - 0.5,
             "ci_hi": b + 0.5, "beta": 0.1, "p": p, "p_adj": np.nan, "exp_b": np.nan, "exp_ci_lo": np.nan,
             "exp_ci_hi": np.nan, "se": 0.25, "stat": b / 0.25, "sr2": 0.01, "n": 107, "centre": c}
            for t, b, p, c in (("loss", 3.39, 1e-10, np.nan), ("ecr_anxiety", 0.8, 0.001, 3.71),
                               ("loss:ecr_anxiety", 1.73, 1e-5, np.nan))]
    jn = tables["johnson_neyman"].assign(region_observed="above", lower_observed=2.36, upper_observed=np.nan)
    return {**tables, "regressions": pd.concat([tables["regressions"], pd.DataFrame(rows)], ignore_index=True),
            "johnson_neyman": jn}


def test_sentences_are_filled_from_the_tables():
    t = manuscript_text(with_moderation_model(model_tables()))
    assert ("Focal predictors: attachment anxiety, b = 1.30, 95% CI [1.10, 1.50], β = .31, p < .001, "
            "BH-adjusted p < .001") in t
    assert "attachment anxiety, OR = 1.59, 95% CI [1.44, 1.77], p = .020, BH-adjusted p = .040" in t
    assert "the odds of depressive symptoms ≥ 10 were associated" in t      # the logit model's outcome, not its score
    assert "b = 1.15, 95% CI [0.10, 2.20], p = .032, 1 SD below the mean (2.41)" in t
    assert "significant (p < .05) for attachment anxiety above 2.36 (observed range 1.00 to 6.94)" in t
    assert "The boundary at 0.64 lies outside the observed range" in t        # not reported as a region
    assert "The indirect effect was a·b = 0.03, 95% percentile bootstrap CI [0.03, 0.04] (5,000 resamples)" in t
    assert "χ²(661) = 657.63, p = .530, CFI = 1.00" in t
    assert "depressive symptoms on anxiety, b = 1.90 (standardised .33)" in t
    assert "(n = 1,427; 7 rows without age left out)" in t          # the model's sample and why rows are missing
    assert "Attachment anxiety was centred at its mean (3.71)" in t


def test_empty_tables_leave_no_empty_section_and_say_why_once():
    t = manuscript_text(base_tables(), {"name": "s", "title": "S", "instruments": {}})
    assert t.count("declares no outcome") == 2       # the findings and the Results say so, once each
    for absent in ("Probing the interaction", "indirect effect", "latent regression (ML", "Johnson–Neyman"):
        assert absent not in t
    assert "All 10 respondents were analysed" in t


def test_model_figures_draw_or_say_why_not():
    from attachstats.output.figures.common import NotDrawn

    tabs = model_tables()
    lines = pd.DataFrame({"model": "mod", "outcome": "phq9_total", "focal": "loss", "moderator": "ecr_anxiety",
                          "level": np.repeat(["-1 SD", "mean", "+1 SD"], 2), "moderator_value": np.repeat([2.41, 3.71, 5.0], 2),
                          "focal_value": [0.0, 1.0] * 3, "fitted": [4.6, 5.8, 6.1, 9.4, 7.5, 13.1], "se": 0.3,
                          "ci_lo": np.array([4.6, 5.8, 6.1, 9.4, 7.5, 13.1]) - 0.6,
                          "ci_hi": np.array([4.6, 5.8, 6.1, 9.4, 7.5, 13.1]) + 0.6})
    fig = model_figures.interaction_plot(lines, tabs["slope_curve"], tabs["johnson_neyman"], tabs["simple_slopes"])
    assert len(fig.axes) == 2
    assert len(model_figures.mediation_diagram(tabs["mediation"]).axes) == 1
    pts = {"dep": pd.DataFrame({"x_resid": [-1.0, 0.0, 1.0], "y_resid": [-1.3, 0.1, 1.2]})}
    reg = pd.DataFrame([{"model": "dep", "term": "ecr_anxiety", "outcome": "phq9_total", "b": 1.25, "ci_lo": 1.0,
                         "ci_hi": 1.5}])
    assert len(model_figures.partial_regression_plot(pts, reg, "ecr_anxiety").axes) == 1
    forest = model_figures.coefficient_plot(tabs["regressions"], {"dep": ["ecr_anxiety"], "case": ["ecr_anxiety"]})
    assert len(forest.axes) == 2 and forest.axes[1].get_xscale() == "log"
    for empty in (model_figures.interaction_plot(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), pd.DataFrame()),
                  model_figures.mediation_diagram(pd.DataFrame()),
                  model_figures.partial_regression_plot({}, pd.DataFrame(), "x")):
        assert isinstance(empty, NotDrawn) and empty.reason.startswith("no ")
