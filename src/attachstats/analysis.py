"""Study-level steps: apply the library's statistics to every block a study declares.

Each function takes the analysis DataFrame and the resolved study mapping and returns
plain DataFrames (the workflow scripts write them).
"""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from .scoring import keyed_items, subscale_items
from .study import instrument_of


def study_reliability(data: pd.DataFrame, study: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reliability row per subscale (``<key>_<subscale>``) and item statistics of every instrument."""
    from .reliability import item_statistics, reliability_table

    subscales: dict[str, pd.DataFrame] = {}
    item_tables = []
    for key in study["instruments"]:
        inst = instrument_of(study, key)
        for name, items in subscale_items(keyed_items(data, key, inst), key, inst).items():
            subscales[f"{key}_{name}"] = items
            it = item_statistics(items)
            it.insert(0, "scale", f"{key}_{name}")
            item_tables.append(it)
    return reliability_table(subscales), pd.concat(item_tables, ignore_index=True)


def study_regressions(scores: pd.DataFrame, study: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit every outcome model of the study on the scores table."""
    from .regression import fit_ols, fit_table, regression_table

    data = _with_reference_levels(scores, study)
    results = [fit_ols(data, m["outcome"], list(m["predictors"]), m["name"], robust=m.get("robust", "HC3"))
               for m in study.get("outcome_models", [])]
    return regression_table(results), fit_table(results)


def _with_reference_levels(scores: pd.DataFrame, study: Mapping[str, Any]) -> pd.DataFrame:
    """Categorical variables as ordered categories with the configured reference level first."""
    out = scores.copy()
    for name, var in study.get("variables", {}).items():
        if var.get("type") == "categorical" and name in out.columns:
            levels = sorted(out[name].dropna().astype(str).unique())
            ref = var.get("reference")
            if ref is not None:
                if ref not in levels:
                    from .errors import ConfigError

                    raise ConfigError(f"study {study['name']!r}, variables.{name}.reference: level {ref!r} "
                                      f"does not occur in the data (levels: {', '.join(levels)})")
                levels = [ref] + [lv for lv in levels if lv != ref]
            out[name] = pd.Categorical(out[name].astype("string"), categories=levels)
    return out
