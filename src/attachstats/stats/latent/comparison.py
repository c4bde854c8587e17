"""Comparison of nested CFA models: likelihood-ratio test and differences in fit.

For a restricted model R nested in a more general model G (e.g. one factor in two; two
factors in two factors plus a method factor), fitted to the same rows with the same
estimator, :func:`compare_models` reports lavaan's ``lavTestLRT(G, R)``:

- ML and FIML: Δχ² = χ²_R − χ²_G on Δdf = df_R − df_G (the difference of the ML
  statistics, which equals 2·(logL_G − logL_R));
- MLR: the Satorra–Bentler (2001) scaled difference, lavaan's default for a scaled test:
  c_d = (df_R·c_R − df_G·c_G) / Δdf and Δχ² = (χ²_ML,R − χ²_ML,G) / c_d, with c the models'
  scaling factors; ``scaling_diff`` reports c_d (a negative c_d, possible in small samples,
  makes the test undefined: NaN);

WLSMV: from fit dictionaries no test (``chi2_diff``, ``p`` NaN), the df and fit-index
differences only; the test needs the fitted models themselves:
:func:`wlsmv_difference_test` (one pair) and :func:`wlsmv_lrt` (a sequence) are lavaan's
``lavTestLRT`` default for DWLS/WLSMV fits (``method = "satorra.2000"``, ``A.method =
"delta"``, scaled-shifted, Satorra 2000; Asparouhov & Muthén 2006);

and the differences of AIC, BIC, CFI, TLI, RMSEA and SRMR, each Δ = R − G (negative ΔCFI
or positive ΔAIC mean the restricted model fits worse). The p value of Δχ² is a
conventional reference only when R lies on the boundary of G (a correlation of 1, a method
factor variance of 0): such tests are conservative (Stoel et al., 2006).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Sequence

import numpy as np
import pandas as pd
import scipy.linalg

from attachstats.errors import ModelError
from attachstats.stats.latent.fit_indices import chi2_pvalue
from attachstats.stats.latent.ordinal import DWLSInformation
from attachstats.stats.threads import small_matrix_work

__all__ = ["COMPARISON_COLUMNS", "LRT_COLUMNS", "compare_models", "wlsmv_difference_test", "wlsmv_lrt"]

#: Columns of :func:`wlsmv_lrt` (lavaan ``lavTestLRT``: ``Df, Chisq, Chisq diff, Df diff, Pr(>Chisq)``).
LRT_COLUMNS = ["model", "df", "chisq", "chisq_diff", "df_diff", "pvalue", "a", "b"]

#: Columns of :func:`compare_models` (``tables/cfa_comparison.csv``).
COMPARISON_COLUMNS = ["restricted", "general", "estimator", "n", "chi2_diff", "df_diff", "p",
                      "scaling_diff", "delta_aic", "delta_bic", "delta_cfi", "delta_tli",
                      "delta_rmsea", "delta_srmr"]


def compare_models(fits: Sequence[dict], pairs: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Likelihood-ratio tests and fit differences of nested pairs of fitted models.

    Parameters
    ----------
    fits : sequence of dict
        Fit dictionaries (``CFAResult.fit``, keys of
        :data:`attachstats.stats.latent.fit_indices.FIT_COLUMNS`).
    pairs : sequence of (restricted, general)
        Model names; the restricted model must have more degrees of freedom.

    Returns
    -------
    DataFrame
        Columns :data:`COMPARISON_COLUMNS`, one row per pair.

    Raises
    ------
    ModelError
        A name without a fit, models fitted with different estimators or to different
        numbers of rows, or a "restricted" model with no more df than the general one.

    Examples
    --------
    >>> a = dict(model="a", estimator="ML", n=100, chi2=30.0, df=10, chi2_ml=30.0,
    ...          scaling_factor=float("nan"), aic=1030.0, bic=1060.0, cfi=.9, tli=.88,
    ...          rmsea=.1, srmr=.06)
    >>> b = dict(a, model="b", chi2=12.0, df=9, chi2_ml=12.0, aic=1014.0, bic=1046.0, cfi=.99)
    >>> float(round(compare_models([a, b], [("a", "b")]).loc[0, "chi2_diff"], 6))
    18.0
    """
    by_name = {f["model"]: f for f in fits}
    rows = []
    for restricted, general in pairs:
        missing = [m for m in (restricted, general) if m not in by_name]
        if missing:
            raise ModelError(f"model comparison: no fitted model named {', '.join(missing)} "
                             f"(fitted: {', '.join(by_name)})")
        r, g = by_name[restricted], by_name[general]
        if r["estimator"] != g["estimator"] or r["n"] != g["n"]:
            raise ModelError(f"model comparison {restricted} vs {general}: fitted with different "
                             f"estimators or rows ({r['estimator']}, n = {r['n']}; "
                             f"{g['estimator']}, n = {g['n']})")
        ddf = r["df"] - g["df"]
        if ddf <= 0:
            raise ModelError(f"model comparison: {restricted!r} (df = {r['df']}) is not more "
                             f"restricted than {general!r} (df = {g['df']})")
        cd = math.nan
        if r["estimator"] == "MLR":
            cd = (r["df"] * r["scaling_factor"] - g["df"] * g["scaling_factor"]) / ddf
            dx = (r["chi2_ml"] - g["chi2_ml"]) / cd if cd > 0 else math.nan
        elif r["estimator"] == "WLSMV":
            dx = math.nan          # the DWLS difference test (Satorra 2000) is not implemented
        else:
            dx = r["chi2_ml"] - g["chi2_ml"]
        rows.append({"restricted": restricted, "general": general, "estimator": r["estimator"],
                     "n": r["n"], "chi2_diff": dx, "df_diff": ddf,
                     "p": chi2_pvalue(max(dx, 0.0), ddf) if math.isfinite(dx) else math.nan,
                     "scaling_diff": cd,
                     **{f"delta_{k}": r[k] - g[k] for k in ("aic", "bic", "cfi", "tli", "rmsea", "srmr")}})
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)


