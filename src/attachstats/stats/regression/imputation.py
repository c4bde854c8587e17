"""Multiple imputation by chained equations (MICE) and Rubin's rules.

:func:`mice` makes ``m`` completed copies of a data set. Like R's ``mice`` with its defaults
for numeric data, each variable with missing values is imputed in turn (left to right) by
predictive mean matching (PMM, ``mice.impute.pmm``): a linear regression of the variable on
all other columns (their current values; categorical columns as dummies) is fitted on the
observed rows by ordinary least squares (:func:`least_squares`, mice's default
``ls.meth = "qr"``: no ridge unless X'X is singular), a coefficient vector β* is drawn
from its posterior (σ*² = SSR/χ²ₙ₋ₖ, β* ~ N(β̂, σ*²(X'X)⁻¹)), and each missing value is replaced by the observed value of one
of the 5 donors whose prediction X β̂ is closest to the missing row's X β* (type-1
matching). Missing values start as random draws from the observed values; the cycle runs
``iterations`` times per data set. Donors are found by sorting the observed rows'
predictions, so the cost grows linearly with the number of rows. PMM imputes only values
that occur in the data, so counts stay counts and 0/1 codes stay 0/1. Everything random
comes from the ``numpy.random.Generator`` passed in: same generator state, same
imputations. Imputations are equivariant under changes of units: rescaling a variable
rescales its imputed values (or leaves the others' unchanged) and the coefficients of any
analysis of the completed data rescale with it, as in R. Categorical columns may be predictors of the imputation models, but imputing
a categorical column is not implemented (a :class:`~attachstats.errors.ModelError` says so).

:func:`pool` combines per-imputation estimates with Rubin's rules exactly as
``mice::pool`` (mice 3.x): Q̄ = mean estimate, Ū = mean squared standard error,
B = between-imputation variance, T = Ū + (1 + 1/m)·B, λ = (1 + 1/m)·B/T (floored at 1e-4
for the degrees of freedom), riv = (1 + 1/m)·B/Ū, Barnard–Rubin degrees of freedom
ν = ν_old·ν_obs/(ν_old + ν_obs) with ν_old = (m − 1)/λ², ν_obs = (ν_com + 1)/(ν_com + 3)·ν_com·(1 − λ),
fmi = (riv + 2/(ν + 3))/(1 + riv); t = Q̄/√T with p and interval from the t distribution on ν
df (``summary(pool(fit), conf.int = TRUE)``). :func:`pool_r2` is ``mice::pool.r.squared``
(Fisher z of √R² averaged, transformed back).

Example
-------
>>> import numpy as np, pandas as pd
>>> est = np.array([[1.0, 0.5], [1.2, 0.4], [0.9, 0.6]])
>>> se = np.array([[0.1, 0.05], [0.1, 0.05], [0.1, 0.05]])
>>> out = pool(est, se, dfcom=100, terms=["(Intercept)", "x"])
>>> out["estimate"].round(3).tolist()
[1.033, 0.5]
"""

from __future__ import annotations

import logging
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple, Sequence

import numpy as np
import pandas as pd

from attachstats.errors import ModelError

log = logging.getLogger(__name__)

__all__ = ["mice", "pool", "pool_r2", "least_squares", "LeastSquares", "POOL_COLUMNS", "RIDGE"]

#: Columns of :func:`pool`.
POOL_COLUMNS = ["term", "estimate", "ubar", "b", "t", "dfcom", "df", "riv", "lambda", "fmi", "se",
                "statistic", "p", "ci_lo", "ci_hi"]

_DONORS = 5
#: mice's ``ridge`` (``mice.impute.pmm(..., ridge = 1e-05)``), used only when X'X is singular.
RIDGE = 1e-5


def _dummies(s: pd.Series) -> list[np.ndarray]:
    """0/1 columns for the non-first levels of a categorical (or text) column."""
    vals = s.astype(str).to_numpy()
    levels = sorted(pd.unique(vals))
    return [(vals == lev).astype(float) for lev in levels[1:]]


