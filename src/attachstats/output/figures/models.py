"""Figures of the outcome models: interaction probe, mediation paths, partial regressions,
coefficients.

Each function takes result tables (or plot coordinates computed by the figures step:
:func:`attachstats.steps.report.study_partial_regression`,
:func:`attachstats.steps.report.study_interaction_lines`) and returns a matplotlib Figure,
or :class:`~attachstats.output.figures.common.NotDrawn` when the study has no such model.
Figure code never fits a model.
"""

from __future__ import annotations

import textwrap

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from attachstats.output.figures.common import (
    COLUMN_IN,
    MIN_PT,
    PAGE_IN,
    NotDrawn,
    label,
    pyplot,
    rasterize,
)
from attachstats.output.labels import in_text, model_label, term_text
from attachstats.output.numbers import format_value

__all__ = [
    "coefficient_plot",
    "interaction_plot",
    "jn_region_text",
    "mediation_diagram",
    "partial_regression_plot",
]


def _num(value: float, column: str = "b") -> str:
    return format_value(float(value), column).replace("-", "\u2212")


def jn_region_text(j: Mapping[str, Any], moderator: str = "the moderator") -> str:
    """Where the slope is significant, clipped to the observed moderator range (one phrase).

    ``j`` is a row of ``tables/johnson_neyman.csv``; a boundary outside the observed range is
    not mentioned, and a region that lies wholly outside it reads "at no observed value".

    >>> jn_region_text({"region": "outside", "lower": 0.64, "upper": 2.36, "moderator_min": 1.0,
    ...                 "moderator_max": 6.94}, "anxiety")
    'for anxiety above 2.36'
    """
    lo, hi = float(j["moderator_min"]), float(j["moderator_max"])
    a, b, region = float(j["lower"]), float(j["upper"]), str(j["region"])
    if region == "everywhere":
        return "at every observed value"
    if region == "nowhere":
        return "at no observed value"
    if region in ("above", "below"):
        inside = (region == "above" and a < hi) or (region == "below" and a > lo)
        if not inside:
            return "at no observed value"
        return ("at every observed value" if (region == "above" and a <= lo) or (region == "below" and a >= hi)
                else f"for {moderator} {region} {_num(a)}")
    if region == "inside":
        a2, b2 = max(a, lo), min(b, hi)
        if a2 >= b2:
            return "at no observed value"
        if a2 == lo and b2 == hi:
            return "at every observed value"
        return f"for {moderator} from {_num(a2)} to {_num(b2)}"
    if a >= hi or b <= lo:                           # outside the roots: the range lies in one tail
        return "at every observed value"
    parts = ([f"below {_num(a)}"] if a > lo else []) + ([f"above {_num(b)}"] if b < hi else [])
    if not parts:
        return "at no observed value"
    return f"for {moderator} " + " or ".join(parts)


