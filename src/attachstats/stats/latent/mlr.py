"""Robust maximum likelihood (lavaan's ``estimator = "MLR"`` on complete data).

The point estimates are the ML estimates; what changes are the standard errors and the test
statistic, both corrected for non-normal data (here: 5- and 7-point items with skew and
kurtosis). The conventions are lavaan 0.6's for ``estimator = "MLR"`` on complete data
(``se = "robust.huber.white"``, ``test = "yuan.bentler.mplus"``, ``information =
"observed"``, ``h1.information = "structured"``, no mean structure), checked against lavaan
0.6-14 by ``tests/unit/test_robust.py``.

Sandwich standard errors
------------------------
Cov(θ̂) = A⁻¹ B A⁻¹ / N with A the observed information per case (the Hessian of F/2 at θ̂,
F the ML discrepancy; computed by central differences of the analytic gradient) and B the
first-order information, the mean outer product of the casewise scores
∂ℓᵢ/∂θₖ = ½ (wᵢ' ∂ₖΣ wᵢ − tr(Σ̂⁻¹ ∂ₖΣ)), wᵢ = Σ̂⁻¹ (xᵢ − x̄).

Scaled test statistic (Yuan–Bentler, Mplus variant)
---------------------------------------------------
χ²_scaled = χ²_ML / c with c = tr(U Γ) / df, computed as Mplus does:
tr(UΓ) = tr(A₁⁻¹B₁) − tr(A⁻¹B), where A₁, B₁ are the expected and first-order information
of the saturated model at the sample moments. For the saturated covariance model
tr(A₁⁻¹B₁) = ½ (mean(dᵢ²) − p) with dᵢ = (xᵢ − x̄)' S⁻¹ (xᵢ − x̄) (Mardia's multivariate
kurtosis, minus its normal-theory part), so no p²×p² matrix is formed. The baseline
(independence) model's factor uses tr(A⁻¹B) = Σⱼ ½ (m₄ⱼ / sⱼⱼ² − 1).

Robust fit indices (Brosseau-Liard & Savalei 2014; lavaan's ``cfi.robust``, ``tli.robust``,
``rmsea.robust`` and its interval):
CFI = 1 − max(χ² − c·df, 0) / max(χ² − c·df, χ²_b − c_b·df_b, 0);
TLI = 1 − (χ² − c·df)·df_b / ((χ²_b − c_b·df_b)·df);
RMSEA = sqrt(max(χ²/(N·df) − c/N, 0)), with χ² the unscaled ML statistic; the 90% interval
inverts the non-central χ² at χ²_scaled and multiplies the non-centrality by c.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from attachstats.stats.latent.engine import CFAModel, numeric_hessian
from attachstats.stats.latent.fit_indices import chi2_pvalue, cfi_tli, rmsea, rmsea_ci

__all__ = ["MLRStatistics", "casewise_scores", "mlr_statistics",
           "robust_indices"]


@dataclass
class MLRStatistics:
    """Robust quantities of one fitted model (computation only).

    Attributes
    ----------
    vcov : ndarray
        Sandwich covariance matrix of the free parameters, A⁻¹BA⁻¹/N.
    trace_h1, trace_h0 : float
        tr(A₁⁻¹B₁) (saturated model) and tr(A⁻¹B) (this model).
    scaling_factor : float
        c = (trace_h1 − trace_h0) / df (NaN when df = 0 or c < 0, as lavaan).
    baseline_scaling_factor : float
        The same for the independence model.
    """

    vcov: np.ndarray
    trace_h1: float
    trace_h0: float
    scaling_factor: float
    baseline_scaling_factor: float


def casewise_scores(model: CFAModel, theta: np.ndarray, z: np.ndarray) -> np.ndarray:
    """∂ℓᵢ/∂θ for every case (rows of ``z``, centred at the sample mean), shape (N, npar).

    Uses the rank-two structure of ∂Σ/∂θₖ in a CFA model, so the cost is O(N·p·m) rather
    than O(N·p²·npar).
    """
    mx = model.matrices(theta)
    lam, psi = mx["lambda"], mx["psi"]
    sig = lam @ psi @ lam.T + mx["theta"]
    inv = np.linalg.inv(sig)
    w = z @ inv                                    # rows wᵢ' = zᵢ' Σ⁻¹
    wl = w @ lam                                   # (N, m): wᵢ' Λ
    wlp = w @ (lam @ psi)                          # (N, m): wᵢ' Λ Ψ
    quad = np.empty((z.shape[0], model.npar))
    for k, (mat, i, j) in enumerate(model.free):
        if mat == "lambda":
            quad[:, k] = 2 * w[:, i] * wlp[:, j]
        elif mat == "psi":
            quad[:, k] = wl[:, i] * wl[:, j] * (1 if i == j else 2)
        else:
            quad[:, k] = w[:, i] * w[:, j] * (1 if i == j else 2)
    tr = np.einsum("kij,ij->k", model.dsigma(theta), inv)
    return 0.5 * (quad - tr)


def mlr_statistics(model: CFAModel, theta: np.ndarray, x: np.ndarray, s: np.ndarray,
                   grad: Callable[[np.ndarray], np.ndarray], df: int) -> MLRStatistics:
    """Sandwich covariance and Yuan–Bentler (Mplus) scaling factors of an ML fit.

    Parameters
    ----------
    model : CFAModel
        The fitted model.
    theta : ndarray
        ML estimates.
    x : ndarray
        The complete-case data (N × p).
    s : ndarray
        Sample covariance matrix (divisor N).
    grad : callable
        Gradient of the ML discrepancy F (so the observed information is its Jacobian / 2).
    df : int
        Degrees of freedom of the model.

    Returns
    -------
    MLRStatistics

    Notes
    -----
    lavaan: ``cfa(..., estimator = "MLR")``; ``lavInspect(fit, "vcov")`` and
    ``fitMeasures(fit, c("chisq.scaling.factor", "baseline.chisq.scaling.factor"))``.
    """
    n, p = x.shape
    z = x - x.mean(axis=0)
    a0 = numeric_hessian(grad, theta) / 2                  # observed information per case
    a0_inv = np.linalg.inv(a0)
    sc = casewise_scores(model, theta, z)
    b0 = sc.T @ sc / n
    vcov = a0_inv @ b0 @ a0_inv / n
    vcov = (vcov + vcov.T) / 2
    d = np.einsum("ij,ij->i", z @ np.linalg.inv(s), z)     # Mahalanobis distances
    trace_h1 = 0.5 * (float(np.mean(d ** 2)) - p)
    trace_h0 = float(np.sum(b0 * a0_inv.T))
    c = (trace_h1 - trace_h0) / df if df > 0 else math.nan
    if c < 0:
        c = math.nan
    sdiag = np.diag(s)
    trace_b0 = float(np.sum(0.5 * (np.mean(z ** 4, axis=0) / sdiag ** 2 - 1)))
    dfb = p * (p - 1) // 2
    cb = (trace_h1 - trace_b0) / dfb if dfb > 0 else math.nan
    return MLRStatistics(vcov=vcov, trace_h1=trace_h1, trace_h0=trace_h0, scaling_factor=c,
                         baseline_scaling_factor=cb)


def robust_indices(fit: dict, stats: MLRStatistics) -> dict:
    """Replace the ML test and indices of a fit dictionary by their robust versions.

    ``fit`` holds the ML statistics (keys of
    :data:`attachstats.stats.latent.fit_indices.FIT_COLUMNS`); the returned copy has
    ``chi2`` and ``p`` scaled, ``cfi``, ``tli``, ``rmsea`` and its interval robust
    (lavaan's ``chisq.scaled``, ``cfi.robust``, ``tli.robust``, ``rmsea.robust``),
    ``chi2_ml`` the unscaled statistic and the two scaling factors.
    """
    out = dict(fit)
    x2, df, n = fit["chi2"], fit["df"], fit["n"]
    x2b, dfb = fit["baseline_chi2"], fit["baseline_df"]
    c, cb = stats.scaling_factor, stats.baseline_scaling_factor
    out["estimator"] = "MLR"
    out["chi2_ml"] = x2
    out["scaling_factor"] = c
    out["baseline_scaling_factor"] = cb
    if not (df > 0 and np.isfinite(c)):          # saturated model: nothing to scale
        return out
    x2s = x2 / c
    out["chi2"] = x2s
    out["p"] = chi2_pvalue(x2s, df)
    out["cfi"], out["tli"] = cfi_tli(x2, df, x2b, dfb, c, cb)
    out["rmsea"] = rmsea(x2, df, n, c)
    lo, hi = rmsea_ci(x2s, df, n)
    out["rmsea_ci_lo"], out["rmsea_ci_hi"] = lo * math.sqrt(c), hi * math.sqrt(c)
    return out
