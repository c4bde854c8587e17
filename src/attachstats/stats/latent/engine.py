"""The estimation engine shared by every covariance-structure model in this package.

What lavaan spreads over ``lav_model.R`` (matrices from θ), ``lav_objective.R`` (the ML
discrepancy), ``lav_model_gradient.R``, ``lav_model_information.R`` and
``lav_optim.R`` lives here, once:

- the covariance-model protocol :class:`CovarianceModel` (θ → Σ(θ) and ∂Σ/∂θ) and its
  CFA implementation :class:`CFAModel`, Σ = Λ Ψ Λ' + Θ, laid out by a
  :class:`attachstats.stats.latent.syntax.ParameterTable`;
- the ML discrepancy (lavaan's ``likelihood = "normal"``, S with divisor N)

      F(θ) = log|Σ(θ)| + tr(S Σ(θ)⁻¹) − log|S| − p,

  its analytic gradient and the expected-information Hessian 2·I(θ),
  Iₖₗ = ½ tr(Σ⁻¹ ∂ₖΣ Σ⁻¹ ∂ₗΣ) (:func:`discrepancy`);
- ONE optimiser, :func:`fisher_scoring` (Newton steps with an information matrix as
  Hessian, a ridge when it is singular, backtracking line search), and its ML driver
  :func:`minimise` (starting values, then scoring, then ``scipy.optimize.minimize`` BFGS
  if scoring stalls);
- ONE identification check, :func:`checked_information` (singular information matrix,
  judged in units-free form by :func:`unit_diagonal` → not identified), with
  :func:`check_degrees_of_freedom` (more parameters than moments);
- the data side: :func:`numeric_matrix`, :func:`complete_cases`, :func:`sample_moments`,
  :func:`check_sample_cov`; and :func:`numeric_hessian` (observed information by central
  differences of an analytic gradient).

The estimators (:mod:`~attachstats.stats.latent.cfa`, ``mlr``, ``fiml``, ``invariance``,
``sem``) are variants built on these. Variances are not bounded: a Heywood case is the
caller's to report.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Callable, NamedTuple, Protocol

import numpy as np
import pandas as pd

from attachstats.errors import ModelError
from attachstats.stats.latent.syntax import ParameterTable

__all__ = ["Z_95", "CovarianceModel", "CFAModel", "covariance_hessian", "Discrepancy", "discrepancy",
           "start_values", "Tolerances", "ML_TOLERANCES", "ScoringResult", "fisher_scoring", "minimise",
           "checked_information", "unit_diagonal", "check_degrees_of_freedom", "numeric_hessian", "numeric_matrix",
           "complete_cases", "sample_moments", "check_sample_cov", "LISRELModel"]

#: Two-sided 95% normal quantile, as lavaan's ``qnorm(0.975)`` (Wald intervals).
Z_95 = 1.959963984540054


class CovarianceModel(Protocol):
    """What the engine needs of a model: θ ↦ Σ(θ), its derivatives and its layout.

    Implemented by :class:`CFAModel` and by the latent regression model of
    :mod:`attachstats.stats.latent.sem`.

    Attributes
    ----------
    spec : ParameterTable
        The parameter table (``spec.rows``; :func:`start_values` reads its loadings).
    p, m : int
        Numbers of observed and latent variables.
    npar : int
        Number of free parameters (length of θ).
    free : list of (matrix, i, j)
        Where each free parameter sits.
    row_of_free : list of int
        Row of ``spec.rows`` of each free parameter.
    base : dict of str to ndarray
        The model matrices with the fixed values and zeros elsewhere.
    """

    spec: ParameterTable
    p: int
    m: int
    npar: int
    free: list[tuple[str, int, int]]
    row_of_free: list[int]
    base: dict[str, np.ndarray]

    def matrices(self, theta: np.ndarray) -> dict[str, np.ndarray]: ...

    def sigma(self, theta: np.ndarray) -> np.ndarray: ...

    def dsigma(self, theta: np.ndarray) -> np.ndarray: ...


class CFAModel:
    """Σ(θ) = Λ Ψ Λ' + Θ for the free parameters θ of a parameter table.

    Works on complex θ too (for complex-step derivatives). lavaan: the LISREL matrices
    ``lambda``, ``psi``, ``theta`` of ``lavInspect(fit, "est")``.

    Examples
    --------
    >>> from attachstats.stats.latent.syntax import parse_syntax
    >>> model = CFAModel(parse_syntax("f =~ x1 + x2 + x3", "m"))
    >>> model.npar, model.free[0]
    (6, ('lambda', 1, 0))
    """

    def __init__(self, spec: ParameterTable) -> None:
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
        """Λ, Ψ, Θ at θ (keys ``lambda``, ``psi``, ``theta``), in θ's dtype."""
        dtype = np.result_type(theta.dtype, float)
        mats = {k: v.astype(dtype) for k, v in self.base.items()}
        for mat, (ks, ii, jj) in self._where.items():
            mats[mat][ii, jj] = theta[ks]
        return mats

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        """The model-implied covariance matrix Σ(θ), p × p."""
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


