"""Internal-consistency reliability: Cronbach's alpha as R's ``psych::alpha`` reports it.

The numbers match ``psych::alpha(items)`` with its defaults (psych 2.2.9; checked against
the fixtures in ``tests/fixtures/reliability``):

- the item covariance matrix ``C`` uses pairwise-complete observations
  (``cov(x, use = "pairwise")``): each covariance uses the rows that answer both items,
  each variance the rows that answer that item;
- raw alpha is ``k / (k - 1) * (1 - trace(C) / sum(C))``;
- standardised alpha is the same formula on ``R = cov2cor(C)``, the correlation matrix
  psych derives from the pairwise covariances (``std.alpha``);
- the Feldt confidence interval is ``psych::alpha.ci`` (``$feldt`` of ``psych::alpha``):
  ``1 - (1 - alpha) * F`` quantiles with ``n - 1`` and ``(n - 1)(k - 1)`` df;
- the scale score is the row mean of the answered items (``cumulative = FALSE``), and
  ``mean``/``sd`` describe it over the rows that answer at least one item (``$total``);
- ``r_drop`` is psych's ``r.drop`` (item–rest correlation computed from ``C``) and
  ``alpha_if_deleted`` its ``alpha.drop$raw_alpha``.

**Sample size.** ``n`` is the number of rows that answer at least one item, and this
``n`` enters the Feldt interval. ``psych::alpha`` uses ``nrow(x)`` for the interval, so
rows with every item missing would narrow its interval without adding information; they
change nothing else (they drop out of every pairwise covariance and of the score mean and
SD). On data without such rows the two agree exactly. Drop fully empty rows before calling
``psych::alpha`` to reproduce these numbers in R.

:func:`reliability_table` adds McDonald's omega (``omega_total``, ``omega_h``) as
``psych::omega`` computes it (:mod:`attachstats.stats.omega`) and, with ``n_boot > 0``,
percentile bootstrap intervals of alpha and omega: respondents are resampled with
replacement (the same resamples for every scale), every resample's pairwise covariance and
correlation matrix is computed at once from weighted sums, without materialising any
resample (:mod:`attachstats.stats.bootstrap`), and the generator is seeded from the run's seed,
so the same inputs and seed give the same intervals.

Items must already be reverse-keyed: unlike ``psych::alpha`` this module never reverses
items and does not drop items without variance (it raises :class:`~attachstats.errors.DataError`).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Mapping

import numpy as np
import pandas as pd

from attachstats.errors import DataError
from attachstats.stats.bootstrap import pairwise_moments, percentile_ci
from attachstats.stats.pairwise import pairwise_cov_values
from attachstats.stats.omega import omega, omega_bootstrap, omega_nfactors_for
from attachstats.stats.rng import named_rng

__all__ = ["cronbach_alpha", "item_statistics", "reliability_table", "RELIABILITY_COLUMNS",
           "ITEM_STATISTICS_COLUMNS"]

log = logging.getLogger(__name__)

#: Columns of :func:`reliability_table`, in order (a public interface).
RELIABILITY_COLUMNS = ["scale", "n", "k", "alpha", "alpha_ci_lo", "alpha_ci_hi", "std_alpha",
                       "omega_total", "omega_h", "mean", "sd", "alpha_boot_ci_lo", "alpha_boot_ci_hi",
                       "omega_total_ci_lo", "omega_total_ci_hi", "omega_h_ci_lo", "omega_h_ci_hi",
                       "omega_nfactors", "n_boot", "omega_note"]
#: Columns of :func:`item_statistics`, in order (a public interface).
ITEM_STATISTICS_COLUMNS = ["item", "n", "mean", "sd", "missing_share", "r_drop",
                           "alpha_if_deleted"]


def _as_float_items(items: pd.DataFrame, *, min_items: int = 2) -> pd.DataFrame:
    """Check the item frame and return it as float64 with NaN for missing answers."""
    if not isinstance(items, pd.DataFrame):
        raise TypeError(f"items must be a pandas DataFrame, got {type(items).__name__}")
    if items.shape[1] < min_items:
        raise DataError(f"reliability needs at least {min_items} items, got {items.shape[1]}"
                        f" ({', '.join(map(repr, items.columns)) or 'no columns'})")
    dup = items.columns[items.columns.duplicated()].unique()
    if len(dup):
        raise DataError(f"item columns must be unique; repeated: {', '.join(map(repr, dup))}")
    out = {}
    for col in items.columns:
        s = items[col]
        if not (pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype)):
            raise DataError(f"item responses must be numeric, found dtype {s.dtype}", column=str(col))
        v = s.to_numpy(dtype="float64", na_value=np.nan)
        if np.isinf(v).any():
            raise DataError("item responses must be finite, found an infinite value", column=str(col))
        out[col] = v
    return pd.DataFrame(out, index=items.index, columns=items.columns)


def _pairwise_cov(x: pd.DataFrame) -> np.ndarray:
    """Covariance matrix with pairwise-complete observations (R's ``use = "pairwise"``)."""
    c = pairwise_cov_values(x.to_numpy(dtype=np.float64, na_value=np.nan))
    if np.isnan(c).any():
        bad = [(x.columns[i], x.columns[j]) for i, j in zip(*np.where(np.isnan(c))) if i <= j]
        a, b = bad[0]
        what = f"item {a!r}" if a == b else f"items {a!r} and {b!r}"
        raise DataError(f"cannot compute the covariance of {what}: fewer than two rows answer "
                        f"{'it' if a == b else 'both'}")
    zero = [x.columns[i] for i in range(c.shape[0]) if c[i, i] <= 0]
    if zero:
        raise DataError(f"item(s) {', '.join(map(repr, zero))} have no variance; alpha is not "
                        "defined with a constant item (remove it)")
    return c


def _alpha_from_cov(c: np.ndarray) -> float:
    k = c.shape[0]
    return float(k / (k - 1) * (1.0 - np.trace(c) / c.sum()))


def _cov2cor(c: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.diag(c))
    return c / np.outer(d, d)


def _feldt(alpha: float, n: int, k: int, ci: float) -> tuple[float, float]:
    from scipy.stats import f as f_dist

    if n < 2:
        return float("nan"), float("nan")
    p = 1.0 - ci
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lo = 1.0 - (1.0 - alpha) * f_dist.ppf(1.0 - p / 2.0, df1, df2)
    hi = 1.0 - (1.0 - alpha) * f_dist.ppf(p / 2.0, df1, df2)
    return float(lo), float(hi)


def cronbach_alpha(items: pd.DataFrame, ci: float = 0.95) -> dict:
    """Cronbach's alpha with a Feldt confidence interval, as ``psych::alpha``.

    Parameters
    ----------
    items : pandas.DataFrame
        One numeric column per item (at least two), already reverse-keyed; missing answers
        are NaN/NA. Rows with every item missing are ignored.
    ci : float, default 0.95
        Coverage of the Feldt confidence interval.

    Returns
    -------
    dict
        ``n`` (rows answering at least one item), ``k`` (items), ``alpha`` (raw alpha,
        psych ``raw_alpha``), ``alpha_ci_lo``, ``alpha_ci_hi`` (Feldt, psych ``$feldt``),
        ``std_alpha`` (psych ``std.alpha``), ``mean`` and ``sd`` of the scale score (row
        mean of the answered items).

    Raises
    ------
    attachstats.errors.DataError
        Fewer than two items, a non-numeric or infinite item, an item without variance, or
        a pair of items that no two rows answer together.

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 4],
    ...                       "c": [1, 3, 3, 4, None]})
    >>> res = cronbach_alpha(items)
    >>> res["n"], res["k"], round(res["alpha"], 3)
    (5, 3, 0.92)
    """
    if not 0.0 < ci < 1.0:
        raise ValueError(f"ci must be between 0 and 1, got {ci}")
    x = _as_float_items(items)
    x = x[x.notna().any(axis=1)]
    n, k = int(len(x)), int(x.shape[1])
    c = _pairwise_cov(x)
    alpha = _alpha_from_cov(c)
    std_alpha = _alpha_from_cov(_cov2cor(c))
    lo, hi = _feldt(alpha, n, k, ci)
    score = x.mean(axis=1, skipna=True)
    return {"n": n, "k": k, "alpha": alpha, "alpha_ci_lo": lo, "alpha_ci_hi": hi,
            "std_alpha": std_alpha, "mean": float(score.mean()), "sd": float(score.std(ddof=1))}


def average_r(items: pd.DataFrame) -> float:
    """Mean inter-item correlation, ``average.r`` of ``psych::alpha``.

    The mean of the off-diagonal entries of the correlation matrix ``cov2cor(C)``, where ``C``
    is the pairwise-complete covariance matrix (as psych computes it); standardised alpha is
    ``k r / (1 + (k - 1) r)``.

    Parameters
    ----------
    items : pandas.DataFrame
        One numeric column per item (at least two), already reverse-keyed; NaN = missing.

    Raises
    ------
    attachstats.errors.DataError
        As :func:`cronbach_alpha` (too few items, a constant item, a pair never answered together).

    Examples
    --------
    >>> import pandas as pd
    >>> round(average_r(pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 3, 2, 4], "c": [2, 1, 4, 3]})), 3)   # (.8 + .6 + 0) / 3
    0.467
    """
    c = _cov2cor(_pairwise_cov(_as_float_items(items)))
    k = c.shape[0]
    return float((c.sum() - np.trace(c)) / (k * (k - 1)))


def item_statistics(items: pd.DataFrame) -> pd.DataFrame:
    """Per-item statistics: n, mean, SD, missing share, item–rest r, alpha if deleted.

    Parameters
    ----------
    items : pandas.DataFrame
        One numeric column per item (at least two), already reverse-keyed.

    Returns
    -------
    pandas.DataFrame
        One row per item, columns ``item, n, mean, sd, missing_share, r_drop,
        alpha_if_deleted``. ``n``, ``mean`` and ``sd`` use the rows that answer the item
        (psych ``item.stats``); ``missing_share`` is the share of all rows passed in that
        miss it; ``r_drop`` is the correlation of the item with the sum of the other items
        computed from the pairwise covariance matrix (psych ``r.drop``);
        ``alpha_if_deleted`` is raw alpha of the other items (psych
        ``alpha.drop$raw_alpha``), NaN when only two items are given (one item left).

    Examples
    --------
    >>> import pandas as pd
    >>> items = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 4],
    ...                       "c": [1, 3, 3, 4, None]})
    >>> item_statistics(items)[["item", "n", "missing_share"]]
      item  n  missing_share
    0    a  5            0.0
    1    b  5            0.0
    2    c  4            0.2
    """
    x = _as_float_items(items)
    n_rows = len(x)
    answered = x[x.notna().any(axis=1)]
    c = _pairwise_cov(answered)
    k = c.shape[0]
    rows = []
    for i, col in enumerate(x.columns):
        keep = [j for j in range(k) if j != i]
        rest = c[np.ix_(keep, keep)]
        r_drop = (c[:, i].sum() - c[i, i]) / np.sqrt(c[i, i] * rest.sum())
        a_drop = _alpha_from_cov(rest) if k > 2 else float("nan")
        v = x[col]
        n_i = int(v.notna().sum())
        rows.append({"item": str(col), "n": n_i, "mean": float(v.mean()),
                     "sd": float(v.std(ddof=1)),
                     "missing_share": (1.0 - n_i / n_rows) if n_rows else float("nan"),
                     "r_drop": float(r_drop), "alpha_if_deleted": a_drop})
    return pd.DataFrame(rows, columns=ITEM_STATISTICS_COLUMNS)


def reliability_table(subscales: Mapping[str, pd.DataFrame], ci: float = 0.95, *,
                      omega_nfactors: int = 3, n_boot: int = 0, seed: int | None = None,
                      threads: int = 1) -> pd.DataFrame:
    """Cronbach's alpha and McDonald's omega for several scales, one row each.

    Parameters
    ----------
    subscales : mapping of str to pandas.DataFrame
        Scale name -> its (reverse-keyed) item columns, as for :func:`cronbach_alpha`.
        Rows come out in the mapping's order.
    ci : float, default 0.95
        Coverage of the Feldt and bootstrap confidence intervals.
    omega_nfactors : int, default 3
        Group factors of ``psych::omega``; a scale with fewer than ``3 * omega_nfactors``
        items gets a one-factor omega (omega_total only; omega_h is undefined and left
        empty), see :func:`attachstats.stats.omega.omega_nfactors_for`.
    n_boot : int, default 0
        Bootstrap resamples for percentile intervals of alpha, omega_total and omega_h; 0
        leaves them empty. The respondents (rows) are resampled with replacement, once for
        all scales, which must then share their rows; a row that answers no item of a scale
        adds nothing to that scale's resampled statistics.
    seed : int, optional
        Seed of the bootstrap (required when ``n_boot > 0``); the generator is seeded by
        ``(seed, crc32("reliability"))``, so a scale's interval does not depend on the other
        scales or their order.
    threads : int, default 1
        Threads for the resampling and for fitting the scales' omegas (the result is the
        same on any number).

    Returns
    -------
    pandas.DataFrame
        Columns ``scale, n, k, alpha, alpha_ci_lo, alpha_ci_hi, std_alpha, omega_total,
        omega_h, mean, sd`` (see :func:`cronbach_alpha` and :func:`attachstats.stats.omega.omega`),
        then ``alpha_boot_ci_lo/hi, omega_total_ci_lo/hi, omega_h_ci_lo/hi`` (bootstrap
        percentile intervals), ``omega_nfactors`` (group factors used), ``n_boot`` and
        ``omega_note``: psych's warnings about the omega fit, "; "-separated, empty when
        there are none (an under-identified general factor with 2 group factors, items of
        an ultra-Heywood case; :func:`attachstats.stats.omega.omega_notes`); each is also
        logged as a warning.

    Raises
    ------
    attachstats.errors.DataError
        As :func:`cronbach_alpha`, with the scale name in the message.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 4],
    ...                    "c": [1, 3, 3, 4, 5], "d": [5, 3, 4, 1, 2]})
    >>> tab = reliability_table({"abc": df[["a", "b", "c"]], "bcd": df[["b", "c", "d"]]})
    >>> list(tab["scale"]), list(tab["k"]), list(tab["omega_nfactors"])
    (['abc', 'bcd'], [3, 3], [1, 1])
    """
    if n_boot and seed is None:
        raise ValueError("a bootstrap (n_boot > 0) needs an explicit seed")
    rows = []
    checked = {}
    for name, items in subscales.items():
        try:
            res = cronbach_alpha(items, ci=ci)
        except DataError as exc:
            raise DataError(f"scale {name!r}: {exc}") from None
        checked[name] = items
        rows.append({"scale": str(name), **res})
    moments = dict.fromkeys(checked)
    if n_boot and checked:
        n_rows = len(next(iter(checked.values())))
        log.info("bootstrap: %d resamples of %d respondents for %d scale(s) ...", n_boot, n_rows, len(checked))
        started = time.perf_counter()
        moments = _bootstrap_moments(checked, n_boot, seed, threads)
        log.info("bootstrap: done in %.1f s", time.perf_counter() - started)

    def omega_of(name: str) -> dict:
        try:
            out = _omega_columns(checked[name], omega_nfactors, moments[name], ci)
        except DataError as exc:
            raise DataError(f"scale {name!r}: {exc}") from None
        if out["omega_note"]:
            log.warning("omega of scale %r (%d group factors): %s", name, out["omega_nfactors"], out["omega_note"])
        log.info("omega of scale %r: %d group factor(s) fitted", name, out["omega_nfactors"])
        return out

    if threads > 1 and len(checked) > 1:
        with ThreadPoolExecutor(threads) as pool:
            omegas = list(pool.map(omega_of, checked))
    else:
        omegas = [omega_of(name) for name in checked]
    for row, extra in zip(rows, omegas):
        row.update(extra)
    return pd.DataFrame(rows, columns=RELIABILITY_COLUMNS)


def _bootstrap_moments(subscales: Mapping[str, pd.DataFrame], n_boot: int, seed: int, threads: int = 1) -> dict:
    """Pairwise moments of every scale on the same ``n_boot`` resamples of the respondents."""
    frames = list(subscales.values())
    if any(not f.index.equals(frames[0].index) for f in frames[1:]):
        raise ValueError("the reliability bootstrap resamples respondents: every scale needs the same rows")
    xs = [_as_float_items(f).to_numpy() for f in frames]
    return dict(zip(subscales, pairwise_moments(xs, int(n_boot), named_rng(seed, "reliability"), threads)))


def alpha_resamples(cov: np.ndarray) -> np.ndarray:
    """Raw alpha of every bootstrap resample at once from its pairwise covariance matrix
    (``(B, k, k)``, see :meth:`attachstats.stats.bootstrap.PairwiseMoments.cov`); the formula of
    :func:`cronbach_alpha`."""
    k = cov.shape[1]
    return k / (k - 1) * (1.0 - np.trace(cov, axis1=1, axis2=2) / cov.sum(axis=(1, 2)))


def _omega_columns(items: pd.DataFrame, requested: int, moments, ci: float) -> dict:
    """omega_total, omega_h and the bootstrap intervals of one scale (``moments``: its
    :class:`attachstats.stats.bootstrap.PairwiseMoments`, or None without a bootstrap)."""
    x = _as_float_items(items)
    x = x[x.notna().any(axis=1)]
    nf = omega_nfactors_for(x.shape[1], requested)
    om = omega(x, nf)
    n_boot = 0 if moments is None else len(moments.cnt)
    out = {"omega_total": om.omega_total, "omega_h": om.omega_h, "omega_nfactors": nf, "n_boot": n_boot,
           "omega_note": "; ".join(om.notes)}
    nan2 = (float("nan"), float("nan"))
    a_ci = t_ci = h_ci = nan2
    if n_boot:
        a_ci = percentile_ci(alpha_resamples(moments.cov()), ci)
        tot, hier = omega_bootstrap(moments.corr(), nf)
        t_ci = percentile_ci(tot, ci)
        h_ci = percentile_ci(hier, ci) if nf > 1 else nan2
    out.update(alpha_boot_ci_lo=a_ci[0], alpha_boot_ci_hi=a_ci[1], omega_total_ci_lo=t_ci[0],
               omega_total_ci_hi=t_ci[1], omega_h_ci_lo=h_ci[0], omega_h_ci_hi=h_ci[1])
    return out
