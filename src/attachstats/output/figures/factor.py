"""Figures of the factor analysis: scree with parallel analysis, EFA loading heat map, CFA
loadings and a path diagram of a CFA model (matplotlib only; no graphviz). Each function
takes result tables and returns a Figure (or
:class:`~attachstats.output.figures.common.NotDrawn`); nothing is computed here beyond layout.
"""

from __future__ import annotations

import re

from collections.abc import Mapping
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
)
from attachstats.output.labels import model_label
from attachstats.output.numbers import format_value


def _num(value: float, column: str) -> str:
    """A number as the tables print it, with a true minus sign."""
    return format_value(float(value), column).replace("-", "\u2212")


def scree_figure(parallel: pd.DataFrame, diagnostics: pd.DataFrame) -> Any:
    """Observed factor eigenvalues against the simulated mean and quantile (parallel analysis),
    legend above the axes. R equivalent: ``psych::fa.parallel(fa = "fa")``."""
    if parallel.empty or diagnostics.empty:
        return NotDrawn("no exploratory factor analysis in this study")
    plt, pal = pyplot()
    d = diagnostics.iloc[0]
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 2.9), layout="constrained")
    k = parallel["factor"]
    ax.plot(k, parallel["observed"], marker="o", ms=3, lw=1, color=pal[0], label="Observed")
    ax.plot(k, parallel["simulated_mean"], ls="--", lw=0.9, color=pal[3], label="Simulated mean")
    q = float(d["parallel_quantile"])
    ax.plot(k, parallel["simulated_quantile"], ls=":", lw=1.1, color=pal[3],
            label=f"Simulated {q * 100:.0f}th percentile")
    nf = int(d["parallel_factors"])
    if nf > 0:
        ax.axvline(nf + 0.5, color="grey", lw=0.5)
    ax.axhline(0, color="grey", lw=0.4)
    ax.set_xlabel("Factor number")
    ax.set_ylabel("Eigenvalue (reduced correlations)")
    ax.set_title(f"Parallel analysis: {nf} factor{'s' if nf != 1 else ''} "
                 f"({int(d['parallel_iterations'])} simulations)")
    fig.legend(loc="outside upper center", ncol=2, frameon=False, handlelength=1.8, columnspacing=1.0)
    return fig


def efa_factor_tick(factor: str, position: int, labels: Mapping[str, str] | None = None) -> str:
    """The name of an EFA factor on an axis: its label when the loadings identify a subscale
    (``labels[factor]``, from :func:`attachstats.output.labels.figure_labels` with the EFA
    loadings), else ``Factor k`` with psych's number (``MR2`` -> ``Factor 2``), wrapped to fit.

    >>> efa_factor_tick("MR2", 0, {"MR2": "Anxiety"}), efa_factor_tick("MR2", 0), efa_factor_tick("x", 2)
    ('Anxiety', 'Factor 2', 'Factor 3')
    """
    import textwrap

    if labels and factor in labels and labels[factor] != factor:
        return textwrap.fill(str(labels[factor]), 14)
    m = re.fullmatch(r"(?:MR|ML|PA|PC|RC|TC|F)(\d+)", str(factor))
    return f"Factor {m.group(1) if m else position + 1}"


def loading_heatmap(loadings: pd.DataFrame, cutoff: float, labels: Mapping[str, str] | None = None) -> Any:
    """Heat map of the rotated EFA loadings (items × factors); values ≥ cutoff annotated; each
    factor named after the subscale its loadings identify, else ``Factor k`` (:func:`efa_factor_tick`)."""
    if loadings.empty:
        return NotDrawn("no exploratory factor analysis in this study")
    plt, _ = pyplot()
    factors = [c for c in loadings.columns[1:list(loadings.columns).index("h2")]]
    m = loadings[factors].to_numpy(float)
    fig, ax = plt.subplots(figsize=(COLUMN_IN, max(2.0, 0.14 * len(m) + 1.0)), layout="constrained")
    im = ax.imshow(m, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if abs(m[i, j]) >= cutoff:
                ax.text(j, i, _num(m[i, j], "std"), ha="center", va="center", fontsize=MIN_PT,
                        color="white" if abs(m[i, j]) > 0.6 else "black")
    ax.set_xticks(range(len(factors)), [efa_factor_tick(f, j, labels) for j, f in enumerate(factors)])
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(m)), [label(it, labels) for it in loadings["item"]])
    ax.tick_params(length=0)
    ax.set_title(f"Loadings |λ| ≥ {_num(cutoff, 'std')} shown")
    fig.colorbar(im, ax=ax, shrink=0.5, label="Loading")
    return fig