def _nearest_donors(yhat: np.ndarray, yhat_mis: np.ndarray, k: int, rng: np.random.Generator,
                    excluded: np.ndarray | None = None) -> np.ndarray:
    """Index of one of the ``k`` donors closest to each recipient (type-1 matching).

    ``yhat`` holds the donors' predictions; with ``excluded`` (row numbers of the
    recipients) it holds every row's and the excluded rows are not donors. The donors are sorted by their prediction plus a random jitter
    far below any real difference (1e-12 of the predictions' range), so donors with tied
    predictions sit in random order; the ``k`` nearest donors of a recipient lie within
    ``k`` places either side of its insertion point in the sorted predictions. As in R's
    ``mice`` (its C++ matcher shuffles the donors once per call), all recipients of one draw
    see the same random order of tied donors. Cost O(n log n), never a distance matrix.
    """
    n_all = len(yhat)
    span = float(np.ptp(yhat)) if n_all else 0.0
    key = yhat + rng.random(n_all) * (1e-12 * (span if span > 0 else 1.0))   # rescales with y
    n = n_all
    if excluded is not None:
        key[excluded] = np.inf                          # recipients sort last and are cut off
        n = n_all - len(excluded)
    k = min(k, n)
    order = np.argsort(key)[:n]
    s = key[order]
    pos = np.searchsorted(s, yhat_mis)
    cand = pos[:, None] + np.arange(-k, k)[None, :]
    valid = (cand >= 0) & (cand < n)
    cand = np.clip(cand, 0, n - 1)
    d = np.where(valid, np.abs(s[cand] - yhat_mis[:, None]), np.inf)
    near = np.argsort(d, axis=1, kind="stable")[:, :k]
    rows = np.arange(len(yhat_mis))
    pick = near[rows, rng.integers(0, k, len(yhat_mis))]
    return order[cand[rows, pick]]


class LeastSquares(NamedTuple):
    """The deterministic part of one Bayesian regression draw (:func:`least_squares`)."""

    coef: np.ndarray      #: β̂
    v: np.ndarray         #: (X'X)⁻¹ (with the ridge when one was needed)
    v_chol: np.ndarray    #: lower Cholesky factor of ``v``
    ridged: bool          #: whether X'X was singular and the ridge was added


def least_squares(xtx: np.ndarray, xty: np.ndarray, ridge: float = RIDGE) -> LeastSquares:
    """β̂ = (X'X)⁻¹X'y and (X'X)⁻¹ from cross-products, in units-free arithmetic.

    R: ``mice:::estimice(x, y)`` with its default ``ls.meth = "qr"`` (``lm.fit``, then
    ``solve(crossprod(qr.R(qr)))``): ordinary least squares, **no ridge** unless X'X cannot
    be inverted; only then ``v = solve(xtx + diag(diag(xtx) * ridge))``, a ridge relative
    to each coefficient's own diagonal element, which rescales with its variable.

    Here X'X is first scaled to unit diagonal, C = D⁻¹ X'X D⁻¹ with D = diag(√diag X'X)
    (Jacobi scaling; C does not change when a column of X is rescaled), and everything is
    solved on C: β̂ = D⁻¹ C⁻¹ D⁻¹ X'y, v = D⁻¹ C⁻¹ D⁻¹, chol(v) = D⁻¹ chol(C⁻¹). So
    rescaling a predictor by c rescales its coefficient by 1/c and changes nothing else,
    and rescaling y rescales β̂ by c. C is judged singular when its reciprocal condition
    number is below machine epsilon (R's ``solve`` refuses a matrix below that); then
    C + ``ridge``·I is used for β̂ and v (on C, ``ridge``·I *is* mice's
    ``diag(xtx) * ridge``). R judges the unscaled matrix, so for predictors on wildly
    different scales (mice's message mentions POSIX times) R may add the ridge where this
    function does not.

    Parameters
    ----------
    xtx : ndarray, shape (k, k)
        X'X of the observed rows (intercept included as a column of ones).
    xty : ndarray, shape (k,)
        X'y.
    ridge : float, default 1e-5
        mice's ``ridge`` argument.

    Returns
    -------
    LeastSquares

    Examples
    --------
    >>> x = np.c_[np.ones(4), [1.0, 2.0, 3.0, 5.0]]
    >>> least_squares(x.T @ x, x.T @ np.array([2.0, 4.0, 6.0, 10.0])).coef.round(12).tolist()
    [0.0, 2.0]
    """
    d = np.sqrt(np.abs(np.diag(xtx)))
    d[~(d > 0)] = 1.0
    c = xtx / np.outer(d, d)
    w = np.linalg.eigvalsh(c)
    ridged = not (w[0] > np.finfo(float).eps * w[-1])
    if ridged:
        c = c + ridge * np.eye(len(d))
    c_inv = np.linalg.inv(c)
    c_inv = (c_inv + c_inv.T) / 2
    coef = (c_inv @ (xty / d)) / d
    v = c_inv / np.outer(d, d)
    v_chol = np.linalg.cholesky(c_inv) / d[:, None]
    return LeastSquares(coef, v, v_chol, ridged)


