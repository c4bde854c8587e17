"""Confirmatory factor analysis (ML) with fit statistics on lavaan's conventions.

The estimates, standard errors and fit statistics equal those of lavaan's ``cfa()`` with its
defaults (checked against lavaan 0.6-14 by ``tests/unit/test_cfa.py``; the reference values
are made by ``tests/fixtures/cfa/make_cfa_fixtures.R``). This module is the driver; its
parts live in

- :mod:`attachstats.stats.latent.syntax` — model syntax → parameter table (lavaan
  ``cfa()`` defaults: the first loading of each factor fixed to 1, all other loadings,
  residual variances, latent variances and covariances free; no mean structure);
- :mod:`attachstats.stats.latent.engine` — Σ(θ), the ML discrepancy, the optimiser, the
  identification check;
- :mod:`attachstats.stats.latent.fit_indices` — χ², CFI, TLI, RMSEA [90% CI], SRMR,
  logL, AIC, BIC (names as in lavaan's ``fitMeasures``; :data:`FIT_COLUMNS`);
- :mod:`attachstats.stats.latent.standardise` — ``std.all`` and its delta-method SEs.

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

Syntax understood
-----------------
The measurement part of lavaan's: ``f =~ x1 + x2`` (modifiers ``1*x1`` fix, ``NA*x1``
frees a loading) and ``a ~~ b`` between two factors or two items (``0*b`` fixes, e.g.
orthogonal factors; ``f ~~ 1*f`` fixes a latent variance). Labels, regressions and
intercepts raise :class:`ModelError`.

Standard errors
---------------
Expected information (lavaan's default for complete-data ML),
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
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from attachstats.errors import ModelError
from attachstats.stats.latent.engine import (Z_95, CFAModel, CovarianceModel, check_degrees_of_freedom,
                                             check_sample_cov, checked_information, complete_cases,
                                             discrepancy, minimise, numeric_matrix, sample_moments)
from attachstats.stats.latent.fiml import fit_fiml
from attachstats.stats.latent.fit_indices import FIT_COLUMNS, ml_fit_measures
from attachstats.stats.latent.mlr import mlr_statistics, robust_indices
from attachstats.stats.latent.ordinal import fit_ordinal_cfa
from attachstats.stats.latent.polychoric import ordinal_moments
from attachstats.stats.latent.standardise import complex_step_jacobian, delta_method_se, std_all
from attachstats.stats.latent.syntax import ParameterTable, fixed_variance_syntax, parse_syntax
from attachstats.stats.threads import small_matrix_work

__all__ = ["CFAResult", "fit_cfa", "wlsmv_fit_row", "fit_table", "fit_identified", "ESTIMATORS", "MISSING",
           "LOADING_COLUMNS", "FACTOR_CORRELATION_COLUMNS", "PARAMETER_COLUMNS"]

#: Columns of :attr:`CFAResult.loadings`.
LOADING_COLUMNS = ["model", "factor", "item", "est", "se", "std", "std_ci_lo", "std_ci_hi"]
#: Columns of :attr:`CFAResult.factor_correlations`.
FACTOR_CORRELATION_COLUMNS = ["model", "factor1", "factor2", "est", "se", "ci_lo", "ci_hi"]
#: Columns of :attr:`CFAResult.parameters` (every parameter, as lavaan's parameter table).
PARAMETER_COLUMNS = ["model", "lhs", "op", "rhs", "free", "est", "se", "std", "std_se",
                     "std_ci_lo", "std_ci_hi"]

ESTIMATORS = ("ML", "MLR", "WLSMV")
MISSING = ("listwise", "fiml")

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
        Fit statistics, keys :data:`FIT_COLUMNS` (see
        :mod:`attachstats.stats.latent.fit_indices`).
    loadings : DataFrame
        Columns :data:`LOADING_COLUMNS`; ``std`` is the fully standardised loading
        (lavaan ``std.all``), its interval std ± 1.959964·se(std) by the delta method.
        ``se`` is NaN for a fixed loading.
    factor_correlations : DataFrame
        Columns :data:`FACTOR_CORRELATION_COLUMNS`: standardised latent correlations with delta
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
    estimator : {"ML", "MLR", "WLSMV"}
        ``"ML"``: lavaan's defaults (expected-information standard errors, normal-theory
        χ²). ``"MLR"``: the same estimates with sandwich standard errors, the
        Yuan–Bentler (Mplus) scaled χ² and robust CFI/TLI/RMSEA, as lavaan's
        ``estimator = "MLR"`` (see :mod:`attachstats.stats.latent.mlr`); complete cases only.
        ``"WLSMV"``: every indicator treated as ordered, lavaan's ``cfa(..., ordered = TRUE,
        estimator = "WLSMV")`` (:func:`attachstats.stats.latent.ordinal.fit_ordinal_cfa`),
        mapped onto the same columns by :func:`wlsmv_fit_row`; complete cases only.
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

    Examples
    --------
    R: ``lavaan::cfa(syntax, data, estimator = "MLR")``.

    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> d = pd.DataFrame(f @ np.ones((1, 3)) + rng.normal(size=(300, 3)), columns=["x1", "x2", "x3"])
    >>> res = fit_cfa(d, "f =~ x1 + x2 + x3", "one")
    >>> res.fit["df"], res.loadings["item"].tolist()
    (0, ['x1', 'x2', 'x3'])
    """
    if estimator not in ESTIMATORS:
        raise ModelError(f"model {name!r}: unknown estimator {estimator!r}; implemented: "
                         f"{', '.join(ESTIMATORS)}")
    if missing not in MISSING:
        raise ModelError(f"model {name!r}: unknown missing-data option {missing!r}; "
                         f"implemented: {', '.join(MISSING)}")
    if estimator == "WLSMV":
        if missing != "listwise":
            raise ModelError(f"model {name!r}: estimator WLSMV is implemented with listwise deletion only "
                             f"(not missing = {missing!r}); use missing: listwise")
        return _fit_wlsmv(data, syntax, name)
    if missing == "fiml" and estimator != "ML":
        raise ModelError(f"model {name!r}: FIML is implemented with estimator ML only "
                         f"(not {estimator}); use missing: listwise for {estimator}")
    spec = parse_syntax(syntax, name)
    if missing == "fiml":
        est = fit_fiml(numeric_matrix(data, spec.observed, name), spec, name)
        params = _parameter_table(est.model, est.theta, est.vcov, name, est.intercept_rows)
        _warn_heywood(params, name)
        return _result(name, est.n, est.fit, params, spec, syntax, est.sample_cov, est.implied_cov)
    x = complete_cases(data, spec.observed, name)
    n, p = x.shape
    if n < 2:
        raise ModelError(f"model {name!r}: {n} complete case(s), too few to fit the model")
    _, s = sample_moments(x)
    check_sample_cov(s, spec.observed, n, name)
    logdet_s = np.linalg.slogdet(s)[1]
    model = CFAModel(spec)
    df = check_degrees_of_freedom(p, model.npar, name)

    theta, failure = minimise(model, s, logdet_s, name)
    disc = discrepancy(model, s, logdet_s)
    info = checked_information(lambda: disc.information(theta), failure, name)   # expected, per case
    fit = ml_fit_measures(name, n, s, model.sigma(theta), model.npar)
    if estimator == "MLR":
        stats = mlr_statistics(model, theta, x, s, disc.grad, df)
        vcov = stats.vcov
        fit = robust_indices(fit, stats)
    else:
        vcov = np.linalg.inv(info) / n
    params = _parameter_table(model, theta, vcov, name)
    _warn_heywood(params, name)
    return _result(name, n, fit, params, spec, syntax, s, model.sigma(theta))


