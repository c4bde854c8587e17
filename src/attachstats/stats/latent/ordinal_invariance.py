"""Measurement invariance of ordered items across groups (lavaan WLSMV, semTools conventions).

The steps of ``semTools::measEq.syntax(ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",
parameterization = "delta")`` (Wu & Estabrook 2016), each fitted by DWLS with lavaan's
WLSMV corrections in several groups:

=============  ==============================================================================
step           constraints (group 1 is the reference: latent means 0, variances 1,
               intercepts 0, scale factors 1)
=============  ==============================================================================
configural     nothing equal; in every group: intercepts 0, scale factors 1, latent means 0,
               latent variances 1
thresholds     thresholds equal; intercepts and scale factors free in groups 2..G
metric         + loadings equal; latent variances free in groups 2..G
scalar         + intercepts equal (fixed at 0); latent means free in groups 2..G
=============  ==============================================================================

The model of group g for the latent responses (delta parameterisation, δ = scale factors):
thresholds δᵢ(τᵢₖ − νᵢ − (Λα)ᵢ), correlations δᵢδⱼ(ΛΨΛ′ + Θ)ᵢⱼ, residual variances
1/δᵢ² − (ΛΨΛ′)ᵢᵢ. Per group the sample statistics of
:func:`attachstats.stats.latent.polychoric.ordinal_moments`; F = Σ_g (N_g − 1)/(N − G) e_g′W_g e_g
(lavaan's weighting); robust SEs and the scaled-shifted test with lavaan's group weights;
``cfi``/``tli``/``rmsea`` and their ``.scaled`` versions (RMSEA × √G). The ``.robust``
versions are computed for the configural step only: lavaan 0.6-14 reports NA for them once
scale factors are free, and so do we.

**Partial invariance** (``group_partial``, lavaan's ``group.partial``: ``"f =~ x"``,
``"x | t2"``, ``"x ~ 1"``) frees the named parameters per group, and the identification
follows semTools' rules item by item (groups 2..G): an item's intercept is free when at
least one of its thresholds is equal and its intercept is not; its scale factor is free when
at least two thresholds are equal, or one and the intercept; a factor's variance is free
when one of its loadings is equal; its mean when an item measuring only that factor has an
equal intercept. The same rules cover **binary items** (one threshold: intercept free at the
thresholds step, traded for the scale factor at the scalar step).

**Continuous variables** among the indicators (``ordered`` naming the others; statistics
of :func:`attachstats.stats.latent.polychoric.mixed_moments`): as semTools writes them, a
continuous variable's intercept is free in every group (equal across groups once intercepts
are), its residual variance free per group, and it has no scale factor.

Not implemented: residual-variance ("strict") invariance, the theta parameterisation,
models with fixed values other than the identification above, partial equality of other
parameters (factor variances, means, residual covariances).

Example
-------
``ordinal_invariance_steps(syntax, data, "gender")`` fits the four steps on one set of
per-group polychorics; :func:`fit_ordinal_invariance` fits one.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from attachstats.errors import ModelError
from attachstats.stats.latent.engine import (
    Z_95,
    CFAModel,
    checked_information,
    fisher_scoring,
    start_values,
)
from attachstats.stats.latent.ordinal import (
    DWLS_TOLERANCES,
    DWLSInformation,
    catml_weight,
    delta_spec,
    ordinal_fit_measures,
    rmsea_pvalue,
)
from attachstats.stats.latent.polychoric import OrdinalMoments, mixed_moments, ordinal_moments
from attachstats.stats.latent.syntax import parse_syntax
from attachstats.stats.threads import small_matrix_work

__all__ = ["INVARIANCE_STEPS", "OrdinalInvarianceResult", "fit_ordinal_invariance", "ordinal_invariance_steps"]

#: Step name → lavaan ``group.equal``.
INVARIANCE_STEPS: dict[str, tuple[str, ...]] = {
    "configural": (), "thresholds": ("thresholds",), "metric": ("thresholds", "loadings"),
    "scalar": ("thresholds", "loadings", "intercepts")}

#: The single-group DWLS stopping rule, with room for the larger multigroup models.
_TOL = replace(DWLS_TOLERANCES, max_iter=2000)


@dataclass
class OrdinalInvarianceResult:
    """One invariance step fitted in several groups.

    Attributes
    ----------
    step : str
    group_equal : tuple of str
    groups : list
        Group labels in lavaan's order (first appearance in the data).
    n : list of int
        Complete rows per group.
    estimates : DataFrame
        ``lhs, op, rhs, group, est, se, z, pvalue, ci.lower, ci.upper, std.all`` (``group``
        1-based, as lavaan's ``parameterEstimates``; ``std.all`` as its
        ``standardizedSolution``).
    fit : dict
        lavaan ``fitMeasures()`` names.
    dwls : DWLSInformation
        What the χ² difference tests need (:mod:`attachstats.stats.latent.comparison`).
    group_partial : tuple
        The freed parameters, as keys ``("=~", f, x)``, ``("|", x, "tk")``, ``("~1", x)``.
    """

    step: str
    group_equal: tuple[str, ...]
    groups: list
    n: list[int]
    estimates: pd.DataFrame
    fit: dict[str, float]
    notes: list[str] = field(default_factory=list)
    dwls: DWLSInformation | None = None
    group_partial: tuple = ()

    def parameters(self) -> pd.DataFrame:
        """lavaan's ``parameterEstimates(fit)``, a copy."""
        return self.estimates.copy()

    def fit_measures(self) -> dict[str, float]:
        """lavaan's ``fitMeasures(fit)`` names → values, a copy."""
        return dict(self.fit)


