"""Attrition analysis: do the people who drop out differ from those who stay?

:func:`compare_dropouts` compares completers and dropouts on baseline variables: for a
numeric variable n, M and SD per group, Welch's t test (``t.test(x ~ g)``, unequal
variances) and Cohen's d with the pooled SD, ``d = (M_dropouts − M_completers) / s_pooled``,
``s_pooled = √(((n₁−1)s₁² + (n₂−1)s₂²) / (n₁+n₂−2))``; for a categorical variable n and
% per level and group, Pearson's χ² test of independence without continuity correction
(``chisq.test(table(x, g), correct = FALSE)``) and Cramér's V, ``√(χ² / (n (min(r, c) − 1)))``.
Missing values of a variable are left out of its comparison (the n columns say how many).

:func:`dropout_logistic` regresses dropout (1 = dropped out) on the baseline variables
together (listwise complete cases): b, SE, Wald z, p, odds ratio and its Wald 95% CI, as
``glm(dropout ~ ..., family = binomial)`` and ``exp(confint.default(fit))``.

Example
-------
>>> import pandas as pd
>>> d = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6, 7, 8], "g": ["a", "b"] * 4})
>>> t = compare_dropouts(d, pd.Series([0, 0, 0, 0, 1, 1, 1, 1]), {"x": "numeric", "g": "categorical"})
>>> round(float(t.loc[t.variable == "x", "d"].iloc[0]), 4)
3.0984

R: ``tests/fixtures/attrition/make_attrition_fixtures.R``.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from attachstats.errors import DataError
from attachstats.stats.regression.design import build_design
from attachstats.stats.regression.glm import fit_glm

__all__ = ["compare_dropouts", "dropout_logistic", "DROPOUT_COMPARISON_COLUMNS", "DROPOUT_LOGISTIC_COLUMNS"]

#: columns of :func:`compare_dropouts`
DROPOUT_COMPARISON_COLUMNS = ["variable", "type", "level", "n_completers", "n_dropouts", "m_completers", "sd_completers",
                      "m_dropouts", "sd_dropouts", "pct_completers", "pct_dropouts", "test", "statistic", "df",
                      "p", "effect", "effect_size"]
#: columns of :func:`dropout_logistic`
DROPOUT_LOGISTIC_COLUMNS = ["term", "b", "se", "z", "p", "odds_ratio", "or_ci_low", "or_ci_high", "n", "n_dropouts"]


def _group(dropout: pd.Series) -> np.ndarray:
    g = pd.Series(dropout).to_numpy(dtype=float)
    if not np.isin(g[~np.isnan(g)], [0.0, 1.0]).all() or np.isnan(g).any():
        raise ValueError("dropout must be 0/1 without missing values")
    return g.astype(bool)


def compare_dropouts(data: pd.DataFrame, dropout: pd.Series, variables: Mapping[str, str]) -> pd.DataFrame:
    """Completers vs dropouts on each variable (see the module docstring).

    Parameters
    ----------
    data : DataFrame
        Baseline variables, one row per baseline respondent.
    dropout : Series of 0/1
        1 = missing at the later wave, aligned to ``data``.
    variables : mapping
        Column → ``"numeric"`` or ``"categorical"``, in the order of the output.

    Returns
    -------
    DataFrame with :data:`DROPOUT_COMPARISON_COLUMNS`: one row per numeric variable (``level``
    empty, ``test`` ``"Welch t"``, ``effect`` ``"d"``) and one row per level of a
    categorical variable (``pct_*`` in percent, ``test`` ``"chi2"``, ``effect``
    ``"Cramer's V"``, the test repeated on each level row). A test that cannot be computed
    (a group with fewer than 2 values, one level only) leaves its cells empty.
    """
    from scipy import stats

    out = []
    g = _group(dropout)
    for var, kind in variables.items():
        x = data[var].reset_index(drop=True)
        ok = x.notna().to_numpy()
        if kind == "numeric":
            v = pd.to_numeric(x, errors="coerce").to_numpy(dtype=float)
            c, d = v[ok & ~g], v[ok & g]
            row = {"variable": var, "type": "numeric", "level": "", "n_completers": len(c), "n_dropouts": len(d),
                   "m_completers": c.mean() if len(c) else np.nan, "sd_completers": c.std(ddof=1) if len(c) > 1 else np.nan,
                   "m_dropouts": d.mean() if len(d) else np.nan, "sd_dropouts": d.std(ddof=1) if len(d) > 1 else np.nan,
                   "pct_completers": np.nan, "pct_dropouts": np.nan, "test": "Welch t", "effect": "d"}
            if len(c) > 1 and len(d) > 1 and (c.var(ddof=1) + d.var(ddof=1)) > 0:
                va, vb = c.var(ddof=1) / len(c), d.var(ddof=1) / len(d)
                t = (d.mean() - c.mean()) / np.sqrt(va + vb)
                df = (va + vb) ** 2 / (va ** 2 / (len(c) - 1) + vb ** 2 / (len(d) - 1))
                sp = np.sqrt(((len(c) - 1) * c.var(ddof=1) + (len(d) - 1) * d.var(ddof=1)) / (len(c) + len(d) - 2))
                row.update(statistic=t, df=df, p=2 * stats.t.sf(abs(t), df), effect_size=(d.mean() - c.mean()) / sp)
            else:
                row.update(statistic=np.nan, df=np.nan, p=np.nan, effect_size=np.nan)
            out.append(row)
            continue
        s = x[ok].astype(str)
        gg = g[ok]
        levels = sorted(s.unique())
        table = np.array([[np.sum((s == lv).to_numpy() & ~gg), np.sum((s == lv).to_numpy() & gg)] for lv in levels],
                         dtype=float)
        n_c, n_d = int((~gg).sum()), int(gg.sum())
        chi2 = dfc = p = v_eff = np.nan
        if len(levels) > 1 and n_c > 0 and n_d > 0:
            expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
            chi2 = float(((table - expected) ** 2 / expected).sum())
            dfc = float((len(levels) - 1) * 1)
            p = float(stats.chi2.sf(chi2, dfc))
            v_eff = float(np.sqrt(chi2 / (table.sum() * (min(len(levels), 2) - 1))))
        for lv, (a, b) in zip(levels, table):
            out.append({"variable": var, "type": "categorical", "level": lv, "n_completers": int(a),
                        "n_dropouts": int(b), "m_completers": np.nan, "sd_completers": np.nan, "m_dropouts": np.nan,
                        "sd_dropouts": np.nan, "pct_completers": 100 * a / n_c if n_c else np.nan,
                        "pct_dropouts": 100 * b / n_d if n_d else np.nan, "test": "chi2", "statistic": chi2,
                        "df": dfc, "p": p, "effect": "Cramer's V", "effect_size": v_eff})
    return pd.DataFrame(out, columns=DROPOUT_COMPARISON_COLUMNS)


def dropout_logistic(data: pd.DataFrame, dropout: pd.Series, predictors: list[str], name: str = "dropout",
                     ci: float = 0.95) -> pd.DataFrame:
    """Logistic regression of dropout on the baseline variables (listwise complete cases).

    Categorical predictors enter as treatment dummies (first level in sorted order as the
    reference, as :func:`attachstats.stats.regression.design.build_design` codes them).

    Returns
    -------
    DataFrame with :data:`DROPOUT_LOGISTIC_COLUMNS`, one row per term (``(Intercept)`` first).

    Raises
    ------
    attachstats.errors.ModelError
        When the model cannot be fitted (no dropouts, separation, aliased terms).
    """
    from scipy import stats

    d = data[predictors].reset_index(drop=True).copy()
    d["_dropout"] = _group(dropout).astype(float)
    d = d.dropna()
    if d.empty:
        raise DataError(f"{name}: no respondent has every baseline variable of the dropout model")
    y, X, _ = build_design(d, "_dropout", predictors, name)
    res = fit_glm(y, X, "logit", name, ci=ci)
    zc = stats.norm.ppf(0.5 + ci / 2)
    return pd.DataFrame({"term": res.terms, "b": res.b, "se": res.se, "z": res.stat, "p": res.p,
                         "odds_ratio": np.exp(res.b), "or_ci_low": np.exp(res.b - zc * res.se),
                         "or_ci_high": np.exp(res.b + zc * res.se), "n": len(y), "n_dropouts": int(y.sum())},
                        columns=DROPOUT_LOGISTIC_COLUMNS)