def interaction_plot(lines: pd.DataFrame, curve: pd.DataFrame, jn: pd.DataFrame, slopes: pd.DataFrame,
                     labels: Mapping[str, str] | None = None, model_labels: Mapping[str, str] | None = None) -> Any:
    """Each probed interaction as ``interactions::interact_plot`` and ``johnson_neyman`` draw it.

    Left: the predicted outcome across the focal predictor (its observed range) at each
    moderator level (mean − SD, mean, mean + SD; each level of a binary moderator), one
    line per level with its 95% band (``lines``, :func:`attachstats.stats.regression.
    prediction.interaction_lines`); a binary focal predictor is drawn on a categorical
    axis (points with 95% CIs, dodged per moderator level), never on a continuous one.
    Right: the slope of the focal predictor across the observed moderator range with its
    pointwise 95% band, the region of significance shaded only where it lies inside that
    range, the Johnson–Neyman boundaries inside it dashed, the simple slopes as points; for
    a binary moderator, the slope at each of its two values instead (no Johnson–Neyman
    band across a 0/1 variable).
    Legends sit below the panels, off the data.
    """
    if slopes.empty or lines.empty:
        return NotDrawn("no probed interaction (outcome_models[].probe) in this study")
    plt, pal = pyplot()
    models = list(dict.fromkeys(slopes["model"]))
    fig, axes = plt.subplots(len(models), 2, figsize=(PAGE_IN, 3.1 * len(models)), squeeze=False,
                             layout="constrained")
    for row, model in zip(axes, models):
        s = slopes[slopes["model"] == model]
        c = curve[curve["model"] == model]
        li = lines[lines["model"] == model]
        j = jn[jn["model"] == model].iloc[0]
        focal, moderator, outcome = s["focal"].iloc[0], s["moderator"].iloc[0], s["outcome"].iloc[0]
        fl, ml, ol = label(focal, labels), label(moderator, labels), label(outcome, labels)
        name = label(model, model_labels) if model_labels else model_label(model)
        ax = row[0]
        levels = list(dict.fromkeys(li["level"]))
        xs = np.unique(li["focal_value"])
        categorical = len(xs) <= 2
        for k, lev in enumerate(levels):
            d = li[li["level"] == lev].sort_values("focal_value")
            w = float(d["moderator_value"].iloc[0])
            text = (f"{lev} ({_num(w)})" if lev in ("-1 SD", "mean", "+1 SD")
                    else lev.replace(moderator, ml, 1)).replace("-1 SD", "\u22121 SD").replace("mean", "Mean", 1)
            colour = pal[k % len(pal)]
            if categorical:
                pos = np.searchsorted(xs, d["focal_value"].to_numpy()) + (k - (len(levels) - 1) / 2) * 0.12
                ax.errorbar(pos, d["fitted"], yerr=[d["fitted"] - d["ci_lo"], d["ci_hi"] - d["fitted"]], fmt="o",
                            ms=3.5, lw=0.9, capsize=2, color=colour, label=text)
                ax.plot(pos, d["fitted"], lw=0.6, color=colour, alpha=0.6)
            else:
                ax.fill_between(d["focal_value"], d["ci_lo"], d["ci_hi"], color=colour, alpha=0.2, lw=0)
                ax.plot(d["focal_value"], d["fitted"], lw=1.2, color=colour, label=text,
                        ls=["--", "-", ":"][k % 3] if len(levels) == 3 else "-")
        if categorical:
            ax.set_xticks(range(len(xs)), [f"{v:g}" for v in xs])
            ax.set_xlim(-0.5, len(xs) - 0.5)
        ax.set_xlabel(_wrap(fl, 40))
        ax.set_ylabel(_wrap(f"Predicted {in_text(ol)} (95% CI)", 34))
        ax.set_title(_wrap(f"{name}: {in_text(fl)} by {in_text(ml)}", 46))
        ax.legend(title=_wrap(ml, 40), loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1, frameon=False,
                  handlelength=1.8, columnspacing=1.0)
        ax = row[1]
        if levels[0] not in ("-1 SD", "mean", "+1 SD"):
            # a binary moderator: the focal slope at each of its two values (the ends of the
            # curve's grid, which spans the observed range), on a categorical axis; no J–N
            ends = c.iloc[[0, -1]]
            ax.errorbar([0, 1], ends["slope"], yerr=[ends["slope"] - ends["ci_lo"], ends["ci_hi"] - ends["slope"]],
                        fmt="o", ms=3.5, lw=0.9, capsize=2, color=pal[0], label=f"Slope of {in_text(fl)} (95% CI)")
            ax.axhline(0, color="grey", lw=0.5)
            ax.set_xticks([0, 1], [f"{v:g}" for v in ends["moderator_value"]])
            ax.set_xlim(-0.5, 1.5)
            ax.set_xlabel(_wrap(ml, 40))
            ax.set_ylabel(_wrap(f"Slope of {in_text(fl)} (95% CI)", 34))
            ax.set_title(_wrap(f"Slope of {in_text(fl)} at each value of {in_text(ml)}", 46))
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1, frameon=False)
            continue
        ax.fill_between(c["moderator_value"], c["ci_lo"], c["ci_hi"], color=pal[0], alpha=0.25, lw=0,
                        label="95% CI")
        ax.plot(c["moderator_value"], c["slope"], color=pal[0], lw=1.2, label=f"Slope of {in_text(fl)}")
        sig = c["significant"].astype(bool).to_numpy()
        ax.errorbar(s["moderator_value"], s["slope"], yerr=[s["slope"] - s["ci_lo"], s["ci_hi"] - s["slope"]],
                    fmt="o", ms=3, lw=0.8, color=pal[3], label="Simple slopes (\u22121 SD, mean, +1 SD)")
        ax.axhline(0, color="grey", lw=0.5)
        w_lo, w_hi = float(c["moderator_value"].min()), float(c["moderator_value"].max())
        ax.set_xlim(w_lo, w_hi)
        lo, hi = ax.get_ylim()
        if sig.any():
            ax.fill_between(c["moderator_value"], lo, hi, where=sig, color="grey", alpha=0.15, lw=0,
                            label="Significant (p < .05)")
        ax.set_ylim(lo, hi)
        for bound in (j["lower"], j["upper"]):
            if np.isfinite(bound) and w_lo < bound < w_hi:
                ax.axvline(bound, color="black", lw=0.7, ls="--")
        ax.set_xlabel(_wrap(f"{ml} (observed range)", 40))
        ax.set_ylabel(_wrap(f"Slope of {in_text(fl)} (95% CI)", 34))
        ax.set_title(_wrap(f"Johnson\u2013Neyman: slope of {in_text(fl)} significant "
                           f"{jn_region_text(j, in_text(ml))}", 46))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=1, frameon=False)
    return fig