def covariance_hessian(model: CovarianceModel, theta: np.ndarray, sigma_inv: np.ndarray) -> np.ndarray:
    """tr(Σ⁻¹ ∂ₖΣ Σ⁻¹ ∂ₗΣ) for all k, l: twice the expected information per case.

    ``sigma_inv`` is Σ(θ)⁻¹. This is the Fisher-scoring Hessian of the ML discrepancy
    (lavaan's ``information = "expected"`` for the covariance structure, times 2).
    """
    a = np.matmul(sigma_inv, model.dsigma(theta))                 # Σ⁻¹ ∂ₖΣ
    k = a.shape[0]
    return a.reshape(k, -1) @ a.transpose(0, 2, 1).reshape(k, -1).T   # tr(Aₖ Aₗ)


class Discrepancy(NamedTuple):
    """The ML discrepancy of a model at fixed sample moments (see :func:`discrepancy`)."""

    fun: Callable[[np.ndarray], float]
    grad: Callable[[np.ndarray], np.ndarray]
    hess: Callable[[np.ndarray], np.ndarray]

    def information(self, theta: np.ndarray) -> np.ndarray:
        """Expected information per case at θ, ``hess(theta) / 2``."""
        return self.hess(theta) / 2


def discrepancy(model: CovarianceModel, s: np.ndarray, logdet_s: float) -> Discrepancy:
    """F(θ), its gradient and the expected-information Hessian 2·I(θ) (lavaan ``estimator = "ML"``).

    Parameters
    ----------
    model : CovarianceModel
    s : ndarray
        Sample covariance matrix, divisor N.
    logdet_s : float
        log|S|.

    Returns
    -------
    Discrepancy
        ``(fun, grad, hess)``; at a Σ(θ) that is not positive definite ``fun`` is +inf and
        ``grad``/``hess`` return finite placeholders (zeros, identity), so an optimiser
        simply rejects the step.

    Examples
    --------
    >>> from attachstats.stats.latent.syntax import parse_syntax
    >>> model = CFAModel(parse_syntax("f =~ x1 + x2 + x3", "m"))
    >>> s = np.array([[1, .5, .4], [.5, 1, .3], [.4, .3, 1.]])
    >>> theta, failure = minimise(model, s, np.linalg.slogdet(s)[1])
    >>> failure is None and abs(discrepancy(model, s, np.linalg.slogdet(s)[1]).fun(theta)) < 1e-12
    True
    """
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
        return covariance_hessian(model, theta, np.linalg.inv(r[0]))

    return Discrepancy(fun, grad, hess)


def start_values(model: CovarianceModel, s: np.ndarray, name: str = "") -> np.ndarray:
    """Starting values: each factor's first principal component of its items' covariances.

    The component is scaled to the factor's fixed loading (marker) or fixed variance; item
    residual variances start at max(sᵢᵢ − common variance, 0.1·sᵢᵢ), covariances at 0.
    (lavaan's ``start = "simple"`` differs; the optimum does not.)

    Raises
    ------
    ModelError
        A factor with neither a fixed loading nor a fixed variance (no scale).
    """
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


@dataclass(frozen=True)
class Tolerances:
    """Stopping rules of :func:`fisher_scoring`.

    Attributes
    ----------
    gradient : float
        Stop when the gradient norm is below this (0: never on the gradient alone).
    decrement : float
        Stop when the predicted decrease gᵀH⁻¹g is below this, times max(1, |F|) if
        ``relative`` (the precision of F).
    relative : bool
        Whether ``decrement`` is relative to max(1, |F|).
    progress : float or None
        Stop when the achieved decrease is below ``progress``·max(1, |F|) and the gradient
        norm below 1e-6; None: no such rule.
    min_step : float
        The line search gives up below this step length.
    max_iter : int
        Iterations before giving up.
    """

    gradient: float = 1e-10
    decrement: float = 1e-16
    relative: bool = False
    progress: float | None = 1e-14
    min_step: float = 1e-12
    max_iter: int = 500