def _first_factors(lo: pd.DataFrame) -> tuple[list[str], list[str], dict[str, str]]:
    factors = list(dict.fromkeys(lo["factor"]))
    items = list(dict.fromkeys(lo["item"]))
    first = {it: lo.loc[lo["item"] == it, "factor"].iloc[0] for it in items}
    items = sorted(items, key=lambda it: factors.index(first[it]))    # stable: grouped by factor
    return factors, items, first


def path_layout(loadings: pd.DataFrame, step: float = 0.17) -> dict[str, Any]:
    """Positions (inches) of a path diagram: items in one column (grouped by their first
    factor), those factors to the right, a factor that is nobody's first (a method factor)
    to the left; the loading labels on each arrow at a fixed fraction of its length from the
    item, so labels of one factor sit in one column ``step·(1 − t)`` apart and never overlap.

    Returns a dict with ``width, height, items (name -> (x, y)), factors (name -> (x, y)),
    right (name -> bool), box_w, box_h, radius, t``.
    """
    factors, items, first = _first_factors(loadings)
    right = {f: any(first[it] == f for it in items) for f in factors}
    left = not all(right.values())
    n = len(items)
    box_w, box_h, radius, gap, t = 0.62, 0.13, 0.34, 1.6, 0.2
    x_item = (0.45 + radius * 2 + gap + box_w / 2) if left else 0.1 + box_w / 2
    width = PAGE_IN if left else COLUMN_IN
    height = step * n + 0.35
    y_item = {it: height - 0.2 - (k + 0.5) * step for k, it in enumerate(items)}
    pos_f = {}
    for f in factors:
        its = [it for it in items if first[it] == f] or list(loadings.loc[loadings["factor"] == f, "item"])
        y = float(np.mean([y_item[it] for it in its]))
        x = x_item + box_w / 2 + gap + radius if right[f] else x_item - box_w / 2 - gap - radius
        pos_f[f] = (x, y)
    return {"width": width, "height": height, "items": {it: (x_item, y) for it, y in y_item.items()},
            "factors": pos_f, "right": right, "box_w": box_w, "box_h": box_h, "radius": radius, "t": t}


