"""McDonald's omega (total and hierarchical) as R's ``psych::omega`` computes it.

``psych::omega(x, nfactors = nf)`` (psych 2.2.9, defaults ``fm = "minres"``,
``rotate = "oblimin"``, ``option = "equal"``, ``flip = TRUE``) does, and so does
:func:`omega`:

1. ``R = cor(x, use = "pairwise")``;
2. a minimum-residual (minres) EFA with ``nf`` factors: uniquenesses ``psi`` in
   ``[0.005, max(1, smc)]`` minimise the squared residuals of ``R - diag(psi)`` from its best
   rank-``nf`` approximation, started at ``1 - smc`` (psych runs L-BFGS-B on the off-diagonal
   residuals; at the optimum both criteria coincide, and
   :func:`attachstats.stats.efa.minres` reaches it by accelerated iterated principal axes
   finished by projected Newton steps, to a projected gradient of 1e-10);
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

Warnings psych gives are kept on the result (``identified``, ``notes``) instead of being
lost: with ``nf = 2`` the general factor is under-identified (psych: "Three factors are
required for identification -- general factor loadings set to be equal. Proceed with
caution."), and an item whose communality in the group-factor solution is 1 or more is an
ultra-Heywood case (psych's ``fa`` inside ``schmid``: "An ultra-Heywood case was
detected"). The coefficients are still returned.

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
from typing import Sequence

import numpy as np
import pandas as pd

from attachstats.errors import DataError
from attachstats.stats.pairwise import pairwise_corr_values
from attachstats.stats.efa import minres, oblimin, smc, varimax

__all__ = ["OmegaResult", "omega", "omega_from_corr", "omega_bootstrap", "omega_nfactors_for", "omega_notes",
           "UNDER_IDENTIFIED_NOTE",
           "minres", "smc", "varimax", "oblimin", "schmid_leiman"]   # the kernels are efa's, re-exported


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
    identified: bool = True  # False for nfactors == 2: g loadings fixed equal (psych's option "equal")
    notes: tuple[str, ...] = ()  # psych's warnings: under-identification, ultra-Heywood items


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


#: The note of a two-group-factor omega (psych's message, shortened).
UNDER_IDENTIFIED_NOTE = ("under-identified: 2 group factors (3 are needed to identify the general factor); "
                         "the general-factor loadings are set equal (psych's option = \"equal\")")


def omega_notes(nfactors: int, h2: np.ndarray, items: Sequence[str] | None = None) -> tuple[bool, tuple[str, ...]]:
    """Whether the omega's general factor is identified, and psych's warnings as notes.

    Parameters
    ----------
    nfactors : int
        Group factors.
    h2 : ndarray (k,)
        Communalities of the group-factor solution.
    items : sequence of str, optional
        Item names for the notes (default: 1-based positions).

    Returns
    -------
    identified : bool
        False for ``nfactors == 2`` (psych: "Three factors are required for identification").
    notes : tuple of str
        :data:`UNDER_IDENTIFIED_NOTE` when not identified, and an ultra-Heywood note naming
        the items with ``h2 >= 1`` (psych warns "An ultra-Heywood case was detected").

    Examples
    --------
    >>> omega_notes(3, np.array([.5, .6]))
    (True, ())
    >>> omega_notes(2, np.array([1.02, .6]), ["a", "b"])[1][1]
    'ultra-Heywood: communality h2 >= 1 for a'
    """
    names = [str(i + 1) for i in range(len(h2))] if items is None else [str(i) for i in items]
    identified = nfactors != 2
    notes = [] if identified else [UNDER_IDENTIFIED_NOTE]
    heywood = [n for n, h in zip(names, h2) if h >= 1.0]
    if heywood:
        notes.append("ultra-Heywood: communality h2 >= 1 for " + ", ".join(heywood))
    return identified, tuple(notes)


def omega_from_corr(r: np.ndarray, nfactors: int = 3, items: Sequence[str] | None = None) -> OmegaResult:
    """Omega coefficients from one correlation matrix (see :func:`omega`); ``items`` names
    the items in the notes."""
    tot, om_h, lim, g, h2 = _omega_stack(r[None], nfactors)
    undefined = nfactors == 1
    identified, notes = omega_notes(nfactors, h2[0], items)
    return OmegaResult(omega_total=float(tot[0]), omega_h=float("nan") if undefined else float(om_h[0]),
                       omega_lim=float("nan") if undefined else float(lim[0]),
                       omega_h_psych=float(om_h[0]), nfactors=nfactors, g_loadings=g[0], h2=h2[0],
                       identified=identified, notes=notes)


def pairwise_corr(items: pd.DataFrame) -> np.ndarray:
    """``cor(x, use = "pairwise")``, with a clear error when a pair has no overlap or no variance."""
    x = items.astype("float64")
    r = pairwise_corr_values(x.to_numpy(dtype=np.float64, na_value=np.nan))
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
        ``omega_h_psych``, ``nfactors``, g loadings and communalities, ``identified``
        (False for ``nfactors = 2``) and ``notes`` (psych's warnings, see
        :func:`omega_notes`).

    Notes
    -----
    R: ``psych::omega(items, nfactors)``.
    """
    return omega_from_corr(pairwise_corr(items), nfactors, [str(c) for c in items.columns])


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
