"""CFA of ordered items: lavaan's ``estimator = "WLSMV"`` (DWLS on polychorics, robust corrections).

lavaan's default for ``cfa(model, data, ordered = items)``, in one group:

- sample statistics: thresholds and polychoric correlations with their asymptotic
  covariance Γ (:mod:`attachstats.stats.latent.polychoric`);
- the **delta parameterisation**: the latent responses y* have unit variance, so the
  residual variances are not parameters but 1 − diag(ΛΨΛ′); thresholds are free (one per
  threshold, so they reproduce the sample thresholds exactly);
- **DWLS** estimates: minimise F(θ) = (s − σ(θ))′ W (s − σ(θ)) with W = diag(Γ)⁻¹
  (lavaan reports fmin = F/2 and χ² = N·F);
- **robust standard errors** (``se = "robust.sem"``): the sandwich
  N⁻¹ (Δ′WΔ)⁻¹ Δ′WΓWΔ (Δ′WΔ)⁻¹;
- the **mean-and-variance-adjusted test** (``test = "scaled.shifted"``, Asparouhov & Muthén
  2010): with U = W − WΔ(Δ′WΔ)⁻¹Δ′W, a = √(df / tr((UΓ)²)), T = a·χ² + df − a·tr(UΓ);
- fit measures with lavaan's names: ``cfi``/``tli``/``rmsea`` from the DWLS χ², the
  ``.scaled`` ones from the scaled-shifted statistics of the model and of the baseline
  (independence) model, and the ``.robust`` ones as lavaan 0.6-13+ computes them for
  categorical data (Savalei 2021, lavaan's ``lav_fit_catml_dwls``): the ML discrepancy of the
  DWLS solution to the polychoric matrix, rescaled by tr(U′VUΓ)/df;
  ``srmr`` (residual correlations) and ``wrmr``.

**Continuous variables** beside the ordered items (``ordered`` naming a subset): their
means and variances join the statistics and their polyserial correlations (and covariances)
the off-diagonal ones (:func:`attachstats.stats.latent.polychoric.mixed_moments`), their
intercepts and residual variances are free, the ``.robust`` indices are NaN (as lavaan);
``y ~ f`` regresses one on factors (several such outcomes: residuals covary, as lavaan).

Not implemented (raise :class:`attachstats.errors.ModelError`): the theta parameterisation,
missing = "pairwise", covariates, regressions between factors or on observed variables;
several groups are :mod:`attachstats.stats.latent.ordinal_invariance` (ordered items only).

Example
-------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> f = rng.standard_normal(500)
>>> x = pd.DataFrame({f"y{i}": np.digitize(0.7 * f + 0.7 * rng.standard_normal(500), [-0.5, 0.5])
...                   for i in range(1, 5)})
>>> res = fit_ordinal_cfa("f =~ y1 + y2 + y3 + y4", x)
>>> res.fit_measures()["df"]
2.0
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from attachstats.errors import ModelError
from attachstats.stats.latent.engine import (
    Z_95,
    CFAModel,
    Tolerances,
    checked_information,
    fisher_scoring,
    start_values,
)
from attachstats.stats.latent.polychoric import OrdinalMoments, mixed_moments, ordinal_moments
from attachstats.stats.latent.syntax import (
    ParameterTable,
    fixed_variance_syntax,
    parse_syntax,
)
from attachstats.stats.threads import small_matrix_work

__all__ = [
    "DWLSInformation",
    "OrdinalCFAResult",
    "catml_weight",
    "delta_spec",
    "fit_ordinal_cfa",
    "ordinal_fit_measures",
    "rmsea_pvalue",
]

#: Stopping rule of the DWLS fit (gradient norm; F is a sum of squares of order 1e-2..1e2).
DWLS_TOLERANCES = Tolerances(gradient=1e-11, decrement=1e-20, progress=1e-15, max_iter=1000)


@dataclass
class DWLSInformation:
    """What a DWLS fit keeps for nested-model tests (lavaan's ``lavTech`` Delta, WLS.V, Gamma).

    Attributes
    ----------
    statistics : tuple
        Identifies the sample statistics (items, threshold names, group labels, group sizes):
        two fits can be compared only if these are equal.
    deltas : list of ndarray
        Per group, ∂(thresholds, correlations)/∂(free parameters) at the estimates.
    fg : ndarray
        Group shares N_g / N.
    e_inv : ndarray
        Inverse of the unit information E = Σ_g f_g Δ_g′W_gΔ_g (lavaan's ``information``).
    meat : ndarray
        Σ_g f_g Δ_g′W_gΓ_gW_gΔ_g.
    chisq : float
        The DWLS χ² (lavaan's ``test[[1]]$stat``, not the scaled one).
    df : int
    """

    statistics: tuple
    deltas: list[np.ndarray]
    fg: np.ndarray
    e_inv: np.ndarray
    meat: np.ndarray
    chisq: float
    df: int


@dataclass
class OrdinalCFAResult:
    """A fitted ordinal CFA (lavaan ``cfa(..., ordered = ..., estimator = "WLSMV")``).

    Attributes
    ----------
    name : str
    syntax : str
        The model syntax as fitted (after ``std_lv``).
    estimator : str
        ``"WLSMV"``.
    n : int
        Complete rows used; ``n_dropped`` rows had a missing item (listwise deletion).
    estimates : DataFrame
        lavaan's ``parameterEstimates()`` columns ``lhs, op, rhs, label, est, se, z, pvalue,
        ci.lower, ci.upper`` and ``std.all``; rows ``=~``, ``~~``, ``|`` (thresholds),
        ``~*~`` (scale factors, fixed at 1) and ``~1`` (intercepts, fixed at 0).
    fit : dict
        Fit measures under lavaan's ``fitMeasures()`` names.
    moments : OrdinalMoments
        Thresholds, polychorics and Γ.
    vcov : ndarray
        Robust covariance matrix of the free parameters (``free_names`` order).
    free_names : list of str
        ``"lhs op rhs"`` of each free parameter.
    implied : ndarray
        Model-implied correlation matrix of the latent responses.
    """

    name: str
    syntax: str
    estimator: str
    n: int
    n_dropped: int
    estimates: pd.DataFrame
    fit: dict[str, float]
    moments: OrdinalMoments
    vcov: np.ndarray
    free_names: list[str]
    implied: np.ndarray
    notes: list[str] = field(default_factory=list)
    dwls: DWLSInformation | None = None

    def parameters(self) -> pd.DataFrame:
        """lavaan's ``parameterEstimates(fit)`` (plus ``std.all``), a copy."""
        return self.estimates.copy()

    def fit_measures(self) -> dict[str, float]:
        """lavaan's ``fitMeasures(fit)`` names → values, a copy."""
        return dict(self.fit)


def delta_spec(spec: ParameterTable, name: str, continuous: Sequence[str] = ()) -> ParameterTable:
    """The table with the item residual variances taken out of the free parameters.

    In the delta parameterisation they follow from the other parameters (lavaan's
    ``parameterization = "delta"``); they are set to 0 here and reported as 1 − diag(ΛΨΛ′).

    Raises
    ------
    ModelError
        The syntax fixes a residual variance of an ordered item.

    Examples
    --------
    >>> t = delta_spec(parse_syntax("f =~ x1 + x2 + x3", "m"), "m")
    >>> [r[6] for r in t.rows if r[1] == "~~" and r[0] == r[2] and r[0].startswith("x")]
    [0.0, 0.0, 0.0]
    """
    rows = []
    for r in spec.rows:
        lhs, op, rhs, mat, i, j, val = r
        if mat == "theta" and i == j and lhs not in continuous:
            if val is not None:
                raise ModelError(f"model {name!r}: {lhs} ~~ {val:g}*{rhs}: the residual variance of an "
                                 "ordered item is not a parameter in the delta parameterisation "
                                 "(it is 1 minus the item's explained variance)")
            rows.append((lhs, op, rhs, mat, i, j, 0.0))
        else:
            rows.append(r)
    return ParameterTable(list(spec.observed), list(spec.latent), rows)


def _chisq_sf(x: float, df: float) -> float:
    from scipy import stats     # heavy (~0.5 s with scipy.optimize): imported where it is used

    return float(stats.chi2.sf(x, df)) if df > 0 else math.nan


def _scaled_shifted(stat: float, df: float, ug: float, ug2: float) -> dict[str, float]:
    if df <= 0:                           # lavaan: the standard statistic, no scaling factor
        return {"stat": stat, "df": df, "pvalue": math.nan, "scaling": math.nan, "shift": math.nan}
    a = math.sqrt(df / ug2)
    shift = df - a * ug
    out = stat * a + shift
    return {"stat": out, "df": df, "pvalue": _chisq_sf(out, df), "scaling": 1 / a, "shift": shift}


def _cfi(x2: float, df: float, x2n: float, dfn: float, c: float = 1.0, cn: float = 1.0) -> float:
    if df > 0 and c != 1 and cn != 1:
        t1 = max(x2 - c * df, 0.0)
        t2 = max(x2 - c * df, x2n - cn * dfn, 0.0)
    else:
        t1 = max(x2 - df, 0.0)
        t2 = max(x2 - df, x2n - dfn, 0.0)
    if math.isclose(t1, 0.0, abs_tol=1.5e-8) and math.isclose(t2, 0.0, abs_tol=1.5e-8):
        return 1.0
    return 1 - t1 / t2


def _tli(x2: float, df: float, x2n: float, dfn: float, c: float = 1.0, cn: float = 1.0) -> float:
    if df > 0 and c != 1 and cn != 1:
        t1 = (x2 - c * df) * dfn
        t2 = (x2n - cn * dfn) * df
    else:
        t1 = (x2 - df) * dfn
        t2 = (x2n - dfn) * df
    return 1 - t1 / t2 if (df > 0 and abs(t2) > 0) else 1.0


def _rni(x2: float, df: float, x2n: float, dfn: float, c: float = 1.0, cn: float = 1.0) -> float:
    if df > 0 and c != 1 and cn != 1:
        t1, t2 = x2 - c * df, x2n - cn * dfn
    else:
        t1, t2 = x2 - df, x2n - dfn
    return math.nan if math.isclose(t2, 0.0, abs_tol=1.5e-8) else 1 - t1 / t2


def _incremental(x2: float, df: float, x2n: float, dfn: float) -> dict[str, float]:
    """NFI, RFI, PNFI, IFI as lavaan's ``lav_fit_nfi`` etc."""
    nfi = math.nan if df > dfn else ((x2n - x2) / x2n if df > 0 else 1.0)
    if df > dfn:
        rfi = math.nan
    elif df > 0 and dfn > 0:
        t1, t2 = x2n / dfn - x2 / df, x2n / dfn
        rfi = 1.0 if (t1 < 0 or t2 < 0) else t1 / t2
    else:
        rfi = 1.0
    pnfi = (df / dfn) * (x2n - x2) / x2n if (dfn > 0 and x2n > 0) else math.nan
    t2 = x2n - df
    ifi = 1.0 if t2 < 0 else (x2n - x2) / t2
    return {"nfi": nfi, "rfi": rfi, "pnfi": pnfi, "ifi": ifi}


def _rmsea(x2: float, df: float, n: int, c: float = 1.0) -> float:
    return math.sqrt(max(x2 / n / df - c / n, 0.0)) if df > 0 else 0.0


def _rmsea_ci(x2: float, df: float, n: int, c: float = 1.0, level: float = 0.90) -> tuple[float, float]:
    """lavaan's ``lav_fit_rmsea_ci``: non-centrality λ with P(χ²(df, λ) ≤ X²) = 0.95 / 0.05."""
    if not (math.isfinite(x2) and math.isfinite(df)) or df < 1:
        return (0.0, 0.0)
    from scipy import optimize, stats

    up, lo = 1 - (1 - level) / 2, (1 - level) / 2

    def cdf(lam: float) -> float:
        return float(stats.chi2.cdf(x2, df)) if lam <= 0 else float(stats.ncx2.cdf(x2, df, lam))

    if cdf(0.0) - up < 0:
        lower = 0.0
    else:
        lam = optimize.brentq(lambda v: cdf(v) - up, 0.0, x2, xtol=1e-10)
        lower = math.sqrt(c * lam / (n * df))
    n_rmsea = max(n, x2 * 4)
    if cdf(n_rmsea) - lo > 0 or cdf(0.0) - lo < 0:
        upper = 0.0
    else:
        lam = optimize.brentq(lambda v: cdf(v) - lo, 0.0, n_rmsea, xtol=1e-10)
        upper = math.sqrt(c * lam / (n * df))
    return lower, upper


def rmsea_pvalue(x2: float, df: float, n: float, h0: float, c: float = 1.0, close: bool = True) -> float:
    """P-value of close fit (RMSEA ≤ h0; ``close=False``: of not-close fit, RMSEA ≥ h0).

    lavaan's ``lav_fit_rmsea_closefit`` / ``notclosefit``: non-centrality n·df·h0²/c (pass
    n = N/G for G groups).

    Examples
    --------
    >>> round(rmsea_pvalue(30.0, 20, 500, 0.05), 4)
    0.9094
    """
    if df <= 0:
        return math.nan
    ncp = n * df / c * h0 ** 2
    from scipy import stats

    cdf = float(stats.ncx2.cdf(x2, df, ncp))
    return 1 - cdf if close else cdf


def catml_weight(sigma: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Normal-theory (ML) weight of the off-diagonal correlations at Σ.

    Entry (ij, kl) is (Σ⁻¹)ᵢₖ(Σ⁻¹)ⱼₗ + (Σ⁻¹)ᵢₗ(Σ⁻¹)ⱼₖ: lavaan's ``lavTech(fit.catml,
    "wls.v")`` of its catML refit (the identity at Σ = I).

    Examples
    --------
    >>> catml_weight(np.eye(3), np.array([[1, 0], [2, 0], [2, 1]])).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    s = np.linalg.inv(sigma)
    i, j = pairs[:, 0], pairs[:, 1]
    return s[np.ix_(i, i)] * s[np.ix_(j, j)] + s[np.ix_(i, j)] * s[np.ix_(j, i)]


def fit_ordinal_cfa(model_syntax: str, data: pd.DataFrame, ordered: Sequence[str] | bool | None = None,
                    name: str = "model", std_lv: bool = False, estimator: str = "WLSMV",
                    moments: OrdinalMoments | None = None) -> OrdinalCFAResult:
    """Fit a CFA to ordered items by DWLS with lavaan's WLSMV corrections.

    Parameters
    ----------
    model_syntax : str
        lavaan measurement-model syntax (``=~`` and ``~~`` lines; see
        :func:`attachstats.stats.latent.syntax.parse_syntax`).
    data : DataFrame
        Item responses (numeric category codes; NaN = missing, such rows are dropped and
        counted in ``n_dropped``).
    ordered : list of str or True, optional
        The ordered items; default (or True, as lavaan's ``ordered = TRUE``): all
        indicators. Other indicators are continuous: polyserial
        correlations (:func:`attachstats.stats.latent.polychoric.mixed_moments`), the continuous
        variable's mean and variance among the statistics, its intercept and residual
        variance free, as lavaan. A line ``y ~ f`` regressing an observed continuous ``y``
        on factors is the loading ``f =~ y`` (the same model), reported with op ``~``.
    name : str
        Model name for messages.
    std_lv : bool, default False
        Identify factors by unit variances instead of marker loadings (lavaan ``std.lv``).
    estimator : {"WLSMV"}
        DWLS estimates, robust SEs, scaled-shifted test (lavaan's ``"WLSMV"``).
    moments : OrdinalMoments, optional
        Precomputed sample statistics of the model's items (e.g. shared by several models).

    Returns
    -------
    OrdinalCFAResult

    Raises
    ------
    ModelError
        Unsupported syntax or estimator, continuous indicators, a non-converged or
        unidentified model, bad items (see :func:`~attachstats.stats.latent.polychoric.ordinal_moments`).

    Examples
    --------
    See the module docstring. R: ``lavaan::cfa(model_syntax, data, ordered = items,
    estimator = "WLSMV", std.lv = std_lv)``; ``fitMeasures(fit)``, ``parameterEstimates(fit)``.
    """
    if estimator.upper() not in ("WLSMV",):
        raise ModelError(f"model {name!r}: ordinal estimator {estimator!r} is not implemented "
                         "(available: WLSMV)")
    model_syntax, regressions = _regressions_as_loadings(model_syntax, name)
    syntax = fixed_variance_syntax(model_syntax) if std_lv else model_syntax
    spec = parse_syntax(syntax, name)
    items = list(spec.observed)
    cont: list[str] = []
    if ordered is not None and ordered is not True:
        if ordered is False or isinstance(ordered, str):
            raise ModelError(f"model {name!r}: ordered must be a list of item names or True (all), "
                             f"not {ordered!r}")
        ordered = list(ordered)
        cont = [v for v in items if v not in ordered]
    bad = sorted({y for y, _ in regressions} - set(cont))
    if bad:
        raise ModelError(f"model {name!r}: {', '.join(bad)} ~ …: a regression on factors is implemented for a "
                         "continuous variable (not declared ordered) only")
    model = CFAModel(delta_spec(spec, name, cont))
    if moments is None:
        moments = (mixed_moments(data, items, [v for v in items if v not in cont], name) if cont
                   else ordinal_moments(data, items, name))
    elif list(moments.items) != items:
        raise ModelError(f"model {name!r}: the precomputed moments are for other items")
    res = _fit_dwls(model, moments, syntax, name)
    if regressions:
        e = res.estimates
        for y, f in regressions:
            hit = (e["op"] == "=~") & (e["lhs"] == f) & (e["rhs"] == y)
            e.loc[hit, ["lhs", "op", "rhs"]] = [y, "~", f]
        # lavaan lists regressions after the loadings
        order = np.argsort(np.where(e["op"] == "=~", 0, np.where(e["op"] == "~", 1, 2)), kind="stable")
        res.estimates = e.iloc[order].reset_index(drop=True)
    return res


def _regressions_as_loadings(syntax: str, name: str) -> tuple[str, list[tuple[str, str]]]:
    """Rewrite ``y ~ f1 + f2`` (an observed y on factors) as ``f1 =~ y`` and ``f2 =~ y``, and
    let the residuals of several such outcomes covary (lavaan's ``auto.cov.y``).

    Examples
    --------
    >>> _regressions_as_loadings("f =~ a + b + c\\ny ~ f", "m")
    ('f =~ a + b + c\\nf =~ y', [('y', 'f')])
    """
    lines = [ln.split("#")[0].strip() for ln in syntax.replace(";", "\n").splitlines()]
    latent = {ln.split("=~")[0].strip() for ln in lines if "=~" in ln}
    out, regs, loads = [], [], []
    for ln in lines:
        if not ln:
            continue
        if "~" in ln and not any(op in ln for op in ("=~", "~~", "~1", "~*~")):
            lhs, rhs = (t.strip() for t in ln.split("~", 1))
            terms = [t.strip() for t in rhs.split("+")]
            if lhs in latent or not all(t in latent for t in terms):
                raise ModelError(f"model {name!r}: {ln!r}: with ordered items, regressions are implemented for an "
                                 "observed continuous variable on factors (y ~ f) only")
            for t in terms:                  # after the factors' own lines: their markers stay first
                loads.append(f"{t} =~ {lhs}")
                regs.append((lhs, t))
        else:
            out.append(ln)
    ys = list(dict.fromkeys(y for y, _ in regs))
    # lavaan's auto.cov.y: the residuals of the regressions' outcomes covary
    out += loads + [f"{a} ~~ {b}" for k, a in enumerate(ys) for b in ys[k + 1:]]
    return ("\n".join(out), regs) if regs else (syntax, [])


@small_matrix_work
def _fit_dwls(model: CFAModel, moments: OrdinalMoments, syntax: str, name: str) -> OrdinalCFAResult:
    """DWLS estimates, robust SEs, tests and fit measures (small matrices: one BLAS thread)."""
    items = list(model.spec.observed)
    n = moments.n
    gamma = moments.gamma
    pairs = moments.pairs
    pi, pj = pairs[:, 0], pairs[:, 1]
    nth, ncor = len(moments.thresholds), len(pairs)
    num = moments.numeric_index                        # continuous variables: variances are statistics
    nv = len(num)
    si, sj = np.concatenate([num, pi]), np.concatenate([num, pj])
    nstat = nv + ncor
    k = nth + nstat
    w = 1.0 / np.diag(gamma)
    wc = w[nth:]
    r = np.concatenate([moments.variances, moments.rho])
    q = model.npar
    df = nstat - q
    if df < 0:
        raise ModelError(f"model {name!r} is not identified: {q} free parameters but only {nstat} "
                         f"polychoric correlations (df = {df})")

    def resid(theta: np.ndarray) -> np.ndarray:
        return r - model.sigma(theta)[si, sj]

    def jac(theta: np.ndarray) -> np.ndarray:
        return model.dsigma(theta)[:, si, sj].T              # nstat x q

    def fun(theta: np.ndarray) -> float:
        e = resid(theta)
        return float(e @ (wc * e))

    def grad(theta: np.ndarray) -> np.ndarray:
        return -2 * jac(theta).T @ (wc * resid(theta))

    def metric(theta: np.ndarray, g: np.ndarray) -> np.ndarray:
        d = jac(theta)
        return 2 * d.T @ (wc[:, None] * d)

    x0 = start_values(model, moments.cov if nv else moments.cor, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = fisher_scoring(fun, grad, metric, x0, DWLS_TOLERANCES)
    theta = res.x
    gnorm = float(np.linalg.norm(grad(theta)))
    failure = None if (res.converged or gnorm < 1e-8) else f"gradient norm {gnorm:.2g} ({res.reason})"
    dc = jac(theta)
    checked_information(lambda: dc.T @ (wc[:, None] * dc), failure, name)

    # the full Δ over (thresholds, correlations) x (structural parameters, thresholds)
    delta = np.zeros((k, q + nth))
    delta[nth:, :q] = dc
    delta[:nth, q:] = np.eye(nth)
    wd = w[:, None] * delta
    e_mat = delta.T @ wd
    e_inv = np.linalg.inv(e_mat)
    # lavaan's N for a non-ML estimator is N - 1 (lav_utils_get_ntotal): tests, SEs, RMSEA
    nn = n - 1
    cg = gamma @ wd                                    # Γ W Δ, K x m
    meat = wd.T @ cg
    vcov = e_inv @ meat @ e_inv / nn                   # lavaan se = "robust.sem"
    se = np.sqrt(np.maximum(np.diag(vcov), 0.0))

    # tests
    chisq = nn * fun(theta)
    fmin = chisq / (2 * n)
    # tr(UΓ) and tr((UΓ)²) with U = W − WΔE⁻¹Δ′W, without forming the K x K matrix UΓ:
    # UΓ = A − B E⁻¹ B′Γ with A = WΓ, B = WΔ
    a_mat = w[:, None] * gamma
    tr1 = float(np.trace(a_mat)) - float(np.trace(e_inv @ meat))
    ed = e_inv @ meat                                  # meat = B′ΓB
    tr2 = (float(np.sum(a_mat * a_mat.T)) - 2 * float(np.sum(e_inv * (cg.T @ (w[:, None] * cg))))
           + float(np.sum(ed * ed.T)))
    ss = _scaled_shifted(chisq, df, tr1, tr2)
    # baseline: correlations 0, thresholds (means, variances) free
    gcc = gamma[nth + nv:, nth + nv:]
    rc, wcc = r[nv:], wc[nv:]
    x2n = nn * float(rc @ (wcc * rc))
    dfn = float(ncor)
    ugn = wcc[:, None] * gcc
    ssn = _scaled_shifted(x2n, dfn, float(np.trace(ugn)), float(np.sum(ugn * ugn.T)))

    mats = model.matrices(theta)
    lam, psi, th_off = mats["lambda"], mats["psi"], mats["theta"]
    common = lam @ psi @ lam.T
    implied = common + th_off
    is_num = np.zeros(len(items), dtype=bool)
    is_num[num] = True
    resvar = np.where(is_num, np.diag(th_off), 1.0 - np.diag(implied))
    np.fill_diagonal(implied, np.where(is_num, np.diag(implied), 1.0))

    # robust CFI/TLI/RMSEA (lavaan's catML route, Savalei 2021)
    robust: dict[str, float] = {}
    p = len(items)
    try:
        if nv:                          # lavaan: no catML route with continuous variables
            raise np.linalg.LinAlgError("continuous variables")
        evs = np.linalg.eigvalsh(moments.cor)
        if evs[0] < np.sqrt(np.finfo(float).eps):
            raise np.linalg.LinAlgError("polychoric matrix not positive definite")
        sign, logdet_sig = np.linalg.slogdet(implied)
        if sign <= 0:
            raise np.linalg.LinAlgError("implied matrix not positive definite")
        logdet_r = np.linalg.slogdet(moments.cor)[1]
        xx3 = n * float(logdet_sig + np.sum(moments.cor * np.linalg.inv(implied)) - logdet_r - p)
        v = catml_weight(implied, pairs)
        wiu = np.eye(ncor) - dc @ e_inv[:q, :q] @ dc.T * wc[None, :]
        c3 = float(np.sum((wiu.T @ v @ wiu) * gcc.T)) / df if df > 0 else math.nan
        xx3n = -n * float(logdet_r)
        c3n = float(np.trace(gcc)) / dfn
        robust = {"xx3": xx3, "c3": c3, "xx3_scaled": xx3 / c3, "xx3n": xx3n, "c3n": c3n}
    except np.linalg.LinAlgError:
        robust = {}

    fit = ordinal_fit_measures(nn, q + nth, fmin, chisq, df, ss, x2n, dfn, ssn, robust, k)
    # residual correlations (the thresholds are reproduced exactly, their residuals are 0);
    # continuous variables: residuals standardised by the sample SDs (rmr: raw), and lavaan
    # counts the thresholds only, not the means
    sd = np.sqrt(np.diag(moments.cov)) if nv else np.ones(p)
    raw = moments.rho - implied[pi, pj]
    ssr = float(np.sum((raw / (sd[pi] * sd[pj])) ** 2))
    n_thr = nth - nv
    fit["srmr"] = math.sqrt(ssr / (p * (p + 1) / 2))
    fit["crmr"] = math.sqrt(ssr / (p * (p - 1) / 2 + n_thr))
    fit["srmr_bentler"] = math.sqrt(ssr / (p * (p + 1) / 2 + n_thr))
    fit["rmr"] = math.sqrt(float(np.sum(raw ** 2)) / (p * (p + 1) / 2 + n_thr))
    est = _estimates(model, theta, se[:q], moments, se[q:], resvar, common)
    free_names = [f"{model.spec.rows[rw][0]} {model.spec.rows[rw][1]} {model.spec.rows[rw][2]}"
                  for rw in model.row_of_free] + [f"{t.split('|')[0]} | {t.split('|')[1]}" if "|" in t
                                                  else t.replace("~1", " ~1") for t in moments.threshold_names]
    notes = []
    if (resvar < 0).any():
        notes.append("negative residual variance(s) of the latent responses: "
                     + ", ".join(v for v, rv in zip(items, resvar) if rv < 0))
    info = DWLSInformation((tuple(items), tuple(moments.threshold_names), (), (n,)), [delta],
                           np.ones(1), e_inv, meat, chisq, df)
    return OrdinalCFAResult(name, syntax, "WLSMV", n, moments.n_dropped, est, fit, moments, vcov,
                            free_names, implied, notes, info)


def ordinal_fit_measures(n: int, npar: int, fmin: float, chisq: float, df: int, ss: dict, x2n: float,
                         dfn: float, ssn: dict, robust: dict, nel: int) -> dict[str, float]:
    """lavaan's WLSMV fit measures from the test statistics (one group's formulas).

    Parameters
    ----------
    n : int
        lavaan's N for the RMSEA (cases − groups).
    npar, fmin, chisq, df : model size, lavaan's fmin, DWLS χ² and its df.
    ss, ssn : dict
        Scaled-shifted statistics (``stat``, ``pvalue``, ``scaling``, ``shift``) of the model
        and of the baseline model.
    x2n, dfn : float
        Baseline χ² and df.
    robust : dict
        catML quantities ``xx3, c3, xx3_scaled, xx3n, c3n``; empty: the ``.robust`` measures
        are NaN.
    nel : int
        Number of sample statistics of one group (for ``wrmr``).

    Returns
    -------
    dict
        ``fitMeasures()`` names; several groups: the caller rescales the RMSEA by √G.
    """
    f: dict[str, float] = {"npar": float(npar), "fmin": fmin, "chisq": chisq, "df": float(df),
                           "pvalue": _chisq_sf(chisq, df),
                           "chisq.scaled": ss["stat"], "df.scaled": float(df), "pvalue.scaled": ss["pvalue"],
                           "chisq.scaling.factor": ss["scaling"], "chisq.shift.parameter": ss["shift"],
                           "baseline.chisq": x2n, "baseline.df": dfn, "baseline.pvalue": _chisq_sf(x2n, dfn),
                           "baseline.chisq.scaled": ssn["stat"], "baseline.df.scaled": dfn,
                           "baseline.pvalue.scaled": ssn["pvalue"],
                           "baseline.chisq.scaling.factor": ssn["scaling"]}
    xs, xns = ss["stat"], ssn["stat"]
    f["cfi"] = _cfi(chisq, df, x2n, dfn)
    f["tli"] = _tli(chisq, df, x2n, dfn)
    f["cfi.scaled"] = _cfi(xs, df, xns, dfn)
    f["tli.scaled"] = _tli(xs, df, xns, dfn)
    if robust:
        c, cn = robust["c3"], robust["c3n"]
        f["cfi.robust"] = _cfi(robust["xx3"], df, robust["xx3n"], dfn, c, cn)
        f["tli.robust"] = _tli(robust["xx3"], df, robust["xx3n"], dfn, c, cn)
    else:
        f["cfi.robust"] = f["tli.robust"] = math.nan
    f["nnfi"] = f["tli"]
    f.update(_incremental(chisq, df, x2n, dfn))
    f["rni"] = _rni(chisq, df, x2n, dfn)
    f["nnfi.scaled"] = f["tli.scaled"]
    f.update({f"{k}.scaled": v for k, v in _incremental(xs, df, xns, dfn).items()})
    f["rni.scaled"] = _rni(xs, df, xns, dfn)
    f["nnfi.robust"] = f["tli.robust"]
    f["rni.robust"] = (_rni(robust["xx3"], df, robust["xx3n"], dfn, robust["c3"], robust["c3n"])
                       if robust else math.nan)
    f["rmsea"] = _rmsea(chisq, df, n)
    f["rmsea.ci.lower"], f["rmsea.ci.upper"] = _rmsea_ci(chisq, df, n)
    f["rmsea.ci.level"] = 0.90
    f["rmsea.pvalue"] = rmsea_pvalue(chisq, df, n, 0.05)
    f["rmsea.close.h0"] = 0.05
    f["rmsea.notclose.pvalue"] = rmsea_pvalue(chisq, df, n, 0.08, close=False)
    f["rmsea.notclose.h0"] = 0.08
    f["rmsea.scaled"] = _rmsea(xs, df, n)
    f["rmsea.ci.lower.scaled"], f["rmsea.ci.upper.scaled"] = _rmsea_ci(xs, df, n)
    f["rmsea.pvalue.scaled"] = rmsea_pvalue(xs, df, n, 0.05)
    f["rmsea.notclose.pvalue.scaled"] = rmsea_pvalue(xs, df, n, 0.08, close=False)
    if robust:
        c = robust["c3"]
        f["rmsea.robust"] = _rmsea(robust["xx3"], df, n, c)
        f["rmsea.ci.lower.robust"], f["rmsea.ci.upper.robust"] = _rmsea_ci(robust["xx3_scaled"], df, n, c)
        f["rmsea.pvalue.robust"] = rmsea_pvalue(robust["xx3_scaled"], df, n, 0.05, c)
        f["rmsea.notclose.pvalue.robust"] = rmsea_pvalue(robust["xx3_scaled"], df, n, 0.08, c, close=False)
    else:
        for key in ("rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust",
                    "rmsea.pvalue.robust", "rmsea.notclose.pvalue.robust"):
            f[key] = math.nan
    f["wrmr"] = math.sqrt(chisq / nel)
    return f


def _estimates(model: CFAModel, theta: np.ndarray, se_free: np.ndarray, moments: OrdinalMoments,
               se_th: np.ndarray, resvar: np.ndarray, common: np.ndarray) -> pd.DataFrame:
    """parameterEstimates()-style rows (lavaan's order: =~, |, ~~, ~*~, ~1).

    A continuous variable has its residual variance (free) and intercept (its mean) and no
    scale factor; its ``std.all`` divides by its model-implied SD.
    """
    mats = model.matrices(theta)
    lam, psi = mats["lambda"], mats["psi"]
    sd_f = np.sqrt(np.abs(np.diag(psi)))
    free_se = {rw: s for rw, s in zip(model.row_of_free, se_free)}
    spec = model.spec
    items, lat = spec.observed, spec.latent
    cont = set(moments.numeric)
    sd_y = np.array([math.sqrt(max(common[i, i] + resvar[i], 0.0)) if v in cont else 1.0
                     for i, v in enumerate(items)])
    load, cov, resid_rows = [], [], []
    for rw, (lhs, op, rhs, mat, i, j, val) in enumerate(spec.rows):
        if mat == "lambda":
            est = lam[i, j]
            load.append((lhs, op, rhs, est, free_se.get(rw, 0.0), est * sd_f[j] / sd_y[i]))
        elif mat == "psi":
            est = psi[i, j]
            den = sd_f[i] * sd_f[j]
            cov.append((lhs, op, rhs, est, free_se.get(rw, 0.0), est / den if den > 0 else math.nan))
        elif i == j:
            resid_rows.append((lhs, op, rhs, resvar[i], free_se.get(rw, 0.0), resvar[i] / sd_y[i] ** 2))
        else:
            est = mats["theta"][i, j]          # std.all: the residual correlation, as lavaan
            den = math.sqrt(resvar[i] * resvar[j]) if resvar[i] * resvar[j] > 0 else math.nan
            cov.append((lhs, op, rhs, est, free_se.get(rw, 0.0), est / den))
    ths = [(nm.split("|")[0], "|", nm.split("|")[1], t, s, t)
           for nm, t, s in zip(moments.threshold_names, moments.thresholds, se_th) if "|" in nm]
    means = {nm[:-2]: (t, s) for nm, t, s in zip(moments.threshold_names, moments.thresholds, se_th)
             if nm.endswith("~1")}
    tail = ([(v, "~*~", v, 1.0, 0.0, 1.0) for v in items if v not in cont]
            + [(v, "~1", "", means[v][0], means[v][1], means[v][0] / sd_y[i]) if v in cont
               else (v, "~1", "", 0.0, 0.0, 0.0) for i, v in enumerate(items)]
            + [(f, "~1", "", 0.0, 0.0, 0.0) for f in lat])
    # lavaan lists the item residual variances before the user's and the latent (co)variances
    rows = load + ths + resid_rows + cov + tail
    df = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "est", "se", "std.all"])
    df.insert(3, "label", "")
    se = df["se"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, df["est"].to_numpy() / se, np.nan)
    df.insert(6, "z", z)
    from scipy import stats

    df.insert(7, "pvalue", 2 * stats.norm.sf(np.abs(z)))
    df.insert(8, "ci.lower", df["est"] - Z_95 * df["se"])
    df.insert(9, "ci.upper", df["est"] + Z_95 * df["se"])
    return df
