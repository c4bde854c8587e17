"""Fit statistics of covariance-structure models, named once, as lavaan's ``fitMeasures()``.

:data:`FIT_COLUMNS` are the keys of every fit dictionary in this package (CFA, MLR, FIML,
multiple groups, SEM) and the columns of ``tables/cfa_fit.csv``; lavaan's names:

- ``chi2`` (``chisq``) = N·F(θ̂), ``df`` = moments − npar, ``p`` its upper χ² tail;
- ``baseline_chi2``/``baseline_df``: the independence model, N·(Σ log sᵢᵢ − log|S|) on
  p(p−1)/2 df (``baseline.chisq``, ``baseline.df``);
- ``cfi`` = 1 − max(χ² − df, 0) / max(χ² − df, χ²_b − df_b, 0) (1 when both are 0);
- ``tli`` = 1 − (χ² − df)·df_b / ((χ²_b − df_b)·df), not capped (1 when df = 0);
- ``rmsea`` = sqrt(max(χ²/(N·df) − 1/N, 0)); 90% interval (``rmsea.ci.lower``/``upper``)
  by inverting the non-central χ² distribution in the non-centrality λ
  (P(χ² | df, λ) = .95 and .05), bounds sqrt(λ/(N·df)), with lavaan's rules for bounds set
  to 0; with G groups both are multiplied by sqrt(G);
- ``srmr`` = lavaan's default ``srmr`` (``srmr_bentler``): root mean square, over the
  p(p+1)/2 elements of the lower triangle with the diagonal, of (sᵢⱼ − σ̂ᵢⱼ)/sqrt(sᵢᵢ sⱼⱼ)
  (both matrices scaled by the *sample* standard deviations);
- ``loglik`` = −N/2·(p log 2π + log|Σ̂| + tr(S Σ̂⁻¹)) (``logl``; means saturated),
  ``aic`` = −2 loglik + 2 npar, ``bic`` = −2 loglik + npar log N;
- ``chi2_ml``, ``scaling_factor``, ``baseline_scaling_factor``: the unscaled statistic and
  the Yuan–Bentler factors of a robust (MLR) fit (NaN otherwise; see
  :mod:`attachstats.stats.latent.mlr`, which computes the robust CFI/TLI/RMSEA with
  :func:`cfi_tli`, :func:`rmsea` and :func:`rmsea_ci` from here).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["FIT_STATISTICS", "FIT_COLUMNS", "chi2_pvalue", "cfi_tli", "rmsea", "rmsea_ci",
           "fit_indices", "ml_fit_measures"]

#: The test and fit statistics proper, in table order (a slice of :data:`FIT_COLUMNS`).
FIT_STATISTICS = ["n", "chi2", "df", "p", "cfi", "tli", "rmsea", "rmsea_ci_lo", "rmsea_ci_hi",
                  "srmr", "aic", "bic", "loglik", "npar"]
#: Keys of every fit dictionary and columns of ``tables/cfa_fit.csv``, in order.
FIT_COLUMNS = ["model", "estimator", *FIT_STATISTICS, "baseline_chi2", "baseline_df", "chi2_ml",
               "scaling_factor", "baseline_scaling_factor"]


def chi2_pvalue(x2: float, df: int) -> float:
    """Upper-tail p value of χ² on df degrees of freedom (NaN when df = 0), R ``pchisq(x2, df, lower = FALSE)``.

    Examples
    --------
    >>> round(chi2_pvalue(3.841458820694124, 1), 12)
    0.05
    """
    from scipy.stats import chi2 as chi2_dist

    return float(chi2_dist.sf(x2, df)) if df > 0 else math.nan


def cfi_tli(x2: float, df: int, x2b: float, dfb: int, c: float = 1.0,
            cb: float = 1.0) -> tuple[float, float]:
    """CFI and TLI from the model's and the baseline model's χ² (lavaan ``cfi``, ``tli``).

    With scaling factors ``c``, ``cb`` (model, baseline) and the unscaled χ², the robust
    versions of Brosseau-Liard & Savalei (2014), lavaan's ``cfi.robust``/``tli.robust``:
    every df is replaced by c·df.

    Examples
    --------
    >>> cfi_tli(30.0, 10, 500.0, 15)
    (0.9587628865979382, 0.9381443298969072)
    """
    t1, t2 = max(x2 - c * df, 0.0), max(x2 - c * df, x2b - cb * dfb, 0.0)
    cfi = 1.0 if (math.isclose(t1, 0, abs_tol=1.5e-8) and math.isclose(t2, 0, abs_tol=1.5e-8)) \
        else 1 - t1 / t2
    u1, u2 = (x2 - c * df) * dfb, (x2b - cb * dfb) * df
    tli = 1 - u1 / u2 if (df > 0 and abs(u2) > 0) else 1.0
    return cfi, tli


def rmsea(x2: float, df: int, n: int, c: float = 1.0) -> float:
    """RMSEA = sqrt(max(χ²/(N·df) − c/N, 0)), 0 when df = 0 (lavaan ``rmsea``; ``c`` > 1: ``rmsea.robust``).

    Examples
    --------
    >>> round(rmsea(30.0, 10, 101), 6)
    0.14072
    """
    return math.sqrt(max(x2 / n / df - c / n, 0.0)) if df > 0 else 0.0


def rmsea_ci(x2: float, df: int, n: int, level: float = 0.90) -> tuple[float, float]:
    """lavaan's RMSEA interval: invert the non-central χ² distribution in λ.

    Returns the bounds sqrt(λ/(N·df)) of the ``level`` interval (lavaan
    ``rmsea.ci.lower``/``rmsea.ci.upper``); (0, 0) when df = 0.
    """
    from scipy.optimize import brentq
    from scipy.stats import chi2, ncx2

    if not (np.isfinite(x2) and df >= 1):
        return 0.0, 0.0
    hi_p, lo_p = 1 - (1 - level) / 2, (1 - level) / 2

    def cdf(lam: float) -> float:
        return float(chi2.cdf(x2, df) if lam <= 0 else ncx2.cdf(x2, df, lam))

    if cdf(0.0) - hi_p < 0:
        lower = 0.0
    else:
        lam = brentq(lambda nc: cdf(nc) - hi_p, 0.0, x2, xtol=1e-12, rtol=1e-14, maxiter=500)
        lower = math.sqrt(lam / (n * df))
    top = max(n, 4 * x2)
    if cdf(top) - lo_p > 0 or cdf(0.0) - lo_p < 0:
        upper = 0.0
    else:
        lam = brentq(lambda nc: cdf(nc) - lo_p, 0.0, top, xtol=1e-12, rtol=1e-14, maxiter=500)
        upper = math.sqrt(lam / (n * df))
    return lower, upper


def fit_indices(name: str, estimator: str, n: int, x2: float, df: int, x2b: float, dfb: int,
                srmr: float, loglik: float, npar: int, groups: int = 1) -> dict:
    """The fit dictionary (keys :data:`FIT_COLUMNS`) from the test statistics, as lavaan.

    ``x2``/``df`` are the model's likelihood-ratio test against the saturated model,
    ``x2b``/``dfb`` the baseline (independence) model's; ``groups`` multiplies the RMSEA
    and its interval by sqrt(G) (lavaan's multiple-group convention). R:
    ``lavaan::fitMeasures(fit)``.

    Examples
    --------
    >>> f = fit_indices("m", "ML", 101, 30.0, 10, 500.0, 15, 0.05, -1000.0, 11)
    >>> list(f) == FIT_COLUMNS, round(f["cfi"], 4), f["aic"]
    (True, 0.9588, 2022.0)
    """
    x2 = max(float(x2), 0.0)
    pval = chi2_pvalue(x2, df)
    cfi, tli = cfi_tli(x2, df, x2b, dfb)
    g = math.sqrt(groups)
    rm = rmsea(x2, df, n) * g
    lo, hi = rmsea_ci(x2, df, n)
    return {"model": name, "estimator": estimator, "n": int(n), "chi2": x2, "df": int(df),
            "p": pval, "cfi": float(cfi), "tli": float(tli), "rmsea": float(rm),
            "rmsea_ci_lo": float(lo) * g, "rmsea_ci_hi": float(hi) * g, "srmr": float(srmr),
            "aic": float(-2 * loglik + 2 * npar), "bic": float(-2 * loglik + npar * math.log(n)),
            "loglik": float(loglik), "npar": int(npar), "baseline_chi2": float(x2b),
            "baseline_df": int(dfb), "chi2_ml": x2, "scaling_factor": math.nan,
            "baseline_scaling_factor": math.nan}


def ml_fit_measures(name: str, n: int, s: np.ndarray, sig: np.ndarray, npar: int) -> dict:
    """:func:`fit_indices` of a single-group ML fit without mean structure, from S and Σ̂.

    Computes χ² = N·F(θ̂), the baseline χ², SRMR and the log-likelihood (see the module
    docstring); ``s`` has divisor N.
    """
    p = s.shape[0]
    logdet_s = np.linalg.slogdet(s)[1]
    logdet_sig = np.linalg.slogdet(sig)[1]
    tr = float(np.sum(s * np.linalg.inv(sig)))
    fmin = logdet_sig + tr - logdet_s - p
    x2 = max(n * fmin, 0.0)
    x2b = float(n * (np.log(np.diag(s)).sum() - logdet_s))
    sd = np.sqrt(np.diag(s))
    resid = (s - sig) / np.outer(sd, sd)
    srmr = math.sqrt(np.mean(resid[np.tril_indices(p)] ** 2))
    loglik = -n / 2 * (p * math.log(2 * math.pi) + logdet_sig + tr)
    return fit_indices(name, "ML", n, x2, p * (p + 1) // 2 - npar, x2b, p * (p - 1) // 2,
                       srmr, loglik, npar)
