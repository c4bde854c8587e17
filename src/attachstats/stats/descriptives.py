"""Descriptive statistics and the correlation table of scale scores and numeric covariates.

Correlations are Pearson's r over the rows that answer both variables (pairwise), with the
95% confidence interval from Fisher's z, ``tanh(atanh(r) +- z_.975 / sqrt(n - 3))``, and the
two-sided p value of ``t = r sqrt((n - 2) / (1 - r^2))`` on ``n - 2`` df — exactly what R's
``cor.test(x, y)`` reports for each pair (checked in ``tests/fixtures/descriptives``).
Formatting (APA matrix, significance marks) is :func:`attachstats.output.tables.apa_correlations`.

Example
-------
>>> import pandas as pd
>>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 1, 4, 3, 5], "c": [5, 3, 4, 1, None]})
>>> correlation_table(df, ["a", "b", "c"])[["var1", "var2", "n"]].values.tolist()
[['a', 'b', 5], ['a', 'c', 4], ['b', 'c', 4]]
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd


__all__ = ["correlation_table", "describe", "CORRELATION_COLUMNS", "DESCRIPTIVE_COLUMNS"]

#: Columns of :func:`correlation_table` (a public interface).
CORRELATION_COLUMNS = ["var1", "var2", "n", "r", "ci_lo", "ci_hi", "p"]
#: Columns of :func:`describe` (a public interface).
DESCRIPTIVE_COLUMNS = ["variable", "kind", "n", "mean", "sd", "min", "max", "alpha"]


def correlation_table(df: pd.DataFrame, columns: list[str], ci: float = 0.95) -> pd.DataFrame:
    """Pairwise Pearson correlations of ``columns`` (each pair once, in the given order).

    Returns
    -------
    DataFrame with ``var1, var2, n, r, ci_lo, ci_hi, p`` (``cor.test``); the interval is
    empty for n < 4 and r, p empty for n < 3 or a constant variable.
    """
    from scipy import stats

    q = stats.norm.ppf(0.5 + ci / 2.0)
    rows = []
    for i, a in enumerate(columns):
        for b in columns[i + 1:]:
            xy = df[[a, b]].astype(float).dropna()
            n = len(xy)
            r = p = lo = hi = float("nan")
            if n >= 3 and xy[a].std() > 0 and xy[b].std() > 0:
                r = float(np.corrcoef(xy[a], xy[b])[0, 1])
                r = min(1.0, max(-1.0, r))
                if abs(r) < 1:
                    t = r * np.sqrt((n - 2) / (1 - r * r))
                    p = float(2 * stats.t.sf(abs(t), n - 2))
                else:
                    p = 0.0
                if n >= 4:
                    z, se = np.arctanh(r), 1.0 / np.sqrt(n - 3)
                    lo, hi = float(np.tanh(z - q * se)), float(np.tanh(z + q * se))
            rows.append({"var1": a, "var2": b, "n": n, "r": r, "ci_lo": lo, "ci_hi": hi, "p": p})
    return pd.DataFrame(rows, columns=CORRELATION_COLUMNS)


def describe(df: pd.DataFrame, columns: list[str], kinds: Mapping[str, str],
             alphas: Mapping[str, float] | None = None) -> pd.DataFrame:
    """n, mean, SD (n - 1), min, max of each column, with its kind and Cronbach's alpha if known."""
    alphas = alphas or {}
    rows = []
    for c in columns:
        v = df[c].astype(float).dropna()
        rows.append({"variable": c, "kind": kinds.get(c, ""), "n": int(len(v)), "mean": v.mean(),
                     "sd": v.std(ddof=1), "min": v.min(), "max": v.max(),
                     "alpha": alphas.get(c, float("nan"))})
    return pd.DataFrame(rows, columns=DESCRIPTIVE_COLUMNS)