def wlsmv_fit_row(name: str, fit: dict[str, float], n: int) -> dict:
    """lavaan's WLSMV ``fitMeasures()`` mapped onto :data:`FIT_COLUMNS`.

    As lavaan's ``summary(fit, fit.measures = TRUE)`` ("Scaled" column) and Mplus report
    them for WLSMV: ``chi2``/``p`` = the mean-and-variance-adjusted (scaled-shifted) test
    (``chisq.scaled``, ``pvalue.scaled``) on ``df``; ``cfi``, ``tli``, ``rmsea`` and its
    interval = the ``.scaled`` versions (computed from the scaled-shifted statistics of the
    model and the baseline); ``baseline_chi2`` = ``baseline.chisq.scaled``; ``chi2_ml`` =
    the unscaled DWLS statistic (``chisq``); ``scaling_factor`` and
    ``baseline_scaling_factor`` = lavaan's ``chisq.scaling.factor`` (a) and
    ``baseline.chisq.scaling.factor``; ``srmr`` = lavaan's ``srmr`` (residual
    polychoric correlations); ``aic``, ``bic``, ``loglik`` = NaN (no likelihood); ``npar``
    counts the thresholds, as lavaan's.

    Examples
    --------
    >>> f = {"chisq.scaled": 12.0, "df": 5.0, "pvalue.scaled": .03, "cfi.scaled": .98, "tli.scaled": .97,
    ...      "rmsea.scaled": .05, "rmsea.ci.lower.scaled": .01, "rmsea.ci.upper.scaled": .08, "srmr": .04,
    ...      "npar": 30.0, "baseline.chisq.scaled": 900.0, "baseline.df": 10.0, "chisq": 15.0,
    ...      "chisq.scaling.factor": .8, "baseline.chisq.scaling.factor": .9}
    >>> wlsmv_fit_row("m", f, 200)["chi2"], wlsmv_fit_row("m", f, 200)["estimator"]
    (12.0, 'WLSMV')
    """
    return {"model": name, "estimator": "WLSMV", "n": int(n), "chi2": fit["chisq.scaled"], "df": int(fit["df"]),
            "p": fit["pvalue.scaled"], "cfi": fit["cfi.scaled"], "tli": fit["tli.scaled"],
            "rmsea": fit["rmsea.scaled"], "rmsea_ci_lo": fit["rmsea.ci.lower.scaled"],
            "rmsea_ci_hi": fit["rmsea.ci.upper.scaled"], "srmr": fit["srmr"], "aic": math.nan, "bic": math.nan,
            "loglik": math.nan, "npar": int(fit["npar"]), "baseline_chi2": fit["baseline.chisq.scaled"],
            "baseline_df": int(fit["baseline.df"]), "chi2_ml": fit["chisq"],
            "scaling_factor": fit["chisq.scaling.factor"],
            "baseline_scaling_factor": fit["baseline.chisq.scaling.factor"]}


