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


def factor_structures(study: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """The factor structures to fit, by model name, from the study's instrument.

    ``two_factor`` uses the instrument's subscales as factors; ``one_factor`` loads every
    item on one factor named ``general``.
    """
    fa = study["factor_analysis"]
    key = fa["instrument"]
    inst = instrument_of(study, key)
    by_sub = {name: [f"{key}_{n}" for n in sub.items] for name, sub in inst.subscales.items()}
    all_items = [c for items in by_sub.values() for c in items]
    known = {"one_factor": {"general": all_items}, "two_factor": by_sub}
    return {m: known[m] for m in fa.get("models", ["one_factor", "two_factor"])}


def study_cfa(data: pd.DataFrame, study: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Fit every declared CFA model on the keyed items; return fit, loadings, latent correlations."""
    from .cfa import build_model_syntax, fit_cfa, fit_table

    if not study.get("factor_analysis"):
        return _empty_cfa()
    key = study["factor_analysis"]["instrument"]
    keyed = keyed_items(data, key, instrument_of(study, key))
    results = [fit_cfa(keyed, build_model_syntax(factors), name)
               for name, factors in factor_structures(study).items()]
    return (fit_table(results),
            pd.concat([r.loadings for r in results], ignore_index=True),
            pd.concat([r.factor_correlations for r in results], ignore_index=True))


def _empty_cfa() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from .cfa import CORRELATION_COLUMNS, FIT_COLUMNS, LOADING_COLUMNS

    return (pd.DataFrame(columns=FIT_COLUMNS), pd.DataFrame(columns=LOADING_COLUMNS),
            pd.DataFrame(columns=CORRELATION_COLUMNS))


def study_outcome_models(scores: pd.DataFrame, study: Mapping[str, Any], seed: int) -> dict[str, pd.DataFrame]:
    """Fit every outcome model of the study on the scores table (see :mod:`attachstats.outcomes`).

    Returns the tables ``regressions, regression_fit, regression_blocks,
    regression_diagnostics, simple_slopes, johnson_neyman, slope_curve`` by name.
    """
    from .modelspec import study_specs
    from .outcomes import study_outcome_models as fit_all

    specs, _, _ = study_specs(study)
    return fit_all(_with_reference_levels(scores, study), specs, seed)


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
