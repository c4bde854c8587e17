"""Result sentences of the factor analysis for the HTML report, filled in from the tables.

Nothing is computed here: every number is read from a result table and formatted.
"""

from __future__ import annotations

from typing import Mapping

import pandas as pd

from attachstats.output.labels import model_label
from attachstats.output.numbers import ci_text, format_value, p_text

ORDINAL_NOTE = ("Items are analysed as continuous (normal-theory ML, or MLR when the study asks for "
                "robust statistics); factor_analysis.estimator: WLSMV treats them as ordered categories "
                "(DWLS on polychoric correlations).")
WLSMV_NOTE = ("Items are analysed as ordered categories (WLSMV: DWLS on polychoric correlations, robust "
              "standard errors, mean- and variance-adjusted χ²).")
ESTIMATOR_TEXT = {"ML": "ML, complete cases", "MLR": "MLR: robust standard errors, Yuan–Bentler scaled "
                  "χ² and robust CFI/TLI/RMSEA, complete cases",
                  "FIML": "ML with full-information ML for missing answers",
                  "WLSMV": "WLSMV: ordered items, DWLS on polychoric correlations, robust standard errors, "
                           "scaled-shifted χ² and the CFI/TLI/RMSEA computed from it, complete cases"}


def _f(v: object, col: str) -> str:
    return format_value(float(v), col) if pd.notna(v) else "NA"


def _efa_fit_text(d: pd.Series) -> str:
    """psych's EFA fit from an ``efa_diagnostics`` row ("" for tables without it)."""
    if "chi2" not in d.index or pd.isna(d["chi2"]) or pd.isna(d.get("df")):
        return ""
    bits = [f"χ²({int(d['df'])}) = {_f(d['chi2'], 'chi2')}" + (f", {p_text(d['p'])}" if pd.notna(d.get("p")) else "")]
    if pd.notna(d.get("tli")):
        bits.append(f"TLI = {_f(d['tli'], 'tli')}")
    if pd.notna(d.get("rmsea")):
        ci = ci_text(d.get("rmsea_ci_lo"), d.get("rmsea_ci_hi"), "rmsea")
        bits.append(f"RMSEA = {_f(d['rmsea'], 'rmsea')}" + (f", 90% CI {ci}" if ci else ""))
    if pd.notna(d.get("bic")):
        bits.append(f"BIC = {_f(d['bic'], 'bic')}")
    return " (fit as psych::fa reports it: " + "; ".join(bits) + ")"


def _heywood_text(d: pd.Series) -> str:
    """The ultra-Heywood warning of an ``efa_diagnostics`` row ("" when there is none)."""
    items = d.get("heywood")
    if not isinstance(items, str) or not items.strip():
        return ""
    return (f" Warning: ultra-Heywood case — the communality of {items} is 1 or more (a uniqueness "
            "of zero or less), so the solution is improper; examine it, e.g. with fewer factors or "
            "another extraction.")


