"""Thresholds, polychoric correlations and their asymptotic covariance (lavaan's NACOV).

The sample statistics of lavaan's categorical estimators (``estimator = "WLSMV"``, the
two-step approach of Muthén 1984 / Olsson 1979), computed from frequency tables, never by
looping over respondents:

1. **thresholds** of each ordered item from its marginal proportions, τₖ = Φ⁻¹(P(y ≤ k))
   (the ML estimate of a probit model without covariates);
2. **polychoric correlations**, one per item pair: the ML estimate of ρ given the
   thresholds, from the pair's bivariate frequency table and the bivariate normal rectangle
   probabilities. All bivariate tables come from one matrix product of the one-hot coded
   data (``D'D``); the 1-D ML is a Newton iteration run on all pairs at once;
3. the **asymptotic covariance** Γ of (thresholds, polychorics), N times lavaan's
   ``lavInspect(fit, "gamma")`` convention divided by N: per-case scores of the univariate
   and bivariate log-likelihoods (each a cell score of a frequency table, looked up for the
   case's categories), combined in one pass over blocks of rows (their cross-product), then
   the two-step sandwich B⁻¹ (ΣᵢsᵢsᵢT) B⁻ᵀ as in lavaan's ``muthen1984()``.

The bivariate normal distribution function uses the identity ∂Φ₂/∂ρ = φ₂ integrated over
ρ = sin θ with 40-point Gauss–Legendre quadrature (error below 1e-13 for |ρ| ≤ 0.95 and
1e-10 at |ρ| = 0.999, the bound of the estimates).
Polyserial correlations (ordered with continuous variables) are not implemented.

Example
-------
>>> import pandas as pd
>>> d = pd.DataFrame({"a": [1, 1, 2, 2, 3, 3, 1, 2], "b": [1, 2, 2, 2, 3, 3, 1, 1]})
>>> m = ordinal_moments(d, ["a", "b"], "m", gamma=False)
>>> m.thresholds.round(4).tolist()
[-0.3186, 0.6745, -0.3186, 0.6745]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from attachstats.errors import ModelError
from attachstats.stats.threads import small_matrix_work

__all__ = [
    "OrdinalData",
    "OrdinalMoments",
    "bvn_cdf",
    "encode_ordinal",
    "ordinal_moments",
    "polychoric_matrix",
]

_GL_X, _GL_W = np.polynomial.legendre.leggauss(40)
_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))
_INV_2PI = 1.0 / (2.0 * np.pi)


def bvn_cdf(h: np.ndarray, k: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """P(X ≤ h, Y ≤ k) of a standard bivariate normal with correlation ρ, elementwise.

    Φ₂(h, k; ρ) = Φ(h)Φ(k) + (2π)⁻¹ ∫₀^{asin ρ} exp(−(h² + k² − 2hk sin t) / (2cos² t)) dt.
    Infinite h or k are allowed (±inf). R: ``pbivnorm::pbivnorm(h, k, rho)``.

    Examples
    --------
    >>> round(float(bvn_cdf(np.array(0.0), np.array(0.0), np.array(0.5))), 12)
    0.333333333333
    """
    from scipy.special import ndtr     # imported where it is used: scipy.special costs ~0.2 s at start-up

    h, k, rho = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float), np.asarray(rho, float))
    hf = np.where(np.isfinite(h), h, 0.0)
    kf = np.where(np.isfinite(k), k, 0.0)
    a = np.arcsin(rho)
    t = (a[..., None] / 2) * (_GL_X + 1)
    s = np.sin(t)
    c2 = np.cos(t) ** 2
    hh, kk = hf[..., None], kf[..., None]
    f = np.exp(-(hh * hh + kk * kk - 2 * hh * kk * s) / (2 * c2))
    out = ndtr(hf) * ndtr(kf) + a / 2 * (f @ _GL_W) * _INV_2PI
    out = np.where(h == np.inf, ndtr(k), out)
    out = np.where(k == np.inf, ndtr(h), out)
    out = np.where((h == -np.inf) | (k == -np.inf), 0.0, out)
    return out


def _bvn_pdf(h: np.ndarray, k: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """φ₂(h, k; ρ), 0 where h or k is infinite."""
    fin = np.isfinite(h) & np.isfinite(k)
    hf, kf = np.where(fin, h, 0.0), np.where(fin, k, 0.0)
    r2 = 1 - rho * rho
    d = np.exp(-(hf * hf - 2 * rho * hf * kf + kf * kf) / (2 * r2)) * _INV_2PI / np.sqrt(r2)
    return np.where(fin, d, 0.0)


def _npdf(x: np.ndarray) -> np.ndarray:
    xf = np.where(np.isfinite(x), x, 0.0)
    return np.where(np.isfinite(x), np.exp(-xf * xf / 2) / np.sqrt(2 * np.pi), 0.0)


@dataclass
class OrdinalData:
    """Ordered items coded 0, 1, …, Cᵢ − 1 (lavaan: ``as.integer(ordered(y)) - 1``).

    Attributes
    ----------
    items : list of str
    codes : ndarray of int, shape (N, p)
    levels : list of list
        The observed values of each item, sorted: category c of item i is ``levels[i][c]``.
    n_dropped : int
        Rows dropped because an item was missing (lavaan's listwise deletion).
    """

    items: list[str]
    codes: np.ndarray
    levels: list[list[float]]
    n_dropped: int = 0

    @property
    def ncat(self) -> np.ndarray:
        """Number of categories of each item."""
        return np.array([len(v) for v in self.levels])


def encode_ordinal(data: pd.DataFrame, items: Sequence[str], name: str) -> OrdinalData:
    """Code the ordered items of the complete rows as 0..Cᵢ−1 (categories = observed values).

    Raises
    ------
    ModelError
        An item not in ``data``, not numeric, with fewer than two observed categories in
        the complete rows, or with more than 100 categories (not an ordered rating item);
        or no complete row.

    Examples
    --------
    >>> d = pd.DataFrame({"a": [1, 3, 3, None], "b": [2, 2, 1, 1]})
    >>> o = encode_ordinal(d, ["a", "b"], "m")
    >>> o.codes.tolist(), o.levels, o.n_dropped
    ([[0, 1], [1, 1], [1, 0]], [[1.0, 3.0], [1.0, 2.0]], 1)
    """
    items = list(items)
    missing = [c for c in items if c not in data.columns]
    if missing:
        raise ModelError(f"model {name!r}: ordered item(s) not in the data: {', '.join(missing)}")
    x = np.empty((len(data), len(items)))
    for k, c in enumerate(items):
        try:
            x[:, k] = pd.to_numeric(data[c]).to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            raise ModelError(f"model {name!r}: ordered item {c!r} is not numeric") from None
    ok = ~np.isnan(x).any(axis=1)
    x = x[ok]
    if len(x) == 0:
        raise ModelError(f"model {name!r}: no row has all of the ordered items")
    codes = np.empty(x.shape, dtype=np.int64)
    levels = []
    for k, c in enumerate(items):
        lev, inv = np.unique(x[:, k], return_inverse=True)
        if len(lev) < 2:
            raise ModelError(f"model {name!r}: ordered item {c!r} has only one observed category "
                             f"({lev[0]:g}) in the {len(x)} complete rows")
        if len(lev) > 100:
            raise ModelError(f"model {name!r}: item {c!r} has {len(lev)} distinct values; an ordered "
                             "item needs a few categories (is it continuous?)")
        codes[:, k] = inv
        levels.append([float(v) for v in lev])
    return OrdinalData(items, codes, levels, int((~ok).sum()))


@dataclass
class OrdinalMoments:
    """Sample statistics of ordered items, in lavaan's order (``lavInspect(fit, "sampstat")``).

    Attributes
    ----------
    items : list of str
    n : int
        Complete rows used.
    thresholds : ndarray
        All thresholds, item by item (``Q1|t1, Q1|t2, …``).
    threshold_item : ndarray of int
        The item of each threshold.
    threshold_names : list of str
        ``"item|tk"``.
    cor : ndarray
        The polychoric correlation matrix, p × p.
    pairs : ndarray of int, shape (npairs, 2)
        (i, j), i > j, in lavaan's order (the lower triangle column by column,
        ``lav_matrix_vech(R, diagonal = FALSE)``).
    gamma : ndarray or None
        N × the asymptotic covariance of (thresholds, polychorics): lavaan's
        ``lavInspect(fit, "gamma")`` (NACOV).
    zero_cell_pairs : list of (str, str)
        Item pairs whose bivariate table has an empty cell (lavaan adds 0.5 to an empty
        cell of a 2 × 2 table only, keeping the margins).
    """

    items: list[str]
    n: int
    thresholds: np.ndarray
    threshold_item: np.ndarray
    threshold_names: list[str]
    cor: np.ndarray
    pairs: np.ndarray
    gamma: np.ndarray | None = None
    zero_cell_pairs: list[tuple[str, str]] = field(default_factory=list)
    n_dropped: int = 0

    @property
    def rho(self) -> np.ndarray:
        """The polychorics as a vector, in the order of :attr:`pairs`."""
        return self.cor[self.pairs[:, 0], self.pairs[:, 1]]

    @property
    def moments(self) -> np.ndarray:
        """(thresholds, polychorics): lavaan's ``WLS.obs``."""
        return np.concatenate([self.thresholds, self.rho])


