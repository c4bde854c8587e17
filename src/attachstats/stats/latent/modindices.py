"""Modification indices (univariate score tests) of parameters not in a model, as lavaan's ``modindices()``.

For every parameter a fitted model leaves out — the candidates of lavaan's
``lav_partable_full``: loadings of every factor on every observed variable that takes no part
in a regression, residual covariances among indicators, latent (co)variances, regressions
among the variables of the structural part (not indicator on factor), intercepts when the
model has a mean structure — and for every parameter the model fixes (at its fixed value), the
score test at the estimate is

    MI = N g² / V,   EPC = −g / V,   V = I_cc − I_cθ Z (Zᵀ I_θθ Z)⁻¹ Zᵀ I_θc,

with g = ∂(F/2)/∂c the gradient of lavaan's ML objective in the candidate c (at 0), I the
expected information per case of the model extended by the candidates and Z the model's
equality-constraint basis (:class:`attachstats.stats.latent.estimation.Constraints`).
Candidates with V below ε^(1/3) (equivalent to parameters already in the model) are dropped,
as lavaan's ``na.remove``. ``sepc.all`` is the EPC standardised as the parameter would be in
``std.all`` (loadings × sd(factor)/sd(item), covariances over residual standard deviations),
``sepc.lv`` as in ``std.lv``. Checked against lavaan 0.6-14; regressions of a fixed exogenous
covariate on something differ from lavaan's (which frees the covariate's moments there). Complete data only; for an MLR fit these are the ML score
tests at its (ML) estimates, as lavaan's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attachstats.errors import ModelError
from attachstats.stats.latent.engine import LISRELModel
from attachstats.stats.latent.estimation import ModelFit, ml_objective
from attachstats.stats.latent.syntax import ParTable

__all__ = ["MODINDICES_COLUMNS", "candidates", "modification_indices"]

#: Columns of :func:`modification_indices` (lavaan ``modindices()``).
MODINDICES_COLUMNS = ["lhs", "op", "rhs", "group", "mi", "epc", "sepc.lv", "sepc.all"]


def candidates(partable: ParTable) -> list[tuple[str, str, str]]:
    """(lhs, op, rhs) of every parameter lavaan's ``modindices()`` considers (one group)."""
    rows = partable.params
    lv, ov = partable.lv, partable.ov
    ov_nox = [v for v in ov if v not in partable.ov_x]
    eqs = list(dict.fromkeys(list(rows.loc[rows["op"] == "~", "lhs"]) + list(rows.loc[rows["op"] == "~", "rhs"])))
    out = [(f, "=~", v) for f in lv for v in ov_nox if v not in eqs]
    ind = set(partable.ov_ind)
    out += [(ov_nox[j], "~~", ov_nox[i]) for j in range(len(ov_nox)) for i in range(j, len(ov_nox))
            if ov_nox[i] in ind and ov_nox[j] in ind]
    out += [(lv[j], "~~", lv[i]) for j in range(len(lv)) for i in range(j, len(lv))]
    out += [(y, "~", x) for y in eqs for x in eqs if y != x and not (y in ind and x in lv)]
    if partable.meanstructure:
        out += [(v, "~1", "") for v in ov + lv]
    return out


def _key(lhs: str, op: str, rhs: str) -> tuple:
    return (op, *sorted((lhs, rhs))) if op == "~~" else (op, lhs, rhs)


