"""Rules of ``workflow/rules/measure.smk``: the factor analysis a study declares.

CFA models and their comparison, EFA with parallel analysis, measurement invariance and
cross-validation, on the keyed items of one instrument. Each rule function reads
``interim/clean.parquet`` and writes its tables; the ``study_*`` functions beside them do
the same on DataFrames (a notebook can call them). Settings come from the study's
``factor_analysis`` block, with the defaults of :func:`attachstats.spec.factor.settings`.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from attachstats.data.csvio import write_csv
from attachstats.data.scoring import keyed_items
from attachstats.data.validate import in_file_terms
from attachstats.errors import ModelError
from attachstats.spec.factor import estimator_problem, factor_structure, settings
from attachstats.spec.instrument import instrument_of
from attachstats.stats import efa as efa_stats
from attachstats.stats.latent.cfa import (FACTOR_CORRELATION_COLUMNS, LOADING_COLUMNS, fit_cfa, fit_identified,
                                          fit_table, wlsmv_fit_row)
from attachstats.stats.latent.comparison import COMPARISON_COLUMNS, compare_models, wlsmv_lrt
from attachstats.stats.latent.fit_indices import FIT_COLUMNS, FIT_STATISTICS
from attachstats.stats.latent.ordinal_invariance import ordinal_invariance_steps
from attachstats.stats.latent.invariance import INVARIANCE_COLUMNS, invariance_table
from attachstats.stats.latent.syntax import build_model_syntax, method_factor_syntax, parse_syntax
from attachstats.stats.rng import seeded_rng, stream_seed

__all__ = ["cfa", "efa", "invariance", "cross_validation", "study_models", "study_cfa", "check_estimator",
           "study_efa", "study_invariance", "study_cross_validation", "CROSS_VALIDATION_COLUMNS",
           "CROSS_VALIDATION_FIT_COLUMNS", "EFA_DIAGNOSTIC_COLUMNS"]

log = logging.getLogger(__name__)

#: Columns of ``tables/efa_diagnostics.csv``: the sampling adequacy, Bartlett's test, the
#: parallel analysis and the settings, then the EFA's fit as ``psych::fa`` reports it
#: (``STATISTIC, dof, PVAL, TLI, RMSEA`` with its 90% interval, ``BIC``) and ``heywood``,
#: the items with a communality of 1 or more (comma-separated; empty when none).
EFA_DIAGNOSTIC_COLUMNS = ["n", "k", "kmo", "bartlett_chi2", "bartlett_df", "bartlett_p",
                          "parallel_factors", "parallel_components", "parallel_iterations",
                          "parallel_quantile", "seed", "n_factors", "extraction", "rotation",
                          "cutoff", "converged", "chi2", "df", "p", "tli", "rmsea", "rmsea_ci_lo",
                          "rmsea_ci_hi", "bic", "heywood"]
#: Columns of ``tables/cross_validation.csv``.
CROSS_VALIDATION_COLUMNS = ["item", "factor", "efa_factor", "efa_loading", "efa_max_other",
                            "efa_h2", "efa_primary_agrees", "cfa_std", "cfa_std_ci_lo",
                            "cfa_std_ci_hi"]
#: Columns of ``tables/cross_validation_fit.csv``.
CROSS_VALIDATION_FIT_COLUMNS = ["factor", "efa_factor", "congruence", "n_efa", "n_cfa", "seed",
                                "cfa_model", "estimator", "chi2", "df", "p", "cfi", "tli",
                                "rmsea", "rmsea_ci_lo", "rmsea_ci_hi", "srmr"]


# ---------------------------------------------------------------------------------------
# models
# ---------------------------------------------------------------------------------------

def study_models(study: Mapping[str, Any]) -> dict[str, str]:
    """Model name -> lavaan syntax of every CFA model the study declares (or the defaults)."""
    s = settings(study)
    _, by_sub, all_items, reverse = factor_structure(study)
    out = {}
    for m in s["models"]:
        if isinstance(m, Mapping):
            out[m["name"]] = m["syntax"]
        elif m == "one_factor":
            out[m] = build_model_syntax({"general": all_items})
        elif m == "two_factor":
            out[m] = build_model_syntax(by_sub)
        else:
            out[m] = method_factor_syntax(by_sub, reverse)
    return out


def _keyed(data: pd.DataFrame, study: Mapping[str, Any]) -> pd.DataFrame:
    key = study["factor_analysis"]["instrument"]
    return keyed_items(data, key, instrument_of(study, key))


# ---------------------------------------------------------------------------------------
# CFA and model comparison
# ---------------------------------------------------------------------------------------

def check_estimator(study: Mapping[str, Any]) -> None:
    """Refuse an estimator the study's items or missing-data option cannot take.

    Raises
    ------
    ModelError
        The message of :func:`attachstats.spec.factor.estimator_problem` (the key and the fix).
    """
    problem = estimator_problem(study)
    if problem:
        raise ModelError(problem)


def study_cfa(data: pd.DataFrame, study: Mapping[str, Any]) -> tuple[pd.DataFrame, ...]:
    """Fit every model; return (fit, loadings, latent correlations, comparisons).

    With ``estimator: WLSMV`` every model is fitted with its items treated as ordered
    (see :func:`attachstats.stats.latent.cfa.fit_cfa` for the columns); the nested
    comparisons then report df and the differences of the fit indices, while
    ``chi2_diff``/``p`` are NaN (the DWLS difference test, lavaan's ``satorra.2000``, is
    not implemented; a warning is logged).
    """
    if not study.get("factor_analysis"):
        return (pd.DataFrame(columns=FIT_COLUMNS), pd.DataFrame(columns=LOADING_COLUMNS),
                pd.DataFrame(columns=FACTOR_CORRELATION_COLUMNS), pd.DataFrame(columns=COMPARISON_COLUMNS))
    check_estimator(study)
    s = settings(study)
    keyed = _keyed(data, study)
    results = []
    for name, syntax in study_models(study).items():
        log.info("CFA model %r: fitting (%s, missing: %s) ...", name, s["estimator"], s["missing"])
        results.append(fit_identified(keyed, syntax, name, estimator=s["estimator"], missing=s["missing"]))
    fits = fit_table(results)
    comparison = compare_models([r.fit for r in results], [tuple(p) for p in s["comparisons"]])
    if s["estimator"] == "WLSMV" and len(comparison):
        log.warning("CFA comparisons with WLSMV: chi2_diff and p are not computed (the DWLS difference test, "
                    "lavaan's satorra.2000, is not implemented); df_diff and the fit-index differences are given")
    return (fits, pd.concat([r.loadings for r in results], ignore_index=True),
            pd.concat([r.factor_correlations for r in results], ignore_index=True), comparison)


# ---------------------------------------------------------------------------------------
# EFA
# ---------------------------------------------------------------------------------------

def _n_factors(setting: Any, n_subscales: int, pa_factors: int) -> int:
    if setting == "subscales":
        return n_subscales
    if setting == "parallel":
        return max(pa_factors, 1)
    return int(setting)


def study_efa(data: pd.DataFrame, study: Mapping[str, Any], seed: int) -> dict[str, pd.DataFrame]:
    """KMO, Bartlett, parallel analysis and the rotated EFA of the keyed items (complete cases).

    Returns tables by name: ``efa_loadings``, ``efa_factors``, ``efa_factor_correlations``,
    ``efa_diagnostics`` (with the EFA's fit as ``psych::fa`` reports it and the items of an
    ultra-Heywood case, which are also logged), ``parallel_analysis``. Factor columns carry
    psych's names, which follow the rotation's order while the columns follow the variance
    accounted for (``MR2, MR1`` is possible).
    """
    if not study.get("factor_analysis"):
        return _empty_efa()
    s = settings(study)
    e = s["efa"]
    _, by_sub, all_items, _ = factor_structure(study)
    items = _keyed(data, study)[all_items]
    r, n = efa_stats.correlation_matrix(items)
    pa = efa_stats.parallel_analysis(r, n, n_iter=int(e["parallel_iterations"]),
                                     quantile=float(e["parallel_quantile"]), seed=stream_seed(seed, "parallel"))
    m = _n_factors(e["n_factors"], len(by_sub), pa.n_factors)
    res = efa_stats.fit_efa(r, m, all_items, n, method=e["extraction"], rotation=e["rotation"])
    chi, df, p = efa_stats.bartlett(r, n)
    fit = res.fit
    diag = pd.DataFrame([{"n": n, "k": len(all_items), "kmo": res.kmo, "bartlett_chi2": chi,
                          "bartlett_df": df, "bartlett_p": p, "parallel_factors": pa.n_factors,
                          "parallel_components": pa.n_components, "parallel_iterations": pa.n_iter,
                          "parallel_quantile": pa.quantile, "seed": pa.seed, "n_factors": m,
                          "extraction": e["extraction"], "rotation": e["rotation"],
                          "cutoff": float(e["cutoff"]), "converged": res.converged,
                          "chi2": fit.chi2, "df": fit.df, "p": fit.p, "tli": fit.tli, "rmsea": fit.rmsea,
                          "rmsea_ci_lo": fit.rmsea_ci_lo, "rmsea_ci_hi": fit.rmsea_ci_hi, "bic": fit.bic,
                          "heywood": ", ".join(res.heywood)}],
                        columns=EFA_DIAGNOSTIC_COLUMNS)
    if not res.converged:
        log.warning("EFA: the extraction or rotation did not converge; see efa_diagnostics.csv")
    if res.heywood:
        log.warning("EFA: ultra-Heywood case: communality h2 >= 1 for %s (%d factors, %s, %s); the "
                    "solution is improper (psych: 'An ultra-Heywood case was detected'); see the "
                    "heywood column of efa_diagnostics.csv", ", ".join(res.heywood), m, e["extraction"],
                    e["rotation"])
    rows = [{"factor1": a, "factor2": b, "r": float(res.phi.loc[a, b])}
            for i, a in enumerate(res.factors) for b in res.factors[i + 1:]]
    return {"efa_loadings": efa_stats.loading_table(res), "efa_factors": res.variance,
            "efa_factor_correlations": pd.DataFrame(rows, columns=["factor1", "factor2", "r"]),
            "efa_diagnostics": diag, "parallel_analysis": pa.table}


def _empty_efa() -> dict[str, pd.DataFrame]:
    return {"efa_loadings": pd.DataFrame(columns=["item", "h2", "u2", "complexity", "msa", "primary"]),
            "efa_factors": pd.DataFrame(columns=["factor", "ss_loadings", "proportion_var", "cumulative_var",
                                                 "proportion_explained", "cumulative_proportion"]),
            "efa_factor_correlations": pd.DataFrame(columns=["factor1", "factor2", "r"]),
            "efa_diagnostics": pd.DataFrame(columns=EFA_DIAGNOSTIC_COLUMNS),
            "parallel_analysis": pd.DataFrame(columns=["factor", "observed", "simulated_mean",
                                                       "simulated_quantile", "observed_pc",
                                                       "simulated_pc_mean", "simulated_pc_quantile"])}


# ---------------------------------------------------------------------------------------
# invariance
# ---------------------------------------------------------------------------------------

def study_invariance(data: pd.DataFrame, study: Mapping[str, Any]) -> pd.DataFrame:
    """The invariance sequence across the configured grouping variable.

    The table always has rows: when the invariance cannot be tested (no such variable,
    fewer than two groups with ``min_group_n`` complete cases) it holds one row with step
    ``not tested`` and the reason in ``note``; groups left out for size are named in
    ``note`` as well.
    """
    columns = INVARIANCE_COLUMNS + ["estimator", "note"]
    if not study.get("factor_analysis"):
        return pd.DataFrame([{c: math.nan for c in columns} | {"step": "not tested", "group": "", "groups": "",
                              "note": "the study declares no factor_analysis"}], columns=columns)
    s = settings(study)
    inv = s["invariance"]
    group = inv["group"]

    def not_tested(reason: str) -> pd.DataFrame:
        log.info("measurement invariance not tested: %s", reason)
        row = {c: math.nan for c in columns} | {"step": "not tested", "group": group, "groups": "",
                                                 "note": reason}
        return pd.DataFrame([row], columns=columns)

    if group not in study.get("variables", {}) or group not in data.columns:
        return not_tested(f"the study declares no variable {group!r} (set factor_analysis.invariance.group)")
    keyed = _keyed(data, study)
    model_syntax = study_models(study).get("two_factor") or next(iter(study_models(study).values()))
    used = parse_syntax(model_syntax, "invariance").observed
    frame = keyed[used].assign(**{group: data[group].astype("string")})
    complete = frame[used].notna().all(axis=1) & frame[group].notna()
    counts = frame.loc[complete, group].value_counts()
    if inv.get("groups"):
        levels = [str(g) for g in inv["groups"]]
        small = []
    else:
        min_n = max(int(inv["min_group_n"]), len(used) + 1)
        levels = sorted(str(g) for g, k in counts.items() if k >= min_n)
        ref = study["variables"][group].get("reference")
        if ref in levels:
            levels = [ref] + [g for g in levels if g != ref]
        small = [f"{g} (n = {k})" for g, k in sorted(counts.items()) if str(g) not in levels]
    note = (f"left out for fewer than {max(int(inv['min_group_n']), len(used) + 1)} complete cases: "
            + ", ".join(small)) if small else ""
    if len(levels) < 2:
        return not_tested(f"fewer than two groups of {group!r} with enough complete cases"
                          + (f"; {note}" if note else ""))
    if s["estimator"] == "WLSMV":
        try:
            table, extra = _ordinal_invariance(frame.loc[complete], model_syntax, group, levels, list(inv["steps"]))
        except ModelError as exc:      # e.g. a category nobody in one group chose: stated, not hidden
            return not_tested(f"the WLSMV invariance models cannot be fitted ({exc}); merge sparse categories "
                              "in the data, or set factor_analysis.estimator: ML or MLR"
                              + (f"; {note}" if note else ""))
        note = "; ".join(x for x in (extra, note) if x)
    else:
        table, _ = invariance_table(frame, model_syntax, group, steps=tuple(inv["steps"]), groups=levels)
        table["estimator"] = "ML"
    table["note"] = note
    return table[columns]


#: The ordinal invariance sequence (semTools ``measEq.syntax``, Wu & Estabrook 2016, delta).
ORDINAL_STEPS = ("configural", "thresholds", "metric", "scalar")


def _ordinal_invariance(data: pd.DataFrame, syntax: str, group: str, levels: list[str],
                        steps: list[str]) -> tuple[pd.DataFrame, str]:
    """The WLSMV invariance steps as rows of ``invariance.csv``, and a note.

    The asked steps in the ordinal sequence, with ``thresholds`` (equal thresholds, Wu &
    Estabrook 2016) before ``metric``; ``strict`` does not exist for ordered items (the
    residual variances follow from the delta parameterisation) and is left out, said in the
    note. Fit columns as the CFA's WLSMV mapping (:func:`attachstats.stats.latent.cfa.wlsmv_fit_row`);
    ``chi2_diff``/``df_diff``/``p_diff`` are lavaan's ``lavTestLRT`` of each step against the
    one before (scaled-shifted, :func:`attachstats.stats.latent.comparison.wlsmv_lrt`), with the
    Δ of the fit indices. The groups are fitted in ``levels`` order.
    """
    want = [st for st in ORDINAL_STEPS
            if st in steps or (st == "thresholds" and ("metric" in steps or "scalar" in steps))]
    notes = []
    if "strict" in steps:
        notes.append("strict invariance is not defined for ordered items (delta parameterisation) and was "
                     "left out")
    rows_in = data[data[group].isin(levels)]
    order = np.argsort(rows_in[group].map({g: i for i, g in enumerate(levels)}).to_numpy(), kind="stable")
    rows_in = rows_in.iloc[order]
    results = ordinal_invariance_steps(syntax, rows_in, group, steps=want, name="invariance")
    lrt = wlsmv_lrt({st: results[st] for st in want}).set_index("model")
    rows, prev = [], None
    for st in want:
        res = results[st]
        f = wlsmv_fit_row(st, res.fit, int(sum(res.n)))
        row = {"step": st, "group": group, "groups": ", ".join(str(g) for g in res.groups),
               **{k: f[k] for k in FIT_STATISTICS}, "estimator": "WLSMV",
               "chi2_diff": lrt.loc[st, "chisq_diff"], "p_diff": lrt.loc[st, "pvalue"],
               "delta_aic": math.nan, "delta_bic": math.nan}
        if prev is None:
            row.update(df_diff=math.nan, delta_cfi=math.nan, delta_rmsea=math.nan, delta_srmr=math.nan)
        else:
            row.update(df_diff=f["df"] - prev["df"], delta_cfi=f["cfi"] - prev["cfi"],
                       delta_rmsea=f["rmsea"] - prev["rmsea"], delta_srmr=f["srmr"] - prev["srmr"])
        rows.append(row)
        prev = f
    return pd.DataFrame(rows, columns=INVARIANCE_COLUMNS + ["estimator"]), "; ".join(notes)


# ---------------------------------------------------------------------------------------
# cross-validation
# ---------------------------------------------------------------------------------------

def study_cross_validation(data: pd.DataFrame, study: Mapping[str, Any],
                           seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """EFA on a random part of the complete cases, CFA of the theory model on the rest.

    The split is seeded; ``split`` (default .5) is the EFA share. The EFA extracts as many
    factors as the instrument has subscales; each EFA factor is matched to the subscale
    whose items load on it most (an assignment maximising the summed mean absolute
    loadings). Returns the item table and a per-factor table with Tucker's congruence
    between the EFA loadings and the CFA standardised loadings and the CFA fit.
    """
    if not study.get("factor_analysis"):
        return (pd.DataFrame(columns=CROSS_VALIDATION_COLUMNS), pd.DataFrame(columns=CROSS_VALIDATION_FIT_COLUMNS))
    check_estimator(study)
    s = settings(study)
    e = s["efa"]
    _, by_sub, all_items, _ = factor_structure(study)
    keyed = _keyed(data, study)[all_items]
    complete = keyed.dropna()
    n = len(complete)
    split = float(s["cross_validation"]["split"])
    rng = seeded_rng(stream_seed(seed, "split"))
    order = rng.permutation(n)
    n_a = int(round(n * split))
    half_a = complete.iloc[np.sort(order[:n_a])]
    half_b = complete.iloc[np.sort(order[n_a:])]
    factors = by_sub if len(by_sub) >= 2 else {"general": all_items}
    m = len(factors)
    r, n_efa = efa_stats.correlation_matrix(half_a)
    ex = efa_stats.fit_efa(r, m, all_items, n_efa, method=e["extraction"], rotation=e["rotation"])
    model = "two_factor" if m >= 2 else "one_factor"
    res = fit_cfa(half_b, build_model_syntax(factors), model, estimator=s["estimator"])
    lo = ex.loadings.abs()
    score = np.array([[lo.loc[its, f].mean() for f in ex.factors] for its in factors.values()])
    from scipy.optimize import linear_sum_assignment   # heavy: only this rule needs it

    rows_i, cols_i = linear_sum_assignment(-score)
    match = {list(factors)[i]: ex.factors[j] for i, j in zip(rows_i, cols_i)}
    std = res.loadings.set_index(["factor", "item"])
    item_rows, fit_rows = [], []
    primary = ex.loadings.abs().idxmax(axis=1)
    for fac, its in factors.items():
        ef = match[fac]
        for it in its:
            others = [abs(ex.loadings.loc[it, g]) for g in ex.factors if g != ef]
            c = std.loc[(fac, it)]
            item_rows.append({"item": it, "factor": fac, "efa_factor": ef,
                              "efa_loading": float(ex.loadings.loc[it, ef]),
                              "efa_max_other": float(max(others)) if others else math.nan,
                              "efa_h2": float(ex.h2[it]), "efa_primary_agrees": bool(primary[it] == ef),
                              "cfa_std": float(c["std"]), "cfa_std_ci_lo": float(c["std_ci_lo"]),
                              "cfa_std_ci_hi": float(c["std_ci_hi"])})
        x = ex.loadings[ef].to_numpy()
        y = np.array([float(std.loc[(fac, it), "std"]) if (fac, it) in std.index else 0.0 for it in all_items])
        fit_rows.append({"factor": fac, "efa_factor": ef,
                         "congruence": float(x @ y / math.sqrt((x @ x) * (y @ y))),
                         "n_efa": n_efa, "n_cfa": res.n, "seed": stream_seed(seed, "split"), "cfa_model": model,
                         **{k: res.fit[k] for k in ("estimator", "chi2", "df", "p", "cfi", "tli", "rmsea",
                                                   "rmsea_ci_lo", "rmsea_ci_hi", "srmr")}})
    return (pd.DataFrame(item_rows, columns=CROSS_VALIDATION_COLUMNS),
            pd.DataFrame(fit_rows, columns=CROSS_VALIDATION_FIT_COLUMNS))


# ---------------------------------------------------------------------------------------
# rules
# ---------------------------------------------------------------------------------------

def cfa(clean: str | Path, out: Mapping[str, str], study: Mapping[str, Any]) -> None:
    """Rule ``cfa``: fit every CFA model of the study and test the nested comparisons.

    Writes ``out["fit"]``, ``out["loadings"]``, ``out["correlations"]`` and ``out["comparison"]``
    (see :func:`study_cfa`). R equivalent: ``lavaan::cfa`` per model, ``lavaan::lavTestLRT``.
    """
    with in_file_terms(study):     # messages name the file's item headers
        fit, loadings, correlations, comparison = study_cfa(pd.read_parquet(clean), study)
        write_csv(fit, out["fit"])
        write_csv(loadings, out["loadings"])
        write_csv(correlations, out["correlations"])
        write_csv(comparison, out["comparison"])


def efa(clean: str | Path, out: Mapping[str, str], study: Mapping[str, Any], seed: int) -> None:
    """Rule ``efa``: KMO, Bartlett's test, parallel analysis (seeded) and the rotated EFA.

    Writes one CSV per table of :func:`study_efa` to ``out[<table name>]``.
    R equivalent: ``psych::KMO``, ``psych::cortest.bartlett``, ``psych::fa.parallel``, ``psych::fa``.
    """
    with in_file_terms(study):     # messages name the file's item headers
        for name, table in study_efa(pd.read_parquet(clean), study, seed).items():
            write_csv(table, out[name])


def invariance(clean: str | Path, out: str | Path, study: Mapping[str, Any]) -> None:
    """Rule ``invariance``: configural, metric, scalar (and strict) models across the group.

    Writes the table of :func:`study_invariance` to ``out``.
    R equivalent: ``semTools::measEq.syntax`` models compared with ``lavaan::lavTestLRT``.
    """
    with in_file_terms(study):     # messages name the file's item headers
        write_csv(study_invariance(pd.read_parquet(clean), study), out)


def cross_validation(clean: str | Path, out: Mapping[str, str], study: Mapping[str, Any], seed: int) -> None:
    """Rule ``cross_validation``: EFA on one random half, CFA of the theory model on the other.

    Writes ``out["item_table"]`` and ``out["fit"]`` (see :func:`study_cross_validation`).
    """
    with in_file_terms(study):     # messages name the file's item headers
        items, fit = study_cross_validation(pd.read_parquet(clean), study, seed)
        write_csv(items, out["item_table"])
        write_csv(fit, out["fit"])

