"""Exploratory factor analysis as R's ``psych`` does it: KMO, Bartlett, parallel analysis,
minres / ML extraction and oblique rotation (GPA oblimin and geomin, promax).

Every function works on a correlation matrix (or a DataFrame of items, from which the
Pearson correlations of the complete cases are taken) and returns plain arrays or
DataFrames; numbers equal those of psych 2.2.9 / GPArotation 2022.10 (checked by
``tests/unit/test_efa.py`` against fixtures from ``tests/fixtures/efa/make_efa_fixtures.R``).
factor_analyzer is not used: its ``FactorAnalyzer.fit`` fails on scikit-learn ≥ 1.6.

Methods
-------
- **KMO** (``psych::KMO``): with Q the partial correlations (the inverse correlation matrix
  scaled to unit diagonal), MSA = Σr² / (Σr² + Σq²) over the off-diagonal elements; per
  item the same over its column.
- **Bartlett's test** (``psych::cortest.bartlett``): χ² = −(n − 1 − (2p + 5)/6)·log|R| on
  p(p − 1)/2 df (log|R| from the LU decomposition, which does not underflow; a matrix that
  is not positive definite, where psych returns NaN or Inf, is a :class:`ModelError`).
- **minres** (psych's default): the uniquenesses ψ minimise the sum of squared residuals
  Σ_{k>m} λₖ(R − Ψ)² (= ULS; the minres solution of Harman), with the exact gradient
  −2·diag(R − Ψ − LL'), by L-BFGS-B within [0.005, max(1, SMC)] as psych, from
  ψ = 1 − SMC, to a projected gradient of 1e-12; L = the first m eigenvectors of R − Ψ
  scaled by the square roots of their eigenvalues.
- **ML**: ψ minimises the ML discrepancy of the factor model, profiled over the loadings
  (Jöreskog 1967; psych's ``FAfn``/``FAgr``, R's ``factanal``), L = Ψ^½ V (E − 1)^½.
- **Rotation**: the gradient projection algorithm for oblique rotation (Bernaards &
  Jennrich 2005) from the identity, stopping when the projected gradient norm falls below
  ``eps`` = 1e-5 (GPArotation's ``GPFoblq`` default, which psych uses): quartimin
  (``oblimin``, γ = 0) and geomin (``geominQ``, δ = 0.01). ``promax`` is psych's: rows
  scaled to unit length (Kaiser), varimax (R's ``varimax`` iteration and stopping rule,
  1e-5), the power-4 target rotation, Φ = U⁻¹U⁻ᵀ, rows scaled back. ``varimax`` is R's
  (orthogonal).
- Afterwards, as psych (``fac``): columns are reflected to positive sums, named in the
  order the rotation returned them (``MR1, MR2, …``), and then ordered by the variance
  they account for, diag(Φ L'L), decreasing — the names travel with the columns, so the
  first column can be ``MR2`` (psych: ``colnames(loadings) <- paste("MR", 1:nfactors)``
  before ``loadings[, ev.order]``). Communality h2 = Σ of the unrotated squared loadings,
  u2 = 1 − h2, complexity = (Σλ²)² / Σλ⁴ of the rotated pattern (Hofmann).
- **Heywood cases**: items whose communality h2 reaches 1 (u2 ≤ 0) are listed in
  :attr:`EFAResult.heywood`; psych warns "An ultra-Heywood case was detected" when an h2
  exceeds 1. The fit is still returned (the optimiser did converge), flagged.
- **Fit** (``psych::fa.stats``, what ``fa`` reports as ``objective``, ``STATISTIC``, ``dof``,
  ``PVAL``, ``TLI``, ``RMSEA``, ``BIC``; :func:`fa_fit`): with M = LΦL' with unit diagonal
  and both M and R passed through ``cor.smooth``, the objective is
  F = tr(M⁻¹R) − log|M⁻¹R| − p; χ² = F·(n − 1 − (2p + 5)/6 − 2m/3) (Bartlett's correction,
  negative values set to 0) on df = p(p − 1)/2 − pm + m(m − 1)/2; TLI = (M₀ − F/df) /
  (M₀ − 1/ν) with M₀ = 2F₀/(p(p − 1)), F₀ = tr(R) − log|R| − p and ν the correction factor;
  RMSEA = √max(χ²/(df·n) − 1/(n − 1), 0) with the 90% interval (psych's ``alpha = .1``) from
  the noncentral χ² and BIC = χ² − df·log n. As psych, RMSEA and BIC use the χ² before it is
  set to 0.
- **Parallel analysis** (Horn 1965, ``psych::fa.parallel`` with ``fa = "fa"``): the
  "factor" eigenvalues are those of R with the communalities of a one-factor minres
  solution on the diagonal; the same is computed for ``n_iter`` correlation matrices of
  normal data of the same size (drawn from their exact Wishart distribution, from the given
  seed, at a cost that does not depend on the number of cases); the number of factors is the number of leading observed eigenvalues that exceed
  the ``quantile`` (default 95th, R's type-7 quantile) of the simulated ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from attachstats.errors import ModelError
from attachstats.stats.rng import seeded_rng
from attachstats.stats.threads import small_matrix_work

__all__ = ["EFAResult", "EFAFit", "ParallelResult", "correlation_matrix", "kmo", "bartlett", "smc",
           "fa_fit", "cor_smooth",
           "extract", "rotate", "fit_efa", "parallel_analysis", "ROTATIONS", "METHODS",
           "loading_table", "wishart_identity", "PSI_LOWER", "principal_loadings", "minres",
           "minres_criterion", "minres_newton", "MINRES_ROUND", "quartimin", "geomin", "gpa_oblique", "small_inverse", "oblimin", "varimax"]

ROTATIONS = ("oblimin", "geomin", "promax", "varimax", "none")
METHODS = ("minres", "ml")
_PREFIX = {"minres": "MR", "ml": "ML"}


# ---------------------------------------------------------------------------------------
# correlations and sampling adequacy
# ---------------------------------------------------------------------------------------

def correlation_matrix(items: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Pearson correlations of the complete cases of ``items`` and their number.

    Raises
    ------
    ModelError
        Fewer complete cases than items + 1, a constant item, or a non-numeric column.
    """
    try:
        x = items.apply(pd.to_numeric).to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise ModelError("EFA: the items must be numeric") from None
    x = x[~np.isnan(x).any(axis=1)]
    n, p = x.shape
    if n <= p:
        raise ModelError(f"EFA: {n} complete cases for {p} items; at least {p + 1} are needed")
    sd = x.std(axis=0)
    if (sd == 0).any():
        raise ModelError("EFA: item(s) without variance in the complete cases: "
                         + ", ".join(str(c) for c, s in zip(items.columns, sd) if s == 0))
    return np.corrcoef(x, rowvar=False), n


def _inverse(r: np.ndarray) -> np.ndarray:
    try:
        inv = np.linalg.inv(r)
    except np.linalg.LinAlgError:
        raise ModelError("EFA: the correlation matrix is singular (collinear items)") from None
    if np.linalg.eigvalsh(r)[0] < 1e-12:
        raise ModelError("EFA: the correlation matrix is singular (collinear items)")
    return inv


def smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations ``1 − 1/diag(R⁻¹)``, clipped to [0, 1], as ``psych::smc``.

    Works on one matrix ``(p, p)`` or a stack ``(B, p, p)``. A singular stack is inverted by
    the pseudo-inverse (psych does the same); :func:`extract` refuses singular matrices
    before it gets here.

    Examples
    --------
    >>> r = np.array([[1, .5, .5], [.5, 1, .5], [.5, .5, 1]])
    >>> np.round(smc(r), 4).tolist()
    [0.3333, 0.3333, 0.3333]
    """
    try:
        inv = np.linalg.inv(r)
    except np.linalg.LinAlgError:
        inv = np.linalg.pinv(r)
    return np.clip(1.0 - 1.0 / np.diagonal(inv, axis1=-2, axis2=-1), 0.0, 1.0)


def kmo(r: np.ndarray) -> tuple[float, np.ndarray]:
    """Kaiser–Meyer–Olkin measure of sampling adequacy: (overall MSA, MSA per item)."""
    inv = _inverse(r)
    d = 1 / np.sqrt(np.diag(inv))
    q = inv * np.outer(d, d)
    r2, q2 = r ** 2, q ** 2
    np.fill_diagonal(r2, 0)
    np.fill_diagonal(q2, 0)
    overall = r2.sum() / (r2.sum() + q2.sum())
    per_item = r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0))
    return float(overall), per_item


def bartlett(r: np.ndarray, n: int) -> tuple[float, int, float]:
    """Bartlett's test that R is an identity matrix: (χ², df, p), as ``psych::cortest.bartlett``.

    χ² = −(n − 1 − (2p + 5)/6)·log|R| on p(p − 1)/2 df; log|R| is taken from the LU
    decomposition (``slogdet``), so a large, positive definite R does not underflow to
    ``log(0)``.

    Parameters
    ----------
    r : ndarray (p, p)
        Correlation matrix.
    n : int
        Number of cases behind ``r``.

    Raises
    ------
    ModelError
        ``r`` is not positive definite (an eigenvalue ≤ 0: collinear items, or pairwise
        correlations that no data set can have). psych then returns no test: χ² = NaN
        when |R| < 0 (with a warning from ``log``), Inf with p = 0 when |R| = 0, and a
        number without meaning when an even number of eigenvalues is negative.

    Examples
    --------
    >>> chi, df, p = bartlett(np.array([[1, .5], [.5, 1]]), 100)
    >>> round(chi, 2), df, p < 1e-5
    (28.05, 1, True)
    """
    from scipy.stats import chi2

    r = np.asarray(r, dtype=float)
    p = r.shape[0]
    low = float(np.linalg.eigvalsh(r)[0])
    sign, logdet = np.linalg.slogdet(r)
    if not (low > 0 and sign > 0 and np.isfinite(logdet)):
        raise ModelError(f"Bartlett's test: the {p} × {p} correlation matrix is not positive definite "
                         f"(smallest eigenvalue {low:.3g}): items are collinear, or pairwise-complete "
                         "correlations are inconsistent; drop redundant items or use complete cases")
    stat = -logdet * (n - 1 - (2 * p + 5) / 6)
    df = p * (p - 1) // 2
    return float(stat), df, float(chi2.sf(stat, df))


# ---------------------------------------------------------------------------------------
# extraction
# ---------------------------------------------------------------------------------------

#: psych's lower bound on uniquenesses.
PSI_LOWER = 0.005


def principal_loadings(a: np.ndarray, nf: int) -> tuple[np.ndarray, np.ndarray]:
    """Loadings ``V sqrt(max(λ, 0))`` of the ``nf`` largest eigenvalues of each matrix of a
    stack ``(B, p, p)``, largest first, and the residual matrices ``a − LL'``.

    This is psych's ``FAout.wls`` step of every minres fit (R: ``eigen(R - diag(psi))``).

    Examples
    --------
    >>> lam, res = principal_loadings(np.array([[[2.0, 0.0], [0.0, 1.0]]]), 1)
    >>> np.round(lam[0], 4).tolist(), round(float(abs(res).sum()), 4)
    ([[1.4142], [0.0]], 1.0)
    """
    vals, vecs = np.linalg.eigh(a)
    vals, vecs = vals[:, ::-1][:, :nf], vecs[:, :, ::-1][:, :, :nf]
    lam = vecs * np.sqrt(np.maximum(vals, 0.0))[:, None, :]
    return lam, a - lam @ lam.transpose(0, 2, 1)


def _minus_diag(r: np.ndarray, psi: np.ndarray) -> np.ndarray:
    """``R − diag(ψ)`` for a stack of matrices and uniquenesses."""
    out = r.copy()
    idx = np.arange(r.shape[-1])
    out[:, idx, idx] -= psi
    return out


def minres(r: np.ndarray, nf: int, start: np.ndarray | None = None, tol: float = 1e-10,
           ftol: float = 1e-10, max_iter: int = 20000, newton: bool = True) -> np.ndarray:
    """Unrotated minimum-residual (ULS) loadings of a stack of correlation matrices at once.

    The fast variant used by :mod:`attachstats.stats.omega` and its bootstrap (R:
    ``psych::fa(r, nf, fm = "minres", rotate = "none")``); :func:`extract` is the single-
    matrix variant with psych's optimiser. It minimises the sum of squared residuals of
    ``R − diag(ψ)`` about its best rank-``nf`` approximation over uniquenesses ψ in
    ``[0.005, max(1, smc)]`` (psych's bounds), from ``1 − smc`` unless ``start`` is given.
    The minimum is the fixed point of iterated principal axes,
    ``ψ ← clip(diag(R) − diag(LL'))`` (the diagonal is fitted exactly and the gradient
    ``−2 diag(R − Ψ − LL')`` vanishes or points out of the bounds), approached with SQUAREM
    acceleration (Varadhan & Roland, 2008).

    With ``newton`` (the default) the iteration runs in rounds of :data:`MINRES_ROUND`
    evaluations, and after each round every matrix not yet finished tries projected Newton
    steps on the same criterion (:func:`minres_newton`: exact gradient and Hessian,
    :func:`minres_criterion`). A matrix is finished when Newton reaches a Karush–Kuhn–Tucker
    point (projected gradient below 1e-10) or when the fixed-point iteration meets one of
    its stopping rules (no uniqueness moves by more than ``tol``, or an acceleration cycle
    lowers the criterion by less than ``ftol``; psych's L-BFGS-B stops at a decrease of
    about 2e-9) and Newton cannot improve on it; at most ``max_iter`` evaluations. Newton
    starts only after a round of the fixed-point iteration: resample correlation matrices
    often have several local minima (a Heywood solution with a uniqueness on its bound,
    and one without), and Newton from the start values can land on another one than the
    iteration's. Result: the limit of the fixed-point iteration from psych's start values,
    to about 1e-10 in the projected gradient, at about a third of the cost. Where the
    criterion is flat the stopping rules alone stop up to ~1e-2 (in a uniqueness) short
    of that limit, which is what ``newton=False`` returns (the algorithm before Newton
    steps were added, kept to compare with).

    Parameters
    ----------
    r : ndarray (k, k) or (B, k, k)
    nf : int
    start : ndarray (k,) or (B, k), optional
    tol, ftol, max_iter
        Stopping rules of the fixed-point iteration.
    newton : bool, default True

    Returns
    -------
    ndarray (k, nf) or (B, k, nf)
        Loadings: eigenvectors scaled by the square roots of the eigenvalues (psych's
        ``FAout.wls``).

    Examples
    --------
    >>> lam = np.array([.8, .7, .6, .5])
    >>> r = np.outer(lam, lam); np.fill_diagonal(r, 1)
    >>> np.round(np.abs(minres(r, 1)[:, 0]), 3).tolist()
    [0.8, 0.7, 0.6, 0.5]
    """
    single = r.ndim == 2
    rs = r[None] if single else r
    diag = np.diagonal(rs, axis1=1, axis2=2)
    s = smc(rs)
    upper = np.maximum(1.0, s.max(axis=1))[:, None]
    psi0 = 1.0 - s if start is None else np.broadcast_to(np.asarray(start, float), diag.shape)
    psi = np.clip(psi0, PSI_LOWER, upper)
    f_prev = np.full(len(rs), np.inf)
    going = np.arange(len(rs))
    if not newton:
        _squarem(rs, diag, upper, nf, psi, f_prev, going, tol, ftol, max_iter)
    else:
        evals = 0
        while going.size and evals < max_iter:
            moving = _squarem(rs, diag, upper, nf, psi, f_prev, going, tol, ftol, MINRES_ROUND)
            evals += MINRES_ROUND
            stopped = ~np.isin(going, moving)
            solved = minres_newton(rs, upper, nf, psi, going)
            going = going[~(solved | stopped)]
    lam, _ = principal_loadings(_minus_diag(rs, psi), nf)
    return lam[0] if single else lam


#: Evaluations of the fixed-point iteration between two Newton attempts of :func:`minres`.
MINRES_ROUND = 21


def _squarem(rs: np.ndarray, diag: np.ndarray, upper: np.ndarray, nf: int, psi: np.ndarray,
             f_prev: np.ndarray, active: np.ndarray, tol: float, ftol: float, max_evals: int) -> np.ndarray:
    """SQUAREM-accelerated principal-axes iterations of :func:`minres` on the matrices
    ``active`` for at most ``max_evals`` evaluations; updates ``psi`` and ``f_prev`` in place
    and returns the matrices that have not met a stopping rule."""
    def step(idx: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lam, e = principal_loadings(_minus_diag(rs[idx], p), nf)
        new = np.clip(diag[idx] - (lam * lam).sum(axis=2), PSI_LOWER, upper[idx])
        return new, (e * e).sum(axis=(1, 2))

    evals = 0
    while active.size and evals < max_evals:
        p0 = psi[active]
        p1, f0 = step(active, p0)
        done = (np.abs(p1 - p0).max(axis=1) < tol) | (f_prev[active] - f0 < ftol)
        psi[active[done]] = p1[done]
        f_prev[active] = f0
        active, p0, p1 = active[~done], p0[~done], p1[~done]
        if not active.size:
            break
        p2, f1 = step(active, p1)
        d1 = p1 - p0
        v = (p2 - p1) - d1
        nv = np.sqrt((v * v).sum(axis=1))
        a = np.where(nv > 0, -np.sqrt((d1 * d1).sum(axis=1)) / np.where(nv > 0, nv, 1.0), -1.0)
        a = np.minimum(a, -1.0)[:, None]
        cand, f_cand = step(active, np.clip(p0 - 2.0 * a * d1 + a * a * v, PSI_LOWER, upper[active]))
        psi[active] = np.where((f_cand <= f1)[:, None], cand, p2)
        evals += 3
    return active


def minres_criterion(r: np.ndarray, psi: np.ndarray, nf: int, hessian: bool = True
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """The minres criterion of :func:`minres`, its gradient and Hessian for a stack.

    ``f(ψ) = Σ_{k > nf} λ_k²`` over the eigenvalues of ``R − diag(ψ)`` below the ``nf``
    largest; with ``v_k`` the eigenvectors, ``S`` the residual and ``K`` the kept ones,
    ``∂f/∂ψ_i = −2 Σ_{k∈S} λ_k v_ik²`` and, from first-order eigenvector perturbation,
    ``∂²f/∂ψ_i∂ψ_j = 2 (P_S)_ij² + 4 Σ_{k∈S, l∈K} λ_k/(λ_k − λ_l) v_ik v_jk v_il v_jl`` with
    ``P_S = Σ_{k∈S} v_k v_k'`` (pairs within ``S`` sum to the first term, so equal residual
    eigenvalues do no harm).

    Parameters
    ----------
    r : ndarray (B, k, k)
    psi : ndarray (B, k)
    nf : int
    hessian : bool, default True

    Returns
    -------
    f (B,), gradient (B, k), Hessian (B, k, k) or None, gap (B,)
        ``gap`` is the smallest kept eigenvalue minus the largest residual one (the
        Hessian needs it positive; the loadings need the kept eigenvalues positive too).

    Examples
    --------
    >>> r = np.array([[[1, .5, .4], [.5, 1, .3], [.4, .3, 1]]])
    >>> f, g, h, gap = minres_criterion(r, np.full((1, 3), .6), 1)
    >>> h.shape, bool(gap[0] > 0)
    ((1, 3, 3), True)
    """
    w, v = np.linalg.eigh(_minus_diag(r, psi))          # ascending: the last nf are kept
    ws, vs = w[:, :-nf], v[:, :, :-nf]
    f = (ws * ws).sum(axis=1)
    g = -2.0 * np.einsum("bis,bs->bi", vs * vs, ws)
    gap = np.minimum(w[:, -nf], w[:, -nf] - w[:, -nf - 1])
    if not hessian:
        return f, g, None, gap
    wk, vk = w[:, -nf:], v[:, :, -nf:]
    proj = vs @ vs.transpose(0, 2, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = ws[:, :, None] / (ws[:, :, None] - wk[:, None, :])
    m = vs[:, :, :, None] * vk[:, :, None, :]
    h = 2.0 * proj * proj + 4.0 * np.einsum("bisk,bjsk,bsk->bij", m, m, c)
    return f, g, h, gap


def minres_newton(rs: np.ndarray, upper: np.ndarray, nf: int, psi: np.ndarray, idx: np.ndarray,
                  gtol: float = 1e-10, max_steps: int = 30) -> np.ndarray:
    """Projected Newton steps (Bertsekas 1982) for the minres criterion of the matrices
    ``rs[idx]`` (:func:`minres_criterion`) from ``psi[idx]``; writes the solutions into
    ``psi`` where they converge and returns, per matrix of ``idx``, whether it did.

    Bound coordinates whose gradient points outwards are held; the Newton system of the
    others is solved by Cholesky, and the step is halved along the projection arc until
    the criterion falls (Armijo, with a slack at the rounding level of f). A matrix is
    done when the projected gradient ``ψ − clip(ψ − ∇f)`` is below ``gtol`` in every
    coordinate; it is given up (its ``psi`` left as it was) when its free Hessian is not
    positive definite, its kept and residual eigenvalues are not separated, or a step
    fails to lower the criterion.
    """
    lo, hi = PSI_LOWER, upper[idx]
    x = psi[idx].copy()
    r = rs[idx]
    ok = np.zeros(len(idx), dtype=bool)
    going = np.arange(len(idx))
    eye = np.eye(x.shape[1])
    for _ in range(max_steps):
        if not going.size:
            break
        xg, hg = x[going], hi[going]
        f, g, h, gap = minres_criterion(r[going], xg, nf)
        pg = np.abs(xg - np.clip(xg - g, lo, hg)).max(axis=1)
        conv = (gap > 1e-8) & (pg < gtol)
        ok[going[conv]] = True
        held = ((xg <= lo) & (g > 0)) | ((xg >= hg) & (g < 0))
        free = ~held
        hf = np.where(free[:, :, None] & free[:, None, :], h, eye)
        chol, pd_ok = _cholesky_stack(hf)
        sel = np.flatnonzero(~conv & (gap > 1e-8) & pd_ok)
        if not sel.size:
            break
        going, xg, hg, f, g, c = going[sel], xg[sel], hg[sel], f[sel], g[sel], chol[sel]
        gf = np.where(free[sel], g, 0.0)
        step = np.linalg.solve(c.transpose(0, 2, 1), np.linalg.solve(c, -gf[:, :, None]))[:, :, 0]
        t = np.ones(len(going))
        moved = np.zeros(len(going), dtype=bool)
        trying = np.arange(len(going))
        for _ in range(30):
            cand = np.clip(xg[trying] + t[trying, None] * step[trying], lo, hg[trying])
            fc, *_ = minres_criterion(r[going[trying]], cand, nf, hessian=False)
            decrease = (g[trying] * (xg[trying] - cand)).sum(axis=1)
            accept = fc <= f[trying] - 1e-4 * np.maximum(decrease, 0.0) + 1e-14 * np.maximum(f[trying], 1.0)
            xg[trying[accept]] = cand[accept]
            moved[trying[accept]] = True
            trying = trying[~accept]
            if not trying.size:
                break
            t[trying] *= 0.5
        x[going] = xg
        going = going[moved]
    psi[idx[ok]] = x[ok]
    return ok


def _cholesky_stack(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cholesky factors of a stack of symmetric matrices and which are positive definite
    (the identity stands in for the factor of one that is not)."""
    try:
        return np.linalg.cholesky(h), np.ones(len(h), dtype=bool)
    except np.linalg.LinAlgError:
        out, ok = np.empty_like(h), np.ones(len(h), dtype=bool)
        for j, m in enumerate(h):
            try:
                out[j] = np.linalg.cholesky(m)
            except np.linalg.LinAlgError:
                out[j], ok[j] = np.eye(len(m)), False
        return out, ok


def _minres_objective(r: np.ndarray, m: int) -> Callable:
    def fg(psi: np.ndarray) -> tuple[float, np.ndarray]:
        w, v = np.linalg.eigh(r - np.diag(psi))
        rest, vr = w[:-m], v[:, :-m]              # eigh: ascending; the last m are kept
        f = float(np.sum(rest ** 2))
        g = -2 * (vr ** 2) @ rest                 # −2 diag(R − Ψ − LL')
        return f, g
    return fg


def _ml_objective(r: np.ndarray, m: int) -> Callable:
    p = r.shape[0]

    def fg(psi: np.ndarray) -> tuple[float, np.ndarray]:
        sc = 1 / np.sqrt(psi)
        w, v = np.linalg.eigh(r * np.outer(sc, sc))
        rest = w[:-m]
        f = -float(np.sum(np.log(rest) - rest)) - m + p
        lam = v[:, -m:] * np.sqrt(np.maximum(w[-m:] - 1, 0))
        load = lam * np.sqrt(psi)[:, None]
        g = np.diag(load @ load.T) + psi - np.diag(r)
        return f, g / psi ** 2
    return fg


@dataclass
class _Extraction:
    loadings: np.ndarray        # unrotated, p × m
    uniquenesses: np.ndarray
    converged: bool
    objective: float


def extract(r: np.ndarray, n_factors: int, method: str = "minres") -> _Extraction:
    """Unrotated factor loadings by minres or ML (see the module docstring)."""
    from scipy.optimize import minimize

    if method not in METHODS:
        raise ModelError(f"EFA: unknown extraction method {method!r}; implemented: {', '.join(METHODS)}")
    p = r.shape[0]
    m = int(n_factors)
    if not 1 <= m < p:
        raise ModelError(f"EFA: {m} factors for {p} items is not possible")
    dof = ((p - m) ** 2 - (p + m)) / 2
    if dof < 0:
        raise ModelError(f"EFA: {m} factors for {p} items leave negative degrees of freedom")
    _inverse(r)                                   # singular matrices are refused
    s = smc(r)
    upper = max(float(s.max()), 1.0)
    start = np.diag(r) - s
    fg = _minres_objective(r, m) if method == "minres" else _ml_objective(r, m)
    res = minimize(fg, start, jac=True, method="L-BFGS-B", bounds=[(PSI_LOWER, upper)] * p,
                   options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000, "maxcor": 20})
    psi = res.x
    if method == "minres":
        lam = principal_loadings(_minus_diag(r[None], psi[None]), m)[0][0]
    else:
        sc = 1 / np.sqrt(psi)
        w, v = np.linalg.eigh(r * np.outer(sc, sc))
        lam = (v[:, -m:][:, ::-1] * np.sqrt(np.maximum(w[-m:][::-1] - 1, 0))) * np.sqrt(psi)[:, None]
    # projected gradient: zero at the solution, or pointing outwards at an active bound
    g = res.jac
    pg = np.where((psi <= PSI_LOWER + 1e-12) & (g > 0) | (psi >= upper - 1e-12) & (g < 0), 0.0, g)
    converged = bool(np.max(np.abs(pg)) < 1e-6)
    return _Extraction(loadings=lam, uniquenesses=psi, converged=converged, objective=float(res.fun))


# ---------------------------------------------------------------------------------------
# rotation
# ---------------------------------------------------------------------------------------

def quartimin(lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Direct quartimin criterion (oblimin with γ = 0) of a stack of loadings ``(B, p, m)``
    and its gradient: ``f = Σ λ²ᵢⱼ λ²ᵢₗ / 4`` over ``j ≠ l`` (``GPArotation::vgQ.oblimin``).

    Examples
    --------
    >>> f, g = quartimin(np.array([[[1.0, 0.0], [0.0, 1.0]]]))
    >>> f.tolist(), g.shape
    ([0.0], (1, 2, 2))
    """
    l2 = lam * lam
    x = l2 @ (1.0 - np.eye(lam.shape[-1]))
    return (l2 * x).sum(axis=(1, 2)) / 4.0, lam * x


def geomin(lam: np.ndarray, delta: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Geomin criterion of a stack of loadings ``(B, p, m)`` and its gradient
    (``GPArotation::vgQ.geomin``, δ = 0.01)."""
    k = lam.shape[-1]
    l2 = lam ** 2 + delta
    pro = np.exp(np.log(l2).sum(axis=-1) / k)
    return pro.sum(axis=-1), (2 / k) * (lam / l2) * pro[..., None]


def small_inverse(t: np.ndarray) -> np.ndarray:
    """Inverses of a stack of 2 × 2 or 3 × 3 matrices by the adjugate (one vectorised
    formula instead of a LAPACK call per matrix); other sizes by :func:`numpy.linalg.inv`.

    Examples
    --------
    >>> t = np.array([[[2.0, 1.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]])
    >>> bool(np.allclose(small_inverse(t)[0] @ t[0], np.eye(3)))
    True
    """
    m = t.shape[-1]
    if m == 2:
        a, b, c, d = t[:, 0, 0], t[:, 0, 1], t[:, 1, 0], t[:, 1, 1]
        det = a * d - b * c
        adj = np.stack([np.stack([d, -b], axis=1), np.stack([-c, a], axis=1)], axis=1)
        return adj / det[:, None, None]
    if m != 3:
        return np.linalg.inv(t)
    (a, b, c), (d, e, f), (g, h, i) = \
        [[t[:, j, k] for k in range(3)] for j in range(3)]
    co = np.empty_like(t)                     # the adjugate (transposed cofactors)
    co[:, 0, 0], co[:, 0, 1], co[:, 0, 2] = e * i - f * h, c * h - b * i, b * f - c * e
    co[:, 1, 0], co[:, 1, 1], co[:, 1, 2] = f * g - d * i, a * i - c * g, c * d - a * f
    co[:, 2, 0], co[:, 2, 1], co[:, 2, 2] = d * h - e * g, b * g - a * h, a * e - b * d
    det = a * co[:, 0, 0] + b * co[:, 1, 0] + c * co[:, 2, 0]
    return co / det[:, None, None]


def gpa_oblique(a: np.ndarray, criterion: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
                t0: np.ndarray | None = None, eps: float = 1e-5,
                max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Oblique rotation of a stack of loadings by gradient projection (Bernaards & Jennrich
    2005; ``GPArotation::GPFoblq``), each matrix with its own step size.

    Parameters
    ----------
    a : ndarray (B, p, m)
        Loadings to rotate.
    criterion : callable
        ``criterion(lam) -> (f (B,), gradient (B, p, m))``, e.g. :func:`quartimin`, :func:`geomin`.
    t0 : ndarray (B, m, m), optional
        Starting rotations (the identity, as GPArotation, unless given).
    eps : float
        Stop when the projected gradient norm falls below it (GPArotation's 1e-5).
    max_iter : int

    Returns
    -------
    pattern (B, p, m), Phi (B, m, m), T (B, m, m), converged (B,)
        Pattern loadings ``a (T')⁻¹``, factor correlations ``T'T``, rotations, and whether
        each met ``eps``.

    Examples
    --------
    >>> a = np.array([[[.8, .2], [.7, .3], [.2, .8], [.3, .7]]])
    >>> lam, phi, t, ok = gpa_oblique(a, quartimin)
    >>> bool(ok[0]), phi.shape
    (True, (1, 2, 2))
    """
    nb, _, nc = a.shape
    t = np.broadcast_to(np.eye(nc), (nb, nc, nc)).copy() if t0 is None else t0.copy()

    def at(idx: np.ndarray, tm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        inv = small_inverse(tm)
        lam = a[idx] @ inv.transpose(0, 2, 1)
        f, gq = criterion(lam)
        return lam, f, gq, inv

    # the state of the matrices still rotating is kept compact (one row per such matrix);
    # finished ones are written out, so late iterations touch only the few that remain
    going = np.arange(nb)
    converged = np.zeros(nb, dtype=bool)
    lam_out, t_out = np.empty_like(a, dtype=float), t
    t = t.copy()
    lam, f, gq, inv = at(going, t)
    g = -(lam.transpose(0, 2, 1) @ gq @ inv).transpose(0, 2, 1)
    al = np.ones(nb)
    for _ in range(max_iter + 1):
        gp = g - t * (t * g).sum(axis=1)[:, None, :]
        s = np.sqrt((gp * gp).sum(axis=(1, 2)))
        keep = s >= eps
        if not keep.all():
            done = ~keep
            converged[going[done]] = True
            lam_out[going[done]], t_out[going[done]] = lam[done], t[done]
            going, gp, s, t, lam, f, g, al = (x[keep] for x in (going, gp, s, t, lam, f, g, al))
        if not going.size:
            break
        al *= 2.0
        xm = t - al[:, None, None] * gp
        tt = xm / np.sqrt((xm * xm).sum(axis=1))[:, None, :]
        lt, ft, gqt, invt = at(going, tt)
        failed = ~(f - ft > 0.5 * s ** 2 * al)
        al[failed] /= 2.0
        sub = np.flatnonzero(failed)
        for _ in range(10):
            if not sub.size:
                break
            xm = t[sub] - al[sub][:, None, None] * gp[sub]
            cand = xm / np.sqrt((xm * xm).sum(axis=1))[:, None, :]
            lc, fc, gqc, invc = at(going[sub], cand)
            tt[sub], lt[sub], ft[sub], gqt[sub], invt[sub] = cand, lc, fc, gqc, invc
            failed = ~(f[sub] - fc > 0.5 * s[sub] ** 2 * al[sub])
            al[sub[failed]] /= 2.0
            sub = sub[failed]
        t, lam, f = tt, lt, ft
        g = -(lt.transpose(0, 2, 1) @ gqt @ invt).transpose(0, 2, 1)
    lam_out[going], t_out[going] = lam, t          # those that did not converge
    lam, t = lam_out, t_out
    return lam, t.transpose(0, 2, 1) @ t, t, converged


def oblimin(a: np.ndarray, t0: np.ndarray | None = None, eps: float = 1e-5,
            max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Oblique quartimin rotation of a stack ``(B, p, m)`` (``GPArotation::oblimin`` defaults).

    :func:`gpa_oblique` with :func:`quartimin`; returns pattern ``(B, p, m)``, Phi
    ``(B, m, m)`` and T ``(B, m, m)``.
    """
    lam, phi, t, _ = gpa_oblique(a, quartimin, t0, eps, max_iter)
    return lam, phi, t


def _varimax_rotation(x: np.ndarray, eps: float = 1e-5, max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Kaiser-normalised varimax of a stack ``(B, p, m)``: rotated loadings and rotations."""
    _, p, nc = x.shape
    sc = np.sqrt((x * x).sum(axis=2, keepdims=True))
    z0 = x / sc
    t = np.broadcast_to(np.eye(nc), (len(x), nc, nc)).copy()
    d = np.zeros(len(x))
    going = np.arange(len(x))
    for _ in range(max_iter):
        z = z0[going] @ t[going]
        b = z0[going].transpose(0, 2, 1) @ (z ** 3 - z * ((z * z).sum(axis=1, keepdims=True) / p))
        u, sv, vt = np.linalg.svd(b)
        t[going] = u @ vt
        d_new = sv.sum(axis=1)
        stop = d_new < d[going] * (1 + eps)
        d[going] = d_new
        going = going[~stop]
        if not going.size:
            break
    return (z0 @ t) * sc, t


def varimax(x: np.ndarray, eps: float = 1e-5, max_iter: int = 1000) -> np.ndarray:
    """Kaiser-normalised varimax rotation, as R's ``stats::varimax`` (same stopping rule).

    ``x`` is one loading matrix ``(p, m)`` or a stack ``(B, p, m)``; each is rotated on its
    own. (R scales ``z %*% diag(colSums(z^2)) / p`` in that order; here the column sums are
    divided by p first, which can differ in the last bit.)

    Examples
    --------
    >>> rot = varimax(np.array([[.7, .3], [.6, .4], [.3, .7], [.2, .6]]))
    >>> rot.shape
    (4, 2)
    """
    single = x.ndim == 2
    xs = x[None] if single else x
    if xs.shape[2] < 2:
        return x
    out, _ = _varimax_rotation(xs, eps, max_iter)
    return out[0] if single else out


def _promax(a: np.ndarray, power: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """psych's ``promax`` (``kaiser(rotate = "Promax")``): rows normalised to unit length,
    varimax, a least-squares fit to the powered target, rows rescaled."""
    h = np.sqrt((a ** 2).sum(axis=1))
    x, rot = (m[0] for m in _varimax_rotation((a / h[:, None])[None]))
    target = x * np.abs(x) ** (power - 1)
    u = np.linalg.lstsq(x, target, rcond=None)[0]
    d = np.diag(np.linalg.inv(u.T @ u))
    u = u * np.sqrt(d)
    z = x @ u
    ui = np.linalg.inv(rot @ u)
    return z * h[:, None], ui @ ui.T


def rotate(loadings: np.ndarray, rotation: str = "oblimin", eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray, bool]:
    """Rotate a loading matrix; returns (pattern loadings, factor correlations Φ, converged)."""
    k = loadings.shape[1]
    if rotation not in ROTATIONS:
        raise ModelError(f"EFA: unknown rotation {rotation!r}; implemented: {', '.join(ROTATIONS)}")
    if k < 2 or rotation == "none":
        return loadings.copy(), np.eye(k), True
    if rotation in ("oblimin", "geomin"):
        lam, phi, _, ok = gpa_oblique(loadings[None], quartimin if rotation == "oblimin" else geomin, eps=eps)
        return lam[0], phi[0], bool(ok[0])
    if rotation == "promax":
        lam, phi = _promax(loadings)
        return lam, phi, True
    return varimax(loadings), np.eye(k), True


# ---------------------------------------------------------------------------------------
# fit of the factor model (psych's fa.stats)
# ---------------------------------------------------------------------------------------

def cor_smooth(r: np.ndarray, eig_tol: float = 1e-12) -> np.ndarray:
    """A correlation matrix made positive definite, as ``psych::cor.smooth``.

    Unchanged when its smallest eigenvalue is at least machine epsilon; otherwise
    eigenvalues below ``eig_tol`` are set to ``100·eig_tol``, all are rescaled to sum to p,
    and the rebuilt matrix is scaled back to a unit diagonal (``cov2cor``).

    Examples
    --------
    >>> r = np.array([[1, .9, -.9], [.9, 1, .9], [-.9, .9, 1]])
    >>> bool(np.linalg.eigvalsh(cor_smooth(r))[0] > 0)
    True
    """
    vals, vecs = np.linalg.eigh(r)
    if vals.min() >= np.finfo(float).eps:
        return r
    vals = np.where(vals < eig_tol, 100 * eig_tol, vals)
    vals = vals * r.shape[0] / vals.sum()
    x = (vecs * vals) @ vecs.T
    d = 1 / np.sqrt(np.diag(x))
    return x * np.outer(d, d)


def _log_det(x: np.ndarray) -> float:
    """R's ``log(det(x))``: NaN for a negative determinant, −Inf for a zero one."""
    sign, logdet = np.linalg.slogdet(x)
    return float(logdet) if sign > 0 else (-math.inf if sign == 0 else math.nan)


@dataclass(frozen=True)
class EFAFit:
    """Fit of an EFA solution as ``psych::fa`` reports it (see :func:`fa_fit`).

    Attributes (psych's names in brackets)
    --------------------------------------
    objective : float
        The ML discrepancy of the model-implied correlations [``objective``].
    chi2 : float
        Bartlett-corrected likelihood-ratio χ², at least 0 [``STATISTIC``].
    df : float
        Degrees of freedom [``dof``].
    p : float
        Upper-tail p of ``chi2`` (NaN when df ≤ 0) [``PVAL``].
    tli : float
        Tucker–Lewis index [``TLI``]; may exceed 1, as psych's (NaN when df ≤ 0).
    rmsea, rmsea_ci_lo, rmsea_ci_hi : float
        RMSEA and its interval [``RMSEA``: ``RMSEA, lower, upper``]; a bound psych cannot
        find (or that falls on the wrong side of the estimate) is NaN.
    rmsea_ci_level : float
        Coverage of the interval [``RMSEA["confidence"]``], 0.90 by default.
    bic : float
        χ² − df·log n [``BIC``].
    null_chi2, null_df : float
        The independence model's χ² and df [``null.chisq``, ``null.dof``].
    """

    objective: float
    chi2: float
    df: float
    p: float
    tli: float
    rmsea: float
    rmsea_ci_lo: float
    rmsea_ci_hi: float
    rmsea_ci_level: float
    bic: float
    null_chi2: float
    null_df: float


def _ncp_root(stat: float, df: float, target: float, upper: float) -> float:
    """The noncentrality x in [0, upper] with P(χ²(df, x) ≤ stat) = target (R: ``uniroot``);
    NaN when the interval has no sign change (``uniroot`` fails)."""
    from scipy.optimize import brentq
    from scipy.stats import chi2, ncx2

    def f(x: float) -> float:
        return float((chi2.cdf(stat, df) if x == 0 else ncx2.cdf(stat, df, x)) - target)

    lo, hi = f(0.0), f(upper)
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo * hi > 0:
        return math.nan
    return float(brentq(f, 0.0, upper, xtol=1e-12, rtol=1e-14, maxiter=500))


def fa_fit(r: np.ndarray, loadings: np.ndarray, phi: np.ndarray | None, n_obs: int,
           alpha: float = 0.1, smooth: bool = True) -> EFAFit:
    """Fit statistics of a factor solution, as ``psych::fa.stats`` (what ``psych::fa`` returns).

    Parameters
    ----------
    r : ndarray (p, p)
        The correlation matrix that was factored.
    loadings : ndarray (p, m)
        Pattern loadings (rotated or not: the model-implied matrix LΦL' is the same).
    phi : ndarray (m, m), optional
        Factor correlations (None or identity for orthogonal solutions).
    n_obs : int
        Number of cases.
    alpha : float, default 0.1 (``psych::fa``'s)
        1 − coverage of the RMSEA interval.
    smooth : bool, default True (psych's)
        Pass R and the model matrix through :func:`cor_smooth` first.

    Returns
    -------
    EFAFit

    Notes
    -----
    R: ``f <- psych::fa(r, nfactors, n.obs = n); f$STATISTIC; f$dof; f$PVAL; f$TLI; f$RMSEA;
    f$BIC``. psych finds the RMSEA bounds with ``uniroot`` at its default tolerance
    (about 1e-4 in the noncentrality); here the roots are exact, so the bounds agree with
    psych's to about 1e-6 relative. Where psych returns TLI = −Inf (df = 0), TLI is NaN.

    Examples
    --------
    >>> lam = np.array([[.8], [.7], [.6], [.5]])
    >>> r = lam @ lam.T; np.fill_diagonal(r, 1)
    >>> fit = fa_fit(r, lam, None, 200)
    >>> round(fit.chi2, 6), fit.df, round(fit.rmsea, 6)
    (0.0, 2.0, 0.0)
    """
    from scipy.stats import chi2 as chi2_dist

    r = np.asarray(r, dtype=float)
    lam = np.asarray(loadings, dtype=float)
    p, m = lam.shape
    model = lam @ lam.T if phi is None else lam @ phi @ lam.T
    rstar2 = float(((r - model) ** 2).sum())
    model = model.copy()
    np.fill_diagonal(model, np.diag(r))
    model = cor_smooth(model)
    rs = cor_smooth(r) if smooth else r
    try:
        m_inv_r = np.linalg.solve(model, rs)
    except np.linalg.LinAlgError:
        m_inv_r = np.eye(p)                      # psych: "fits are wrong"
    objective = float(np.trace(m_inv_r)) - _log_det(m_inv_r) - p
    if math.isinf(objective):
        objective = rstar2
    dof = p * (p - 1) / 2 - p * m + m * (m - 1) / 2
    nm = (n_obs - 1) - (2 * p + 5) / 6 - (2 * m) / 3
    chisq = objective * nm                       # psych's `chisq`: RMSEA and BIC use it unclipped
    stat = chisq if math.isnan(chisq) or chisq >= 0 else 0.0
    pval = float(chi2_dist.sf(stat, dof)) if dof > 0 else math.nan
    f0 = float(np.trace(rs)) - _log_det(rs) - p
    if math.isinf(f0):
        f0 = float((r * r).sum())
    m0 = f0 * 2 / (p * (p - 1))
    tli = (m0 - objective / dof) / (m0 - 1 / nm) if dof > 0 else math.nan
    rmsea = lo = hi = bic = math.nan
    level = 1 - alpha
    if dof > 0 and not math.isnan(objective):
        rmsea = math.sqrt(max(chisq / (dof * n_obs) - 1 / (n_obs - 1), 0.0))
        tail = alpha / 2
        upper = max(n_obs, chisq) + 2 * n_obs
        cdf = float(chi2_dist.cdf(stat, dof))
        hi = 0.0
        if cdf > tail:
            root = _ncp_root(stat, dof, tail, upper)
            hi = math.sqrt(root / (n_obs - 1) / dof) if np.isfinite(root) else (0.0 if rmsea <= 0 else math.nan)
        lo = 0.0
        if cdf > 1 - tail:
            root = _ncp_root(stat, dof, 1 - tail, upper)
            lo = math.sqrt(root / (n_obs - 1) / dof) if np.isfinite(root) else math.nan
        if not math.isnan(hi) and hi < rmsea:
            hi = math.nan
        if not math.isnan(lo) and lo > rmsea:
            lo = math.nan
        bic = chisq - dof * math.log(n_obs)
    return EFAFit(objective=objective, chi2=float(stat), df=float(dof), p=pval, tli=float(tli),
                  rmsea=rmsea, rmsea_ci_lo=lo, rmsea_ci_hi=hi, rmsea_ci_level=level, bic=bic,
                  null_chi2=f0 * ((n_obs - 1) - (2 * p + 5) / 6), null_df=p * (p - 1) / 2)


# ---------------------------------------------------------------------------------------
# the EFA
# ---------------------------------------------------------------------------------------

@dataclass
class EFAResult:
    """An exploratory factor analysis (computation only; see :func:`fit_efa`).

    Attributes
    ----------
    items : list of str
    factors : list of str
        Factor names, psych's: ``MR1, MR2, …`` (minres) or ``ML1, …`` (ML) numbered in the
        order the rotation returns the factors, listed in the order of variance accounted
        for after rotation (so ``MR2, MR1, MR3`` is possible, as in psych).
    loadings : DataFrame
        Pattern loadings, items × factors.
    phi : DataFrame
        Factor correlations (identity for orthogonal rotations).
    h2, u2, complexity : Series
        Communality, uniqueness and Hofmann's complexity per item.
    values : ndarray
        Eigenvalues of R with the communalities on the diagonal (psych ``values``).
    e_values : ndarray
        Eigenvalues of R (psych ``e.values``).
    variance : DataFrame
        psych's ``Vaccounted``: per factor ``ss_loadings, proportion_var, cumulative_var,
        proportion_explained, cumulative_proportion``.
    n : int
    method, rotation : str
    converged : bool
        Extraction and rotation both converged.
    kmo : float
        Overall MSA; ``msa`` per item.
    heywood : list of str
        Items whose communality h2 is 1 or more (Heywood, h2 = 1, and ultra-Heywood,
        h2 > 1, cases; psych warns "An ultra-Heywood case was detected" for h2 > 1). The
        solution is improper where this is not empty, even when ``converged``.
    fit : EFAFit, optional
        psych's fit statistics (:func:`fa_fit`).
    """

    items: list[str]
    factors: list[str]
    loadings: pd.DataFrame
    phi: pd.DataFrame
    h2: pd.Series
    u2: pd.Series
    complexity: pd.Series
    values: np.ndarray
    e_values: np.ndarray
    variance: pd.DataFrame
    n: int
    method: str
    rotation: str
    converged: bool
    kmo: float = math.nan
    msa: pd.Series = field(default_factory=pd.Series)
    heywood: list[str] = field(default_factory=list)
    fit: EFAFit | None = None


@small_matrix_work
def fit_efa(r: np.ndarray, n_factors: int, items: list[str], n: int, method: str = "minres",
            rotation: str = "oblimin", eps: float = 1e-5) -> EFAResult:
    """Exploratory factor analysis of a correlation matrix, as ``psych::fa``.

    Parameters
    ----------
    r : ndarray
        Correlation matrix (p × p).
    n_factors : int
    items : list of str
        Item names (rows of the loading table).
    n : int
        Number of cases behind ``r`` (for the fit statistics, :attr:`EFAResult.fit`).
    method : {"minres", "ml"}
    rotation : {"oblimin", "geomin", "promax", "varimax", "none"}
    eps : float
        Convergence criterion of the GPA rotations (GPArotation's default 1e-5).

    Examples
    --------
    >>> lam = np.array([[.8, 0], [.7, 0], [.6, 0], [0, .8], [0, .7], [0, .6]])
    >>> r = lam @ lam.T
    >>> np.fill_diagonal(r, 1)
    >>> res = fit_efa(r, 2, [f"x{i}" for i in range(6)], n=500)
    >>> np.round(res.loadings.abs().max(axis=1).to_numpy(), 3).tolist()
    [0.8, 0.7, 0.6, 0.8, 0.7, 0.6]
    """
    ex = extract(r, n_factors, method)
    lam = ex.loadings
    sign = np.sign(lam.sum(axis=0))
    sign[sign == 0] = 1
    lam = lam * sign
    h2 = (lam ** 2).sum(axis=1)
    rot, phi, conv = rotate(lam, rotation, eps)
    sign = np.sign(rot.sum(axis=0))
    sign[sign == 0] = 1
    rot = rot * sign
    phi = phi * np.outer(sign, sign)
    ev = np.diag(phi @ rot.T @ rot)
    order = np.argsort(-ev, kind="stable")        # R's order(decreasing = TRUE) is stable too
    rot, phi, ev = rot[:, order], phi[np.ix_(order, order)], ev[order]
    # psych names the columns before it orders them: the names travel with the columns
    names = [f"{_PREFIX[method]}{k + 1}" for k in order]
    reduced = r.copy()
    np.fill_diagonal(reduced, h2)
    values = np.sort(np.linalg.eigvalsh(reduced))[::-1]
    e_values = np.sort(np.linalg.eigvalsh(r))[::-1]
    u2 = np.diag(r) - h2
    total = float(np.sum(h2 + u2))
    variance = pd.DataFrame({"factor": names, "ss_loadings": ev, "proportion_var": ev / total,
                             "cumulative_var": np.cumsum(ev) / total,
                             "proportion_explained": ev / ev.sum(),
                             "cumulative_proportion": np.cumsum(ev) / ev.sum()})
    complexity = (rot ** 2).sum(axis=1) ** 2 / (rot ** 4).sum(axis=1)
    msa_all, msa = kmo(r)
    fit = fa_fit(r, rot, phi, n)                  # psych: factor.stats(r, loadings, Phi, n.obs)
    return EFAResult(items=list(items), factors=names,
                     loadings=pd.DataFrame(rot, index=items, columns=names),
                     phi=pd.DataFrame(phi, index=names, columns=names),
                     h2=pd.Series(h2, index=items), u2=pd.Series(u2, index=items),
                     complexity=pd.Series(complexity, index=items), values=values,
                     e_values=e_values, variance=variance, n=int(n), method=method,
                     rotation=rotation, converged=ex.converged and conv, kmo=msa_all,
                     msa=pd.Series(msa, index=items),
                     heywood=[str(it) for it, h in zip(items, h2) if h >= 1.0], fit=fit)


def loading_table(res: EFAResult) -> pd.DataFrame:
    """One row per item: ``item``, one column per factor, ``h2, u2, complexity, msa``,
    ``primary`` (the factor with the largest absolute loading)."""
    out = res.loadings.copy()
    out.insert(0, "item", res.items)
    out["h2"] = res.h2.to_numpy()
    out["u2"] = res.u2.to_numpy()
    out["complexity"] = res.complexity.to_numpy()
    out["msa"] = res.msa.to_numpy()
    out["primary"] = res.loadings.abs().idxmax(axis=1).to_numpy()
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# parallel analysis
# ---------------------------------------------------------------------------------------

@dataclass
class ParallelResult:
    """Horn's parallel analysis (see :func:`parallel_analysis`).

    ``table`` has one row per position k = 1..p: ``factor``, ``observed`` (factor
    eigenvalue), ``simulated_mean``, ``simulated_quantile``, ``observed_pc``,
    ``simulated_pc_mean``, ``simulated_pc_quantile``; ``n_factors`` is the suggested
    number of factors.
    """

    table: pd.DataFrame
    n_factors: int
    n_components: int
    n_iter: int
    quantile: float
    seed: int
    n: int
    simulated: np.ndarray = field(repr=False, default_factory=lambda: np.empty((0, 0)))


def _one_factor_values(r: np.ndarray) -> np.ndarray:
    """Eigenvalues of R with one-factor minres communalities on the diagonal (psych's
    ``fa(r, 1)$values``), in decreasing order."""
    ex = extract(r, 1, "minres")
    red = r.copy()
    np.fill_diagonal(red, (ex.loadings ** 2).sum(axis=1))
    return np.sort(np.linalg.eigvalsh(red))[::-1]


@small_matrix_work
def wishart_identity(rng: np.random.Generator, dof: int, p: int, size: int) -> np.ndarray:
    """``size`` draws of a p × p Wishart(dof, I) matrix by Bartlett's decomposition.

    ``A = L L'`` with ``L`` lower triangular, ``L_ii = sqrt(χ²(dof − i))`` (i = 0..p−1) and
    standard normal entries below the diagonal, is distributed exactly as ``X'X`` of the
    centred columns of ``dof + 1`` independent N(0, I) rows; the cost does not depend on the
    number of rows.
    """
    if dof < p:
        raise ModelError(f"parallel analysis needs more cases than variables (n = {dof + 1}, p = {p})")
    low = np.tril_indices(p, -1)
    L = np.zeros((size, p, p))
    L[:, low[0], low[1]] = rng.standard_normal((size, len(low[0])))
    idx = np.arange(p)
    L[:, idx, idx] = np.sqrt(rng.chisquare(dof - idx, size=(size, p)))
    return L @ L.transpose(0, 2, 1)


@small_matrix_work
def parallel_analysis(r: np.ndarray, n: int, n_iter: int = 20, quantile: float = 0.95,
                      seed: int = 0) -> ParallelResult:
    """Horn's parallel analysis with factor eigenvalues, as ``psych::fa.parallel``.

    psych simulates ``n_iter`` data sets of n × p standard normal values and takes their
    correlation matrices; here each of those correlation matrices is drawn directly from its
    exact distribution (the centred cross-product matrix of such data is Wishart(n − 1, I),
    :func:`wishart_identity`), so the cost does not grow with n. Like every fitting function
    here it runs with BLAS held to one thread (:func:`attachstats.stats.threads.small_matrix_work`):
    its ``n_iter + 1`` one-factor fits of p × p matrices only lose time to thread
    synchronisation, badly so on a busy machine.

    Parameters
    ----------
    r : ndarray
        Observed correlation matrix (p × p).
    n : int
        Number of cases of the data the simulated correlation matrices stand for.
    n_iter : int, default 20 (psych's)
        Simulated data sets.
    quantile : float, default 0.95
        Which quantile of the simulated eigenvalues the observed must exceed.
    seed : int
        Seed of the simulations (:func:`attachstats.stats.rng.seeded_rng`, i.e.
        ``numpy.random.default_rng(seed)``); the result depends only on it.

    Returns
    -------
    ParallelResult
    """
    p = r.shape[0]
    if n_iter < 1 or not 0 < quantile < 1:
        raise ModelError("parallel analysis: n_iter must be ≥ 1 and quantile in (0, 1)")
    rng = seeded_rng(seed)
    obs_fa = _one_factor_values(r)
    obs_pc = np.sort(np.linalg.eigvalsh(r))[::-1]
    cov = wishart_identity(rng, int(n) - 1, p, n_iter)
    d = 1 / np.sqrt(np.einsum("kii->ki", cov))
    cor = cov * d[:, :, None] * d[:, None, :]
    sim_pc = np.linalg.eigvalsh(cor)[:, ::-1]
    sim_fa = np.array([_one_factor_values(c) for c in cor])
    q_fa = np.quantile(sim_fa, quantile, axis=0)
    q_pc = np.quantile(sim_pc, quantile, axis=0)
    table = pd.DataFrame({"factor": np.arange(1, p + 1), "observed": obs_fa,
                          "simulated_mean": sim_fa.mean(axis=0), "simulated_quantile": q_fa,
                          "observed_pc": obs_pc, "simulated_pc_mean": sim_pc.mean(axis=0),
                          "simulated_pc_quantile": q_pc})
    return ParallelResult(table=table, n_factors=_leading_above(obs_fa, q_fa),
                          n_components=_leading_above(obs_pc, q_pc), n_iter=n_iter,
                          quantile=quantile, seed=seed, n=int(n), simulated=sim_fa)


def _leading_above(obs: np.ndarray, ref: np.ndarray) -> int:
    """Number of leading positions where obs > ref (psych: which(!(obs > ref))[1] − 1)."""
    below = np.flatnonzero(~(obs > ref))
    return int(below[0]) if len(below) else len(obs)
