"""McDonald's omega (total and hierarchical) as R's ``psych::omega`` computes it.

``psych::omega(x, nfactors = nf)`` (psych 2.2.9, defaults ``fm = "minres"``,
``rotate = "oblimin"``, ``option = "equal"``, ``flip = TRUE``) does, and so does
:func:`omega`:

1. ``R = cor(x, use = "pairwise")``;
2. a minimum-residual (minres) EFA with ``nf`` factors: uniquenesses ``psi`` in
   ``[0.005, max(1, smc)]`` minimise the squared residuals of ``R - diag(psi)`` from its best
   rank-``nf`` approximation, started at ``1 - smc`` (psych runs L-BFGS-B on the off-diagonal
   residuals; at the optimum both criteria coincide, and :func:`minres` reaches it by
   accelerated iterated principal axes to a tighter tolerance);
3. varimax (``stats::varimax``) and then direct quartimin (``GPArotation::oblimin``, the
   gradient-projection algorithm) of the loadings, giving pattern ``F`` and factor
   correlations ``Phi``;
4. the Schmid–Leiman transformation: the general-factor loadings of the first-order factors
   ``gload`` are a one-factor minres EFA of ``Phi`` (``nf >= 3``), ``sqrt(|phi12|)`` for both
   factors (``nf = 2``, psych's ``option = "equal"``; psych warns that three factors are
   needed for identification) or ``1`` (``nf = 1``); item g loadings are ``F gload``;
5. items with a negative g loading are reflected (``flip``), ``Vt = sum(R)``,
   ``h2`` = communality of the orthogonal solution, ``u2 = 1 - h2``, and

   - ``omega_total = (Vt - sum(u2)) / Vt``,
   - ``omega_h = (sum(g))^2 / Vt``,
   - ``omega_lim = (sum(g))^2 / (Vt - sum(u2))``.

Every step works on a stack of correlation matrices at once (arrays ``(B, k, k)``), so the
bootstrap fits all resamples together instead of looping over them in Python; a single
matrix is a stack of one. Each resample is fitted exactly as the full sample (psych's
starting values and stopping rules): with weak group factors the Schmid–Leiman solution has
several local optima, and starting resamples at the full-sample solution would make the
intervals too narrow.

With ``nf = 1`` there are no group factors: psych still prints an ``omega_h`` (the
one-factor ``(sum(lambda))^2 / Vt``) but warns that it is not meaningful;
:func:`omega` returns it as ``omega_h_psych`` and sets ``omega_h`` to NaN.

Example
-------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> f = rng.standard_normal((400, 1))
>>> x = pd.DataFrame(f @ np.full((1, 6), 0.7) + rng.standard_normal((400, 6)) * 0.7)
>>> res = omega(x, nfactors=1)
>>> round(res.omega_total, 2), bool(np.isnan(res.omega_h))
(0.83, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from attachstats.errors import DataError

__all__ = ["OmegaResult", "omega", "omega_from_corr", "omega_bootstrap", "omega_nfactors_for",
           "minres", "smc", "varimax", "oblimin", "schmid_leiman"]

PSI_LOWER = 0.005  # psych's lower bound on uniquenesses


@dataclass(frozen=True)
class OmegaResult:
    """Omega coefficients of one scale (see the module docstring)."""

    omega_total: float
    omega_h: float          # NaN when nfactors == 1
    omega_lim: float        # NaN when nfactors == 1
    omega_h_psych: float    # psych's printed omega_h, also for nfactors == 1
    nfactors: int
    g_loadings: np.ndarray  # Schmid-Leiman general-factor loadings (after reflection)
    h2: np.ndarray          # communalities of the nf-factor solution


def smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations ``1 - 1/diag(R^-1)`` (``psych::smc``), clipped to [0, 1].

    Works on one matrix ``(k, k)`` or a stack ``(B, k, k)``.
    """
    try:
        inv = np.linalg.inv(r)
    except np.linalg.LinAlgError:
        inv = np.linalg.pinv(r)
    return np.clip(1.0 - 1.0 / np.diagonal(inv, axis1=-2, axis2=-1), 0.0, 1.0)