class _Layout:
    """Where every model quantity of every group sits, and which free parameter it is."""

    def __init__(self, base: CFAModel, nth_i: list[int], ngroups: int, equal: tuple[str, ...],
                 partial: frozenset = frozenset(), continuous: frozenset = frozenset()) -> None:
        self.base = base
        p, m, q = base.p, base.m, base.npar
        self.p, self.m, self.q = p, m, q
        self.nth_i = nth_i
        self.nth = sum(nth_i)
        # slots of one group: struct (q), thresholds (nth), intercepts (p), scale factors (p), means (m)
        self.size = q + self.nth + 2 * p + m
        self.fixed = np.zeros((ngroups, self.size))
        self.index = np.full((ngroups, self.size), -1)
        names: list[tuple[str, int]] = []
        shared: dict[tuple[str, int], int] = {}

        def free(g: int, slot: int, key: str, equal_across: bool) -> None:
            k = (key, slot) if equal_across else (key, slot, g)
            if k not in shared:
                shared[k] = len(names)
                names.append((key, slot))
            self.index[g, slot] = shared[k]

        # which parameters are equal across groups: group.equal minus group.partial
        obs, lat = base.spec.observed, base.spec.latent
        ld_eq = {s: "loadings" in equal and ("=~", lat[j], obs[i]) not in partial
                 for s, (mat, i, j) in enumerate(base.free) if mat == "lambda"}
        th_item = np.concatenate([np.full(n, i) for i, n in enumerate(nth_i)]).astype(int)
        th_k = np.concatenate([np.arange(1, n + 1) for n in nth_i]).astype(int)
        # a continuous variable has one entry among the thresholds: its mean ν + (Λα), no τ, no δ
        self.num_th = np.array([obs[i] in continuous for i in th_item], dtype=bool)
        self.is_num = np.array([v in continuous for v in obs], dtype=bool)
        th_eq = ["thresholds" in equal and ("|", obs[i], f"t{k}") not in partial and obs[i] not in continuous
                 for i, k in zip(th_item, th_k)]
        int_eq = ["intercepts" in equal and ("~1", obs[i]) not in partial for i in range(p)]
        n_eq = np.bincount(th_item[np.asarray(th_eq, dtype=bool)], minlength=p) if self.nth else np.zeros(p, int)
        # semTools (ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", delta), groups 2..G: an
        # intercept is free with ≥ 1 equal threshold unless intercepts are equal (then 0); a
        # scale factor is free with ≥ 2 equal thresholds, or 1 and an equal intercept; a factor
        # variance is free with an equal loading; a factor mean with an equal intercept of an
        # item that measures that factor only
        lam_pattern = np.zeros((p, m), dtype=bool)
        for mat, i, j in base.free:
            if mat == "lambda":
                lam_pattern[i, j] = True
        var_free = [any(ld_eq[s] for s, (mat, i, j) in enumerate(base.free) if mat == "lambda" and j == f)
                    for f in range(m)]
        mean_free = [any(int_eq[i] and lam_pattern[i, f] and lam_pattern[i].sum() == 1 for i in range(p))
                     for f in range(m)]
        for g in range(ngroups):
            for s, (mat, i, j) in enumerate(base.free):
                if mat == "lambda":
                    free(g, s, "lambda", ld_eq[s])
                elif mat == "psi" and i == j:
                    if g > 0 and var_free[i]:
                        free(g, s, "psi", False)
                    else:
                        self.fixed[g, s] = 1.0
                else:
                    free(g, s, mat, False)
            for t in range(self.nth):
                if not self.num_th[t]:
                    free(g, q + t, "tau", th_eq[t])
            for i in range(p):
                s_nu, s_delta = q + self.nth + i, q + self.nth + p + i
                if obs[i] in continuous:         # intercept free in every group (equal if asked), no δ
                    free(g, s_nu, "nu", int_eq[i])
                    self.fixed[g, s_delta] = 1.0
                    continue
                if g > 0 and n_eq[i] >= 1 and not int_eq[i]:
                    free(g, s_nu, "nu", False)
                if g > 0 and (n_eq[i] >= 2 or (n_eq[i] >= 1 and int_eq[i])):
                    free(g, s_delta, "delta", False)
                else:
                    self.fixed[g, s_delta] = 1.0
            for f in range(m):
                if g > 0 and mean_free[f]:
                    free(g, q + self.nth + 2 * p + f, "alpha", False)
        self.any_delta_free = bool((self.index[:, q + self.nth + p:q + self.nth + 2 * p] >= 0).any())
        self.npar = len(names)
        self.th_item = np.concatenate([np.full(n, i) for i, n in enumerate(nth_i)])

    def values(self, x: np.ndarray, g: int) -> np.ndarray:
        v = self.fixed[g].copy()
        idx = self.index[g]
        on = idx >= 0
        v[on] = x[idx[on]]
        return v

    def parts(self, x: np.ndarray, g: int) -> dict[str, np.ndarray]:
        v = self.values(x, g)
        q, nth, p = self.q, self.nth, self.p
        mats = self.base.matrices(v[:q])
        return {"lambda": mats["lambda"], "psi": mats["psi"], "theta": mats["theta"], "tau": v[q:q + nth],
                "nu": v[q + nth:q + nth + p], "delta": v[q + nth + p:q + nth + 2 * p], "alpha": v[q + nth + 2 * p:]}

    def moments(self, x: np.ndarray, g: int, pairs: np.ndarray) -> np.ndarray:
        a = self.parts(x, g)
        lam, d = a["lambda"], a["delta"]
        mu = a["nu"][self.th_item] + (lam @ a["alpha"])[self.th_item]
        th = np.where(self.num_th, mu, d[self.th_item] * (a["tau"] - mu))
        cov = lam @ a["psi"] @ lam.T + a["theta"]
        i, j = pairs[:, 0], pairs[:, 1]
        return np.concatenate([th, d[i] * d[j] * cov[i, j]])

    def jacobian(self, x: np.ndarray, g: int, pairs: np.ndarray) -> np.ndarray:
        """∂ moments / ∂ x, analytic: per model slot, then summed over slots sharing a parameter."""
        a = self.parts(x, g)
        q, nth, p, m = self.q, self.nth, self.p, self.m
        lam, d, alpha = a["lambda"], a["delta"], a["alpha"]
        ti = self.th_item
        i, j = pairs[:, 0], pairs[:, 1]
        cov = lam @ a["psi"] @ lam.T + a["theta"]
        k = nth + len(pairs)
        slots = np.zeros((k, self.size))
        # structure: correlations δᵢδⱼ ∂C/∂θ; loadings also move the thresholds by −δᵢ α_f
        dsig = self.base.dsigma(self.values(x, g)[:q])
        slots[nth:, :q] = (d[i] * d[j])[:, None] * dsig[:, i, j].T
        sgn = np.where(self.num_th, 1.0, -d[ti])           # ∂ threshold (mean) / ∂(ν + Λα)
        for s, (mat, r, c) in enumerate(self.base.free):
            if mat == "lambda":
                rows = np.where(ti == r)[0]
                slots[rows, s] = sgn[rows] * alpha[c]
        t = np.arange(nth)
        slots[t, q + t] = np.where(self.num_th, 0.0, d[ti])              # thresholds
        slots[t, q + nth + ti] = sgn                                      # intercepts
        slots[t, q + nth + p + ti] = np.where(self.num_th, 0.0, a["tau"] - a["nu"][ti] - (lam @ alpha)[ti])
        qq = np.arange(len(pairs))
        slots[nth + qq, q + nth + p + i] += d[j] * cov[i, j]
        slots[nth + qq, q + nth + p + j] += d[i] * cov[i, j]
        slots[:nth, q + nth + 2 * p:q + nth + 2 * p + m] = sgn[:, None] * lam[ti]    # latent means
        idx = self.index[g]
        on = np.where(idx >= 0)[0]
        out = np.zeros((k, self.npar))
        np.add.at(out.T, idx[on], slots[:, on].T)
        return out

    def numeric_jacobian(self, x: np.ndarray, g: int, pairs: np.ndarray) -> np.ndarray:
        """The same by central differences (a check of :meth:`jacobian`)."""
        out = np.zeros((self.nth + len(pairs), self.npar))
        for c in np.unique(self.index[g][self.index[g] >= 0]):
            h = 1e-5 * max(1.0, abs(x[c]))
            e = np.zeros_like(x)
            e[c] = h
            out[:, c] = (self.moments(x + e, g, pairs) - self.moments(x - e, g, pairs)) / (2 * h)
        return out


