"""Figures (matplotlib, Agg backend): each function takes tables and returns a Figure.

Saved PNGs carry no software/time metadata, so identical inputs give identical files.
Palette: seaborn's colour-blind-safe ``colorblind``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

COLUMN_IN = 3.5  # one journal column, inches
PAGE_IN = 7.0    # full page width, inches
RASTER_ABOVE = 5_000  # scatters with more points are drawn as an image inside the PDF


def rasterize(n_points: int) -> bool:
    """Whether a scatter of ``n_points`` is rasterised in vector output: above
    :data:`RASTER_ABOVE` points the PDF embeds the markers as one image at the figure's
    resolution (small, fast to open), while axes, lines and text stay vector."""
    return n_points > RASTER_ABOVE


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    plt.rcParams.update({"font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "legend.fontsize": 7,
                         "xtick.labelsize": 7, "ytick.labelsize": 7, "svg.hashsalt": "attachstats",
                         "figure.dpi": 100})
    return plt, sns.color_palette("colorblind")


def save_png(fig: Any, path: str | Path, dpi: int = 300, pdf: str | Path | None = None) -> None:
    """Save a figure as PNG (and optionally PDF) without run-dependent metadata, then close it.

    PNG carries no ``Software`` entry; the PDF no creation date or producer, and its fonts
    are embedded as subsets (Type 42), so identical inputs give byte-identical files.
    """
    plt, _ = _plt()
    fig.savefig(path, dpi=dpi, metadata={"Software": None}, bbox_inches="tight")
    if pdf is not None:
        with plt.rc_context({"pdf.fonttype": 42}):
            fig.savefig(pdf, dpi=dpi, metadata={"CreationDate": None, "Producer": None, "Creator": None},
                        bbox_inches="tight")
    plt.close(fig)


def flow_figure(flow: pd.DataFrame) -> Any:
    """CONSORT-style boxes: raw sample, each exclusion stage (with n), analysed sample."""
    plt, pal = _plt()
    raw = int(flow["n_after"].iloc[0])
    analysed = int(flow["n_after"].iloc[-1])
    excl = flow[(~flow["stage"].isin(["raw", "analysed"])) & (flow["n_excluded"] > 0)]
    # main column: raw, the remaining n after every exclusion but the last, analysed
    main = [f"Raw responses\nn = {raw:,}"] + [f"n = {n:,}" for n in excl["n_after"].iloc[:-1]]
    main.append(f"Analysed\nn = {analysed:,}")
    n = len(main)
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 0.6 * n + 0.3))
    ax.set_axis_off()
    for i, text in enumerate(main):
        y = n - 1 - i
        ax.text(0.25, y, text, ha="center", va="center", bbox=dict(boxstyle="round", fc="white", ec=pal[0]))
        if i:
            ax.annotate("", xy=(0.25, y + 0.25), xytext=(0.25, y + 0.75), arrowprops=dict(arrowstyle="->", lw=0.8))
    for i, row in enumerate(excl.itertuples(index=False)):
        y = n - 1 - i - 0.5
        ax.text(0.75, y, f"Excluded: {row.stage.replace('_', ' ')}\nn = {row.n_excluded:,}", ha="center",
                va="center", fontsize=7, bbox=dict(boxstyle="round", fc="#f2f2f2", ec=pal[3]))
        ax.annotate("", xy=(0.55, y), xytext=(0.25, y), arrowprops=dict(arrowstyle="->", lw=0.8))
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, n - 0.4)
    return fig


def score_distributions(scores: pd.DataFrame, columns: list[str]) -> Any:
    """Histogram of every scale score."""
    plt, pal = _plt()
    k = len(columns)
    ncol = min(3, k)
    nrow = int(np.ceil(k / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(PAGE_IN, 1.8 * nrow), squeeze=False)
    for ax, col in zip(axes.flat, columns):
        v = scores[col].dropna()
        ax.hist(v, bins=30, color=pal[0], edgecolor="white", linewidth=0.3)
        ax.set_title(f"{col} (n = {len(v):,})")
        ax.set_ylabel("respondents")
    for ax in list(axes.flat)[k:]:
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def dimensions_scatter(scores: pd.DataFrame, x: str, y: str, midpoint: float | None = None,
                       styles: pd.Series | None = None, cuts: tuple[float, float] | None = None,
                       rule: str = "") -> Any:
    """Scatter of two dimension scores with quadrant lines, coloured by attachment category.

    ``cuts`` = (x cut, y cut) draws the quadrant lines at the classification's cut values
    (midpoint or medians); otherwise ``midpoint`` draws both at the scale midpoint.
    ``styles`` (aligned to ``scores``) colours the points by category.
    """
    from attachstats.stats.styles import STYLES

    plt, pal = _plt()
    fig, ax = plt.subplots(figsize=(COLUMN_IN, COLUMN_IN))
    d = scores[[x, y]].dropna()
    if styles is not None and styles.notna().any():
        st = styles.reindex(d.index)
        for j, name in enumerate(STYLES):
            m = (st == name).to_numpy()
            if m.any():
                ax.scatter(d.loc[m, x], d.loc[m, y], s=4, alpha=0.45, color=pal[j], linewidths=0,
                           rasterized=rasterize(len(d)),
                           label=f"{name} (n = {int(m.sum()):,})")
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.08), ncol=2, frameon=False, markerscale=3,
                  title=f"high = {rule}" if rule else None)
    else:
        ax.scatter(d[x], d[y], s=4, alpha=0.35, color=pal[0], linewidths=0, rasterized=rasterize(len(d)))
    vx, hy = cuts if cuts is not None else (midpoint, midpoint)
    if vx is not None and np.isfinite(vx):
        ax.axvline(vx, color="grey", lw=0.6, ls="--")
    if hy is not None and np.isfinite(hy):
        ax.axhline(hy, color="grey", lw=0.6, ls="--")
    r = np.corrcoef(d[x], d[y])[0, 1] if len(d) > 2 else np.nan
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"n = {len(d):,}, r = {r:.2f}")
    return fig


def loadings_figure(loadings: pd.DataFrame, model: str) -> Any:
    """Standardised loadings with 95% CIs, one colour per factor."""
    plt, pal = _plt()
    d = loadings[loadings["model"] == model].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(COLUMN_IN, max(2.0, 0.12 * len(d) + 0.8)))
    factors = list(dict.fromkeys(d["factor"]))
    ypos = np.arange(len(d))[::-1]
    for j, f in enumerate(factors):
        m = (d["factor"] == f).to_numpy()
        ax.errorbar(d.loc[m, "std"], ypos[m], xerr=[d.loc[m, "std"] - d.loc[m, "std_ci_lo"],
                                                   d.loc[m, "std_ci_hi"] - d.loc[m, "std"]],
                    fmt="o", ms=2.5, lw=0.7, color=pal[j % len(pal)], label=f)
    ax.set_yticks(ypos, d["item"], fontsize=5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_xlabel("standardised loading")
    ax.set_title(f"CFA {model.replace('_', '-')}")
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return fig


def coefficient_plot(regressions: pd.DataFrame) -> Any:
    """Forest plot across outcomes: standardised coefficients (β, 95% CI) of the OLS models and,
    in a second panel on a log scale, odds / incidence-rate ratios (exp b, 95% CI) of the
    logit, Poisson and negative-binomial models."""
    plt, pal = _plt()
    d = regressions[regressions["term"] != "(Intercept)"].copy()
    if d.empty:
        fig, ax = plt.subplots(figsize=(COLUMN_IN, 1.2))
        ax.text(0.5, 0.5, "no outcome models in this study", ha="center", va="center")
        ax.set_axis_off()
        return fig
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


def study_figures(scores: pd.DataFrame, tables: Mapping[str, pd.DataFrame], study: Mapping[str, Any],
                  styles: pd.DataFrame | None = None) -> dict[str, Any]:
    """All figures of one study, by output name (``styles``: row-level attachment categories)."""
    from attachstats.stats.styles import style_spec
    from attachstats.spec.instrument import instrument_of

    score_cols = list(tables["score_summary"]["score"])
    xy = study.get("figures", {}).get("scatter") or score_cols[:2]
    midpoint = None
    fa = study.get("factor_analysis")
    if fa:
        inst = instrument_of(study, fa["instrument"])
        if inst.scoring == "mean":
            midpoint = (inst.min + inst.max) / 2
    style_col = cuts = None
    rule = ""
    spec = style_spec(study)
    counts = tables.get("attachment_styles")
    if spec is not None and styles is not None and counts is not None and len(counts):
        style_col = scores["id"].map(dict(zip(styles["id"], styles["attachment_style"])))
        cut = {spec.anxiety: float(counts["anxiety_cut"].iat[0]), spec.avoidance: float(counts["avoidance_cut"].iat[0])}
        rule = str(counts["rule"].iat[0])
        if set(xy) == set(cut):
            cuts = (cut[xy[0]], cut[xy[1]])
    loadings = tables["cfa_loadings"]
    model = "two_factor" if (loadings["model"] == "two_factor").any() else (loadings["model"].iloc[0]
                                                                           if len(loadings) else "")
    return {
        "flow": flow_figure(tables["flow"]),
        "score_distributions": score_distributions(scores, score_cols),
        "dimensions": dimensions_scatter(scores, xy[0], xy[1], midpoint, style_col, cuts, rule),
        "cfa_loadings": loadings_figure(loadings, model),
        "coefficients": coefficient_plot(tables["regressions"]),
        **_model_figures(scores, tables, study),
    }


def _model_figures(scores: pd.DataFrame, tables: Mapping[str, pd.DataFrame], study: Mapping[str, Any]) -> dict[str, Any]:
    """Interaction probe, mediation diagram and partial-regression plots (:mod:`attachstats.output.figures.models`)."""
    from attachstats.output.figures import models as model_figures
    from attachstats.steps.model import partial_regression_term, study_partial_regression

    return {
        "interaction": model_figures.interaction_plot(tables["simple_slopes"], tables["slope_curve"],
                                                      tables["johnson_neyman"]),
        "mediation": model_figures.mediation_diagram(tables["mediation"]),
        "partial_regression": model_figures.partial_regression_plot(
            study_partial_regression(scores, study), tables["regressions"], partial_regression_term(study) or ""),
    }


def forest_plot(coefficients: pd.DataFrame, pooled: pd.DataFrame) -> Any:
    """Forest plot: each study's b with 95% CI and the random-effects pool, per pooled effect."""
    plt, pal = _plt()
    if pooled.empty:
        fig, ax = plt.subplots(figsize=(COLUMN_IN, 1.2))
        ax.text(0.5, 0.5, "no effect is estimated in two or more studies", ha="center", va="center")
        ax.set_axis_off()
        return fig
    k = len(pooled)
    fig, axes = plt.subplots(k, 1, figsize=(COLUMN_IN, sum(0.3 * (r.k + 1) + 0.6 for r in pooled.itertuples())),
                             squeeze=False)
    for ax, r in zip(axes[:, 0], pooled.itertuples()):
        g = coefficients[(coefficients["model"] == r.model) & (coefficients["outcome"] == r.outcome)
                         & (coefficients["term"] == r.term)]
        y = np.arange(len(g), 0, -1)
        ax.errorbar(g["b"], y, xerr=[g["b"] - g["ci_lo"], g["ci_hi"] - g["b"]], fmt="s", ms=3, lw=0.8,
                    color=pal[0])
        ax.fill([r.ci_lo, r.estimate, r.ci_hi, r.estimate], [0, 0.25, 0, -0.25], color=pal[3])
        ax.set_yticks([*y, 0], [*g["study"], f"pooled (I² = {r.i2:.0f}%)"])
        ax.axvline(0, color="grey", lw=0.5)
        ax.set_title(f"{r.model}: {r.outcome} on {r.term}")
        ax.set_xlabel("b with 95% CI")
    fig.tight_layout()
    return fig


