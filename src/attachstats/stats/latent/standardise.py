"""Standardised solution and its delta-method standard errors, as lavaan's ``standardizedSolution()``.

- :func:`std_all`: lavaan ``std.all`` of every row of a CFA parameter table — loadings
  λ·sqrt(ψ_ff)/sqrt(σ̂_ii); latent (co)variances ψ_fg/sqrt(ψ_ff ψ_gg); residual variances
  θ_ii/σ̂_ii; residual covariances θ_ij/sqrt(θ_ii θ_jj) (lavaan's default ``cov.std = TRUE``);
- :func:`complex_step_jacobian`: the exact Jacobian of such a map (complex-step derivative,
  exact to rounding), which lavaan gets from ``lav_func_jacobian_complex``;
- :func:`delta_method_se`: sqrt(diag(J V J')), with lavaan's rule that a standardised
  standard error below :data:`STD_SE_ZERO` (machine epsilon^¼ ≈ 1.2e-4) is set to 0
  (e.g. the standardised variance of a factor, or the residual variance of an item that
  hardly loads). Intervals are std ± 1.959964·se.

The multiple-group and SEM models standardise their own rows (means, regressions) but
share the Jacobian and the delta method.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from attachstats.stats.latent.engine import CovarianceModel

__all__ = ["STD_SE_ZERO", "std_all", "complex_step_jacobian", "delta_method_se"]

#: lavaan's standardizedSolution() sets standard errors below this to 0.
STD_SE_ZERO = np.finfo(float).eps ** 0.25


def std_all(model: CovarianceModel, theta: np.ndarray) -> np.ndarray:
    """lavaan ``std.all`` of every row of ``model.spec.rows`` (works on complex θ).

    Examples
    --------
    >>> from attachstats.stats.latent.engine import CFAModel
    >>> from attachstats.stats.latent.syntax import parse_syntax
    >>> model = CFAModel(parse_syntax("f =~ x1 + x2", "m"))
    >>> std_all(model, np.array([1.0, 0.5, 0.5, 1.0])).round(4)   # λ2, θ1, θ2, ψ
    array([0.8165, 0.8165, 0.3333, 0.3333, 1.    ])
    """
    mx = model.matrices(theta)
    lam, psi, th = mx["lambda"], mx["psi"], mx["theta"]
    sig_d = np.diag(lam @ psi @ lam.T + th)
    psi_d, th_d = np.diag(psi), np.diag(th)
    out = []
    for _, _, _, mat, i, j, _ in model.spec.rows:
        if mat == "lambda":
            out.append(lam[i, j] * np.sqrt(psi_d[j]) / np.sqrt(sig_d[i]))
        elif mat == "psi":
            out.append(psi[i, j] / np.sqrt(psi_d[i] * psi_d[j]))
        elif i == j:
            out.append(th[i, i] / sig_d[i])
        else:
            out.append(th[i, j] / np.sqrt(th_d[i] * th_d[j]))
    return np.array(out)


def complex_step_jacobian(func: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                          h: float = 1e-30) -> np.ndarray:
    """∂func/∂x by the complex-step derivative: column k is Im func(x + i·h·eₖ) / h.

    ``func`` must be analytic and accept complex input; the result is exact to rounding
    (no subtractive cancellation), shape (len(func(x)), len(x)).

    Examples
    --------
    >>> complex_step_jacobian(lambda t: np.array([t[0] * t[1], t[0] ** 2]), np.array([2.0, 3.0]))
    array([[3., 2.],
           [4., 0.]])
    """
    jac = None
    for k in range(len(x)):
        t = x.astype(complex)
        t[k] += 1j * h
        col = func(t).imag / h
        if jac is None:
            jac = np.empty((len(col), len(x)))
        jac[:, k] = col
    return jac if jac is not None else np.empty((len(func(x.astype(complex))), 0))


def delta_method_se(jac: np.ndarray, vcov: np.ndarray, zero_below: float = STD_SE_ZERO) -> np.ndarray:
    """Delta-method standard errors sqrt(diag(J V J')); NaN where the variance is negative.

    Standard errors below ``zero_below`` are set to 0 (lavaan's rule; pass 0 to keep them).

    Examples
    --------
    >>> delta_method_se(np.array([[1.0, 0.0], [0.0, 1e-5]]), np.eye(2))
    array([1., 0.])
    """
    var = np.einsum("ik,kl,il->i", jac, vcov, jac)
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.where(var < 0, np.nan, var))
    se[se < zero_below] = 0.0
    return se
