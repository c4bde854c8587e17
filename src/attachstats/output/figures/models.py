"""Figures of the outcome models: interaction probe, mediation paths, partial regressions.

Each function takes result tables (or the partial-regression coordinates computed by
:func:`attachstats.steps.report.study_partial_regression`, which the figures step calls) and
returns a matplotlib Figure; a study without the model gets a figure that says so, so the
workflow's outputs are fixed. Figure code never fits a model.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from attachstats.output.figures.common import COLUMN_IN, PAGE_IN, placeholder, pyplot, rasterize

__all__ = ["interaction_plot", "mediation_diagram", "partial_regression_plot", "coefficient_plot"]


def interaction_plot(slopes: pd.DataFrame, curve: pd.DataFrame, jn: pd.DataFrame) -> Any:
    """Simple slopes and the Johnson–Neyman band of every probed model (one row of panels each).

    Left: the model's predicted outcome across the focal variable at the moderator's
    mean − SD, mean and mean + SD (other terms at their means). Right: the slope of the focal
    variable across the observed moderator range with its pointwise 95% band, the simple
    slopes as points, the Johnson–Neyman boundaries as dashed lines and the region of
    significance shaded.
    """
    if slopes.empty:
        return placeholder("no probed interaction (outcome_models[].probe) in this study")
    plt, pal = pyplot()
    models = list(dict.fromkeys(slopes["model"]))
    fig, axes = plt.subplots(len(models), 2, figsize=(PAGE_IN, 2.6 * len(models)), squeeze=False)
    for row, model in zip(axes, models):
        s = slopes[slopes["model"] == model]
        c = curve[curve["model"] == model]
        j = jn[jn["model"] == model].iloc[0]
        focal, moderator, outcome = s["focal"].iloc[0], s["moderator"].iloc[0], s["outcome"].iloc[0]
        ax = row[0]
        for k, r in enumerate(s.itertuples()):
            ax.plot([r.focal_lo, r.focal_hi], [r.fitted_lo, r.fitted_hi], marker="o", ms=3, lw=1.2,
                    color=pal[k], label=f"{moderator} {r.at} ({r.moderator_value:.2f})")
        ax.set_xlabel(focal)
        ax.set_ylabel(f"predicted {outcome}")
        ax.set_title(f"{model}: simple slopes of {focal}")
        ax.legend(frameon=False)
        ax = row[1]
        ax.fill_between(c["moderator_value"], c["ci_lo"], c["ci_hi"], color=pal[0], alpha=0.25, lw=0,
                        label="95% CI")
        ax.plot(c["moderator_value"], c["slope"], color=pal[0], lw=1.2, label=f"slope of {focal}")
        sig = c["significant"].astype(bool).to_numpy()
        lo, hi = ax.get_ylim()
        ax.fill_between(c["moderator_value"], lo, hi, where=sig, color="grey", alpha=0.12, lw=0,
                        label="significant (p < .05)")
        ax.set_ylim(lo, hi)
        for bound in (j["lower"], j["upper"]):
            if np.isfinite(bound) and c["moderator_value"].min() <= bound <= c["moderator_value"].max():
                ax.axvline(bound, color="black", lw=0.7, ls="--")
        ax.errorbar(s["moderator_value"], s["slope"], yerr=[s["slope"] - s["ci_lo"], s["ci_hi"] - s["slope"]],
                    fmt="o", ms=3, lw=0.8, color=pal[3], label="simple slopes (-1 SD, mean, +1 SD)")
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_xlabel(moderator)
        ax.set_ylabel(f"slope of {focal}")
        ax.set_title(f"Johnson–Neyman: significant {j['region']}")
        ax.legend(frameon=False, fontsize=6)
    fig.tight_layout()
    return fig


def mediation_diagram(mediation: pd.DataFrame) -> Any:
    """Path diagram of every mediation model: a, b, c′ (c) on the arrows, the indirect effect
    with its bootstrap interval underneath."""
    if mediation.empty:
        return placeholder("no mediation model (mediation_models) in this study")
    plt, pal = pyplot()
    models = list(dict.fromkeys(mediation["model"]))
    fig, axes = plt.subplots(len(models), 1, figsize=(COLUMN_IN * 1.4, 2.2 * len(models)), squeeze=False)
    box = dict(boxstyle="round", fc="white", ec=pal[0])
    for ax, model in zip(axes[:, 0], models):
        d = mediation[mediation["model"] == model].set_index("path")
        x, m, y = d["x"].iloc[0], d["mediator"].iloc[0], d["outcome"].iloc[0]

        def lab(path: str) -> str:
            r = d.loc[path]
            star = "*" if r["p"] < 0.05 else ""
            return f"{r['estimate']:.3f}{star}"

        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        pos = {x: (0.12, 0.3), m: (0.5, 0.85), y: (0.88, 0.3)}
        for name, (px, py) in pos.items():
            ax.text(px, py, name, ha="center", va="center", bbox=box)
        arrow = dict(arrowstyle="->", lw=0.9)
        ax.annotate("", xy=(0.44, 0.78), xytext=(0.17, 0.38), arrowprops=arrow)
        ax.annotate("", xy=(0.83, 0.38), xytext=(0.56, 0.78), arrowprops=arrow)
        ax.annotate("", xy=(0.78, 0.3), xytext=(0.24, 0.3), arrowprops=arrow)
        ax.text(0.22, 0.62, f"a = {lab('a')}", ha="center")
        ax.text(0.78, 0.62, f"b = {lab('b')}", ha="center")
        ax.text(0.5, 0.2, f"c′ = {lab('c_prime')}  (c = {lab('c')})", ha="center")
        ind = d.loc["indirect"]
        ax.text(0.5, 0.03, f"indirect a·b = {ind['estimate']:.3f}, 95% CI [{ind['ci_lo']:.3f}, {ind['ci_hi']:.3f}]"
                           f" ({int(ind['n_boot']):,} bootstrap resamples)", ha="center", fontsize=7)
        ax.set_title(f"{model} (n = {int(ind['n']):,}; * p < .05)")
    fig.tight_layout()
    return fig


def partial_regression_plot(points: Mapping[str, pd.DataFrame], regressions: pd.DataFrame, term: str) -> Any:
    """Added-variable plot of ``term`` for each OLS model: residualised outcome against the
    residualised predictor, with the least-squares line (its slope is the model's b)."""
    if not points:
        return placeholder(f"no OLS outcome model with the term {term!r} in this study")
    plt, pal = pyplot()
    k = len(points)
    ncol = min(k, 3)
    nrow = int(np.ceil(k / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(PAGE_IN, 2.3 * nrow), squeeze=False)
    for j, (ax, (model, d)) in enumerate(zip(axes.flat, points.items())):
        r = regressions[(regressions["model"] == model) & (regressions["term"] == term)].iloc[0]
        ax.scatter(d["x_resid"], d["y_resid"], s=3, alpha=0.3, color=pal[j % len(pal)], linewidths=0,
                   rasterized=rasterize(len(d)))
        xs = np.linspace(d["x_resid"].min(), d["x_resid"].max(), 2)
        ax.plot(xs, r["b"] * xs, color="black", lw=1)
        ax.set_title(f"{model}\nb = {r['b']:.3f} [{r['ci_lo']:.3f}, {r['ci_hi']:.3f}]", fontsize=8)
        ax.set_xlabel(f"{term} | others")
        ax.set_ylabel(f"{r['outcome']} | others")
    for ax in list(axes.flat)[k:]:
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def coefficient_plot(regressions: pd.DataFrame) -> Any:
    """Forest plot across outcomes: standardised coefficients (β, 95% CI) of the OLS models and,
    in a second panel on a log scale, odds / incidence-rate ratios (exp b, 95% CI) of the
    logit, Poisson and negative-binomial models."""
    plt, pal = pyplot()
    d = regressions[regressions["term"] != "(Intercept)"].copy()
    if d.empty:
        return placeholder("no outcome models in this study")
    family = d["family"] if "family" in d else pd.Series("ols", index=d.index)
    parts = [("ols", d[family == "ols"]), ("glm", d[family != "ols"])]
    parts = [(kind, g) for kind, g in parts if len(g)]
    heights = [max(1.2, 0.2 * len(g) + 0.6) for _, g in parts]
    fig, axes = plt.subplots(len(parts), 1, figsize=(COLUMN_IN * 1.3, sum(heights) + 0.4),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    models = list(dict.fromkeys(d["model"]))
    for ax, (kind, g) in zip(axes[:, 0], parts):
        if kind == "ols":
            # CI of beta: the b interval rescaled by beta / b (same t-based interval on the beta scale)
            scale = np.where(g["b"] != 0, g["beta"] / g["b"], np.nan)
            est, lo, hi = g["beta"], g["ci_lo"] * scale, g["ci_hi"] * scale
            ax.axvline(0, color="grey", lw=0.5)
            ax.set_xlabel("standardised coefficient (β) with 95% CI")
        else:
            from matplotlib import ticker

            est, lo, hi = g["exp_b"], g["exp_ci_lo"], g["exp_ci_hi"]
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(ticker.FixedLocator([0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20]))
            ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(ticker.NullFormatter())
            ax.axvline(1, color="grey", lw=0.5)
            ax.set_xlabel("odds ratio (logit) / incidence-rate ratio (count) with 95% CI, log scale")
        ypos = np.arange(len(g))[::-1]
        for m in dict.fromkeys(g["model"]):
            sel = (g["model"] == m).to_numpy()
            j = models.index(m)
            ax.errorbar(est[sel], ypos[sel], xerr=[(est - lo)[sel], (hi - est)[sel]], fmt="o", ms=3, lw=0.8,
                        color=pal[j % len(pal)])
        ax.set_yticks(ypos, [f"{m}: {t}" for m, t in zip(g["model"], g["term"])])
    fig.tight_layout()
    return fig

