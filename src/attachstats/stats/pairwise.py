"""Pairwise-complete covariances and correlations (R's ``use = "pairwise"``) by matrix products.

pandas and R loop over the pairs of columns; at a million rows that costs about half a
second per 18-item scale. With the items centred at their means and 0 for a missing answer
(``x0``) and ``m`` the answered indicator, every pair's sums are entries of a few matrix
products: ``N = m'm`` rows answering both items, ``S = x0'm`` (``S[i, j]``: sum of item i
over the rows answering j as well), ``Q = (x0²)'m`` and ``P = x0'x0``. Each pair's own mean
is then subtracted exactly, as R does; centring at the full-column means first keeps the
one-pass formulas accurate (agreement with pandas to about 1e-15 relative).

Example
-------
>>> x = np.array([[1., 2.], [2., 1.], [3., 5.], [np.nan, 4.]])
>>> pairwise_cov_values(x).round(3).tolist()
[[1.0, 1.5], [1.5, 3.333]]
"""

from __future__ import annotations

import numpy as np

__all__ = ["pairwise_cov_values", "pairwise_corr_values"]


def pairwise_cov_values(x: np.ndarray) -> np.ndarray:
    """Pairwise-complete covariances of the columns of ``x`` (NaN = missing; NaN where fewer
    than two rows answer both), from three matrix products instead of a loop over pairs;
    R's ``cov(x, use = "pairwise")``.

    With the items centred at their means and 0 for a missing answer (``x0``) and ``m`` the
    answered indicator: ``N = m'm`` rows per pair, ``S = x0'm`` (``S[i, j]``: sum of item i over
    the rows answering j as well) and ``cov = (x0'x0 - S ∘ S' / N) / (N - 1)``, the mean of
    each pair's own rows subtracted exactly as in R's ``cov(x, use = "pairwise")``.
    """
    m = ~np.isnan(x)
    with np.errstate(invalid="ignore"):
        centre = np.nan_to_num(np.nanmean(x, axis=0)) if len(x) else np.zeros(x.shape[1])
    x0 = np.where(m, x - centre, 0.0)
    mf = m.astype(np.float64)
    n_pair = mf.T @ mf
    s = x0.T @ mf
    with np.errstate(invalid="ignore", divide="ignore"):
        c = (x0.T @ x0 - s * s.T / n_pair) / (n_pair - 1.0)
    c[n_pair < 2] = np.nan
    return (c + c.T) / 2.0


def pairwise_corr_values(x: np.ndarray) -> np.ndarray:
    """``cor(x, use = "pairwise")`` of the columns of ``x`` (NaN = missing) by matrix products.

    Each correlation uses the means and variances of the rows answering both items, as R
    and pandas do: with the items centred at their means and 0 for a missing answer
    (``x0``) and ``m`` the answered indicator, the pair's sums are ``N = m'm``,
    ``S = x0'm``, ``Q = (x0²)'m`` and ``P = x0'x0``, and
    ``r = (P − S∘S'/N) / sqrt((Q − S²/N)∘(Q − S²/N)')``. NaN where fewer than two rows answer
    both items or one of them has no variance among those rows.
    """
    m = ~np.isnan(x)
    with np.errstate(invalid="ignore"):
        centre = np.nan_to_num(np.nanmean(x, axis=0)) if len(x) else np.zeros(x.shape[1])
    x0 = np.where(m, x - centre, 0.0)
    mf = m.astype(np.float64)
    n_pair = mf.T @ mf
    s = x0.T @ mf
    q = (x0 * x0).T @ mf
    with np.errstate(invalid="ignore", divide="ignore"):
        ss = q - s * s / n_pair                      # [i, j]: squares of item i about its mean, rows of the pair
        r = (x0.T @ x0 - s * s.T / n_pair) / np.sqrt(ss * ss.T)
    r = (r + r.T) / 2.0
    r[(n_pair < 2) | ~(ss > 0) | ~(ss.T > 0)] = np.nan
    np.fill_diagonal(r, np.where((np.diag(n_pair) >= 2) & (np.diag(ss) > 0), 1.0, np.nan))
    return r
