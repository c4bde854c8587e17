"""Confirmatory factor analysis (ML) with fit statistics on lavaan's conventions.

The estimates, standard errors and fit statistics equal those of lavaan's ``cfa()`` with its
defaults (checked against lavaan 0.6-14 by ``tests/unit/test_cfa.py``; the reference values
are made by ``tests/fixtures/cfa/make_cfa_fixtures.R``).

Estimation
----------
The maximum-likelihood fit is our own, not semopy's. semopy 2.3.11 (optimizer SLSQP with
its default tolerance) stops up to 4e-4 away from lavaan's estimates on the test data, bounds
variances at zero where lavaan does not, and orders latent variables as a set; none of this
is fixable from outside. The fit here minimises lavaan's ML discrepancy

    F(θ) = log|Σ(θ)| + tr(S Σ(θ)⁻¹) − log|S| − p,   Σ = Λ Ψ Λ' + Θ,

by Fisher scoring (Newton steps with the analytic gradient and the expected information as
Hessian, backtracking line search) to a gradient norm of 1e-10 or a Newton decrement gᵀH⁻¹g of
1e-16 (the precision of F), with
``scipy.optimize.minimize`` (BFGS, analytic gradient) as fallback if scoring stalls. ``S``
is the covariance matrix of the complete cases with divisor N (lavaan's
``likelihood = "normal"``). Variances are not bounded: a negative variance (Heywood case)
is reported, with a warning, as lavaan does.

Other estimators
----------------
``fit_cfa(..., estimator="MLR")`` keeps these estimates and replaces the standard errors
and the test by lavaan's robust ones (:mod:`attachstats.stats.latent.mlr`); ``missing="fiml"`` fits
by full-information ML with a saturated mean structure (:mod:`attachstats.stats.latent.fiml`). Multiple
groups with equality constraints: :mod:`attachstats.stats.latent.invariance`.

Model (lavaan ``cfa()`` defaults)
---------------------------------
The loading of each factor's first indicator is fixed to 1, all other loadings, the
residual variances of the items, the latent variances and all latent covariances are free;
no mean structure. The syntax understood is the measurement part of lavaan's:
``f =~ x1 + x2`` (modifiers ``1*x1`` fix, ``NA*x1`` frees a loading) and ``a ~~ b``
between two factors or two items (``0*b`` fixes, e.g. orthogonal factors; ``f ~~ 1*f``
fixes a latent variance). Labels, regressions and intercepts raise :class:`ModelError`.

Statistics (names as in lavaan's ``fitMeasures``)
-------------------------------------------------
- ``chi2`` = N·F(θ̂) (``chisq``), ``df`` = p(p+1)/2 − npar, ``p`` its upper tail;
- baseline = independence model: N·(Σ log sᵢᵢ − log|S|) on p(p−1)/2 df;
- ``cfi`` = 1 − max(χ² − df, 0) / max(χ² − df, χ²_b − df_b, 0) (1 when both are 0);
- ``tli`` = 1 − (χ² − df)·df_b / ((χ²_b − df_b)·df), not capped (1 when df = 0);
- ``rmsea`` = sqrt(max(χ²/(N·df) − 1/N, 0)); 90% interval by inverting the non-central
  χ² distribution in the non-centrality λ (P(χ² | df, λ) = .95 and .05), bounds
  sqrt(λ/(N·df)), with lavaan's rules for bounds set to 0;
- ``srmr`` = lavaan's default ``srmr`` = ``srmr_bentler``: root mean square, over the
  p(p+1)/2 elements of the lower triangle with the diagonal, of (sᵢⱼ − σ̂ᵢⱼ)/sqrt(sᵢᵢ sⱼⱼ)
  (both matrices scaled by the *sample* standard deviations; Bollen's version scales each
  matrix by its own diagonal, which differs only when the fitted variances are not exact);
- ``loglik`` = −N/2·(p log 2π + log|Σ̂| + tr(S Σ̂⁻¹)) (lavaan ``logl``; means saturated),
  ``aic`` = −2 loglik + 2 npar, ``bic`` = −2 loglik + npar log N.

Standard errors: expected information (lavaan's default for complete-data ML),
Cov(θ̂) = (N · I(θ̂))⁻¹ with Iₖₗ = ½ tr(Σ̂⁻¹ ∂ₖΣ Σ̂⁻¹ ∂ₗΣ). Fixed parameters have ``se``
NaN (lavaan prints 0). Standardised estimates are lavaan's ``std.all``; their standard
errors come from the delta method with the exact Jacobian (complex-step derivative), as
lavaan's ``standardizedSolution``, and the intervals are std ± 1.959964·se; like lavaan,
a standardised se below 1.2e-4 (machine epsilon^¼) is set to 0 (e.g. the standardised
variance of a factor, or the residual variance of an item that hardly loads).

Example
-------
>>> syntax = build_model_syntax({"anxiety": ["a1", "a2", "a3"], "avoidance": ["v1", "v2", "v3"]})
>>> print(syntax)
anxiety =~ a1 + a2 + a3
avoidance =~ v1 + v2 + v3
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from attachstats.stats.threads import small_matrix_work
from attachstats.errors import ModelError

__all__ = ["CFAResult", "build_model_syntax", "method_factor_syntax", "fit_cfa", "fit_table", "fit_indices",
           "FIT_COLUMNS", "LOADING_COLUMNS", "CORRELATION_COLUMNS", "PARAMETER_COLUMNS"]

#: Keys of :attr:`CFAResult.fit` and columns of :func:`fit_table`, in order.
FIT_COLUMNS = ["model", "estimator", "n", "chi2", "df", "p", "cfi", "tli", "rmsea",
               "rmsea_ci_lo", "rmsea_ci_hi", "srmr", "aic", "bic", "loglik", "npar",
               "baseline_chi2", "baseline_df", "chi2_ml", "scaling_factor",
               "baseline_scaling_factor"]
#: Columns of :attr:`CFAResult.loadings`.
LOADING_COLUMNS = ["model", "factor", "item", "est", "se", "std", "std_ci_lo", "std_ci_hi"]
#: Columns of :attr:`CFAResult.factor_correlations`.
CORRELATION_COLUMNS = ["model", "factor1", "factor2", "est", "se", "ci_lo", "ci_hi"]
#: Columns of :attr:`CFAResult.parameters` (every parameter, as lavaan's parameter table).
PARAMETER_COLUMNS = ["model", "lhs", "op", "rhs", "free", "est", "se", "std", "std_se",
                     "std_ci_lo", "std_ci_hi"]

#: Two-sided 95% normal quantile, as lavaan's ``qnorm(0.975)``.
Z_95 = 1.959963984540054

_NAME = r"[A-Za-z_.][A-Za-z0-9_.]*"
_NAME_RE = re.compile(rf"^{_NAME}$")
_TERM_RE = re.compile(rf"^(?:(?P<mod>[^*\s]+)\s*\*\s*)?(?P<name>{_NAME})$")
_GRAD_TOL = 1e-10
_MAX_ITER = 500
_DECREMENT_TOL = 1e-16
#: lavaan's standardizedSolution() sets standard errors below this to 0
_STD_SE_ZERO = np.finfo(float).eps ** 0.25


@dataclass
class CFAResult:
    """The result of :func:`fit_cfa`. Computation only: nothing here is formatted.

    Attributes
    ----------
    name : str
        Model name (the ``model`` column of every table).
    n : int
        Number of complete cases used.
    fit : dict
        Fit statistics, keys :data:`FIT_COLUMNS` (see the module docstring).
    loadings : DataFrame
        Columns :data:`LOADING_COLUMNS`; ``std`` is the fully standardised loading
        (lavaan ``std.all``), its interval std ± 1.959964·se(std) by the delta method.
        ``se`` is NaN for a fixed loading.
    factor_correlations : DataFrame
        Columns :data:`CORRELATION_COLUMNS`: standardised latent correlations with delta
        method standard errors and 95% intervals; no rows for a one-factor model.
    parameters : DataFrame
        Every parameter (loadings, residual and latent (co)variances), columns
        :data:`PARAMETER_COLUMNS`, named as in lavaan's ``parameterEstimates``.
    syntax : str
        The model syntax that was fitted.
    sample_cov, implied_cov : DataFrame
        S (divisor N) and the model-implied Σ̂, indexed by item.
    """

    name: str
    n: int
    fit: dict
    loadings: pd.DataFrame
    factor_correlations: pd.DataFrame
    parameters: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PARAMETER_COLUMNS))
    syntax: str = ""
    sample_cov: pd.DataFrame = field(default_factory=pd.DataFrame)
    implied_cov: pd.DataFrame = field(default_factory=pd.DataFrame)


# ---------------------------------------------------------------------------------------
# syntax
# ---------------------------------------------------------------------------------------

def build_model_syntax(factors: Mapping[str, Sequence[str]], correlated: bool = True) -> str:
    """lavaan-style measurement model syntax, one line per factor.

    Parameters
    ----------
    factors : mapping of str to list of str
        Factor name to its item columns, in order (the first item is the marker whose
        loading :func:`fit_cfa` fixes to 1).
    correlated : bool, default True
        If False, every pair of factors gets a line ``f1 ~~ 0*f2`` (orthogonal factors).

    Returns
    -------
    str
        E.g. ``"anxiety =~ ecr_2 + ecr_4\\navoidance =~ ecr_1 + ecr_3"``.

    Raises
    ------
    ModelError
        No factors, a factor without items, an item twice in a factor, a factor named as
        an item, or a name that is not a valid lavaan name (letters, digits, ``_`` and
        ``.``, not starting with a digit).

    Examples
    --------
    >>> build_model_syntax({"f1": ["x1", "x2"], "f2": ["x3", "x4"]}, correlated=False)
    'f1 =~ x1 + x2\\nf2 =~ x3 + x4\\nf1 ~~ 0*f2'
    """
    if not factors:
        raise ModelError("a factor model needs at least one factor")
    items_all = {i for items in factors.values() for i in items}
    lines = []
    for fac, items in factors.items():
        _check_name(fac, "factor")
        if isinstance(items, str) or not list(items):
            raise ModelError(f"factor {fac!r} needs a list of at least one item")
        items = list(items)
        for it in items:
            _check_name(it, "item")
        dup = sorted({i for i in items if items.count(i) > 1})
        if dup:
            raise ModelError(f"factor {fac!r} lists item(s) more than once: {', '.join(dup)}")
        if fac in items_all:
            raise ModelError(f"factor name {fac!r} is also the name of an item")
        lines.append(f"{fac} =~ " + " + ".join(items))
    if not correlated:
        lines += [f"{a} ~~ 0*{b}" for a, b in combinations(factors, 2)]
    return "\n".join(lines)


def method_factor_syntax(factors: Mapping[str, Sequence[str]], method_items: Sequence[str],
                         method: str = "method") -> str:
    """Correlated factors plus a method factor for the reverse-keyed items.

    The method factor loads on ``method_items`` and is orthogonal to every substantive
    factor, so it absorbs variance shared by the reverse-worded items beyond their trait (a
    "correlated traits, uncorrelated method" model). Each method item keeps its loading on
    its substantive factor.

    Identification: the method factor's variance is fixed to 1 and all its loadings are free
    (``NA*`` on the first). With a marker loading instead, a weak or absent method effect
    drives the method variance to 0 and the loadings to infinity (an empirically
    unidentified model); with the variance fixed, the loadings just come out near 0. The
    sign is fixed by the start values (first method item loads positively). At least
    three method items are required; the fit also checks that the information matrix is not
    singular.

    Raises
    ------
    ModelError
        Fewer than three method items, an item that belongs to no factor, or a method factor
        name already used.

    Examples
    --------
    >>> print(method_factor_syntax({"a": ["x1", "x2", "x3"], "b": ["x4", "x5", "x6"]},
    ...                            ["x2", "x4", "x6"]))
    a =~ x1 + x2 + x3
    b =~ x4 + x5 + x6
    method =~ NA*x2 + x4 + x6
    method ~~ 1*method
    a ~~ 0*method
    b ~~ 0*method
    """
    items = {i for its in factors.values() for i in its}
    method_items = list(method_items)
    if method in factors or method in items:
        raise ModelError(f"method factor name {method!r} is already a factor or item name")
    stray = [i for i in method_items if i not in items]
    if stray:
        raise ModelError(f"method factor: not an item of any factor: {', '.join(stray)}")
    if len(method_items) < 3:
        raise ModelError(f"a method factor needs at least 3 reverse-keyed items to be identified, "
                         f"got {len(method_items)} ({', '.join(method_items) or 'none'})")
    base = build_model_syntax(factors)
    lines = [base, f"{method} =~ NA*" + " + ".join(method_items), f"{method} ~~ 1*{method}"]
    lines += [f"{f} ~~ 0*{method}" for f in factors]
    return "\n".join(lines)


def _check_name(name: object, what: str) -> None:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ModelError(f"{what} name {name!r} is not a valid model name (letters, digits, "
                         "'_' and '.', not starting with a digit)")


def _modifier(mod: str | None, stmt: str, name: str) -> float | None:
    """None = free (no modifier or ``NA``); a number = fixed at that value."""
    if mod is None or mod == "NA":
        return None
    try:
        val = float(mod)
    except ValueError:
        val = math.nan
    if not math.isfinite(val):
        raise ModelError(f"model {name!r}: unsupported modifier {mod!r} in {stmt!r}: only "
                         "numbers (fixed values) and NA (free) are supported, not labels")
    return val


def _terms(rhs: str, stmt: str, name: str) -> list[tuple[str, str | None]]:
    out = []
    for term in rhs.split("+"):
        m = _TERM_RE.match(term.strip())
        if not m:
            raise ModelError(f"model {name!r}: cannot read {term.strip()!r} in {stmt!r}")
        out.append((m["name"], m["mod"]))
    return out


@dataclass
class _Spec:
    """A parsed measurement model: matrices' layout and which entries are free."""

    observed: list[str]
    latent: list[str]
    # rows of the parameter table: (lhs, op, rhs, matrix, i, j, fixed value or None)
    rows: list[tuple[str, str, str, str, int, int, float | None]]