def _pairs(p: int) -> np.ndarray:
    return np.array([(i, j) for j in range(p - 1) for i in range(j + 1, p)], dtype=np.int64).reshape(-1, 2)


def _tables(od: OrdinalData, cmax: int, pairs: np.ndarray) -> np.ndarray:
    """All bivariate frequency tables, (npairs, cmax, cmax), from one product D'D of one-hot codes."""
    n, p = od.codes.shape
    onehot = np.zeros((n, p * cmax))
    onehot[np.arange(n)[:, None], od.codes + cmax * np.arange(p)] = 1.0
    cross = (onehot.T @ onehot).reshape(p, cmax, p, cmax)
    return cross[pairs[:, 0], :, pairs[:, 1], :]       # rows: categories of item i, cols: of j


def _padded_thresholds(th: list[np.ndarray], cmax: int) -> np.ndarray:
    """(p, cmax + 1): −inf, τ₁..τ_{C−1}, then +inf up to the common width."""
    out = np.full((len(th), cmax + 1), np.inf)
    out[:, 0] = -np.inf
    for i, t in enumerate(th):
        out[i, 1:len(t) + 1] = t
    return out


def _cell_probs(t1: np.ndarray, t2: np.ndarray, rho: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rectangle probabilities π, ∂π/∂ρ and ∂²π/∂ρ² of every cell, (npairs, C, C).

    ``t1``, ``t2``: padded thresholds (npairs, C + 1) of the row and column item.
    """
    r = rho[:, None, None]
    h = t1[:, :, None]
    k = t2[:, None, :]
    big = bvn_cdf(h, k, np.broadcast_to(r, np.broadcast_shapes(h.shape, k.shape)))
    pdf = _bvn_pdf(h, k, r)
    r2 = 1 - r * r
    hf = np.where(np.isfinite(h), h, 0.0)
    kf = np.where(np.isfinite(k), k, 0.0)
    q = hf * hf - 2 * r * hf * kf + kf * kf
    dpdf = pdf * (r / r2 + (hf * kf * r2 - r * q) / (r2 * r2))

    def rect(a: np.ndarray) -> np.ndarray:
        return a[:, 1:, 1:] - a[:, :-1, 1:] - a[:, 1:, :-1] + a[:, :-1, :-1]

    return rect(big), rect(pdf), rect(dpdf)


def _fit_rho(tables: np.ndarray, t1: np.ndarray, t2: np.ndarray, start: np.ndarray) -> np.ndarray:
    """ML estimate of ρ in [−0.999, 0.999] for every pair at once (lavaan's bounds).

    Safeguarded Newton: each pair keeps a bracket [lo, hi] on which the score changes sign;
    a Newton step (a scoring step where the second derivative is not negative) that leaves
    the bracket is replaced by bisection.
    """
    rho = np.clip(start, -0.9, 0.9).astype(float)
    lo = np.full_like(rho, -0.999)
    hi = np.full_like(rho, 0.999)
    n = tables.sum(axis=(1, 2))
    act = np.arange(len(rho))                      # pairs not yet converged
    for _ in range(200):
        r = rho[act]
        pi, d1, d2 = _cell_probs(t1[act], t2[act], r)
        pi = np.maximum(pi, _SQRT_EPS)
        tab = tables[act]
        g = (tab * d1 / pi).sum(axis=(1, 2))
        hess = (tab * (d2 / pi - (d1 / pi) ** 2)).sum(axis=(1, 2))
        info = n[act] * (d1 * d1 / pi).sum(axis=(1, 2))
        lo[act] = np.where(g > 0, r, lo[act])
        hi[act] = np.where(g < 0, r, hi[act])
        step = np.where(hess < 0, -g / np.where(hess < 0, hess, -1.0), g / np.maximum(info, 1e-300))
        new = r + step
        inside = (new > lo[act]) & (new < hi[act])
        new = np.where(inside, new, (lo[act] + hi[act]) / 2)
        new = np.where(g == 0, r, new)
        rho[act] = new
        # converged: a Newton step below 1e-11 inside the bracket, or the bracket itself that small
        done = (inside & (np.abs(step) < 1e-11)) | (g == 0) | (hi[act] - lo[act] < 1e-11)
        act = act[~done]
        if len(act) == 0:
            break
    return rho


def _thresholds(od: OrdinalData) -> list[np.ndarray]:
    from scipy.special import ndtri

    n = len(od.codes)
    out = []
    for i, c in enumerate(od.ncat):
        counts = np.bincount(od.codes[:, i], minlength=c)
        out.append(ndtri(np.cumsum(counts)[:-1] / n))
    return out


@small_matrix_work
def ordinal_moments(data: pd.DataFrame, items: Sequence[str], name: str = "model",
                    gamma: bool = True, block_rows: int = 4096) -> OrdinalMoments:
    """Thresholds, polychoric correlations and (optionally) their NACOV Γ.

    Parameters
    ----------
    data : DataFrame
    items : list of str
        The ordered items (numeric codes; each item's categories are its observed values).
    name : str
        Model name for error messages.
    gamma : bool, default True
        Also compute Γ (needed for robust standard errors and test statistics).
    block_rows : int
        Rows per block of the one pass over the cases that accumulates the score
        cross-products (memory: block_rows × (thresholds + pairs) doubles).

    Returns
    -------
    OrdinalMoments

    Raises
    ------
    ModelError
        See :func:`encode_ordinal`; a 2 × 2 table with two empty cells (a correlation of ±1);
        fewer than two items.

    Notes
    -----
    Runs with BLAS limited to one thread (:mod:`attachstats.stats.threads`): on a shared
    machine a threaded BLAS made it three times slower. R: ``lavCor(data, ordered = items, output = "cor")``; ``lavInspect(fit, "sampstat")``,
    ``lavInspect(fit, "gamma")`` of ``cfa(..., ordered = items, estimator = "WLSMV")``.
    """
    items = list(items)
    if len(items) < 2:
        raise ModelError(f"model {name!r}: polychoric correlations need at least two ordered items")
    od = encode_ordinal(data, items, name)
    n, p = od.codes.shape
    ncat = od.ncat
    cmax = int(ncat.max())
    th = _thresholds(od)
    pairs = _pairs(p)
    tables = _tables(od, cmax, pairs)
    tpad = _padded_thresholds(th, cmax)
    t1, t2 = tpad[pairs[:, 0]], tpad[pairs[:, 1]]

    # lavaan's zero-cell rule: only a 2 x 2 table gets 0.5 added (margins kept)
    fit_tables = tables.copy()
    zero = [(items[i], items[j]) for q, (i, j) in enumerate(pairs)
            if (tables[q][: ncat[i], : ncat[j]] == 0).any()]
    binary = np.where((ncat[pairs[:, 0]] == 2) & (ncat[pairs[:, 1]] == 2))[0]
    fixed: dict[int, float] = {}
    for q in binary:
        f = fit_tables[q, :2, :2]
        nz = np.argwhere(f == 0)
        if len(nz) >= 2:
            i, j = pairs[q]
            raise ModelError(f"model {name!r}: the 2 x 2 table of {items[i]!r} and {items[j]!r} has "
                             "two empty cells (a polychoric correlation of ±1)")
        if len(nz) == 1:
            sign = 1.0 if tuple(nz[0]) in ((0, 0), (1, 1)) else -1.0
            f += sign * 0.5 * np.array([[1.0, -1.0], [-1.0, 1.0]])
        if f[0, 0] * f[1, 1] == f[0, 1] * f[1, 0]:
            fixed[int(q)] = 0.0
    start = np.zeros(len(pairs))
    rho = _fit_rho(fit_tables, t1, t2, start)
    for q, v in fixed.items():
        rho[q] = v
    cor = np.eye(p)
    cor[pairs[:, 0], pairs[:, 1]] = rho
    cor[pairs[:, 1], pairs[:, 0]] = rho

    th_item = np.concatenate([np.full(len(t), i) for i, t in enumerate(th)])
    names = [f"{items[i]}|t{k + 1}" for i, t in enumerate(th) for k in range(len(t))]
    out = OrdinalMoments(items, n, np.concatenate(th), th_item, names, cor, pairs,
                         zero_cell_pairs=zero, n_dropped=od.n_dropped)
    if gamma:
        out.gamma = _nacov(od, th, tpad, pairs, tables, rho, cmax)
    return out


def _nacov(od: OrdinalData, th: list[np.ndarray], tpad: np.ndarray, pairs: np.ndarray,
           tables: np.ndarray, rho: np.ndarray, cmax: int, block_rows: int = 4096) -> np.ndarray:
    """N × ACOV of (thresholds, polychorics): lavaan's ``muthen1984()`` from cell scores."""
    from scipy.special import ndtr

    n, p = od.codes.shape
    nth_i = np.array([len(t) for t in th])
    start = np.concatenate([[0], np.cumsum(nth_i)])
    nth, npairs = int(start[-1]), len(pairs)
    kdim = nth + npairs
    # univariate cell scores: s[i][c, k] = ∂ log P(y_i = c) / ∂τ_ik
    uni = []
    a11 = np.zeros((nth, nth))
    for i in range(p):
        c = nth_i[i] + 1
        t = tpad[i, : c + 1]
        prob = np.diff(ndtr(t))
        dens = _npdf(t)
        s = np.zeros((c, c - 1))
        for k in range(c - 1):               # threshold k+1 is the upper bound of category k
            s[k, k] = dens[k + 1] / prob[k]
            s[k + 1, k] = -dens[k + 1] / prob[k + 1]
        uni.append(s)
        counts = np.bincount(od.codes[:, i], minlength=c).astype(float)
        blk = slice(start[i], start[i + 1])
        a11[blk, blk] = s.T @ (counts[:, None] * s)
    # bivariate cell scores at ρ̂: ∂ log π / ∂ρ and ∂ log π / ∂τ of both items
    t1, t2 = tpad[pairs[:, 0]], tpad[pairs[:, 1]]
    pi, d1, _ = _cell_probs(t1, t2, rho)
    pi = np.maximum(pi, _SQRT_EPS)
    s_rho = d1 / pi                                              # (npairs, C, C)
    r = rho[:, None]
    sr = np.sqrt(1 - r * r)
    # ∂Φ₂(h,k)/∂h = φ(h) Φ((k − ρh)/√(1−ρ²)); rows: thresholds of item i (index a), cols: item j
    h = t1[:, :, None]
    k = t2[:, None, :]
    hf = np.where(np.isfinite(h), h, 0.0)
    kf = np.where(np.isfinite(k), k, 0.0)
    dh = _npdf(h) * np.where(np.isfinite(k), ndtr((kf - r[:, :, None] * hf) / sr[:, :, None]),
                             np.where(k > 0, 1.0, 0.0))            # ∂BI/∂h, (npairs, C+1, C+1)
    dk = _npdf(k) * np.where(np.isfinite(h), ndtr((hf - r[:, :, None] * kf) / sr[:, :, None]),
                             np.where(h > 0, 1.0, 0.0))
    # ∂π_ab/∂τ_{i,m} (m = 1..C-1 are the finite thresholds): a = m-1 gets +, a = m gets −
    gh = dh[:, :, 1:] - dh[:, :, :-1]                              # (npairs, C+1, C): over b
    gk = dk[:, 1:, :] - dk[:, :-1, :]                              # (npairs, C, C+1): over a
    w = tables * s_rho / pi                                        # n_ab s_ρ / π_ab
    a21 = np.zeros((npairs, nth))
    a22 = (tables * s_rho * s_rho).sum(axis=(1, 2))
    for q, (i, j) in enumerate(pairs):
        ci, cj = nth_i[i] + 1, nth_i[j] + 1
        wq = w[q, :ci, :cj]
        g_i = gh[q, 1:ci, :cj]                     # threshold m of i: +g in row m-1, −g in row m
        a21[q, start[i]:start[i + 1]] = (wq[:-1] * g_i).sum(axis=1) - (wq[1:] * g_i).sum(axis=1)
        g_j = gk[q, :ci, 1:cj]
        a21[q, start[j]:start[j + 1]] = (wq[:, :-1] * g_j).sum(axis=0) - (wq[:, 1:] * g_j).sum(axis=0)
    # one pass over the cases: INNER = Σ sᵢ sᵢᵀ, scores looked up from the cells
    uni_flat = [s for s in uni]
    srho_flat = s_rho.reshape(npairs, cmax * cmax).T.ravel()       # index: cell * npairs + q
    qidx = np.arange(npairs)
    inner = np.zeros((kdim, kdim))
    for r0 in range(0, n, block_rows):
        codes = od.codes[r0:r0 + block_rows]
        sc = np.empty((len(codes), kdim))
        for i in range(p):
            sc[:, start[i]:start[i + 1]] = uni_flat[i][codes[:, i]]
        cell = codes[:, pairs[:, 0]] * cmax + codes[:, pairs[:, 1]]
        sc[:, nth:] = srho_flat[cell * npairs + qidx]
        inner += sc.T @ sc
    a11_inv = np.linalg.inv(a11)
    a22_inv = 1.0 / a22
    b_inv = np.zeros((kdim, kdim))
    b_inv[:nth, :nth] = a11_inv
    b_inv[nth:, nth:] = np.diag(a22_inv)
    b_inv[nth:, :nth] = -(a22_inv[:, None] * a21) @ a11_inv
    return n * (b_inv @ inner @ b_inv.T)


def polychoric_matrix(data: pd.DataFrame, items: Sequence[str], name: str = "polychoric") -> pd.DataFrame:
    """The polychoric correlation matrix of ordered items (complete rows), as a DataFrame.

    R: ``lavaan::lavCor(data[, items], ordered = items, output = "cor")``.

    Examples
    --------
    >>> d = pd.DataFrame({"a": [1, 1, 2, 2, 3, 3, 1, 2], "b": [1, 2, 2, 2, 3, 3, 1, 1]})
    >>> round(float(polychoric_matrix(d, ["a", "b"]).loc["a", "b"]), 4)   # lavCor: 0.9056
    0.9056
    """
    m = ordinal_moments(data, items, name, gamma=False)
    return pd.DataFrame(m.cor, index=m.items, columns=m.items)
