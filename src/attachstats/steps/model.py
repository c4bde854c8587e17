"""Study-level steps: apply the library's statistics to every block a study declares.

Each function takes the analysis DataFrame and the resolved study mapping and returns
plain DataFrames (the workflow scripts write them).
"""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from attachstats.data.scoring import keyed_items, subscale_items
from attachstats.stats.latent.cfa import FIT_COLUMNS
from attachstats.stats.latent.sem import SEM_PARAMETER_COLUMNS, fit_sem
from attachstats.spec.instrument import instrument_of


def study_reliability(data: pd.DataFrame, study: Mapping[str, Any],
                      seed: int | None = None, threads: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reliability row per subscale (``<key>_<subscale>``) and item statistics of every instrument.

    The study's ``reliability`` block sets ``omega_nfactors`` (default 3) and ``bootstrap``
    (resamples, default 1000; 0 = no bootstrap intervals); ``seed`` seeds the bootstrap;
    ``threads`` threads share the work (same result on any number).
    """
    from attachstats.stats.reliability import item_statistics, reliability_table

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
                              seed=seed, threads=threads)
    return table, pd.concat(item_tables, ignore_index=True)


def study_outcome_models(scores: pd.DataFrame, study: Mapping[str, Any], seed: int,
                         threads: int = 1) -> dict[str, pd.DataFrame]:
    """Fit every outcome model of the study on the scores table (see :mod:`attachstats.stats.regression.outcomes`);
    multiple imputations run on ``threads`` threads (same result on any number).

    Returns the tables ``regressions, regression_fit, regression_blocks,
    regression_diagnostics, simple_slopes, johnson_neyman, slope_curve`` by name.
    """
    from attachstats.spec.models import study_specs
    from attachstats.stats.regression.outcomes import study_outcome_models as fit_all

    specs, _, _ = study_specs(study)
    return fit_all(_with_reference_levels(scores, study), specs, seed, threads)


def _with_reference_levels(scores: pd.DataFrame, study: Mapping[str, Any]) -> pd.DataFrame:
    """Categorical variables as ordered categories with the configured reference level first."""
    out = scores.copy()
    for name, var in study.get("variables", {}).items():
        if var.get("type") == "categorical" and name in out.columns:
            levels = sorted(out[name].dropna().astype(str).unique())
            ref = var.get("reference")
            if ref is not None:
                if ref not in levels:
                    from attachstats.errors import ConfigError

                    raise ConfigError(f"study {study['name']!r}, variables.{name}.reference: level {ref!r} "
                                      f"does not occur in the data (levels: {', '.join(levels)})")
                levels = [ref] + [lv for lv in levels if lv != ref]
            out[name] = pd.Categorical(out[name].astype("string"), categories=levels)
    return out


def study_mediation(scores: pd.DataFrame, study: Mapping[str, Any], seed: int, threads: int = 1) -> pd.DataFrame:
    """Every ``mediation_models`` entry (see :mod:`attachstats.stats.regression.mediation`); bootstrap seeded per
    model from ``seed`` and the model name, run on ``threads`` threads (same result on any number)."""
    from attachstats.stats.regression.mediation import MEDIATION_COLUMNS, fit_mediation
    from attachstats.spec.models import study_specs
    from attachstats.stats.regression.outcomes import model_rng

    _, specs, _ = study_specs(study)
    data = _with_reference_levels(scores, study)
    tabs = [fit_mediation(data, s, model_rng(seed, s.name), threads) for s in specs]
    return pd.concat(tabs, ignore_index=True) if tabs else pd.DataFrame(columns=MEDIATION_COLUMNS)


def study_sem(clean: pd.DataFrame, scores: pd.DataFrame, study: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every ``sem_models`` entry (see :mod:`attachstats.stats.latent.sem`): fit table and parameter table."""
    from attachstats.spec.models import study_specs

    _, _, specs = study_specs(study)
    return fit_sem_models(clean, scores, specs, study)


def study_model_samples(clean: pd.DataFrame, scores: pd.DataFrame, study: Mapping[str, Any]) -> pd.DataFrame:
    """Rows used by every outcome, mediation and SEM model and why the others were not.

    Columns ``model, analysis, reason, variable, n`` (:data:`attachstats.stats.regression.outcomes.SAMPLE_COLUMNS`):
    per model one ``used`` row and one ``missing`` row per variable that was the first missing
    one of an excluded row (so the ``n`` of a model add up to the analysed respondents); under
    multiple imputation every row is used and the rows with missing values are ``imputed``.
    """
    from attachstats.spec.models import study_specs
    from attachstats.stats.regression.outcomes import SAMPLE_COLUMNS, complete_rows, imputed_samples

    outcome, mediation, sem = study_specs(study)
    parts = []
    for s in outcome:
        _, t = complete_rows(scores, s.variables, s.name, "outcome_model")
        parts.append(imputed_samples(t, len(scores)) if s.missing == "mice" else t)
    for s in mediation:
        parts.append(complete_rows(scores, s.variables, s.name, "mediation")[1])
    for s in sem:
        data, factors = sem_data(clean, scores, s, study)
        cols = [c for items in factors.values() for c in items] + list(s.outcomes)
        parts.append(complete_rows(data, cols, s.name, "sem")[1])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SAMPLE_COLUMNS)