def path_diagram(loadings: pd.DataFrame, correlations: pd.DataFrame, model: str,
                 labels: Mapping[str, str] | None = None) -> Any:
    """Path diagram of a CFA model with standardised loadings and latent correlations, in the
    manner of ``semPlot::semPaths(fit, "std")``.

    Items are boxes in one column, grouped by their first factor; those factors are circles
    to the right, a factor that is nobody's first (e.g. a method factor) a circle to the
    left (layout: :func:`path_layout`). Each single-headed arrow carries its standardised
    loading in a white box on the arrow near the item; curved double-headed arrows carry
    the free latent correlations, labelled at the arc's apex (covariances fixed to 0 are not
    drawn). Residual variances are not drawn.
    """
    lo = loadings[loadings["model"] == model]
    if lo.empty:
        return NotDrawn(f"model {model!r} was not fitted" if model else "no CFA model in this study")
    plt, pal = pyplot()
    from matplotlib.patches import Circle, FancyArrowPatch, Rectangle

    L = path_layout(lo)
    factors = list(L["factors"])
    fig = plt.figure(figsize=(L["width"], L["height"] + 0.25))
    ax = fig.add_axes((0, 0, 1, L["height"] / (L["height"] + 0.25)))
    ax.set_xlim(0, L["width"])
    ax.set_ylim(0, L["height"])
    ax.set_axis_off()
    fig.text(0.5, 1 - 0.12 / (L["height"] + 0.25), f"{model_label(model).capitalize()} model: standardised "
             "estimates", ha="center", va="center", fontsize=8)
    bw, bh, r, t = L["box_w"], L["box_h"], L["radius"], L["t"]
    label_box = {"boxstyle": "square,pad=0.12", "fc": "white", "ec": "none"}
    for it, (x, y) in L["items"].items():
        ax.add_patch(Rectangle((x - bw / 2, y - bh / 2), bw, bh, fc="white", ec="black", lw=0.6, zorder=3))
        ax.text(x, y, label(it, labels), ha="center", va="center", fontsize=MIN_PT, zorder=4)
    for j, (f, (x, y)) in enumerate(L["factors"].items()):
        ax.add_patch(Circle((x, y), r, fc="white", ec=pal[j % len(pal)], lw=1.0, zorder=3))
        name = label(f, labels)
        ax.text(x, y, name, ha="center", va="center", fontsize=8 if len(name) <= 9 else MIN_PT, zorder=4,
                wrap=False)
    for row in lo.itertuples():
        j = factors.index(row.factor)
        colour = pal[j % len(pal)]
        fx, fy = L["factors"][row.factor]
        ix, iy = L["items"][row.item]
        side = 1 if L["right"][row.factor] else -1
        x1, y1 = ix + side * bw / 2, iy                       # item edge facing the factor
        dx, dy = x1 - fx, y1 - fy
        d = float(np.hypot(dx, dy))
        x0, y0 = fx + r * dx / d, fy + r * dy / d             # circle edge towards the item
        ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=6, lw=0.5,
                                     color=colour, shrinkA=0, shrinkB=0, zorder=1))
        lx, ly = x1 + (x0 - x1) * t, y1 + (y0 - y1) * t
        ax.text(lx, ly, _num(row.std, "std"), fontsize=MIN_PT, ha="center", va="center", color="black",
                bbox=label_box, zorder=2)
    cors = correlations[correlations["model"] == model]
    cors = cors[~((cors["est"] == 0) & (cors["se"].fillna(0) == 0))]     # fixed at 0: not drawn
    for row in cors.itertuples():
        (ax_, ay), (bx, by) = L["factors"][row.factor1], L["factors"][row.factor2]
        s1, s2 = (1 if L["right"][row.factor1] else -1), (1 if L["right"][row.factor2] else -1)
        if s1 == s2:          # both on one side: an arc bulging outwards
            a, b = (ax_ + s1 * r * 0.7, ay + r * 0.7 * np.sign(by - ay)), (bx + s1 * r * 0.7,
                                                                         by - r * 0.7 * np.sign(by - ay))
            chord = float(np.hypot(b[0] - a[0], b[1] - a[1]))
            rad = s1 * np.sign(by - ay) * 2 * 0.3 / chord if chord else 0.3    # bulge 0.3 in
        else:                 # across the items: a gentle arc below the column
            a, b = (ax_, ay - r), (bx, by - r)
            rad = 0.15
        ax.add_patch(FancyArrowPatch(a, b, arrowstyle="<|-|>", mutation_scale=6, lw=0.6, color="black",
                                     connectionstyle=f"arc3,rad={rad}", zorder=1))
        # apex of the quadratic Bezier: midpoint + rad/2 times the chord turned by +90°
        mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
        cx, cy = b[0] - a[0], b[1] - a[1]
        px, py = mx + rad / 2 * cy, my - rad / 2 * cx
        ax.text(px, py, _num(row.est, "std"), fontsize=MIN_PT, ha="center", va="center", bbox=label_box, zorder=2)
    return fig


def loadings_figure(loadings: pd.DataFrame, model: str, labels: Mapping[str, str] | None = None) -> Any:
    """Standardised loadings with 95% CIs, one colour per factor (legend above the axes)."""
    d = loadings[loadings["model"] == model].reset_index(drop=True)
    if d.empty:
        return NotDrawn("no CFA model in this study")
    plt, pal = pyplot()
    fig, ax = plt.subplots(figsize=(COLUMN_IN, max(2.0, 0.13 * len(d) + 1.0)), layout="constrained")
    factors = list(dict.fromkeys(d["factor"]))
    ypos = np.arange(len(d))[::-1]
    for j, f in enumerate(factors):
        m = (d["factor"] == f).to_numpy()
        ax.errorbar(d.loc[m, "std"], ypos[m], xerr=[d.loc[m, "std"] - d.loc[m, "std_ci_lo"],
                                                   d.loc[m, "std_ci_hi"] - d.loc[m, "std"]],
                    fmt="o", ms=2.5, lw=0.7, color=pal[j % len(pal)], label=label(f, labels))
    ax.set_yticks(ypos, [label(it, labels) for it in d["item"]])
    ax.set_ylim(-0.7, len(d) - 0.3)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_xlabel("Standardised loading (95% CI)")
    ax.set_title(f"{model_label(model).capitalize()} model")
    fig.legend(loc="outside upper center", ncol=min(4, len(factors)), frameon=False)
    return fig