def _dwls(fit: Any, label: str) -> DWLSInformation:
    info = getattr(fit, "dwls", None)
    if not isinstance(info, DWLSInformation):
        raise ModelError(f"model comparison: {label} is not a WLSMV fit of ordered items "
                         "(the DWLS difference test needs fit_ordinal_cfa / ordinal invariance results)")
    return info


@small_matrix_work
def wlsmv_difference_test(restricted: Any, general: Any, names: tuple[str, str] = ("restricted", "general")
                          ) -> dict[str, float]:
    """Scaled-shifted χ² difference test of two nested WLSMV fits (lavaan ``lavTestLRT`` default).

    lavaan's ``lav_test_diff_Satorra2000(general, restricted, A.method = "delta",
    scaled.shifted = TRUE)``: with Δ₁, Δ₀ the models' Jacobians of the sample statistics
    (thresholds, polychorics of every group) at their own estimates, A spans the orthogonal
    complement of the columns of Δ₁⁺Δ₀ (the directions of the general model's parameter
    space that the restricted model gives up); with P = E⁻¹ the general model's inverse
    information and M = Σ_g f_g Δ_g′W_gΓ_gW_gΔ_g, the matrix UΓ has the traces
    t₁ = tr(P A′(APA′)⁺AP M) and t₂ = tr((P A′(APA′)⁺AP M)²), and with Δdf = df₀ − df₁,
    a = √(Δdf/t₂), b = Δdf − a·t₁, Δχ² = a·(T₀ − T₁) + b on Δdf degrees of freedom
    (T the DWLS statistics, not the scaled ones). Nothing is assumed about how the
    restricted model is written: constraints, fixed values or fewer parameters.

    Parameters
    ----------
    restricted, general : OrdinalCFAResult or OrdinalInvarianceResult
        Fitted to the same rows (same items, groups and group sizes); ``restricted`` has
        more degrees of freedom.
    names : (str, str)
        The two models' names for messages.

    Returns
    -------
    dict
        ``chisq_diff, df_diff, pvalue, a, b, trace_ug, trace_ug2``.

    Raises
    ------
    ModelError
        Not WLSMV fits, fitted to other sample statistics, or ``restricted`` with fewer df.
        Equal df (e.g. the thresholds step when every item has three categories): as lavaan,
        the difference of the DWLS statistics on 0 df and no p value.

    Examples
    --------
    R: ``lavTestLRT(general, restricted)`` for WLSMV fits (``method = "satorra.2000"``).
    See ``tests/unit/test_ordinal_lrt.py``.
    """
    r, g = _dwls(restricted, names[0]), _dwls(general, names[1])
    if r.statistics != g.statistics:
        raise ModelError(f"model comparison {names[0]} vs {names[1]}: the models were fitted to different "
                         "items, groups or rows; a difference test needs the same sample statistics")
    m = r.df - g.df
    if m < 0:
        raise ModelError(f"model comparison: {names[0]!r} (df = {r.df}) is not more restricted than "
                         f"{names[1]!r} (df = {g.df})")
    if m == 0:          # lavaan: the plain difference, no test (e.g. the thresholds step of 3-category items)
        return {"chisq_diff": r.chisq - g.chisq, "df_diff": 0, "pvalue": math.nan, "a": math.nan, "b": math.nan,
                "trace_ug": math.nan, "trace_ug2": math.nan}
    d1, d0 = np.vstack(g.deltas), np.vstack(r.deltas)
    h = scipy.linalg.lstsq(d1, d0, lapack_driver="gelsy")[0]      # Δ₁⁺Δ₀, q1 x q0 (Δ₁ has full column rank)
    # orthogonal complement of the columns of H: pivoted QR, rank by lavaan's qr() tolerance
    qm, rm, _ = scipy.linalg.qr(h, mode="full", pivoting=True)
    dr = np.abs(np.diag(rm))
    rank = int(np.sum(dr > 1e-7 * dr[0])) if dr.size and dr[0] > 0 else 0
    a_mat = qm[:, rank:].T                                        # (q1 - rank) x q1, orthonormal rows
    p_inv = g.e_inv
    apa = a_mat @ p_inv @ a_mat.T
    eps = math.sqrt(np.finfo(float).eps)
    keep = ~((np.abs(apa.sum(axis=0)) < eps) & (np.abs(apa.sum(axis=1)) < eps))
    a_mat = a_mat[keep]
    paap = p_inv @ a_mat.T @ np.linalg.pinv(a_mat @ p_inv @ a_mat.T) @ a_mat @ p_inv
    ug = paap @ g.meat
    t1 = float(np.trace(ug))
    t2 = float(np.sum(ug * ug.T))
    a = math.sqrt(m / t2)
    b = m - a * t1
    stat = (r.chisq - g.chisq) * a + b
    return {"chisq_diff": stat, "df_diff": m, "pvalue": chi2_pvalue(max(stat, 0.0), m), "a": a, "b": b,
            "trace_ug": t1, "trace_ug2": t2}


