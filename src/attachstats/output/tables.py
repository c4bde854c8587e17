"""Result tables: deterministic CSV writing and formatted Markdown/HTML.

Computation never formats numbers; these functions never compute statistics. CSV files
keep full precision (10 significant digits, so that results are byte-identical across
runs); formatted tables use APA number style: two decimals, no leading zero for quantities
bounded by 1 (p, r, beta, alpha, loadings, fit indices), p with three decimals and
``< .001`` for small p, thousands separators for large values.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

# Columns whose values cannot exceed 1 in absolute value: printed without a leading zero.
BOUNDED = {"p", "p_adj", "f_p", "beta", "r2", "adj_r2", "alpha", "alpha_ci_lo", "alpha_ci_hi", "std_alpha",
           "cfi", "tli", "rmsea", "rmsea_ci_lo", "rmsea_ci_hi", "srmr", "std", "std_ci_lo", "std_ci_hi",
           "r_drop", "alpha_if_deleted", "missing_share", "mahalanobis_p",
           "omega_total", "omega_h", "alpha_boot_ci_lo", "alpha_boot_ci_hi", "omega_total_ci_lo", "omega_total_ci_hi",
           "omega_h_ci_lo", "omega_h_ci_hi", "r", "share"}
BOUNDED |= {"pseudo_r2", "nagelkerke_r2", "delta_r2", "delta_pseudo_r2", "share_significant", "sr2"}
P_COLUMNS = {"p", "p_adj", "f_p", "mahalanobis_p"}
# Small fit indices conventionally reported with three decimals.
THREE_DECIMALS = {"rmsea", "rmsea_ci_lo", "rmsea_ci_hi", "srmr"}
THREE_DECIMALS |= {"sr2", "delta_r2", "delta_pseudo_r2"}   # small effect sizes of the outcome models
# Counts that a column with empty cells stores as float: printed as integers.
INTEGER_COLUMNS = {"n", "k", "df", "npar", "df1", "df2", "f_df1", "f_df2", "count", "n_boot", "n_excluded",
                   "imputations", "block"}
# Factor analysis: bounded quantities, changes in fit indices (three decimals: the usual
# criteria are ΔCFI ≤ −.010, ΔRMSEA ≥ .015), p values and counts.
BOUNDED |= {"delta_cfi", "delta_tli", "delta_rmsea", "delta_srmr", "kmo", "msa", "h2", "u2", "r",
            "congruence", "efa_loading", "efa_max_other", "efa_h2", "cfa_std", "cfa_std_ci_lo",
            "cfa_std_ci_hi", "proportion_var", "cumulative_var", "proportion_explained",
            "cumulative_proportion", "parallel_quantile", "cutoff"}
THREE_DECIMALS |= {"delta_cfi", "delta_tli", "delta_rmsea", "delta_srmr", "kmo", "congruence"}
P_COLUMNS |= {"p_diff", "bartlett_p"}
INTEGER_COLUMNS = {"n", "k", "df", "npar", "df_diff", "baseline_df", "bartlett_df", "parallel_factors",
                   "parallel_components", "parallel_iterations", "n_factors", "seed", "n_efa", "n_cfa",
                   "factor"}
TITLES = {
    "flow": "Participant flow",
    "score_summary": "Scale scores",
    "reliability": "Internal consistency (Cronbach's alpha with Feldt and bootstrap 95% CIs; McDonald's omega)",
    "reliability_items": "Item statistics",
    "cfa_fit": "Confirmatory factor analysis: model fit",
    "cfa_loadings": "Confirmatory factor analysis: loadings",
    "cfa_factor_correlations": "Confirmatory factor analysis: latent correlations",
    "regressions": "Outcome models: coefficients (OLS: HC3 robust SEs by default; GLMs: b on the link scale, exp_b = OR or IRR)",
    "regression_fit": "Outcome models: fit",
    "score_bands": "Severity bands (respondents per band)",
    "caseness": "Caseness and item flags",
    "attachment_styles": "Attachment categories (secondary; dimensions are the primary analysis)",
    "descriptives": "Descriptive statistics",
    "correlations": "Correlations (pairwise Pearson r, 95% CI by Fisher z)",
    "correlations_apa": "Means, standard deviations, reliabilities and correlations",
    "regression_blocks": "Outcome models: hierarchical entry (ΔR² with F test; GLMs: likelihood-ratio test)",
    "regression_diagnostics": "Outcome models: diagnostics (VIF, Breusch–Pagan, Cook's distance > 4/n)",
    "model_samples": "Rows used per model and why others were not",
    "simple_slopes": "Simple slopes (moderator at mean − SD, mean, mean + SD)",
    "johnson_neyman": "Johnson–Neyman region of significance",
    "slope_curve": "Slope of the focal predictor across the moderator",
    "mediation": "Mediation: paths and indirect effect (percentile bootstrap)",
    "sem_fit": "Latent regression (SEM, ML): model fit",
    "sem_parameters": "Latent regression (SEM, ML): parameters",
    "cfa_comparison": "Confirmatory factor analysis: nested model comparison",
    "efa_diagnostics": "Exploratory factor analysis: sampling adequacy, Bartlett's test, parallel analysis",
    "parallel_analysis": "Parallel analysis: observed and simulated eigenvalues",
    "efa_loadings": "Exploratory factor analysis: rotated loadings",
    "efa_factors": "Exploratory factor analysis: variance accounted for",
    "efa_factor_correlations": "Exploratory factor analysis: factor correlations",
    "invariance": "Measurement invariance",
    "cross_validation": "Cross-validation: EFA loadings (one part) and CFA loadings (other part)",
    "cross_validation_fit": "Cross-validation: congruence and fit of the held-out CFA",
}


def format_value(value: object, column: str) -> str:
    """Format one cell for humans (APA style)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (hasattr(value, "is_integer") and column in INTEGER_COLUMNS
                                   and float(value).is_integer()):
        return f"{int(value)}"
    if isinstance(value, float):
        if column in P_COLUMNS:
            return "< .001" if value < 0.001 else f"{value:.3f}".replace("0.", ".", 1)
        text = f"{value:,.3f}" if column in THREE_DECIMALS else f"{value:,.2f}"
        if column in BOUNDED and abs(value) <= 1:
            text = text.replace("0.", ".", 1)
        return text[1:] if text.startswith("-") and not text.strip("-.0") else text
    return str(value)


