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
  p(p − 1)/2 df.
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
- Afterwards, as psych: columns are reflected to positive sums and ordered by the variance
  they account for, diag(Φ L'L), decreasing. Communality h2 = Σ of the unrotated squared
  loadings, u2 = 1 − h2, complexity = (Σλ²)² / Σλ⁴ of the rotated pattern (Hofmann).
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

__all__ = ["EFAResult", "ParallelResult", "correlation_matrix", "kmo", "bartlett", "smc",
           "extract", "rotate", "fit_efa", "parallel_analysis", "ROTATIONS", "METHODS",
           "loading_table"]

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
    """Squared multiple correlations, 1 − 1/diag(R⁻¹)."""
    return 1 - 1 / np.diag(_inverse(r))


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
    """Bartlett's test that R is an identity matrix: (χ², df, p)."""
    from scipy.stats import chi2

    p = r.shape[0]
    stat = -math.log(np.linalg.det(r)) * (n - 1 - (2 * p + 5) / 6)
    df = p * (p - 1) // 2
    return float(stat), df, float(chi2.sf(stat, df))


# ---------------------------------------------------------------------------------------
# extraction
# ---------------------------------------------------------------------------------------

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
    s = smc(r)
    upper = max(float(s.max()), 1.0)
    start = np.diag(r) - s
    fg = _minres_objective(r, m) if method == "minres" else _ml_objective(r, m)
    res = minimize(fg, start, jac=True, method="L-BFGS-B", bounds=[(0.005, upper)] * p,
                   options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000, "maxcor": 20})
    psi = res.x
    if method == "minres":
        w, v = np.linalg.eigh(r - np.diag(psi))
        lam = v[:, -m:][:, ::-1] * np.sqrt(np.maximum(w[-m:][::-1], 0))
    else:
        sc = 1 / np.sqrt(psi)
        w, v = np.linalg.eigh(r * np.outer(sc, sc))
        lam = (v[:, -m:][:, ::-1] * np.sqrt(np.maximum(w[-m:][::-1] - 1, 0))) * np.sqrt(psi)[:, None]
    # projected gradient: zero at the solution, or pointing outwards at an active bound
    g = res.jac
    pg = np.where((psi <= 0.005 + 1e-12) & (g > 0) | (psi >= upper - 1e-12) & (g < 0), 0.0, g)
    converged = bool(np.max(np.abs(pg)) < 1e-6)
    return _Extraction(loadings=lam, uniquenesses=psi, converged=converged, objective=float(res.fun))


# ---------------------------------------------------------------------------------------
# rotation
# ---------------------------------------------------------------------------------------

def _oblimin(lam: np.ndarray, gamma: float = 0.0) -> tuple[float, np.ndarray]:
    p, k = lam.shape
    l2 = lam ** 2
    x = l2 @ (1 - np.eye(k))
    if gamma:
        x = (np.eye(p) - gamma / p) @ x
    return float(np.sum(l2 * x) / 4), lam * x


def _geomin(lam: np.ndarray, delta: float = 0.01) -> tuple[float, np.ndarray]:
    k = lam.shape[1]
    l2 = lam ** 2 + delta
    pro = np.exp(np.log(l2).sum(axis=1) / k)
    return float(pro.sum()), (2 / k) * (lam / l2) * pro[:, None]


def _gpf_oblique(a: np.ndarray, criterion: Callable, eps: float = 1e-5,
                 max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray, bool]:
    """Gradient projection rotation to an oblique criterion (Bernaards & Jennrich 2005)."""
    k = a.shape[1]
    t = np.eye(k)
    lam = a @ np.linalg.inv(t).T
    f, gq = criterion(lam)
    g = -(lam.T @ gq @ np.linalg.inv(t)).T
    al = 1.0
    converged = False
    for _ in range(max_iter + 1):
        gp = g - t * np.sum(t * g, axis=0)
        s = math.sqrt(float(np.sum(gp ** 2)))
        if s < eps:
            converged = True
            break
        al *= 2
        for _ in range(11):
            x = t - al * gp
            tt = x / np.sqrt(np.sum(x ** 2, axis=0))
            lam = a @ np.linalg.inv(tt).T
            ft, gqt = criterion(lam)
            if f - ft > 0.5 * s ** 2 * al:
                break
            al /= 2
        t, f = tt, ft
        g = -(lam.T @ gqt @ np.linalg.inv(tt)).T
    return lam, t.T @ t, converged


def _varimax(a: np.ndarray, normalize: bool = True, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """Kaiser's varimax with R's ``stats::varimax`` iteration and stopping rule."""
    p, k = a.shape
    sc = np.sqrt((a ** 2).sum(axis=1)) if normalize else np.ones(p)
    x = a / sc[:, None]
    tt = np.eye(k)
    d = 0.0
    for _ in range(1000):
        z = x @ tt
        b = x.T @ (z ** 3 - z * (z ** 2).sum(axis=0) / p)
        u, sv, vt = np.linalg.svd(b)
        tt = u @ vt
        d_past, d = d, float(sv.sum())
        if d < d_past * (1 + eps):
            break
    return (x @ tt) * sc[:, None], tt


def _promax(a: np.ndarray, power: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """psych's ``promax`` (``kaiser(rotate = "Promax")``): rows normalised to unit length,
    varimax, a least-squares fit to the powered target, rows rescaled."""
    h = np.sqrt((a ** 2).sum(axis=1))
    x, rot = _varimax(a / h[:, None])
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
    if rotation == "oblimin":
        return _gpf_oblique(loadings, _oblimin, eps)
    if rotation == "geomin":
        return _gpf_oblique(loadings, _geomin, eps)
    if rotation == "promax":
        lam, phi = _promax(loadings)
        return lam, phi, True
    lam, _ = _varimax(loadings)
    return lam, np.eye(k), True


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
        Factor names, psych's: ``MR1, MR2, …`` (minres) or ``ML1, …`` (ML), in the order
        of variance accounted for after rotation.
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
        Number of cases behind ``r`` (reported; used by nothing else here).
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
    order = np.argsort(-ev, kind="stable")
    rot, phi, ev = rot[:, order], phi[np.ix_(order, order)], ev[order]
    names = [f"{_PREFIX[method]}{k + 1}" for k in range(n_factors)]
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
    return EFAResult(items=list(items), factors=names,
                     loadings=pd.DataFrame(rot, index=items, columns=names),
                     phi=pd.DataFrame(phi, index=names, columns=names),
                     h2=pd.Series(h2, index=items), u2=pd.Series(u2, index=items),
                     complexity=pd.Series(complexity, index=items), values=values,
                     e_values=e_values, variance=variance, n=int(n), method=method,
                     rotation=rotation, converged=ex.converged and conv, kmo=msa_all,
                     msa=pd.Series(msa, index=items))


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


def parallel_analysis(r: np.ndarray, n: int, n_iter: int = 20, quantile: float = 0.95,
                      seed: int = 0) -> ParallelResult:
    """Horn's parallel analysis with factor eigenvalues, as ``psych::fa.parallel``.

    psych simulates ``n_iter`` data sets of n × p standard normal values and takes their
    correlation matrices; here each of those correlation matrices is drawn directly from its
    exact distribution (the centred cross-product matrix of such data is Wishart(n − 1, I),
    :func:`wishart_identity`), so the cost does not grow with n.

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
