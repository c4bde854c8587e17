"""One estimation driver for every model a :class:`~attachstats.stats.latent.syntax.ParTable` describes.

As lavaan's ``lavaan()`` (``lav_model_estimate`` + ``lav_model_vcov`` + ``lav_fit_measures``):
syntax → parameter table → :class:`~attachstats.stats.latent.engine.LISRELModel` → this
module, whose variants are options:

- **estimator** ``"ML"`` (expected information, normal-theory χ²) or ``"MLR"`` (the same
  estimates; sandwich standard errors from the observed information and the casewise
  scores, Yuan–Bentler (Mplus) scaled χ² and lavaan's scaled and robust CFI/TLI/RMSEA);
- **missing** ``"listwise"`` or ``"fiml"`` (full-information ML on the missing-data patterns
  of :mod:`attachstats.stats.latent.fiml`, observed information, h1 by EM); with MLR the
  sandwich uses the casewise scores of the observed-data likelihood and the scaled test the
  saturated model's observed information and scores at the EM estimates (lavaan's
  ``estimator = "MLR", missing = "ml"``); with FIML (ML or MLR) also lavaan's FIML-corrected
  ``cfi.robust``/``tli.robust``/``rmsea.robust`` (Zhang & Savalei; lavaan's
  ``lav_fit_fiml_corrected``), not with fixed exogenous covariates; MLR with fixed exogenous
  covariates drops their moments from the h1 trace (lavaan's ``x.idx``);
- **groups**: F = Σ_g (N_g/N) F_g with parameters shared where the table's equality
  constraints join them;
- **constraints**: a shared label and ``==`` between two parameters make one parameter;
  other linear ``==`` constraints (``a == 2*b``, ``a + b == 1``) are solved by a null-space
  reparameterisation x = x₀ + Zφ (non-linear ones raise :class:`ModelError`); npar = dim φ;
- **defined parameters** (``:=``): values and delta-method standard errors (complex-step
  Jacobian);
- **standardised solutions** ``std.all`` and ``std.lv`` with delta-method SEs, lavaan's
  conventions (``cov.std = TRUE``: residual covariances over residual standard deviations);
- **R²** of every endogenous variable (indicators, dependent observed and latent variables).

The discrepancy with a mean structure, per group (S with divisor N_g)::

    F_g = log|Σ| + tr(S Σ⁻¹) − log|S| − p + (m − μ)ᵀ Σ⁻¹ (m − μ),   χ² = Σ_g N_g F_g,

minimised by the engine's Fisher scoring (:func:`~attachstats.stats.latent.engine.fisher_scoring`)
with BFGS as fallback. Fixed exogenous moments (``exo`` rows) take the sample values of each
group. Degrees of freedom: Σ_g [p(p+1)/2 (+ p with means)] minus the fixed-x moments, minus npar.
Checked against lavaan 0.6-14 by ``tests/unit/test_lavaan_syntax.py``.
"""

from __future__ import annotations

import ast
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from attachstats.errors import ModelError
from attachstats.stats.latent.engine import (LISRELModel, Tolerances, check_sample_cov, fisher_scoring,
                                             numeric_hessian, numeric_matrix, unit_diagonal)
from attachstats.stats.latent.fiml import Patterns, em_moments, loglik, missing_patterns
from attachstats.stats.latent.fit_indices import chi2_pvalue, cfi_tli, rmsea, rmsea_ci
from attachstats.stats.latent.ordinal import rmsea_pvalue
from attachstats.stats.latent.standardise import complex_step_jacobian
from attachstats.stats.latent.syntax import ParTable
from attachstats.stats.threads import small_matrix_work

__all__ = ["GroupData", "Constraints", "evaluate", "ModelFit", "fit_partable", "ESTIMATION_TOLERANCES",
           "group_data", "fill_exo", "ml_objective", "bootstrap_estimates"]

_LOG2PI = math.log(2 * math.pi)
#: Stopping rule: predicted decrease gᵀH⁻¹g below 1e-15 relative to max(1, |F|) (units-free),
#: or an achieved decrease below 1e-15 relative at a gradient norm below 1e-6 (rounding level).
ESTIMATION_TOLERANCES = Tolerances(gradient=0.0, decrement=1e-15, relative=True, progress=1e-15, max_iter=1000)
#: Bootstrap refits start at the estimate and stop at a predicted decrease of 1e-10 relative
#: (estimates to ~1e-5 relative, far below the resampling spread).
BOOTSTRAP_TOLERANCES = Tolerances(gradient=0.0, decrement=1e-10, relative=True, progress=1e-12, max_iter=200)

_FUNCS = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs, "sin": np.sin, "cos": np.cos,
          "tan": np.tan, "pnorm": None}


def evaluate(expr: str, env: dict[str, Any], what: str = "expression") -> Any:
    """Evaluate an arithmetic expression over parameter labels (``a*b``, ``c + a*b``, ``exp(a)``).

    Only numbers, names in ``env``, ``+ - * / ^ **`` and ``exp log sqrt abs sin cos tan``;
    works on complex values (for complex-step derivatives).

    Examples
    --------
    >>> evaluate("a*b + 2^c", {"a": 2.0, "b": 3.0, "c": 3.0})
    14.0
    """
    try:
        tree = ast.parse(expr.replace("^", "**"), mode="eval")
    except SyntaxError:
        raise ModelError(f"cannot read the {what} {expr!r}") from None

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in env:
                raise ModelError(f"unknown label {node.id!r} in the {what} {expr!r}")
            return env[node.id]
        if isinstance(node, ast.Attribute):           # names with dots, e.g. .p5. or a.b
            raise ModelError(f"cannot read the {what} {expr!r}")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left), ev(node.right)
            ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
                   ast.Div: lambda: a / b, ast.Pow: lambda: a ** b}
            for t, f in ops.items():
                if isinstance(node.op, t):
                    return f()
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS
                and _FUNCS[node.func.id] is not None and len(node.args) == 1):
            return _FUNCS[node.func.id](ev(node.args[0]))
        raise ModelError(f"cannot read the {what} {expr!r} (numbers, labels, + - * / ^ and "
                         "exp log sqrt abs sin cos tan only)")

    return ev(tree)


def _safe(expr: str, names: Sequence[str]) -> tuple[str, dict[str, str]]:
    """Rename labels that are not Python names (``.p5.``) to safe ones."""
    mapping = {}
    out = expr
    for k, n in enumerate(sorted(names, key=len, reverse=True)):
        if not n.isidentifier() and n in out:
            safe = f"__lab{k}__"
            mapping[safe] = n
            out = out.replace(n, safe)
    return out, mapping


@dataclass
class GroupData:
    """One group's data: complete-case moments (divisor N) or missing-data patterns."""

    label: str
    n: int
    mean: np.ndarray
    cov: np.ndarray
    logdet: float
    x: np.ndarray                      # the rows used (NaN = missing under FIML)
    patterns: Patterns | None = None


