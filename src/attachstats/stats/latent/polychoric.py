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

**Ordered items together with a continuous variable** (:func:`mixed_moments`): lavaan's
sample statistics when ``ordered=`` names some of a model's variables and the others are
continuous (``estimator = "WLSMV"``), in its ``muthen1984()`` two-step layout:

1. **univariate**: thresholds of each ordered item (marginal proportions); mean and ML
   variance (divisor N) of each continuous variable;
2. **bivariate**: polychoric correlations between ordered items (as above); the
   **polyserial** correlation of a
   continuous x with an ordered y, the ML estimate of ρ given the univariate estimates: with
   z = (x − μ)/σ and R = √(1 − ρ²), P(y = c | x) = Φ((τ_c − ρz)/R) − Φ((τ_{c−1} − ρz)/R)
   (one root of the score in [−0.995, 0.995], lavaan's bounds);
3. **Γ**: per-case scores of every univariate and bivariate log-likelihood (the bivariate
   ones with respect to ρ and to the univariate parameters of both variables), the two-step
   sandwich B⁻¹(Σᵢ sᵢsᵢ′)B⁻ᵀ, then the delta method from the correlations to lavaan's
   statistics: a polyserial pair enters as the covariance ρσ (∂/∂σ² = ρ/(2σ), ∂/∂ρ = σ).

The statistics (lavaan's ``WLS.obs`` order): thresholds and means variable by variable
(lavaan stores −μ, we store μ, so Γ's mean rows carry the opposite sign of lavaan's), the
variances of the continuous variables, then the off-diagonal entries (polychorics,
polyserial covariances, covariances of two continuous variables) column by column.

Example
-------
>>> import pandas as pd
>>> d = pd.DataFrame({"a": [1, 1, 2, 2, 3, 3, 1, 2], "b": [1, 2, 2, 2, 3, 3, 1, 1]})
>>> m = ordinal_moments(d, ["a", "b"], "m", gamma=False)
>>> m.thresholds.round(4).tolist()
[-0.3186, 0.6745, -0.3186, 0.6745]
>>> import numpy as np
>>> rng = np.random.default_rng(3)
>>> f = rng.standard_normal(400)
>>> d = pd.DataFrame({"y1": np.digitize(f + rng.standard_normal(400), [-0.5, 0.5]),
...                   "y2": np.digitize(f + rng.standard_normal(400), [0.0]),
...                   "x": 2 * f + rng.standard_normal(400)})
>>> m = mixed_moments(d, ["y1", "y2", "x"], ["y1", "y2"], "m")
>>> m.numeric, m.gamma.shape
(['x'], (8, 8))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import ndtr, ndtri

from attachstats.errors import ModelError
from attachstats.stats.threads import small_matrix_work

__all__ = [
    "OrdinalData",
    "OrdinalMoments",
    "bvn_cdf",
    "encode_ordinal",
    "mixed_moments",
    "ordinal_moments",
    "polychoric_matrix",
    "polyserial",
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
    numeric: list[str] = field(default_factory=list)
    variances: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def numeric_index(self) -> np.ndarray:
        """Positions of the continuous variables among :attr:`items` (empty: all ordered)."""
        return np.array([self.items.index(v) for v in self.numeric], dtype=np.int64)

    @property
    def cov(self) -> np.ndarray:
        """The correlations rescaled by the continuous variables' SDs (ordered items: 1),
        their variances on the diagonal: lavaan's ``sampstat`` ``cov``."""
        sd = np.ones(len(self.items))
        sd[self.numeric_index] = np.sqrt(self.variances)
        return self.cor * np.outer(sd, sd)

    @property
    def rho(self) -> np.ndarray:
        """The off-diagonal statistics in the order of :attr:`pairs`: polychorics, and with
        continuous variables their polyserial covariances (ρ·SD) and covariances."""
        c = self.cov if self.numeric else self.cor
        return c[self.pairs[:, 0], self.pairs[:, 1]]

    @property
    def moments(self) -> np.ndarray:
        """(thresholds and means, variances of continuous variables, off-diagonal): lavaan's
        ``WLS.obs`` (which stores a continuous variable's mean with a minus sign)."""
        return np.concatenate([self.thresholds, self.variances, self.rho])


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


def _ordinal_parts(od: OrdinalData, nth_i: np.ndarray, tpad: np.ndarray, pairs: np.ndarray,
                   tables: np.ndarray, rho: np.ndarray
                   ) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cell scores and the two-step blocks of lavaan's ``muthen1984()`` for ordered items.

    Returns the univariate cell scores (per item, categories × thresholds), A₁₁ (block
    diagonal), the pair cell scores ∂log π/∂ρ (npairs, C, C), A₂₁ (npairs × thresholds) and
    the diagonal of A₂₂.
    """
    p = od.codes.shape[1]
    start = np.concatenate([[0], np.cumsum(nth_i)])
    nth, npairs = int(start[-1]), len(pairs)
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
        r_i, r_j = _a21_pair(w[q], gh[q], gk[q], nth_i[i] + 1, nth_i[j] + 1)
        a21[q, start[i]:start[i + 1]] = r_i
        a21[q, start[j]:start[j + 1]] = r_j
    return uni, a11, s_rho, a21, a22


def _nacov(od: OrdinalData, th: list[np.ndarray], tpad: np.ndarray, pairs: np.ndarray,
           tables: np.ndarray, rho: np.ndarray, cmax: int, block_rows: int = 4096) -> np.ndarray:
    """N × ACOV of (thresholds, polychorics): lavaan's ``muthen1984()`` from cell scores."""
    n, p = od.codes.shape
    nth_i = np.array([len(t) for t in th])
    start = np.concatenate([[0], np.cumsum(nth_i)])
    nth, npairs = int(start[-1]), len(pairs)
    kdim = nth + npairs
    uni, a11, s_rho, a21, a22 = _ordinal_parts(od, nth_i, tpad, pairs, tables, rho)
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


def _a21_pair(w: np.ndarray, gh: np.ndarray, gk: np.ndarray, ci: int, cj: int) -> tuple[np.ndarray, np.ndarray]:
    """Σᵢ s_ρ,ᵢ ∂log πᵢ/∂τ for the thresholds of both items of one pair (from its cells)."""
    wq = w[:ci, :cj]
    g_i = gh[1:ci, :cj]                     # threshold m of i: +g in row m-1, −g in row m
    g_j = gk[:ci, 1:cj]
    return ((wq[:-1] * g_i).sum(axis=1) - (wq[1:] * g_i).sum(axis=1),
            (wq[:, :-1] * g_j).sum(axis=0) - (wq[:, 1:] * g_j).sum(axis=0))


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


#: lavaan's bounds of a polyserial correlation.
BOUND = 0.995


def _scores(rho: float, z: np.ndarray, up: np.ndarray, lo: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-case bivariate scores of the polyserial log-likelihood: ∂/∂ρ, the two normal
    densities at the category bounds, P(y | x) and R (lavaan's ``lav_bvmix_cor_scores``)."""
    r = np.sqrt(1 - rho * rho)
    a = np.where(np.isfinite(up), (up - rho * z) / r, np.inf)
    b = np.where(np.isfinite(lo), (lo - rho * z) / r, -np.inf)
    pa, pb = _npdf(a), _npdf(b)
    py = np.maximum(ndtr(a) - ndtr(b), np.finfo(float).eps)
    ta = np.where(np.isfinite(up), pa * (np.where(np.isfinite(up), up, 0.0) * rho - z), 0.0)
    tb = np.where(np.isfinite(lo), pb * (np.where(np.isfinite(lo), lo, 0.0) * rho - z), 0.0)
    return (ta - tb) / (py * r ** 3), pa, pb, py, np.full_like(z, r)


def polyserial(x: np.ndarray, codes: np.ndarray, tau: np.ndarray) -> float:
    """Two-step ML polyserial correlation of a continuous ``x`` and category codes 0..C−1.

    ``tau``: the C − 1 thresholds of the ordered variable; μ and σ² of x are its mean and
    ML variance. R: ``lavaan::lavCor(data, ordered = y)`` (``lav_bvmix_cor_twostep_fit``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> u = rng.multivariate_normal([0, 0], [[1, .6], [.6, 1]], 20000)
    >>> round(polyserial(u[:, 0], (u[:, 1] > 0.3).astype(int), np.array([0.3])), 2)
    0.6
    """
    z = (x - x.mean()) / x.std()
    tpad = np.concatenate([[-np.inf], tau, [np.inf]])
    up, lo = tpad[codes + 1], tpad[codes]

    def score(rho: float) -> float:
        return float(np.sum(_scores(rho, z, up, lo)[0]))

    s_lo, s_hi = score(-BOUND), score(BOUND)
    if s_lo <= 0:
        return -BOUND
    if s_hi >= 0:
        return BOUND
    return float(optimize.brentq(score, -BOUND, BOUND, xtol=1e-14, rtol=4 * np.finfo(float).eps))


@small_matrix_work
def mixed_moments(data: pd.DataFrame, items: Sequence[str], ordered: Sequence[str], name: str = "model",
                  block_rows: int = 4096) -> OrdinalMoments:
    """Thresholds, means, variances, polychoric and polyserial correlations, and their Γ.

    Parameters
    ----------
    data : DataFrame
    items : list of str
        All variables, in the model's order.
    ordered : list of str
        The ordered ones; the others are continuous.
    name : str
    block_rows : int
        Rows per block of the pass over the cases.

    Returns
    -------
    OrdinalMoments
        With ``numeric`` (the continuous variables) and ``variances``; ``thresholds`` holds
        each continuous variable's mean at its place (``threshold_names`` ``"x~1"``).

    Raises
    ------
    ModelError
        As :func:`attachstats.stats.latent.polychoric.ordinal_moments`; a continuous
        variable that is not numeric or constant.

    Examples
    --------
    See the module docstring. R: ``lavInspect(cfa(..., ordered = ordered, estimator =
    "WLSMV"), "sampstat")`` and ``lavInspect(fit, "gamma")``.
    """
    items = list(items)
    ordered = [v for v in items if v in set(ordered)]
    numeric = [v for v in items if v not in set(ordered)]
    if not ordered:
        raise ModelError(f"model {name!r}: no ordered item among {', '.join(items)}")
    missing = [c for c in items if c not in data.columns]
    if missing:
        raise ModelError(f"model {name!r}: variable(s) not in the data: {', '.join(missing)}")
    xnum = np.empty((len(data), len(numeric)))
    for k, c in enumerate(numeric):
        try:
            xnum[:, k] = pd.to_numeric(data[c]).to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            raise ModelError(f"model {name!r}: continuous variable {c!r} is not numeric") from None
    ok = ~np.isnan(xnum).any(axis=1)
    for c in ordered:
        ok &= pd.to_numeric(data[c], errors="coerce").notna().to_numpy()
    n_dropped = int((~ok).sum())
    sub = data.loc[ok]
    xnum = xnum[ok]
    base = ordinal_moments(sub, ordered, name, gamma=False) if len(ordered) > 1 else None
    od = encode_ordinal(sub, ordered, name)
    n = len(xnum)
    mean = xnum.mean(axis=0)
    var = xnum.var(axis=0)
    if (var <= 0).any():
        raise ModelError(f"model {name!r}: continuous variable {numeric[int(np.argmin(var))]!r} is constant")
    th_o = _thresholds(od)
    pos = {v: k for k, v in enumerate(items)}
    p = len(items)
    # layout of the statistics: per variable its thresholds (ordered) or mean (continuous)
    nth_v = [len(th_o[ordered.index(v)]) if v in ordered else 1 for v in items]
    start = np.concatenate([[0], np.cumsum(nth_v)]).astype(int)
    nth = int(start[-1])
    pairs = _pairs(p)
    npairs = len(pairs)
    nv = len(numeric)
    kdim = nth + nv + npairs
    thresholds = np.concatenate([th_o[ordered.index(v)] if v in ordered else mean[[numeric.index(v)]]
                                 for v in items])
    th_item = np.concatenate([np.full(nth_v[i], i) for i in range(p)])
    th_names = [f"{v}|t{k + 1}" if v in ordered else f"{v}~1" for v in items for k in range(nth_v[pos[v]])]
    cor = np.eye(p)
    oi = [pos[v] for v in ordered]
    if base is not None:
        cor[np.ix_(oi, oi)] = base.cor
    # polyserial correlations, per case scores
    z = (xnum - mean) / np.sqrt(var)
    cmax = int(od.ncat.max())
    tpad = _padded_thresholds(th_o, cmax)
    mixed = []                                       # (pair index, numeric k, ordered index o)
    both = []                                        # (pair index, numeric k of item i, of item j)
    for q, (i, j) in enumerate(pairs):
        vi, vj = items[i], items[j]
        if vi in numeric and vj in numeric:          # Pearson (the ML ρ given the ML means, variances)
            ki, kj = numeric.index(vi), numeric.index(vj)
            cor[i, j] = cor[j, i] = float(np.mean(z[:, ki] * z[:, kj]))
            both.append((q, ki, kj))
        elif (vi in ordered) != (vj in ordered):
            num_v, ord_v = (vi, vj) if vi in numeric else (vj, vi)
            k, o = numeric.index(num_v), ordered.index(ord_v)
            codes = od.codes[:, o]
            r = polyserial(xnum[:, k], codes, th_o[o])
            cor[i, j] = cor[j, i] = r
            mixed.append((q, k, o))
    out = OrdinalMoments(items, n, thresholds, th_item, th_names, cor, pairs,
                         zero_cell_pairs=list(base.zero_cell_pairs) if base is not None else [],
                         n_dropped=n_dropped, numeric=numeric, variances=var)
    out.gamma = _mixed_nacov(od, th_o, tpad, ordered, numeric, items, xnum, mean, var, z, cor, pairs, mixed,
                             both, start, nth, kdim, block_rows)
    return out


def _mixed_nacov(od, th_o, tpad, ordered, numeric, items, xnum, mean, var, z, cor, pairs, mixed, both, start,
                 nth, kdim, block_rows) -> np.ndarray:
    """lavaan's ``muthen1984()`` with continuous variables: B⁻¹ (Σ sᵢsᵢ′) B⁻ᵀ, then H."""
    n = len(xnum)
    npairs = len(pairs)
    nv = len(numeric)
    pos = {v: k for k, v in enumerate(items)}
    oi = np.array([pos[v] for v in ordered])
    nth_o = np.array([len(t) for t in th_o])
    # ordinal pairs among the ordered items (their own order), mapped to the global pairs
    pairs_o = _pairs(len(ordered))
    glob = {(int(i), int(j)): q for q, (i, j) in enumerate(pairs)}
    oo = [glob[(int(oi[a]), int(oi[b]))] for a, b in pairs_o]
    cmax = int(od.ncat.max())
    tables = _tables(od, cmax, pairs_o) if len(pairs_o) else np.zeros((0, cmax, cmax))
    rho_o = cor[oi[pairs_o[:, 0]], oi[pairs_o[:, 1]]] if len(pairs_o) else np.zeros(0)
    if len(pairs_o):
        uni, _, s_rho, a21_o, _ = _ordinal_parts(od, nth_o, tpad, pairs_o, tables, rho_o)
    else:
        uni = _ordinal_parts(od, nth_o, tpad, pairs_o, tables, rho_o)[0]
        s_rho = np.zeros((0, cmax, cmax))
    start_o = np.concatenate([[0], np.cumsum(nth_o)]).astype(int)
    var_col = {k: nth + k for k in range(nv)}
    # A21 of the ordinal pairs (analytic, from the cells), mapped to the global threshold columns
    a21 = np.zeros((npairs, nth + nv))
    for qo, q in enumerate(oo):
        a, b = pairs_o[qo]
        a21[q, start[oi[a]]:start[oi[a]] + nth_o[a]] = a21_o[qo, start_o[a]:start_o[a + 1]]
        a21[q, start[oi[b]]:start[oi[b]] + nth_o[b]] = a21_o[qo, start_o[b]:start_o[b + 1]]
    inner = np.zeros((kdim, kdim))
    sd = np.sqrt(var)
    mixed_up = {}
    for q, k, o in mixed:
        tp = np.concatenate([[-np.inf], th_o[o], [np.inf]])
        mixed_up[q] = (tp[od.codes[:, o] + 1], tp[od.codes[:, o]])
    for r0 in range(0, n, block_rows):
        sl = slice(r0, r0 + block_rows)
        codes = od.codes[sl]
        m = len(codes)
        sc = np.zeros((m, kdim))
        for a, v in enumerate(ordered):
            i = pos[v]
            sc[:, start[i]:start[i] + nth_o[a]] = uni[a][codes[:, a]]
        for k, v in enumerate(numeric):
            i = pos[v]
            zk = z[sl, k]
            sc[:, start[i]] = zk / sd[k]                                   # ∂/∂μ
            sc[:, var_col[k]] = (zk * zk - 1) / (2 * var[k])               # ∂/∂σ²
        for qo, q in enumerate(oo):
            a, b = pairs_o[qo]
            sc[:, nth + nv + q] = s_rho[qo][codes[:, a], codes[:, b]]
        for q, k, o in mixed:
            up, lo = mixed_up[q][0][sl], mixed_up[q][1][sl]
            rho = cor[pairs[q, 0], pairs[q, 1]]
            zk = z[sl, k]
            d_rho, pa, pb, py, r = _scores(rho, zk, up, lo)
            sc[:, nth + nv + q] = d_rho
            dmu = (zk + (rho / r) * (pa - pb) / py) / sd[k]
            dvar = ((zk * zk - 1) + (rho * zk / r) * (pa - pb) / py) / (2 * var[k])
            c = codes[:, o]
            dth = np.zeros((m, nth_o[o]))
            rows = np.arange(m)
            top = c < nth_o[o]
            dth[rows[top], c[top]] += pa[top] / (r[top] * py[top])
            bot = c > 0
            dth[rows[bot], c[bot] - 1] -= pb[bot] / (r[bot] * py[bot])
            i_num = pos[numeric[k]]
            i_ord = pos[ordered[o]]
            a21[q, start[i_num]] += float(d_rho @ dmu)
            a21[q, var_col[k]] += float(d_rho @ dvar)
            a21[q, start[i_ord]:start[i_ord] + nth_o[o]] += d_rho @ dth
        for q, ki, kj in both:               # lavaan's lav_bvreg_cor_scores
            rho = cor[pairs[q, 0], pairs[q, 1]]
            u, v = z[sl, ki], z[sl, kj]
            rr = 1 - rho * rho
            quad = u * u - 2 * rho * u * v + v * v
            d_rho = rho / rr + u * v / rr - quad * rho / (rr * rr)
            sc[:, nth + nv + q] = d_rho
            for k, a, b in ((ki, u, v), (kj, v, u)):
                dmu = (a - rho * b) / (rr * sd[k])
                dvar = -(0.5 - (a * a - rho * a * b) / (2 * rr)) / var[k]
                a21[q, start[pos[numeric[k]]]] += float(d_rho @ dmu)
                a21[q, var_col[k]] += float(d_rho @ dvar)
        inner += sc.T @ sc
    k1 = nth + nv
    a11 = np.zeros((k1, k1))
    for i, v in enumerate(items):
        idx = list(range(start[i], start[i + 1]))
        if v in numeric:
            idx.append(var_col[numeric.index(v)])
        a11[np.ix_(idx, idx)] = inner[np.ix_(idx, idx)]
    a22 = np.diag(inner)[k1:]
    a11_inv = np.linalg.inv(a11)
    b_inv = np.zeros((kdim, kdim))
    b_inv[:k1, :k1] = a11_inv
    b_inv[k1:, k1:] = np.diag(1.0 / np.maximum(a22, _SQRT_EPS))
    b_inv[k1:, :k1] = -(b_inv[k1:, k1:] @ a21) @ a11_inv
    gam = n * (b_inv @ inner @ b_inv.T)
    # correlations → covariances for the polyserial pairs (delta method, lavaan's H)
    h = np.eye(kdim)
    for q, k, _ in mixed:
        rho = cor[pairs[q, 0], pairs[q, 1]]
        h[k1 + q, k1 + q] = sd[k]
        h[k1 + q, var_col[k]] = rho / (2 * sd[k])
    for q, ki, kj in both:
        rho = cor[pairs[q, 0], pairs[q, 1]]
        h[k1 + q, k1 + q] = sd[ki] * sd[kj]
        h[k1 + q, var_col[ki]] = sd[kj] * rho / (2 * sd[ki])
        h[k1 + q, var_col[kj]] = sd[ki] * rho / (2 * sd[kj])
    return h @ gam @ h.T
