"""Figures of the factor analysis: scree with parallel analysis, EFA loading heat map and a
path diagram of a CFA model (matplotlib only; no graphviz). Each function takes result
tables and returns a Figure; nothing is computed here beyond layout.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from attachstats.output.figures.common import COLUMN_IN, PAGE_IN, placeholder, pyplot


def scree_figure(parallel: pd.DataFrame, diagnostics: pd.DataFrame) -> Any:
    """Observed factor eigenvalues against the simulated mean and quantile (parallel analysis)."""
    plt, pal = pyplot()
    if parallel.empty:
        return placeholder("no factor analysis in this study")
    d = diagnostics.iloc[0]
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 2.6))
    k = parallel["factor"]
    ax.plot(k, parallel["observed"], marker="o", ms=3, lw=1, color=pal[0], label="observed (factors)")
    ax.plot(k, parallel["simulated_mean"], ls="--", lw=0.9, color=pal[3], label="simulated mean")
    q = float(d["parallel_quantile"])
    ax.plot(k, parallel["simulated_quantile"], ls=":", lw=1.1, color=pal[3],
            label=f"simulated {q * 100:.0f}th percentile")
    nf = int(d["parallel_factors"])
    if nf > 0:
        ax.axvline(nf + 0.5, color="grey", lw=0.5)
    ax.axhline(0, color="grey", lw=0.4)
    ax.set_xlabel("factor number")
    ax.set_ylabel("eigenvalue (reduced correlation matrix)")
    ax.set_title(f"Parallel analysis: {nf} factor{'s' if nf != 1 else ''} "
                 f"({int(d['parallel_iterations'])} simulated data sets)")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def loading_heatmap(loadings: pd.DataFrame, cutoff: float) -> Any:
    """Heat map of the rotated EFA loadings (items × factors); values ≥ cutoff annotated."""
    plt, _ = pyplot()
    if loadings.empty:
        return placeholder("no factor analysis in this study")
    factors = [c for c in loadings.columns[1:list(loadings.columns).index("h2")]]
    m = loadings[factors].to_numpy(float)
    fig, ax = plt.subplots(figsize=(1.2 + 0.7 * len(factors), max(2.0, 0.16 * len(m) + 0.8)))
    im = ax.imshow(m, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if abs(m[i, j]) >= cutoff:
                ax.text(j, i, f"{m[i, j]:.2f}".replace("0.", ".", 1), ha="center", va="center", fontsize=5,
                        color="white" if abs(m[i, j]) > 0.6 else "black")
    ax.set_xticks(range(len(factors)), factors)
    ax.set_yticks(range(len(m)), loadings["item"], fontsize=5)
    ax.set_title(f"EFA loadings (|λ| ≥ {cutoff:.2f} shown)")
    fig.colorbar(im, ax=ax, shrink=0.6, label="loading")
    fig.tight_layout()
    return fig


def path_diagram(loadings: pd.DataFrame, correlations: pd.DataFrame, model: str) -> Any:
    """Path diagram of a CFA model with standardised loadings and latent correlations.

    Items are boxes in one column, grouped by their first factor; those factors are circles
    to the right, a factor that is nobody's first (e.g. a method factor) a circle to the
    left. Single-headed arrows carry the standardised loadings, curved double-headed arrows
    the free latent correlations (covariances fixed to 0 are not drawn). Residual variances
    are not drawn.
    """
    plt, pal = pyplot()
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

    lo = loadings[loadings["model"] == model]
    if lo.empty:
        return placeholder(f"model {model!r} was not fitted")
    factors = list(dict.fromkeys(lo["factor"]))
    items = list(dict.fromkeys(lo["item"]))
    first = {it: lo.loc[lo["item"] == it, "factor"].iloc[0] for it in items}
    items = sorted(items, key=lambda it: factors.index(first[it]))    # stable: grouped by factor
    n = len(items)
    step, r, half_w = 0.32, 0.55, 0.45
    y_item = {it: (n - 1 - k) * step for k, it in enumerate(items)}
    right = {f: any(first[it] == f for it in items) for f in factors}
    x_pos = {f: (3.2 if right[f] else -3.2) for f in factors}
    y_fac = {}
    for f in factors:
        its = [it for it in items if first[it] == f] or list(lo.loc[lo["factor"] == f, "item"])
        y_fac[f] = float(np.mean([y_item[it] for it in its]))
    fig, ax = plt.subplots(figsize=(PAGE_IN * (0.95 if not all(right.values()) else 0.75),
                                    max(3.0, step * n + 0.8) * 0.55))
    for it, y in y_item.items():
        ax.add_patch(FancyBboxPatch((-half_w, y - 0.11), 2 * half_w, 0.22, boxstyle="square,pad=0",
                                    fc="white", ec="black", lw=0.6))
        ax.text(0, y, it, ha="center", va="center", fontsize=5.5)
    for j, f in enumerate(factors):
        ax.add_patch(Circle((x_pos[f], y_fac[f]), r, fc="white", ec=pal[j % len(pal)], lw=1.0))
        ax.text(x_pos[f], y_fac[f], f, ha="center", va="center", fontsize=5.5)
    for row in lo.itertuples():
        j = factors.index(row.factor)
        side = 1 if right[row.factor] else -1
        x0, y0 = x_pos[row.factor] - side * r, y_fac[row.factor]
        x1, y1 = side * half_w, y_item[row.item]
        ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=5, lw=0.5,
                                     color=pal[j % len(pal)], shrinkA=0, shrinkB=0))
        t = 0.8
        ax.text(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t + 0.04, f"{row.std:.2f}".replace("0.", ".", 1),
                fontsize=4.5, ha="center", va="bottom", color=pal[j % len(pal)])
    cors = correlations[correlations["model"] == model]
    cors = cors[~((cors["est"] == 0) & (cors["se"].fillna(0) == 0))]     # fixed at 0: not drawn
    for row in cors.itertuples():
        sign = 1 if right[row.factor1] else -1
        a = (x_pos[row.factor1] + sign * r, y_fac[row.factor1])
        b = (x_pos[row.factor2] + sign * r, y_fac[row.factor2])
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="<|-|>", mutation_scale=5, lw=0.6, color="black",
                                     connectionstyle=f"arc3,rad={-0.45 * sign}"))
        mx = (max(a[0], b[0]) + 0.25 + 0.12 * abs(a[1] - b[1])) if sign > 0 else \
            (min(a[0], b[0]) - 0.6 - 0.12 * abs(a[1] - b[1]))
        ax.text(mx, (a[1] + b[1]) / 2, f"{row.est:.2f}".replace("0.", ".", 1), fontsize=6, va="center")
    lo_x = -0.7 if all(right.values()) else -3.2 - r - 1.2
    ax.set_xlim(lo_x, 3.2 + r + 1.7)
    ax.set_ylim(-0.5, (n - 1) * step + 0.5)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(f"CFA {model.replace('_', '-')}: standardised estimates")
    return fig


def loadings_figure(loadings: pd.DataFrame, model: str) -> Any:
    """Standardised loadings with 95% CIs, one colour per factor."""
    plt, pal = pyplot()
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

