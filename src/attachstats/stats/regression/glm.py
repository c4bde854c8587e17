"""Generalised linear models for binary and count outcomes, matching R.

:func:`fit_glm` fits a model by iteratively reweighted least squares (IRLS) on a design
matrix (from :func:`attachstats.stats.regression.ols.build_design` or
:func:`attachstats.stats.regression.outcomes.model_frame`), for three families:

``logit``
    binomial, logit link: R ``glm(y ~ ..., family = binomial)``; ``exp(b)`` is an odds ratio.
``poisson``
    Poisson, log link: ``glm(..., family = poisson)``; ``exp(b)`` an incidence-rate ratio.
``negbin``
    negative binomial (NB2, variance μ + μ²/θ), log link, with θ estimated by maximum
    likelihood: ``MASS::glm.nb``. As there, IRLS for β at fixed θ alternates with a
    Newton step for θ (``MASS::theta.ml``, expected information) until both settle; here
    to a relative change of 1e-10 (R stops at 1e-8). Standard errors of β are those of
    ``summary(glm.nb)``: the GLM at the final θ (θ treated as known); θ's standard error
    is ``theta.ml``'s, ``1/sqrt(expected information)``.

Standard errors, tests and intervals: ``robust="nonrobust"`` (default) gives the
model-based covariance (X'WX)⁻¹ of ``summary(glm)`` with dispersion 1; ``"HC0"``–``"HC3"``
give ``sandwich::vcovHC(fit, type = ...)``: (X'WX)⁻¹ X' Ω X (X'WX)⁻¹ with
Ω = diag(eᵢ² · adjustment), eᵢ = (yᵢ − μᵢ)·(dμ/dη)ᵢ / V(μᵢ) (``estfun.glm``), leverage
hᵢ from the weighted hat matrix, adjustment 1, n/(n − k), 1/(1 − hᵢ), 1/(1 − hᵢ)². Statistics
are z = b/se with normal p values and Wald intervals ``b ± z₁₋α/₂·se`` (R's
``confint.default`` / ``lmtest::coefci``; not profile-likelihood intervals).

Fit statistics: ``loglik`` (R ``logLik``), ``aic``/``bic`` counting the coefficients (and θ
for ``negbin``), ``deviance`` and ``null_deviance`` (for ``negbin`` at the final θ, as
R reports them), McFadden's pseudo-R² ``1 − loglik/loglik₀`` against the intercept-only
model of the same family (for ``negbin`` with its own θ), and for ``logit`` Nagelkerke's
R², ``(1 − exp(2(ℓ₀ − ℓ)/n)) / (1 − exp(2ℓ₀/n))``.

Example
-------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(3)
>>> x = rng.normal(size=400)
>>> y = rng.poisson(np.exp(0.2 + 0.5 * x))
>>> X = pd.DataFrame({"(Intercept)": 1.0, "x": x})
>>> res = fit_glm(y, X, "poisson", name="counts")
>>> [round(float(v), 2) for v in res.b]
[0.2, 0.51]
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from attachstats.errors import ModelError
from attachstats.stats.regression.design import aliased_columns

__all__ = ["GLMResult", "fit_glm", "theta_ml", "pearson_residuals", "GLM_FAMILIES"]

GLM_FAMILIES = ("logit", "poisson", "negbin")
_TOL = 1e-12
_MAX_ITER = 100


@dataclass
class GLMResult:
    """The result of :func:`fit_glm`; computation only, nothing formatted.

    Attributes
    ----------
    terms : list of str
        Design-matrix column names.
    b, se, stat, p, ci_lo, ci_hi : numpy.ndarray
        Coefficients (link scale), standard errors, z statistics, p values, Wald interval.
    cov : numpy.ndarray
        Covariance matrix used for ``se`` (model-based or sandwich).
    mu, weights, hat : numpy.ndarray
        Fitted means, IRLS working weights and leverages at the solution.
    fit : dict
        ``n, loglik, aic, bic, deviance, null_deviance, df_resid, pseudo_r2,
        nagelkerke_r2, theta, theta_se, iterations``.
    """

    family: str
    terms: list[str]
    b: np.ndarray
    se: np.ndarray
    stat: np.ndarray
    p: np.ndarray
    ci_lo: np.ndarray
    ci_hi: np.ndarray
    cov: np.ndarray
    mu: np.ndarray
    weights: np.ndarray
    hat: np.ndarray
    fit: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# families: (mean, dμ/dη, variance) on the linear predictor; deviance; log-likelihood
# ---------------------------------------------------------------------------------------

def _mean(family: str, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if family == "logit":
        mu = 1.0 / (1.0 + np.exp(-eta))
        mu = np.clip(mu, 1e-300, 1 - 1e-16)
        return mu, mu * (1.0 - mu)
    mu = np.exp(np.clip(eta, -700, 700))
    return mu, mu


def _variance(family: str, mu: np.ndarray, theta: float) -> np.ndarray:
    if family == "logit":
        return mu * (1.0 - mu)
    if family == "poisson":
        return mu
    return mu + mu * mu / theta


def _ylogy(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)


def _deviance(family: str, y: np.ndarray, mu: np.ndarray, theta: float) -> float:
    if family == "logit":
        return float(-2.0 * np.sum(y * np.log(mu) + (1 - y) * np.log1p(-mu)))
    if family == "poisson":
        return float(2.0 * np.sum(_ylogy(y, mu) - (y - mu)))
    return float(2.0 * np.sum(_ylogy(y, mu) - (y + theta) * np.log((y + theta) / (mu + theta))))


def _loglik(family: str, y: np.ndarray, mu: np.ndarray, theta: float) -> float:
    from scipy.special import gammaln

    if family == "logit":
        return float(np.sum(y * np.log(mu) + (1 - y) * np.log1p(-mu)))
    if family == "poisson":
        return float(np.sum(y * np.log(mu) - mu - gammaln(y + 1)))
    return float(np.sum(gammaln(theta + y) - gammaln(theta) - gammaln(y + 1) + theta * np.log(theta)
                        + y * np.log(mu) - (theta + y) * np.log(theta + mu)))


def _start_mu(family: str, y: np.ndarray) -> np.ndarray:
    """R's ``mustart``: (y + 0.5)/2 for binomial, y + 0.1 for Poisson, y + (y == 0)/6 for NB."""
    if family == "logit":
        return (y + 0.5) / 2.0
    if family == "poisson":
        return y + 0.1
    return y + (y == 0) / 6.0


