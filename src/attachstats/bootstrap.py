"""Vectorised nonparametric bootstrap of item covariance matrices (pairwise missing data).

A bootstrap resample is a vector of row counts (how often each row is drawn). Every
pairwise-complete covariance of every resample is computed at once from weighted sums over
the rows that answer both items, so a resample costs a few matrix products instead of a
Python loop over data frames. The covariances equal R's ``cov(x[idx, ], use = "pairwise")``
on the resampled rows.

Example
-------
>>> import numpy as np
>>> x = np.array([[1., 2.], [2., 1.], [3., 5.], [4., np.nan]])
>>> w = resample_counts(4, 3, np.random.default_rng(0))
>>> pairwise_cov_resamples(x, w).shape
(3, 2, 2)
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["resample_counts", "pairwise_cov_resamples", "pairwise_corr_resamples", "percentile_ci", "scale_rng"]


def scale_rng(seed: int, name: str) -> np.random.Generator:
    """A generator for one scale: depends on the run's seed and the scale's name only."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8"))])


def resample_counts(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_boot, n)`` counts: how often each of ``n`` rows is drawn in each resample."""
    idx = rng.integers(0, n, size=(n_boot, n))
    counts = np.zeros((n_boot, n), dtype=np.float64)
    np.add.at(counts, (np.repeat(np.arange(n_boot), n), idx.ravel()), 1.0)
    return counts


def pairwise_cov_resamples(x: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Pairwise-complete covariance matrices of each resample.

    Parameters
    ----------
    x : ndarray (n, k)
        Item responses, NaN when missing.
    counts : ndarray (B, n)
        Row counts of each resample (:func:`resample_counts`).

    Returns
    -------
    ndarray (B, k, k)
        Covariance of items i and j over the drawn rows answering both (divisor N - 1);
        the diagonal is the variance over the rows answering the item. NaN where fewer
        than two drawn rows answer both.
    """
    n, k = x.shape
    m = (~np.isnan(x)).astype(np.float64)
    x0 = np.where(np.isnan(x), 0.0, x)
    both = (m[:, :, None] * m[:, None, :]).reshape(n, k * k)
    xi = (x0[:, :, None] * m[:, None, :]).reshape(n, k * k)
    xij = (x0[:, :, None] * x0[:, None, :]).reshape(n, k * k)
    cnt = (counts @ both).reshape(-1, k, k)
    si = (counts @ xi).reshape(-1, k, k)
    sij = (counts @ xij).reshape(-1, k, k)
    sj = si.transpose(0, 2, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (sij - si * sj / cnt) / (cnt - 1.0)
    cov[cnt < 2] = np.nan
    return cov


def pairwise_corr_resamples(x: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Pairwise-complete correlation matrices of each resample (R's ``cor(use = "pairwise")``).

    Each correlation uses the means and variances of the rows that answer both items.
    """
    n, k = x.shape
    m = (~np.isnan(x)).astype(np.float64)
    x0 = np.where(np.isnan(x), 0.0, x)
    both = (m[:, :, None] * m[:, None, :]).reshape(n, k * k)
    xi = (x0[:, :, None] * m[:, None, :]).reshape(n, k * k)
    xii = (x0[:, :, None] ** 2 * m[:, None, :]).reshape(n, k * k)
    xij = (x0[:, :, None] * x0[:, None, :]).reshape(n, k * k)
    cnt = (counts @ both).reshape(-1, k, k)
    si = (counts @ xi).reshape(-1, k, k)
    sii = (counts @ xii).reshape(-1, k, k)
    sij = (counts @ xij).reshape(-1, k, k)
    sj, sjj = si.transpose(0, 2, 1), sii.transpose(0, 2, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (sij - si * sj / cnt) / np.sqrt((sii - si * si / cnt) * (sjj - sj * sj / cnt))
    r[cnt < 2] = np.nan
    idx = np.arange(k)
    r[:, idx, idx] = 1.0
    return r


def percentile_ci(values: np.ndarray, ci: float = 0.95, max_failed: float = 0.05) -> tuple[float, float]:
    """Percentile interval (R's ``quantile`` type 7) of the finite bootstrap values.

    Returns NaNs when more than ``max_failed`` of the resamples gave no value.
    """
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    if v.size == 0 or ok.mean() < 1.0 - max_failed:
        return float("nan"), float("nan")
    lo, hi = np.quantile(v[ok], [(1.0 - ci) / 2.0, (1.0 + ci) / 2.0])
    return float(lo), float(hi)