def wlsmv_lrt(fits: Mapping[str, Any]) -> pd.DataFrame:
    """lavaan ``lavTestLRT(m1, m2, ...)`` of WLSMV fits: each model against the next less restricted.

    The models are ordered by df (ties keep their given order), as lavaan; the first row
    has no test. Columns :data:`LRT_COLUMNS` (``chisq`` is the DWLS statistic of the model,
    lavaan's ``Chisq`` column; ``a``, ``b`` the scaling and shift of the difference).

    Examples
    --------
    R: ``lavTestLRT(configural, thresholds, metric, scalar)``; see
    :func:`wlsmv_difference_test`.
    """
    named = [(k, _dwls(v, k)) for k, v in fits.items()]
    order = sorted(range(len(named)), key=lambda i: named[i][1].df)
    rows = []
    for pos, i in enumerate(order):
        name, info = named[i]
        row = {"model": name, "df": info.df, "chisq": info.chisq, "chisq_diff": math.nan, "df_diff": math.nan,
               "pvalue": math.nan, "a": math.nan, "b": math.nan}
        if pos > 0:
            prev = named[order[pos - 1]][0]
            t = wlsmv_difference_test(fits[name], fits[prev], (name, prev))
            row.update({k: t[k] for k in ("chisq_diff", "df_diff", "pvalue", "a", "b")})
        rows.append(row)
    return pd.DataFrame(rows, columns=LRT_COLUMNS)