def display_table(df: pd.DataFrame, name: str, study: dict | None = None) -> pd.DataFrame:
    """The table as shown to readers: EFA loadings below the study's cut-off blanked.

    Only formatted tables (Markdown, LaTeX, Word, HTML) use this; the CSV keeps every value.
    The loading columns of ``efa_loadings`` are those between ``item`` and ``h2``.
    """
    if name != "efa_loadings" or df.empty or "h2" not in df.columns:
        return df
    from attachstats.spec.factor import settings

    s = settings(study or {}) if (study or {}).get("factor_analysis") else {}
    cutoff = float(s["efa"]["cutoff"]) if s else 0.3
    cols = list(df.columns)
    loading_cols = cols[cols.index("item") + 1:cols.index("h2")]
    out = df.copy()
    for c in loading_cols:
        out[c] = out[c].where(out[c].abs() >= cutoff)
    return out


def to_markdown(df: pd.DataFrame, name: str, number: int | None = None) -> str:
    """A result table as APA-style Markdown (see :mod:`attachstats.output.apa`)."""
    from attachstats.output.apa import markdown, table_model

    return markdown(table_model(df, name, number))


def to_html(df: pd.DataFrame, name: str, number: int | None = None) -> str:
    """A result table as an APA-style HTML table (see :mod:`attachstats.output.apa`)."""
    from attachstats.output.apa import html, table_model

    return html(table_model(df, name, number))


def significance_marks(p: float) -> str:
    """``*`` p < .05, ``**`` p < .01, ``***`` p < .001 (empty otherwise or when p is missing)."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


APA_CORRELATION_NOTE = ("M and SD of each variable; Cronbach's alpha of each scale score on the diagonal in "
                        "parentheses; below it Pearson's r with its 95% CI in brackets (Fisher z), pairwise n. "
                        "* p < .05, ** p < .01, *** p < .001.")


def apa_correlations(descriptives: pd.DataFrame, correlations: pd.DataFrame) -> pd.DataFrame:
    """The APA-style correlation matrix as a table of text cells (formatting only).

    Rows are the numbered variables; columns ``Variable, n, M, SD, 1, 2, ...``; the diagonal
    holds alpha in parentheses (empty for covariates); the lower triangle ``r`` with
    significance marks and the 95% CI, e.g. ``.31*** [.26, .36]``.
    """
    names = list(descriptives["variable"])
    pos = {v: i for i, v in enumerate(names)}
    cells = [["" for _ in names] for _ in names]
    for row in correlations.itertuples(index=False):
        i, j = sorted((pos[row.var1], pos[row.var2]), reverse=True)
        if isinstance(row.r, float) and math.isnan(row.r):
            cells[i][j] = "–"
            continue
        ci = (f" [{format_value(row.ci_lo, 'r')}, {format_value(row.ci_hi, 'r')}]"
              if not math.isnan(row.ci_lo) else "")
        cells[i][j] = f"{format_value(row.r, 'r')}{significance_marks(row.p)}{ci}"
    for i, a in enumerate(descriptives["alpha"]):
        cells[i][i] = f"({format_value(float(a), 'alpha')})" if not math.isnan(float(a)) else "—"
    out = pd.DataFrame({"Variable": [f"{i + 1}. {v}" for i, v in enumerate(names)],
                        "n": [format_value(int(n), "n") for n in descriptives["n"]],
                        "M": [format_value(float(m), "mean") for m in descriptives["mean"]],
                        "SD": [format_value(float(s), "sd") for s in descriptives["sd"]]})
    for j in range(len(names)):
        out[str(j + 1)] = [cells[i][j] for i in range(len(names))]
    return out