def _parse(syntax: str, name: str) -> _Spec:
    if not isinstance(syntax, str) or not syntax.strip():
        raise ModelError(f"model {name!r}: the model syntax is empty")
    stmts = []
    for line in syntax.splitlines():
        line = re.split(r"[#!]", line, maxsplit=1)[0]
        stmts += [s.strip() for s in line.split(";") if s.strip()]
    loads: dict[str, list[tuple[str, str | None]]] = {}
    covs: list[tuple[str, str, str | None, str]] = []
    for st in stmts:
        if "=~" in st:
            lhs, rhs = st.split("=~", 1)
            lhs = lhs.strip()
            if not _NAME_RE.match(lhs):
                raise ModelError(f"model {name!r}: cannot read factor name in {st!r}")
            loads.setdefault(lhs, []).extend(_terms(rhs, st, name))
        elif "~~" in st:
            lhs, rhs = st.split("~~", 1)
            lhs = lhs.strip()
            if not _NAME_RE.match(lhs):
                raise ModelError(f"model {name!r}: cannot read {st!r}")
            covs += [(lhs, v, mod, st) for v, mod in _terms(rhs, st, name)]
        else:
            raise ModelError(f"model {name!r}: unsupported statement {st!r} (a CFA model takes "
                             "'=~' and '~~' lines only)")
    if not loads:
        raise ModelError(f"model {name!r}: no factor is defined ('f =~ item + ...')")
    latent = list(loads)
    observed: list[str] = []
    for fac, terms in loads.items():
        seen = [t[0] for t in terms]
        dup = sorted({v for v in seen if seen.count(v) > 1})
        if dup:
            raise ModelError(f"model {name!r}: factor {fac!r} lists {', '.join(dup)} more than once")
        for v, _ in terms:
            if v in loads:
                raise ModelError(f"model {name!r}: {v!r} is a factor and an indicator of {fac!r}; "
                                 "higher-order factors are not supported")
            if v not in observed:
                observed.append(v)
    oi = {v: k for k, v in enumerate(observed)}
    li = {v: k for k, v in enumerate(latent)}

    rows: list[tuple[str, str, str, str, int, int, float | None]] = []
    for fac, terms in loads.items():
        for k, (v, mod) in enumerate(terms):
            st = f"{fac} =~ {v}"
            val = 1.0 if (k == 0 and mod is None) else _modifier(mod, st, name)
            rows.append((fac, "=~", v, "lambda", oi[v], li[fac], val))
    # (co)variances: user statements first, then lavaan's defaults for what is left
    cov: dict[tuple[str, int, int], tuple[str, str, float | None]] = {}
    for a, b, mod, st in covs:
        if a in li and b in li:
            mat, i, j = "psi", li[a], li[b]
        elif a in oi and b in oi:
            mat, i, j = "theta", oi[a], oi[b]
        else:
            bad = [v for v in (a, b) if v not in li and v not in oi]
            if bad:
                raise ModelError(f"model {name!r}: {', '.join(repr(v) for v in bad)} in {st!r} is "
                                 "neither a factor nor an indicator of one")
            raise ModelError(f"model {name!r}: {st!r} relates a factor to an item, which a "
                             "CFA model does not allow")
        key = (mat, min(i, j), max(i, j))
        cov[key] = (a, b, _modifier(mod, st, name))
    user = list(cov)
    for mat, i, j in user:
        a, b, val = cov[(mat, i, j)]
        rows.append((a, "~~", b, mat, i, j, val))
    for v, i in oi.items():
        if ("theta", i, i) not in cov:
            rows.append((v, "~~", v, "theta", i, i, None))
    for f, i in li.items():
        if ("psi", i, i) not in cov:
            rows.append((f, "~~", f, "psi", i, i, None))
    for (f, i), (g, j) in combinations(li.items(), 2):
        if ("psi", i, j) not in cov:
            rows.append((f, "~~", g, "psi", i, j, None))
    return _Spec(observed, latent, rows)