def fit_ordinal_invariance(model_syntax: str, data: pd.DataFrame, group: str, step: str = "configural",
                           ordered: Sequence[str] | None = None, name: str = "model",
                           group_partial: Sequence[str] = ()) -> OrdinalInvarianceResult:
    """Fit one invariance step of a CFA for ordered items across groups (lavaan WLSMV).

    Parameters
    ----------
    model_syntax : str
        Measurement model (``=~`` lines; factor covariances and residual covariances
        between items as in :func:`~attachstats.stats.latent.syntax.parse_syntax`). The factors
        are identified as semTools' ``ID.fac = "std.lv"``: every loading is free.
    data : DataFrame
    group : str
        Grouping column; rows where it is missing are dropped (counted in ``notes``).
    step : {"configural", "thresholds", "metric", "scalar"}
        See the module docstring (:data:`INVARIANCE_STEPS`).
    ordered : list of str, optional
        Default: all indicators; the indicators not named are continuous.
    name : str
    group_partial : sequence of str
        lavaan's ``group.partial``: parameters the step would hold equal that stay free per
        group — ``"f =~ x"`` (a loading), ``"x | t2"`` (a threshold), ``"x ~ 1"`` (an
        intercept). The identification follows semTools' rules (module docstring).

    Returns
    -------
    OrdinalInvarianceResult

    Raises
    ------
    ModelError
        Unknown step or group column, fewer than two groups, an item with other categories
        in one group than in another, a ``group_partial`` entry that names no parameter of
        the model, or see :func:`attachstats.stats.latent.ordinal.fit_ordinal_cfa`.

    Notes
    -----
    R: ``semTools::measEq.syntax(model, data, ordered = items, parameterization = "delta",
    ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group = group, group.equal = ...,
    group.partial = ...)`` fitted with ``cfa(as.character(syntax), data, ordered = items, group = group,
    parameterization = "delta", estimator = "WLSMV")``.
    """
    return ordinal_invariance_steps(model_syntax, data, group, [step], ordered, name, group_partial)[step]