class Constraints:
    """x = x₀ + Z φ: the free parameters x of a table under its equality constraints.

    Built from the ``==`` rows: ``a == b`` between two parameters (shared labels, group
    equality) merges them; any other linear constraint is solved in the null space.
    """

    def __init__(self, partable: ParTable, model: LISRELModel) -> None:
        rows = partable.params
        self.K = model.K
        self.names: dict[str, tuple[str, Any]] = {}    # label → ("free", k) or ("fixed", position)
        for pos, (_, r) in enumerate(rows.iterrows()):
            for lab in (r["label"], r["plabel"]):
                if lab and lab not in self.names:
                    self.names[lab] = ("free", int(r["free"]) - 1) if r["free"] > 0 else ("fixed", pos)
        self.model = model
        parent = list(range(self.K))

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        general = []
        for _, c in partable.constraints.iterrows():
            if c["op"] != "==":
                continue
            a, b = self.names.get(c["lhs"]), self.names.get(c["rhs"])
            if a and b and a[0] == "free" and b[0] == "free":
                ra, rb = find(a[1]), find(b[1])
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
            else:
                general.append(f"({c['lhs']}) - ({c['rhs']})")
        roots = sorted({find(k) for k in range(self.K)})
        col = {r: j for j, r in enumerate(roots)}
        p_mat = np.zeros((self.K, len(roots)))
        for k in range(self.K):
            p_mat[k, col[find(k)]] = 1.0
        x0 = np.zeros(self.K)
        z = p_mat
        if general:
            from scipy.linalg import null_space

            def g(xv: np.ndarray) -> np.ndarray:
                env = self.env(xv)
                return np.array([self._eval(e, env) for e in general])

            j = complex_step_jacobian(lambda t: g(p_mat @ t), np.ones(len(roots)))
            y1 = np.linspace(0.3, 1.7, len(roots))
            if not np.allclose(complex_step_jacobian(lambda t: g(p_mat @ t), y1), j, atol=1e-10):
                raise ModelError(f"model {partable.name!r}: non-linear equality constraints are not "
                                 f"implemented ({'; '.join(general)})")
            c0 = g(np.zeros(self.K)).real
            y0 = np.linalg.lstsq(j, -c0, rcond=None)[0]
            if not np.allclose(j @ y0 + c0, 0, atol=1e-10):
                raise ModelError(f"model {partable.name!r}: the equality constraints contradict each other")
            ns = null_space(j)
            x0 = p_mat @ y0
            z = p_mat @ ns
        self.x0, self.Z = x0, z
        self.npar = z.shape[1]
        self.simple = not general

    def _eval(self, expr: str, env: dict[str, Any]) -> Any:
        safe, mapping = _safe(expr, list(env))
        env2 = dict(env)
        env2.update({s: env[n] for s, n in mapping.items()})
        return evaluate(safe, env2, "constraint")

    def env(self, x: np.ndarray) -> dict[str, Any]:
        """Label → value at x (free: x[k]; fixed: the row's value)."""
        out = {}
        for lab, (kind, v) in self.names.items():
            out[lab] = x[v] if kind == "free" else self.model.value(x, v)
        return out

    def x(self, phi: np.ndarray) -> np.ndarray:
        return self.x0 + self.Z @ phi

    def phi(self, x: np.ndarray) -> np.ndarray:
        if self.simple:          # merged parameters: the mean of their members
            return (self.Z.T @ x) / self.Z.sum(axis=0)
        return np.linalg.lstsq(self.Z, x - self.x0, rcond=None)[0]


@dataclass
class ModelFit:
    """A fitted parameter table (computation only; :mod:`attachstats.stats.latent.api` presents it).

    Attributes
    ----------
    partable : ParTable
    model : LISRELModel
    constraints : Constraints
    data : list of GroupData
    estimator, missing : str
    phi, x : ndarray
        Estimates in the constrained space and for every free row of the table.
    vcov_phi, vcov_x : ndarray
        Their covariance matrices.
    fit : dict
        lavaan's ``fitMeasures()`` names.
    information : ndarray
        The information matrix (per case) used for the standard errors (or the bread A of MLR).
    """

    partable: ParTable
    model: LISRELModel
    constraints: Constraints
    data: list[GroupData]
    estimator: str
    missing: str
    phi: np.ndarray
    x: np.ndarray
    vcov_phi: np.ndarray
    vcov_x: np.ndarray
    fit: dict
    information: np.ndarray
    groups: list[str] = field(default_factory=list)

    @property
    def ntotal(self) -> int:
        return sum(d.n for d in self.data)

    @property
    def row_meta(self) -> list[tuple[int, str, str, str, str, str]]:
        """(group index, lhs, op, rhs, label, plabel) of every parameter row (cached)."""
        meta = getattr(self, "_row_meta", None)
        if meta is None:
            rows = self.partable.params
            meta = [(int(g) - 1, lhs, op, rhs, lab, plab) for g, lhs, op, rhs, lab, plab in
                    zip(rows["group"], rows["lhs"], rows["op"], rows["rhs"], rows["label"], rows["plabel"])]
            self._row_meta = meta
        return meta

    # --- values of rows ------------------------------------------------------------------
    def row_values(self, x: np.ndarray) -> np.ndarray:
        """The value of every parameter row (``partable.params``) at x."""
        m = self.model
        mats = [m.matrices(x, g) for g in range(m.G)]
        out = []
        for g, mat, i, j in m.where:
            out.append(mats[g][mat][i] if mat in ("nu", "alpha") else mats[g][mat][i, j])
        return np.array(out)

    def defined(self, x: np.ndarray, values: np.ndarray | None = None) -> np.ndarray:
        """Values of the ``:=`` rows at x (from ``values`` of the rows, if given: standardised)."""
        defs = getattr(self, "_defs", None)
        if defs is None:
            c = self.partable.constraints
            c = c[c["op"] == ":="]
            defs = self._defs = list(zip(c["lhs"], c["rhs"]))
        if not defs:
            return np.zeros(0)
        vals = self.row_values(x) if values is None else values
        env: dict[str, Any] = {}
        for pos, (_, _, _, _, lab, plab) in enumerate(self.row_meta):
            for name in (lab, plab):
                if name and name not in env:
                    env[name] = vals[pos]
        out = []
        for lhs, rhs in defs:
            safe, mapping = _safe(rhs, list(env))
            env2 = dict(env)
            env2.update({s: env[n] for s, n in mapping.items()})
            v = evaluate(safe, env2, f"definition of {lhs}")
            env[lhs] = v
            out.append(v)
        return np.array(out)

    # --- standardised solutions -------------------------------------------------------------
    def standardised(self, x: np.ndarray, kind: str = "std.all", values: np.ndarray | None = None) -> np.ndarray:
        """``std.all`` or ``std.lv`` of every parameter row, then of every ``:=`` row.

        The variances that scale the rows are those at x; ``values`` (one per parameter row)
        replaces the rows' own values (standardised expected parameter changes)."""
        m = self.model
        vals = self.row_values(x) if values is None else values
        info = []
        for g in range(m.G):
            mx = m.matrices(x, g)
            _, _, phi, _ = m.parts(mx)
            sig = mx["lambda"] @ phi @ mx["lambda"].T + mx["theta"]
            info.append((mx, np.diag(phi), np.diag(sig)))
        ei = {v: k for k, v in enumerate(m.eta)}
        oi = {v: k for k, v in enumerate(m.ov)}
        lv = set(self.partable.lv)

        def var_total(name: str, g: int) -> Any:
            mx, phid, sigd = info[g]
            return phid[ei[name]] if name in ei else sigd[oi[name]]

        def var_resid(name: str, g: int) -> Any:
            mx = info[g][0]
            return mx["psi"][ei[name], ei[name]] if name in ei else mx["theta"][oi[name], oi[name]]

        def sd(name: str, g: int) -> Any:
            if kind == "std.lv" and name not in lv:
                return 1.0
            return np.sqrt(var_total(name, g))

        out = []
        for pos, (g, lhs, op, rhs, _, _) in enumerate(self.row_meta):
            v = vals[pos]
            if op == "=~":
                out.append(v * sd(lhs, g) / sd(rhs, g))
            elif op == "~":
                out.append(v * sd(rhs, g) / sd(lhs, g))
            elif op == "~1":
                out.append(v / sd(lhs, g))
            elif lhs == rhs:
                out.append(v / (sd(lhs, g) * sd(rhs, g)))
            elif kind == "std.lv" and not (lhs in lv and rhs in lv):
                out.append(v / (sd(lhs, g) * sd(rhs, g)))
            else:
                out.append(v / np.sqrt(var_resid(lhs, g) * var_resid(rhs, g)))
        out = np.array(out)
        return np.concatenate([out, self.defined(x, out)])

    def r_squared(self) -> list[tuple[str, int, float]]:
        """(variable, group, R²) of every endogenous variable (lavaan ``inspect(fit, "r2")``)."""
        m = self.model
        pt = self.partable
        rows = pt.params
        endo_lv = set(rows.loc[rows["op"] == "~", "lhs"]) | set(rows.loc[rows["op"] == "=~", "rhs"])
        ei = {v: k for k, v in enumerate(m.eta)}
        oi = {v: k for k, v in enumerate(m.ov)}
        out = []
        for g in range(m.G):
            mx = m.matrices(self.x, g)
            _, _, phi, _ = m.parts(mx)
            sig = mx["lambda"] @ phi @ mx["lambda"].T + mx["theta"]
            for v in pt.ov:
                if v in pt.ov_x or v not in endo_lv:
                    continue
                if v in ei:
                    r2 = 1 - mx["psi"][ei[v], ei[v]] / phi[ei[v], ei[v]]
                else:
                    r2 = 1 - mx["theta"][oi[v], oi[v]] / sig[oi[v], oi[v]]
                out.append((v, g + 1, float(r2)))
            for f in pt.lv:
                if f in endo_lv:
                    out.append((f, g + 1, float(1 - mx["psi"][ei[f], ei[f]] / phi[ei[f], ei[f]])))
        return out


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------

