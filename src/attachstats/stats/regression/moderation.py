"""Probing a two-way interaction: simple slopes and the Johnson–Neyman region.

For a linear model with the terms x (focal), w (moderator) and x·w, the slope of x at
w = w₀ is θ(w₀) = b_x + b_xw·w₀ with variance V_xx + 2w₀·V_x,xw + w₀²·V_xw,xw, where V is
the covariance matrix of the fit (HC3 by default, so the probe carries the model's robust
standard errors). Tests and intervals use the t distribution on the residual degrees of
freedom, as ``lmtest::coeftest`` on the model refitted with w centred at w₀ (the
reparametrisation gives exactly this slope and standard error; the tests check it).

:func:`simple_slopes` evaluates θ at w = mean − SD, mean and mean + SD of the moderator in
the estimation sample (Aiken & West, 1991). :func:`johnson_neyman` solves
θ(w)² = t²_crit·Var θ(w), a quadratic a·w² + b·w + c = 0 with a = b_xw² − t²V_xw,xw,
b = 2(b_x b_xw − t²V_x,xw), c = b_x² − t²V_xx; the slope is significant where
a·w² + b·w + c > 0, i.e. ``outside`` the two roots (a > 0), ``inside`` them (a < 0),
``everywhere`` or ``nowhere`` when there is no real root. :func:`slope_curve` tabulates
θ(w) with its pointwise interval over the observed range of w (for the figure).

Centred fits: when w (or x) entered the design mean-centred (the default of the outcome
models, see :func:`attachstats.stats.regression.outcomes.interaction_centres`), the design
holds w − c; ``moderator_centre`` = c (and ``focal_centre``) shifts every reported moderator
(focal) value back to the variable's own units. The slopes themselves do not change.

The region is also clipped to the observed range [min w, max w]
(:func:`observed_region`): ``region_observed`` says where, among values that occur in the
data, the slope is significant, with ``lower_observed``/``upper_observed`` the boundaries
that lie inside the range; a root outside the range is not a boundary anyone observed.

Example
-------
>>> import numpy as np, pandas as pd
>>> b = pd.Series({"(Intercept)": 1.0, "x": 0.2, "w": 0.1, "x:w": 0.3})
>>> cov = pd.DataFrame(np.diag([0.01, 0.01, 0.01, 0.004]), index=b.index, columns=b.index)
>>> jn = johnson_neyman(b, cov, "x", "w", "x:w", df_resid=200, values=np.linspace(-2, 2, 50))
>>> jn["region"].item(), round(jn["lower"].item(), 3), round(jn["upper"].item(), 3)
('outside', -1.603, -0.009)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["simple_slopes", "johnson_neyman", "slope_curve", "observed_region", "SLOPE_COLUMNS", "JN_COLUMNS", "CURVE_COLUMNS"]

#: Columns of :func:`simple_slopes`.
SLOPE_COLUMNS = ["model", "outcome", "focal", "moderator", "at", "moderator_value", "slope", "se", "ci_lo",
                 "ci_hi", "stat", "p", "df", "n", "focal_lo", "focal_hi", "fitted_lo", "fitted_hi"]
#: Columns of :func:`johnson_neyman`.
JN_COLUMNS = ["model", "outcome", "focal", "moderator", "alpha", "t_crit", "lower", "upper", "region",
              "moderator_min", "moderator_max", "share_significant", "n", "region_observed", "lower_observed",
              "upper_observed"]
#: Columns of :func:`slope_curve`.
CURVE_COLUMNS = ["model", "outcome", "focal", "moderator", "moderator_value", "slope", "se", "ci_lo", "ci_hi",
                 "significant"]


def _slope(b: pd.Series, cov: pd.DataFrame, focal: str, inter: str, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    est = b[focal] + b[inter] * w
    var = cov.loc[focal, focal] + 2 * w * cov.loc[focal, inter] + w * w * cov.loc[inter, inter]
    return est, np.sqrt(np.maximum(var, 0.0))


def simple_slopes(b: pd.Series, cov: pd.DataFrame, focal: str, moderator: str, inter: str, df_resid: int,
                  design: pd.DataFrame, model: str = "", outcome: str = "", ci: float = 0.95,
                  moderator_centre: float = 0.0, focal_centre: float = 0.0) -> pd.DataFrame:
    """Slopes of ``focal`` at the moderator's mean − SD, mean and mean + SD.

    Parameters
    ----------
    b : pandas.Series
        Coefficients by design column.
    cov : pandas.DataFrame
        Their covariance matrix (same labels).
    focal, moderator, inter : str
        Design columns of x, w and x·w.
    df_resid : int
        Residual degrees of freedom (t distribution).
    design : pandas.DataFrame
        The design matrix of the fit: the moderator's mean and SD come from it, and the
        ``fitted_lo``/``fitted_hi`` columns (the model's prediction at ``focal_lo``/``focal_hi``,
        every other column at its sample mean) draw the simple-slope lines. ``focal_lo`` and
        ``focal_hi`` are the focal variable's two values if it has two (e.g. 0/1), else its
        mean ∓ SD.
    model, outcome : str
        Copied into the table.
    ci : float
        Interval coverage.
    moderator_centre, focal_centre : float, default 0
        The means subtracted from the moderator and focal columns of ``design`` before the
        fit (0 when they were not centred): ``moderator_value`` and ``focal_lo``/``focal_hi``
        are reported in the variables' own units.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SLOPE_COLUMNS`, rows ``-1 SD``, ``mean``, ``+1 SD``.
    """
    from scipy import stats

    wv = design[moderator].to_numpy(float)
    m, sd = wv.mean(), wv.std(ddof=1)
    at = np.array([m - sd, m, m + sd])
    est, se = _slope(b, cov, focal, inter, at)
    t = est / se
    q = stats.t.ppf(0.5 + ci / 2, df_resid)
    xv = design[focal].to_numpy(float)
    levels = np.unique(xv)
    lo, hi = (levels[0], levels[1]) if len(levels) == 2 else (xv.mean() - xv.std(ddof=1), xv.mean() + xv.std(ddof=1))
    means = design.mean()
    base = float(sum(b[c] * means[c] for c in design.columns if c not in (focal, moderator, inter)))

    def fitted(x: float, w: float) -> float:
        return base + b[focal] * x + b[moderator] * w + b[inter] * x * w

    return pd.DataFrame({
        "model": model, "outcome": outcome, "focal": focal, "moderator": moderator,
        "at": ["-1 SD", "mean", "+1 SD"], "moderator_value": at + moderator_centre, "slope": est, "se": se,
        "ci_lo": est - q * se, "ci_hi": est + q * se, "stat": t, "p": 2 * stats.t.sf(np.abs(t), df_resid),
        "df": int(df_resid), "n": len(design), "focal_lo": lo + focal_centre, "focal_hi": hi + focal_centre,
        "fitted_lo": [fitted(lo, w) for w in at], "fitted_hi": [fitted(hi, w) for w in at],
    }, columns=SLOPE_COLUMNS)


def johnson_neyman(b: pd.Series, cov: pd.DataFrame, focal: str, moderator: str, inter: str, df_resid: int,
                   values: np.ndarray, model: str = "", outcome: str = "", alpha: float = 0.05,
                   moderator_centre: float = 0.0) -> pd.DataFrame:
    """The Johnson–Neyman region of significance of the slope of ``focal`` (one row).

    Parameters
    ----------
    b, cov, focal, moderator, inter, df_resid
        As :func:`simple_slopes`.
    values : array
        Observed values of the moderator: its range and the share of the sample inside the
        region of significance are reported.
    model, outcome : str
        Copied into the table.
    alpha : float
        Two-sided significance level.
    moderator_centre : float, default 0
        The mean subtracted from the moderator before the fit (``values`` are in design
        units); bounds, range and the observed region are reported in its own units.

    Returns
    -------
    pandas.DataFrame
        One row, columns :data:`JN_COLUMNS`; ``lower``/``upper`` are the roots (NaN when
        there is none) and ``region`` says where the slope is significant: ``outside`` the
        roots, ``inside`` them, ``everywhere`` or ``nowhere``. ``region_observed``,
        ``lower_observed``, ``upper_observed``: the same clipped to the observed range
        (:func:`observed_region`).
    """
    from scipy import stats

    t2 = stats.t.ppf(1 - alpha / 2, df_resid) ** 2
    bx, bi = float(b[focal]), float(b[inter])
    vxx, vxi, vii = float(cov.loc[focal, focal]), float(cov.loc[focal, inter]), float(cov.loc[inter, inter])
    qa = bi * bi - t2 * vii
    qb = 2 * (bx * bi - t2 * vxi)
    qc = bx * bx - t2 * vxx
    lower = upper = math.nan
    if qa == 0:                                   # linear: one boundary (practically never)
        root = -qc / qb if qb != 0 else math.nan
        lower = upper = root
        region = "nowhere" if qb == 0 and qc <= 0 else ("everywhere" if qb == 0 else
                                                         ("above" if qb > 0 else "below"))
    else:
        disc = qb * qb - 4 * qa * qc
        if disc <= 0:
            region = "everywhere" if qa > 0 else "nowhere"
        else:
            r = sorted([(-qb - math.sqrt(disc)) / (2 * qa), (-qb + math.sqrt(disc)) / (2 * qa)])
            lower, upper = r
            region = "outside" if qa > 0 else "inside"
    w = np.asarray(values, dtype=float)
    significant = qa * w * w + qb * w + qc > 0
    c = float(moderator_centre)
    lower, upper = lower + c, upper + c
    w_min, w_max = float(w.min()) + c, float(w.max()) + c
    obs, obs_lo, obs_hi = observed_region(region, lower, upper, w_min, w_max)
    return pd.DataFrame([{"model": model, "outcome": outcome, "focal": focal, "moderator": moderator,
                          "alpha": alpha, "t_crit": math.sqrt(t2), "lower": lower, "upper": upper, "region": region,
                          "moderator_min": w_min, "moderator_max": w_max,
                          "share_significant": float(significant.mean()), "n": len(w), "region_observed": obs,
                          "lower_observed": obs_lo, "upper_observed": obs_hi}], columns=JN_COLUMNS)


def _significant_intervals(region: str, lower: float, upper: float) -> list[tuple[float, float]]:
    """Where the slope is significant on the real line, as closed-open intervals."""
    inf = math.inf
    return {"outside": [(-inf, lower), (upper, inf)], "inside": [(lower, upper)], "everywhere": [(-inf, inf)],
            "nowhere": [], "above": [(lower, inf)], "below": [(-inf, lower)]}[region]


def observed_region(region: str, lower: float, upper: float, w_min: float,
                    w_max: float) -> tuple[str, float, float]:
    """The Johnson–Neyman region clipped to the observed moderator range [w_min, w_max].

    Parameters
    ----------
    region : str
        ``outside``, ``inside``, ``everywhere``, ``nowhere``, ``above`` or ``below`` (as
        :func:`johnson_neyman`; ``above``/``below`` have their one boundary in ``lower``).
    lower, upper : float
        The roots (NaN when there is none).
    w_min, w_max : float
        The observed range.

    Returns
    -------
    tuple
        ``(region, lower, upper)`` within the range: ``everywhere`` (every observed value),
        ``nowhere`` (no observed value), ``above`` (significant above ``lower``), ``below``
        (below ``lower``), ``inside`` (between ``lower`` and ``upper``) or ``outside``
        (below ``lower`` and above ``upper``); the boundaries are those inside the range
        (NaN otherwise). R has no direct equivalent: ``interactions::johnson_neyman`` prints
        the roots and the range and leaves the comparison to the reader.

    Examples
    --------
    >>> observed_region("outside", 0.64, 2.36, 1.0, 6.94)
    ('above', 2.36, nan)
    >>> observed_region("outside", -3.0, 0.5, 1.0, 7.0)
    ('everywhere', nan, nan)
    >>> observed_region("inside", 2.0, 5.0, 1.0, 7.0)
    ('inside', 2.0, 5.0)
    """
    parts = []
    for a, b in _significant_intervals(region, lower, upper):
        a, b = max(a, w_min), min(b, w_max)
        if a < b:
            parts.append((a, b))
    nan = math.nan
    if not parts:
        return "nowhere", nan, nan
    if len(parts) == 2:
        return "outside", parts[0][1], parts[1][0]
    a, b = parts[0]
    if a <= w_min and b >= w_max:
        return "everywhere", nan, nan
    if a <= w_min:
        return "below", b, nan
    if b >= w_max:
        return "above", a, nan
    return "inside", a, b


def slope_curve(b: pd.Series, cov: pd.DataFrame, focal: str, moderator: str, inter: str, df_resid: int,
                values: np.ndarray, model: str = "", outcome: str = "", ci: float = 0.95,
                points: int = 101, moderator_centre: float = 0.0) -> pd.DataFrame:
    """The slope of ``focal`` with its pointwise interval at ``points`` moderator values
    spanning the observed range (columns :data:`CURVE_COLUMNS`; ``moderator_value`` in the
    moderator's own units, ``values`` in design units less ``moderator_centre``)."""
    from scipy import stats

    w = np.asarray(values, dtype=float)
    grid = np.linspace(w.min(), w.max(), points)
    est, se = _slope(b, cov, focal, inter, grid)
    q = stats.t.ppf(0.5 + ci / 2, df_resid)
    return pd.DataFrame({"model": model, "outcome": outcome, "focal": focal, "moderator": moderator,
                         "moderator_value": grid + moderator_centre, "slope": est, "se": se, "ci_lo": est - q * se, "ci_hi": est + q * se,
                         "significant": np.abs(est / se) > q}, columns=CURVE_COLUMNS)