def _irls(family: str, y: np.ndarray, X: np.ndarray, theta: float, beta: np.ndarray | None,
          name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, int]:
    """IRLS to a relative deviance change below 1e-12; returns β, μ, weights, deviance, iterations."""
    if beta is None:
        mu = _start_mu(family, y)
        eta = np.log(mu / (1 - mu)) if family == "logit" else np.log(mu)
    else:
        eta = X @ beta
        mu, _ = _mean(family, eta)
    dev_old = math.inf
    for it in range(1, _MAX_ITER + 1):
        mu, dmu = _mean(family, eta)
        var = _variance(family, mu, theta)
        w = dmu * dmu / var
        z = eta + (y - mu) / dmu
        sw = np.sqrt(w)
        new_beta, *_ = np.linalg.lstsq(X * sw[:, None], z * sw, rcond=None)
        eta_new = X @ new_beta
        dev = _deviance(family, y, _mean(family, eta_new)[0], theta)
        halvings = 0
        while not np.isfinite(dev) and beta is not None and halvings < 30:   # step halving
            new_beta = (new_beta + beta) / 2.0
            eta_new = X @ new_beta
            dev = _deviance(family, y, _mean(family, eta_new)[0], theta)
            halvings += 1
        if not np.isfinite(dev):
            raise ModelError(f"model {name!r}: the {family} fit failed (the deviance is not finite)")
        beta, eta = new_beta, eta_new
        if abs(dev - dev_old) / (abs(dev) + 0.1) < _TOL:
            mu, dmu = _mean(family, eta)
            w = dmu * dmu / _variance(family, mu, theta)
            return beta, mu, w, dev, it
        dev_old = dev
    raise ModelError(f"model {name!r}: the {family} fit did not converge in {_MAX_ITER} IRLS iterations "
                     "(separation or a predictor that explains the outcome perfectly?)")