def group_data(data: pd.DataFrame, partable: ParTable, group: str | None, missing: str,
               name: str, groups: Sequence[str] | None = None) -> list[GroupData]:
    """Split the data by group and summarise it for the estimator (listwise or FIML)."""
    cols = list(partable.ov)
    if group is None:
        parts = [("", data)]
    else:
        if group not in data.columns:
            raise ModelError(f"model {name!r}: grouping variable {group!r} is not in the data")
        labels = data[group].astype("string")
        present = sorted(labels.dropna().unique())
        use = present if groups is None else [str(g) for g in groups]
        absent = [g for g in use if g not in present]
        if absent:
            raise ModelError(f"model {name!r}: group(s) {', '.join(absent)} of {group!r} not in the data")
        if len(use) != partable.ngroups:
            raise ModelError(f"model {name!r}: {len(use)} groups in {group!r} "
                             f"({', '.join(use)}) but the parameter table has {partable.ngroups}")
        parts = [(g, data[(labels == g).fillna(False).to_numpy()]) for g in use]
    out = []
    for label, d in parts:
        where = f"{name}" + (f", group {label}" if label else "")
        x = numeric_matrix(d, cols, name)
        if partable.ov_x:
            xi = [cols.index(v) for v in partable.ov_x]
            if missing == "fiml" and np.isnan(x[:, xi]).any():
                drop = np.isnan(x[:, xi]).any(axis=1)            # lavaan: exogenous x complete
                warnings.warn(f"model {where!r}: {int(drop.sum())} row(s) with a missing fixed exogenous "
                              f"covariate ({', '.join(partable.ov_x)}) left out of the FIML fit, as lavaan",
                              stacklevel=3)
                x = x[~drop]
        if missing == "fiml":
            pat = missing_patterns(x)
            if pat.n < 2:
                raise ModelError(f"model {where!r}: {pat.n} row(s) with an answered item")
            mu, s, _ = em_moments(pat)
            check_sample_cov(s, cols, pat.n, where, what="variable")
            out.append(GroupData(str(label), pat.n, mu, s, float(np.linalg.slogdet(s)[1]),
                                 x[~np.isnan(x).all(axis=1)], pat))
        else:
            x = x[~np.isnan(x).any(axis=1)]
            n = len(x)
            if n <= len(cols):
                raise ModelError(f"model {where!r}: {n} complete case(s) for {len(cols)} observed variables")
            mean = x.mean(axis=0)
            xc = x - mean
            s = xc.T @ xc / n
            check_sample_cov(s, cols, n, where, what="variable")
            out.append(GroupData(str(label), n, mean, s, float(np.linalg.slogdet(s)[1]), x))
    return out


def fill_exo(model: LISRELModel, partable: ParTable, gdata: list[GroupData]) -> None:
    oi = {v: k for k, v in enumerate(partable.ov)}
    for pos, (_, r) in enumerate(partable.params.iterrows()):
        if r["exo"] != 1 or r["free"] > 0:
            continue
        d = gdata[int(r["group"]) - 1]
        if r["op"] == "~~":
            model.set_fixed(pos, float(d.cov[oi[r["lhs"]], oi[r["rhs"]]]))
        elif r["op"] == "~1":
            model.set_fixed(pos, float(d.mean[oi[r["lhs"]]]))


# --------------------------------------------------------------------------------------------
# objective functions
# --------------------------------------------------------------------------------------------

def ml_objective(model: LISRELModel, con: Constraints, gdata: list[GroupData], meanstructure: bool):
    ntot = sum(d.n for d in gdata)
    p = model.p

    def parts(x: np.ndarray, g: int):
        sig, mu = model.implied(x, g)
        try:
            np.linalg.cholesky(sig)
        except np.linalg.LinAlgError:
            return None
        return sig, mu, np.linalg.inv(sig)

    def fun_x(x: np.ndarray) -> float:
        total = 0.0
        for g, d in enumerate(gdata):
            r = parts(x, g)
            if r is None:
                return np.inf
            sig, mu, inv = r
            fg = np.linalg.slogdet(sig)[1] + np.sum(d.cov * inv) - d.logdet - p
            if meanstructure:
                dv = d.mean - mu
                fg += dv @ inv @ dv
            total += d.n / ntot * fg
        return float(total)

    def grad_x(x: np.ndarray) -> np.ndarray:
        out = np.zeros(model.K)
        for g, d in enumerate(gdata):
            r = parts(x, g)
            if r is None:
                return np.zeros(model.K)
            sig, mu, inv = r
            dv = d.mean - mu if meanstructure else np.zeros(p)
            w = inv - inv @ (d.cov + np.outer(dv, dv)) @ inv
            ds, dm = model.derivatives(x, g)
            out += d.n / ntot * (ds.reshape(model.K, -1) @ w.ravel() - 2 * dm @ (inv @ dv))
        return out

    def hess_x(x: np.ndarray) -> np.ndarray:
        """2 × expected information per case (in x)."""
        out = np.zeros((model.K, model.K))
        for g, d in enumerate(gdata):
            r = parts(x, g)
            if r is None:
                return np.eye(model.K)
            inv = r[2]
            ds, dm = model.derivatives(x, g)
            used = np.flatnonzero(np.abs(ds).sum(axis=(1, 2)) + np.abs(dm).sum(axis=1) > 0)
            a = np.matmul(inv, ds[used])
            k = len(used)
            h = a.reshape(k, -1) @ a.transpose(0, 2, 1).reshape(k, -1).T
            if meanstructure:
                h = h + 2 * dm[used] @ inv @ dm[used].T
            out[np.ix_(used, used)] += d.n / ntot * h
        return out

    z = con.Z
    return (lambda ph: fun_x(con.x(ph)), lambda ph: z.T @ grad_x(con.x(ph)),
            lambda ph: z.T @ hess_x(con.x(ph)) @ z, hess_x, grad_x)