def ordinal_invariance_steps(model_syntax: str, data: pd.DataFrame, group: str,
                             steps: Sequence[str] | None = None, ordered: Sequence[str] | None = None,
                             name: str = "model", group_partial: Sequence[str] = ()
                             ) -> dict[str, OrdinalInvarianceResult]:
    """Several invariance steps on the same sample statistics (computed once per group).

    Parameters and errors as :func:`fit_ordinal_invariance`; ``steps`` default: all four,
    in order (:data:`INVARIANCE_STEPS`).

    Returns
    -------
    dict
        Step name → :class:`OrdinalInvarianceResult`. Compare nested steps with the
        scaled-shifted χ² difference test (lavaan ``lavTestLRT``):
        :func:`attachstats.stats.latent.comparison.wlsmv_lrt`.
    """
    steps = list(INVARIANCE_STEPS) if steps is None else list(steps)
    bad = [st for st in steps if st not in INVARIANCE_STEPS]
    if bad:
        raise ModelError(f"model {name!r}: unknown invariance step {bad[0]!r} "
                         f"(one of {', '.join(INVARIANCE_STEPS)})")
    if group not in data.columns:
        raise ModelError(f"model {name!r}: group column {group!r} is not in the data")
    spec = parse_syntax(model_syntax, name)
    items = list(spec.observed)
    cont = [v for v in items if v not in list(ordered)] if ordered is not None else []
    for r in spec.rows:
        if r[3] != "theta" and r[6] is not None and not (r[3] == "lambda" and r[6] == 1.0):
            raise ModelError(f"model {name!r}: fixed values ({r[0]} {r[1]} {r[2]}) are not supported in "
                             "ordinal invariance models (the steps set the identification)")
    # std.lv: all loadings free; factor variances are set per step by the layout
    rows = [(a, o, b, mat, i, j, None) if mat in ("lambda", "psi") else (a, o, b, mat, i, j, v)
            for (a, o, b, mat, i, j, v) in spec.rows]
    spec = delta_spec(type(spec)(spec.observed, spec.latent, rows), name, cont)
    base = CFAModel(spec)
    keep = data[group].notna()
    labels = list(pd.unique(data.loc[keep, group]))
    if len(labels) < 2:
        raise ModelError(f"model {name!r}: group column {group!r} has fewer than two groups")
    mom: list[OrdinalMoments] = []
    for lab in labels:
        part = data.loc[keep & (data[group] == lab)]
        where = f"{name} ({group} = {lab})"
        mg = (mixed_moments(part, items, [v for v in items if v not in cont], where) if cont
              else ordinal_moments(part, items, where))
        mom.append(mg)
    for mg, lab in zip(mom, labels):
        if mg.threshold_names != mom[0].threshold_names:
            raise ModelError(f"model {name!r}: the items have other observed categories in group "
                             f"{str(lab)!r} than in group {str(labels[0])!r}")
    notes = []
    dropped = int((~keep).sum())
    if dropped:
        notes.append(f"{dropped} row(s) without a {group} value dropped")
    partial = _partial_keys(group_partial, base, mom[0].threshold_names, name)
    return {st: _fit(base, mom, labels, st, INVARIANCE_STEPS[st], name, list(notes), partial, frozenset(cont))
            for st in steps}


