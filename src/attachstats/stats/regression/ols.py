"""Ordinary least squares with heteroscedasticity-consistent (robust) standard errors.

Models are specified by column names, never by formula strings: nothing from a config file
is evaluated as Python or patsy code. :func:`build_design` turns the columns into a design
matrix with pandas, :func:`fit_ols` fits it by QR (:func:`least_squares_fit`) and returns an
:class:`OLSResult` whose tables match R (checked against the fixtures in
``tests/fixtures/regression``):

- ``b`` as ``coef(lm(...))``; ``se``, ``stat`` (t), ``p`` as
  ``lmtest::coeftest(fit, vcov = sandwich::vcovHC(fit, type = "HC3"))`` and ``ci_lo``,
  ``ci_hi`` as ``lmtest::coefci`` with the same covariance: t distribution with the
  residual degrees of freedom ``n - p``. ``robust`` may also be ``"HC0"``, ``"HC1"``,
  ``"HC2"`` (the same ``vcovHC`` types) or ``"nonrobust"`` (``summary(lm)``/``confint``).
- ``beta`` is the standardised coefficient ``b * sd(x) / sd(y)`` over the estimation sample,
  where ``x`` is the design-matrix column (for a dummy: the 0/1 column); NaN for the
  intercept. This equals the slope of ``lm`` on z-scored design columns and outcome.
- the fit statistics ``r2``, ``adj_r2``, ``f`` (with ``f_df1``, ``f_df2``, ``f_p``) and
  ``sigma`` are the classical (non-robust) ones of ``summary(lm)``; ``aic`` and ``bic`` are
  R's ``AIC()``/``BIC()`` of an ``lm`` fit, which count the residual variance as a
  parameter (``p + 1``; statsmodels' own ``aic``/``bic`` count only ``p``).

Design matrices (columns by name, dummies, aliasing) are built by
:mod:`attachstats.stats.regression.design`, whose docstring gives the conventions and their R
names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from attachstats.errors import ModelError
from attachstats.stats.regression.design import aliased_columns, build_design

__all__ = ["OLSResult", "fit_ols", "least_squares_fit", "regression_table", "fit_table", "OLS_COEFFICIENT_COLUMNS",
           "OLS_FIT_COLUMNS"]

#: Columns of :attr:`OLSResult.coefficients` and :func:`regression_table`, in order.
OLS_COEFFICIENT_COLUMNS = ["model", "outcome", "family", "term", "b", "se", "ci_lo", "ci_hi",
                       "beta", "stat", "p", "n"]
#: Keys of :attr:`OLSResult.fit` and columns of :func:`fit_table`, in order.
OLS_FIT_COLUMNS = ["model", "outcome", "n", "r2", "adj_r2", "f", "f_df1", "f_df2", "f_p", "aic",
               "bic", "sigma"]

_COV_TYPES = {"HC0": "HC0", "HC1": "HC1", "HC2": "HC2", "HC3": "HC3", "NONROBUST": "nonrobust"}


@dataclass
class OLSResult:
    """The result of :func:`fit_ols`. Computation only: nothing here is formatted.

    Attributes
    ----------
    name : str
        Model name (the ``model`` column of both tables).
    outcome : str
        Outcome column.
    n : int
        Rows used (complete on the outcome and every predictor).
    n_missing : int
        Rows dropped because the outcome or a predictor was missing.
    coefficients : pandas.DataFrame
        One row per term, columns exactly ``model, outcome, family, term, b, se, ci_lo,
        ci_hi, beta, stat, p, n`` (``family`` is ``"ols"``; ``stat`` is the t statistic).
    fit : dict
        ``model, outcome, n, r2, adj_r2, f, f_df1, f_df2, f_p, aic, bic, sigma``.
    cov_type : str
        Covariance used for ``se``/``stat``/``p``/CI: ``"HC0"``..``"HC3"`` or
        ``"nonrobust"``.
    ci : float
        Coverage of ``ci_lo``/``ci_hi``.
    cov : numpy.ndarray or None
        The covariance matrix behind ``se`` (design order), for linear combinations such as
        simple slopes.
    """

    name: str
    outcome: str
    n: int
    n_missing: int
    coefficients: pd.DataFrame
    fit: dict[str, Any]
    cov_type: str = "HC3"
    ci: float = 0.95
    predictors: list[str] = field(default_factory=list)
    cov: np.ndarray | None = None


def least_squares_fit(y: np.ndarray, X: np.ndarray, cov_type: str = "HC3") -> tuple[np.ndarray, np.ndarray, float]:
    """Coefficients, their covariance and the residual sum of squares of ``y ~ X`` (full rank).

    ``X = QR`` by Householder QR (LAPACK, as R's ``lm`` uses QR); the coefficients solve
    ``R b = Q'y`` with ``Q = X R⁻¹``, refined once from the residuals (corrected semi-normal
    equations, accurate as a QR solve), so that only the ``p × p`` factor and one ``n × p``
    matrix are formed. The covariance is ``s² (X'X)⁻¹`` (``"nonrobust"``) or the sandwich
    ``(X'X)⁻¹ X' Ω X (X'X)⁻¹`` of ``sandwich::vcovHC`` with ``Ω = diag(e²)`` (HC0),
    ``× n / (n − p)`` (HC1), ``e² / (1 − h)`` (HC2) or ``e² / (1 − h)²`` (HC3), ``h`` the
    leverages (row sums of ``Q²``).

    Examples
    --------
    >>> X = np.column_stack([np.ones(4), [0., 1., 2., 3.]])
    >>> b, cov, ssr = least_squares_fit(np.array([1., 3., 2., 5.]), X, "nonrobust")
    >>> [round(float(v), 2) for v in b], round(ssr, 2)
    ([1.1, 1.1], 2.7)
    """
    from scipy.linalg import solve_triangular

    n, p = X.shape
    r = np.linalg.qr(X, mode="r")
    q = solve_triangular(r, X.T, trans="T").T                       # X R⁻¹ (n × p)
    b = solve_triangular(r, q.T @ y)
    e = y - X @ b
    b = b + solve_triangular(r, solve_triangular(r, X.T @ e, trans="T"))
    e = y - X @ b
    ssr = float(e @ e)
    r_inv = solve_triangular(r, np.eye(p))
    if cov_type == "nonrobust":
        return b, (ssr / (n - p)) * (r_inv @ r_inv.T), ssr
    omega = e * e
    if cov_type == "HC1":
        omega = omega * (n / (n - p))
    elif cov_type in ("HC2", "HC3"):
        h = np.einsum("ij,ij->i", q, q)
        omega = omega / (1.0 - h) if cov_type == "HC2" else omega / (1.0 - h) ** 2
    meat = (q * omega[:, None]).T @ q                                # Q' Ω Q
    cov = r_inv @ meat @ r_inv.T
    return b, (cov + cov.T) / 2.0, ssr


def fit_ols(data: pd.DataFrame, outcome: str, predictors: list[str], name: str,
            robust: str = "HC3", ci: float = 0.95) -> OLSResult:
    """Fit a linear model by OLS and report robust coefficients and classical fit.

    Parameters
    ----------
    data : pandas.DataFrame
        The data; column names may contain spaces or symbols.
    outcome : str
        Numeric outcome column.
    predictors : list of str
        Predictor columns (see :func:`build_design`); an empty list fits the intercept only.
    name : str
        Model name: the ``model`` column of the tables, and named in every error.
    robust : {"HC3", "HC2", "HC1", "HC0", "nonrobust"}, default "HC3"
        Covariance for standard errors, t statistics, p values and confidence intervals
        (``sandwich::vcovHC`` types; ``"nonrobust"`` is the classical OLS covariance).
    ci : float, default 0.95
        Coverage of the confidence intervals (t distribution, residual df).

    Returns
    -------
    OLSResult

    Raises
    ------
    attachstats.errors.ModelError
        A column is absent or unusable (see :func:`build_design`), a predictor is aliased
        (a linear combination of the others), or there are no more complete rows than
        parameters (no residual degrees of freedom).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"anx score": rng.normal(size=200),
    ...                    "gender": rng.choice(["female", "male"], size=200)})
    >>> df["y"] = 1 + 0.5 * df["anx score"] + rng.normal(size=200)
    >>> res = fit_ols(df, "y", ["anx score", "gender"], name="m1")
    >>> list(res.coefficients["term"])
    ['(Intercept)', 'anx score', 'gender[T.male]']
    >>> res.n, res.n_missing, round(res.fit["r2"], 2)
    (200, 0, 0.21)
    """
    cov_type = _COV_TYPES.get(str(robust).upper()) if isinstance(robust, str) else None
    if cov_type is None:
        raise ModelError(f"model {name!r}: robust must be one of HC0, HC1, HC2, HC3 or "
                         f"nonrobust, got {robust!r}")
    if not (isinstance(ci, (int, float)) and 0.0 < ci < 1.0):
        raise ModelError(f"model {name!r}: ci must be between 0 and 1, got {ci!r}")
    y, X, n_missing = build_design(data, outcome, predictors, name)
    n, p = X.shape
    if n <= p:
        raise ModelError(f"model {name!r}: {n} complete row(s) for {p} parameters "
                         f"({', '.join(X.columns)}); OLS needs at least {p + 1} "
                         f"({n_missing} row(s) dropped for missing values)")
    alias = aliased_columns(X.to_numpy())
    if alias:
        terms = ", ".join(repr(X.columns[j]) for j in alias)
        raise ModelError(f"model {name!r}: term(s) {terms} are linear combinations of the "
                         "other terms (constant or collinear); remove them")

    from scipy import stats

    b, cov, ssr = least_squares_fit(y.to_numpy(float), X.to_numpy(float), cov_type)
    se = np.sqrt(np.diag(cov))
    df_resid = n - p
    with np.errstate(divide="ignore", invalid="ignore"):
        t = b / se
    pval = 2.0 * stats.t.sf(np.abs(t), df_resid)
    q = stats.t.ppf(0.5 + ci / 2.0, df_resid)
    sd_y = float(y.std(ddof=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = b * X.std(ddof=1).to_numpy() / sd_y
    beta[0] = np.nan

    coefs = pd.DataFrame({
        "model": name, "outcome": outcome, "family": "ols", "term": list(X.columns),
        "b": b, "se": se, "ci_lo": b - q * se, "ci_hi": b + q * se, "beta": beta,
        "stat": t, "p": pval, "n": n,
    }, columns=OLS_COEFFICIENT_COLUMNS)

    tss = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - ssr / tss if tss > 0 else float("nan")
    df1 = p - 1
    if df1 > 0:
        adj = 1.0 - (1.0 - r2) * (n - 1) / df_resid
        f = ((tss - ssr) / df1) / (ssr / df_resid) if ssr > 0 else float("inf")
        f_p = float(stats.f.sf(f, df1, df_resid))
    else:
        adj, f, f_p = 0.0, float("nan"), float("nan")
    llf = -n / 2.0 * (math.log(2.0 * math.pi) + math.log(ssr / n) + 1.0) if ssr > 0 else math.inf
    k = p + 1  # coefficients + residual variance, as R's logLik.lm
    fit = {"model": name, "outcome": outcome, "n": int(n), "r2": float(r2),
           "adj_r2": float(adj), "f": float(f), "f_df1": int(df1), "f_df2": int(df_resid),
           "f_p": f_p, "aic": -2.0 * llf + 2.0 * k, "bic": -2.0 * llf + math.log(n) * k,
           "sigma": math.sqrt(ssr / df_resid)}
    return OLSResult(name=name, outcome=outcome, n=int(n), n_missing=n_missing,
                     coefficients=coefs, fit=fit, cov_type=cov_type, ci=float(ci),
                     predictors=list(predictors), cov=cov)


def regression_table(results: Sequence[OLSResult]) -> pd.DataFrame:
    """Stack the coefficient tables of several models.

    Parameters
    ----------
    results : list of OLSResult

    Returns
    -------
    pandas.DataFrame
        Columns exactly ``model, outcome, family, term, b, se, ci_lo, ci_hi, beta, stat,
        p, n``; models in the given order, terms in design order.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 3.0, 2.0, 5.0, 4.0], "x": [1, 2, 3, 4, 5]})
    >>> tab = regression_table([fit_ols(df, "y", ["x"], "m1"), fit_ols(df, "y", [], "m0")])
    >>> tab[["model", "term"]].values.tolist()
    [['m1', '(Intercept)'], ['m1', 'x'], ['m0', '(Intercept)']]
    """
    frames = [r.coefficients for r in results]
    if not frames:
        return pd.DataFrame(columns=OLS_COEFFICIENT_COLUMNS)
    return pd.concat(frames, ignore_index=True)[OLS_COEFFICIENT_COLUMNS]


def fit_table(results: Sequence[OLSResult]) -> pd.DataFrame:
    """One row of fit statistics per model.

    Parameters
    ----------
    results : list of OLSResult

    Returns
    -------
    pandas.DataFrame
        Columns exactly ``model, outcome, n, r2, adj_r2, f, f_df1, f_df2, f_p, aic, bic,
        sigma`` (see :class:`OLSResult`).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 3.0, 2.0, 5.0, 4.0], "x": [1, 2, 3, 4, 5]})
    >>> fit_table([fit_ols(df, "y", ["x"], "m1")])[["model", "n", "r2"]]
      model  n    r2
    0    m1  5  0.64
    """
    return pd.DataFrame([r.fit for r in results], columns=OLS_FIT_COLUMNS)