def _fit_wlsmv(data: pd.DataFrame, syntax: str, name: str) -> CFAResult:
    """WLSMV fit of ordered items as a :class:`CFAResult` (see :func:`fit_cfa`).

    ``est``/``se`` come from the model as written (marker identification, lavaan's default;
    if the marker item does not identify the model, from the ``std.lv`` fit). The
    standardised values (``std.all``) and their SEs come from the same model refitted with
    the latent variances fixed to 1 (same sample statistics): in the delta
    parameterisation the latent responses have unit variance, so there the loadings and
    factor covariances *are* ``std.all`` and their robust SEs are the delta-method SEs of
    ``standardizedSolution()`` (invariant to the identification). The refit is checked to be
    the same model (equal χ²); if it is not (e.g. loadings fixed by the user), ``std`` is the
    marker fit's ``std.all`` and its SE and interval are NaN, with a warning.
    """
    items = list(parse_syntax(syntax, name).observed)
    missing_items = [v for v in items if v not in data.columns]
    if missing_items:
        raise ModelError(f"model {name!r}: item(s) {', '.join(missing_items)} not in the data")
    moments = ordinal_moments(data[items], items, name)
    stdlv = fit_ordinal_cfa(syntax, data, name=name, std_lv=True, moments=moments)
    try:
        marker = fit_ordinal_cfa(syntax, data, name=name, moments=moments)
    except ModelError as exc:
        if "not identified" not in str(exc) and "singular" not in str(exc):
            raise
        logging.getLogger(__name__).warning("%s: marker identification failed (%s); reporting the fit with "
                                            "latent variances fixed to 1", name, exc)
        marker = stdlv
    same = math.isclose(marker.fit["chisq"], stdlv.fit["chisq"], rel_tol=1e-6, abs_tol=1e-8)
    if not same:
        warnings.warn(f"model {name!r}: the model with latent variances fixed to 1 is not the same model "
                      "(fixed loadings?); standardised SEs and intervals are not reported", stacklevel=3)
    pm, ps = marker.parameters(), stdlv.parameters()
    key = ["lhs", "op", "rhs"]
    ps = ps.set_index(key)
    rows = []
    for r in pm[pm["op"].isin(["=~", "~~", "|"])].to_dict("records"):
        k = (r["lhs"], r["op"], r["rhs"])
        std, std_se = float(r["std.all"]), math.nan
        if same and k in ps.index and r["op"] != "|":
            q = ps.loc[k]
            if float(q["se"]) > 0:
                std, std_se = float(q["est"]), float(q["se"])
        rows.append({"model": name, "lhs": r["lhs"], "op": r["op"], "rhs": r["rhs"], "free": bool(r["se"] > 0),
                     "est": float(r["est"]), "se": float(r["se"]) if r["se"] > 0 else math.nan,
                     "std": std, "std_se": std_se, "std_ci_lo": std - Z_95 * std_se,
                     "std_ci_hi": std + Z_95 * std_se})
    params = pd.DataFrame(rows, columns=PARAMETER_COLUMNS)
    if marker.n_dropped:
        logging.getLogger(__name__).info("%s: %d row(s) with a missing item left out (listwise, WLSMV)", name,
                                         marker.n_dropped)
    for note in marker.notes:
        warnings.warn(f"model {name!r}: {note}", stacklevel=3)
    spec = parse_syntax(marker.syntax, name)
    return _result(name, marker.n, wlsmv_fit_row(name, marker.fit, marker.n), params, spec, marker.syntax,
                   moments.cor, marker.implied)