# ---------------------------------------------------------------------------------------
# the ML discrepancy and its derivatives
# ---------------------------------------------------------------------------------------

class _Model:
    """Σ(θ) = Λ Ψ Λ' + Θ for the free parameters θ of a :class:`_Spec`."""

    def __init__(self, spec: _Spec) -> None:
        self.spec = spec
        p, m = len(spec.observed), len(spec.latent)
        self.p, self.m = p, m
        self.base = {"lambda": np.zeros((p, m)), "psi": np.zeros((m, m)), "theta": np.zeros((p, p))}
        self.free: list[tuple[str, int, int]] = []
        self.row_of_free: list[int] = []
        for r, (_, _, _, mat, i, j, val) in enumerate(spec.rows):
            if val is None:
                self.free.append((mat, i, j))
                self.row_of_free.append(r)
            else:
                self._put(self.base, mat, i, j, val)
        self.npar = len(self.free)
        # index arrays to put θ into the matrices (symmetric ones both ways)
        self._where = {}
        for mat in ("lambda", "psi", "theta"):
            ks = [k for k, (mm, _, _) in enumerate(self.free) if mm == mat]
            ii = [self.free[k][1] for k in ks]
            jj = [self.free[k][2] for k in ks]
            if mat != "lambda":
                ks, ii, jj = ks + ks, ii + jj, jj + ii
            self._where[mat] = (np.array(ks, dtype=int), np.array(ii, dtype=int),
                                np.array(jj, dtype=int))

    @staticmethod
    def _put(mats: dict[str, np.ndarray], mat: str, i: int, j: int, val: Any) -> None:
        mats[mat][i, j] = val
        if mat != "lambda":
            mats[mat][j, i] = val

    def matrices(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        dtype = np.result_type(theta.dtype, float)
        mats = {k: v.astype(dtype) for k, v in self.base.items()}
        for mat, (ks, ii, jj) in self._where.items():
            mats[mat][ii, jj] = theta[ks]
        return mats

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        mx = self.matrices(theta)
        lam = mx["lambda"]
        return lam @ mx["psi"] @ lam.T + mx["theta"]

    def dsigma(self, theta: np.ndarray) -> np.ndarray:
        """∂Σ/∂θₖ for every free parameter, shape (npar, p, p)."""
        mx = self.matrices(theta)
        lam, psi = mx["lambda"], mx["psi"]
        lp = lam @ psi
        out = np.zeros((self.npar, self.p, self.p))
        for k, (mat, i, j) in enumerate(self.free):
            d = out[k]
            if mat == "lambda":
                d[i, :] += lp[:, j]
                d[:, i] += lp[:, j]
            elif mat == "psi":
                d += np.outer(lam[:, i], lam[:, j])
                if i != j:
                    d += np.outer(lam[:, j], lam[:, i])
            else:
                d[i, j] = 1.0
                d[j, i] = 1.0
        return out


def _discrepancy(model: _Model, s: np.ndarray, logdet_s: float) -> tuple[Callable, Callable, Callable]:
    """F(θ), its gradient and the expected-information Hessian (2·I(θ))."""
    p = model.p

    def chol(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        sig = model.sigma(theta)
        try:
            c = np.linalg.cholesky(sig)
        except np.linalg.LinAlgError:
            return None
        return sig, c

    def fun(theta: np.ndarray) -> float:
        r = chol(theta)
        if r is None:
            return np.inf
        sig, c = r
        inv = np.linalg.inv(sig)
        return float(2 * np.log(np.diag(c)).sum() + np.sum(s * inv) - logdet_s - p)

    # at a Σ that is not positive definite F is +inf; the optimiser rejects such a step,
    # but may ask for the derivatives there first: give finite placeholders
    def grad(theta: np.ndarray) -> np.ndarray:
        r = chol(theta)
        if r is None:
            return np.zeros(model.npar)
        sig = r[0]
        inv = np.linalg.inv(sig)
        g = inv @ (sig - s) @ inv
        return model.dsigma(theta).reshape(model.npar, -1) @ g.ravel()

    def hess(theta: np.ndarray) -> np.ndarray:
        r = chol(theta)
        if r is None:
            return np.eye(model.npar)
        inv = np.linalg.inv(r[0])
        a = np.matmul(inv, model.dsigma(theta))                # Σ⁻¹ ∂ₖΣ
        k = a.shape[0]
        return a.reshape(k, -1) @ a.transpose(0, 2, 1).reshape(k, -1).T   # tr(Aₖ Aₗ)

    return fun, grad, hess


def _start(model: _Model, s: np.ndarray, name: str = "") -> np.ndarray:
    """Starting values: each factor's first principal component of its items' covariances."""
    spec = model.spec
    free = set(model.free)
    lam_start = np.zeros((model.p, model.m))
    psi_diag = np.ones(model.m)
    for f in range(model.m):
        idx = [i for (_, _, _, mat, i, j, _) in spec.rows if mat == "lambda" and j == f]
        block = s[np.ix_(idx, idx)]
        w, v = np.linalg.eigh(block)
        pc = v[:, -1] * math.sqrt(max(w[-1], 1e-8))
        fixed = [(k, model.base["lambda"][i, f]) for k, i in enumerate(idx)
                 if ("lambda", i, f) not in free and model.base["lambda"][i, f] != 0]
        if ("psi", f, f) not in free:                       # variance fixed: scale by it
            var = model.base["psi"][f, f]
            scale = 1 / math.sqrt(var) if var > 0 else 1.0
            if pc[0] < 0:                                   # first item loads positively
                scale = -scale
            psi_diag[f] = var
        elif fixed:                                         # marker item: loading c
            k, c = fixed[0]
            big = np.abs(pc).max()
            lm = pc[k] if abs(pc[k]) > 0.1 * big else math.copysign(0.1 * big, pc[k] or 1.0)
            scale = c / lm
            psi_diag[f] = (lm / c) ** 2
        else:
            raise ModelError(f"model {name!r}: factor {spec.latent[f]!r} has no scale: fix one loading "
                             f"(e.g. 1*item) or its variance ({spec.latent[f]} ~~ 1*{spec.latent[f]})")
        for k, i in enumerate(idx):
            lam_start[i, f] = pc[k] * scale
    common = (lam_start ** 2 * psi_diag).sum(axis=1)
    start = []
    for mat, i, j in model.free:
        if mat == "lambda":
            start.append(lam_start[i, j])
        elif mat == "psi":
            start.append(psi_diag[i] if i == j else 0.0)
        else:
            start.append(max(s[i, i] - common[i], 0.1 * s[i, i]) if i == j else 0.0)
    return np.asarray(start, dtype=float)


def _minimise(model: _Model, s: np.ndarray, logdet_s: float,
              name: str = "") -> tuple[np.ndarray, str | None]:
    """Minimise F; returns θ̂ and None, or the last θ and why it did not converge.

    Fisher scoring (Newton steps with the expected-information Hessian) with a
    backtracking line search, to a gradient norm of ``_GRAD_TOL`` or a Newton decrement
    of ``_DECREMENT_TOL``; if it stalls,
    ``scipy.optimize.minimize`` (BFGS, analytic gradient) continues from where it stopped.
    """
    fun, grad, hess = _discrepancy(model, s, logdet_s)
    x = _start(model, s, name)
    if not np.isfinite(fun(x)):                   # e.g. a fixed value makes Σ indefinite
        x = np.array([s[i, i] if (m == "theta" and i == j) else v
                      for (m, i, j), v in zip(model.free, x)])
    f = fun(x)
    if not np.isfinite(f):
        return x, "no starting values with a positive definite implied covariance matrix"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(_MAX_ITER):
            g = grad(x)
            if np.linalg.norm(g) < _GRAD_TOL:
                return x, None
            h = hess(x)
            ridge = 0.0
            while True:                           # damp a (near-)singular information matrix
                try:
                    step = -np.linalg.solve(h + ridge * np.eye(len(x)), g)
                    if np.all(np.isfinite(step)) and g @ step < 0:
                        break
                except np.linalg.LinAlgError:
                    pass
                ridge = max(ridge * 10, 1e-8 * max(np.abs(np.diag(h)).max(), 1.0))
                if ridge > 1e8:
                    step = -g
                    break
            t, slope = 1.0, float(g @ step)
            if -slope < _DECREMENT_TOL:               # predicted decrease at rounding level
                return x, None
            while t > 1e-12:
                f_new = fun(x + t * step)
                if f_new <= f + 1e-4 * t * slope:
                    break
                t /= 2
            else:                                 # no descent left
                if np.linalg.norm(g) < 1e-6:      # at the precision of F: converged
                    return x, None
                break                             # otherwise let BFGS try
            x, f, f_old = x + t * step, f_new, f
            if f_old - f < 1e-14 * max(1.0, abs(f)) and np.linalg.norm(g) < 1e-6:
                return x, None                    # no progress left at the precision of F
        from scipy.optimize import minimize

        res = minimize(fun, x, jac=grad, method="BFGS", options={"gtol": _GRAD_TOL, "maxiter": 5000})
    x = res.x if np.isfinite(res.fun) and res.fun <= f else x
    gnorm = float(np.linalg.norm(grad(x)))
    if gnorm > 1e-6:
        return x, f"gradient norm {gnorm:.2g} after Fisher scoring and BFGS"
    return x, None


# ---------------------------------------------------------------------------------------
# standardised solution
# ---------------------------------------------------------------------------------------

def _standardised(model: _Model, theta: np.ndarray) -> np.ndarray:
    """lavaan ``std.all`` of every row of the parameter table (works on complex θ).

    Loadings λ·sqrt(ψ_ff)/sqrt(σ̂_ii); latent (co)variances ψ_fg/sqrt(ψ_ff ψ_gg); residual
    variances θ_ii/σ̂_ii; residual covariances θ_ij/sqrt(θ_ii θ_jj) (lavaan's default
    ``cov.std = TRUE``).
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


def _std_jacobian(model: _Model, theta: np.ndarray) -> np.ndarray:
    """∂std/∂θ by the complex-step derivative (exact to rounding)."""
    h = 1e-30
    jac = np.empty((len(model.spec.rows), model.npar))
    for k in range(model.npar):
        t = theta.astype(complex)
        t[k] += 1j * h
        jac[:, k] = _standardised(model, t).imag / h
    return jac


# ---------------------------------------------------------------------------------------
# fit statistics
# ---------------------------------------------------------------------------------------

def _rmsea_ci(x2: float, df: int, n: int, level: float = 0.90) -> tuple[float, float]:
    """lavaan's RMSEA interval: invert the non-central χ² distribution in λ."""
    from scipy.optimize import brentq
    from scipy.stats import chi2, ncx2

    if not (np.isfinite(x2) and df >= 1):
        return 0.0, 0.0
    hi_p, lo_p = 1 - (1 - level) / 2, (1 - level) / 2

    def cdf(lam: float) -> float:
        return float(chi2.cdf(x2, df) if lam <= 0 else ncx2.cdf(x2, df, lam))

    if cdf(0.0) - hi_p < 0:
        lower = 0.0
    else:
        lam = brentq(lambda l: cdf(l) - hi_p, 0.0, x2, xtol=1e-12, rtol=1e-14, maxiter=500)
        lower = math.sqrt(lam / (n * df))
    top = max(n, 4 * x2)
    if cdf(top) - lo_p > 0 or cdf(0.0) - lo_p < 0:
        upper = 0.0
    else:
        lam = brentq(lambda l: cdf(l) - lo_p, 0.0, top, xtol=1e-12, rtol=1e-14, maxiter=500)
        upper = math.sqrt(lam / (n * df))
    return lower, upper


def _fit_measures(name: str, n: int, s: np.ndarray, sig: np.ndarray, npar: int) -> dict:
    p = s.shape[0]
    logdet_s = np.linalg.slogdet(s)[1]
    logdet_sig = np.linalg.slogdet(sig)[1]
    tr = float(np.sum(s * np.linalg.inv(sig)))
    fmin = logdet_sig + tr - logdet_s - p
    x2 = max(n * fmin, 0.0)
    x2b = float(n * (np.log(np.diag(s)).sum() - logdet_s))
    sd = np.sqrt(np.diag(s))
    resid = (s - sig) / np.outer(sd, sd)
    srmr = math.sqrt(np.mean(resid[np.tril_indices(p)] ** 2))
    loglik = -n / 2 * (p * math.log(2 * math.pi) + logdet_sig + tr)
    return fit_indices(name, "ML", n, x2, p * (p + 1) // 2 - npar, x2b, p * (p - 1) // 2,
                       srmr, loglik, npar)


def fit_indices(name: str, estimator: str, n: int, x2: float, df: int, x2b: float, dfb: int,
                srmr: float, loglik: float, npar: int, groups: int = 1) -> dict:
    """The fit dictionary (keys :data:`FIT_COLUMNS`) from the test statistics, as lavaan.

    ``x2``/``df`` are the model's likelihood-ratio test against the saturated model,
    ``x2b``/``dfb`` the baseline (independence) model's; ``groups`` multiplies the RMSEA
    and its interval by sqrt(G) (lavaan's multiple-group convention).
    """
    from scipy.stats import chi2 as chi2_dist

    x2 = max(float(x2), 0.0)
    pval = float(chi2_dist.sf(x2, df)) if df > 0 else math.nan
    t1, t2 = max(x2 - df, 0.0), max(x2 - df, x2b - dfb, 0.0)
    cfi = 1.0 if (math.isclose(t1, 0, abs_tol=1.5e-8) and math.isclose(t2, 0, abs_tol=1.5e-8)) \
        else 1 - t1 / t2
    u1, u2 = (x2 - df) * dfb, (x2b - dfb) * df
    tli = 1 - u1 / u2 if (df > 0 and abs(u2) > 0) else 1.0
    g = math.sqrt(groups)
    rmsea = math.sqrt(max(x2 / n / df - 1 / n, 0.0)) * g if df > 0 else 0.0
    lo, hi = _rmsea_ci(x2, df, n)
    return {"model": name, "estimator": estimator, "n": int(n), "chi2": x2, "df": int(df),
            "p": pval, "cfi": float(cfi), "tli": float(tli), "rmsea": float(rmsea),
            "rmsea_ci_lo": float(lo) * g, "rmsea_ci_hi": float(hi) * g, "srmr": float(srmr),
            "aic": float(-2 * loglik + 2 * npar), "bic": float(-2 * loglik + npar * math.log(n)),
            "loglik": float(loglik), "npar": int(npar), "baseline_chi2": float(x2b),
            "baseline_df": int(dfb), "chi2_ml": x2, "scaling_factor": math.nan,
            "baseline_scaling_factor": math.nan}


# ---------------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------------

def _numeric_matrix(data: pd.DataFrame, cols: list[str], name: str) -> np.ndarray:
    """The model's columns as a float matrix (NaN = missing), with errors naming the model."""
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ModelError(f"model {name!r}: column(s) not in the data: {', '.join(missing)}")
    sub = data.loc[:, cols]
    for c in cols:
        try:
            sub[c] = pd.to_numeric(sub[c]).astype(float)
        except (TypeError, ValueError):
            raise ModelError(f"model {name!r}: column {c!r} is not numeric") from None
    x = sub.to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(x).any():
        bad = [c for k, c in enumerate(cols) if np.isinf(x[:, k]).any()]
        raise ModelError(f"model {name!r}: infinite values in {', '.join(bad)}")
    return x


def _complete_cases(data: pd.DataFrame, cols: list[str], name: str) -> np.ndarray:
    x = _numeric_matrix(data, cols, name)
    return x[~np.isnan(x).any(axis=1)]


ESTIMATORS = ("ML", "MLR")
MISSING = ("listwise", "fiml")


@small_matrix_work
def fit_cfa(data: pd.DataFrame, syntax: str, name: str, estimator: str = "ML",
            missing: str = "listwise") -> CFAResult:
    """Fit a CFA model by maximum likelihood, as lavaan's ``cfa()``.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; must hold every item the syntax names (numeric). Other
        columns are ignored.
    syntax : str
        Model in lavaan syntax, e.g. from :func:`build_model_syntax`.
    name : str
        Model name, used in the result tables and in error messages.
    estimator : {"ML", "MLR"}
        ``"ML"``: lavaan's defaults (expected-information standard errors, normal-theory
        χ²). ``"MLR"``: the same estimates with sandwich standard errors, the
        Yuan–Bentler (Mplus) scaled χ² and robust CFI/TLI/RMSEA, as lavaan's
        ``estimator = "MLR"`` (see :mod:`attachstats.stats.latent.mlr`); complete cases only.
    missing : {"listwise", "fiml"}
        ``"listwise"`` drops rows with a missing value in any of the model's items (lavaan's
        default); ``"fiml"`` uses every row with at least one answered item (full-information
        ML, lavaan's ``missing = "ml"``; see :mod:`attachstats.stats.latent.fiml`; estimator ML only).

    Returns
    -------
    CFAResult
        Fit statistics, loadings, latent correlations and the full parameter table.

    Raises
    ------
    ModelError
        Unreadable or unsupported syntax, items absent from the data or not numeric, too
        few complete cases, a singular sample covariance matrix (constant or collinear
        items), more parameters than moments, a model that is not identified, an
        estimation that does not converge, or an unknown estimator / missing-data option.
        The message names the model.

    Warns
    -----
    UserWarning
        When a variance estimate is negative (Heywood case); the results are returned.
    """
    if estimator not in ESTIMATORS:
        raise ModelError(f"model {name!r}: unknown estimator {estimator!r}; implemented: "
                         f"{', '.join(ESTIMATORS)} (ordinal DWLS/WLSMV is not implemented)")
    if missing not in MISSING:
        raise ModelError(f"model {name!r}: unknown missing-data option {missing!r}; "
                         f"implemented: {', '.join(MISSING)}")
    if missing == "fiml" and estimator != "ML":
        raise ModelError(f"model {name!r}: FIML is implemented with estimator ML only "
                         f"(not {estimator}); use missing: listwise for {estimator}")
    spec = _parse(syntax, name)
    if missing == "fiml":
        from attachstats.stats.latent.fiml import fit_cfa_fiml

        return fit_cfa_fiml(data, spec, syntax, name)
    x = _complete_cases(data, spec.observed, name)
    n, p = x.shape
    if n < 2:
        raise ModelError(f"model {name!r}: {n} complete case(s), too few to fit the model")
    xc = x - x.mean(axis=0)
    s = xc.T @ xc / n
    _check_sample_cov(s, spec.observed, n, name)
    logdet_s = np.linalg.slogdet(s)[1]
    model = _Model(spec)
    df = p * (p + 1) // 2 - model.npar
    if df < 0:
        raise ModelError(f"model {name!r} is not identified: {model.npar} free parameters but "
                         f"only {p * (p + 1) // 2} variances and covariances (df = {df})")

    theta, failure = _minimise(model, s, logdet_s, name)
    fun, grad, hess = _discrepancy(model, s, logdet_s)
    info = _checked_information(lambda: hess(theta) / 2, failure, name)   # expected, per case
    fit = _fit_measures(name, n, s, model.sigma(theta), model.npar)
    if estimator == "MLR":
        from attachstats.stats.latent.mlr import mlr_statistics, robust_indices

        stats = mlr_statistics(model, theta, x, s, grad, df)
        vcov = stats.vcov
        fit = robust_indices(fit, stats)
    else:
        vcov = np.linalg.inv(info) / n
    params = _parameter_table(model, theta, vcov, name)
    _warn_heywood(params, name)
    return _result(name, n, fit, params, spec, syntax, s, model.sigma(theta))


def _check_sample_cov(s: np.ndarray, observed: list[str], n: int, name: str) -> None:
    sd = np.sqrt(np.diag(s))
    if (sd == 0).any():
        const = [c for c, v in zip(observed, sd) if v == 0]
        raise ModelError(f"model {name!r}: item(s) without variance in the {n} complete cases: "
                         f"{', '.join(const)}")
    sign = np.linalg.slogdet(s)[0]
    if sign <= 0 or np.linalg.eigvalsh(s / np.outer(sd, sd))[0] < 1e-12:
        raise ModelError(f"model {name!r}: the sample covariance matrix of the {n} complete cases "
                         "is singular (collinear items, or fewer cases than items)")


def _checked_information(info_fn: Callable[[], np.ndarray], failure: str | None,
                         name: str) -> np.ndarray:
    """The information matrix, after checking identification and convergence."""
    try:
        info = info_fn()
        w = np.linalg.eigvalsh(info)
    except np.linalg.LinAlgError:
        raise ModelError(f"model {name!r}: ML estimation did not converge: {failure}") from None
    if not np.all(np.isfinite(w)) or w[0] <= 1e-10 * max(w[-1], 1e-300):
        raise ModelError(f"model {name!r} is not identified (singular information matrix); "
                         "does every factor have enough items?")
    if failure is not None:
        raise ModelError(f"model {name!r}: ML estimation did not converge: {failure}")
    return info


def _parameter_table(model: _Model, theta: np.ndarray, vcov: np.ndarray, name: str,
                     extra_rows: Sequence[dict] = ()) -> pd.DataFrame:
    """lavaan-style parameter table with standardised values and delta-method SEs.

    ``vcov`` covers the covariance-structure parameters first (θ of ``model``); rows for
    further parameters (e.g. intercepts) are passed ready-made in ``extra_rows``.
    """
    k = model.npar
    vc = vcov[:k, :k]
    std = _standardised(model, theta).real
    jac = _std_jacobian(model, theta)
    var_std = np.einsum("ik,kl,il->i", jac, vc, jac)
    with np.errstate(invalid="ignore"):
        std_se = np.sqrt(np.where(var_std < 0, np.nan, var_std))
    std_se[std_se < _STD_SE_ZERO] = 0.0                         # as standardizedSolution()
    se_free = np.sqrt(np.clip(np.diag(vc), 0, None))

    rows = []
    est_all = model.matrices(theta)
    free_pos = {r: k for k, r in enumerate(model.row_of_free)}
    for r, (lhs, op, rhs, mat, i, j, _) in enumerate(model.spec.rows):
        k = free_pos.get(r)
        rows.append({"model": name, "lhs": lhs, "op": op, "rhs": rhs, "free": k is not None,
                     "est": float(est_all[mat][i, j]),
                     "se": float(se_free[k]) if k is not None else math.nan,
                     "std": float(std[r]), "std_se": float(std_se[r]),
                     "std_ci_lo": float(std[r] - Z_95 * std_se[r]),
                     "std_ci_hi": float(std[r] + Z_95 * std_se[r])})
    rows += [{"model": name, **r} for r in extra_rows]
    return pd.DataFrame(rows, columns=PARAMETER_COLUMNS)


def _warn_heywood(params: pd.DataFrame, name: str) -> None:
    neg = params[(params["op"] == "~~") & (params["lhs"] == params["rhs"]) & (params["est"] < 0)]
    if len(neg):
        warnings.warn(f"model {name!r}: negative variance estimate(s) for "
                      f"{', '.join(neg['lhs'])} (Heywood case); interpret with care", stacklevel=3)


def _result(name: str, n: int, fit: dict, params: pd.DataFrame, spec: _Spec, syntax: str,
            s: np.ndarray, sig: np.ndarray) -> CFAResult:
    lo = params[params["op"] == "=~"]
    loadings = pd.DataFrame({"model": name, "factor": lo["lhs"], "item": lo["rhs"],
                             "est": lo["est"], "se": lo["se"], "std": lo["std"],
                             "std_ci_lo": lo["std_ci_lo"], "std_ci_hi": lo["std_ci_hi"]},
                            columns=LOADING_COLUMNS).reset_index(drop=True)
    latent = set(spec.latent)
    fc = params[(params["op"] == "~~") & (params["lhs"] != params["rhs"])
                & params["lhs"].isin(latent)]
    factor_correlations = pd.DataFrame(
        {"model": name, "factor1": fc["lhs"], "factor2": fc["rhs"], "est": fc["std"],
         "se": fc["std_se"], "ci_lo": fc["std_ci_lo"], "ci_hi": fc["std_ci_hi"]},
        columns=CORRELATION_COLUMNS).reset_index(drop=True)
    obs = spec.observed
    return CFAResult(name=name, n=int(n), fit=fit, loadings=loadings,
                     factor_correlations=factor_correlations, parameters=params, syntax=syntax,
                     sample_cov=pd.DataFrame(s, index=obs, columns=obs),
                     implied_cov=pd.DataFrame(sig, index=obs, columns=obs))


def fit_table(results: Sequence[CFAResult]) -> pd.DataFrame:
    """One row per model with the fit statistics, columns :data:`FIT_COLUMNS`.

    Examples
    --------
    >>> fit_table([]).columns.tolist() == FIT_COLUMNS
    True
    """
    return pd.DataFrame([{k: r.fit[k] for k in FIT_COLUMNS} for r in results], columns=FIT_COLUMNS)


def fit_identified(data: pd.DataFrame, syntax: str, name: str, **options: Any):
    """Fit with marker identification (lavaan's default); if the marker item does not load
    (a singular information matrix, e.g. one factor over two unrelated dimensions), refit
    with the latent variances fixed to 1 instead. Fit statistics and standardised estimates
    do not depend on that choice; the log says which was used."""
    try:
        return fit_cfa(data, syntax, name, **options)
    except ModelError as exc:
        if "not identified" not in str(exc):
            raise
        logging.getLogger(__name__).warning(
            "%s: marker identification failed (%s); refitting with latent variances fixed to 1", name, exc)
        return fit_cfa(data, _fixed_variance_syntax(syntax), name, **options)


def _fixed_variance_syntax(syntax: str) -> str:
    """Free each factor's first loading (``NA*``) and fix its variance to 1 (``f ~~ 1*f``)."""
    lines = []
    for line in syntax.splitlines():
        if "=~" in line:
            factor, rhs = (part.strip() for part in line.split("=~", 1))
            first, *rest = [t.strip() for t in rhs.split("+")]
            if "*" not in first:
                first = f"NA*{first}"
            lines += [f"{factor} =~ " + " + ".join([first, *rest]), f"{factor} ~~ 1*{factor}"]
        else:
            lines.append(line)
    return "\n".join(lines)