def modification_indices(fitted: ModelFit) -> pd.DataFrame:
    """Score tests of every candidate parameter not in the model (lavaan ``modindices(fit)``).

    Returns
    -------
    DataFrame
        Columns :data:`MODINDICES_COLUMNS`, in lavaan's candidate order (sort by ``mi`` to
        rank them).

    Raises
    ------
    ModelError
        A FIML fit (not implemented).

    Examples
    --------
    R: ``lavaan::modindices(fit)``; here ``attachstats.sem(...).modindices()``.
    """
    if fitted.missing != "listwise":
        raise ModelError(f"model {fitted.partable.name!r}: modification indices are implemented for "
                         "complete-data fits only (missing='listwise')")
    pt = fitted.partable
    rows = pt.params.reset_index(drop=True)
    have = {(int(r["group"]), *_key(r["lhs"], r["op"], r["rhs"])) for _, r in rows.iterrows()}
    K = fitted.model.K
    fixed_values = fitted.row_values(fitted.x)
    ext_rows = rows.copy()
    cand: list[tuple[str, str, str, int]] = []
    cand_pos: list[int] = []              # row of the extended table of each candidate
    start: list[float] = []
    # the model's own fixed parameters (markers, fixed (co)variances, fixed exogenous moments) are
    # candidates too, at their fixed values, as in lavaan (most are not identified: V ≈ 0, dropped)
    for pos, r in rows.iterrows():
        if r["free"] == 0:
            cand.append((r["lhs"], r["op"], r["rhs"], int(r["group"])))
            cand_pos.append(pos)
            start.append(float(np.real(fixed_values[pos])))
            ext_rows.loc[pos, "free"] = K + len(cand)
    extra = []
    for g in range(1, pt.ngroups + 1):
        for lhs, op, rhs in candidates(pt):
            if (g, *_key(lhs, op, rhs)) not in have:
                cand.append((lhs, op, rhs, g))
                cand_pos.append(len(rows) + len(extra))
                start.append(0.0)
                extra.append({"lhs": lhs, "op": op, "rhs": rhs, "user": 10, "block": g, "group": g,
                              "free": K + len(cand), "ustart": 0.0, "exo": 0, "label": "", "plabel": ""})
    if not cand:
        return pd.DataFrame(columns=MODINDICES_COLUMNS)
    ext_rows = pd.concat([ext_rows, pd.DataFrame(extra, columns=ext_rows.columns)], ignore_index=True)
    ext_rows["id"] = np.arange(1, len(ext_rows) + 1)
    ext_rows.loc[ext_rows["free"] > 0, "exo"] = 0
    ext = ParTable(rows=ext_rows, ov=pt.ov, lv=pt.lv, ov_x=pt.ov_x, ov_ind=pt.ov_ind,
                   meanstructure=pt.meanstructure, ngroups=pt.ngroups, syntax=pt.syntax, name=pt.name)
    model = LISRELModel(ext)

    class _Identity:
        Z = np.eye(model.K)

        @staticmethod
        def x(v: np.ndarray) -> np.ndarray:
            return v

    x_ext = np.concatenate([fitted.x, np.array(start)])
    _, _, _, hess_x, grad_x = ml_objective(model, _Identity(), fitted.data, pt.meanstructure)
    info = hess_x(x_ext) / 2                     # expected information per case
    score = grad_x(x_ext) / 2                    # ∂(F/2)
    z = fitted.constraints.Z
    i_mm = z.T @ info[:K, :K] @ z
    i_cm = info[K:, :K] @ z
    v = np.diag(info[K:, K:]) - np.einsum("ij,jk,ik->i", i_cm, np.linalg.inv(i_mm), i_cm)
    sc = score[K:]
    n = fitted.ntotal
    with np.errstate(invalid="ignore", divide="ignore"):
        mi = np.where(v < np.finfo(float).eps ** (1 / 3), np.nan, n * sc ** 2 / v)
        epc = -sc / v
    # standardised EPCs: the candidate row standardised at the estimate with value EPC
    sepc = {}
    ext_fit = ModelFit(partable=ext, model=model, constraints=fitted.constraints, data=fitted.data,
                       estimator=fitted.estimator, missing=fitted.missing, phi=fitted.phi, x=x_ext,
                       vcov_phi=fitted.vcov_phi, vcov_x=fitted.vcov_x, fit=fitted.fit,
                       information=fitted.information, groups=fitted.groups)
    values = ext_fit.row_values(x_ext)
    cp = np.array(cand_pos)
    values[cp] = np.where(np.isfinite(epc), epc, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        for kind in ("std.all", "std.lv"):
            sepc[kind] = np.real(ext_fit.standardised(x_ext, kind, values)[cp])
    out = pd.DataFrame({"lhs": [c[0] for c in cand], "op": [c[1] for c in cand], "rhs": [c[2] for c in cand],
                        "group": [c[3] for c in cand], "mi": mi, "epc": epc, "sepc.lv": sepc["std.lv"],
                        "sepc.all": sepc["std.all"]}, columns=MODINDICES_COLUMNS)
    return out[np.isfinite(out["mi"])].reset_index(drop=True)