def _fiml_objective(model: LISRELModel, con: Constraints, gdata: list[GroupData]):
    ntot = sum(d.n for d in gdata)

    def fun_x(x: np.ndarray) -> float:
        ll = 0.0
        for g, d in enumerate(gdata):
            sig, mu = model.implied(x, g)
            v = loglik(d.patterns, mu, sig)
            if not np.isfinite(v):
                return np.inf
            ll += v
        return -2 * ll / ntot

    def grad_x(x: np.ndarray) -> np.ndarray:
        out = np.zeros(model.K)
        for g, d in enumerate(gdata):
            sig, mu = model.implied(x, g)
            ll, g_sig, g_mu = loglik(d.patterns, mu, sig, gradient=True)
            if not np.isfinite(ll):
                return np.zeros(model.K)
            ds, dm = model.derivatives(x, g)
            out += ds.reshape(model.K, -1) @ g_sig.ravel() + dm @ g_mu
        return -2 * out / ntot

    return fun_x, grad_x


# --------------------------------------------------------------------------------------------
# starting values
# --------------------------------------------------------------------------------------------

def _start(model: LISRELModel, partable: ParTable, gdata: list[GroupData]) -> np.ndarray:
    """Starting values in x: first principal components per factor, sample variances and means."""
    rows = partable.params
    lv = partable.lv
    oi = {v: k for k, v in enumerate(partable.ov)}
    total = np.zeros(model.K)
    weight = np.zeros(model.K)
    for g, d in enumerate(gdata):
        s = d.cov
        grp = rows[rows["group"] == g + 1]
        lam: dict[tuple[str, str], float] = {}
        lv_var: dict[str, float] = {}
        for f in lv:
            ind = grp[(grp["op"] == "=~") & (grp["lhs"] == f)]
            obs = [(r["rhs"], r) for _, r in ind.iterrows() if r["rhs"] in oi]
            if not obs:
                continue
            idx = [oi[v] for v, _ in obs]
            w, vec = np.linalg.eigh(s[np.ix_(idx, idx)])
            pc = vec[:, -1] * math.sqrt(max(w[-1], 1e-8))
            fixed = [(k, float(r["ustart"])) for k, (_, r) in enumerate(obs)
                     if r["free"] == 0 and np.isfinite(r["ustart"]) and r["ustart"] != 0]
            var_row = grp[(grp["op"] == "~~") & (grp["lhs"] == f) & (grp["rhs"] == f)]
            if fixed:
                k, c = fixed[0]
                big = np.abs(pc).max()
                lm = pc[k] if abs(pc[k]) > 0.1 * big else math.copysign(0.1 * big, pc[k] or 1.0)
                scale = c / lm
                lv_var[f] = (lm / c) ** 2
            elif len(var_row) and var_row.iloc[0]["free"] == 0 and np.isfinite(var_row.iloc[0]["ustart"]):
                v = float(var_row.iloc[0]["ustart"])
                scale = (1 / math.sqrt(v) if v > 0 else 1.0) * (-1 if pc[0] < 0 else 1)
                lv_var[f] = v
            else:
                scale = 1.0
                lv_var[f] = 1.0
            for k, (v, _) in enumerate(obs):
                lam[(f, v)] = pc[k] * scale
        common = np.zeros(len(oi))
        for (f, v), lam_fv in lam.items():
            common[oi[v]] += lam_fv ** 2 * lv_var.get(f, 1.0)
        endo = set(grp.loc[grp["op"] == "~", "lhs"]) | set(grp.loc[(grp["op"] == "=~") & grp["rhs"].isin(lv), "rhs"])
        for f in lv:                      # higher-order factors: variance from their indicators
            if f not in lv_var:
                ind = grp[(grp["op"] == "=~") & (grp["lhs"] == f)]["rhs"]
                vals = [lv_var.get(v, 1.0) for v in ind]
                lv_var[f] = 0.5 * float(np.mean(vals)) if vals else 1.0
        for pos, (_, r) in enumerate(rows.iterrows()):
            if r["group"] != g + 1 or r["free"] == 0:
                continue
            k = int(r["free"]) - 1
            lhs, op, rhs = r["lhs"], r["op"], r["rhs"]
            if np.isfinite(r["ustart"]):
                v = float(r["ustart"])
            elif op == "=~":
                v = lam.get((lhs, rhs), 1.0)
            elif op == "~":
                v = 0.0
            elif op == "~1":
                v = float(d.mean[oi[lhs]]) if lhs in oi else 0.0
            elif lhs != rhs:
                v = 0.0
            elif lhs in lv:
                v = lv_var.get(lhs, 1.0) * (0.5 if lhs in endo else 1.0)
            else:
                i = oi[lhs]
                if lhs in model.eta:
                    v = float(s[i, i]) * (0.5 if lhs in endo else 1.0)
                else:
                    v = max(float(s[i, i] - common[i]), 0.1 * float(s[i, i]))
            total[k] += d.n * v
            weight[k] += d.n
    return np.where(weight > 0, total / np.maximum(weight, 1), 0.0)


# --------------------------------------------------------------------------------------------
# the driver
# --------------------------------------------------------------------------------------------

def _optimise(fun: Callable, grad: Callable, metric: Callable, phi: np.ndarray,
              tol: Tolerances = ESTIMATION_TOLERANCES, max_gradient: float = 1e-5) -> tuple[np.ndarray, str | None]:
    if not np.isfinite(fun(phi)):
        return phi, "no starting values with a positive definite implied covariance matrix"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = fisher_scoring(fun, grad, metric, phi, tol)
        phi, f = res.x, res.f
        if not res.converged or (tol is ESTIMATION_TOLERANCES and float(np.linalg.norm(grad(phi))) > 1e-6):
            from scipy.optimize import minimize

            opt = minimize(fun, phi, jac=grad, method="BFGS", options={"gtol": 1e-10, "maxiter": 5000})
            if np.isfinite(opt.fun) and opt.fun <= f:
                phi = opt.x
                res = fisher_scoring(fun, grad, metric, phi, tol)
                phi = res.x
    gnorm = float(np.linalg.norm(grad(phi)))
    if gnorm > max_gradient:
        return phi, f"gradient norm {gnorm:.2g} after Fisher scoring and BFGS"
    return phi, None


def _checked_inverse(info: np.ndarray, failure: str | None, name: str) -> np.ndarray:
    try:
        w = np.linalg.eigvalsh(unit_diagonal(info))
    except np.linalg.LinAlgError:
        raise ModelError(f"model {name!r}: estimation did not converge: {failure}") from None
    if not np.all(np.isfinite(w)) or w[0] <= 1e-10 * max(w[-1], 1e-300):
        raise ModelError(f"model {name!r} is not identified (singular information matrix): fix a "
                         "loading or a variance of every factor, and check the constraints")
    if failure is not None:
        raise ModelError(f"model {name!r}: estimation did not converge: {failure}")
    return np.linalg.inv(info)


