"""Rules of ``workflow/rules/model.smk``: outcome models, mediation, latent regression, samples.

Each rule function reads the scores (and, for SEM, the clean item data) and writes its
tables; the ``study_*`` functions beside them do the same on DataFrames. Models come from
the study's ``outcome_models``, ``mediation_models`` and ``sem_models`` blocks, parsed once
into :mod:`attachstats.spec.models` specifications.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from attachstats.data.csvio import read_csv, write_csv
from attachstats.data.scoring import keyed_items
from attachstats.data.validate import in_file_terms
from attachstats.data.variables import with_reference_levels
from attachstats.spec.instrument import instrument_of
from attachstats.spec.models import mediation_specs, outcome_specs, sem_specs
from attachstats.stats.latent.fit_indices import FIT_COLUMNS
from attachstats.stats.latent.api import pipeline_tables, sem as sem_syntax_fit
from attachstats.stats.latent.sem import SEM_PARAMETER_COLUMNS, fit_sem_as_syntax
from attachstats.stats.latent.syntax import lavaanify
from attachstats.stats.regression.mediation import MEDIATION_COLUMNS, fit_mediation
from attachstats.stats.regression.design import SAMPLE_COLUMNS, complete_rows
from attachstats.stats.regression.outcomes import fit_outcome_models, imputed_samples
from attachstats.stats.rng import named_rng

__all__ = ["regress", "mediate", "sem", "model_samples", "study_outcome_models", "study_mediation",
           "study_sem", "study_model_samples"]

log = logging.getLogger(__name__)

#: Output names of the ``regress`` rule → table names of :func:`study_outcome_models`.
REGRESS_TABLES = {"coefficients": "regressions", "fit": "regression_fit", "blocks": "regression_blocks",
                  "diagnostics": "regression_diagnostics", "simple_slopes": "simple_slopes",
                  "johnson_neyman": "johnson_neyman", "slope_curve": "slope_curve"}


def regress(scores: str | Path, out: Mapping[str, str], study: Mapping[str, Any], seed: int,
            threads: int = 1) -> None:
    """Rule ``regress``: every outcome model (OLS, logit, Poisson, negative binomial).

    Writes one CSV per output name of :data:`REGRESS_TABLES`. R equivalent: ``lm`` with
    ``sandwich::vcovHC(type = "HC3")``, ``glm``, ``MASS::glm.nb``, ``mice`` + ``pool``.
    """
    tables = study_outcome_models(read_csv(scores), study, seed, threads)
    for key, name in REGRESS_TABLES.items():
        write_csv(tables[name], out[key])


def mediate(scores: str | Path, out: str | Path, study: Mapping[str, Any], seed: int, threads: int = 1) -> None:
    """Rule ``mediate``: paths a, b, c, c' and the indirect effect with a seeded percentile bootstrap.

    R equivalent: ``mediation::mediate`` / ``lavaan`` with ``se = "bootstrap"``.
    """
    write_csv(study_mediation(read_csv(scores), study, seed, threads), out)


def sem(clean: str | Path, scores: str | Path, out: Mapping[str, str], study: Mapping[str, Any]) -> None:
    """Rule ``sem``: latent regressions of observed outcomes on the instrument's factors.

    Writes ``out["fit"]`` and ``out["parameters"]``. R equivalent: ``lavaan::sem``.
    """
    with in_file_terms(study):     # messages name the file's item headers
        fit, parameters = study_sem(pd.read_parquet(clean), read_csv(scores), study)
        write_csv(fit, out["fit"])
        write_csv(parameters, out["parameters"])


def model_samples(clean: str | Path, scores: str | Path, out: str | Path, study: Mapping[str, Any]) -> None:
    """Rule ``model_samples``: rows used by every model and why the others were not."""
    write_csv(study_model_samples(pd.read_parquet(clean), read_csv(scores), study), out)


def study_outcome_models(scores: pd.DataFrame, study: Mapping[str, Any], seed: int,
                         threads: int = 1) -> dict[str, pd.DataFrame]:
    """Fit every outcome model of the study on the scores table (see :mod:`attachstats.stats.regression.outcomes`);
    multiple imputations run on ``threads`` threads (same result on any number).

    Returns the tables ``regressions, regression_fit, regression_blocks,
    regression_diagnostics, simple_slopes, johnson_neyman, slope_curve`` by name.
    """
    specs = outcome_specs(study)
    return fit_outcome_models(with_reference_levels(scores, study), specs, seed, threads)


def study_mediation(scores: pd.DataFrame, study: Mapping[str, Any], seed: int, threads: int = 1) -> pd.DataFrame:
    """Every ``mediation_models`` entry (see :mod:`attachstats.stats.regression.mediation`); bootstrap seeded per
    model from ``seed`` and the model name, run on ``threads`` threads (same result on any number)."""

    specs = mediation_specs(study)
    data = with_reference_levels(scores, study)
    tabs = []
    for s in specs:
        log.info("mediation model %r: bootstrapping the indirect effect ...", s.name)
        tabs.append(fit_mediation(data, s, named_rng(seed, s.name), threads))
        log.info("mediation model %r: done", s.name)
    return pd.concat(tabs, ignore_index=True) if tabs else pd.DataFrame(columns=MEDIATION_COLUMNS)


def study_sem(clean: pd.DataFrame, scores: pd.DataFrame, study: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every ``sem_models`` entry (see :mod:`attachstats.stats.latent.sem`): fit table and parameter table."""

    specs = sem_specs(study)
    return fit_sem_models(clean, scores, specs, study)