def theta_ml(y: np.ndarray, mu: np.ndarray, name: str = "") -> tuple[float, float]:
    """ML estimate of the negative-binomial θ given the means, and its standard error.

    As ``MASS::theta.ml``: Newton steps with the expected information from the moment
    start ``n / Σ (y/μ − 1)²``, here to a relative step below 1e-12.

    Returns
    -------
    (theta, se) with se = 1/sqrt(expected information).
    """
    from scipy.special import digamma, polygamma

    n = len(y)
    # the gamma-function terms depend on y only through its distinct values (counts have few)
    y_values, y_counts = np.unique(y, return_counts=True)

    def score(t: float) -> float:
        return float(y_counts @ digamma(t + y_values) + n * (math.log(t) + 1 - digamma(t))
                     - np.sum(np.log(t + mu) + (y + t) / (mu + t)))

    def info(t: float) -> float:
        return float(n * (polygamma(1, t) - 1 / t) - y_counts @ polygamma(1, t + y_values)
                     + np.sum(2 / (mu + t) - (y + t) / (mu + t) ** 2))

    denom = float(np.sum((y / mu - 1) ** 2))
    t = n / denom if denom > 0 else 1.0
    for _ in range(_MAX_ITER):
        t0 = t
        i = info(t)
        if not np.isfinite(i) or i <= 0:
            break
        t = t0 + score(t0) / i
        if t <= 0:
            t = t0 / 2
        if abs(t - t0) <= 1e-12 * max(t, 1.0):
            return t, 1.0 / math.sqrt(info(t))
        if t > 1e8:
            break
    raise ModelError(f"model {name!r}: the negative-binomial dispersion θ did not converge (θ = {t:.4g}); "
                     "the counts may show no overdispersion: use family: poisson")


def _hat(X: np.ndarray, w: np.ndarray, bread: np.ndarray) -> np.ndarray:
    xs = X * np.sqrt(w)[:, None]
    return np.einsum("ij,jk,ik->i", xs, bread, xs)


