"""Cross-study summary: line up several studies' results and pool shared effects.

Each function takes, per study name, the study's result tables (as read from
``results/<study>/``) and returns one combined DataFrame; :func:`pool_coefficients`
pools every regression coefficient that two or more studies estimate for the same
outcome and term, by random-effects meta-analysis (:mod:`attachstats.stats.meta`). Pooling
unstandardised b assumes the studies measure outcome and predictor on the same scale
(same instrument keys and forms); the table says which studies entered each pool.
"""

from __future__ import annotations

from typing import Mapping

import pandas as pd

from attachstats.stats.meta import random_effects

StudyTables = Mapping[str, Mapping[str, pd.DataFrame]]

STUDY_COLUMNS = ["study", "n_raw", "n_excluded", "n_analysed", "cfa_model", "cfa_n", "chi2", "df", "cfi",
                 "tli", "rmsea", "srmr", "cfa_estimator"]
META_COLUMNS = ["model", "outcome", "term", "studies", "method", "k", "estimate", "se", "ci_lo", "ci_hi", "z", "p",
                "tau2", "i2", "q", "q_p"]


def study_overview(tables: StudyTables, cfa_model: str = "two_factor") -> pd.DataFrame:
    """One row per study: sample flow and the fit of ``cfa_model`` (empty where not fitted)."""
    rows = []
    for name, t in tables.items():
        flow = t["flow"]
        row = {"study": name, "n_raw": int(flow["n_after"].iloc[0]), "n_excluded": int(flow["n_excluded"].sum()),
               "n_analysed": int(flow["n_after"].iloc[-1]), "cfa_model": cfa_model}
        fit = t["cfa_fit"]
        fit = fit[fit["model"] == cfa_model]
        if len(fit):
            f = fit.iloc[0]
            row.update({"cfa_n": f["n"], **{k: f[k] for k in ("chi2", "df", "cfi", "tli", "rmsea", "srmr")}})
            row["cfa_estimator"] = f.get("estimator", "ML")      # MLR: scaled chi2, robust indices
        rows.append(row)
    return pd.DataFrame(rows, columns=STUDY_COLUMNS)


def stacked(tables: StudyTables, name: str) -> pd.DataFrame:
    """The table ``name`` of every study, one above the other, with a leading ``study`` column."""
    parts = [t[name].assign(study=s)[["study", *t[name].columns]] for s, t in tables.items() if len(t[name])]
    if not parts:
        cols = next(iter(tables.values()))[name].columns if tables else []
        return pd.DataFrame(columns=["study", *cols])
    return pd.concat(parts, ignore_index=True)


def pool_coefficients(coefficients: pd.DataFrame, method: str = "REML") -> pd.DataFrame:
    """Random-effects pool of each (model, outcome, term) estimated in two or more studies.

    Parameters
    ----------
    coefficients : stacked ``regressions.csv`` tables (``study, model, outcome, term, b, se, …``).
    """
    d = coefficients[coefficients["term"] != "(Intercept)"]
    rows = []
    for (model, outcome, term), g in d.groupby(["model", "outcome", "term"], sort=True):
        if len(g) < 2:
            continue
        res = random_effects(g["b"], g["se"], method=method)
        rows.append({"model": model, "outcome": outcome, "term": term, "studies": ";".join(g["study"]), **res.as_dict()})
    return pd.DataFrame(rows, columns=META_COLUMNS)