def factor_results_text(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """Sentences ``cfa_estimator``, ``comparison``, ``efa``, ``invariance``, ``cross_validation``."""
    fit = tables.get("cfa_fit", pd.DataFrame())
    est = str(fit["estimator"].iloc[0]) if len(fit) and "estimator" in fit.columns else "ML"
    text = {"ordinal": WLSMV_NOTE if est == "WLSMV" else ORDINAL_NOTE}
    text["cfa_estimator"] = ESTIMATOR_TEXT.get(est, est)
    comp = tables.get("cfa_comparison", pd.DataFrame())
    if len(comp):
        bits = []
        for r in comp.itertuples():
            kind = "scaled Δχ²" if r.estimator == "MLR" else "Δχ²"
            if r.estimator == "WLSMV":
                test = f"Δdf = {int(r.df_diff)} (no Δχ² test for WLSMV)"
            else:
                test = (f"{kind}({int(r.df_diff)}) = {_f(r.chi2_diff, 'chi2')}, {p_text(r.p)}"
                        if pd.notna(r.chi2_diff) else f"{kind}({int(r.df_diff)}) undefined (negative scaling "
                                                      "correction c_d)")
            bits.append(f"{model_label(r.restricted)} vs {model_label(r.general)}: {test}, "
                        f"ΔCFI = {_f(r.delta_cfi, 'delta_cfi')}, ΔAIC = {_f(r.delta_aic, 'aic')}, "
                        f"ΔBIC = {_f(r.delta_bic, 'bic')}")
        text["comparison"] = ("Nested models (Δ = restricted − general; a negative ΔCFI and a positive ΔAIC "
                              "favour the general model): " + "; ".join(bits) + ".")
    else:
        text["comparison"] = "No nested model pairs were compared."
    diag = tables.get("efa_diagnostics", pd.DataFrame())
    if len(diag):
        d = diag.iloc[0]
        phi = tables.get("efa_factor_correlations", pd.DataFrame())
        cors = ", ".join(f"r({r.factor1}, {r.factor2}) = {_f(r.r, 'std')}" for r in phi.itertuples())
        text["efa"] = (f"Sampling adequacy KMO = {_f(d['kmo'], 'kmo')}; Bartlett's test χ²({int(d['bartlett_df'])}) = "
                       f"{_f(d['bartlett_chi2'], 'chi2')}, {p_text(d['bartlett_p'])} (n = {int(d['n']):,} complete "
                       f"cases). Parallel analysis ({int(d['parallel_iterations'])} simulated data sets, "
                       f"{float(d['parallel_quantile']) * 100:.0f}th percentile, seed {int(d['seed'])}) suggests "
                       f"{int(d['parallel_factors'])} factor(s). The EFA extracted {int(d['n_factors'])} "
                       f"factor(s) by {d['extraction']} with {d['rotation']} rotation"
                       + _efa_fit_text(d)
                       + (f"; factor correlations: {cors}" if cors else "")
                       + f". Loadings below {_f(d['cutoff'], 'std')} are blank in the formatted table."
                       + ("" if bool(d["converged"]) else " Warning: the extraction or rotation did not converge.")
                       + _heywood_text(d))
    else:
        text["efa"] = "No exploratory factor analysis (the study declares no factor_analysis)."
    inv = tables.get("invariance", pd.DataFrame())
    if len(inv) and inv["step"].iloc[0] == "not tested":
        text["invariance"] = f"Measurement invariance was not tested: {inv['note'].iloc[0]}."
    elif len(inv):
        bits = [f"{inv['step'].iloc[0]}: χ²({int(inv['df'].iloc[0])}) = {_f(inv['chi2'].iloc[0], 'chi2')}, "
                f"CFI = {_f(inv['cfi'].iloc[0], 'cfi')}, RMSEA = {_f(inv['rmsea'].iloc[0], 'rmsea')}"]
        ordered = "estimator" in inv.columns and inv["estimator"].iloc[0] == "WLSMV"
        for r in inv.iloc[1:].itertuples():
            test = (f"Δdf = {int(r.df_diff)}" if ordered else
                    f"Δχ²({int(r.df_diff)}) = {_f(r.chi2_diff, 'chi2')}, {p_text(r.p_diff)}")
            bits.append(f"{r.step}: {test}, ΔCFI = {_f(r.delta_cfi, 'delta_cfi')}, "
                        f"ΔRMSEA = {_f(r.delta_rmsea, 'delta_rmsea')}")
        note = inv["note"].iloc[0]
        how = ("WLSMV, ordered items, Wu & Estabrook's identification" if ordered else "ML with mean structure")
        text["invariance"] = (f"Invariance across {inv['group'].iloc[0]} ({inv['groups'].iloc[0]}; {how}): "
                              + "; ".join(bits) + "."
                              + ((f" Note: {note}." if ordered else f" Groups {note}.")
                                 if isinstance(note, str) and note else ""))
    else:
        text["invariance"] = "Measurement invariance was not tested."
    cv = tables.get("cross_validation_fit", pd.DataFrame())
    if len(cv):
        r = cv.iloc[0]
        cong = ", ".join(f"{x.factor} {_f(x.congruence, 'congruence')}" for x in cv.itertuples())
        text["cross_validation"] = (f"Random split (seed {int(r['seed'])}): EFA on {int(r['n_efa']):,} respondents, "
                                    f"CFA ({model_label(r['cfa_model'])}, {r['estimator']}) on the other "
                                    f"{int(r['n_cfa']):,}: χ²({int(r['df'])}) = {_f(r['chi2'], 'chi2')}, "
                                    f"CFI = {_f(r['cfi'], 'cfi')}, RMSEA = {_f(r['rmsea'], 'rmsea')}, "
                                    f"SRMR = {_f(r['srmr'], 'srmr')}; Tucker congruence of the EFA and CFA "
                                    f"loadings: {cong}.")
    else:
        text["cross_validation"] = "No cross-validation (the study declares no factor_analysis)."
    return text