def _partial_keys(group_partial: Sequence[str], base: CFAModel, threshold_names: list[str],
                  name: str) -> frozenset:
    """lavaan ``group.partial`` entries → keys ``("=~", f, x)``, ``("|", x, "tk")``, ``("~1", x)``.

    Examples
    --------
    >>> m = CFAModel(parse_syntax("f =~ a + b + c", "m"))
    >>> sorted(_partial_keys(["f=~b", "a | t2", "c ~ 1"], m, ["a|t1", "a|t2"], "m"))
    [('=~', 'f', 'b'), ('|', 'a', 't2'), ('~1', 'c')]
    """
    if isinstance(group_partial, str):
        group_partial = [group_partial]
    obs, lat = base.spec.observed, base.spec.latent
    loadings = {(lat[j], obs[i]) for mat, i, j in base.free if mat == "lambda"}
    keys = set()
    for entry in group_partial:
        e = "".join(str(entry).split())
        if "=~" in e:
            f, x = e.split("=~", 1)
            if (f, x) not in loadings:
                raise ModelError(f"model {name!r}: group_partial {entry!r}: the model has no loading {f} =~ {x}")
            keys.add(("=~", f, x))
        elif "|" in e:
            x, t = e.split("|", 1)
            if f"{x}|{t}" not in threshold_names:
                raise ModelError(f"model {name!r}: group_partial {entry!r}: no threshold {x}|{t} (the item's "
                                 "thresholds are t1, t2, … one fewer than its observed categories)")
            keys.add(("|", x, t))
        elif e.endswith("~1") and e[:-2] in obs:
            keys.add(("~1", e[:-2]))
        else:
            raise ModelError(f"model {name!r}: group_partial {entry!r} is not a loading (f =~ x), threshold "
                             "(x | t2) or intercept (x ~ 1) of an item of the model")
    return frozenset(keys)