def _wrap(text: str, width: int) -> str:
    """A title or axis label broken into lines of at most ``width`` characters (long study
    labels must not run off a figure at its printed size)."""
    return textwrap.fill(text, width, break_long_words=False)


def mediation_diagram(mediation: pd.DataFrame, labels: Mapping[str, str] | None = None,
                      model_labels: Mapping[str, str] | None = None) -> Any:
    """Path diagram of every mediation model: a, b, c′ (c) on the arrows, the indirect effect
    with its bootstrap interval underneath."""
    if mediation.empty:
        return NotDrawn("no mediation model (mediation_models) in this study")
    plt, pal = pyplot()
    models = list(dict.fromkeys(mediation["model"]))
    fig, axes = plt.subplots(len(models), 1, figsize=(COLUMN_IN, 2.3 * len(models)), squeeze=False,
                             layout="constrained")
    box = {"boxstyle": "round", "fc": "white", "ec": pal[0]}
    for ax, model in zip(axes[:, 0], models):
        d = mediation[mediation["model"] == model].set_index("path")
        x, m, y = d["x"].iloc[0], d["mediator"].iloc[0], d["outcome"].iloc[0]

        def lab(path: str) -> str:
            r = d.loc[path]
            star = "*" if r["p"] < 0.05 else ""
            return f"{r['estimate']:.3f}{star}".replace("-", "\u2212")

        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        pos = {x: (0.17, 0.3), m: (0.5, 0.85), y: (0.83, 0.3)}
        boxes = {name: ax.text(px, py, textwrap.fill(label(name, labels), 18), ha="center", va="center", bbox=box,
                               fontsize=MIN_PT, multialignment="center")
                 for name, (px, py) in pos.items()}
        # arrows run between the boxes' edges (coordinates relative to each label's box), so a
        # long label is never struck through
        arrow = {"arrowstyle": "->", "lw": 0.9, "shrinkA": 3, "shrinkB": 3}
        ax.annotate("", xy=(0.25, 0), xycoords=boxes[m], xytext=(0.5, 1), textcoords=boxes[x], arrowprops=arrow)
        ax.annotate("", xy=(0.5, 1), xycoords=boxes[y], xytext=(0.75, 0), textcoords=boxes[m], arrowprops=arrow)
        ax.annotate("", xy=(0, 0.5), xycoords=boxes[y], xytext=(1, 0.5), textcoords=boxes[x], arrowprops=arrow)
        ax.text(0.22, 0.62, f"a = {lab('a')}", ha="center", fontsize=MIN_PT)
        ax.text(0.78, 0.62, f"b = {lab('b')}", ha="center", fontsize=MIN_PT)
        ax.text(0.5, 0.17, f"c\u2032 = {lab('c_prime')}  (c = {lab('c')})", ha="center", fontsize=MIN_PT)
        ind = d.loc["indirect"]
        ax.text(0.5, 0.02, (f"Indirect a\u00b7b = {ind['estimate']:.3f}, 95% CI [{ind['ci_lo']:.3f}, "
                            f"{ind['ci_hi']:.3f}]").replace("-", "\u2212") + "\n"
                           f"({int(ind['n_boot']):,} bootstrap resamples)", ha="center",
                fontsize=MIN_PT)
        name = label(model, model_labels) if model_labels else model_label(model)
        ax.set_title(textwrap.fill(f"{name} (n = {int(ind['n']):,}; * p < .05)", 48))
    return fig


