"""Predicted values of a linear model with a two-way interaction, with pointwise intervals:
the lines of an interaction plot.

The prediction at focal x and moderator w is ŷ = c'b with c the design row that has x, w
and x·w in their columns and every other column at its estimation-sample mean (the
intercept at 1); its variance is c'Vc with V the fit's coefficient covariance (HC3 by
default), and the interval uses the t distribution on the residual degrees of freedom, as
``predict(fit, newdata, interval = "confidence")`` does with the model-based V. The moderator
is held at its mean − SD, mean and mean + SD (Aiken & West, 1991) or, when it has at most
``max_levels`` distinct values (a binary or categorical moderator), at each of them. R
equivalent: ``interactions::interact_plot(fit, pred = x, modx = w, interval = TRUE,
robust = "HC3")``.

Example
-------
>>> import numpy as np, pandas as pd
>>> X = pd.DataFrame({"(Intercept)": 1.0, "x": [0.0, 1, 2, 3], "w": [0.0, 1, 0, 1]})
>>> X["x:w"] = X["x"] * X["w"]
>>> b = pd.Series([1.0, 0.5, 0.2, 0.3], index=X.columns)
>>> cov = pd.DataFrame(np.eye(4) * 0.01, index=X.columns, columns=X.columns)
>>> p = interaction_lines(b, cov, X, "x", "w", "x:w", df_resid=10, points=2)
>>> p[["level", "focal_value", "fitted"]].round(6).values.tolist()
[['w = 0', 0.0, 1.0], ['w = 0', 3.0, 2.5], ['w = 1', 0.0, 1.2], ['w = 1', 3.0, 3.6]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["LINE_COLUMNS", "interaction_lines"]

#: Columns of :func:`interaction_lines`.
LINE_COLUMNS = ["model", "outcome", "focal", "moderator", "level", "moderator_value", "focal_value", "fitted",
                "se", "ci_lo", "ci_hi"]


def _fmt(v: float) -> str:
    return f"{v:g}"


def interaction_lines(b: pd.Series, cov: pd.DataFrame, design: pd.DataFrame, focal: str, moderator: str,
                      inter: str, df_resid: int, model: str = "", outcome: str = "", ci: float = 0.95,
                      points: int = 50, max_levels: int = 2, focal_centre: float = 0.0,
                      moderator_centre: float = 0.0) -> pd.DataFrame:
    """Predicted outcome across the focal variable at each moderator level, with its interval.

    Parameters
    ----------
    b, cov : pandas.Series, pandas.DataFrame
        Coefficients and their covariance by design column.
    design : pandas.DataFrame
        The design matrix of the fit (estimation rows): the means of the other columns, the
        moderator's levels and the focal variable's observed range come from it.
    focal, moderator, inter : str
        Design columns of x, w and x·w.
    df_resid : int
        Residual degrees of freedom.
    model, outcome : str
        Copied into the table.
    ci : float
        Interval coverage.
    points : int
        Grid points over the observed range of a focal variable with more than
        ``max_levels`` values; a focal variable with at most ``max_levels`` values is
        evaluated at each value only.
    max_levels : int
        A variable with at most this many distinct values is treated as categorical.
    focal_centre, moderator_centre : float
        The means subtracted from x and w when the model centred them
        (``ModelFrame.centres``): added back, so the table is in the variables' own units.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LINE_COLUMNS`; ``level`` is ``-1 SD``, ``mean``, ``+1 SD`` or
        ``w = <value>``.
    """
    from scipy import stats

    wv = design[moderator].to_numpy(float)
    w_levels = np.unique(wv)
    if len(w_levels) <= max_levels:
        at = w_levels
        names = [f"{moderator} = {_fmt(v + moderator_centre)}" for v in at]
    else:
        m, sd = wv.mean(), wv.std(ddof=1)
        at = np.array([m - sd, m, m + sd])
        names = ["-1 SD", "mean", "+1 SD"]
    xv = design[focal].to_numpy(float)
    x_levels = np.unique(xv)
    grid = x_levels if len(x_levels) <= max_levels else np.linspace(xv.min(), xv.max(), points)
    means = design.mean()
    cols = list(design.columns)
    V = cov.loc[cols, cols].to_numpy(float)
    bb = b.loc[cols].to_numpy(float)
    q = stats.t.ppf(0.5 + ci / 2, df_resid)
    rows = []
    for name, w in zip(names, at):
        C = np.tile(means.to_numpy(float), (len(grid), 1))
        C[:, cols.index(focal)] = grid
        C[:, cols.index(moderator)] = w
        C[:, cols.index(inter)] = grid * w
        fitted = C @ bb
        se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", C, V, C), 0.0))
        for x, f, s in zip(grid, fitted, se):
            rows.append((model, outcome, focal, moderator, name, float(w + moderator_centre),
                         float(x + focal_centre), float(f), float(s),
                         float(f - q * s), float(f + q * s)))
    return pd.DataFrame(rows, columns=LINE_COLUMNS)