@small_matrix_work
def _fit(base: CFAModel, mom: list[OrdinalMoments], labels: list, step: str, equal: tuple[str, ...],
         name: str, notes: list[str], partial: frozenset = frozenset(),
         continuous: frozenset = frozenset()) -> OrdinalInvarianceResult:
    ngroups = len(mom)
    nth_i = list(np.bincount(mom[0].threshold_item, minlength=base.p))
    lay = _Layout(base, nth_i, ngroups, equal, partial, continuous)
    num = mom[0].numeric_index
    nv = len(num)
    # the structured statistics: variances of continuous variables (i, i), then the pairs
    pairs = np.vstack([np.column_stack([num, num]), mom[0].pairs]).astype(np.int64)
    nth, ncor = lay.nth, len(pairs)
    n_g = np.array([mg.n for mg in mom], dtype=float)
    n_tot = float(n_g.sum())
    fg = n_g / n_tot
    fw = (n_g - 1) / (n_tot - ngroups)
    w_g = [1.0 / np.diag(mg.gamma) for mg in mom]
    s_g = [mg.moments for mg in mom]

    def fun(x: np.ndarray) -> float:
        return float(sum(f * (e := s - lay.moments(x, g, pairs)) @ (w * e)
                         for g, (f, s, w) in enumerate(zip(fw, s_g, w_g))))

    def grad(x: np.ndarray) -> np.ndarray:
        out = np.zeros(lay.npar)
        for g, (f, s, w) in enumerate(zip(fw, s_g, w_g)):
            e = s - lay.moments(x, g, pairs)
            out -= 2 * f * lay.jacobian(x, g, pairs).T @ (w * e)
        return out

    def metric(x: np.ndarray, gvec: np.ndarray) -> np.ndarray:
        h = np.zeros((lay.npar, lay.npar))
        for g, (f, w) in enumerate(zip(fw, w_g)):
            d = lay.jacobian(x, g, pairs)
            h += 2 * f * d.T @ (w[:, None] * d)
        return h

    # starting values: loadings etc. from group 1's polychorics, thresholds from group 1
    x0 = np.zeros(lay.npar)
    unit = CFAModel(type(base.spec)(base.spec.observed, base.spec.latent,
                                    [(a, o, b, mat, i, j, 1.0) if (mat == "psi" and i == j) else (a, o, b, mat, i, j, v)
                                     for (a, o, b, mat, i, j, v) in base.spec.rows]))
    sv = dict(zip(unit.free, start_values(unit, mom[0].cov if nv else mom[0].cor, name)))
    th_of = {int(i): t for t, i in enumerate(mom[0].threshold_item)}      # a continuous variable's mean
    st = np.array([sv.get(f, 1.0) for f in base.free])
    for g in range(ngroups):
        for slot in range(lay.size):
            c = lay.index[g, slot]
            if c < 0:
                continue
            if slot < lay.q:
                x0[c] = st[slot] if base.free[slot][0] != "psi" or base.free[slot][1] != base.free[slot][2] else 1.0
            elif slot < lay.q + nth:
                x0[c] = mom[g].thresholds[slot - lay.q] if g == 0 or x0[c] == 0 else x0[c]
            elif slot < lay.q + nth + lay.p and lay.base.spec.observed[slot - lay.q - nth] in continuous:
                x0[c] = mom[g].thresholds[th_of[slot - lay.q - nth]] if g == 0 or x0[c] == 0 else x0[c]
            elif slot >= lay.q + nth + lay.p and slot < lay.q + nth + 2 * lay.p:
                x0[c] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = fisher_scoring(fun, grad, metric, x0, _TOL)
    x = res.x
    gnorm = float(np.linalg.norm(grad(x)))
    failure = None if (res.converged or gnorm < 1e-8) else f"gradient norm {gnorm:.2g} ({res.reason})"
    deltas = [lay.jacobian(x, g, pairs) for g in range(ngroups)]
    e_mat = sum(f * d.T @ (w[:, None] * d) for f, d, w in zip(fg, deltas, w_g))
    checked_information(lambda: e_mat, failure, name)
    e_inv = np.linalg.inv(e_mat)
    nn = n_tot - ngroups                   # lavaan's N for a non-ML estimator
    meat = sum(f * (w[:, None] * d).T @ mg.gamma @ (w[:, None] * d) for f, d, w, mg in zip(fg, deltas, w_g, mom))
    vcov = e_inv @ meat @ e_inv / nn
    se = np.sqrt(np.maximum(np.diag(vcov), 0.0))

    # tests: χ² = Σ_g (N_g − 1) e_g′W_g e_g; U and Γ with lavaan's group weights
    resid = [s - lay.moments(x, g, pairs) for g, s in enumerate(s_g)]
    chisq = float(sum((ng - 1) * e @ (w * e) for ng, e, w in zip(n_g, resid, w_g)))
    k = nth + ncor
    # tr(UΓ), tr((UΓ)²) of lavaan's U = V − VΔE⁻¹Δ′V, V = ⊕ f_g W_g, Γ = ⊕ Γ_g / f_g, without
    # forming them: with A_g = W_gΓ_g, C_g = Γ_g W_g Δ_g and M = Σ f_g C_g′W_gΔ_g (= meat),
    # tr(UΓ) = Σ tr A_g − tr(E⁻¹M), tr((UΓ)²) = Σ tr(A_g²) − 2 Σ f_g tr(E⁻¹C_g′W_gC_g) + tr((E⁻¹M)²)
    tr1 = tr2 = 0.0
    for f, d, w, mg in zip(fg, deltas, w_g, mom):
        a_g = w[:, None] * mg.gamma
        c_g = mg.gamma @ (w[:, None] * d)
        tr1 += float(np.trace(a_g))
        tr2 += float(np.sum(a_g * a_g.T)) - 2 * f * float(np.sum(e_inv * (c_g.T @ (w[:, None] * c_g))))
    em = e_inv @ meat
    tr1 -= float(np.trace(em))
    tr2 += float(np.sum(em * em.T))
    df = ngroups * k - lay.npar
    a = math.sqrt(df / tr2)
    from scipy import stats     # heavy: imported where it is used

    ss = {"stat": chisq * a + df - a * tr1, "scaling": 1 / a, "shift": df - a * tr1}
    ss["pvalue"] = float(stats.chi2.sf(ss["stat"], df))
    b0 = nth + nv                          # baseline: thresholds, means and variances free
    x2n = float(sum((ng - 1) * (s[b0:] @ (w[b0:] * s[b0:])) for ng, s, w in zip(n_g, s_g, w_g)))
    dfn = float(ngroups * (ncor - nv))
    t1n = t2n = 0.0
    for mg, w in zip(mom, w_g):
        ugn = w[b0:, None] * mg.gamma[b0:, b0:]
        t1n += float(np.trace(ugn))
        t2n += float(np.sum(ugn * ugn.T))
    an = math.sqrt(dfn / t2n)
    ssn = {"stat": x2n * an + dfn - an * t1n, "scaling": 1 / an, "shift": dfn - an * t1n}
    ssn["pvalue"] = float(stats.chi2.sf(ssn["stat"], dfn))
    robust = _robust(lay, x, mom, deltas, e_inv, fg, w_g, df, dfn) if step == "configural" and not nv else {}
    fit = ordinal_fit_measures(int(nn), lay.npar, chisq / (2 * n_tot), chisq, df, ss, x2n, dfn, ssn, robust, k)
    # several groups: RMSEA and its interval × √G, the non-centrality of its p-values / G (lavaan)
    root_g = math.sqrt(ngroups)
    for key in ("rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.scaled", "rmsea.ci.lower.scaled",
                "rmsea.ci.upper.scaled", "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust"):
        fit[key] *= root_g
    n_pg = nn / ngroups
    fit["rmsea.pvalue"] = rmsea_pvalue(chisq, df, n_pg, 0.05)
    fit["rmsea.notclose.pvalue"] = rmsea_pvalue(chisq, df, n_pg, 0.08, close=False)
    fit["rmsea.pvalue.scaled"] = rmsea_pvalue(ss["stat"], df, n_pg, 0.05)
    fit["rmsea.notclose.pvalue.scaled"] = rmsea_pvalue(ss["stat"], df, n_pg, 0.08, close=False)
    if robust:
        c = robust["c3"]
        fit["rmsea.pvalue.robust"] = rmsea_pvalue(robust["xx3_scaled"], df, n_pg, 0.05, c)
        fit["rmsea.notclose.pvalue.robust"] = rmsea_pvalue(robust["xx3_scaled"], df, n_pg, 0.08, c, close=False)
    elif nv:
        notes.append("cfi.robust, tli.robust and rmsea.robust are not computed with continuous variables "
                     "(lavaan reports NA for them too)")
    else:
        notes.append("cfi.robust, tli.robust and rmsea.robust are not computed once scale factors are "
                     "free (lavaan 0.6-14 reports NA for them too)")
    p = lay.p
    # residual correlations: continuous variables standardised by their sample SDs
    sds = [np.sqrt(np.diag(mg.cov)) for mg in mom]
    ssr = [float(np.sum((e[nth:] / (sd[pairs[:, 0]] * sd[pairs[:, 1]])) ** 2)) for e, sd in zip(resid, sds)]
    sst = [float(e[:nth][~lay.num_th] @ e[:nth][~lay.num_th]) for e in resid]          # residual thresholds
    nth = nth - nv                          # lavaan counts the thresholds, not the means
    # lavaan: each group's value, weighted by the group's share of the cases
    fit["srmr"] = float(sum(f * math.sqrt(v / (p * (p + 1) / 2)) for f, v in zip(fg, ssr)))
    fit["crmr"] = float(sum(f * math.sqrt((v + t) / (p * (p - 1) / 2 + nth)) for f, v, t in zip(fg, ssr, sst)))
    fit["srmr_bentler"] = float(sum(f * math.sqrt((v + t) / (p * (p + 1) / 2 + nth))
                                    for f, v, t in zip(fg, ssr, sst)))
    raw = [float(e[lay.nth:] @ e[lay.nth:]) for e in resid]       # rmr: unstandardised residuals
    fit["rmr"] = float(sum(f * math.sqrt((v + t) / (p * (p + 1) / 2 + nth)) for f, v, t in zip(fg, raw, sst)))
    est = _estimates(lay, x, se, mom, pairs)
    info = DWLSInformation((tuple(base.spec.observed), tuple(mom[0].threshold_names), tuple(str(v) for v in labels),
                            tuple(int(v) for v in n_g)), deltas, fg, e_inv, meat, chisq, int(df))
    return OrdinalInvarianceResult(step, equal, labels, [int(v) for v in n_g], est, fit, notes, info,
                                   tuple(sorted(partial)))


