"""Result tables for readers: the APA table set, the displayed table, Markdown/HTML.

Computation never formats numbers; these functions never compute statistics (they select,
label, order and format what the result tables hold). The number style is
:mod:`attachstats.output.numbers`, the layout :mod:`attachstats.output.apa`, the words
:mod:`attachstats.output.labels`; CSV files (full precision, every column, machine names) are
written by :mod:`attachstats.data.csvio`.

:func:`apa_table_set` builds the tables a paper reports, each a deliberate selection of
columns, numbered in the order they appear: participant flow; descriptives and correlations
(as ``apaTables::apa.cor.table``, with alpha on the diagonal); reliability; EFA loadings; CFA
fit and nested comparisons; measurement invariance; one regression table per outcome model (as
``apaTables::apa.reg.table``: b [95% CI], β, sr², p, R² and ΔR² per step; OR/IRR for GLMs with
z); simple slopes with the Johnson–Neyman region; mediation. :func:`write_formatted_tables`
writes them (and every other result table, labelled) as Markdown, LaTeX and Word.

Example
-------
>>> import pandas as pd
>>> from attachstats.output.labels import StudyLabels
>>> flow = pd.DataFrame({"stage": ["raw", "speeding", "analysed"], "n_before": [10, 10, 9],
...                      "n_excluded": [0, 1, 0], "n_after": [10, 9, 9]})
>>> m = flow_table(flow, StudyLabels())
>>> m.columns, m.rows[1]
(['Stage', 'Excluded', 'Remaining'], ['Speeding (too few seconds per item)', '1', '9'])
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from attachstats.output.apa import CI_PAIRS, TableModel, split_columns, html, latex, markdown, table_model, write_docx_tables
from attachstats.output.labels import LABELS, PATH_LABELS, STAGE_LABELS, StudyLabels, split_interaction, title, words
from attachstats.output.numbers import MINUS, ci_text, format_value, is_missing, p_text, significance_marks
from attachstats.output.report.guardrails import FIT_CRITERIA, judge_fit, unstable_interval
from attachstats.spec.factor import EFA_DEFAULTS

__all__ = ["display_table", "to_markdown", "to_html", "apa_correlations", "apa_table_set", "write_formatted_tables",
           "labelled_table", "flow_table", "correlation_matrix_table", "reliability_table", "efa_loadings_table",
           "cfa_fit_table", "cfa_comparison_table", "invariance_table", "regression_tables", "moderation_tables",
           "mediation_tables", "relabel_text", "APA_SOURCES"]


def display_table(df: pd.DataFrame, name: str, *, cutoff: float = EFA_DEFAULTS["cutoff"]) -> pd.DataFrame:
    """The table as shown to readers: EFA loadings below the cut-off blanked.

    Only formatted tables (Markdown, LaTeX, Word, HTML) use this; the CSV keeps every value.

    Parameters
    ----------
    df : pandas.DataFrame
        A result table as read from its CSV.
    name : str
        The table's name; only ``efa_loadings`` is changed. Its loading columns are those
        between ``item`` and ``h2``.
    cutoff : float, default 0.3
        Absolute loadings below this are blanked: the study's
        ``spec.factor.settings(study)["efa"]["cutoff"]``.

    Returns
    -------
    pandas.DataFrame
        ``df`` itself for every other table, else a copy with the small loadings missing.
    """
    if name != "efa_loadings" or df.empty or "h2" not in df.columns:
        return df
    cols = list(df.columns)
    loading_cols = cols[cols.index("item") + 1:cols.index("h2")]
    out = df.copy()
    for c in loading_cols:
        out[c] = out[c].where(out[c].abs() >= float(cutoff))
    return out


def to_markdown(df: pd.DataFrame, name: str, number: int | None = None) -> str:
    """A result table as APA-style Markdown (see :mod:`attachstats.output.apa`)."""
    return markdown(table_model(df, name, number))


def to_html(df: pd.DataFrame, name: str, number: int | None = None) -> str:
    """A result table as an APA-style HTML table (see :mod:`attachstats.output.apa`)."""
    return html(table_model(df, name, number))


def apa_correlations(descriptives: pd.DataFrame, correlations: pd.DataFrame,
                     labels: StudyLabels | None = None) -> pd.DataFrame:
    """The APA-style correlation matrix as a table of text cells (formatting only).

    Rows are the numbered variables; columns ``Variable, n, M, SD, 1, 2, ...``; the diagonal
    holds alpha in parentheses (empty for covariates); the lower triangle ``r`` with
    significance marks and the 95% CI, e.g. ``.31*** [.26, .36]``. With ``labels`` the
    variables are printed by their labels. (:func:`correlation_matrix_table` is the table of
    the APA set, with the CI on a line of its own as ``apa.cor.table``.)
    """
    names = list(descriptives["variable"])
    pos = {v: i for i, v in enumerate(names)}
    cells = [["" for _ in names] for _ in names]
    for row in correlations.itertuples(index=False):
        i, j = sorted((pos[row.var1], pos[row.var2]), reverse=True)
        if is_missing(row.r):
            cells[i][j] = "–"
            continue
        ci = ci_text(row.ci_lo, row.ci_hi, "r")
        cells[i][j] = f"{format_value(row.r, 'r')}{significance_marks(row.p)}" + (f" {ci}" if ci else "")
    for i, a in enumerate(descriptives["alpha"]):
        cells[i][i] = f"({format_value(float(a), 'alpha')})" if not is_missing(a) else "—"
    shown = [labels.variable(v) for v in names] if labels is not None else names
    out = pd.DataFrame({"Variable": [f"{i + 1}. {v}" for i, v in enumerate(shown)],
                        "n": [format_value(int(n), "n") for n in descriptives["n"]],
                        "M": [format_value(float(m), "mean") for m in descriptives["mean"]],
                        "SD": [format_value(float(s), "sd") for s in descriptives["sd"]]})
    for j in range(len(names)):
        out[str(j + 1)] = [cells[i][j] for i in range(len(names))]
    return out


# ---------------------------------------------------------------------------------------------
# helpers

_P_NOTE = ("p values are two-sided; p < .001 is printed for smaller values. A 95% CI is the "
           "confidence interval of the estimate.")


def _f(value: object, column: str) -> str:
    return format_value(value.item() if hasattr(value, "item") else value, column)


def _ci(r: Mapping, lo: str, hi: str, style: str) -> str:
    return ci_text(r.get(lo), r.get(hi), style)


def _model(columns: Sequence[str], rows: list[list[str]], numeric: Sequence[bool], name: str, title_: str,
           note: str = "", spans: dict[int, str] | None = None, source: str | None = None) -> TableModel:
    m = TableModel(name=name, title=title_, columns=list(columns), rows=rows, numeric=list(numeric), note=note,
                   spans=dict(spans or {}))
    m.extra["source"] = source or name
    return m


def _join(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


_SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
_TOKEN = re.compile(r"[A-Za-z0-9_.\[\]:()+\-]+")


def relabel_text(text: str, labels: StudyLabels) -> str:
    """Machine names inside a text cell replaced by their labels.

    A token is replaced when it is a variable, score, model or factor name that holds an
    underscore, brackets or a colon (``phq9_total >= 10`` -> ``Depressive symptoms >= 10``),
    or when the whole cell is such a name. Words that are also English (``loss``) are left
    alone inside longer text.

    >>> relabel_text("phq9_total >= 10", StudyLabels(variables={"phq9_total": "Depressive symptoms"}))
    'Depressive symptoms >= 10'
    """
    text = str(text)
    whole = text.strip()
    if whole in labels.variables or whole in labels.models or whole in labels.factors:
        return _any_label(whole, labels)

    def repl(m: re.Match) -> str:
        tok = m.group(0)
        core = tok.strip("().,;")
        if not any(ch in core for ch in "_[:") or core in ("",):
            return tok
        if core in labels.variables or core in labels.models or core in labels.factors or "[T." in core or (
                ":" in core and all(p in labels.variables for p in core.split(":"))):
            return tok.replace(core, _any_label(core, labels))
        return tok

    return _TOKEN.sub(repl, text)


def _any_label(name: str, labels: StudyLabels) -> str:
    if name in labels.variables:
        return labels.variables[name]
    if name in labels.models:
        return labels.models[name]
    if name in labels.factors:
        return labels.factors[name]
    return labels.term(name)


# ---------------------------------------------------------------------------------------------
# the tables of the APA set

def flow_table(flow: pd.DataFrame, labels: StudyLabels) -> TableModel:
    """Participant flow: each screening stage with the respondents it excluded and those remaining.

    R equivalent: none (CONSORT flow counts, as ``consort::consort_plot`` tabulates them).
    """
    rows = []
    for r in flow.to_dict("records"):
        stage = str(r["stage"])
        first = stage == "raw"
        rows.append([STAGE_LABELS.get(stage, words(stage)),
                     "" if first or stage == "analysed" else _f(r["n_excluded"], "n_excluded"), _f(r["n_after"], "n")])
    return _model(["Stage", "Excluded", "Remaining"], rows, [False, True, True], "flow", title("flow"),
                  _join("Stages are applied in order; each respondent is counted at the first stage they fail. "
                        "Every exclusion is listed with its reason in validation/exclusions.csv."))


def correlation_matrix_table(descriptives: pd.DataFrame, correlations: pd.DataFrame,
                             labels: StudyLabels) -> TableModel:
    """Descriptives and correlations as ``apaTables::apa.cor.table``, with alpha on the diagonal.

    One row per variable: n, M, SD and its correlations r with the variables before it
    (significance marks), its Cronbach's alpha in parentheses on the diagonal; below each row a
    line with the 95% CIs of those correlations in brackets (Fisher z, as ``cor.test``).

    R equivalent: ``apaTables::apa.cor.table(data)`` (without the alpha diagonal) and
    ``cor.test(x, y)$conf.int`` for each interval.
    """
    names = list(descriptives["variable"])
    k = len(names)
    pos = {v: i for i, v in enumerate(names)}
    r_cells = [["" for _ in names] for _ in names]
    ci_cells = [["" for _ in names] for _ in names]
    for row in correlations.to_dict("records"):
        if row["var1"] not in pos or row["var2"] not in pos:
            continue
        i, j = sorted((pos[row["var1"]], pos[row["var2"]]), reverse=True)
        if is_missing(row["r"]):
            r_cells[i][j] = "–"
            continue
        r_cells[i][j] = f"{_f(row['r'], 'r')}{significance_marks(row['p'])}"
        ci_cells[i][j] = _ci(row, "ci_lo", "ci_hi", "r")
    has_alpha = False
    for i, a in enumerate(descriptives["alpha"]):
        if not is_missing(a):
            r_cells[i][i] = f"({_f(float(a), 'alpha')})"
            has_alpha = True
        else:
            r_cells[i][i] = "—"
    rows, desc = [], descriptives.to_dict("records")
    for i, d in enumerate(desc):
        rows.append([f"{i + 1}. {labels.variable(names[i])}", _f(int(d["n"]), "n"), _f(d["mean"], "mean"),
                     _f(d["sd"], "sd"), *r_cells[i]])
        if any(ci_cells[i]):
            rows.append(["", "", "", "", *ci_cells[i]])
    ns = sorted({int(n) for n in correlations["n"].dropna()}) if len(correlations) else []
    n_text = (f"n = {ns[0]:,}" if len(ns) == 1 else f"pairwise n = {ns[0]:,}–{ns[-1]:,}") if ns else ""
    note = _join("M and SD are the mean and standard deviation;",
                 "Cronbach's α of each scale score is on the diagonal in parentheses (— for single variables);"
                 if has_alpha else "",
                 "below the diagonal, Pearson's r, with its 95% CI (Fisher z) in brackets on the line beneath, "
                 f"computed on pairwise complete cases ({n_text})." if n_text else
                 "below the diagonal, Pearson's r with its 95% CI (Fisher z) in brackets beneath.",
                 "* p < .05. ** p < .01. *** p < .001 (two-sided).")
    return _model(["Variable", "n", "M", "SD", *[str(j + 1) for j in range(k)]], rows,
                  [False] + [True] * (3 + k), "correlations", title("correlations_apa"), note,
                  source="correlations")


#: Marks an estimate whose bootstrap interval :func:`~attachstats.output.report.guardrails.unstable_interval` flags.
UNSTABLE_MARK = "ᵃ"
UNSTABLE_NOTE = (f"{UNSTABLE_MARK} Unstable bootstrap interval (wider than .20, or the estimate within the outer 10% "
                 "of it): do not interpret the point estimate alone.")


def reliability_table(rel: pd.DataFrame, labels: StudyLabels) -> TableModel:
    """Internal consistency per scale: k, n, α [95% CI], ωt [95% CI], ωh [95% CI], M, SD.

    R equivalent: ``psych::alpha`` (Feldt CI via ``psych::alpha.ci``) and ``psych::omega``.
    """
    rows, notes, unstable = [], [], []
    boot = False
    has_h = "omega_h" in rel and rel["omega_h"].notna().any()
    for r in rel.to_dict("records"):
        alpha = _f(r.get("alpha"), "alpha")
        alpha_ci = _ci(r, "alpha_ci_lo", "alpha_ci_hi", "alpha")
        om = _f(r.get("omega_total"), "omega_total")
        om_ci = _ci(r, "omega_total_ci_lo", "omega_total_ci_hi", "omega_total")
        oh = _f(r.get("omega_h"), "omega_h")
        oh_ci = _ci(r, "omega_h_ci_lo", "omega_h_ci_hi", "omega_h")
        for col in ("omega_total", "omega_h"):
            if unstable_interval(r.get(col), r.get(f"{col}_ci_lo"), r.get(f"{col}_ci_hi")):
                unstable.append(col)
                if col == "omega_total":
                    om += UNSTABLE_MARK
                else:
                    oh += UNSTABLE_MARK
        boot = boot or bool(om_ci)
        row = [labels.variable(str(r["scale"])), _f(r.get("k"), "k"), _f(r.get("n"), "n"),
               _join(alpha, alpha_ci), _join(om, om_ci)]
        if has_h:
            row.append(_join(oh, oh_ci))
        rows.append(row + [_f(r.get("mean"), "mean"), _f(r.get("sd"), "sd")])
        if isinstance(r.get("omega_note"), str) and r["omega_note"].strip():
            notes.append(f"{labels.variable(str(r['scale']))}: {r['omega_note'].strip()}")
    n_boot = rel["n_boot"].dropna() if "n_boot" in rel else pd.Series(dtype=float)
    cols = ["Scale", "k", "n", "α [95% CI]", "ωt [95% CI]"] + (["ωh [95% CI]"] if has_h else []) + ["M", "SD"]
    note = _join("k = number of items; α = Cronbach's alpha with its Feldt 95% CI;",
                 "ωt = McDonald's omega total; ωh = omega hierarchical (the general factor's share);" if has_h else
                 "ωt = McDonald's omega total;",
                 f"ω CIs are percentile bootstrap intervals ({int(n_boot.iloc[0])} resamples of respondents);"
                 if boot and len(n_boot) else "",
                 "M and SD of the mean item response.",
                 "A blank ωh: the scale has too few items for group factors (3 per factor), so only a one-factor "
                 "omega is defined." if has_h and (rel["omega_h"].isna() & rel["omega_total"].notna()).any() else "",
                 UNSTABLE_NOTE if unstable else "",
                 " ".join(notes))
    return _model(cols, rows, [False] + [True] * (len(cols) - 1), "reliability", "Internal consistency of the scales",
                  note)


def efa_loadings_table(loadings: pd.DataFrame, labels: StudyLabels, *, cutoff: float,
                       factors: pd.DataFrame | None = None, correlations: pd.DataFrame | None = None,
                       diagnostics: pd.DataFrame | None = None) -> TableModel:
    """Rotated EFA pattern loadings, items sorted by their primary factor (as ``print(fa, sort = TRUE)``).

    Loadings below ``cutoff`` are blank; columns Item, one per factor (named after the subscale
    its loadings identify, else Factor k), h²; rows SS loadings and proportion of variance
    below. R equivalent: ``psych::fa(..., rotate = "oblimin")``.
    """
    cols = list(loadings.columns)
    fac = cols[cols.index("item") + 1:cols.index("h2")] if "h2" in cols else [c for c in cols if c != "item"]
    order = {f: i for i, f in enumerate(fac)}
    d = loadings.copy()
    d["_primary"] = d["primary"].map(order) if "primary" in d else 0
    d["_size"] = [-abs(float(r[r["primary"]])) if "primary" in d and r["primary"] in fac else 0
                  for r in d.to_dict("records")]
    d = d.sort_values(["_primary", "_size"], kind="stable")
    rows = []
    for r in d.to_dict("records"):
        cells = [("" if is_missing(r[f]) or abs(float(r[f])) < cutoff else _f(r[f], "efa_loading")) for f in fac]
        rows.append([labels.variable(str(r["item"])), *cells, _f(r.get("h2"), "h2")])
    spans: dict[int, str] = {}
    if factors is not None and len(factors):
        by = factors.set_index("factor")
        rows.append(["SS loadings", *[_f(by.loc[f, "ss_loadings"], "ss_loadings") if f in by.index else ""
                                      for f in fac], ""])
        rows.append(["Proportion of variance", *[_f(by.loc[f, "proportion_var"], "proportion_var")
                                                 if f in by.index else "" for f in fac], ""])
    corr_text = ""
    if correlations is not None and len(correlations):
        corr_text = "Factor correlations: " + "; ".join(
            f"{labels.factor(str(r['factor1']))} with {labels.factor(str(r['factor2']))} r = {_f(r['r'], 'r')}"
            for r in correlations.to_dict("records")) + "."
    diag = ""
    if diagnostics is not None and len(diagnostics):
        g = diagnostics.iloc[0].to_dict()
        diag = _join(f"{str(g.get('extraction', '')).upper() or 'Minres'} extraction with {g.get('rotation', '')} "
                     f"rotation, n = {_f(g.get('n'), 'n')};",
                     f"KMO = {_f(g.get('kmo'), 'kmo')}; Bartlett's χ²({_f(g.get('bartlett_df'), 'bartlett_df')}) = "
                     f"{_f(g.get('bartlett_chi2'), 'bartlett_chi2')}, {p_text(g.get('bartlett_p'))};"
                     if not is_missing(g.get("kmo")) else "",
                     f"parallel analysis suggests {_f(g.get('parallel_factors'), 'parallel_factors')} "
                     f"factor{'' if _f(g.get('parallel_factors'), 'parallel_factors') == '1' else 's'}; "
                     f"{_f(g.get('n_factors'), 'n_factors')} retained."
                     if not is_missing(g.get("parallel_factors")) else "")
    note = _join("Pattern loadings after rotation; items sorted by the factor they load on most; loadings below "
                 f"{format_value(float(cutoff), 'cutoff')} in absolute value are not shown. h² = communality; "
                 "(R) = reverse-keyed item, scored reversed.", corr_text, diag)
    return _model(["Item", *[labels.factor(f) for f in fac], "h²"], rows, [False] + [True] * (len(fac) + 1),
                  "efa_loadings", "Exploratory factor analysis: rotated pattern loadings", note, spans)


def _fit_cells(r: Mapping) -> list[str]:
    return [_f(r.get("chi2"), "chi2"), _f(r.get("df"), "df"), _f(r.get("p"), "p"), _f(r.get("cfi"), "cfi"),
            _f(r.get("tli"), "tli"), _join(_f(r.get("rmsea"), "rmsea"), _ci(r, "rmsea_ci_lo", "rmsea_ci_hi", "rmsea")),
            _f(r.get("srmr"), "srmr")]


_FIT_COLUMNS = ["χ²", "df", "p", "CFI", "TLI", "RMSEA [90% CI]", "SRMR"]
_FIT_NOTE = ("CFI = comparative fit index; TLI = Tucker–Lewis index; RMSEA = root mean square error of "
             "approximation with its 90% CI; SRMR = standardised root mean square residual.")
_IC_NOTE = "AIC, BIC = Akaike and Bayesian information criteria (smaller is better)."


_CRITERIA_NOTE = "Criteria for good fit (Hu & Bentler, 1999): " + ", ".join(c[2] for c in FIT_CRITERIA.values()) + "."


def _estimator_note(est: str) -> str:
    if est == "MLR":
        return ("Estimator MLR: maximum likelihood with robust (sandwich) standard errors; χ² is the "
                "Yuan–Bentler scaled statistic and CFI, TLI and RMSEA are the robust versions.")
    if est == "WLSMV":
        return ("Estimator WLSMV: items treated as ordered, diagonally weighted least squares on polychoric "
                "correlations with robust standard errors; χ² is the mean- and variance-adjusted (scaled-shifted) "
                "statistic and CFI, TLI and RMSEA are computed from it; WLSMV has no likelihood, so no information "
                "criteria are given.")
    if est:
        return f"Estimator {est} (maximum likelihood)."
    return ""


def cfa_fit_table(fit: pd.DataFrame, labels: StudyLabels) -> TableModel:
    """CFA model fit: χ², df, p, CFI, TLI, RMSEA [90% CI], SRMR, AIC, BIC per model.

    R equivalent: ``lavaan::fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea",
    "rmsea.ci.lower", "rmsea.ci.upper", "srmr", "aic", "bic"))``.
    """
    rows = [[labels.model(str(r["model"])), *_fit_cells(r), _f(r.get("aic"), "aic"), _f(r.get("bic"), "bic")]
            for r in fit.to_dict("records")]
    est = sorted({str(e) for e in fit.get("estimator", pd.Series(dtype=str)).dropna()})
    ns = sorted({int(n) for n in fit.get("n", pd.Series(dtype=float)).dropna()})
    cols, numeric = ["Model", *_FIT_COLUMNS, "AIC", "BIC"], [False] + [True] * 9
    has_ic = not all(r[-1] == "" and r[-2] == "" for r in rows)
    if not has_ic:                                            # no likelihood (WLSMV): no AIC, BIC columns
        cols, numeric, rows = cols[:-2], numeric[:-2], [r[:-2] for r in rows]
    note = _join(f"n = {ns[0]:,}." if len(ns) == 1 else "", " ".join(_estimator_note(e) for e in est), _FIT_NOTE,
                 _IC_NOTE if has_ic else "", _CRITERIA_NOTE)
    return _model(cols, rows, numeric, "cfa_fit", "Confirmatory factor analysis: model fit", note)


def cfa_comparison_table(comp: pd.DataFrame, labels: StudyLabels) -> TableModel:
    """Nested CFA models compared: Δχ², Δdf, p, ΔCFI, ΔRMSEA, ΔAIC, ΔBIC (restricted vs general).

    R equivalent: ``lavaan::lavTestLRT(restricted, general)`` (MLR: ``method = "satorra.bentler.2001"``).
    """
    rows = [[f"{labels.model(str(r['restricted']))} vs {labels.model(str(r['general']))}",
             _f(r.get("chi2_diff"), "chi2_diff"), _f(r.get("df_diff"), "df_diff"), _f(r.get("p"), "p"),
             _f(r.get("delta_cfi"), "delta_cfi"), _f(r.get("delta_rmsea"), "delta_rmsea"),
             _f(r.get("delta_aic"), "delta_aic"), _f(r.get("delta_bic"), "delta_bic")]
            for r in comp.to_dict("records")]
    est = sorted({str(e) for e in comp.get("estimator", pd.Series(dtype=str)).dropna()})
    cols = ["Comparison", "Δχ²", "Δdf", "p", "ΔCFI", "ΔRMSEA", "ΔAIC", "ΔBIC"]
    has_ic = not all(r[-1] == "" and r[-2] == "" for r in rows)
    if not has_ic:                                            # no likelihood (WLSMV): no ΔAIC, ΔBIC columns
        cols, rows = cols[:-2], [r[:-2] for r in rows]
    note = _join(("Likelihood-ratio tests of nested models; " if "WLSMV" not in est else "Nested models; ")
                 + "Δ = restricted − general model, so a negative ΔCFI means the restricted model fits worse"
                 + ("; a positive ΔAIC or ΔBIC favours the general model." if has_ic else "."),
                 "Δχ² is the Satorra–Bentler (2001) scaled difference." if "MLR" in est else "",
                 "With WLSMV no Δχ² test is computed (the DWLS difference test is not implemented in attachstats); "
                 "compare these models by ΔCFI and ΔRMSEA." if "WLSMV" in est else "",
                 *[f"{labels.model(str(r['restricted']))} vs {labels.model(str(r['general']))}: Δχ² and p are "
                   f"undefined because the scaled difference test's correction factor is negative "
                   f"({_f(r['scaling_diff'], 'scaling_diff')}); compare these models by ΔCFI, ΔAIC and ΔBIC."
                   for r in comp.to_dict("records") if is_missing(r.get("chi2_diff"))
                   and not is_missing(r.get("scaling_diff")) and float(r["scaling_diff"]) < 0])
    return _model(cols, rows, [False] + [True] * (len(cols) - 1), "cfa_comparison", "Confirmatory factor analysis: nested model comparisons", note)


def invariance_table(inv: pd.DataFrame, labels: StudyLabels) -> TableModel:
    """Measurement invariance steps: fit of each step and its change from the previous step.

    R equivalent: ``lavaan::cfa(..., group = g, group.equal = ...)`` for each step and
    ``lavaan::lavTestLRT`` between consecutive steps (``semTools::compareFit``).
    """
    rows = []
    for r in inv.to_dict("records"):
        rows.append([words(str(r["step"])), _f(r.get("chi2"), "chi2"), _f(r.get("df"), "df"), _f(r.get("p"), "p"),
                     _f(r.get("cfi"), "cfi"),
                     _join(_f(r.get("rmsea"), "rmsea"), _ci(r, "rmsea_ci_lo", "rmsea_ci_hi", "rmsea")),
                     _f(r.get("srmr"), "srmr"), _f(r.get("chi2_diff"), "chi2_diff"), _f(r.get("df_diff"), "df_diff"),
                     _f(r.get("p_diff"), "p_diff"), _f(r.get("delta_cfi"), "delta_cfi"),
                     _f(r.get("delta_rmsea"), "delta_rmsea")])
    first = inv.iloc[0].to_dict() if len(inv) else {}
    group = labels.variable(str(first.get("group", ""))) if first.get("group") else ""
    groups = str(first.get("groups", "")) if not is_missing(first.get("groups")) else ""
    extra = sorted({str(n) for n in inv.get("note", pd.Series(dtype=str)).dropna() if str(n).strip()})
    used = str(first.get("estimator", "")) if not is_missing(first.get("estimator")) else ""
    note = _join(f"Groups by {group.lower() if group[:1].isupper() and group[1:2].islower() else group}"
                 "." if group and not groups else "",
                 ("Multiple-group CFA of ordered items by WLSMV (Wu & Estabrook, 2016, identification); each step "
                  "adds equality constraints (thresholds; metric: and loadings; scalar: and latent-response "
                  "intercepts) and is compared with the step before (Δ = this step − previous); χ² is the "
                  "scaled-shifted statistic, Δχ² the scaled-shifted difference test (lavaan's lavTestLRT)."
                  if "estimator" in inv.columns and (inv["estimator"] == "WLSMV").any() else
                  "Multiple-group CFA with a mean structure; each step adds equality constraints (metric: loadings; "
                  "scalar: and intercepts; strict: and residual variances) and is compared with the step before "
                  "(Δ = this step − previous)."),
                 "Common criteria for invariance: ΔCFI ≥ −.010 and ΔRMSEA ≤ .015 "
                 "(Chen, 2007).",
                 "The configural model misses the fit criteria, so the Δ tests compare poorly fitting models "
                 "(criteria of Hu & Bentler, 1999)." if first and not judge_fit(first).fits else "",
                 f"Estimator: {used}." if used else "",
                 "; ".join(extra).capitalize() + "." if extra else "")
    n = f"; n = {_f(first.get('n'), 'n')}" if not is_missing(first.get("n")) else ""
    title_ = (f"Measurement invariance across {_lower(group)} ({groups}{n})" if group and groups else
              "Measurement invariance")
    return _model(["Step", "χ²", "df", "p", "CFI", "RMSEA [90% CI]", "SRMR", "Δχ²", "Δdf", "p (Δχ²)", "ΔCFI",
                   "ΔRMSEA"], rows, [False] + [True] * 11, "invariance", title_, note)


def _term_vars(term: str) -> frozenset[str]:
    return frozenset(re.sub(r"\[T\..*\]$", "", p) for p in split_interaction(term))


def _block_of(term: str, blocks: list[tuple[int, list[frozenset[str]]]]) -> int | None:
    tv = _term_vars(term)
    for number, items in blocks:
        if tv in items:
            return number
    return None


def _block_line(b: Mapping, family: str) -> str:
    if family == "ols":
        parts = [f"R² = {_f(b.get('r2'), 'delta_r2')}", f"ΔR² = {_f(b.get('delta_r2'), 'delta_r2')}"]
        if not is_missing(b.get("stat")):
            parts.append(f"F({_f(b.get('df1'), 'df1')}, {_f(b.get('df2'), 'df2')}) = {_f(b.get('stat'), 'stat')}, "
                         f"{p_text(b.get('p'))}")
        else:
            parts.append("no F test (pooled over imputations)")
    else:
        parts = [f"McFadden R² = {_f(b.get('pseudo_r2'), 'delta_pseudo_r2')}",
                 f"ΔR² = {_f(b.get('delta_pseudo_r2'), 'delta_pseudo_r2')}"]
        if not is_missing(b.get("stat")):
            parts.append(f"LR χ²({_f(b.get('df1'), 'df1')}) = {_f(b.get('stat'), 'stat')}, {p_text(b.get('p'))}")
    return ", ".join(parts)


def regression_tables(reg: pd.DataFrame, labels: StudyLabels, blocks: pd.DataFrame | None = None,
                      fit: pd.DataFrame | None = None) -> list[TableModel]:
    """One table per outcome model, as ``apaTables::apa.reg.table``: terms grouped by entry step.

    OLS: Predictor, b, 95% CI, SE, β, sr², t, p. Logit, Poisson, negative binomial: Predictor, b,
    SE, OR or IRR, its 95% CI, z, p. A column ``p (BH)`` is added when the model's p values
    were adjusted across a test family of several models. Under each step of hierarchical entry
    a line gives R² and ΔR² with the F test (GLMs: McFadden's pseudo-R² and the likelihood-ratio
    test); coefficients are those of the final model. The note gives n, the model's fit and SE
    type. R equivalent: ``apaTables::apa.reg.table(lm1, lm2)``; ``summary(glm)`` with
    ``exp(cbind(coef, confint.default))``.
    """
    out = []
    for name, d in reg.groupby("model", sort=False):
        name = str(name)
        family = str(d["family"].iloc[0]) if "family" in d else "ols"
        glm = family != "ols"
        stat = "t" if not glm else "z"
        adj = d[d["p_adj"].notna()] if "p_adj" in d else d.iloc[:0]
        bh = len(adj) > 0 and not (adj["p_adj"].round(12) == adj["p"].round(12)).all()
        if glm:
            exp = labels.exp_label(name) if name in labels.families else {"logit": "OR"}.get(family, "IRR")
            cols = ["Predictor", "b", "SE", exp, f"95% CI ({exp})", stat, "p"]
        else:
            cols = ["Predictor", "b", "95% CI", "SE", "β", "sr²", stat, "p"]
        if bh:
            cols.append("p (BH)")
        bl = blocks[blocks["model"] == name] if blocks is not None and len(blocks) else pd.DataFrame()
        steps = [(int(b["block"]), [frozenset(t.split(":")) for t in str(b["terms"]).split("; ")])
                 for b in bl.to_dict("records")]
        recs = d.to_dict("records")
        by_step: dict[int | None, list[dict]] = {}
        for r in recs:
            key = None if str(r["term"]) in ("(Intercept)", "Intercept") else _block_of(str(r["term"]), steps)
            by_step.setdefault(key, []).append(r)

        def cells(r: dict, glm: bool = glm, bh: bool = bh) -> list[str]:
            if glm:
                row = [labels.term(str(r["term"])), _f(r.get("b"), "b"), _f(r.get("se"), "se"),
                       _f(r.get("exp_b"), "exp_b"), _ci(r, "exp_ci_lo", "exp_ci_hi", "exp_b"), _f(r.get("stat"), "stat"),
                       _f(r.get("p"), "p")]
            else:
                row = [labels.term(str(r["term"])), _f(r.get("b"), "b"), _ci(r, "ci_lo", "ci_hi", "b"),
                       _f(r.get("se"), "se"), _f(r.get("beta"), "beta"), _f(r.get("sr2"), "sr2"),
                       _f(r.get("stat"), "stat"), _f(r.get("p"), "p")]
            return row + ([_f(r.get("p_adj"), "p_adj")] if bh else [])

        rows: list[list[str]] = []
        spans: dict[int, str] = {}
        blank = [""] * len(cols)
        for r in by_step.pop(None, []) if len(steps) > 1 else []:
            rows.append(cells(r))
        if len(steps) > 1:
            for number, _ in steps:
                spans[len(rows)] = f"Step {number}"
                rows.append(blank)
                for r in by_step.pop(number, []):
                    rows.append(cells(r))
                b = bl[bl["block"] == number].iloc[0].to_dict()
                spans[len(rows)] = _block_line(b, family)
                rows.append(blank)
        for rest in by_step.values():   # a single block, or terms that no block names
            rows.extend(cells(r) for r in rest)
        note = _regression_note(name, family, d, fit, labels, bh, len(steps) > 1)
        m = _model(cols, rows, [False] + [True] * (len(cols) - 1), f"regressions_{name}",
                   f"Outcome model: {labels.model(name)}",
                   note, spans, source="regressions")
        m.extra["model"] = name
        out.append(m)
    return out


def _plain(label: str) -> bool:
    """Whether a label is an ordinary capitalised phrase (lower-cased inside a title)."""
    first = label.split(" ")[0]
    return first[:1].isupper() and first[1:].islower()


def _lower(label: str) -> str:
    """A label inside a sentence: ``Attachment anxiety`` -> ``attachment anxiety`` (``PHQ-9 total`` unchanged)."""
    return label[:1].lower() + label[1:] if _plain(label) else label


def _regression_note(name: str, family: str, d: pd.DataFrame, fit: pd.DataFrame | None, labels: StudyLabels,
                     bh: bool, stepped: bool) -> str:
    f = fit[fit["model"] == name].iloc[0].to_dict() if fit is not None and len(fit) and (fit["model"] == name).any() \
        else {}
    n = _f(f.get("n", d["n"].iloc[0] if "n" in d else None), "n")
    robust = str(f.get("robust", "")) if not is_missing(f.get("robust")) else ""
    imputations = f.get("imputations")
    mice = not is_missing(imputations) and float(imputations) > 0
    if family == "ols":
        what = ("b = unstandardised coefficient with its 95% CI; β = standardised coefficient; sr² = squared "
                "semipartial correlation (the share of variance in the outcome that the term alone explains)")
        fit_text = ""
        if not is_missing(f.get("r2")):
            fit_text = (f"Final model: n = {n}, R² = {_f(f.get('r2'), 'delta_r2')}, adjusted R² = "
                        f"{_f(f.get('adj_r2'), 'delta_r2')}")
            if not is_missing(f.get("f")):
                fit_text += (f", F({_f(f.get('f_df1'), 'f_df1')}, {_f(f.get('f_df2'), 'f_df2')}) = "
                             f"{_f(f.get('f'), 'f')}, {p_text(f.get('f_p'))}")
            fit_text += "."
        se = (f"SE = {robust} heteroscedasticity-consistent standard error." if robust.startswith("HC")
              else "SE = model-based standard error.")
    else:
        ratio = {"logit": "odds ratio", "poisson": "incidence-rate ratio", "negbin": "incidence-rate ratio"}[family] \
            if family in ("logit", "poisson", "negbin") else "exponentiated coefficient"
        exp = labels.exp_label(name) if name in labels.families else {"logit": "OR"}.get(family, "IRR")
        kind = {"logit": "Logistic regression", "poisson": "Poisson regression",
                "negbin": "Negative binomial regression (θ by maximum likelihood)"}.get(family, family)
        what = (f"{kind}; b = coefficient on the link (log{'-odds' if family == 'logit' else ''}) scale; "
                f"{exp} = {ratio} (exp b) with its 95% Wald CI; z = Wald test")
        fit_text = f"n = {n}"
        if not is_missing(f.get("pseudo_r2")):
            fit_text += f", McFadden R² = {_f(f.get('pseudo_r2'), 'delta_pseudo_r2')}"
        if not is_missing(f.get("nagelkerke_r2")):
            fit_text += f", Nagelkerke R² = {_f(f.get('nagelkerke_r2'), 'delta_pseudo_r2')}"
        if not is_missing(f.get("theta")):
            fit_text += f", θ = {_f(f.get('theta'), 'theta')}"
        fit_text += "."
        se = "SE = model-based standard error." if robust in ("", "nonrobust") else f"SE = {robust} robust standard error."
    terms = [str(t) for t in d["term"]]
    inter = any(len(_term_vars(t)) > 1 for t in terms)
    dummies = any("[T." in t for t in terms)
    outcome = labels.outcomes.get(name) or labels.variable(str(d["outcome"].iloc[0]))
    centres = ({str(t): c for t, c in zip(d["term"], d["centre"]) if not is_missing(c)} if "centre" in d else {})
    centred = ("Mean-centred before fitting: " + "; ".join(f"{labels.term(t)} (M = {_f(c, 'mean')})"
                                                          for t, c in centres.items())
               + "; in a product term (×) the coefficient of each variable is its effect at the mean of a centred "
                 "partner (at zero, or the reference level, of an uncentred one); the simple slopes give the "
                 "effect at other values." if centres else "")
    return _join(f"Outcome: {_lower(outcome)}.", what + ";", se, _P_NOTE,
                 "p (BH) = Benjamini–Hochberg adjusted across the models of the same test family." if bh else "",
                 "Coefficients are from the final model; each step line gives the change when that step's terms "
                 "were added." if stepped else "",
                 "Categorical predictors are dummy-coded (level vs reference level)." if dummies else "",
                 centred if inter and centred else
                 "With a product term (×), the coefficient of each variable in it is its effect where the other "
                 "variable equals zero; the simple slopes give the effect at meaningful values." if inter else centred,
                 f"Estimates pooled over {int(float(imputations))} multiply imputed data sets (Rubin's rules)."
                 if mice else "", fit_text)


def moderation_tables(slopes: pd.DataFrame, labels: StudyLabels, jn: pd.DataFrame | None = None) -> list[TableModel]:
    """Simple slopes of the focal predictor at moderator values, with the Johnson–Neyman region in the note.

    Columns: Moderator value, b, SE, 95% CI, t, p. R equivalent:
    ``interactions::sim_slopes(model, pred = focal, modx = moderator, johnson_neyman = TRUE)``.
    """
    out = []
    for name, d in slopes.groupby("model", sort=False):
        name = str(name)
        r0 = d.iloc[0]
        focal, mod = _lower(labels.variable(str(r0["focal"]))), _lower(labels.variable(str(r0["moderator"])))
        rows = []
        for r in d.to_dict("records"):
            at = str(r["at"]).replace("-", MINUS)
            at = "Mean" if at == "mean" else at
            rows.append([f"{at} ({_f(r['moderator_value'], 'moderator_value')})", _f(r.get("slope"), "b"),
                         _f(r.get("se"), "se"), _ci(r, "ci_lo", "ci_hi", "b"), _f(r.get("stat"), "stat"),
                         _f(r.get("p"), "p")])
        note = _join(f"b = the slope of {focal} at the given value of {mod} (mean and ± 1 SD), with its 95% CI; "
                     f"t on {_f(r0.get('df'), 'df')} df." if not is_missing(r0.get("df")) else
                     f"b = the slope of {focal} at the given value of {mod}.",
                     _jn_text(jn, name, focal, mod), _P_NOTE)
        mod_head = labels.variable(str(r0["moderator"]))
        m = _model([f"{mod_head} at", "b", "SE", "95% CI", "t", "p"], rows, [False] + [True] * 5, f"simple_slopes_{name}",
                   f"Simple slopes of {focal} at values of {mod}", _join(f"Model: {labels.model(name)}.", note),
                   source="simple_slopes")
        m.extra["model"] = name
        out.append(m)
    return out


def _jn_text(jn: pd.DataFrame | None, name: str, focal: str, mod: str) -> str:
    """The Johnson–Neyman region in words, restricted to the observed range of the moderator."""
    if jn is None or not len(jn) or not (jn["model"] == name).any():
        return ""
    r = jn[jn["model"] == name].iloc[0].to_dict()
    lo, hi, region = r.get("lower"), r.get("upper"), str(r.get("region", ""))
    mn, mx = r.get("moderator_min"), r.get("moderator_max")
    alpha = _f(r.get("alpha"), "alpha")
    if is_missing(lo) or is_missing(hi) or region not in ("inside", "outside"):
        return f"Johnson–Neyman: the slope of {focal} is {'not ' if region in ('none', 'never') else ''}" \
               f"significant at α = {alpha} {'anywhere' if region in ('none', 'never') else 'at every value'} " \
               f"of {mod}{'' if region in ('none', 'never', 'all', 'everywhere') else ' (region: ' + region + ')'}."
    bounds = f"[{_f(lo, 'lower')}, {_f(hi, 'upper')}]"
    text = (f"Johnson–Neyman: the slope of {focal} is significant at α = {alpha} where {mod} lies "
            f"{region} {bounds}")
    if not (is_missing(mn) or is_missing(mx)):
        text += f"; {mod} was observed from {_f(mn, 'moderator_min')} to {_f(mx, 'moderator_max')}"
        lo_f, hi_f, mn_f, mx_f = float(lo), float(hi), float(mn), float(mx)
        if region == "outside":
            parts = ([f"below {_f(lo, 'lower')}"] if lo_f > mn_f else []) + \
                    ([f"above {_f(hi, 'upper')}"] if hi_f < mx_f else [])
            text += (", so within the data it is significant " + " and ".join(parts) if parts
                     else ", so it is significant nowhere within the data")
        else:
            a, b = max(lo_f, mn_f), min(hi_f, mx_f)
            text += (f", so within the data it is significant from {_f(a, 'lower')} to {_f(b, 'upper')}" if a < b
                     else ", so it is significant nowhere within the data")
        share = r.get("share_significant")
        if not is_missing(share):
            text += f" ({round(float(share) * 100)}% of respondents)"
    return text + "."


def mediation_tables(med: pd.DataFrame, labels: StudyLabels) -> list[TableModel]:
    """A simple mediation model: paths a, b, c, c′ and the indirect effect ab with their CIs.

    Columns: Effect, b, SE, 95% CI, β, p. R equivalent: ``lavaan::sem`` with ``ab := a*b`` and
    ``se = "bootstrap"`` (percentile CI), or ``mediation::mediate(..., boot = TRUE)``.
    """
    out = []
    for name, d in med.groupby("model", sort=False):
        name = str(name)
        r0 = d.iloc[0].to_dict()
        x, m_, y = (labels.variable(str(r0[k])) for k in ("x", "mediator", "outcome"))
        lx, lm, ly = _lower(x), _lower(m_), _lower(y)
        path_words = {"a": f"{x} → {m_}", "b": f"{m_} → {y}", "c": f"{x} → {y}", "c_prime": f"{x} → {y}",
                      "indirect": f"{x} → {m_} → {y}"}
        rows = []
        methods = {}
        for r in d.to_dict("records"):
            p = str(r["path"])
            rows.append([f"{PATH_LABELS.get(p, p)}: {path_words.get(p, '')}".rstrip(": "), _f(r.get("estimate"), "b"),
                         _f(r.get("se"), "se"), _ci(r, "ci_lo", "ci_hi", "b"), _f(r.get("std"), "std"),
                         _f(r.get("p"), "p")])
            methods.setdefault(str(r.get("ci_method", "")), []).append(PATH_LABELS.get(p, p).split(" (")[0]
                                                                       if p != "indirect" else "ab")
        boot = d[d["path"] == "indirect"]["n_boot"] if "n_boot" in d else pd.Series(dtype=float)
        ci_bits = []
        for meth, paths in methods.items():
            if not meth or meth == "nan":
                continue
            if "bootstrap" in meth.lower() or (len(boot) and paths == ["ab"]):
                nb = f", {int(boot.iloc[0])} resamples" if len(boot) and not is_missing(boot.iloc[0]) else ""
                ci_bits.append(f"CI of ab: {meth}{nb}")
            else:
                ci_bits.append(f"CIs of the other paths: {meth}")
        note = _join(f"a = effect of {lx} on {lm}; b = effect of {lm} on {ly} holding {lx} constant; c = total "
                     f"effect of {lx} on {ly}; c′ = direct effect; ab = indirect effect (a × b). β = completely standardised "
                     "estimate.", "; ".join(ci_bits) + "." if ci_bits else "",
                     f"n = {_f(r0.get('n'), 'n')}." if not is_missing(r0.get("n")) else "", _P_NOTE)
        m = _model(["Effect", "b", "SE", "95% CI", "β", "p"], rows, [False] + [True] * 5, f"mediation_{name}",
                   f"Mediation: {labels.model(name)}", note, source="mediation")
        m.extra["model"] = name
        out.append(m)
    return out


#: Result tables that have an APA table of their own (the others are written as labelled full tables).
APA_SOURCES = ("flow", "descriptives", "correlations", "reliability", "efa_loadings", "cfa_fit", "cfa_comparison",
               "invariance", "regressions", "simple_slopes", "mediation")


def apa_table_set(tables: Mapping[str, pd.DataFrame], labels: StudyLabels, *,
                  cutoff: float = EFA_DEFAULTS["cutoff"]) -> list[TableModel]:
    """The tables a paper reports, numbered in the order they appear.

    Parameters
    ----------
    tables : mapping
        Result tables by name, as read from their CSV files (``flow``, ``descriptives``,
        ``correlations``, ``reliability``, ``efa_loadings``, ``efa_factors``,
        ``efa_factor_correlations``, ``efa_diagnostics``, ``cfa_fit``, ``cfa_comparison``,
        ``invariance``, ``regressions``, ``regression_blocks``, ``regression_fit``,
        ``simple_slopes``, ``johnson_neyman``, ``mediation``); missing or empty tables are left
        out, never filled with placeholders.
    labels : StudyLabels
        The study's labels (:func:`attachstats.output.labels.study_labels`).
    cutoff : float
        EFA loadings below this are blank.

    Returns
    -------
    list of TableModel
        Numbered 1, 2, ...; ``extra["source"]`` names the result table each comes from.
    """
    def has(name: str) -> bool:
        return name in tables and tables[name] is not None and len(tables[name]) > 0

    def get(name: str) -> pd.DataFrame | None:
        return tables[name] if has(name) else None

    out: list[TableModel] = []
    if has("flow"):
        out.append(flow_table(tables["flow"], labels))
    if has("descriptives"):
        corr = tables["correlations"] if has("correlations") else pd.DataFrame(
            columns=["var1", "var2", "n", "r", "ci_lo", "ci_hi", "p"])
        out.append(correlation_matrix_table(tables["descriptives"], corr, labels))
    if has("reliability"):
        out.append(reliability_table(tables["reliability"], labels))
    if has("efa_loadings"):
        out.append(efa_loadings_table(tables["efa_loadings"], labels, cutoff=cutoff, factors=get("efa_factors"),
                                      correlations=get("efa_factor_correlations"), diagnostics=get("efa_diagnostics")))
    if has("cfa_fit"):
        out.append(cfa_fit_table(tables["cfa_fit"], labels))
    if has("cfa_comparison"):
        out.append(cfa_comparison_table(tables["cfa_comparison"], labels))
    if has("invariance") and "chi2" in tables["invariance"] and tables["invariance"]["chi2"].notna().any():
        out.append(invariance_table(tables["invariance"], labels))
    if has("regressions"):
        out.extend(regression_tables(tables["regressions"], labels, get("regression_blocks"), get("regression_fit")))
    if has("simple_slopes"):
        out.extend(moderation_tables(tables["simple_slopes"], labels, get("johnson_neyman")))
    if has("mediation"):
        out.extend(mediation_tables(tables["mediation"], labels))
    for i, m in enumerate(out, start=1):
        m.number = i
    return out


def labelled_table(df: pd.DataFrame, name: str, labels: StudyLabels, number: int | None = None) -> TableModel:
    """Any result table in full (every column), with labels for names and headers.

    Name columns (model, term, variable, factor, ...) print as labels, machine names inside
    other text cells are replaced (:func:`relabel_text`), headers without a defined label are
    put in words, EFA factor columns (``MR1``) are named after their factor, and a cell that is
    a bare snake-case code (``outcome_model``, ``set_missing``) is put in words.

    >>> df = pd.DataFrame({"model": ["dep"], "analysis": ["outcome_model"], "n_used": [3]})
    >>> m = labelled_table(df, "model_samples", StudyLabels(models={"dep": "Depression"}))
    >>> m.columns, m.rows
    (['Model', 'Analysis', 'N used'], [['Depression', 'Outcome model', '3']])
    """
    m = table_model(df, name, number, labels=labels)
    cols = list(df.columns)
    # headers: a column with no label of its own, in words; factor columns by their factor's label
    hidden = {hi for lo, hi, _ in CI_PAIRS if hi in cols and lo in cols}
    shown = [c for c in cols if c not in hidden]
    for j, c in enumerate(shown):
        if j >= len(m.columns):
            break
        if m.columns[j] == c and c not in LABELS:
            m.columns[j] = labels.factor(c) if c in labels.factors or re.match(r"^(MR|ML|PA|PC|RC)\d+$", c) \
                else (labels.variable(c) if c in labels.variables else words(c))
        if not m.numeric[j]:
            for row in m.rows:
                if row[j]:
                    row[j] = relabel_text(row[j], labels)
                    row[j] = words(row[j]) if _SNAKE.match(row[j]) else row[j]
    return m


def write_formatted_tables(tables: Mapping[str, pd.DataFrame], names: Sequence[str], folder: str | Path,
                           labels: StudyLabels, *, cutoff: float = EFA_DEFAULTS["cutoff"],
                           combined: str | None = None) -> list[TableModel]:
    """Write ``<name>.md``, ``.tex`` and ``.docx`` for each result table in ``names``.

    A result table with an APA table (:data:`APA_SOURCES`) gets its APA table(s) (one per model
    for regressions, simple slopes and mediation); the others are written in full, labelled
    (:func:`labelled_table`), numbered after the APA set. With ``combined`` (a file stem), the
    APA set is also written as one document ``<combined>.md/.tex/.docx``, each Word table in a
    section that fits it. Returns every model written, in number order.
    """
    folder = Path(folder)
    apa = apa_table_set(tables, labels, cutoff=cutoff)
    by_source: dict[str, list[TableModel]] = {}
    for m in apa:
        by_source.setdefault(m.extra["source"], []).append(m)
        if m.extra["source"] == "correlations":
            by_source.setdefault("descriptives", []).append(m)
    number = len(apa)
    written = list(apa)
    for name in names:
        models = by_source.get(name)
        if not models:
            number += 1
            df = display_table(tables[name], name, cutoff=cutoff)
            models = split_columns(labelled_table(df, name, labels, number))
            written.extend(models)
        (folder / f"{name}.md").write_text("\n".join(markdown(m) for m in models), encoding="utf-8")
        (folder / f"{name}.tex").write_text("\n".join(latex(m) for m in models), encoding="utf-8")
        write_docx_tables(models, folder / f"{name}.docx")
    if combined:
        (folder / f"{combined}.md").write_text("\n".join(markdown(m) for m in apa), encoding="utf-8")
        (folder / f"{combined}.tex").write_text("\n".join(latex(m) for m in apa), encoding="utf-8")
        write_docx_tables(apa, folder / f"{combined}.docx")
    return written