@small_matrix_work
def fit_partable(partable: ParTable, data: pd.DataFrame, *, group: str | None = None,
                 groups: Sequence[str] | None = None, estimator: str = "ML",
                 missing: str = "listwise", tolerances: Tolerances | None = None) -> ModelFit:
    """Fit a parameter table to data (lavaan ``lavaan(partable, data, ...)``).

    Parameters
    ----------
    partable : ParTable
        From :func:`attachstats.stats.latent.syntax.lavaanify` (with ``ngroups`` equal to
        the number of groups).
    data : DataFrame
        Every observed variable of the model (numeric) and the grouping column.
    group : str, optional
        Grouping column; ``groups`` chooses and orders its values (default: sorted).
    estimator : {"ML", "MLR"}
    missing : {"listwise", "fiml"}
    tolerances : Tolerances, optional
        Stopping rule of the complete-data optimiser (default :data:`ESTIMATION_TOLERANCES`);
        the preset latent regression passes the engine's ``ML_TOLERANCES`` so that it stops
        where :func:`attachstats.stats.latent.sem.fit_sem` stops.

    Returns
    -------
    ModelFit

    Raises
    ------
    ModelError
        Unusable data, a model that is not identified, does not converge, or an option not
        implemented (MLR with FIML and fixed exogenous covariates).

    Warns
    -----
    UserWarning
        A negative variance estimate (Heywood case), as lavaan; the fit is returned.

    Examples
    --------
    R: ``lavaan::sem(model, data, estimator = "MLR")``; here through
    :func:`attachstats.sem`.
    """
    name = partable.name
    if estimator not in ("ML", "MLR"):
        raise ModelError(f"model {name!r}: estimator {estimator!r} is not one of ML, MLR")
    if missing not in ("listwise", "fiml"):
        raise ModelError(f"model {name!r}: missing must be 'listwise' or 'fiml', not {missing!r}")
    gdata = group_data(data, partable, group, missing, name, groups)
    model = LISRELModel(partable)
    fill_exo(model, partable, gdata)
    con = Constraints(partable, model)
    ms = partable.meanstructure
    p, px = model.p, len(partable.ov_x)
    per = p * (p + 1) // 2 + (p if ms else 0) - (px * (px + 1) // 2 + (px if ms else 0))
    ndat = per * len(gdata)
    df = ndat - con.npar
    if df < 0:
        raise ModelError(f"model {name!r} is not identified: {con.npar} free parameters but only "
                         f"{ndat} sample moments (df = {df})")
    ntot = sum(d.n for d in gdata)
    x_start = _start(model, partable, gdata)
    phi0 = con.phi(x_start)
    fun, grad, hess, _, _ = ml_objective(model, con, gdata, ms)
    if not np.isfinite(fun(phi0)):                # fall back on residual variances = sample variances
        x_alt = x_start.copy()
        oi = {v: k for k, v in enumerate(partable.ov)}
        for _, r in partable.params.iterrows():
            if r["free"] > 0 and r["op"] == "~~" and r["lhs"] == r["rhs"] and r["lhs"] in oi:
                x_alt[int(r["free"]) - 1] = gdata[int(r["group"]) - 1].cov[oi[r["lhs"]], oi[r["lhs"]]]
        phi0 = con.phi(x_alt)
    if missing == "fiml":
        phi_ml, failure = _optimise(fun, grad, lambda ph, g: hess(ph), phi0)   # ML on the EM moments
        fx, gx = _fiml_objective(model, con, gdata)
        z = con.Z
        def ffun(ph: np.ndarray) -> float:
            return fx(con.x(ph))

        def fgrad(ph: np.ndarray) -> np.ndarray:
            return z.T @ gx(con.x(ph))

        def metric(ph: np.ndarray, g: np.ndarray) -> np.ndarray:
            if np.linalg.norm(g) > 1e-5:
                return hess(ph)
            return numeric_hessian(fgrad, ph)

        phi, failure = _optimise(ffun, fgrad, metric, phi_ml)
        h = numeric_hessian(fgrad, phi)
        info = h / 2
        vcov_phi = _checked_inverse(info, failure, name) / ntot
    else:
        phi, failure = _optimise(fun, grad, lambda ph, g: hess(ph), phi0, tolerances or ESTIMATION_TOLERANCES)
        info = hess(phi) / 2
        inv = _checked_inverse(info, failure, name)
        vcov_phi = inv / ntot
    x = con.x(phi)
    fit = _fit_measures(model, con, partable, gdata, x, phi, df, missing)
    if estimator == "MLR":
        xi = [partable.ov.index(v) for v in partable.ov_x]
        if missing == "fiml":
            if xi:
                raise ModelError(f"model {name!r}: MLR with FIML and fixed exogenous covariates is "
                                 "not implemented; use fixed_x=False")
            a0 = info                                   # observed information (FIML)
            b0 = _fiml_meat(model, con, gdata, x)
            tr_h1 = sum(_fiml_h1_trace(d) for d in gdata)
            cb = _baseline_scaling(gdata, True, [], tr_h1)
        else:
            a0 = numeric_hessian(grad, phi) / 2
            b0, tr_h1 = _meat(model, con, gdata, x, ms, xi)
            cb = _baseline_scaling(gdata, ms, xi, tr_h1)
        a_inv = np.linalg.inv(a0)
        vcov_phi = a_inv @ b0 @ a_inv / ntot
        vcov_phi = (vcov_phi + vcov_phi.T) / 2
        info = a0
        tr_h0 = float(np.sum(b0 * a_inv.T))
        c = (tr_h1 - tr_h0) / df if df > 0 else math.nan
        fit = _robust_measures(fit, c, cb, len(gdata), tr_h1, tr_h0)
        fit["scaling.factor.h1"] = tr_h1 / ndat
        fit["scaling.factor.h0"] = tr_h0 / model.K           # lavaan: per free parameter before constraints
    if missing == "fiml" and not partable.ov_x:   # lavaan's FIML-corrected robust CFI/TLI/RMSEA
        fit = _fiml_corrected_measures(fit, model, con, gdata, x, df, scaled=estimator == "MLR")
    vcov_x = con.Z @ vcov_phi @ con.Z.T
    out = ModelFit(partable=partable, model=model, constraints=con, data=gdata, estimator=estimator,
                   missing=missing, phi=phi, x=x, vcov_phi=vcov_phi, vcov_x=vcov_x, fit=fit,
                   information=info, groups=[d.label for d in gdata])
    out.defined(x)                       # an unknown label in a := definition fails here, not later
    vals = out.row_values(x).real
    free = partable.params["free"].to_numpy() > 0
    neg = sorted({lhs for (_, lhs, op, rhs, _, _), v, fr in zip(out.row_meta, vals, free)
                  if fr and op == "~~" and lhs == rhs and v < 0})
    if neg:
        warnings.warn(f"model {name!r}: negative variance estimate(s) for {', '.join(neg)} (Heywood case); "
                      "interpret with care", stacklevel=3)
    return out


# --------------------------------------------------------------------------------------------
# robust (MLR) pieces
# --------------------------------------------------------------------------------------------

#: Rows per block when casewise scores are summed (their outer products), so that memory does
#: not grow with N (a block of 8,192 rows × 860 moments is 56 MB).
SCORE_BLOCK_ROWS = 8192


def _row_blocks(n: int, size: int | None = None) -> Iterator[slice]:
    """Consecutive row slices of at most ``size`` (default :data:`SCORE_BLOCK_ROWS`) rows covering ``range(n)``.

    >>> [(b.start, b.stop) for b in _row_blocks(5, 2)]
    [(0, 2), (2, 4), (4, 5)]
    """
    size = size or SCORE_BLOCK_ROWS
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def _h1_trace(d: GroupData, meanstructure: bool, xi: list[int]) -> float:
    """tr(A₁⁻¹ B₁) of the saturated model in one group: A₁ its expected information at the sample
    moments, B₁ the mean outer product of its casewise scores, both without the moments of fixed
    exogenous variables (means and (co)variances among ``xi``), as lavaan's ``x.idx``."""
    p = d.cov.shape[0]
    inv = np.linalg.inv(d.cov)
    z = d.x - d.mean
    pairs = [(a, b) for b in range(p) for a in range(b, p)]
    keep = [k for k, (a, b) in enumerate(pairs) if not (a in xi and b in xi)]
    pairs = [pairs[k] for k in keep]
    ia = np.array([a for a, _ in pairs], dtype=int)
    ib = np.array([b for _, b in pairs], dtype=int)
    half = np.where(ia == ib, 0.5, 1.0)
    # expected information of σ: ½ tr(Σ⁻¹ E_ab Σ⁻¹ E_cd), E symmetric indicators
    info = half[:, None] * half[None, :] * 2 * (inv[np.ix_(ia, ia)] * inv[np.ix_(ib, ib)]
                                                + inv[np.ix_(ia, ib)] * inv[np.ix_(ib, ia)]) / 2
    ym = [k for k in range(p) if k not in xi] if meanstructure else []
    if meanstructure:
        k1 = len(ym)
        full = np.zeros((k1 + len(pairs), k1 + len(pairs)))
        full[:k1, :k1] = inv[np.ix_(ym, ym)]
        full[k1:, k1:] = info
        info = full
    b1 = np.zeros(info.shape)
    for rows in _row_blocks(len(z)):        # Σ sᵢsᵢᵀ block by block: memory independent of N
        wb = z[rows] @ inv
        sc = half * (wb[:, ia] * wb[:, ib] - inv[ia, ib])          # ∂ℓᵢ/∂σ_ab
        if meanstructure:
            sc = np.concatenate([wb[:, ym], sc], axis=1)
        b1 += sc.T @ sc
    b1 /= len(z)
    return float(np.sum(np.linalg.inv(info) * b1.T))