def _robust(lay: _Layout, x: np.ndarray, mom: list[OrdinalMoments], deltas: list[np.ndarray],
            e_inv: np.ndarray, fg: np.ndarray, w_g: list[np.ndarray], df: int, dfn: float) -> dict[str, float]:
    """lavaan's catML route to cfi.robust / rmsea.robust (``lav_fit_catml_dwls``), several groups."""
    nth = lay.nth
    pairs = mom[0].pairs
    p = lay.p
    xx3 = xx3n = 0.0
    blocks_v, blocks_w, blocks_g, rows_d = [], [], [], []
    for g, mg in enumerate(mom):
        if np.linalg.eigvalsh(mg.cor)[0] < np.sqrt(np.finfo(float).eps):
            return {}
        a = lay.parts(x, g)
        d = a["delta"]
        sig = d[:, None] * (a["lambda"] @ a["psi"] @ a["lambda"].T + a["theta"]) * d[None, :]
        np.fill_diagonal(sig, 1.0)
        sign, logdet_sig = np.linalg.slogdet(sig)
        if sign <= 0:
            return {}
        logdet_r = np.linalg.slogdet(mg.cor)[1]
        xx3 += mg.n * float(logdet_sig + np.sum(mg.cor * np.linalg.inv(sig)) - logdet_r - p)
        xx3n += -mg.n * float(logdet_r)
        blocks_v.append(fg[g] * catml_weight(sig, pairs))
        blocks_w.append(fg[g] * w_g[g][nth:])
        blocks_g.append(mg.gamma[nth:, nth:] / fg[g])
        rows_d.append(deltas[g][nth:])
    from scipy.linalg import block_diag

    v_all, g_all = block_diag(*blocks_v), block_diag(*blocks_g)
    w_all = np.concatenate(blocks_w)
    d_all = np.vstack(rows_d)
    wiu = np.eye(len(w_all)) - d_all @ e_inv @ d_all.T * w_all[None, :]
    c3 = float(np.sum((wiu.T @ v_all @ wiu) * g_all.T)) / df
    c3n = float(np.trace(g_all)) / dfn
    return {"xx3": xx3, "c3": c3, "xx3_scaled": xx3 / c3, "xx3n": xx3n, "c3n": c3n}


