"""Study-level steps: apply the library's statistics to every block a study declares.

Each function takes the analysis DataFrame and the resolved study mapping and returns
plain DataFrames (the workflow scripts write them).
"""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from .scoring import keyed_items, subscale_items
from .study import instrument_of


def study_reliability(data: pd.DataFrame, study: Mapping[str, Any],
                      seed: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reliability row per subscale (``<key>_<subscale>``) and item statistics of every instrument.

    The study's ``reliability`` block sets ``omega_nfactors`` (default 3) and ``bootstrap``
    (resamples, default 1000; 0 = no bootstrap intervals); ``seed`` seeds the bootstrap.
    """
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
    opts = study.get("reliability", {}) or {}
    n_boot = int(opts.get("bootstrap", 1000)) if seed is not None else 0
    table = reliability_table(subscales, omega_nfactors=int(opts.get("omega_nfactors", 3)), n_boot=n_boot,
                              seed=seed)
    return table, pd.concat(item_tables, ignore_index=True)


def factor_structures(study: Mapping[str, Any]) -> dict[str, dict[str, list[str]]]:
    """The factor structures to fit, by model name, from the study's instrument.

    ``two_factor`` uses the instrument's subscales as factors; ``one_factor`` loads every
    item, in questionnaire order, on one factor named ``general``.
    """
    fa = study["factor_analysis"]
    key = fa["instrument"]
    inst = instrument_of(study, key)
    by_sub = {name: [f"{key}_{n}" for n in sub.items] for name, sub in inst.subscales.items()}
    # one factor: items in questionnaire order (the first item is the marker, as in lavaan's cfa())
    all_items = [f"{key}_{n}" for n in sorted({n for sub in inst.subscales.values() for n in sub.items})]
    known = {"one_factor": {"general": all_items}, "two_factor": by_sub}
    return {m: known[m] for m in fa.get("models", ["one_factor", "two_factor"])}


def study_cfa(data: pd.DataFrame, study: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Fit every declared CFA model on the keyed items; return fit, loadings, latent correlations."""
    from .cfa import fit_table

    if not study.get("factor_analysis"):
        return _empty_cfa()
    key = study["factor_analysis"]["instrument"]
    keyed = keyed_items(data, key, instrument_of(study, key))
    results = [_fit_identified(keyed, factors, name) for name, factors in factor_structures(study).items()]
    return (fit_table(results),
            pd.concat([r.loadings for r in results], ignore_index=True),
            pd.concat([r.factor_correlations for r in results], ignore_index=True))


def _fit_identified(data: pd.DataFrame, factors: Mapping[str, list[str]], name: str):
    """Fit with marker identification (lavaan's default); if the marker item does not load
    (a singular information matrix, e.g. one factor over two unrelated dimensions), refit with
    latent variances fixed to 1. Fit statistics and standardised estimates do not depend on
    the choice; the log says which was used."""
    import logging

    from .cfa import build_model_syntax, fit_cfa
    from .errors import ModelError

    try:
        return fit_cfa(data, build_model_syntax(factors), name)
    except ModelError as exc:
        if "not identified" not in str(exc):
            raise
        logging.getLogger("attachstats.cfa").warning(
            "%s: marker identification failed (%s); refitting with latent variances fixed to 1", name, exc)
        lines = [f"{f} =~ NA*{items[0]}" + "".join(f" + {i}" for i in items[1:]) + f"\n{f} ~~ 1*{f}"
                 for f, items in factors.items()]
        return fit_cfa(data, "\n".join(lines), name)


def _empty_cfa() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from .cfa import CORRELATION_COLUMNS, FIT_COLUMNS, LOADING_COLUMNS

    return (pd.DataFrame(columns=FIT_COLUMNS), pd.DataFrame(columns=LOADING_COLUMNS),
            pd.DataFrame(columns=CORRELATION_COLUMNS))


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