def power_curve(power: pd.DataFrame, alpha: float = 0.05) -> Any:
    """Power by sample size, one line per model and term, with ±2 Monte Carlo SE bands."""
    plt, pal = _plt()
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 2.6))
    for j, ((model, term), g) in enumerate(power.groupby(["model", "term"], sort=True)):
        g = g.sort_values("n")
        c = pal[j % len(pal)]
        ax.plot(g["n"], g["power"], marker="o", ms=3, lw=1, color=c, label=f"{model}: {term}")
        ax.fill_between(g["n"], g["power"] - 2 * g["power_mcse"], g["power"] + 2 * g["power_mcse"], color=c,
                        alpha=0.2, lw=0)
    ax.axhline(0.8, color="grey", lw=0.5, ls="--")
    ax.axhline(alpha, color="grey", lw=0.5, ls=":")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("sample size (n)")
    ax.set_ylabel("power")
    ax.legend(frameon=False, fontsize=6)
    fig.tight_layout()
    return fig


def item_distributions(keyed: pd.DataFrame, low: int, high: int, title: str = "") -> Any:
    """Share of each response category per item (keyed items), as a stacked horizontal bar chart."""
    plt, _ = _plt()
    import matplotlib as mpl

    cats = list(range(low, high + 1))
    shares = pd.DataFrame({c: (keyed == c).sum() / keyed.notna().sum() for c in cats}).fillna(0.0)
    cmap = mpl.colormaps["cividis"]
    colours = [cmap(i / max(1, len(cats) - 1)) for i in range(len(cats))]
    fig, ax = plt.subplots(figsize=(PAGE_IN, max(2.0, 0.16 * len(shares) + 1.0)))
    left = np.zeros(len(shares))
    ypos = np.arange(len(shares))[::-1]
    for c, col in zip(cats, colours):
        ax.barh(ypos, shares[c], left=left, color=col, height=0.8, label=str(c), linewidth=0)
        left += shares[c].to_numpy()
    ax.set_yticks(ypos, shares.index, fontsize=5)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of answers (reverse-keyed items reversed)")
    ax.set_title(title, pad=24)
    ax.legend(title="response", ncol=len(cats), loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False,
              fontsize=6, title_fontsize=6)
    fig.tight_layout()
    return fig