def _meat(model: LISRELModel, con: Constraints, gdata: list[GroupData], x: np.ndarray,
          meanstructure: bool, xi: list[int]) -> tuple[np.ndarray, float]:
    """B = Σ_g (N_g/N) mean(sᵢ sᵢᵀ) of the casewise scores (in φ) and Σ_g tr(A₁⁻¹B₁) (h1 trace)."""
    ntot = sum(d.n for d in gdata)
    k = con.npar
    b = np.zeros((k, k))
    tr_h1 = 0.0
    for g, d in enumerate(gdata):
        sig, mu = model.implied(x, g)
        inv = np.linalg.inv(sig)
        z = d.x - (mu if meanstructure else d.mean)
        ds, dm = model.derivatives(x, g)
        dsz = np.tensordot(con.Z.T, ds, axes=1)                       # (k, p, p)
        dmz = con.Z.T @ dm                                            # (k, p)
        tr = np.einsum("kab,ab->k", dsz, inv)
        bg = np.zeros((k, k))
        for rows in _row_blocks(len(z)):    # Σ sᵢsᵢᵀ block by block: memory independent of N
            w = z[rows] @ inv                                          # Σ⁻¹ dᵢ
            quad = np.einsum("na,kab,nb->nk", w, dsz, w, optimize=True)
            sc = 0.5 * (quad - tr)
            if meanstructure:
                sc = sc + w @ dmz.T
            bg += sc.T @ sc
        b += d.n / ntot * (bg / d.n)
        tr_h1 += _h1_trace(d, meanstructure, xi)
    return b, tr_h1


def _baseline_scaling(gdata: list[GroupData], meanstructure: bool, xi: list[int], tr_h1: float) -> float:
    """Scaling factor of the baseline model (free variances, and means, of the non-exogenous variables)."""
    tr_b0 = 0.0
    dfb = 0
    for d in gdata:
        p = d.x.shape[1]
        yi = [k for k in range(p) if k not in xi]
        for j in yi:                          # each variable's (available-case) ML mean and variance
            v = d.x[:, j][~np.isnan(d.x[:, j])]
            zj = v - v.mean()
            tr_b0 += 0.5 * (float(np.mean(zj ** 4)) / float(np.mean(zj ** 2)) ** 2 - 1)
        tr_b0 += len(yi) if meanstructure else 0
        dfb += p * (p + 1) // 2 - len(xi) * (len(xi) + 1) // 2 - len(yi)
    return (tr_h1 - tr_b0) / dfb if dfb > 0 else math.nan