#: The tolerances of the single-group ML fit: gradient norm 1e-10 or Newton decrement 1e-16.
ML_TOLERANCES = Tolerances()


@dataclass
class ScoringResult:
    """Outcome of :func:`fisher_scoring`.

    Attributes
    ----------
    x : ndarray
        The last iterate.
    f : float
        The objective there.
    converged : bool
        True when a stopping rule was met (or the line search failed at a gradient norm
        below 1e-6, the precision of F).
    reason : str
        ``"gradient"``, ``"decrement"``, ``"progress"``, ``"line search"`` or ``"iterations"``.
    """

    x: np.ndarray
    f: float
    converged: bool
    reason: str


def fisher_scoring(fun: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray],
                   metric: Callable[[np.ndarray, np.ndarray], np.ndarray], x: np.ndarray,
                   tol: Tolerances = ML_TOLERANCES) -> ScoringResult:
    """Minimise ``fun`` by Newton-type steps −H⁻¹g with a backtracking (Armijo) line search.

    Parameters
    ----------
    fun, grad : callable
        Objective and its gradient.
    metric : callable
        ``metric(x, g)`` → the matrix H used as Hessian at ``x`` (gradient ``g``): the
        expected information gives Fisher scoring, the exact Hessian Newton's method. If H
        is (near-)singular or gives no descent direction, a ridge is added until it does
        (steepest descent as the last resort).
    x : ndarray
        Starting values (``fun(x)`` must be finite).
    tol : Tolerances

    Returns
    -------
    ScoringResult
        lavaan uses ``nlminb`` instead (its optimum agrees to its own tolerance).
    """
    f = fun(x)
    for _ in range(tol.max_iter):
        g = grad(x)
        gnorm = float(np.linalg.norm(g))
        if gnorm < tol.gradient:
            return ScoringResult(x, f, True, "gradient")
        h = metric(x, g)
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
        if -slope < tol.decrement * (max(1.0, abs(f)) if tol.relative else 1.0):
            return ScoringResult(x, f, True, "decrement")   # predicted decrease at rounding level
        while t > tol.min_step:
            f_new = fun(x + t * step)
            if f_new <= f + 1e-4 * t * slope:
                break
            t /= 2
        else:                                 # no descent left: converged at the precision of F?
            return ScoringResult(x, f, gnorm < 1e-6, "line search")
        x, f, f_old = x + t * step, f_new, f
        if tol.progress is not None and f_old - f < tol.progress * max(1.0, abs(f)) and gnorm < 1e-6:
            return ScoringResult(x, f, True, "progress")   # no progress left at the precision of F
    return ScoringResult(x, f, False, "iterations")


def minimise(model: CovarianceModel, s: np.ndarray, logdet_s: float,
             name: str = "") -> tuple[np.ndarray, str | None]:
    """Minimise the ML discrepancy; returns θ̂ and None, or the last θ and why it did not converge.

    :func:`start_values`, then :func:`fisher_scoring` with the expected information
    (:data:`ML_TOLERANCES`); if scoring stalls, ``scipy.optimize.minimize`` (BFGS, analytic
    gradient) continues from where it stopped. Not converged: gradient norm above 1e-6.
    lavaan: ``lavaan(..., optim.method = "nlminb")``.

    Raises
    ------
    ModelError
        From :func:`start_values` (a factor without scale).
    """
    fun, grad, hess = discrepancy(model, s, logdet_s)
    x = start_values(model, s, name)
    if not np.isfinite(fun(x)):                   # e.g. a fixed value makes Σ indefinite
        x = np.array([s[i, i] if (m == "theta" and i == j) else v
                      for (m, i, j), v in zip(model.free, x)])
    if not np.isfinite(fun(x)):
        return x, "no starting values with a positive definite implied covariance matrix"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = fisher_scoring(fun, grad, lambda theta, g: hess(theta), x, ML_TOLERANCES)
        if res.converged:
            return res.x, None
        x, f = res.x, res.f
        from scipy.optimize import minimize

        opt = minimize(fun, x, jac=grad, method="BFGS",
                       options={"gtol": ML_TOLERANCES.gradient, "maxiter": 5000})
    x = opt.x if np.isfinite(opt.fun) and opt.fun <= f else x
    gnorm = float(np.linalg.norm(grad(x)))
    if gnorm > 1e-6:
        return x, f"gradient norm {gnorm:.2g} after Fisher scoring and BFGS"
    return x, None


