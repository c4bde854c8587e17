"""Figures of the data: participant flow, score and item distributions, the two dimensions,
correlations. Each function takes tables and returns a matplotlib Figure.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from attachstats.output.figures.common import COLUMN_IN, PAGE_IN, placeholder, pyplot, rasterize
from attachstats.spec.styles import STYLES


def flow_figure(flow: pd.DataFrame) -> Any:
    """CONSORT-style boxes: raw sample, each exclusion stage (with n), analysed sample."""
    plt, pal = pyplot()
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
    plt, pal = pyplot()
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
    plt, pal = pyplot()
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



def item_distributions(keyed: pd.DataFrame, low: float, high: float, title: str = "",
                       continuous: bool = False) -> Any:
    """Share of each response category per item (keyed items), as a stacked horizontal bar chart.

    Items of an instrument with ``continuous`` answers (any number in ``[low, high]``, e.g. a
    0-100 slider) have no categories: each item is drawn as a horizontal box plot instead.
    """
    plt, _ = pyplot()
    import matplotlib as mpl

    if continuous:
        return _continuous_items(plt, keyed, low, high, title)

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
    plt, _ = pyplot()
    names = list(dict.fromkeys([*correlations["var1"], *correlations["var2"]])) if len(correlations) else []
    if not names:
        return placeholder("no correlations")
    fig, ax = plt.subplots(figsize=(COLUMN_IN, COLUMN_IN))
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


def _continuous_items(plt: Any, keyed: pd.DataFrame, low: float, high: float, title: str) -> Any:
    """Box plots of continuous items (median, quartiles, 1.5 IQR whiskers), first item on top."""
    fig, ax = plt.subplots(figsize=(PAGE_IN, max(2.0, 0.16 * keyed.shape[1] + 1.0)))
    ypos = np.arange(keyed.shape[1])[::-1]
    values = [keyed[c].dropna().to_numpy(dtype=float) for c in keyed.columns]
    ax.boxplot(values, positions=ypos, orientation="horizontal", widths=0.6, showfliers=False,
               medianprops={"color": "black", "linewidth": 0.8}, boxprops={"linewidth": 0.6},
               whiskerprops={"linewidth": 0.6}, capprops={"linewidth": 0.6})
    ax.set_yticks(ypos, keyed.columns, fontsize=5)
    ax.set_xlim(low, high)
    ax.set_xlabel("answer (reverse-keyed items reversed)")
    ax.set_title(title)
    fig.tight_layout()
    return fig