def _top_loadings(a: np.ndarray, nf: int) -> tuple[np.ndarray, np.ndarray]:
    """Loadings ``V sqrt(max(l, 0))`` of the ``nf`` largest eigenvalues of each matrix of a
    stack ``(B, k, k)``, largest first, and the residual matrices."""
    vals, vecs = np.linalg.eigh(a)
    vals, vecs = vals[:, ::-1][:, :nf], vecs[:, :, ::-1][:, :, :nf]
    lam = vecs * np.sqrt(np.maximum(vals, 0.0))[:, None, :]
    return lam, a - lam @ lam.transpose(0, 2, 1)


def _with_diag(r: np.ndarray, psi: np.ndarray) -> np.ndarray:
    out = r.copy()
    idx = np.arange(r.shape[-1])
    out[:, idx, idx] -= psi
    return out


def minres(r: np.ndarray, nf: int, start: np.ndarray | None = None, tol: float = 1e-10,
           ftol: float = 1e-10, max_iter: int = 20000) -> np.ndarray:
    """Unrotated minimum-residual (ULS) factor loadings of correlation matrices.

    Minimises the sum of squared residuals of ``R - diag(psi)`` about its best rank-``nf``
    approximation over uniquenesses ``psi`` in ``[0.005, max(1, smc)]`` (psych's bounds),
    from ``1 - smc`` unless ``start`` is given. The minimum is the fixed point of iterated
    principal axes, ``psi <- clip(diag(R) - diag(L L'))`` (the diagonal is fitted exactly
    and the gradient ``-2 diag(R - psi - LL')`` vanishes or points out of the bounds),
    reached with SQUAREM acceleration (Varadhan & Roland, 2008) until no uniqueness moves
    by more than ``tol`` or an acceleration cycle lowers the criterion by less than ``ftol``
    (psych's L-BFGS-B stops at a decrease of about 2e-9, so both rules are stricter).

    Parameters
    ----------
    r : ndarray (k, k) or (B, k, k)
    nf : int
    start : ndarray (k,) or (B, k), optional

    Returns
    -------
    ndarray (k, nf) or (B, k, nf)
        Loadings: eigenvectors scaled by the square roots of the eigenvalues (psych's
        ``FAout.wls``).
    """
    single = r.ndim == 2
    rs = r[None] if single else r
    diag = np.diagonal(rs, axis1=1, axis2=2)
    upper = np.maximum(1.0, smc(rs).max(axis=1))[:, None]
    psi0 = 1.0 - smc(rs) if start is None else np.broadcast_to(np.asarray(start, float), diag.shape)
    psi = np.clip(psi0, PSI_LOWER, upper)

    def step(idx: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lam, e = _top_loadings(_with_diag(rs[idx], p), nf)
        new = np.clip(diag[idx] - (lam * lam).sum(axis=2), PSI_LOWER, upper[idx])
        return new, (e * e).sum(axis=(1, 2))

    active = np.arange(len(rs))
    f_prev = np.full(len(rs), np.inf)
    evals = 0
    while active.size and evals < max_iter:
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
    lam, _ = _top_loadings(_with_diag(rs, psi), nf)
    return lam[0] if single else lam


def varimax(x: np.ndarray, eps: float = 1e-5, max_iter: int = 1000) -> np.ndarray:
    """Kaiser-normalised varimax rotation, as R's ``stats::varimax`` (same stopping rule).

    ``x`` is one loading matrix ``(k, nf)`` or a stack ``(B, k, nf)``; each is rotated on its own.
    """
    single = x.ndim == 2
    xs = x[None] if single else x
    _, p, nc = xs.shape
    if nc < 2:
        return x
    sc = np.sqrt((xs * xs).sum(axis=2, keepdims=True))
    z0 = xs / sc
    t = np.broadcast_to(np.eye(nc), (len(xs), nc, nc)).copy()
    d = np.zeros(len(xs))
    going = np.arange(len(xs))
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
    out = (z0 @ t) * sc
    return out[0] if single else out


def _quartimin(lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Direct quartimin (oblimin with gamma = 0) of a stack of loadings: criteria and gradients."""
    l2 = lam * lam
    x = l2 @ (1.0 - np.eye(lam.shape[-1]))
    return (l2 * x).sum(axis=(1, 2)) / 4.0, lam * x


def oblimin(a: np.ndarray, t0: np.ndarray | None = None, eps: float = 1e-5,
            max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Oblique quartimin rotation by gradient projection (``GPArotation::oblimin`` defaults).

    Parameters
    ----------
    a : ndarray (B, k, nf)
        Loadings to rotate (a stack; each is rotated on its own, with its own step size).
    t0 : ndarray (B, nf, nf), optional
        Starting rotations (identity, as GPArotation, unless given).

    Returns
    -------
    pattern (B, k, nf), Phi (B, nf, nf), T (B, nf, nf)
        Pattern loadings ``a (T')^-1``, factor correlations ``T'T`` and rotations.
    """
    nb, _, nc = a.shape
    t = np.broadcast_to(np.eye(nc), (nb, nc, nc)).copy() if t0 is None else t0.copy()

    def at(idx: np.ndarray, tm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        inv = np.linalg.inv(tm)
        lam = a[idx] @ inv.transpose(0, 2, 1)
        f, gq = _quartimin(lam)
        return lam, f, gq, inv

    everyone = np.arange(nb)
    lam, f, gq, inv = at(everyone, t)
    g = -(lam.transpose(0, 2, 1) @ gq @ inv).transpose(0, 2, 1)
    al = np.ones(nb)
    going = everyone
    for _ in range(max_iter + 1):
        gp = g[going] - t[going] * (t[going] * g[going]).sum(axis=1)[:, None, :]
        s = np.sqrt((gp * gp).sum(axis=(1, 2)))
        keep = s >= eps
        going, gp, s = going[keep], gp[keep], s[keep]
        if not going.size:
            break
        al[going] *= 2.0
        t_now, f_now = t[going], f[going]
        tt, lt, ft, gqt, invt = t_now.copy(), lam[going], f_now.copy(), gq[going], inv[going]
        searching = np.ones(going.size, dtype=bool)
        for _ in range(11):
            sub = np.flatnonzero(searching)
            xm = t_now[sub] - al[going[sub]][:, None, None] * gp[sub]
            cand = xm / np.sqrt((xm * xm).sum(axis=1))[:, None, :]
            lc, fc, gqc, invc = at(going[sub], cand)
            tt[sub], lt[sub], ft[sub], gqt[sub], invt[sub] = cand, lc, fc, gqc, invc
            failed = ~(f_now[sub] - fc > 0.5 * s[sub] ** 2 * al[going[sub]])
            al[going[sub[failed]]] /= 2.0
            searching[sub[~failed]] = False
            if not searching.any():
                break
        t[going], lam[going], f[going], gq[going], inv[going] = tt, lt, ft, gqt, invt
        g[going] = -(lt.transpose(0, 2, 1) @ gqt @ invt).transpose(0, 2, 1)
    return lam, t.transpose(0, 2, 1) @ t, t


def _flip_columns(lam: np.ndarray) -> np.ndarray:
    """psych's convention: every factor's loadings sum to a non-negative number (per matrix)."""
    s = np.sign(lam.sum(axis=-2, keepdims=True))
    s[s == 0] = 1.0
    return lam * s


def schmid_leiman(r: np.ndarray, nf: int) -> tuple[np.ndarray, np.ndarray]:
    """General-factor loadings and communalities of psych's ``schmid(r, nf)`` for a stack.

    Parameters
    ----------
    r : ndarray (B, k, k)
        Correlation matrices.
    nf : int
        Group factors.

    Returns
    -------
    g (B, k), h2 (B, k)
    """
    orth = _flip_columns(minres(r, nf))
    if nf > 1:
        orth = varimax(orth)
    h2 = (orth * orth).sum(axis=2)
    if nf == 1:
        return orth[:, :, 0], h2
    pattern, phi, _ = oblimin(orth)
    if nf == 2:
        c = phi[:, 0, 1]
        gload = np.stack([np.sqrt(np.abs(c)), np.sign(c) * np.sqrt(np.abs(c))], axis=1)
    else:
        gload = _flip_columns(minres(phi, 1))[:, :, 0]
    return (pattern @ gload[:, :, None])[:, :, 0], h2


def _omega_stack(r: np.ndarray, nfactors: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """omega_total, psych's omega_h, omega_lim, reflected g loadings and h2 of a stack."""
    k = r.shape[-1]
    if nfactors < 1 or nfactors >= k:
        raise DataError(f"omega needs 1 <= nfactors < number of items ({k}), got {nfactors}")
    g, h2 = schmid_leiman(r, nfactors)
    key = np.where(g < 0, -1.0, 1.0)
    vt = (r * key[:, :, None] * key[:, None, :]).sum(axis=(1, 2))
    g = g * key
    uniq = (1.0 - h2).sum(axis=1)
    gsq = g.sum(axis=1) ** 2
    return (vt - uniq) / vt, gsq / vt, gsq / (vt - uniq), g, h2


def omega_from_corr(r: np.ndarray, nfactors: int = 3) -> OmegaResult:
    """Omega coefficients from one correlation matrix (see :func:`omega`)."""
    tot, om_h, lim, g, h2 = _omega_stack(r[None], nfactors)
    undefined = nfactors == 1
    return OmegaResult(omega_total=float(tot[0]), omega_h=float("nan") if undefined else float(om_h[0]),
                       omega_lim=float("nan") if undefined else float(lim[0]),
                       omega_h_psych=float(om_h[0]), nfactors=nfactors, g_loadings=g[0], h2=h2[0])


def pairwise_corr(items: pd.DataFrame) -> np.ndarray:
    """``cor(x, use = "pairwise")``, with a clear error when a pair has no overlap or no variance."""
    x = items.astype("float64")
    r = x.corr(min_periods=2).to_numpy()
    if np.isnan(r).any():
        i, j = (int(v[0]) for v in np.where(np.isnan(r)))
        raise DataError(f"cannot correlate items {x.columns[i]!r} and {x.columns[j]!r}: fewer than two "
                        "rows answer both, or one has no variance")
    return r


def omega(items: pd.DataFrame, nfactors: int = 3) -> OmegaResult:
    """McDonald's omega_total and omega_h of reverse-keyed items, as ``psych::omega``.

    Parameters
    ----------
    items : pandas.DataFrame
        One numeric column per item, already reverse-keyed; NaN for missing answers
        (pairwise-complete correlations, as psych).
    nfactors : int, default 3
        Number of group factors of the Schmid–Leiman solution (psych's ``nfactors``).

    Returns
    -------
    OmegaResult
        ``omega_total``, ``omega_h`` (NaN for ``nfactors = 1``), ``omega_lim``,
        ``omega_h_psych``, ``nfactors``, g loadings and communalities.
    """
    return omega_from_corr(pairwise_corr(items), nfactors)


def omega_nfactors_for(k: int, requested: int = 3) -> int:
    """Group factors used for a scale of ``k`` items: ``requested`` if every group factor can
    have three items (``k >= 3 * requested``), otherwise 1 (omega_total only).

    >>> omega_nfactors_for(18), omega_nfactors_for(7), omega_nfactors_for(9, 3)
    (3, 1, 3)
    """
    return requested if k >= 3 * requested else 1


def omega_bootstrap(rs: np.ndarray, nfactors: int) -> tuple[np.ndarray, np.ndarray]:
    """omega_total and omega_h of every bootstrap resample, all fitted at once.

    ``rs`` holds the resamples' correlation matrices ``(B, k, k)`` (from
    :meth:`attachstats.stats.bootstrap.PairwiseMoments.corr`); they are fitted together, each
    exactly as :func:`omega` fits the full sample. A resample whose correlation matrix
    cannot be computed (an item without variance among the drawn rows) gives NaN.

    Returns
    -------
    omega_total, omega_h : ndarray (B,)
        ``omega_h`` is NaN throughout for a one-factor omega.
    """
    tot = np.full(len(rs), np.nan)
    hier = np.full(len(rs), np.nan)
    ok = np.isfinite(rs).all(axis=(1, 2))
    if ok.any():
        t, h, *_ = _omega_stack(rs[ok], nfactors)
        tot[ok] = t
        hier[ok] = h if nfactors > 1 else np.nan
    return tot, hier