def checked_information(info_fn: Callable[[], np.ndarray], failure: str | None,
                        name: str) -> np.ndarray:
    """The information matrix, after checking identification and convergence.

    Parameters
    ----------
    info_fn : callable
        Returns the information matrix at the estimate.
    failure : str or None
        The optimiser's note (None: converged).
    name : str
        Model name for the messages.

    Returns
    -------
    ndarray
        The information matrix.

    Raises
    ------
    ModelError
        A singular information matrix (the model is not identified, lavaan's "could not
        compute standard errors"), or ``failure``.

    Notes
    -----
    Rank is judged on the information scaled to unit diagonal, P I P with
    P = diag(1/√Iₖₖ) (Jacobi scaling; a parameter without information keeps scale 1 and
    so a zero row): singular when its smallest eigenvalue is ≤ 1e-10 × its largest. A
    change of the items' units rescales the parameters, θ' = Dθ, and the information to
    D⁻¹ I D⁻¹; P I P does not change, so the verdict does not depend on units (on the
    unscaled matrix, x1 × 100 alone spreads the eigenvalues by 1e8). lavaan 0.6 inverts
    the unscaled information with ``solve()``; its development version (0.7-2,
    ``lav_model_information.R``) adds the same Jacobi preconditioning for badly scaled
    problems.
    """
    try:
        info = info_fn()
        w = np.linalg.eigvalsh(unit_diagonal(info))
    except np.linalg.LinAlgError:
        raise ModelError(f"model {name!r}: ML estimation did not converge: {failure}") from None
    if not np.all(np.isfinite(w)) or w[0] <= 1e-10 * max(w[-1], 1e-300):
        raise ModelError(f"model {name!r} is not identified (singular information matrix); "
                         "does every factor have enough items?")
    if failure is not None:
        raise ModelError(f"model {name!r}: ML estimation did not converge: {failure}")
    return info


def unit_diagonal(a: np.ndarray) -> np.ndarray:
    """P A P with P = diag(1/√|aₖₖ|) (1 where aₖₖ is 0 or not finite): a symmetric matrix in correlation-like form.

    Examples
    --------
    >>> unit_diagonal(np.array([[4.0, 2.0], [2.0, 9.0]])).round(4).tolist()
    [[1.0, 0.3333], [0.3333, 1.0]]
    """
    d = np.sqrt(np.abs(np.diag(a)))
    d[~(np.isfinite(d) & (d > 0))] = 1.0
    return a / np.outer(d, d)


def check_degrees_of_freedom(p: int, npar: int, name: str) -> int:
    """df = p(p+1)/2 − npar of a covariance structure; raises if negative.

    Examples
    --------
    >>> check_degrees_of_freedom(6, 13, "m")
    8
    """
    moments = p * (p + 1) // 2
    df = moments - npar
    if df < 0:
        raise ModelError(f"model {name!r} is not identified: {npar} free parameters but "
                         f"only {moments} variances and covariances (df = {df})")
    return df


def numeric_hessian(grad: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                    rel_step: float = 1e-5) -> np.ndarray:
    """Jacobian of an analytic gradient by central differences, symmetrised.

    Used for the observed information (lavaan ``information = "observed"``). The
    truncation error is O(h²) (about 1e-10 relative for h = 1e-5), far below the precision
    the standard errors are reported with.

    Examples
    --------
    >>> numeric_hessian(lambda x: np.array([2 * x[0] + x[1], x[0]]), np.array([1.0, 2.0]))
    array([[2., 1.],
           [1., 0.]])
    """
    x = np.asarray(x, dtype=float)
    k = len(x)
    out = np.empty((k, k))
    for j in range(k):
        h = rel_step * max(1.0, abs(x[j]))
        e = np.zeros(k)
        e[j] = h
        out[:, j] = (grad(x + e) - grad(x - e)) / (2 * h)
    return (out + out.T) / 2