def correlation_heatmap(correlations: pd.DataFrame) -> Any:
    """Heat map of the pairwise correlations in ``tables/correlations.csv`` (diverging, −1 to 1)."""
    plt, _ = _plt()
    names = list(dict.fromkeys([*correlations["var1"], *correlations["var2"]])) if len(correlations) else []
    fig, ax = plt.subplots(figsize=(COLUMN_IN, COLUMN_IN))
    if not names:
        ax.text(0.5, 0.5, "no correlations", ha="center", va="center")
        ax.set_axis_off()
        return fig
    m = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for r in correlations.itertuples(index=False):
        m.loc[r.var1, r.var2] = m.loc[r.var2, r.var1] = r.r
    im = ax.imshow(m.to_numpy(dtype=float), cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=6)
    ax.set_yticks(range(len(names)), names, fontsize=6)
    if len(names) <= 12:
        for i in range(len(names)):
            for j in range(len(names)):
                v = m.iat[i, j]
                ax.text(j, i, f"{v:.2f}".replace("0.", ".", 1), ha="center", va="center", fontsize=5,
                        color="white" if abs(v) > 0.6 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="r")
    fig.tight_layout()
    return fig


def data_figures(clean: pd.DataFrame, correlations: pd.DataFrame, study: Mapping[str, Any]) -> dict[str, Any]:
    """Item response distributions of the factor-analysed instrument and the correlation heat map."""
    from attachstats.data.scoring import keyed_items
    from attachstats.spec.instrument import instrument_of

    key = (study.get("factor_analysis") or {}).get("instrument") or next(iter(study["instruments"]))
    inst = instrument_of(study, key)
    return {"item_distributions": item_distributions(keyed_items(clean, key, inst), inst.min, inst.max,
                                                     f"{key} ({inst.id})"),
            "correlation_heatmap": correlation_heatmap(correlations)}