def partial_regression_plot(points: Mapping[str, pd.DataFrame], regressions: pd.DataFrame, term: str,
                            labels: Mapping[str, str] | None = None,
                            model_labels: Mapping[str, str] | None = None) -> Any:
    """Added-variable plot of ``term`` for each OLS model: residualised outcome against the
    residualised predictor, with the least-squares line (its slope is the model's b)."""
    if not points:
        return NotDrawn("no OLS outcome model in which this predictor has an unconditional coefficient")
    plt, pal = pyplot()
    k = len(points)
    ncol = min(k, 3)
    nrow = int(np.ceil(k / ncol))
    width = COLUMN_IN if k == 1 else PAGE_IN
    fig, axes = plt.subplots(nrow, ncol, figsize=(width, 2.4 * nrow), squeeze=False, layout="constrained")
    tl = term_text(term, labels or {})
    for j, (ax, (model, d)) in enumerate(zip(axes.flat, points.items())):
        r = regressions[(regressions["model"] == model) & (regressions["term"] == term)].iloc[0]
        ax.scatter(d["x_resid"], d["y_resid"], s=3, alpha=0.3, color=pal[j % len(pal)], linewidths=0,
                   rasterized=rasterize(len(d)))
        xs = np.linspace(d["x_resid"].min(), d["x_resid"].max(), 2)
        ax.plot(xs, r["b"] * xs, color="black", lw=1)
        name = label(model, model_labels) if model_labels else model_label(model)
        ax.set_title(f"{name}\nb = {_num(r['b'])} [{_num(r['ci_lo'])}, {_num(r['ci_hi'])}]")
        ax.set_xlabel(f"{tl} | others")
        ax.set_ylabel(f"{label(r['outcome'], labels)} | others")
    for ax in list(axes.flat)[k:]:
        ax.set_axis_off()
    return fig


def coefficient_plot(regressions: pd.DataFrame, terms: Mapping[str, Sequence[str]],
                     labels: Mapping[str, str] | None = None,
                     model_labels: Mapping[str, str] | None = None) -> Any:
    """The model terms of interest across outcome models: standardised coefficients (β, 95% CI)
    of the OLS models and, in a second panel on a log scale, odds / incidence-rate ratios
    (exp b, 95% CI) of the logit, Poisson and negative-binomial models.

    ``terms`` maps each model to the design terms to show (the figures step passes the
    predictors of a model without interactions and only the interaction terms of a model
    with them, so neither covariates nor conditional effects are mixed in).
    """
    keep = regressions.apply(lambda r: r["term"] in set(terms.get(r["model"], ())), axis=1) \
        if len(regressions) else pd.Series(dtype=bool)
    d = regressions[keep.astype(bool)].copy() if len(regressions) else regressions
    if d.empty:
        return NotDrawn("no outcome models in this study")
    plt, pal = pyplot()
    family = d["family"] if "family" in d else pd.Series("ols", index=d.index)
    parts = [("ols", d[family == "ols"]), ("glm", d[family != "ols"])]
    parts = [(kind, g) for kind, g in parts if len(g)]

    def tick_labels(g: pd.DataFrame) -> list[str]:
        names = [label(m, model_labels) if model_labels else model_label(m) for m in g["model"]]
        return [_wrap(f"{n}: {term_text(t, labels or {})}", 52) for n, t in zip(names, g["term"])]

    # a row per term, as tall as its (wrapped) label; page width, so model and term labels fit
    heights = [0.16 * sum(t.count("\n") + 1 for t in tick_labels(g)) + 0.8 for _, g in parts]
    fig, axes = plt.subplots(len(parts), 1, figsize=(PAGE_IN, sum(heights) + 0.2),
                             gridspec_kw={"height_ratios": heights}, squeeze=False, layout="constrained")
    models = list(dict.fromkeys(d["model"]))
    for ax, (kind, g) in zip(axes[:, 0], parts):
        if kind == "ols":
            # CI of beta: the b interval rescaled by beta / b (same t-based interval on the beta scale)
            scale = np.where(g["b"] != 0, g["beta"] / g["b"], np.nan)
            est, lo, hi = g["beta"], g["ci_lo"] * scale, g["ci_hi"] * scale
            ax.axvline(0, color="grey", lw=0.5)
            ax.set_xlabel("\u03b2 (95% CI)", loc="right")
        else:
            from matplotlib import ticker

            est, lo, hi = g["exp_b"], g["exp_ci_lo"], g["exp_ci_hi"]
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(ticker.FixedLocator([0.05, 0.1, 0.2, 0.5, 0.8, 1, 1.25, 1.5, 2, 3, 5, 10, 20]))
            ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.xaxis.set_minor_formatter(ticker.NullFormatter())
            ax.axvline(1, color="grey", lw=0.5)
            ax.set_xlabel("OR or IRR (95% CI, log scale)", loc="right")
        ypos = np.arange(len(g))[::-1]
        for m in dict.fromkeys(g["model"]):
            sel = (g["model"] == m).to_numpy()
            j = models.index(m)
            ax.errorbar(est[sel], ypos[sel], xerr=[(est - lo)[sel], (hi - est)[sel]], fmt="o", ms=3, lw=0.8,
                        color=pal[j % len(pal)])
        ax.set_yticks(ypos, tick_labels(g))
        ax.set_ylim(-0.6, len(g) - 0.4)
    return fig
