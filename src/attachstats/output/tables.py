"""Result tables for readers: the displayed table, the APA correlation matrix, Markdown/HTML.

Computation never formats numbers; these functions never compute statistics. The number
style is :mod:`attachstats.output.numbers`, the table layout :mod:`attachstats.output.apa`;
CSV files (full precision) are written by :mod:`attachstats.data.csvio`.
"""

from __future__ import annotations

import pandas as pd

from attachstats.output.apa import html, markdown, table_model
from attachstats.output.numbers import ci_text, format_value, is_missing, significance_marks
from attachstats.spec.factor import EFA_DEFAULTS

__all__ = ["display_table", "to_markdown", "to_html", "apa_correlations"]


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
        if is_missing(row.r):
            cells[i][j] = "–"
            continue
        ci = ci_text(row.ci_lo, row.ci_hi, "r")
        cells[i][j] = f"{format_value(row.r, 'r')}{significance_marks(row.p)}" + (f" {ci}" if ci else "")
    for i, a in enumerate(descriptives["alpha"]):
        cells[i][i] = f"({format_value(float(a), 'alpha')})" if not is_missing(a) else "—"
    out = pd.DataFrame({"Variable": [f"{i + 1}. {v}" for i, v in enumerate(names)],
                        "n": [format_value(int(n), "n") for n in descriptives["n"]],
                        "M": [format_value(float(m), "mean") for m in descriptives["mean"]],
                        "SD": [format_value(float(s), "sd") for s in descriptives["sd"]]})
    for j in range(len(names)):
        out[str(j + 1)] = [cells[i][j] for i in range(len(names))]
    return out
