"""Multiple imputation by chained equations (MICE) and Rubin's rules.

:func:`mice` makes ``m`` completed copies of a data set. Like R's ``mice`` with its defaults
for numeric data, each variable with missing values is imputed in turn (left to right) by
predictive mean matching (PMM, ``mice.impute.pmm``): a linear regression of the variable on
all other columns (their current values; categorical columns as dummies) is fitted on the
observed rows, a coefficient vector β* is drawn from its posterior (σ*² = SSR/χ²ₙ₋ₖ,
β* ~ N(β̂, σ*²(X'X)⁻¹)), and each missing value is replaced by the observed value of one
of the 5 donors whose prediction X β̂ is closest to the missing row's X β* (type-1
matching). Missing values start as random draws from the observed values; the cycle runs
``iterations`` times per data set. PMM imputes only values that occur in the data, so
counts stay counts and 0/1 codes stay 0/1. Everything random comes from the
``numpy.random.Generator`` passed in: same generator state, same imputations. Categorical
columns may be predictors of the imputation models, but imputing a categorical column is
not implemented (a :class:`~attachstats.errors.ModelError` says so).

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

import math
from typing import Sequence

import numpy as np
import pandas as pd

from .errors import ModelError

__all__ = ["mice", "pool", "pool_r2", "POOL_COLUMNS"]

#: Columns of :func:`pool`.
POOL_COLUMNS = ["term", "estimate", "ubar", "b", "t", "dfcom", "df", "riv", "lambda", "fmi", "se",
                "statistic", "p", "ci_lo", "ci_hi"]

_DONORS = 5


def _design(df: pd.DataFrame, exclude: str) -> np.ndarray:
    """Intercept plus every other column (categorical ones as dummies of the non-first levels)."""
    cols = [np.ones(len(df))]
    for c in df.columns:
        if c == exclude:
            continue
        s = df[c]
        if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s.dtype):
            levels = sorted(pd.unique(s.astype(str)))
            vals = s.astype(str).to_numpy()
            cols += [(vals == lev).astype(float) for lev in levels[1:]]
        else:
            cols.append(s.to_numpy(dtype=float))
    return np.column_stack(cols)


def _pmm_draw(y_obs: np.ndarray, x_obs: np.ndarray, x_mis: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One PMM draw (Bayesian linear regression, type-1 matching, 5 donors)."""
    n, k = x_obs.shape
    xtx = x_obs.T @ x_obs
    xtx += np.eye(k) * 1e-5 * max(np.abs(np.diag(xtx)).max(), 1.0)       # mice's ridge
    v = np.linalg.inv(xtx)
    v = (v + v.T) / 2
    beta_hat = v @ x_obs.T @ y_obs
    resid = y_obs - x_obs @ beta_hat
    df = max(n - k, 1)
    sigma_star = math.sqrt(float(resid @ resid) / rng.chisquare(df))
    beta_star = beta_hat + sigma_star * (np.linalg.cholesky(v) @ rng.standard_normal(k))
    yhat_obs = x_obs @ beta_hat
    yhat_mis = x_mis @ beta_star
    d = np.abs(yhat_mis[:, None] - yhat_obs[None, :])
    # the 5 nearest donors, ties broken at random (a random jitter of the order)
    jitter = rng.random(d.shape) * 1e-12 * (1 + d.max())
    near = np.argpartition(d + jitter, min(_DONORS, n) - 1, axis=1)[:, :min(_DONORS, n)]
    pick = near[np.arange(len(x_mis)), rng.integers(0, near.shape[1], len(x_mis))]
    return y_obs[pick]


def mice(data: pd.DataFrame, m: int, iterations: int, rng: np.random.Generator,
         name: str = "") -> list[pd.DataFrame]:
    """``m`` completed copies of ``data`` by chained equations with PMM (see the module docstring).

    Parameters
    ----------
    data : pandas.DataFrame
        The variables of the imputation model (the analysis model's variables); numeric
        columns may have missing values, categorical ones may not.
    m, iterations : int
        Number of imputed data sets and of cycles through the variables per data set.
    rng : numpy.random.Generator
        Source of every random draw.
    name : str
        Model name for error messages.

    Returns
    -------
    list of pandas.DataFrame
        ``m`` copies without missing values, same index and dtypes where possible.
    """
    missing = {c: data[c].isna().to_numpy() for c in data.columns}
    to_impute = [c for c in data.columns if missing[c].any()]
    for c in to_impute:
        s = data[c]
        if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s.dtype):
            raise ModelError(f"model {name!r}: imputing the categorical variable {c!r} "
                             f"({int(missing[c].sum())} missing) is not implemented; use missing: "
                             "{method: listwise} for this model")
        if (~missing[c]).sum() < 2:
            raise ModelError(f"model {name!r}: {c!r} has fewer than 2 observed values; it cannot be imputed")
    out = []
    for _ in range(m):
        cur = data.copy()
        for c in to_impute:
            obs = cur.loc[~missing[c], c].to_numpy(dtype=float)
            cur[c] = cur[c].astype(float)
            cur.loc[missing[c], c] = rng.choice(obs, size=int(missing[c].sum()), replace=True)
        for _ in range(iterations):
            for c in to_impute:
                X = _design(cur, exclude=c)
                y = cur[c].to_numpy(dtype=float)
                mis = missing[c]
                cur.loc[mis, c] = _pmm_draw(y[~mis], X[~mis], X[mis], rng)
        out.append(cur)
    return out


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