def _pattern_rows(x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(observed column indices, rows) per missing-data pattern of x (rows with an answer)."""
    obs = ~np.isnan(x)
    pats, inv = np.unique(obs, axis=0, return_inverse=True)
    inv = inv.ravel()
    return [(np.flatnonzero(pat), x[inv == k][:, pat]) for k, pat in enumerate(pats) if pat.any()]


def _fiml_meat(model: LISRELModel, con: Constraints, gdata: list[GroupData], x: np.ndarray) -> np.ndarray:
    """B = (1/N) Σᵢ sᵢ sᵢᵀ of the casewise scores of the observed-data log-likelihood (in φ)."""
    ntot = sum(d.n for d in gdata)
    k = con.npar
    b = np.zeros((k, k))
    for g, d in enumerate(gdata):
        sig, mu = model.implied(x, g)
        ds, dm = model.derivatives(x, g)
        dsz = np.tensordot(con.Z.T, ds, axes=1)
        dmz = con.Z.T @ dm
        for o, rows in _pattern_rows(d.x):
            inv = np.linalg.inv(sig[np.ix_(o, o)])
            w = (rows - mu[o]) @ inv
            dso = dsz[:, o][:, :, o]
            quad = np.einsum("na,kab,nb->nk", w, dso, w, optimize=True)
            tr = np.einsum("kab,ab->k", dso, inv)
            sc = 0.5 * (quad - tr) + w @ dmz[:, o].T
            b += sc.T @ sc / ntot
    return b


def _fiml_h1_trace(d: GroupData) -> float:
    """tr(A₁⁻¹ B₁) of the saturated model under missing data (observed information and casewise
    scores at the EM estimates), lavaan's h1 trace for MLR with ``missing = "ml"``."""
    p = d.cov.shape[0]
    pairs = [(a, b) for b in range(p) for a in range(b, p)]
    ia = np.array([a for a, _ in pairs], dtype=int)
    ib = np.array([b for _, b in pairs], dtype=int)
    half = np.where(ia == ib, 0.5, 1.0)
    n = d.n

    def unpack(par: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mu = par[:p]
        sig = np.zeros((p, p))
        sig[ia, ib] = par[p:]
        sig[ib, ia] = par[p:]
        return mu, sig

    def grad(par: np.ndarray) -> np.ndarray:
        mu, sig = unpack(par)
        _, g_sig, g_mu = loglik(d.patterns, mu, sig, gradient=True)
        gv = np.where(ia == ib, g_sig[ia, ib], g_sig[ia, ib] + g_sig[ib, ia])
        return -np.concatenate([g_mu, gv]) / n

    par = np.concatenate([d.mean, d.cov[ia, ib]])
    a1 = numeric_hessian(grad, par)
    scores = []
    for o, rows in _pattern_rows(d.x):
        inv = np.linalg.inv(d.cov[np.ix_(o, o)])
        w = (rows - d.mean[o]) @ inv
        wf = np.zeros((len(rows), p))
        wf[:, o] = w
        invf = np.zeros((p, p))
        invf[np.ix_(o, o)] = inv
        scores.append(np.concatenate([wf, half * (wf[:, ia] * wf[:, ib] - invf[ia, ib])], axis=1))
    sc = np.concatenate(scores)
    b1 = sc.T @ sc / n
    return float(np.sum(np.linalg.inv(a1) * b1.T))


def _fiml_h1_information(d: GroupData) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The saturated model of one group under missing data, in (μ, vech Σ) (lavaan's order):
    observed information W_m and first-order information J_m (both per case, at the EM
    estimates), the complete-data information W_c at the EM moments, and the vech indices."""
    p = d.cov.shape[0]
    pairs = [(a, b) for b in range(p) for a in range(b, p)]
    ia = np.array([a for a, _ in pairs], dtype=int)
    ib = np.array([b for _, b in pairs], dtype=int)
    half = np.where(ia == ib, 0.5, 1.0)
    n = d.n

    def unpack(par: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sig = np.zeros((p, p))
        sig[ia, ib] = par[p:]
        sig[ib, ia] = par[p:]
        return par[:p], sig

    def grad(par: np.ndarray) -> np.ndarray:
        mu, sig = unpack(par)
        _, g_sig, g_mu = loglik(d.patterns, mu, sig, gradient=True)
        gv = np.where(ia == ib, g_sig[ia, ib], g_sig[ia, ib] + g_sig[ib, ia])
        return -np.concatenate([g_mu, gv]) / n

    wm = numeric_hessian(grad, np.concatenate([d.mean, d.cov[ia, ib]]))
    wm = (wm + wm.T) / 2
    scores = []
    for o, rows in _pattern_rows(d.x):
        inv = np.linalg.inv(d.cov[np.ix_(o, o)])
        wf = np.zeros((len(rows), p))
        wf[:, o] = (rows - d.mean[o]) @ inv
        invf = np.zeros((p, p))
        invf[np.ix_(o, o)] = inv
        scores.append(np.concatenate([wf, half * (wf[:, ia] * wf[:, ib] - invf[ia, ib])], axis=1))
    sc = np.concatenate(scores)
    jm = sc.T @ sc / n
    inv = np.linalg.inv(d.cov)
    wc = np.zeros_like(wm)
    wc[:p, :p] = inv
    wc[p:, p:] = half[:, None] * half[None, :] * (inv[np.ix_(ia, ia)] * inv[np.ix_(ib, ib)]
                                                  + inv[np.ix_(ia, ib)] * inv[np.ix_(ib, ia)])
    return wm, jm, wc, ia, ib


def _fiml_corrected_measures(fit: dict, model: LISRELModel, con: Constraints, gdata: list[GroupData],
                             x: np.ndarray, df: int, scaled: bool) -> dict:
    """lavaan's ``cfi.robust``, ``tli.robust``, ``rmsea.robust`` … for FIML (``lav_fit_fiml_corrected``).

    The FIML-corrected statistics of Zhang & Savalei (2023): the complete-data ML χ² of the
    fitted model (and of the independence model fitted by FIML) against the EM moments, XX3,
    with the correction ĉ = k/df, k = tr(U W_m⁻¹ W_c W_m⁻¹ U Γ) (MLR, lavaan's "V3",
    Γ = W_m⁻¹ J_m W_m⁻¹) or tr(W_c W_m⁻¹ U W_m⁻¹) (ML, "V6"), U = W_m − W_mΔE⁻¹Δ′W_m,
    E = Δ′W_mΔ, all blocks weighted by the group shares as lavaan; then the robust indices
    of the complete-data formulas with XX3 and ĉ.
    """
    from scipy.linalg import block_diag

    ntot = sum(d.n for d in gdata)
    ng = len(gdata)
    fg = np.array([d.n / ntot for d in gdata])
    wm_b, wmi_b, wc_b, gam_b, deltas, deltas_b = [], [], [], [], [], []
    xx3 = xx3n = 0.0
    nb_cols = 0
    for g, d in enumerate(gdata):
        p = d.cov.shape[0]
        wm, jm, wc, ia, ib = _fiml_h1_information(d)
        wmi = np.linalg.inv(wm)
        wm_b.append(fg[g] * wm)
        wmi_b.append(wmi / fg[g])
        wc_b.append(fg[g] * wc)
        gam_b.append(wmi @ jm @ wmi / fg[g])
        sig, mu = model.implied(x, g)
        ds, dm = model.derivatives(x, g)
        dsz = np.tensordot(con.Z.T, ds, axes=1)                  # (k, p, p)
        dmz = con.Z.T @ dm
        deltas.append(np.concatenate([dmz.T, dsz[:, ia, ib].T], axis=0))
        inv = np.linalg.inv(sig)
        dv = d.mean - mu
        xx3 += d.n * float(np.linalg.slogdet(sig)[1] + np.sum(d.cov * inv) - d.logdet - p + dv @ inv @ dv)
        # independence model by FIML: each variable's available-case mean and ML variance
        mb = np.array([np.nanmean(d.x[:, j]) for j in range(p)])
        vb = np.array([np.nanvar(d.x[:, j]) for j in range(p)])
        xx3n += d.n * float(np.sum(np.log(vb)) + np.sum(np.diag(d.cov) / vb) - d.logdet - p
                            + np.sum((d.mean - mb) ** 2 / vb))
        db = np.zeros((p + len(ia), 2 * p))
        db[np.arange(p), np.arange(p)] = 1.0
        diag_rows = p + np.flatnonzero(ia == ib)
        db[diag_rows, p + ia[ia == ib]] = 1.0
        deltas_b.append((nb_cols, db))
        nb_cols += 2 * p
    wm_all, wmi_all, wc_all, gam_all = (block_diag(*b) for b in (wm_b, wmi_b, wc_b, gam_b))
    d_all = np.vstack(deltas)
    db_all = np.zeros((d_all.shape[0], nb_cols))
    r0 = 0
    for c0, db in deltas_b:
        db_all[r0:r0 + db.shape[0], c0:c0 + db.shape[1]] = db
        r0 += db.shape[0]

    def k_of(delta: np.ndarray) -> float:
        wd = wm_all @ delta
        u = wm_all - wd @ np.linalg.solve(delta.T @ wd, wd.T)
        if scaled:
            left = u @ wmi_all @ wc_all @ wmi_all @ u
            return float(np.sum(left * gam_all.T))
        return float(np.sum((wc_all @ wmi_all) * (u @ wmi_all).T))

    out = dict(fit)
    dfb = fit["baseline.df"]
    c3 = k_of(d_all) / df if df > 0 else math.nan
    c3n = k_of(db_all) / dfb
    n = fit["ntotal"]
    gs = math.sqrt(ng)
    if df > 0:
        cfi_r, tli_r = cfi_tli(xx3, df, xx3n, dfb, c3, c3n)
        rni_r = 1 - (xx3 - c3 * df) / (xx3n - c3n * dfb)
        xs = xx3 / c3
        lo, hi = rmsea_ci(xs, df, n)
        out.update({"rmsea.robust": rmsea(xx3, df, n, c3) * gs,
                    "rmsea.ci.lower.robust": lo * math.sqrt(c3) * gs, "rmsea.ci.upper.robust": hi * math.sqrt(c3) * gs,
                    "rmsea.pvalue.robust": rmsea_pvalue(xs, df, n / ng, 0.05, c3),
                    "rmsea.notclose.pvalue.robust": rmsea_pvalue(xs, df, n / ng, 0.08, c3, close=False)})
    else:
        cfi_r = tli_r = rni_r = 1.0
        out.update({"rmsea.robust": 0.0, "rmsea.ci.lower.robust": 0.0, "rmsea.ci.upper.robust": 0.0,
                    "rmsea.pvalue.robust": math.nan, "rmsea.notclose.pvalue.robust": math.nan})
    out.update({"cfi.robust": cfi_r, "tli.robust": tli_r, "nnfi.robust": tli_r, "rni.robust": rni_r})
    return out


def _robust_measures(fit: dict, c: float, cb: float, groups: int, tr_h1: float, tr_h0: float) -> dict:
    out = dict(fit)
    x2, df, n = fit["chisq"], fit["df"], fit["ntotal"]
    x2b, dfb = fit["baseline.chisq"], fit["baseline.df"]
    gs = math.sqrt(groups)
    x2s = x2 / c if df > 0 else x2
    x2bs = x2b / cb
    out.update({"chisq.scaled": x2s, "df.scaled": df, "pvalue.scaled": chi2_pvalue(x2s, df),
                "chisq.scaling.factor": c, "baseline.chisq.scaled": x2bs, "baseline.df.scaled": dfb,
                "baseline.pvalue.scaled": chi2_pvalue(x2bs, dfb), "baseline.chisq.scaling.factor": cb})
    cfi_s, tli_s = cfi_tli(x2s, df, x2bs, dfb)
    cfi_r, tli_r = cfi_tli(x2, df, x2b, dfb, c, cb) if df > 0 else (1.0, 1.0)
    out.update({"cfi.scaled": cfi_s, "tli.scaled": tli_s, "cfi.robust": cfi_r, "tli.robust": tli_r,
                "nnfi.scaled": tli_s, "nnfi.robust": tli_r})
    out["rmsea.scaled"] = rmsea(x2s, df, n) * gs if df > 0 else 0.0
    # lavaan: the scaled interval inverts the unscaled χ² on c·df (= tr(UΓ)) degrees of freedom
    lo_s, hi_s = rmsea_ci(x2, c * df, n) if df > 0 else (0.0, 0.0)
    out["rmsea.ci.lower.scaled"], out["rmsea.ci.upper.scaled"] = lo_s * gs, hi_s * gs
    lo, hi = rmsea_ci(x2s, df, n)
    out["rmsea.robust"] = rmsea(x2, df, n, c) * gs if df > 0 else 0.0
    out["rmsea.ci.lower.robust"] = lo * math.sqrt(c) * gs if df > 0 else 0.0
    out["rmsea.ci.upper.robust"] = hi * math.sqrt(c) * gs if df > 0 else 0.0
    return out


# --------------------------------------------------------------------------------------------
# fit measures
# --------------------------------------------------------------------------------------------

def _fit_measures(model: LISRELModel, con: Constraints, partable: ParTable, gdata: list[GroupData],
                  x: np.ndarray, phi: np.ndarray, df: int, missing: str) -> dict:
    from scipy.stats import ncx2

    ms = partable.meanstructure
    ntot = sum(d.n for d in gdata)
    G = len(gdata)
    p = model.p
    oi = {v: k for k, v in enumerate(partable.ov)}
    xi = [oi[v] for v in partable.ov_x]
    yi = [k for k in range(p) if k not in xi]
    logl = logl_h1 = x2b = 0.0
    srmr = 0.0
    dfb = 0
    for g, d in enumerate(gdata):
        sig, mu = model.implied(x, g)
        if missing == "fiml":
            logl += loglik(d.patterns, mu, sig)
            logl_h1 += loglik(d.patterns, d.mean, d.cov)
        else:
            inv = np.linalg.inv(sig)
            dv = d.mean - mu if ms else np.zeros(p)
            logl -= d.n / 2 * (p * _LOG2PI + np.linalg.slogdet(sig)[1] + np.sum(d.cov * inv) + dv @ inv @ dv)
            logl_h1 -= d.n / 2 * (p * _LOG2PI + d.logdet + p)
        if xi:            # lavaan: the likelihood conditional on the fixed exogenous x
            lx = -d.n / 2 * (len(xi) * _LOG2PI + np.linalg.slogdet(d.cov[np.ix_(xi, xi)])[1] + len(xi))
            logl -= lx
            logl_h1 -= lx
        sd = np.sqrt(np.diag(d.cov))
        rc = ((d.cov - sig) / np.outer(sd, sd))[np.tril_indices(p)]
        if ms:
            rm = (d.mean - mu) / sd
            sr = math.sqrt((np.sum(rc ** 2) + np.sum(rm ** 2)) / (len(rc) + p))
        else:
            sr = math.sqrt(np.mean(rc ** 2))
        srmr += d.n / ntot * sr
        if missing == "fiml":
            for j in range(p):
                v = d.x[:, j][~np.isnan(d.x[:, j])]
                x2b_ll = -len(v) / 2 * (_LOG2PI + math.log(v.var()) + 1)
                x2b -= 2 * x2b_ll
            x2b += 2 * loglik(d.patterns, d.mean, d.cov)
        else:
            ld_x = np.linalg.slogdet(d.cov[np.ix_(xi, xi)])[1] if xi else 0.0
            x2b += d.n * (np.log(np.diag(d.cov)[yi]).sum() + ld_x - d.logdet)
        dfb += p * (p + 1) // 2 - len(xi) * (len(xi) + 1) // 2 - len(yi)
    x2 = max(2 * (logl_h1 - logl), 0.0)
    npar = con.npar
    fmin = x2 / (2 * ntot)
    gs = math.sqrt(G)
    cfi, tli = cfi_tli(x2, df, x2b, dfb)
    lo, hi = rmsea_ci(x2, df, ntot)
    out = {"npar": npar, "fmin": fmin, "chisq": x2, "df": df, "pvalue": chi2_pvalue(x2, df),
           "baseline.chisq": x2b, "baseline.df": dfb, "baseline.pvalue": chi2_pvalue(x2b, dfb),
           "cfi": cfi, "tli": tli, "nnfi": tli,
           "rfi": (x2b / dfb - x2 / df) / (x2b / dfb) if df > 0 else math.nan,
           "nfi": (x2b - x2) / x2b, "pnfi": df / dfb * (x2b - x2) / x2b,
           "ifi": (x2b - x2) / (x2b - df), "rni": 1 - (x2 - df) / (x2b - dfb) if x2b != dfb else math.nan,
           "logl": logl, "unrestricted.logl": logl_h1, "aic": -2 * logl + 2 * npar,
           "bic": -2 * logl + npar * math.log(ntot), "ntotal": ntot,
           "bic2": -2 * logl + npar * math.log((ntot + 2) / 24),
           "rmsea": rmsea(x2, df, ntot) * gs if df > 0 else 0.0,
           "rmsea.ci.lower": lo * gs, "rmsea.ci.upper": hi * gs,
           "rmsea.pvalue": float(ncx2.sf(x2, df, ntot * df * 0.05 ** 2 / G)) if df > 0 else math.nan,
           "srmr": srmr}
    return out


@small_matrix_work
def bootstrap_estimates(fitted: ModelFit, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Nonparametric bootstrap of every parameter row and ``:=`` value (lavaan ``se = "bootstrap"``).

    Cases are resampled with replacement within each group; each resample is refitted by ML
    from the full-sample estimate (fixed exogenous moments take the resample's values, as
    lavaan). A resample whose fit fails gives a row of NaN. Complete-data fits only.

    Returns
    -------
    ndarray
        ``(n_boot, rows + defined)``.

    Raises
    ------
    ModelError
        A FIML fit (not implemented).
    """
    if fitted.missing != "listwise":
        raise ModelError(f"model {fitted.partable.name!r}: the bootstrap is implemented for complete-data "
                         "fits only (missing='listwise')")
    pt, model, con = fitted.partable, fitted.model, fitted.constraints
    ms = pt.meanstructure
    k = len(fitted.row_meta) + len(fitted.defined(fitted.x))
    out = np.full((n_boot, k), np.nan)
    try:
        for b in range(n_boot):
            gdata = []
            for d in fitted.data:
                x = d.x[rng.integers(0, d.n, d.n)]
                mean = x.mean(axis=0)
                xc = x - mean
                cov = xc.T @ xc / d.n
                sign, logdet = np.linalg.slogdet(cov)
                gdata.append(GroupData(d.label, d.n, mean, cov, float(logdet), x))
            if any(np.linalg.slogdet(g.cov)[0] <= 0 for g in gdata):
                continue
            fill_exo(model, pt, gdata)
            fun, grad, hess, _, _ = ml_objective(model, con, gdata, ms)
            phi, failure = _optimise(fun, grad, lambda ph, g, h=hess: h(ph), fitted.phi.copy(), BOOTSTRAP_TOLERANCES,
                                     max_gradient=1e-3)
            if failure is not None:
                continue
            x = con.x(phi)
            vals = fitted.row_values(x)
            out[b] = np.concatenate([vals, fitted.defined(x, vals)]).real
    finally:
        fill_exo(model, pt, fitted.data)           # the fitted model keeps its own exogenous moments
    return out
