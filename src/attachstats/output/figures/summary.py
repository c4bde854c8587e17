"""Figures across studies and replications: the forest plot of pooled effects, the power curve.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from attachstats.output.figures.common import COLUMN_IN, placeholder, pyplot


def forest_plot(coefficients: pd.DataFrame, pooled: pd.DataFrame) -> Any:
    """Forest plot: each study's b with 95% CI and the random-effects pool, per pooled effect."""
    plt, pal = pyplot()
    if pooled.empty:
        return placeholder("no effect is estimated in two or more studies")
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
    plt, pal = pyplot()
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

