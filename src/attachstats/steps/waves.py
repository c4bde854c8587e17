"""Rules of ``workflow/rules/waves.smk``: each wave screened and scored, the waves linked.

Each wave runs the cross-sectional steps unchanged (:func:`attachstats.steps.ingest.ingest`,
:func:`attachstats.steps.validate.validate`, :func:`attachstats.steps.score.score`) on the
study as that wave sees it (:func:`attachstats.spec.waves.wave_study`); :func:`link_waves`
joins them by id (``waves/linked.csv``, ``flow.csv``, ``unmatched_ids.csv``) and
:func:`attrition` compares completers and dropouts on the baseline variables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from attachstats.data.csvio import read_csv, write_csv
from attachstats.data.waves import WaveData, link_waves as link
from attachstats.spec.instrument import instrument_of
from attachstats.spec.waves import waves_of, wave_column, wave_study
from attachstats.stats.attrition import DROPOUT_COMPARISON_COLUMNS, DROPOUT_LOGISTIC_COLUMNS, compare_dropouts, dropout_logistic
from attachstats.errors import ModelError
from attachstats.steps.ingest import ingest
from attachstats.steps.score import score
from attachstats.steps.validate import validate

__all__ = ["ingest_wave", "validate_wave", "score_wave", "link_waves", "attrition", "baseline_variables",
           "study_attrition", "ATTRITION_COLUMNS"]

#: columns of ``waves/attrition.csv``: ``wave`` and ``analysis`` (``comparison`` or
#: ``logistic``), the comparison columns, then those of the logistic model it lacks (``p`` and
#: ``n_dropouts`` are shared: a logistic row's p of its term, dropouts in the model)
ATTRITION_COLUMNS = ["wave", "analysis", *DROPOUT_COMPARISON_COLUMNS, *[c for c in DROPOUT_LOGISTIC_COLUMNS
                                                                if c not in DROPOUT_COMPARISON_COLUMNS]]


def ingest_wave(out: str | Path, study: Mapping[str, Any], wave: str) -> None:
    """Rule ``ingest_wave``: :func:`attachstats.steps.ingest.ingest` on wave ``wave``'s file (or rows)."""
    ingest(out, wave_study(study, wave))


def validate_wave(ingested: str | Path, out: Mapping[str, str], study: Mapping[str, Any], wave: str) -> None:
    """Rule ``validate_wave``: :func:`attachstats.steps.validate.validate` with the wave's data block."""
    validate(ingested, out, wave_study(study, wave))


def score_wave(clean: str | Path, out: Mapping[str, str], study: Mapping[str, Any], wave: str) -> None:
    """Rule ``score_wave``: :func:`attachstats.steps.score.score` on one wave's clean data."""
    score(clean, out, wave_study(study, wave))


def link_waves(inputs: Mapping[str, Sequence[str]], out: Mapping[str, str], study: Mapping[str, Any]) -> None:
    """Rule ``link_waves``: the waves joined by id, with the per-wave flow and every unmatched id.

    ``inputs`` holds, per wave in order, lists ``clean`` (parquet), ``scores``,
    ``exclusions`` and ``flow`` (CSV). Writes ``out["linked"]``, ``out["flow"]`` and
    ``out["unmatched"]`` (see :func:`attachstats.data.waves.link_waves`).
    R equivalent: ``Reduce(function(a, b) merge(a, b, by = "id", all = TRUE), waves)``.
    """
    waves = waves_of(study)
    parts = [WaveData(w, pd.read_parquet(c), read_csv(s), read_csv(e), read_csv(f))
             for w, c, s, e, f in zip(waves, inputs["clean"], inputs["scores"], inputs["exclusions"], inputs["flow"],
                                      strict=True)]
    for p in parts:
        p.clean["id"] = p.clean["id"].astype(str)
        p.scores["id"] = p.scores["id"].astype(str)
        p.exclusions["id"] = p.exclusions["id"].astype(object)
    res = link(parts, study)
    write_csv(res.linked, out["linked"])
    write_csv(res.flow, out["flow"])
    write_csv(res.unmatched, out["unmatched"])


def baseline_variables(study: Mapping[str, Any]) -> dict[str, str]:
    """Baseline variables of the attrition analysis: name → ``numeric``/``categorical``.

    Every declared variable (its ``type``) and every scale score (numeric), in study order.
    """
    out = {v: spec.get("type", "numeric") for v, spec in study.get("variables", {}).items()}
    for key in study["instruments"]:
        for name in instrument_of(study, key).subscales:
            out[f"{key}_{name}"] = "numeric"
    return out


def study_attrition(linked: pd.DataFrame, study: Mapping[str, Any]) -> pd.DataFrame:
    """Completers vs dropouts at each later wave on the baseline variables, and a logistic
    regression of dropout on them (:mod:`attachstats.stats.attrition`).

    The respondents are those retained at the baseline (``present_<baseline> == 1``); a
    dropout at wave w has ``present_<w> == 0``. A variable without two distinct baseline
    values is left out of the logistic model (it cannot be estimated); a model that cannot
    be fitted (e.g. nobody dropped out) gives no logistic rows, and says so in ``term``.

    Returns
    -------
    DataFrame with :data:`ATTRITION_COLUMNS`.
    """
    waves = waves_of(study)
    base = waves[0].name
    at_base = linked[linked[f"present_{base}"] == 1].reset_index(drop=True)
    kinds = {v: k for v, k in baseline_variables(study).items() if wave_column(v, base) in at_base.columns}
    data = pd.DataFrame({v: at_base[wave_column(v, base)] for v in kinds})
    for v, k in kinds.items():
        if k == "categorical":
            data[v] = data[v].where(data[v].isna(), data[v].astype(str))
    rows = []
    for w in waves[1:]:
        dropout = (at_base[f"present_{w.name}"] == 0).astype(int)
        comp = compare_dropouts(data, dropout, kinds)
        comp.insert(0, "analysis", "comparison")
        comp.insert(0, "wave", w.name)
        rows.append(comp)
        usable = [v for v in kinds if data[v].dropna().nunique() > 1]
        try:
            lg = dropout_logistic(data, dropout, usable, name=f"dropout at {w.name}")
        except ModelError as exc:
            lg = pd.DataFrame([{"term": f"not estimated: {exc}"}], columns=DROPOUT_LOGISTIC_COLUMNS)
        lg.insert(0, "analysis", "logistic")
        lg.insert(0, "wave", w.name)
        rows.append(lg)
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=ATTRITION_COLUMNS)
    return out.reindex(columns=ATTRITION_COLUMNS)


def attrition(linked: str | Path, out: str | Path, study: Mapping[str, Any]) -> None:
    """Rule ``attrition``: ``waves/attrition.csv`` from ``waves/linked.csv`` (:func:`study_attrition`).

    R equivalent: ``t.test(x ~ dropout)``, ``chisq.test(table(x, dropout), correct = FALSE)``,
    ``glm(dropout ~ ..., family = binomial)``.
    """
    table = read_csv(linked)
    table["id"] = table["id"].astype(str)
    write_csv(study_attrition(table, study), out)