def study_model_samples(clean: pd.DataFrame, scores: pd.DataFrame, study: Mapping[str, Any]) -> pd.DataFrame:
    """Rows used by every outcome, mediation and SEM model and why the others were not.

    Columns ``model, analysis, reason, variable, n`` (:data:`attachstats.stats.regression.design.SAMPLE_COLUMNS`):
    per model one ``used`` row and one ``missing`` row per variable that was the first missing
    one of an excluded row (so the ``n`` of a model add up to the analysed respondents); under
    multiple imputation every row is used and the rows with missing values are ``imputed``.
    """
    outcome, mediation, sem = outcome_specs(study), mediation_specs(study), sem_specs(study)
    parts = []
    for s in outcome:
        _, t = complete_rows(scores, s.variables, s.name, "outcome_model")
        parts.append(imputed_samples(t, len(scores)) if s.missing == "mice" else t)
    for s in mediation:
        parts.append(complete_rows(scores, s.variables, s.name, "mediation")[1])
    for s in sem:
        if s.syntax:
            parts.append(syntax_samples(syntax_data(clean, scores, study), s))
            continue
        data, factors = sem_data(clean, scores, s, study)
        cols = [c for items in factors.values() for c in items] + list(s.outcomes)
        parts.append(complete_rows(data, cols, s.name, "sem")[1])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SAMPLE_COLUMNS)


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


def syntax_data(items: pd.DataFrame, scores: pd.DataFrame, study: Mapping[str, Any]) -> pd.DataFrame:
    """The data a ``syntax`` entry of ``sem_models`` can name: every instrument block's keyed
    items (columns ``<block>_<item number>``, from the clean item data) beside every score and
    variable column (joined on ``id``)."""
    parts = [items[["id"]].reset_index(drop=True)]
    for block in study.get("instruments", {}):
        parts.append(keyed_items(items, block, instrument_of(study, block)).reset_index(drop=True))
    data = pd.concat(parts, axis=1)
    data = data.loc[:, ~data.columns.duplicated()]
    extra = [c for c in scores.columns if c == "id" or c not in data.columns]
    return data.merge(scores[extra], on="id", how="left", validate="one_to_one")


def syntax_columns(spec: Any) -> list[str]:
    """The observed variables of a ``syntax`` entry (lavaan's order)."""
    return list(lavaanify(spec.syntax, spec.name, std_lv=spec.std_lv).ov)


