"""Full-information maximum likelihood (FIML) for CFA models with missing item responses.

Every respondent with at least one answered item contributes the normal log-likelihood of
the items they answered (lavaan's ``missing = "ml"``, estimator ML); rows with every item
missing are left out, as lavaan does. Checked against lavaan 0.6-14 by
``tests/unit/test_fiml.py``.

Model: the covariance structure of :class:`attachstats.stats.latent.engine.CFAModel` plus a free intercept per item
(the mean structure is saturated; latent means are 0), so μ = ν and Σ = ΛΨΛ' + Θ.

Computation
-----------
Rows are grouped by missing-data pattern and each pattern is summarised by its size nₖ,
mean mₖ and covariance Sₖ (divisor nₖ) on its observed items oₖ, so

    −2 logL(μ, Σ) = Σₖ nₖ [pₖ log 2π + log|Σₒₒ| + tr(Σₒₒ⁻¹ (Sₖ + dₖdₖ'))],  dₖ = mₖ − μₒ.

Patterns with the same number of observed items are processed as one batch (stacked
arrays), so the cost does not grow with Python loops over patterns.

- **Saturated model (h1)**: means and covariances by the EM algorithm (pattern-level
  expected sufficient statistics) to a relative change of 1e-12; its log-likelihood is
  lavaan's ``unrestricted.logl``.
- **Model (h0)**: starts from the complete-data ML fit to the EM moments
  (:func:`attachstats.stats.latent.engine.minimise`); then the engine's optimiser
  (:func:`~attachstats.stats.latent.engine.fisher_scoring`) on −2 logL / N, with the
  complete-data expected information as metric until the gradient norm is below 1e-5,
  then with the exact Hessian (central differences of the analytic gradient) until the
  predicted decrease is below the precision of the objective.
- **Standard errors**: observed information (that Hessian of −logL/N), lavaan's default for
  ``missing = "ml"``.
- **Fit**: χ² = 2 (logL_h1 − logL_h0); df = p(p+1)/2 − (number of covariance parameters);
  the baseline model has free means and variances (its ML estimates are each item's
  available-case mean and variance); CFI, TLI, RMSEA [90% CI] from these as for complete
  data, with N the number of rows used (lavaan additionally prints missing-data-corrected
  "robust" CFI/RMSEA for FIML, which are not computed here); SRMR is lavaan's with mean structure: the root mean
  square over the p means and p(p+1)/2 covariances of the residuals against the EM
  moments, each scaled by the EM standard deviations. The fit dictionary also holds
  ``n_patterns`` (missing-data patterns) and ``n_empty_rows`` (rows left out).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np

from attachstats.errors import ModelError
from attachstats.stats.latent.engine import (Z_95, CFAModel, Tolerances, check_degrees_of_freedom,
                                             check_sample_cov, checked_information, covariance_hessian,
                                             fisher_scoring, minimise, numeric_hessian)
from attachstats.stats.latent.fit_indices import fit_indices
from attachstats.stats.latent.standardise import complex_step_jacobian, delta_method_se
from attachstats.stats.latent.syntax import ParameterTable

__all__ = ["Patterns", "missing_patterns", "em_moments", "loglik", "FIMLFit", "fit_fiml"]

_LOG2PI = math.log(2 * math.pi)


@dataclass
class _Batch:
    """Patterns with the same number of observed items (arrays stacked along axis 0)."""

    obs: np.ndarray      # (K, po) observed item indices
    mis: np.ndarray      # (K, pu) missing item indices
    n: np.ndarray        # (K,) rows
    mean: np.ndarray     # (K, po)
    cov: np.ndarray      # (K, po, po), divisor n


@dataclass
class Patterns:
    """Missing-data patterns of a data matrix: the sufficient statistics FIML needs."""

    p: int
    n: int
    batches: list[_Batch]
    n_patterns: int
    n_empty: int          # rows without any observed item (not used)


def missing_patterns(x: np.ndarray) -> Patterns:
    """Group the rows of ``x`` (NaN = missing) by pattern of observed items."""
    x = np.asarray(x, dtype=float)
    obs = ~np.isnan(x)
    keep = obs.any(axis=1)
    x, obs = x[keep], obs[keep]
    p = x.shape[1]
    pats, inv = np.unique(obs, axis=0, return_inverse=True)
    inv = inv.ravel()
    by_size: dict[int, list] = {}
    for k, pat in enumerate(pats):
        rows = x[inv == k][:, pat]
        m = rows.mean(axis=0)
        c = rows - m
        by_size.setdefault(int(pat.sum()), []).append(
            (np.flatnonzero(pat), np.flatnonzero(~pat), len(rows), m, c.T @ c / len(rows)))
    batches = []
    for po in sorted(by_size):
        items = by_size[po]
        batches.append(_Batch(obs=np.array([i[0] for i in items], dtype=int).reshape(len(items), po),
                              mis=np.array([i[1] for i in items], dtype=int).reshape(len(items), p - po),
                              n=np.array([i[2] for i in items], dtype=float),
                              mean=np.array([i[3] for i in items]).reshape(len(items), po),
                              cov=np.array([i[4] for i in items]).reshape(len(items), po, po)))
    return Patterns(p=p, n=int(keep.sum()), batches=batches, n_patterns=len(pats),
                    n_empty=int((~keep).sum()))


def _sub(mat: np.ndarray, idx: np.ndarray, jdx: np.ndarray) -> np.ndarray:
    return mat[idx[:, :, None], jdx[:, None, :]]


def loglik(pat: Patterns, mu: np.ndarray, sigma: np.ndarray,
           gradient: bool = False) -> float | tuple[float, np.ndarray, np.ndarray]:
    """Log-likelihood of the observed data; with ``gradient`` also ∂logL/∂Σ and ∂logL/∂μ.

    ∂logL/∂Σ is the matrix derivative treating the entries of Σ as unconstrained (so the
    derivative along a symmetric direction D is ``sum(dS * D)``). Returns −inf if a Σₒₒ is
    not positive definite.
    """
    p = pat.p
    ll = 0.0
    g_sig = np.zeros((p, p))
    g_mu = np.zeros(p)
    for b in pat.batches:
        k, po = b.obs.shape
        s_oo = _sub(sigma, b.obs, b.obs)
        try:
            chol = np.linalg.cholesky(s_oo)
        except np.linalg.LinAlgError:
            return (-np.inf, g_sig, g_mu) if gradient else -np.inf
        logdet = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        inv = np.linalg.inv(s_oo)
        d = b.mean - mu[b.obs]
        m = b.cov + d[:, :, None] * d[:, None, :]
        ll -= 0.5 * float(np.sum(b.n * (po * _LOG2PI + logdet + np.einsum("kij,kji->k", inv, m))))
        if gradient:
            pmp = inv @ m @ inv
            local = -0.5 * b.n[:, None, None] * (inv - pmp)
            kk = np.arange(k)[:, None, None]
            full = np.zeros((k, p, p))
            full[kk, b.obs[:, :, None], b.obs[:, None, :]] = local
            g_sig += full.sum(axis=0)
            gm = np.zeros((k, p))
            gm[np.arange(k)[:, None], b.obs] = b.n[:, None] * np.einsum("kij,kj->ki", inv, d)
            g_mu += gm.sum(axis=0)
    if gradient:
        return ll, g_sig, g_mu
    return ll


def em_moments(pat: Patterns, tol: float = 1e-12, max_iter: int = 10000) -> tuple[np.ndarray, np.ndarray, int]:
    """ML means and covariance matrix of the saturated model by EM.

    Starts from the available-case means and variances (covariances 0); stops when the
    largest change of a mean or covariance, relative to the item variances, is below
    ``tol``. Returns (μ, Σ, iterations).
    """
    p, n = pat.p, pat.n
    sx = np.zeros(p)
    sxx = np.zeros(p)
    cnt = np.zeros(p)
    for b in pat.batches:
        for k in range(len(b.n)):
            o = b.obs[k]
            cnt[o] += b.n[k]
            sx[o] += b.n[k] * b.mean[k]
            sxx[o] += b.n[k] * (np.diag(b.cov[k]) + b.mean[k] ** 2)
    mu = sx / cnt
    sigma = np.diag(sxx / cnt - mu ** 2)
    scale = np.sqrt(np.outer(np.diag(sigma), np.diag(sigma)))
    for it in range(1, max_iter + 1):
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        for b in pat.batches:
            k, po = b.obs.shape
            nk = b.n
            q = nk[:, None, None] * (b.cov + b.mean[:, :, None] * b.mean[:, None, :])  # Σ x_o x_o'
            sm = nk[:, None] * b.mean                                                    # Σ x_o
            if b.mis.shape[1] == 0:
                loc1, loc2 = sm, q
                perm = b.obs
            else:
                s_oo = _sub(sigma, b.obs, b.obs)
                s_uo = _sub(sigma, b.mis, b.obs)
                s_uu = _sub(sigma, b.mis, b.mis)
                beta = np.linalg.solve(s_oo, s_uo.transpose(0, 2, 1)).transpose(0, 2, 1)  # Σ_uo Σ_oo⁻¹
                cond = s_uu - beta @ s_uo.transpose(0, 2, 1)
                a = mu[b.mis] - np.einsum("kuo,ko->ku", beta, mu[b.obs])
                bsm = np.einsum("kuo,ko->ku", beta, sm)                                # B Σx_o
                su = nk[:, None] * a + bsm                                               # Σ E[x_u]
                suo = a[:, :, None] * sm[:, None, :] + beta @ q                          # Σ E[x_u x_o']
                suu = (nk[:, None, None] * (cond + a[:, :, None] * a[:, None, :])
                       + a[:, :, None] * bsm[:, None, :] + bsm[:, :, None] * a[:, None, :]
                       + beta @ q @ beta.transpose(0, 2, 1))
                loc1 = np.concatenate([sm, su], axis=1)
                top = np.concatenate([q, suo.transpose(0, 2, 1)], axis=2)
                bot = np.concatenate([suo, suu], axis=2)
                loc2 = np.concatenate([top, bot], axis=1)
                perm = np.concatenate([b.obs, b.mis], axis=1)
            full1 = np.zeros((k, p))
            full1[np.arange(k)[:, None], perm] = loc1
            full2 = np.zeros((k, p, p))
            full2[np.arange(k)[:, None, None], perm[:, :, None], perm[:, None, :]] = loc2
            t1 += full1.sum(axis=0)
            t2 += full2.sum(axis=0)
        mu_new = t1 / n
        sig_new = t2 / n - np.outer(mu_new, mu_new)
        sig_new = (sig_new + sig_new.T) / 2
        change = max(np.max(np.abs(mu_new - mu) / np.sqrt(np.diag(sig_new))),
                     np.max(np.abs(sig_new - sigma) / scale))
        mu, sigma = mu_new, sig_new
        if change < tol:
            return mu, sigma, it
    warnings.warn(f"EM for the saturated model stopped after {max_iter} iterations "
                  f"(last change {change:.2g})", stacklevel=2)
    return mu, sigma, max_iter


#: Stopping rules of the h0 optimisation: no gradient rule, predicted decrease below 1e-15
#: relative (the precision of −2 logL / N), line search down to 1e-10, 200 iterations.
FIML_TOLERANCES = Tolerances(gradient=0.0, decrement=1e-15, relative=True, progress=None,
                             min_step=1e-10, max_iter=200)


@dataclass
class FIMLFit:
    """A FIML estimate (computation only; :func:`attachstats.stats.latent.cfa.fit_cfa` tabulates it).

    Attributes
    ----------
    model : CFAModel
        The covariance structure.
    n : int
        Rows used (at least one answered item).
    theta : ndarray
        Covariance-structure estimates (θ of ``model``).
    intercepts : ndarray
        Item intercepts ν (= model-implied means).
    vcov : ndarray
        Covariance matrix of (θ, ν) from the observed information.
    fit : dict
        Keys :data:`attachstats.stats.latent.fit_indices.FIT_COLUMNS` (estimator ``"FIML"``)
        plus ``n_patterns`` and ``n_empty_rows``.
    sample_cov, implied_cov : ndarray
        The EM (saturated-model) covariance matrix and Σ(θ̂).
    intercept_rows : list of dict
        Parameter-table rows (without ``model``) of the item intercepts and the fixed latent
        means (``op`` ``"~1"``), with standardised values (lavaan ``std.all``).
    """

    model: CFAModel
    n: int
    theta: np.ndarray
    intercepts: np.ndarray
    vcov: np.ndarray
    fit: dict
    sample_cov: np.ndarray
    implied_cov: np.ndarray
    intercept_rows: list[dict]


def fit_fiml(x: np.ndarray, spec: ParameterTable, name: str) -> FIMLFit:
    """FIML fit of a parsed CFA model with a saturated mean structure (lavaan ``missing = "ml"``).

    Parameters
    ----------
    x : ndarray
        The model's items (columns in the order of ``spec.observed``), NaN = missing; rows
        without any answer are left out.
    spec : ParameterTable
        From :func:`attachstats.stats.latent.syntax.parse_syntax`.
    name : str
        Model name for messages and the fit dictionary.

    Returns
    -------
    FIMLFit

    Raises
    ------
    ModelError
        Fewer than two usable rows, an item with fewer than two answers, a singular EM
        covariance matrix, more parameters than moments, a model that is not identified or
        an optimisation that does not converge.

    Examples
    --------
    R: ``lavaan::cfa(syntax, data, missing = "ml")``; here through
    ``fit_cfa(data, syntax, name, missing="fiml")``.
    """
    pat = missing_patterns(x)
    n, p = pat.n, pat.p
    if n < 2:
        raise ModelError(f"model {name!r}: {n} row(s) with an answered item, too few to fit the model")
    answered = ~np.isnan(x[~np.isnan(x).all(axis=1)])
    if (answered.sum(axis=0) < 2).any():
        bad = [c for c, k in zip(spec.observed, answered.sum(axis=0)) if k < 2]
        raise ModelError(f"model {name!r}: fewer than two answers to {', '.join(bad)}")
    mu_h1, sig_h1, _ = em_moments(pat)
    check_sample_cov(sig_h1, spec.observed, n, name)
    ll_h1 = loglik(pat, mu_h1, sig_h1)

    model = CFAModel(spec)
    q = model.npar
    df = check_degrees_of_freedom(p, q, name)
    theta0, failure = minimise(model, sig_h1, np.linalg.slogdet(sig_h1)[1], name)
    if failure is not None:
        raise ModelError(f"model {name!r}: ML estimation (start of FIML) did not converge: {failure}")

    def split(par: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return par[:q], par[q:]

    def fun(par: np.ndarray) -> float:
        th, nu = split(par)
        return -2 * loglik(pat, nu, model.sigma(th)) / n

    def grad(par: np.ndarray) -> np.ndarray:
        th, nu = split(par)
        ll, g_sig, g_mu = loglik(pat, nu, model.sigma(th), gradient=True)
        if not np.isfinite(ll):
            return np.zeros(len(par))
        g_th = model.dsigma(th).reshape(q, -1) @ g_sig.ravel()
        return -2 * np.concatenate([g_th, g_mu]) / n

    par = np.concatenate([theta0, mu_h1])
    par, hess, failure = _optimise(model, fun, grad, par)
    th, nu = split(par)
    sig = model.sigma(th)
    info = checked_information(lambda: hess / 2, failure, name)
    vcov = np.linalg.inv(info) / n

    ll = -n * fun(par) / 2
    x2 = 2 * (ll_h1 - ll)
    # baseline: each item's available-case mean and variance
    ll_b = 0.0
    for j in range(p):
        v = x[:, j][~np.isnan(x[:, j])]
        ll_b -= len(v) / 2 * (_LOG2PI + math.log(v.var()) + 1)
    x2b = 2 * (ll_h1 - ll_b)
    sd = np.sqrt(np.diag(sig_h1))
    r_cov = ((sig_h1 - sig) / np.outer(sd, sd))[np.tril_indices(p)]
    r_mean = (mu_h1 - nu) / sd
    srmr = math.sqrt((np.sum(r_cov ** 2) + np.sum(r_mean ** 2)) / (len(r_cov) + p))
    fit = fit_indices(name, "FIML", n, x2, df, x2b, p * (p - 1) // 2, srmr, ll, q + p)
    fit["n_patterns"] = pat.n_patterns
    fit["n_empty_rows"] = pat.n_empty

    se = np.sqrt(np.clip(np.diag(vcov), 0, None))
    std, std_se = _standardised_intercepts(model, par, vcov)
    rows = [{"lhs": v, "op": "~1", "rhs": "", "free": True, "est": float(nu[i]),
             "se": float(se[q + i]), "std": float(std[i]), "std_se": float(std_se[i]),
             "std_ci_lo": float(std[i] - Z_95 * std_se[i]),
             "std_ci_hi": float(std[i] + Z_95 * std_se[i])} for i, v in enumerate(spec.observed)]
    rows += [{"lhs": f, "op": "~1", "rhs": "", "free": False, "est": 0.0, "se": math.nan,
              "std": 0.0, "std_se": math.nan, "std_ci_lo": math.nan, "std_ci_hi": math.nan}
             for f in spec.latent]
    return FIMLFit(model=model, n=n, theta=th, intercepts=nu, vcov=vcov, fit=fit, sample_cov=sig_h1,
                   implied_cov=sig, intercept_rows=rows)


def _standardised_intercepts(model: CFAModel, par: np.ndarray, vcov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """lavaan ``std.all`` of the intercepts, ν/σ̂ᵢ, with delta-method SEs (complex step)."""
    q = model.npar

    def std(x: np.ndarray) -> np.ndarray:
        return x[q:] / np.sqrt(np.diag(model.sigma(x[:q])))

    jac = complex_step_jacobian(std, par)
    return std(par), delta_method_se(jac, vcov, zero_below=0.0)


def _optimise(model: CFAModel, fun: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray],
              par: np.ndarray) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Minimise ``fun``; returns the estimate, the Hessian of ``fun`` there, and a failure note.

    The engine's :func:`~attachstats.stats.latent.engine.fisher_scoring` with a switching
    metric: first H = the complete-data expected information at Σ(θ) (cheap; linear
    convergence at the rate of the fraction of missing information) until the gradient
    norm is below 1e-5, then the exact Hessian (central differences of the analytic
    gradient, :func:`~attachstats.stats.latent.engine.numeric_hessian`), which is also
    returned for the standard errors.
    """
    q = model.npar
    exact: list[np.ndarray] = []                  # the exact Hessian, once computed

    def metric(x: np.ndarray, g: np.ndarray) -> np.ndarray:
        if not exact and float(np.linalg.norm(g)) < 1e-5:
            exact.append(numeric_hessian(grad, x))
        if exact:
            return exact[0]
        th = x[:q]
        inv = np.linalg.inv(model.sigma(th))
        h = np.zeros((len(x), len(x)))
        h[:q, :q] = covariance_hessian(model, th, inv)
        h[q:, q:] = 2 * inv
        return h

    par = fisher_scoring(fun, grad, metric, par, FIML_TOLERANCES).x
    gnorm = float(np.linalg.norm(grad(par)))
    h_exact = exact[0] if exact else numeric_hessian(grad, par)
    if gnorm > 1e-6:
        return par, h_exact, f"gradient norm {gnorm:.2g} at the end of the FIML optimisation"
    return par, h_exact, None