def _pmm_draw(V: np.ndarray, gram_all: np.ndarray, j: int, mis: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One PMM draw for variable ``j`` (Bayesian linear regression, type-1 matching).

    ``V`` holds the imputation model one variable per line (intercept, dummies, numeric
    variables with their current values; shape (p, n)) and ``gram_all`` is ``V V'``;
    variable ``j`` is regressed on all the others over the rows where it is observed
    (``mis``: the rows where it is missing). The cross-products of the observed rows are
    those of all rows minus those of the missing rows (:func:`least_squares` solves on
    them); the residual sum of squares is summed over the observed rows' residuals,
    which the matching needs anyway. Returns the imputed values.
    """
    V_mis = V[:, mis]
    gram = gram_all - V_mis @ V_mis.T
    keep = np.r_[0:j, j + 1:V.shape[0]]
    ls = least_squares(gram[np.ix_(keep, keep)], gram[keep, j])
    n, k = V.shape[1] - len(mis), len(keep)
    yhat = np.insert(ls.coef, j, 0.0) @ V
    resid = V[j] - yhat
    resid[mis] = 0.0
    rss = float(resid @ resid)                                   # |y - X b|^2 over the observed rows
    sigma_star = math.sqrt(rss / rng.chisquare(max(n - k, 1)))
    beta_star = ls.coef + sigma_star * (ls.v_chol @ rng.standard_normal(k))
    yhat_mis = beta_star @ V_mis[keep]
    donors = _nearest_donors(yhat, yhat_mis, _DONORS, rng, excluded=mis)
    return V[j, donors]


def mice(data: pd.DataFrame, m: int, iterations: int, rng: np.random.Generator,
         name: str = "", threads: int = 1) -> list[pd.DataFrame]:
    """``m`` completed copies of ``data`` by chained equations with PMM (see the module docstring).

    Parameters
    ----------
    data : pandas.DataFrame
        The variables of the imputation model (the analysis model's variables); numeric
        columns may have missing values, categorical ones may not.
    m, iterations : int
        Number of imputed data sets and of cycles through the variables per data set.
    rng : numpy.random.Generator
        Source of every random draw: imputed data set i is drawn from the i-th generator
        spawned from it (``rng.spawn(m)``), so the data sets can be made in parallel.
    name : str
        Model name for error messages.
    threads : int, default 1
        Data sets made at the same time (same result on any number).

    Returns
    -------
    list of pandas.DataFrame
        ``m`` copies without missing values, same index and dtypes where possible (imputed
        columns become float).

    Notes
    -----
    Work is done on one NumPy array per imputation (intercept, dummies, numeric columns;
    one variable per line) and grows linearly with the number of rows (times a log factor for sorting the donors'
    predictions).
    """
    missing = {c: data[c].isna().to_numpy() for c in data.columns}
    to_impute = [c for c in data.columns if missing[c].any()]
    numeric = []
    for c in data.columns:
        s = data[c]
        is_cat = isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s.dtype)
        if c in to_impute and is_cat:
            raise ModelError(f"model {name!r}: imputing the categorical variable {c!r} "
                             f"({int(missing[c].sum())} missing) is not implemented; use missing: "
                             "{method: listwise} for this model")
        if c in to_impute and (~missing[c]).sum() < 2:
            raise ModelError(f"model {name!r}: {c!r} has fewer than 2 observed values; it cannot be imputed")
        if not is_cat:
            numeric.append(c)
    dummies = [d for c in data.columns if c not in numeric for d in _dummies(data[c])]
    base = np.vstack([np.ones(len(data)), *dummies, data[numeric].to_numpy(dtype=float).T])   # (p, n)
    first = 1 + len(dummies)
    where = {c: first + numeric.index(c) for c in to_impute}
    rows = {c: (np.flatnonzero(missing[c]), np.flatnonzero(~missing[c])) for c in to_impute}

    def one(chain: np.random.Generator) -> pd.DataFrame:
        cur = base.copy()
        for c in to_impute:
            j, (mis, obs) = where[c], rows[c]
            cur[j, mis] = chain.choice(cur[j, obs], size=len(mis), replace=True)
        gram = cur @ cur.T
        for _ in range(iterations):
            for c in to_impute:
                j, (mis, _) = where[c], rows[c]
                before = cur[:, mis]
                cur[j, mis] = _pmm_draw(cur, gram, j, mis, chain)
                after = cur[:, mis]
                gram += after @ after.T - before @ before.T     # only the imputed cells changed
        done = data.copy()
        for c in to_impute:
            done[c] = cur[where[c]]
        with lock:
            finished[0] += 1
            if finished[0] == m or finished[0] % max(1, m // 4) == 0:
                log.info("model %r: %d of %d imputed data sets (%.1f s)", name, finished[0], m,
                         time.perf_counter() - started)
        return done

    log.info("model %r: imputing %d missing cell(s) of %d variable(s): %d data sets x %d iterations ...", name,
             sum(int(missing[c].sum()) for c in to_impute), len(to_impute), m, iterations)
    lock, finished, started = threading.Lock(), [0], time.perf_counter()
    chains = rng.spawn(m)
    if threads > 1:
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(one, chains))
    return [one(chain) for chain in chains]


def pool(estimates: np.ndarray, se: np.ndarray, dfcom: float, terms: Sequence[str],
         ci: float = 0.95) -> pd.DataFrame:
    """Rubin's rules with Barnard–Rubin degrees of freedom, as ``mice::pool``.

    Parameters
    ----------
    estimates, se : array, shape (m, k)
        Per-imputation estimates and standard errors of k terms.
    dfcom : float
        Complete-data residual degrees of freedom (``n - k``; ``numpy.inf`` for large-sample).
    terms : list of str
    ci : float
        Coverage of the pooled interval.

    Returns
    -------
    pandas.DataFrame with columns :data:`POOL_COLUMNS`.
    """
    from scipy import stats

    q = np.asarray(estimates, dtype=float)
    u = np.asarray(se, dtype=float) ** 2
    m = q.shape[0]
    if m < 2:
        raise ModelError("pooling needs at least 2 imputed data sets")
    qbar = q.mean(axis=0)
    ubar = u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t = ubar + (1 + 1 / m) * b
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = (1 + 1 / m) * b / ubar
        lam = (1 + 1 / m) * b / t
    lam_df = np.maximum(lam, 1e-4)
    dfold = (m - 1) / lam_df ** 2
    if np.isinf(dfcom):
        df = dfold
    else:
        dfobs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam_df)
        df = dfold * dfobs / (dfold + dfobs)
    fmi = (riv + 2 / (df + 3)) / (1 + riv)
    se_t = np.sqrt(t)
    stat = qbar / se_t
    p = 2 * stats.t.sf(np.abs(stat), df)
    qt = stats.t.ppf(0.5 + ci / 2, df)
    return pd.DataFrame({"term": list(terms), "estimate": qbar, "ubar": ubar, "b": b, "t": t, "dfcom": dfcom,
                         "df": df, "riv": riv, "lambda": lam, "fmi": fmi, "se": se_t, "statistic": stat, "p": p,
                         "ci_lo": qbar - qt * se_t, "ci_hi": qbar + qt * se_t}, columns=POOL_COLUMNS)


def pool_r2(r2: Sequence[float]) -> float:
    """Pooled R² as ``mice::pool.r.squared``: tanh of the mean Fisher z of √R², squared."""
    z = np.arctanh(np.sqrt(np.asarray(r2, dtype=float)))
    return float(np.tanh(z.mean()) ** 2)