def syntax_samples(data: pd.DataFrame, spec: Any) -> pd.DataFrame:
    """Rows a ``syntax`` entry uses and why the others are not (:data:`SAMPLE_COLUMNS`).

    Listwise (ML, MLR, WLSMV): rows complete on the model's observed variables. FIML: every
    row with at least one observed model variable and its fixed exogenous covariates present
    (as lavaan's ``missing = "ml"``) is ``used``; the others are ``missing`` (variable: the
    first missing covariate, else ``all model variables``); the used rows with missing
    values are listed again as ``fiml`` (kept, their missing values integrated out), per first
    missing variable, so ``used`` + ``missing`` add up to the rows of the data.
    """
    cols = syntax_columns(spec)
    if spec.missing != "fiml":
        return complete_rows(data, cols, spec.name, "sem")[1]
    pt = lavaanify(spec.syntax, spec.name, std_lv=spec.std_lv, missing="fiml")
    _, samples = complete_rows(data, cols, spec.name, "sem")       # checks the columns exist
    obs = data[cols].notna()
    xs = [v for v in pt.ov_x if v in cols]
    x_ok = obs[xs].all(axis=1) if xs else pd.Series(True, index=data.index)
    used = obs.any(axis=1) & x_ok
    rows = [{"model": spec.name, "analysis": "sem", "reason": "used", "variable": "", "n": int(used.sum())}]
    why = pd.Series("all model variables", index=data.index)
    for v in reversed(xs):
        why[~obs[v]] = v
    for v, n in why[~used].value_counts(sort=False).items():
        rows.append({"model": spec.name, "analysis": "sem", "reason": "missing", "variable": v, "n": int(n)})
    partial = used & ~obs.all(axis=1)
    first = obs[partial].idxmin(axis=1)
    for v in cols:
        n = int((first == v).sum())
        if n:
            rows.append({"model": spec.name, "analysis": "sem", "reason": "fiml", "variable": v, "n": n})
    return pd.DataFrame(rows, columns=SAMPLE_COLUMNS)


def fit_sem_models(items: pd.DataFrame, scores: pd.DataFrame, specs: Sequence[Any],
                   study: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit every ``sem_models`` entry; returns (fit table, parameter table) (see :func:`sem_data`).

    A preset entry (``instrument`` + ``outcomes``) is the latent regression of
    :mod:`attachstats.stats.latent.sem`, written as lavaan syntax and fitted by the same driver
    (:func:`attachstats.stats.latent.sem.fit_sem_as_syntax`; equal to the direct
    :func:`~attachstats.stats.latent.sem.fit_sem` to 1e-14); a ``syntax`` entry is fitted by
    :func:`attachstats.stats.latent.api.sem` on :func:`syntax_data` with the entry's
    ``estimator`` (ML, MLR, WLSMV with ``ordered``) and ``missing`` (listwise, fiml), its rows
    in the same tables (``op`` also ``:=`` for defined parameters; the fit table's
    ``estimator`` says how it was fitted, e.g. ``MLR/FIML``)."""
    fits, params = [], []
    for spec in specs:
        if spec.syntax:
            res = sem_syntax_fit(spec.syntax, syntax_data(items, scores, study), estimator=spec.estimator,
                                 ordered=spec.ordered or None, missing=spec.missing, std_lv=spec.std_lv,
                                 name=spec.name)
            row, table = pipeline_tables(res, spec.name)
            fits.append(row)
            params.append(table[SEM_PARAMETER_COLUMNS])
            continue
        data, factors = sem_data(items, scores, spec, study)
        res = fit_sem_as_syntax(data, factors, list(spec.outcomes), spec.name)
        fits.append({k: res.fit[k] for k in FIT_COLUMNS})
        params.append(res.parameters)
    fit_tab = pd.DataFrame(fits, columns=FIT_COLUMNS)
    par_tab = pd.concat(params, ignore_index=True) if params else pd.DataFrame(columns=SEM_PARAMETER_COLUMNS)
    return fit_tab, par_tab