def numeric_matrix(data: pd.DataFrame, cols: list[str], name: str) -> np.ndarray:
    """The model's columns as a float matrix (NaN = missing), with errors naming the model.

    Raises
    ------
    ModelError
        A column absent from ``data``, not numeric, or with infinite values.
    """
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


def complete_cases(data: pd.DataFrame, cols: list[str], name: str) -> np.ndarray:
    """The rows of :func:`numeric_matrix` without a missing value (lavaan ``missing = "listwise"``)."""
    x = numeric_matrix(data, cols, name)
    return x[~np.isnan(x).any(axis=1)]


def sample_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means and covariance matrix with divisor N (lavaan's ``likelihood = "normal"``).

    Examples
    --------
    >>> sample_moments(np.array([[1.0], [3.0]]))
    (array([2.]), array([[1.]]))
    """
    mean = x.mean(axis=0)
    xc = x - mean
    return mean, xc.T @ xc / len(x)


def check_sample_cov(s: np.ndarray, observed: list[str], n: int, name: str, what: str = "item") -> None:
    """Raise unless S is positive definite: no constant variable, no collinearity.

    ``what`` names the variables in the message (``"item"``, ``"variable"``).

    Raises
    ------
    ModelError
        A variable without variance, or a singular S (smallest eigenvalue of the correlation
        matrix below 1e-12).
    """
    sd = np.sqrt(np.diag(s))
    if (sd == 0).any():
        const = [c for c, v in zip(observed, sd) if v == 0]
        raise ModelError(f"model {name!r}: {what}(s) without variance in the {n} complete cases: "
                         f"{', '.join(const)}")
    sign = np.linalg.slogdet(s)[0]
    if sign <= 0 or np.linalg.eigvalsh(s / np.outer(sd, sd))[0] < 1e-12:
        raise ModelError(f"model {name!r}: the sample covariance matrix of the {n} complete cases "
                         f"is singular (collinear {what}s, or fewer cases than {what}s)")


class LISRELModel:
    """Σ_g(x) and μ_g(x) of any model in a :class:`~attachstats.stats.latent.syntax.ParTable`.

    LISREL "all-y" form, per group g::

        Σ = Λ A Ψ Aᵀ Λᵀ + Θ,   μ = ν + Λ A α,   A = (I − B)⁻¹,

    Λ (p × M) loadings of observed variables, B (M × M) regressions among latent variables
    (including factor-on-factor loadings of higher-order factors), Ψ latent (residual)
    (co)variances, Θ observed residual (co)variances, ν intercepts, α latent means. An
    observed variable that takes part in a regression, or covaries with a latent variable,
    is represented by a "phantom" latent variable with loading 1 and residual variance 0
    (as lavaan does), so its (residual) variance, covariances and intercept live in Ψ and α.

    ``x`` is the vector of the table's free parameters (``free`` = 1, 2, …, before equality
    constraints); fixed values come from ``ustart`` (and, for the ``exo`` rows, from
    :meth:`set_fixed`). Works on complex ``x`` (complex-step derivatives). lavaan: the
    ``representation = "LISREL"`` matrices of ``lavInspect(fit, "est")``.

    Examples
    --------
    >>> from attachstats.stats.latent.syntax import lavaanify
    >>> model = LISRELModel(lavaanify("f =~ x1 + x2 + x3\\ny ~ f"))
    >>> model.K, model.phantoms[0], model.implied(np.ones(model.K), 0)[0].shape
    (8, ['y'], (4, 4))
    """

    MATS = ("lambda", "beta", "psi", "theta", "nu", "alpha")

    def __init__(self, partable: Any) -> None:
        self.partable = partable
        rows = partable.params
        self.G = partable.ngroups
        self.meanstructure = partable.meanstructure
        ov, lv = list(partable.ov), list(partable.lv)
        in_reg = {v for _, r in rows.iterrows() if r["op"] == "~" for v in (r["lhs"], r["rhs"])}
        phantom = [v for v in ov if v in in_reg]
        changed = True
        while changed:                               # covariances with latent / phantom variables
            changed = False
            for _, r in rows.iterrows():
                if r["op"] != "~~" or r["lhs"] == r["rhs"]:
                    continue
                a, b = r["lhs"], r["rhs"]
                for u, w in ((a, b), (b, a)):
                    if u in ov and u not in phantom and (w in lv or w in phantom):
                        phantom.append(u)
                        changed = True
        phantom = [v for v in ov if v in phantom]
        self.ov, self.lv = ov, lv
        self.eta = lv + phantom                     # latent variables incl. phantoms
        self.phantoms = [phantom for _ in range(self.G)]
        self.p, self.M = len(ov), len(self.eta)
        oi = {v: k for k, v in enumerate(ov)}
        ei = {v: k for k, v in enumerate(self.eta)}
        self.K = int(rows["free"].max()) if len(rows) else 0
        self.where: list[tuple[int, str, int, int]] = []     # per param row: (group, mat, i, j)
        self.row_ids = rows["id"].to_numpy()
        base = []
        for g in range(self.G):
            b = {"lambda": np.zeros((self.p, self.M)), "beta": np.zeros((self.M, self.M)),
                 "psi": np.zeros((self.M, self.M)), "theta": np.zeros((self.p, self.p)),
                 "nu": np.zeros(self.p), "alpha": np.zeros(self.M)}
            for v in phantom:
                b["lambda"][oi[v], ei[v]] = 1.0
            base.append(b)
        self.base = base
        free_where: list[list[tuple[int, str, int, int]]] = [[] for _ in range(self.G)]
        for _, r in rows.iterrows():
            g = int(r["group"]) - 1
            lhs, op, rhs = r["lhs"], r["op"], r["rhs"]
            if op == "=~":
                if rhs in ei:                                      # factor or phantom indicator
                    loc = ("beta", ei[rhs], ei[lhs])
                else:
                    loc = ("lambda", oi[rhs], ei[lhs])
            elif op == "~":
                loc = ("beta", ei[lhs], ei[rhs])
            elif op == "~~":
                if lhs in ei and rhs in ei:
                    loc = ("psi", ei[lhs], ei[rhs])
                elif lhs in oi and rhs in oi and lhs not in ei and rhs not in ei:
                    loc = ("theta", oi[lhs], oi[rhs])
                else:
                    raise ModelError(f"model {partable.name!r}: cannot place {lhs} ~~ {rhs}")
            elif op == "~1":
                loc = ("alpha", ei[lhs], 0) if lhs in ei else ("nu", oi[lhs], 0)
            elif op in ("|", "~*~"):
                raise ModelError(f"model {partable.name!r}: {lhs} {op} {rhs}: thresholds and scale "
                                 "factors of ordered variables need an ordinal estimator (WLSMV), "
                                 "which this engine is not")
            else:
                raise ModelError(f"model {partable.name!r}: operator {op!r} is not implemented")
            self.where.append((g, *loc))
            if r["free"] > 0:
                free_where[g].append((int(r["free"]) - 1, *loc))
            elif not (isinstance(r["ustart"], float) and math.isnan(r["ustart"])):
                self._put(base[g], loc[0], loc[1], loc[2], float(r["ustart"]))
        self.free_where = free_where
        # index arrays per group and matrix
        self._idx = []
        for g in range(self.G):
            d = {}
            for mat in self.MATS:
                ks = [k for k, m, _, _ in free_where[g] if m == mat]
                ii = [i for _, m, i, _ in free_where[g] if m == mat]
                jj = [j for _, m, _, j in free_where[g] if m == mat]
                if mat in ("psi", "theta"):
                    ks, ii, jj = ks + ks, ii + jj, jj + ii
                d[mat] = (np.array(ks, dtype=int), np.array(ii, dtype=int), np.array(jj, dtype=int))
            self._idx.append(d)

    @staticmethod
    def _put(mats: dict[str, np.ndarray], mat: str, i: int, j: int, val: Any) -> None:
        if mat in ("nu", "alpha"):
            mats[mat][i] = val
            return
        mats[mat][i, j] = val
        if mat in ("psi", "theta"):
            mats[mat][j, i] = val

    def set_fixed(self, row_position: int, value: float) -> None:
        """Set the value of a fixed parameter row (position in ``partable.params``), e.g. an exo moment."""
        g, mat, i, j = self.where[row_position]
        self._put(self.base[g], mat, i, j, value)

    def matrices(self, x: np.ndarray, g: int) -> dict[str, np.ndarray]:
        """The six matrices of group g at x (θ's dtype)."""
        dtype = np.result_type(np.asarray(x).dtype, float)
        mx = {k: v.astype(dtype) for k, v in self.base[g].items()}
        for mat, (ks, ii, jj) in self._idx[g].items():
            if len(ks):
                if mat in ("nu", "alpha"):
                    mx[mat][ii] = x[ks]
                else:
                    mx[mat][ii, jj] = x[ks]
        return mx

    def value(self, x: np.ndarray, row_position: int) -> Any:
        """The value of one parameter row at x."""
        g, mat, i, j = self.where[row_position]
        mx = self.matrices(x, g)
        return mx[mat][i] if mat in ("nu", "alpha") else mx[mat][i, j]

    def parts(self, mx: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """A = (I − B)⁻¹, G = Λ A, Φ = A Ψ Aᵀ (latent covariances), E[η] = A α."""
        a = np.linalg.inv(np.eye(self.M) - mx["beta"])
        gm = mx["lambda"] @ a
        phi = a @ mx["psi"] @ a.T
        return a, gm, phi, a @ mx["alpha"]

    def implied(self, x: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
        """(Σ_g, μ_g) at x."""
        mx = self.matrices(x, g)
        _, gm, phi, eta_mean = self.parts(mx)
        return mx["lambda"] @ phi @ mx["lambda"].T + mx["theta"], mx["nu"] + mx["lambda"] @ eta_mean

    def derivatives(self, x: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
        """∂Σ_g/∂x (K, p, p) and ∂μ_g/∂x (K, p); zero for parameters of other groups.

        Vectorised per matrix (each free parameter occurs once in a group):

        - λᵢⱼ: ∂Σ = eᵢ (ΛΦ)ⱼᵀ + (ΛΦ)ⱼ eᵢᵀ, ∂μ = eᵢ E[η]ⱼ;
        - βᵢⱼ: ∂Σ = Gᵢ (ΛΦ)ⱼᵀ + (ΛΦ)ⱼ Gᵢᵀ, ∂μ = Gᵢ E[η]ⱼ (G = ΛA);
        - ψᵢⱼ: ∂Σ = Gᵢ Gⱼᵀ (+ Gⱼ Gᵢᵀ if i ≠ j); θᵢⱼ: unit entries; νᵢ: ∂μ = eᵢ; αᵢ: ∂μ = Gᵢ.
        """
        mx = self.matrices(x, g)
        _, gm, phi, eta_mean = self.parts(mx)
        lp = mx["lambda"] @ phi
        ds = np.zeros((self.K, self.p, self.p))
        dm = np.zeros((self.K, self.p))
        idx = self._deriv_index(g)
        ks, ii, jj = idx["lambda"]
        if len(ks):
            v = lp[:, jj].T                                        # (n, p)
            ds[ks, ii, :] += v
            ds[ks, :, ii] += v
            dm[ks, ii] += eta_mean[jj]
        ks, ii, jj = idx["beta"]
        if len(ks):
            o = np.einsum("pk,qk->kpq", gm[:, ii], lp[:, jj])
            ds[ks] += o + o.transpose(0, 2, 1)
            dm[ks] += (gm[:, ii] * eta_mean[jj]).T
        ks, ii, jj = idx["psi"]
        if len(ks):
            o = np.einsum("pk,qk->kpq", gm[:, ii], gm[:, jj])
            off = (ii != jj)[:, None, None]
            ds[ks] += o + np.where(off, o.transpose(0, 2, 1), 0.0)
        ks, ii, jj = idx["theta"]
        if len(ks):
            ds[ks, ii, jj] += 1.0
            off = ii != jj
            ds[ks[off], jj[off], ii[off]] += 1.0
        ks, ii, _ = idx["nu"]
        if len(ks):
            dm[ks, ii] += 1.0
        ks, ii, _ = idx["alpha"]
        if len(ks):
            dm[ks] += gm[:, ii].T
        return ds, dm

    def _deriv_index(self, g: int) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        cache = getattr(self, "_didx", None)
        if cache is None:
            cache = self._didx = {}
        if g not in cache:
            cache[g] = {mat: tuple(np.array([t[c] for t in self.free_where[g] if t[1] == mat], dtype=int)
                                   for c in (0, 2, 3)) for mat in self.MATS}
        return cache[g]