def fit_glm(y: np.ndarray | pd.Series, X: pd.DataFrame, family: str, name: str,
            robust: str = "nonrobust", ci: float = 0.95) -> GLMResult:
    """Fit a logit, Poisson or negative-binomial GLM by IRLS (see the module docstring).

    Parameters
    ----------
    y : array-like
        Outcome on the rows of ``X``: 0/1 for ``logit``, non-negative integers otherwise.
    X : pandas.DataFrame
        Design matrix including the intercept column; no missing values.
    family : {"logit", "poisson", "negbin"}
    name : str
        Model name for error messages.
    robust : {"nonrobust", "HC0", "HC1", "HC2", "HC3"}
    ci : float
        Coverage of the Wald intervals.

    Raises
    ------
    attachstats.errors.ModelError
        Wrong outcome values for the family, too few rows, aliased columns, no convergence.
    """
    from scipy import stats

    if family not in GLM_FAMILIES:
        raise ModelError(f"model {name!r}: family must be one of {', '.join(GLM_FAMILIES)}, got {family!r}")
    if robust not in ("nonrobust", "HC0", "HC1", "HC2", "HC3"):
        raise ModelError(f"model {name!r}: robust must be one of HC0, HC1, HC2, HC3 or nonrobust, got {robust!r}")
    yv = np.asarray(y, dtype=float)
    Xv = X.to_numpy(dtype=float)
    n, k = Xv.shape
    if family == "logit" and not np.isin(yv, (0.0, 1.0)).all():
        bad = yv[~np.isin(yv, (0.0, 1.0))][0]
        raise ModelError(f"model {name!r}: a logit outcome must be 0 or 1 (found {bad:g}); give a cutoff "
                         "to make a binary outcome from a score")
    if family != "logit" and ((yv < 0).any() or (yv != np.round(yv)).any()):
        bad = yv[(yv < 0) | (yv != np.round(yv))][0]
        raise ModelError(f"model {name!r}: a {family} outcome must be a count (non-negative integer), "
                         f"found {bad:g}")
    if family == "logit" and len(np.unique(yv)) < 2:
        raise ModelError(f"model {name!r}: the binary outcome has only one value ({yv[0]:g}) in the {n} rows")
    if n <= k:
        raise ModelError(f"model {name!r}: {n} complete row(s) for {k} parameters")
    alias = aliased_columns(Xv)
    if alias:
        raise ModelError(f"model {name!r}: term(s) {', '.join(repr(X.columns[j]) for j in alias)} are linear "
                         "combinations of the other terms (constant or collinear); remove them")

    theta, theta_se = math.inf, math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if family == "negbin":
            beta, mu, _, _, _ = _irls("poisson", yv, Xv, math.inf, None, name)
            theta, _ = theta_ml(yv, mu, name)
            ll_old = -math.inf
            for it in range(_MAX_ITER):
                beta, mu, w, dev, iters = _irls("negbin", yv, Xv, theta, beta, name)
                t_old = theta
                theta, theta_se = theta_ml(yv, mu, name)
                ll = _loglik("negbin", yv, mu, theta)
                if abs(theta - t_old) <= 1e-10 * theta and abs(ll - ll_old) <= 1e-10 * abs(ll):
                    break
                ll_old = ll
            else:
                raise ModelError(f"model {name!r}: the negative-binomial fit did not converge")
            beta, mu, w, dev, iters = _irls("negbin", yv, Xv, theta, beta, name)
        else:
            beta, mu, w, dev, iters = _irls(family, yv, Xv, math.inf, None, name)
    if family == "logit" and (np.min(mu) < 1e-10 or np.max(mu) > 1 - 1e-10):
        warnings.warn(f"model {name!r}: fitted probabilities numerically 0 or 1 occurred "
                      "(possible separation); interpret the odds ratios with care", stacklevel=2)

    xtwx = Xv.T @ (Xv * w[:, None])
    bread = np.linalg.inv(xtwx)
    hat = _hat(Xv, w, bread)
    if robust == "nonrobust":
        cov = bread
    else:
        _, dmu = _mean(family, Xv @ beta)
        e = (yv - mu) * dmu / _variance(family, mu, theta)
        omega = e * e
        if robust == "HC1":
            omega = omega * n / (n - k)
        elif robust == "HC2":
            omega = omega / (1 - hat)
        elif robust == "HC3":
            omega = omega / (1 - hat) ** 2
        meat = Xv.T @ (Xv * omega[:, None])
        cov = bread @ meat @ bread
    se = np.sqrt(np.diag(cov))
    z = beta / se
    p = 2 * stats.norm.sf(np.abs(z))
    q = stats.norm.ppf(0.5 + ci / 2)

    ll = _loglik(family, yv, mu, theta)
    mu0 = np.full(n, yv.mean())
    if family == "negbin":
        theta0, _ = theta_ml(yv, mu0, name)
        ll0 = _loglik("negbin", yv, mu0, theta0)
        null_dev = _deviance("negbin", yv, mu0, theta)
    else:
        ll0 = _loglik(family, yv, mu0, theta)
        null_dev = _deviance(family, yv, mu0, theta)
    npar = k + (1 if family == "negbin" else 0)
    nagelkerke = math.nan
    if family == "logit":
        nagelkerke = (1 - math.exp(2 * (ll0 - ll) / n)) / (1 - math.exp(2 * ll0 / n))
    fit = {"n": int(n), "loglik": ll, "aic": -2 * ll + 2 * npar, "bic": -2 * ll + math.log(n) * npar,
           "deviance": dev, "null_deviance": null_dev, "df_resid": int(n - k),
           "pseudo_r2": 1 - ll / ll0 if ll0 != 0 else math.nan, "nagelkerke_r2": nagelkerke,
           "theta": theta if family == "negbin" else math.nan,
           "theta_se": theta_se if family == "negbin" else math.nan, "iterations": int(iters)}
    return GLMResult(family=family, terms=list(X.columns), b=beta, se=se, stat=z, p=p,
                     ci_lo=beta - q * se, ci_hi=beta + q * se, cov=cov, mu=mu, weights=w, hat=hat, fit=fit)


def pearson_residuals(result: GLMResult, y: np.ndarray | pd.Series) -> np.ndarray:
    """Pearson residuals (y − μ)/√V(μ) of a fit (R ``residuals(fit, "pearson")``)."""
    theta = result.fit.get("theta", math.nan)
    var = _variance(result.family, result.mu, theta if result.family == "negbin" else math.inf)
    return (np.asarray(y, dtype=float) - result.mu) / np.sqrt(var)
