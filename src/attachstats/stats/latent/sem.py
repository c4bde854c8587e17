"""Latent regression (SEM, ML): attachment factors predict observed outcomes, as ``lavaan::sem``.

The model: a measurement part (each factor measured by its items, the first loading fixed
to 1) and a structural part in which every outcome — an observed score such as the PHQ-9
total — is regressed on every factor. With lavaan's ``sem()`` defaults the factor
variances and their covariances are free, the outcomes' residual variances and their
residual covariances are free (``auto.cov.y``), and there is no mean structure. In lavaan
syntax (:func:`sem_syntax` writes it; the R fixture fits exactly this)::

    anxiety =~ ecr_1 + ecr_2 + ...
    avoidance =~ ecr_19 + ...
    phq9_total ~ anxiety + avoidance
    pdss_total ~ anxiety + avoidance

Estimation uses the engine of :mod:`attachstats.stats.latent.engine` (the same discrepancy function,
Fisher-scoring optimiser, starting values, identification check and expected-information
standard errors as the CFA) and the fit statistics of
:mod:`attachstats.stats.latent.fit_indices`: the model is written in LISREL all-y form, each outcome as a "phantom" latent
variable with loading 1 and residual variance 0, so that

    Σ(θ) = Λ (I − B)⁻¹ Ψ (I − B)⁻ᵀ Λ' + Θ,

with B holding the regressions. Only Σ(θ) and its derivatives are new here. Results match
lavaan 0.6-14 on the fixture in ``tests/fixtures/sem`` (estimates, standard errors, χ² and
the fit indices).

Standardised estimates are lavaan's ``std.all``: a loading λ·sd(f)/sd(item), a regression
β·sd(f)/sd(outcome), the outcome's residual variance over its model-implied variance (1 − R²),
residual covariances over the product of residual standard deviations, and factor
covariances as correlations. ``r2`` rows give the R² of every item and outcome (lavaan's
``parameterEstimates(rsquare = TRUE)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from attachstats.errors import ModelError
from attachstats.stats.latent.api import SEMFit
from attachstats.stats.latent.engine import (ML_TOLERANCES, Z_95, check_sample_cov, checked_information,
                                             complete_cases, discrepancy, minimise, sample_moments)
from attachstats.stats.latent.estimation import fit_partable
from attachstats.stats.latent.fit_indices import ml_fit_measures
from attachstats.stats.latent.syntax import ParameterTable, build_model_syntax, check_name, lavaanify

__all__ = ["SEMResult", "fit_sem", "fit_sem_as_syntax", "sem_syntax", "SEM_PARAMETER_COLUMNS"]

#: Columns of ``tables/sem_parameters.csv``.
SEM_PARAMETER_COLUMNS = ["model", "lhs", "op", "rhs", "free", "est", "se", "stat", "p", "ci_lo", "ci_hi", "std"]


@dataclass
class _SEMSpec(ParameterTable):
    """A :class:`~attachstats.stats.latent.syntax.ParameterTable` whose ``rows`` also use the
    matrix ``beta`` (regressions), with the factors and the outcomes (phantom latent variables)."""

    factors: list[str]
    outcomes: list[str]


def sem_syntax(factors: Mapping[str, Sequence[str]], outcomes: Sequence[str]) -> str:
    """lavaan syntax of the latent regression (see the module docstring).

    Examples
    --------
    >>> print(sem_syntax({"anx": ["a1", "a2", "a3"], "avo": ["v1", "v2", "v3"]}, ["dep"]))
    anx =~ a1 + a2 + a3
    avo =~ v1 + v2 + v3
    dep ~ anx + avo
    """
    lines = [build_model_syntax(factors)]
    lines += [f"{y} ~ " + " + ".join(factors) for y in outcomes]
    return "\n".join(lines)


def _build(factors: Mapping[str, Sequence[str]], outcomes: Sequence[str], name: str) -> _SEMSpec:
    for f in factors:
        check_name(f, "factor")
    for y in outcomes:
        check_name(y, "outcome")
    items = [i for its in factors.values() for i in its]
    clash = [y for y in outcomes if y in items or y in factors]
    if clash:
        raise ModelError(f"model {name!r}: outcome(s) {', '.join(clash)} are also items or factor names")
    if len(set(items)) != len(items):
        raise ModelError(f"model {name!r}: an item loads on more than one factor")
    observed = items + list(outcomes)
    latent = list(factors) + list(outcomes)          # outcomes as phantom latent variables
    oi = {v: k for k, v in enumerate(observed)}
    li = {v: k for k, v in enumerate(latent)}
    rows: list[tuple[str, str, str, str, int, int, float | None]] = []
    for f, its in factors.items():
        for k, it in enumerate(its):
            rows.append((f, "=~", it, "lambda", oi[it], li[f], 1.0 if k == 0 else None))
    for y in outcomes:                                # phantom: y = 1·η_y (not reported)
        rows.append((y, "=~", y, "lambda", oi[y], li[y], 1.0))
    for y in outcomes:
        for f in factors:
            rows.append((y, "~", f, "beta", li[y], li[f], None))
    for it in items:
        rows.append((it, "~~", it, "theta", oi[it], oi[it], None))
    for k, y in enumerate(outcomes):
        rows.append((y, "~~", y, "psi", li[y], li[y], None))
        for y2 in outcomes[k + 1:]:
            rows.append((y, "~~", y2, "psi", li[y], li[y2], None))
    fl = list(factors)
    for k, f in enumerate(fl):
        rows.append((f, "~~", f, "psi", li[f], li[f], None))
        for g in fl[k + 1:]:
            rows.append((f, "~~", g, "psi", li[f], li[g], None))
    return _SEMSpec(observed, latent, rows, fl, list(outcomes))


class _SEMModel:
    """Σ(θ) = Λ A Ψ Aᵀ Λ' + Θ, A = (I − B)⁻¹: a :class:`attachstats.stats.latent.engine.CovarianceModel`."""

    def __init__(self, spec: _SEMSpec) -> None:
        self.spec = spec
        p, m = len(spec.observed), len(spec.latent)
        self.p, self.m = p, m
        self.base = {"lambda": np.zeros((p, m)), "beta": np.zeros((m, m)), "psi": np.zeros((m, m)),
                     "theta": np.zeros((p, p))}
        self.free: list[tuple[str, int, int]] = []
        self.row_of_free: list[int] = []
        for r, (_, _, _, mat, i, j, val) in enumerate(spec.rows):   # the phantoms' Θ stays 0
            if val is None:
                self.free.append((mat, i, j))
                self.row_of_free.append(r)
            else:
                self.base[mat][i, j] = val
                if mat in ("psi", "theta"):
                    self.base[mat][j, i] = val
        self.npar = len(self.free)

    def matrices(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        dtype = np.result_type(theta.dtype, float)
        mats = {k: v.astype(dtype) for k, v in self.base.items()}
        for k, (mat, i, j) in enumerate(self.free):
            mats[mat][i, j] = theta[k]
            if mat in ("psi", "theta"):
                mats[mat][j, i] = theta[k]
        return mats

    def _parts(self, mx: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        a = np.linalg.inv(np.eye(self.m) - mx["beta"])
        g = mx["lambda"] @ a                          # Λ A
        mm = a @ mx["psi"] @ a.T                       # total latent covariance
        return a, g, mm

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        mx = self.matrices(theta)
        _, g, _ = self._parts(mx)
        return g @ mx["psi"] @ g.T + mx["theta"]

    def latent_cov(self, theta: np.ndarray) -> np.ndarray:
        return self._parts(self.matrices(theta))[2]

    def dsigma(self, theta: np.ndarray) -> np.ndarray:
        """∂Σ/∂θₖ for every free parameter, shape (npar, p, p)."""
        mx = self.matrices(theta)
        _, g, mm = self._parts(mx)
        lm = mx["lambda"] @ mm                         # Λ A Ψ Aᵀ
        out = np.zeros((self.npar, self.p, self.p))
        for k, (mat, i, j) in enumerate(self.free):
            d = out[k]
            if mat == "lambda":
                d[i, :] += lm[:, j]
                d[:, i] += lm[:, j]
            elif mat == "beta":
                o = np.outer(g[:, i], lm[:, j])
                d += o + o.T
            elif mat == "psi":
                d += np.outer(g[:, i], g[:, j])
                if i != j:
                    d += np.outer(g[:, j], g[:, i])
            else:
                d[i, j] = 1.0
                d[j, i] = 1.0
        return out


def _std_all(model: _SEMModel, theta: np.ndarray) -> np.ndarray:
    """lavaan ``std.all`` of every row of the parameter table."""
    mx = model.matrices(theta)
    sig_d = np.diag(model.sigma(theta))
    lv_var = np.diag(model.latent_cov(theta))
    psi, th = mx["psi"], mx["theta"]
    spec = model.spec
    out = []
    for _, _, _, mat, i, j, _ in spec.rows:
        if mat == "lambda":
            out.append(mx["lambda"][i, j] * np.sqrt(lv_var[j]) / np.sqrt(sig_d[i]))
        elif mat == "beta":
            out.append(mx["beta"][i, j] * np.sqrt(lv_var[j]) / np.sqrt(lv_var[i]))
        elif mat == "theta":
            out.append(th[i, j] / np.sqrt(sig_d[i] * sig_d[j]) if i == j else th[i, j] / np.sqrt(th[i, i] * th[j, j]))
        else:
            is_outcome = spec.latent[i] in spec.outcomes
            if i == j:
                out.append(psi[i, i] / lv_var[i])
            elif is_outcome:                            # residual covariance: cov.std = TRUE
                out.append(psi[i, j] / np.sqrt(psi[i, i] * psi[j, j]))
            else:
                out.append(psi[i, j] / np.sqrt(lv_var[i] * lv_var[j]))
    return np.array(out)


@dataclass
class SEMResult:
    """The result of :func:`fit_sem` (computation only)."""

    name: str
    n: int
    fit: dict
    parameters: pd.DataFrame
    syntax: str


def fit_sem(data: pd.DataFrame, factors: Mapping[str, Sequence[str]], outcomes: Sequence[str],
            name: str) -> SEMResult:
    """Fit the latent regression by ML, as ``lavaan::sem`` with its defaults.

    Parameters
    ----------
    data : pandas.DataFrame
        Items (keyed) and outcome columns; rows with any of them missing are dropped
        (listwise, lavaan's default).
    factors : mapping
        Factor name → its items (the first item is the marker).
    outcomes : list of str
        Observed outcome columns, each regressed on every factor.
    name : str
        Model name (tables, messages).

    Returns
    -------
    SEMResult
        ``fit`` with the keys of :data:`attachstats.stats.latent.fit_indices.FIT_COLUMNS`; ``parameters`` with
        :data:`SEM_PARAMETER_COLUMNS` (``op`` ``=~``, ``~``, ``~~`` and ``r2``).

    Raises
    ------
    attachstats.errors.ModelError
        Unusable data (absent or non-numeric columns, singular covariance matrix), a model
        that is not identified or does not converge.
    """
    from scipy import stats

    if not outcomes:
        raise ModelError(f"model {name!r}: a latent regression needs at least one outcome")
    spec = _build(factors, outcomes, name)
    x = complete_cases(data, spec.observed, name)
    n, p = x.shape
    if n <= p:
        raise ModelError(f"model {name!r}: {n} complete case(s) for {p} observed variables")
    _, s = sample_moments(x)
    check_sample_cov(s, spec.observed, n, name, what="variable")
    logdet_s = np.linalg.slogdet(s)[1]
    model = _SEMModel(spec)
    theta, failure = minimise(model, s, logdet_s, name)
    disc = discrepancy(model, s, logdet_s)
    info = checked_information(lambda: disc.information(theta), failure, name)
    vcov = np.linalg.inv(info) / n
    se_free = np.sqrt(np.diag(vcov))
    std = _std_all(model, theta)
    mats = model.matrices(theta)
    free_pos = {r: k for k, r in enumerate(model.row_of_free)}
    rows = []
    for r, (lhs, op, rhs, mat, i, j, _) in enumerate(spec.rows):
        if op == "=~" and lhs == rhs:                  # the phantom construction
            continue
        k = free_pos.get(r)
        est = float(mats[mat][i, j])
        se = float(se_free[k]) if k is not None else math.nan
        z = est / se if k is not None else math.nan
        rows.append({"lhs": lhs, "op": op, "rhs": rhs, "free": k is not None, "est": est, "se": se, "stat": z,
                     "p": float(2 * stats.norm.sf(abs(z))) if k is not None else math.nan,
                     "ci_lo": est - Z_95 * se if k is not None else est,
                     "ci_hi": est + Z_95 * se if k is not None else est, "std": float(std[r])})
    lv_var = np.diag(model.latent_cov(theta))
    sig_d = np.diag(model.sigma(theta))
    items = [v for v in spec.observed if v not in spec.outcomes]
    for it in items:                                   # lavaan's rsquare rows: items, then outcomes
        oi = spec.observed.index(it)
        r2 = 1 - mats["theta"][oi, oi] / sig_d[oi]
        rows.append({"lhs": it, "op": "r2", "rhs": it, "free": False, "est": float(r2), "se": math.nan,
                     "stat": math.nan, "p": math.nan, "ci_lo": math.nan, "ci_hi": math.nan, "std": float(r2)})
    for y in spec.outcomes:
        li = spec.latent.index(y)
        r2 = 1 - mats["psi"][li, li] / lv_var[li]
        rows.append({"lhs": y, "op": "r2", "rhs": y, "free": False, "est": float(r2), "se": math.nan,
                     "stat": math.nan, "p": math.nan, "ci_lo": math.nan, "ci_hi": math.nan, "std": float(r2)})
    params = pd.DataFrame(rows)
    params.insert(0, "model", name)
    fit = ml_fit_measures(name, n, s, model.sigma(theta), model.npar)
    return SEMResult(name=name, n=int(n), fit=fit, parameters=params[SEM_PARAMETER_COLUMNS],
                     syntax=sem_syntax(factors, outcomes))


def fit_sem_as_syntax(data: pd.DataFrame, factors: Mapping[str, Sequence[str]], outcomes: Sequence[str],
                      name: str) -> SEMResult:
    """The latent regression fitted as lavaan syntax by the one estimation driver: what the
    pipeline runs for a preset ``sem_models`` entry.

    :func:`sem_syntax` → :func:`attachstats.stats.latent.syntax.lavaanify` →
    :func:`attachstats.stats.latent.estimation.fit_partable` (ML, listwise) with the engine's
    ML stopping rule (``ML_TOLERANCES``, as :func:`fit_sem`), returned as :func:`fit_sem`
    returns it: the same fit keys and the parameter rows in :func:`fit_sem`'s order (loadings,
    regressions, residual variances, outcome (co)variances, factor (co)variances, R² of the
    items and then the outcomes). On the example study the two agree to 1e-14
    (tests/unit/test_sem_syntax_models.py, tests/integration/test_example_study.py).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(300, 1))
    >>> d = pd.DataFrame(f @ np.ones((1, 4)) + rng.normal(size=(300, 4)), columns=["a1", "a2", "a3", "y"])
    >>> a = fit_sem(d, {"f": ["a1", "a2", "a3"]}, ["y"], "m")
    >>> b = fit_sem_as_syntax(d, {"f": ["a1", "a2", "a3"]}, ["y"], "m")
    >>> bool(np.allclose(a.parameters["est"], b.parameters["est"], rtol=1e-12, atol=1e-12))
    True
    """
    if not outcomes:
        raise ModelError(f"model {name!r}: a latent regression needs at least one outcome")
    spec = _build(factors, outcomes, name)
    syntax = sem_syntax(factors, outcomes)
    fitted = fit_partable(lavaanify(syntax, name), data, tolerances=ML_TOLERANCES)
    res = SEMFit(name=name, fitted=fitted)
    table = res.sem_table()
    order = [(lhs, op, rhs) for lhs, op, rhs, *_ in spec.rows if not (op == "=~" and lhs == rhs)]
    items = [v for v in spec.observed if v not in spec.outcomes]
    order += [(v, "r2", v) for v in [*items, *spec.outcomes]]
    keyed = table.set_index(["lhs", "op", "rhs"])
    if len(keyed) != len(order) or set(keyed.index) != set(order):
        raise ModelError(f"model {name!r}: the syntax route gave other parameters than the latent regression")
    params = keyed.loc[order].reset_index()[SEM_PARAMETER_COLUMNS]
    params["free"] = params["free"].astype(bool)
    row = res.fit_row()
    fit = {**row, "estimator": "ML"}
    return SEMResult(name=name, n=int(row["n"]), fit=fit, parameters=params.reset_index(drop=True), syntax=syntax)