def _parameter_table(model: CovarianceModel, theta: np.ndarray, vcov: np.ndarray, name: str,
                     extra_rows: Sequence[dict] = ()) -> pd.DataFrame:
    """lavaan-style parameter table with standardised values and delta-method SEs.

    ``vcov`` covers the covariance-structure parameters first (θ of ``model``); rows for
    further parameters (e.g. intercepts) are passed ready-made in ``extra_rows``.
    """
    k = model.npar
    vc = vcov[:k, :k]
    std = std_all(model, theta).real
    jac = complex_step_jacobian(lambda t: std_all(model, t), theta)
    std_se = delta_method_se(jac, vc)                         # as standardizedSolution()
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


def _result(name: str, n: int, fit: dict, params: pd.DataFrame, spec: ParameterTable, syntax: str,
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
        columns=FACTOR_CORRELATION_COLUMNS).reset_index(drop=True)
    obs = spec.observed
    return CFAResult(name=name, n=int(n), fit=fit, loadings=loadings,
                     factor_correlations=factor_correlations, parameters=params, syntax=syntax,
                     sample_cov=pd.DataFrame(s, index=obs, columns=obs),
                     implied_cov=pd.DataFrame(sig, index=obs, columns=obs))


def fit_table(results: Sequence[CFAResult]) -> pd.DataFrame:
    """One row per model with the fit statistics, columns :data:`FIT_COLUMNS`.

    R: ``sapply(fits, fitMeasures)``, transposed.

    Examples
    --------
    >>> fit_table([]).columns.tolist() == FIT_COLUMNS
    True
    """
    return pd.DataFrame([{k: r.fit[k] for k in FIT_COLUMNS} for r in results], columns=FIT_COLUMNS)


def fit_identified(data: pd.DataFrame, syntax: str, name: str, **options: Any) -> CFAResult:
    """:func:`fit_cfa` with marker identification, else with fixed latent variances.

    Fits with marker identification (lavaan's default); if the marker item does not load
    (a singular information matrix, e.g. one factor over two unrelated dimensions), refits
    with the latent variances fixed to 1 instead (:func:`fixed_variance_syntax`; lavaan
    ``std.lv = TRUE``). Fit statistics and standardised estimates do not depend on that
    choice; the log says which was used. ``options`` go to :func:`fit_cfa`.

    Raises
    ------
    ModelError
        As :func:`fit_cfa`, from the refit if there was one.
    """
    try:
        return fit_cfa(data, syntax, name, **options)
    except ModelError as exc:
        if "not identified" not in str(exc):
            raise
        logging.getLogger(__name__).warning(
            "%s: marker identification failed (%s); refitting with latent variances fixed to 1", name, exc)
        return fit_cfa(data, fixed_variance_syntax(syntax), name, **options)