def _estimates(lay: _Layout, x: np.ndarray, se: np.ndarray, mom: list[OrdinalMoments],
               pairs: np.ndarray) -> pd.DataFrame:
    base, spec = lay.base, lay.base.spec
    rows = []
    for g in range(len(mom)):
        a = lay.parts(x, g)
        idx = lay.index[g]
        val = lay.values(x, g)

        def sev(slot: int, idx: np.ndarray = idx) -> float:
            return float(se[idx[slot]]) if idx[slot] >= 0 else 0.0

        # std.all: Var(y*ᵢ) = 1/δᵢ² (delta parameterisation), a continuous variable's implied
        # variance; factor SDs √ψ_ff
        d = a["delta"]
        sd_f = np.sqrt(np.abs(np.diag(a["psi"])))
        common = np.diag(a["lambda"] @ a["psi"] @ a["lambda"].T)
        theta_d = np.diag(a["theta"])
        resvar = np.where(lay.is_num, theta_d, 1 / d ** 2 - common)
        sd_y = np.where(lay.is_num, np.sqrt(np.abs(common + theta_d)), 1 / d)
        diag_slot = {i: s for s, (mat, i, j) in enumerate(base.free) if mat == "theta" and i == j}
        for s, (mat, i, j) in enumerate(base.free):
            r = spec.rows[base.row_of_free[s]]
            if mat == "lambda":
                rows.append((r[0], "=~", r[2], g + 1, val[s], sev(s), val[s] * sd_f[j] / sd_y[i]))
        for t, nm in enumerate(mom[g].threshold_names):
            if lay.num_th[t]:
                continue
            it, tk = nm.split("|")
            v = val[lay.q + t]
            rows.append((it, "|", tk, g + 1, v, sev(lay.q + t), v * d[lay.th_item[t]]))
        for i, v in enumerate(spec.observed):
            se_r = sev(diag_slot[i]) if lay.is_num[i] else 0.0
            rows.append((v, "~~", v, g + 1, resvar[i], se_r, resvar[i] / sd_y[i] ** 2))
        for s, (mat, i, j) in enumerate(base.free):
            r = spec.rows[base.row_of_free[s]]
            if mat == "psi":
                den = sd_f[i] * sd_f[j]
            elif mat == "theta" and i == j:
                continue
            elif mat == "theta":
                den = math.sqrt(resvar[i] * resvar[j]) if resvar[i] * resvar[j] > 0 else math.nan
            else:
                continue
            rows.append((r[0], "~~", r[2], g + 1, val[s], sev(s), val[s] / den if den > 0 else math.nan))
        for i, v in enumerate(spec.observed):
            s = lay.q + lay.nth + lay.p + i
            rows.append((v, "~*~", v, g + 1, val[s], sev(s), 1.0))
        for i, v in enumerate(spec.observed):
            s = lay.q + lay.nth + i
            rows.append((v, "~1", "", g + 1, val[s], sev(s), val[s] / sd_y[i]))
        for f, v in enumerate(spec.latent):
            s = lay.q + lay.nth + 2 * lay.p + f
            rows.append((v, "~1", "", g + 1, val[s], sev(s), val[s] / sd_f[f] if sd_f[f] > 0 else math.nan))
    df = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "group", "est", "se", "std.all"])
    se_v = df["se"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se_v > 0, df["est"].to_numpy() / se_v, np.nan)
    df.insert(6, "z", z)
    from scipy import stats

    df.insert(7, "pvalue", 2 * stats.norm.sf(np.abs(z)))
    df.insert(8, "ci.lower", df["est"] - Z_95 * df["se"])
    df.insert(9, "ci.upper", df["est"] + Z_95 * df["se"])
    return df
