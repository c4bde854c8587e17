"""Figures across studies and replications: the forest plot of pooled effects, the power curve.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from attachstats.output.figures.common import (
    COLUMN_IN,
    MIN_PT,
    PAGE_IN,
    NotDrawn,
    pyplot,
)
from attachstats.output.labels import model_label, term_text
from attachstats.output.numbers import format_value, p_text


def _num(value: float, column: str = "b") -> str:
    return format_value(float(value), column).replace("-", "\u2212")


def forest_height(ks: list[int]) -> float:
    """Height (inches) of the forest plot of pooled effects with ``ks`` studies each: two
    panels per row, each 0.17 in per study plus the pooled and heterogeneity rows and
    0.75 in of title and axis."""
    rows = [0.17 * (k + 2.9) + 0.75 for k in ks]
    return float(sum(max(rows[i:i + 2]) for i in range(0, len(rows), 2)))


#: The tallest forest plot (inches); effects beyond it are listed in ``meta.csv`` only, and the
#: figure says how many.
MAX_FOREST_IN = 9.0


def forest_plot(rows: pd.DataFrame, pooled: pd.DataFrame, labels: Mapping[str, str] | None = None) -> Any:
    """Forest plot as ``metafor::forest(rma(...))`` draws it, one panel per pooled effect.

    Each study's b with its 95% CI (square sized by its weight), the weight (%) and
    ``b [95% CI]`` in columns at the right, the random-effects pool as a diamond, and the
    heterogeneity (τ², I², Q with df and p) under it. ``rows`` are the studies'
    coefficients of the pooled effects with their random-effects ``weight`` in per cent
    (:func:`attachstats.steps.summary.forest_rows`); ``pooled`` is ``_summary/meta.csv``.
    The height grows with the number of studies (:func:`forest_height`) up to
    :data:`MAX_FOREST_IN`: the effects are drawn in the order of ``pooled`` while they fit,
    and a last line says how many more are in ``meta.csv``.
    """
    if pooled.empty:
        return NotDrawn("no effect is estimated in two or more studies")
    plt, pal = pyplot()
    ks = list(pooled["k"].astype(int))
    n = len(pooled)
    while n > 1 and forest_height(ks[:n]) + (0.2 if n < len(pooled) else 0) > MAX_FOREST_IN:
        n -= 1
    more = len(pooled) - n
    pooled = pooled.iloc[:n]
    ncol = 1 if n == 1 else 2
    nrow = int(np.ceil(n / ncol))
    fig = plt.figure(figsize=(PAGE_IN if ncol == 2 else COLUMN_IN, forest_height(ks[:n]) + (0.2 if more else 0)),
                     layout="constrained")
    if more:
        fig.supxlabel(f"{more} more pooled effect{'s' if more != 1 else ''} in _summary/meta.csv", fontsize=MIN_PT)
    subs = np.atleast_1d(fig.subfigures(nrow, ncol, squeeze=False)).ravel()
    lab = labels or {}
    for sub, r in zip(subs, pooled.itertuples()):
        g = rows[(rows["model"] == r.model) & (rows["outcome"] == r.outcome) & (rows["term"] == r.term)]
        k = len(g)
        ax, tx = sub.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [1.0, 1.6], "wspace": 0.02})
        y = np.arange(k, 0, -1).astype(float)
        sizes = 2 + 4 * np.sqrt(g["weight"].to_numpy(float) / 100)
        for yi, (_, s), ms in zip(y, g.iterrows(), sizes):
            ax.plot([s["ci_lo"], s["ci_hi"]], [yi, yi], color="black", lw=0.7)
            ax.plot([s["b"]], [yi], marker="s", ms=ms, color=pal[0], ls="none")
        ax.fill([r.ci_lo, r.estimate, r.ci_hi, r.estimate], [0, 0.3, 0, -0.3], color=pal[3], lw=0)
        ax.set_yticks([*y, 0], [*g["study"], "RE model"])
        ax.set_ylim(-1.9, k + 1.0)
        ax.axvline(0, color="grey", lw=0.5)
        ax.tick_params(axis="y", length=0)
        for spine in ("left", "right", "top"):
            ax.spines[spine].set_visible(False)
        ax.set_xlabel("b (95% CI)")
        tx.set_axis_off()
        tx.set_xlim(0, 1)
        tx.text(0.02, k + 0.75, "Weight", ha="left", va="center", fontsize=MIN_PT)
        tx.text(0.26, k + 0.75, "b [95% CI]", ha="left", va="center", fontsize=MIN_PT)
        for yi, (_, s) in zip(y, g.iterrows()):
            tx.text(0.02, yi, f"{s['weight']:.1f}%", ha="left", va="center", fontsize=MIN_PT)
            tx.text(0.26, yi, f"{_num(s['b'])} [{_num(s['ci_lo'])}, {_num(s['ci_hi'])}]", ha="left", va="center",
                    fontsize=MIN_PT)
        tx.text(0.02, 0, "100%", ha="left", va="center", fontsize=MIN_PT)
        tx.text(0.26, 0, f"{_num(r.estimate)} [{_num(r.ci_lo)}, {_num(r.ci_hi)}]", ha="left", va="center",
                fontsize=MIN_PT)
        het = (f"\u03c4\u00b2 = {r.tau2:.3f}, I\u00b2 = {r.i2:.0f}%\nQ({int(r.k) - 1}) = {r.q:.2f}, "
               f"{p_text(r.q_p)}")
        tx.text(0.02, -1.1, het, ha="left", va="center", fontsize=MIN_PT)
        sub.suptitle(f"{model_label(r.model).capitalize()}: {lab.get(r.outcome, r.outcome)} on "
                     f"{term_text(r.term, lab)}", fontsize=8, x=0.02, ha="left")
    for sub in subs[n:]:
        sub.set_visible(False)
    return fig


def power_curve(power: pd.DataFrame, alpha: float = 0.05) -> Any:
    """Power by sample size, one line per model and term, with ±2 Monte Carlo SE bands
    (legend below the axes)."""
    plt, pal = pyplot()
    groups = list(power.groupby(["model", "term"], sort=True))
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 2.6 + 0.14 * len(groups)), layout="constrained")
    for j, ((model, term), g) in enumerate(groups):
        g = g.sort_values("n")
        c = pal[j % len(pal)]
        ax.plot(g["n"], g["power"], marker="o", ms=3, lw=1, color=c, label=f"{model_label(model)}: {term_text(term, {})}")
        ax.fill_between(g["n"], g["power"] - 2 * g["power_mcse"], g["power"] + 2 * g["power_mcse"], color=c,
                        alpha=0.2, lw=0)
    ax.axhline(0.8, color="grey", lw=0.5, ls="--")
    ax.axhline(alpha, color="grey", lw=0.5, ls=":")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Sample size (n)")
    ax.set_ylabel("Power")
    if groups:
        fig.legend(loc="outside lower center", ncol=1, frameon=False)
    return fig