def partial_regression_term(study: Mapping[str, Any]) -> str | None:
    """The predictor of the partial-regression figure: ``figures.partial_regression``, else the
    first predictor of the first outcome model (None without outcome models)."""
    term = study.get("figures", {}).get("partial_regression")
    models = study.get("outcome_models") or []
    return term or (models[0]["predictors"][0] if models else None)


def study_partial_regression(scores: pd.DataFrame, study: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """Added-variable coordinates of :func:`partial_regression_term` in every listwise OLS model
    that has it as a design column and not in an interaction, where its coefficient would be a
    conditional effect (model name → ``x_resid, y_resid``)."""
    from attachstats.spec.models import study_specs
    from attachstats.stats.regression.outcomes import added_variable, model_frame

    term = partial_regression_term(study)
    specs, _, _ = study_specs(study)
    data = _with_reference_levels(scores, study)
    out = {}
    for s in specs:
        if s.family != "ols" or s.missing != "listwise" or any(term in t for t in s.interactions):
            continue
        frame = model_frame(data, s)
        if term in frame.X.columns:
            out[s.name] = added_variable(frame, term)
    return out


def sem_data(items: pd.DataFrame, scores: pd.DataFrame, spec: Any,
             study: Mapping[str, Any]) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The data and factors of one ``sem_models`` entry: the instrument's keyed items (from the
    clean item data, with ``id``) beside the outcome scores (joined on ``id``); factors are the
    instrument's subscales."""
    inst = instrument_of(study, spec.instrument)
    keyed = keyed_items(items, spec.instrument, inst).reset_index(drop=True)
    factors = {sub: [f"{spec.instrument}_{n}" for n in s.items] for sub, s in inst.subscales.items()}
    data = pd.concat([items[["id"]].reset_index(drop=True), keyed], axis=1)
    data = data.merge(scores[["id", *spec.outcomes]], on="id", how="left", validate="one_to_one")
    return data, factors


def fit_sem_models(items: pd.DataFrame, scores: pd.DataFrame, specs: Sequence[Any],
              study: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit every ``sem_models`` entry; returns (fit table, parameter table) (see :func:`sem_data`)."""
    fits, params = [], []
    for spec in specs:
        data, factors = sem_data(items, scores, spec, study)
        res = fit_sem(data, factors, list(spec.outcomes), spec.name)
        fits.append({k: res.fit[k] for k in FIT_COLUMNS})
        params.append(res.parameters)
    fit_tab = pd.DataFrame(fits, columns=FIT_COLUMNS)
    par_tab = pd.concat(params, ignore_index=True) if params else pd.DataFrame(columns=SEM_PARAMETER_COLUMNS)
    return fit_tab, par_tab
