"""Result tables: deterministic CSV writing and formatted Markdown/HTML.

Computation never formats numbers; these functions never compute statistics. CSV files
keep full precision (10 significant digits, so that results are byte-identical across
runs); Markdown and HTML use APA-like number style: three decimals, no leading zero for
quantities bounded by 1 (p, r, beta, alpha, loadings, fit indices), ``< .001`` for small p.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

# Columns whose values cannot exceed 1 in absolute value: printed without a leading zero.
BOUNDED = {"p", "p_adj", "f_p", "r2", "adj_r2", "alpha", "alpha_ci_lo", "alpha_ci_hi", "std_alpha",
           "cfi", "tli", "rmsea", "rmsea_ci_lo", "rmsea_ci_hi", "srmr", "std", "std_ci_lo", "std_ci_hi",
           "r_drop", "alpha_if_deleted", "missing_share", "mahalanobis_p"}
BOUNDED |= {"pseudo_r2", "nagelkerke_r2", "delta_r2", "delta_pseudo_r2", "share_significant", "sr2"}
P_COLUMNS = {"p", "p_adj", "f_p", "mahalanobis_p"}
TITLES = {
    "flow": "Participant flow",
    "score_summary": "Scale scores",
    "reliability": "Internal consistency (Cronbach's alpha with Feldt 95% CI)",
    "reliability_items": "Item statistics",
    "cfa_fit": "Confirmatory factor analysis: model fit (ML)",
    "cfa_loadings": "Confirmatory factor analysis: loadings",
    "cfa_factor_correlations": "Confirmatory factor analysis: latent correlations",
    "regressions": "Outcome models: coefficients (OLS: HC3 robust SEs by default; GLMs: b on the link scale, exp_b = OR or IRR)",
    "regression_fit": "Outcome models: fit",
    "regression_blocks": "Outcome models: hierarchical entry (ΔR² with F test; GLMs: likelihood-ratio test)",
    "regression_diagnostics": "Outcome models: diagnostics (VIF, Breusch–Pagan, Cook's distance > 4/n)",
    "model_samples": "Rows used per model and why others were not",
    "simple_slopes": "Simple slopes (moderator at mean − SD, mean, mean + SD)",
    "johnson_neyman": "Johnson–Neyman region of significance",
    "slope_curve": "Slope of the focal predictor across the moderator",
    "mediation": "Mediation: paths and indirect effect (percentile bootstrap)",
    "sem_fit": "Latent regression (SEM, ML): model fit",
    "sem_parameters": "Latent regression (SEM, ML): parameters",
}


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write a table as CSV with fixed formatting (``\\n`` line ends, 10 significant digits)."""
    df.to_csv(path, index=False, float_format="%.10g", lineterminator="\n")


def read_csv(path: str | Path) -> pd.DataFrame:
    """Read a table written by :func:`write_csv` (only empty cells are missing)."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def format_value(value: object, column: str) -> str:
    """Format one cell for humans (APA style)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (hasattr(value, "is_integer") and column in ("n", "k", "df", "npar")
                                   and float(value).is_integer()):
        return f"{int(value)}"
    if isinstance(value, float):
        if column in P_COLUMNS:
            return "< .001" if value < 0.001 else f"{value:.3f}".replace("0.", ".", 1)
        text = f"{value:.3f}" if abs(value) < 1000 else f"{value:,.1f}"
        if column in BOUNDED:
            text = text.replace("0.", ".", 1)
        return text
    return str(value)


def formatted(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every cell formatted as text."""
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        out[col] = [format_value(v.item() if hasattr(v, "item") else v, col) for v in df[col]]
    return out


def to_markdown(df: pd.DataFrame, name: str) -> str:
    """A Markdown table with a title line; an empty table says so."""
    title = TITLES.get(name, name)
    if df.empty:
        return f"**{title}**\n\n(no rows)\n"
    f = formatted(df)
    lines = ["| " + " | ".join(map(str, f.columns)) + " |",
             "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(df[c]) else ":---" for c in df.columns) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in f.itertuples(index=False, name=None)]
    return f"**{title}**\n\n" + "\n".join(lines) + "\n"


def to_html(df: pd.DataFrame, name: str) -> str:
    """An HTML table (formatted cells) with a caption."""
    import html

    title = TITLES.get(name, name)
    if df.empty:
        return f"<p><em>{html.escape(title)}</em>: no rows.</p>"
    f = formatted(df)
    num = [pd.api.types.is_numeric_dtype(df[c]) for c in df.columns]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in f.columns)
    body = "".join("<tr>" + "".join(f"<td class=\"{'num' if n else 'txt'}\">{html.escape(v)}</td>"
                                     for v, n in zip(row, num)) + "</tr>"
                   for row in f.itertuples(index=False, name=None))
    return (f"<table><caption>{html.escape(title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")
