"""Measurement invariance: multiple-group CFA by ML with equality constraints across groups.

A CFA model (lavaan syntax, parsed by :mod:`attachstats.stats.latent.syntax`) is fitted in every group at once,
with a mean structure, and with parameters of the chosen kinds held equal across groups —
lavaan's ``cfa(..., group = , group.equal = )``, whose conventions are followed and checked
by ``tests/unit/test_invariance.py`` (fixtures from lavaan 0.6-14 and semTools 0.5-6):

- each factor is scaled by its first loading (1 in every group); intercepts are free;
  latent means are 0 in every group, except that when intercepts are held equal the latent
  means of groups 2, 3, … are free (group 1 is the reference);
- equality is imposed by letting the groups share one parameter (so ``npar`` counts it
  once); kinds: ``loadings``, ``intercepts``, ``residuals`` (residual variances),
  ``residual.covariances``, ``lv.variances``, ``lv.covariances``, ``means``.

Estimation minimises F = Σ_g (N_g/N) F_g with the ML discrepancy of each group including its
mean part, F_g = log|Σ_g| + tr(S_g Σ_g⁻¹) − log|S_g| − p + (m_g − μ_g)' Σ_g⁻¹ (m_g − μ_g)
(S_g with divisor N_g), by the engine's Fisher scoring with backtracking
(:func:`attachstats.stats.latent.engine.fisher_scoring`), to a gradient norm of 1e-10 or a
decrease below the precision of F; starting values are each group's single-group ML fit
(:func:`attachstats.stats.latent.engine.minimise`).
Standard errors: expected information Σ_g (N_g/N) I_g, as lavaan.

Fit: χ² = N·F (= Σ N_g F_g), df = G·(p(p+1)/2 + p) − npar; baseline = independence model
with free means and variances in each group; CFI, TLI as for one group; RMSEA and its
interval multiplied by sqrt(G) (lavaan); SRMR = Σ_g (N_g/N)·SRMR_g with the means
included (root mean square over p means and p(p+1)/2 covariances, residuals scaled by the
group's sample standard deviations); logL, AIC, BIC summed over groups.

The invariance sequence (:func:`invariance_table`) fits configural, metric (loadings),
scalar (+ intercepts) and optionally strict (+ residual variances) models and tests each
against the previous one: Δχ² (likelihood-ratio test), ΔCFI, ΔRMSEA, ΔSRMR, ΔAIC, ΔBIC,
each Δ = (more constrained) − (less constrained), as semTools' ``compareFit``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from attachstats.errors import ModelError
from attachstats.stats.latent.engine import (CFAModel, Tolerances, check_sample_cov, checked_information,
                                             complete_cases, fisher_scoring, minimise)
from attachstats.stats.latent.fit_indices import FIT_STATISTICS, chi2_pvalue, fit_indices
from attachstats.stats.latent.standardise import complex_step_jacobian, delta_method_se
from attachstats.stats.latent.syntax import ParameterTable, parse_syntax
from attachstats.stats.threads import small_matrix_work

__all__ = ["STEPS", "EQUAL_KINDS", "MultiGroupResult", "fit_multigroup", "invariance_table",
           "INVARIANCE_COLUMNS", "MG_PARAMETER_COLUMNS"]

#: The invariance steps and the parameter kinds each holds equal across groups.
STEPS = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts"),
         "strict": ("loadings", "intercepts", "residuals")}
EQUAL_KINDS = ("loadings", "intercepts", "residuals", "residual.covariances", "lv.variances",
               "lv.covariances", "means")
#: Columns of :func:`invariance_table`.
#: (the fit statistics are :data:`attachstats.stats.latent.fit_indices.FIT_STATISTICS`)
INVARIANCE_COLUMNS = ["step", "group", "groups", *FIT_STATISTICS,
                      "chi2_diff", "df_diff", "p_diff", "delta_cfi", "delta_rmsea",
                      "delta_srmr", "delta_aic", "delta_bic"]
#: Stopping rule of the multiple-group fit: a predicted decrease (Newton decrement gᵀH⁻¹g,
#: which does not depend on the parameters' units) below 1e-15 relative to max(1, |F|). No
#: gradient-norm rule: with items in large units the gradient is tiny long before the optimum.
MG_TOLERANCES = Tolerances(gradient=0.0, decrement=1e-15, relative=True, progress=None)
#: Columns of :attr:`MultiGroupResult.parameters`.
MG_PARAMETER_COLUMNS = ["model", "group", "lhs", "op", "rhs", "free", "par", "est", "se",
                        "std", "std_se"]


@dataclass
class MultiGroupResult:
    """A fitted multiple-group model (computation only).

    Attributes
    ----------
    name : str
        Model name (e.g. the invariance step).
    groups : list of str
        Group labels in the order used (the first is the reference group).
    n : list of int
        Complete cases per group.
    equal : tuple of str
        Parameter kinds held equal across groups.
    fit : dict
        Keys of :data:`attachstats.stats.latent.fit_indices.FIT_COLUMNS` (estimator ``"ML"``).
    parameters : DataFrame
        Columns :data:`MG_PARAMETER_COLUMNS`: one row per parameter and group; ``par`` is
        the index of the free parameter (shared by the groups an equality constraint
        joins), -1 for a fixed one; ``std`` is lavaan's ``std.all`` in that group.
    """

    name: str
    groups: list[str]
    n: list[int]
    equal: tuple[str, ...]
    fit: dict
    parameters: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MG_PARAMETER_COLUMNS))


def _kind(mat: str, i: int, j: int) -> str:
    return {"lambda": "loadings", "nu": "intercepts", "alpha": "means"}.get(mat) or (
        ("residuals" if i == j else "residual.covariances") if mat == "theta"
        else ("lv.variances" if i == j else "lv.covariances"))


class _MGModel:
    """Σ_g = Λ_g Ψ_g Λ_g' + Θ_g and μ_g = ν_g + Λ_g α_g for every group g."""

    def __init__(self, spec: ParameterTable, n_groups: int, equal: Sequence[str]) -> None:
        self.spec = spec
        self.G = n_groups
        self.p, self.m = len(spec.observed), len(spec.latent)
        base = CFAModel(spec)                   # the single-group layout (fixed values)
        rows = list(spec.rows)
        rows += [(v, "~1", "", "nu", i, 0, None) for i, v in enumerate(spec.observed)]
        rows += [(f, "~1", "", "alpha", i, 0, 0.0) for i, f in enumerate(spec.latent)]
        self.rows = rows
        equal = set(equal)
        self.free_in_group: list[list[tuple[int, str, int, int]]] = []   # (k, mat, i, j)
        self.fixed_value: list[dict[int, float]] = []
        self.index: list[list[int]] = []                                  # per group, per row
        first: dict[int, int] = {}
        k_next = 0
        for g in range(n_groups):
            frees, fixed, idx = [], {}, []
            for r, (_, _, _, mat, i, j, val) in enumerate(rows):
                if mat == "alpha":
                    free = g > 0 and "intercepts" in equal and "means" not in equal
                    val = None if free else 0.0
                if val is not None:
                    fixed[r] = val
                    idx.append(-1)
                    continue
                kind = _kind(mat, i, j)
                if g > 0 and kind in equal and r in first:
                    k = first[r]
                else:
                    k = k_next
                    k_next += 1
                    if g == 0:
                        first[r] = k
                frees.append((k, mat, i, j))
                idx.append(k)
            self.free_in_group.append(frees)
            self.fixed_value.append(fixed)
            self.index.append(idx)
        self.npar = k_next
        self._base = base.base

    def matrices(self, theta: np.ndarray, g: int) -> dict[str, np.ndarray]:
        dtype = np.result_type(theta.dtype, float)
        mx = {k: v.astype(dtype) for k, v in self._base.items()}
        mx["nu"] = np.zeros((self.p, 1), dtype=dtype)
        mx["alpha"] = np.zeros((self.m, 1), dtype=dtype)
        for k, mat, i, j in self.free_in_group[g]:
            mx[mat][i, j] = theta[k]
            if mat in ("psi", "theta"):
                mx[mat][j, i] = theta[k]
        return mx

    def implied(self, theta: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
        mx = self.matrices(theta, g)
        lam = mx["lambda"]
        return (lam @ mx["psi"] @ lam.T + mx["theta"],
                (mx["nu"] + lam @ mx["alpha"]).ravel())

    def derivatives(self, theta: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
        """∂Σ_g/∂θ (npar, p, p) and ∂μ_g/∂θ (npar, p); zero for other groups' parameters."""
        mx = self.matrices(theta, g)
        lam, psi, alpha = mx["lambda"], mx["psi"], mx["alpha"].ravel()
        lp = lam @ psi
        ds = np.zeros((self.npar, self.p, self.p))
        dm = np.zeros((self.npar, self.p))
        for k, mat, i, j in self.free_in_group[g]:
            if mat == "lambda":
                ds[k, i, :] += lp[:, j]
                ds[k, :, i] += lp[:, j]
                dm[k, i] += alpha[j]
            elif mat == "psi":
                ds[k] += np.outer(lam[:, i], lam[:, j])
                if i != j:
                    ds[k] += np.outer(lam[:, j], lam[:, i])
            elif mat == "theta":
                ds[k, i, j] = 1.0
                ds[k, j, i] = 1.0
            elif mat == "nu":
                dm[k, i] = 1.0
            else:
                dm[k] += lam[:, i]
        return ds, dm


@dataclass
class _GroupData:
    n: int
    mean: np.ndarray
    cov: np.ndarray
    logdet: float


def _objective(model: _MGModel, data: list[_GroupData]):
    ntot = sum(d.n for d in data)
    p = model.p

    def parts(theta: np.ndarray, g: int):
        sig, mu = model.implied(theta, g)
        try:
            np.linalg.cholesky(sig)
        except np.linalg.LinAlgError:
            return None
        return sig, mu, np.linalg.inv(sig)

    def fun(theta: np.ndarray) -> float:
        total = 0.0
        for g, d in enumerate(data):
            r = parts(theta, g)
            if r is None:
                return np.inf
            sig, mu, inv = r
            dv = d.mean - mu
            fg = (np.linalg.slogdet(sig)[1] + np.sum(d.cov * inv) - d.logdet - p + dv @ inv @ dv)
            total += d.n / ntot * fg
        return float(total)

    def grad(theta: np.ndarray) -> np.ndarray:
        out = np.zeros(model.npar)
        for g, d in enumerate(data):
            r = parts(theta, g)
            if r is None:
                return np.zeros(model.npar)
            sig, mu, inv = r
            dv = d.mean - mu
            w = inv - inv @ (d.cov + np.outer(dv, dv)) @ inv
            ds, dm = model.derivatives(theta, g)
            out += d.n / ntot * (ds.reshape(model.npar, -1) @ w.ravel() - 2 * dm @ (inv @ dv))
        return out

    def hess(theta: np.ndarray) -> np.ndarray:
        """2 × expected information per case."""
        out = np.zeros((model.npar, model.npar))
        for g, d in enumerate(data):
            r = parts(theta, g)
            if r is None:
                return np.eye(model.npar)
            inv = r[2]
            ds, dm = model.derivatives(theta, g)
            used = np.flatnonzero(np.abs(ds).sum(axis=(1, 2)) + np.abs(dm).sum(axis=1) > 0)
            a = np.matmul(inv, ds[used])
            k = len(used)
            h = a.reshape(k, -1) @ a.transpose(0, 2, 1).reshape(k, -1).T + 2 * dm[used] @ inv @ dm[used].T
            out[np.ix_(used, used)] += d.n / ntot * h
        return out

    return fun, grad, hess


def _group_data(data: pd.DataFrame, items: list[str], group: str, name: str,
                groups: Sequence[str] | None) -> tuple[list[str], list[_GroupData]]:
    if group not in data.columns:
        raise ModelError(f"model {name!r}: grouping variable {group!r} is not in the data")
    labels = data[group].astype("string")
    present = sorted(labels.dropna().unique())
    if groups is None:
        groups = present
    else:
        groups = [str(g) for g in groups]
        absent = [g for g in groups if g not in present]
        if absent:
            raise ModelError(f"model {name!r}: group(s) {', '.join(absent)} of {group!r} do not occur "
                             f"in the data (levels: {', '.join(present)})")
    if len(groups) < 2:
        raise ModelError(f"model {name!r}: grouping variable {group!r} needs at least two groups, "
                         f"found {', '.join(groups) or 'none'}")
    out = []
    for g in groups:
        x = complete_cases(data[(labels == g).fillna(False).to_numpy()], items, name)
        n = len(x)
        if n <= len(items):
            raise ModelError(f"model {name!r}: group {g!r} of {group!r} has {n} complete cases, "
                             f"too few for {len(items)} items")
        m = x.mean(axis=0)
        # not engine.sample_moments: (x − m)ᵀ(x − m) of two arrays is a general matrix product,
        # xcᵀxc of one a symmetric one (BLAS syrk), which rounds differently; kept as it was
        s = (x - m).T @ (x - m) / n
        check_sample_cov(s, items, n, f"{name}, group {g}")
        out.append(_GroupData(n=n, mean=m, cov=s, logdet=float(np.linalg.slogdet(s)[1])))
    return list(groups), out


@small_matrix_work
def fit_multigroup(data: pd.DataFrame, syntax: str, group: str, name: str,
                   equal: Sequence[str] = (), groups: Sequence[str] | None = None) -> MultiGroupResult:
    """Fit a CFA model in several groups at once, with parameters of some kinds held equal.

    Parameters
    ----------
    data : DataFrame
        Items and the grouping column; rows with a missing item or group are dropped
        (listwise, per group).
    syntax : str
        Model in lavaan syntax (see :func:`attachstats.stats.latent.cfa.fit_cfa`).
    group : str
        Column holding the group of each respondent (its values are compared as text).
    name : str
        Model name for tables and messages.
    equal : sequence of str
        Kinds of parameters held equal (:data:`EQUAL_KINDS`), lavaan's ``group.equal``.
    groups : sequence of str, optional
        Which groups, in which order (the first is the reference group); default: every
        value present, sorted.

    Returns
    -------
    MultiGroupResult

    Raises
    ------
    ModelError
        Unknown kinds, a missing grouping column, fewer than two groups, a group with too
        few complete cases, a model that is not identified or does not converge.
    """
    bad = [e for e in equal if e not in EQUAL_KINDS]
    if bad:
        raise ModelError(f"model {name!r}: unknown equality constraint(s) {', '.join(bad)}; "
                         f"known: {', '.join(EQUAL_KINDS)}")
    spec = parse_syntax(syntax, name)
    labels, gdata = _group_data(data, spec.observed, group, name, groups)
    model = _MGModel(spec, len(gdata), equal)
    p, G = model.p, len(gdata)
    ntot = sum(d.n for d in gdata)
    df = G * (p * (p + 1) // 2 + p) - model.npar
    if df < 0:
        raise ModelError(f"model {name!r} is not identified: {model.npar} free parameters, "
                         f"{G * (p * (p + 1) // 2 + p)} moments (df = {df})")
    fun, grad, hess = _objective(model, gdata)
    theta, failure = _fisher_scoring(fun, grad, hess, _start(model, spec, gdata, name))
    info = checked_information(lambda: hess(theta) / 2, failure, name)
    vcov = np.linalg.inv(info) / ntot

    x2 = ntot * fun(theta)
    loglik = 0.0
    x2b = 0.0
    srmr = 0.0
    for g, d in enumerate(gdata):
        sig, mu = model.implied(theta, g)
        inv = np.linalg.inv(sig)
        dv = d.mean - mu
        loglik -= d.n / 2 * (p * math.log(2 * math.pi) + np.linalg.slogdet(sig)[1]
                             + np.sum(d.cov * inv) + dv @ inv @ dv)
        x2b += d.n * (np.log(np.diag(d.cov)).sum() - d.logdet)
        sd = np.sqrt(np.diag(d.cov))
        rc = ((d.cov - sig) / np.outer(sd, sd))[np.tril_indices(p)]
        rm = dv / sd
        srmr += d.n / ntot * math.sqrt((np.sum(rc ** 2) + np.sum(rm ** 2)) / (len(rc) + p))
    fit = fit_indices(name, "ML", ntot, x2, df, x2b, G * p * (p - 1) // 2, srmr, loglik,
                      model.npar, groups=G)
    params = _parameter_table(model, theta, vcov, name, labels)
    neg = params[(params["op"] == "~~") & (params["lhs"] == params["rhs"]) & (params["est"] < 0)]
    if len(neg):
        warnings.warn(f"model {name!r}: negative variance estimate(s) for "
                      f"{', '.join(sorted(set(neg['lhs'])))} (Heywood case)", stacklevel=2)
    return MultiGroupResult(name=name, groups=labels, n=[d.n for d in gdata], equal=tuple(equal),
                            fit=fit, parameters=params)


def _start(model: _MGModel, spec: ParameterTable, gdata: list[_GroupData], name: str) -> np.ndarray:
    """Each group's single-group ML solution; shared parameters take the N-weighted mean."""
    single = CFAModel(spec)
    total = np.zeros(model.npar)
    weight = np.zeros(model.npar)
    row_pos = {r: k for k, r in enumerate(single.row_of_free)}
    for g, d in enumerate(gdata):
        th, _ = minimise(single, d.cov, d.logdet, name)
        for r, k in enumerate(model.index[g]):
            if k < 0:
                continue
            mat, i = model.rows[r][3], model.rows[r][4]
            if mat == "nu":
                v = d.mean[i]
            elif mat == "alpha":
                v = 0.0
            else:
                v = th[row_pos[r]]
            total[k] += d.n * v
            weight[k] += d.n
    return total / weight


def _fisher_scoring(fun: Callable[[np.ndarray], float], grad: Callable[[np.ndarray], np.ndarray],
                    hess: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> tuple[np.ndarray, str | None]:
    """The engine's Fisher scoring with :data:`MG_TOLERANCES`; returns θ̂ and a failure note or None."""
    if not np.isfinite(fun(x)):
        return x, "no starting values with positive definite implied covariance matrices"
    res = fisher_scoring(fun, grad, lambda theta, g: hess(theta), x, MG_TOLERANCES)
    if res.converged:
        return res.x, None
    gnorm = float(np.linalg.norm(grad(res.x)))
    if res.reason == "line search":
        return res.x, f"line search failed at gradient norm {gnorm:.2g}"
    if gnorm < 1e-6:
        return res.x, None
    return res.x, f"gradient norm {gnorm:.2g} after {MG_TOLERANCES.max_iter} iterations"


def _standardised(model: _MGModel, theta: np.ndarray, g: int) -> np.ndarray:
    """lavaan ``std.all`` of every row in group g (works on complex θ)."""
    mx = model.matrices(theta, g)
    lam, psi, th = mx["lambda"], mx["psi"], mx["theta"]
    sd_obs = np.sqrt(np.diag(lam @ psi @ lam.T + th))
    sd_lat = np.sqrt(np.diag(psi))
    out = []
    for _, _, _, mat, i, j, _ in model.rows:
        if mat == "lambda":
            out.append(lam[i, j] * sd_lat[j] / sd_obs[i])
        elif mat == "psi":
            out.append(psi[i, j] / (sd_lat[i] * sd_lat[j]))
        elif mat == "theta":
            out.append(th[i, i] / sd_obs[i] ** 2 if i == j else th[i, j] / np.sqrt(th[i, i] * th[j, j]))
        elif mat == "nu":
            out.append(mx["nu"][i, 0] / sd_obs[i])
        else:
            out.append(mx["alpha"][i, 0] / sd_lat[i])
    return np.array(out)


def _parameter_table(model: _MGModel, theta: np.ndarray, vcov: np.ndarray, name: str,
                     labels: list[str]) -> pd.DataFrame:
    se = np.sqrt(np.clip(np.diag(vcov), 0, None))
    rows = []
    for g in range(model.G):
        mx = model.matrices(theta, g)
        std = _standardised(model, theta, g).real
        jac = complex_step_jacobian(lambda t: _standardised(model, t, g), theta)
        std_se = delta_method_se(jac, vcov)
        for r, (lhs, op, rhs, mat, i, j, _) in enumerate(model.rows):
            k = model.index[g][r]
            rows.append({"model": name, "group": labels[g], "lhs": lhs, "op": op, "rhs": rhs,
                         "free": k >= 0, "par": k, "est": float(mx[mat][i, j]),
                         "se": float(se[k]) if k >= 0 else math.nan,
                         "std": float(std[r]), "std_se": float(std_se[r])})
    return pd.DataFrame(rows, columns=MG_PARAMETER_COLUMNS)


def invariance_table(data: pd.DataFrame, syntax: str, group: str,
                     steps: Sequence[str] = ("configural", "metric", "scalar"),
                     groups: Sequence[str] | None = None) -> tuple[pd.DataFrame, list[MultiGroupResult]]:
    """Fit the invariance sequence and compare each step with the previous one.

    Returns
    -------
    table : DataFrame
        Columns :data:`INVARIANCE_COLUMNS`, one row per step; the difference columns are
        empty for the first step. Δ = this step − previous step (Δχ² ≥ 0; ΔCFI < 0 means
        the constrained model fits worse).
    results : list of MultiGroupResult
    """
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        raise ModelError(f"unknown invariance step(s) {', '.join(unknown)}; known: {', '.join(STEPS)}")
    results = [fit_multigroup(data, syntax, group, s, STEPS[s], groups) for s in steps]
    rows = []
    prev = None
    for res in results:
        f = res.fit
        row = {"step": res.name, "group": group, "groups": ", ".join(res.groups),
               **{k: f[k] for k in FIT_STATISTICS}}
        if prev is None:
            row.update({k: math.nan for k in INVARIANCE_COLUMNS[17:]})
        else:
            dx, ddf = f["chi2"] - prev["chi2"], f["df"] - prev["df"]
            row.update({"chi2_diff": dx, "df_diff": ddf,
                        "p_diff": chi2_pvalue(dx, ddf),
                        **{f"delta_{k}": f[k] - prev[k] for k in ("cfi", "rmsea", "srmr", "aic", "bic")}})
        rows.append(row)
        prev = f
    return pd.DataFrame(rows, columns=INVARIANCE_COLUMNS), results
