"""Figures of the data: participant flow, score and item distributions, the two dimensions,
correlations. Each function takes tables and returns a matplotlib Figure (or
:class:`~attachstats.output.figures.common.NotDrawn` when there is nothing to draw).
"""

from __future__ import annotations

import textwrap
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
    rasterize,
)
from attachstats.output.labels import stage_label
from attachstats.spec.styles import STYLES


def flow_figure(flow: pd.DataFrame) -> Any:
    """CONSORT-style participant flow: responses assessed, one box of exclusions with each
    reason and its count, the analysed sample (``validation/flow.csv``).

    Stages that excluded nobody are not listed; reasons are wrapped to the box. R
    equivalent: ``consort::consort_plot``.
    """

    plt, _ = pyplot()
    raw = int(flow["n_after"].iloc[0])
    analysed = int(flow["n_after"].iloc[-1])
    excl = flow[(~flow["stage"].isin(["raw", "analysed"])) & (flow["n_excluded"] > 0)]
    n_excl = int(excl["n_excluded"].sum())
    reasons = [textwrap.fill(f"{stage_label(r.stage)} (n = {int(r.n_excluded):,})", 34, initial_indent="• ",
                             subsequent_indent="   ") for r in excl.itertuples(index=False)]
    body = f"Excluded (n = {n_excl:,})\n" + ("\n".join(reasons) if reasons else "• none")
    lines = body.count("\n") + 1
    height = max(1.9, 0.14 * lines + 1.2)
    fig = plt.figure(figsize=(COLUMN_IN, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, COLUMN_IN)
    ax.set_ylim(0, height)
    box = {"boxstyle": "square,pad=0.35", "fc": "white", "ec": "black", "lw": 0.7}
    x_main, x_side = 0.62, 1.28
    ax.text(x_main, height - 0.3, f"Assessed\n(n = {raw:,})", ha="center", va="center", fontsize=8, bbox=box)
    ax.text(x_main, 0.3, f"Analysed\n(n = {analysed:,})", ha="center", va="center", fontsize=8, bbox=box)
    ax.annotate("", xy=(x_main, 0.6), xytext=(x_main, height - 0.6),
                arrowprops={"arrowstyle": "-|>", "lw": 0.7, "color": "black", "mutation_scale": 8})
    mid = height / 2
    ax.text(x_side, mid, body, ha="left", va="center", fontsize=MIN_PT, bbox=box, linespacing=1.25)
    ax.annotate("", xy=(x_side - 0.09, mid), xytext=(x_main, mid),
                arrowprops={"arrowstyle": "-|>", "lw": 0.7, "color": "black", "mutation_scale": 8})
    return fig


def score_distributions(scores: pd.DataFrame, columns: list[str], labels: Mapping[str, str] | None = None) -> Any:
    """Histogram of every scale score (three per row at page width)."""
    if not columns:
        return NotDrawn("no scale scores")
    plt, pal = pyplot()
    k = len(columns)
    ncol = min(3, k)
    nrow = int(np.ceil(k / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(PAGE_IN, 1.7 * nrow), squeeze=False, layout="constrained")
    for ax, col in zip(axes.flat, columns):
        v = scores[col].dropna()
        ax.hist(v, bins=30, color=pal[0], edgecolor="white", linewidth=0.3)
        ax.set_title(f"{label(col, labels)} (n = {len(v):,})")
        ax.set_ylabel("Respondents")
    for ax in list(axes.flat)[k:]:
        ax.set_axis_off()
    return fig


def dimensions_scatter(scores: pd.DataFrame, x: str, y: str, midpoint: float | None = None,
                       styles: pd.Series | None = None, cuts: tuple[float, float] | None = None,
                       rule: str = "", labels: Mapping[str, str] | None = None) -> Any:
    """Scatter of two dimension scores with quadrant lines, coloured by attachment category.

    ``cuts`` = (x cut, y cut) draws the quadrant lines at the classification's cut values
    (midpoint or medians); otherwise ``midpoint`` draws both at the scale midpoint.
    ``styles`` (aligned to ``scores``) colours the points by category; the legend sits above
    the axes, off the data.
    """
    plt, pal = pyplot()
    fig, ax = plt.subplots(figsize=(COLUMN_IN, COLUMN_IN + 0.5), layout="constrained")
    d = scores[[x, y]].dropna()
    if styles is not None and styles.notna().any():
        st = styles.reindex(d.index)
        for j, name in enumerate(STYLES):
            m = (st == name).to_numpy()
            if m.any():
                ax.scatter(d.loc[m, x], d.loc[m, y], s=4, alpha=0.45, color=pal[j], linewidths=0,
                           rasterized=rasterize(len(d)), label=f"{name} (n = {int(m.sum()):,})")
        fig.legend(loc="outside upper center", ncol=2, frameon=False, markerscale=3,
                   title=f"High = {rule}" if rule else None)
    else:
        ax.scatter(d[x], d[y], s=4, alpha=0.35, color=pal[0], linewidths=0, rasterized=rasterize(len(d)))
    vx, hy = cuts if cuts is not None else (midpoint, midpoint)
    if vx is not None and np.isfinite(vx):
        ax.axvline(vx, color="grey", lw=0.6, ls="--")
    if hy is not None and np.isfinite(hy):
        ax.axhline(hy, color="grey", lw=0.6, ls="--")
    r = np.corrcoef(d[x], d[y])[0, 1] if len(d) > 2 else np.nan
    ax.set_xlabel(label(x, labels))
    ax.set_ylabel(label(y, labels))
    ax.set_title(f"n = {len(d):,}, r = {r:.2f}".replace("0.", ".", 1))
    return fig


def item_distributions(keyed: pd.DataFrame, low: float, high: float, title: str = "",
                       continuous: bool = False, labels: Mapping[str, str] | None = None) -> Any:
    """Share of each response category per item (keyed items), as a stacked horizontal bar chart.

    Items of an instrument with ``continuous`` answers (any number in ``[low, high]``, e.g. a
    0-100 slider) have no categories: each item is drawn as a horizontal box plot instead.
    The figure's height grows with the number of items (0.13 in per item).
    """
    plt, _ = pyplot()
    import matplotlib as mpl

    if keyed.shape[1] == 0:
        return NotDrawn("no item data")
    names = [label(c, labels) for c in keyed.columns]
    height = max(2.0, 0.13 * keyed.shape[1] + 1.1)
    if continuous:
        fig, ax = plt.subplots(figsize=(PAGE_IN, height), layout="constrained")
        ypos = np.arange(keyed.shape[1])[::-1]
        values = [keyed[c].dropna().to_numpy(dtype=float) for c in keyed.columns]
        ax.boxplot(values, positions=ypos, orientation="horizontal", widths=0.6, showfliers=False,
                   medianprops={"color": "black", "linewidth": 0.8}, boxprops={"linewidth": 0.6},
                   whiskerprops={"linewidth": 0.6}, capprops={"linewidth": 0.6})
        ax.set_yticks(ypos, names)
        ax.set_xlim(low, high)
        ax.set_xlabel("Answer (reverse-keyed items reversed)")
        ax.set_title(title)
        return fig

    cats = list(range(int(low), int(high) + 1))
    shares = pd.DataFrame({c: (keyed == c).sum() / keyed.notna().sum() for c in cats}).fillna(0.0)
    cmap = mpl.colormaps["cividis"]
    colours = [cmap(i / max(1, len(cats) - 1)) for i in range(len(cats))]
    fig, ax = plt.subplots(figsize=(PAGE_IN, height), layout="constrained")
    left = np.zeros(len(shares))
    ypos = np.arange(len(shares))[::-1]
    for c, col in zip(cats, colours):
        ax.barh(ypos, shares[c], left=left, color=col, height=0.8, label=str(c), linewidth=0)
        left += shares[c].to_numpy()
    ax.set_yticks(ypos, names)
    ax.set_ylim(-0.6, len(shares) - 0.4)
    ax.set_xlim(0, 1)
    ax.set_xlabel("Share of answers (reverse-keyed items reversed)")
    ax.set_title(title)
    fig.legend(title="Response", ncol=len(cats), loc="outside upper center", frameon=False)
    return fig


def correlation_heatmap(correlations: pd.DataFrame, labels: Mapping[str, str] | None = None) -> Any:
    """Lower-triangle heat map of the pairwise correlations in ``tables/correlations.csv``
    (diverging, −1 to 1), each cell labelled with r (two decimals, no leading zero).

    R equivalent: ``corrplot::corrplot(r, type = "lower", method = "color", addCoef.col = ...)``.
    """
    names = list(dict.fromkeys([*correlations["var1"], *correlations["var2"]])) if len(correlations) else []
    if len(names) < 2:
        return NotDrawn("fewer than two variables to correlate")
    plt, _ = pyplot()
    k = len(names)
    m = np.full((k, k), np.nan)
    idx = {n: i for i, n in enumerate(names)}
    for r in correlations.itertuples(index=False):
        i, j = sorted((idx[r.var1], idx[r.var2]), reverse=True)
        m[i, j] = r.r
    # rows 2..k, columns 1..k-1: the strict lower triangle
    sub = m[1:, :-1]
    text = {n: textwrap.fill(label(n, labels), 22, break_long_words=False) for n in names}
    # a column is wide enough for its cells' r values only when the labels leave room: long
    # labels or many variables take the page width
    longest = max(len(line) for t in text.values() for line in t.split("\n"))
    width = COLUMN_IN if k <= 6 and longest <= 16 else PAGE_IN
    fig, ax = plt.subplots(figsize=(width, min(width * 0.75, 6.5)), layout="constrained")
    im = ax.imshow(np.ma.masked_invalid(sub), cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(k - 1), [text[n] for n in names[:-1]], rotation=45, ha="right",
                  rotation_mode="anchor")
    ax.set_yticks(range(k - 1), [text[n] for n in names[1:]])
    for s in ax.spines.values():
        s.set_visible(False)
    ax.tick_params(length=0)
    if k <= 14:
        for i in range(k - 1):
            for j in range(i + 1):
                v = sub[i, j]
                if np.isfinite(v):
                    ax.text(j, i, f"{v:.2f}".replace("0.", ".", 1).replace("-", "\u2212"), ha="center", va="center", fontsize=MIN_PT,
                            color="white" if abs(v) > 0.6 else "black")
    fig.colorbar(im, ax=ax, shrink=0.7, label="Pearson r")
    return fig
