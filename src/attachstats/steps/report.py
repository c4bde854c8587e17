"""Rules of ``workflow/rules/report.smk``: formatted tables, figures, provenance, the HTML report.

The only place where a study's settings meet the formatting floor: the rule functions read
result tables, derive what a figure or table needs from the study (which scores to plot,
the EFA cut-off, the classification), call :mod:`attachstats.output` and write the files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd

from attachstats.data.csvio import read_csv, write_csv
from attachstats.data.scoring import keyed_items
from attachstats.data.variables import with_reference_levels
from attachstats.output.labels import LABEL_KEYS, study_labels
from attachstats.output.figures import data as data_figures
from attachstats.output.figures import factor as factor_figures
from attachstats.output.figures import models as model_figures
from attachstats.output.figures.common import save_png
from attachstats.output.provenance import collect_provenance, write_json
from attachstats.output.report.html import render_report
from attachstats.output.tables import write_formatted_tables
from attachstats.spec.factor import efa_cutoff, settings
from attachstats.spec.instrument import instrument_of
from attachstats.spec.models import outcome_specs
from attachstats.spec.styles import style_spec
from attachstats.stats.regression.outcomes import added_variable, model_frame

__all__ = ["COMBINED_TABLES", "LABELS_FILE", "LABEL_KEYS", "formatted_tables", "figures_data", "figures_factor", "figures_models", "provenance", "report",
           "study_data_figures", "study_factor_figures", "study_model_figures", "partial_regression_term",
           "study_partial_regression", "cell_findings"]


def formatted_tables(tables: Mapping[str, str], out: Sequence[str], study: Mapping[str, Any]) -> None:
    """Rule ``formatted_tables``: the APA table set and every result table as Markdown, LaTeX and Word.

    ``tables`` maps table names to their CSV files; ``out`` lists the ``<name>.{md,tex,docx}``
    files to write, ``apa_tables.{md,tex,docx}`` (the numbered APA set in one document) and
    ``labels.csv`` (every machine name of the study with its label: ``kind, name, label``).
    Labels come from the study and its instruments (:func:`attachstats.output.labels.study_labels`,
    the study part declaring ``LABEL_KEYS``). The CSV files keep full precision and machine
    names; only these formatted copies round and label. R equivalent: ``apaTables``/``papaja``.
    """
    stems = list(dict.fromkeys(Path(p).stem for p in out if not str(p).endswith(".csv")))
    combined = COMBINED_TABLES if COMBINED_TABLES in stems else None
    names = [n for n in stems if n != COMBINED_TABLES]
    frames = {name: read_csv(path) for name, path in tables.items()}
    labels = study_labels(study, frames.get("efa_loadings"))
    for path in out:
        if Path(path).name == LABELS_FILE:
            write_csv(labels.frame(), path)
    write_formatted_tables(frames, names, Path(out[0]).parent, labels, cutoff=efa_cutoff(study), combined=combined)


#: File stem of the numbered APA table set in one document (``tables/apa_tables.{md,tex,docx}``).
COMBINED_TABLES = "apa_tables"
#: The study's labels list (``kind, name, label``), written beside the formatted tables.
LABELS_FILE = "labels.csv"


#: The figures in three groups, one rule each, so that they are drawn in parallel: group → figures.
FIGURE_GROUPS = {
    "figures_data": ("flow", "score_distributions", "dimensions", "item_distributions", "correlation_heatmap"),
    "figures_factor": ("cfa_loadings", "scree", "efa_loadings", "path_diagram"),
    "figures_models": ("coefficients", "interaction", "mediation", "partial_regression"),
}
#: The result tables each group reads (input names of its rule, beside the row-level files).
GROUP_TABLES = {
    "figures_data": ("flow", "score_summary", "attachment_styles", "correlations"),
    "figures_factor": ("cfa_loadings", "cfa_factor_correlations", "parallel_analysis", "efa_diagnostics",
                       "efa_loadings"),
    "figures_models": ("regressions", "simple_slopes", "slope_curve", "johnson_neyman", "mediation"),
}


def _tables(inputs: Mapping[str, str], group: str) -> dict[str, pd.DataFrame]:
    return {name: read_csv(inputs[name]) for name in GROUP_TABLES[group]}


def _save(figures: Mapping[str, Any], out: Mapping[str, str]) -> None:
    """Each figure as PNG (``out[name]``) and PDF (``out[name + "_pdf"]``)."""
    for name, fig in figures.items():
        save_png(fig, out[name], pdf=out[f"{name}_pdf"])


def figures_data(inputs: Mapping[str, str], out: Mapping[str, str], study: Mapping[str, Any]) -> None:
    """Rule ``figures_data``: participant flow, score and item distributions, the dimensions, correlations.

    ``inputs`` maps the tables of ``GROUP_TABLES["figures_data"]`` and ``scores``, ``styles``
    (row-level categories) and ``clean`` (item data) to their files.
    """
    _save(study_data_figures(_tables(inputs, "figures_data"), read_csv(inputs["scores"]), read_csv(inputs["styles"]),
                             pd.read_parquet(inputs["clean"]), study), out)


def figures_factor(inputs: Mapping[str, str], out: Mapping[str, str], study: Mapping[str, Any]) -> None:
    """Rule ``figures_factor``: CFA loadings and path diagram, scree, EFA loadings (tables only)."""
    _save(study_factor_figures(_tables(inputs, "figures_factor"), study), out)


def figures_models(inputs: Mapping[str, str], out: Mapping[str, str], study: Mapping[str, Any]) -> None:
    """Rule ``figures_models``: coefficients, probed interactions, mediation, partial regressions
    (the tables and, for the added-variable plots, ``scores``)."""
    _save(study_model_figures(_tables(inputs, "figures_models"), read_csv(inputs["scores"]), study), out)


def study_data_figures(tables: Mapping[str, pd.DataFrame], scores: pd.DataFrame, styles: pd.DataFrame | None,
                       clean: pd.DataFrame, study: Mapping[str, Any]) -> dict[str, Any]:
    """The data figures by output name (matplotlib Figures, not yet saved).

    ``styles`` holds the row-level attachment categories (``id, attachment_style``), ``clean``
    the item data (for the item distributions of the factor-analysed, else the first, instrument).
    """
    score_cols = list(tables["score_summary"]["score"])
    xy = study.get("figures", {}).get("scatter") or score_cols[:2]
    fa = study.get("factor_analysis")
    midpoint = None
    if fa:
        inst = instrument_of(study, fa["instrument"])
        if inst.scoring == "mean":
            midpoint = (inst.min + inst.max) / 2
    style_col = cuts = None
    rule = ""
    spec = style_spec(study)
    counts = tables.get("attachment_styles")
    if spec is not None and styles is not None and counts is not None and len(counts):
        style_col = scores["id"].map(dict(zip(styles["id"], styles["attachment_style"])))
        cut = {spec.anxiety: float(counts["anxiety_cut"].iat[0]), spec.avoidance: float(counts["avoidance_cut"].iat[0])}
        rule = str(counts["rule"].iat[0])
        if set(xy) == set(cut):
            cuts = (cut[xy[0]], cut[xy[1]])
    key = (fa or {}).get("instrument") or next(iter(study["instruments"]))
    item_inst = instrument_of(study, key)
    return {
        "flow": data_figures.flow_figure(tables["flow"]),
        "score_distributions": data_figures.score_distributions(scores, score_cols),
        "dimensions": data_figures.dimensions_scatter(scores, xy[0], xy[1], midpoint, style_col, cuts, rule),
        "item_distributions": data_figures.item_distributions(keyed_items(clean, key, item_inst), item_inst.min,
                                                              item_inst.max, f"{key} ({item_inst.id})",
                                                              continuous=item_inst.continuous),
        "correlation_heatmap": data_figures.correlation_heatmap(tables["correlations"]),
    }


def study_factor_figures(tables: Mapping[str, pd.DataFrame], study: Mapping[str, Any]) -> dict[str, Any]:
    """The factor-analysis figures by output name: loadings of the two-factor (else the first)
    CFA model, the path diagram of ``factor_analysis.path_model``, scree, EFA loadings."""
    loadings = tables["cfa_loadings"]
    model = "two_factor" if (loadings["model"] == "two_factor").any() else (loadings["model"].iloc[0]
                                                                           if len(loadings) else "")
    s = settings(study)
    return {
        "cfa_loadings": factor_figures.loadings_figure(loadings, model),
        "scree": factor_figures.scree_figure(tables["parallel_analysis"], tables["efa_diagnostics"]),
        "efa_loadings": factor_figures.loading_heatmap(tables["efa_loadings"], efa_cutoff(study)),
        "path_diagram": factor_figures.path_diagram(tables["cfa_loadings"], tables["cfa_factor_correlations"],
                                                    s.get("path_model", "") if s else ""),
    }


def study_model_figures(tables: Mapping[str, pd.DataFrame], scores: pd.DataFrame,
                        study: Mapping[str, Any]) -> dict[str, Any]:
    """The outcome-model figures by output name (the partial regressions from ``scores``)."""
    return {
        "coefficients": model_figures.coefficient_plot(tables["regressions"]),
        "interaction": model_figures.interaction_plot(tables["simple_slopes"], tables["slope_curve"],
                                                      tables["johnson_neyman"]),
        "mediation": model_figures.mediation_diagram(tables["mediation"]),
        "partial_regression": model_figures.partial_regression_plot(
            study_partial_regression(scores, study), tables["regressions"], partial_regression_term(study) or ""),
    }


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
    term = partial_regression_term(study)
    specs = outcome_specs(study)
    data = with_reference_levels(scores, study)
    out = {}
    for s in specs:
        if s.family != "ols" or s.missing != "listwise" or any(term in t for t in s.interactions):
            continue
        frame = model_frame(data, s)
        if term in frame.X.columns:
            out[s.name] = added_variable(frame, term)
    return out


def provenance(inputs: Mapping[str, str], out: str | Path, study: Mapping[str, Any], seed: int) -> None:
    """Rule ``provenance``: package versions, the resolved study, SHA-256 of the inputs, the seed."""
    write_json(collect_provenance(study, inputs, seed=seed), out)


def report(inputs: Mapping[str, Any], figure_names: Sequence[str], captions: Mapping[str, str], out: str | Path,
           study: Mapping[str, Any]) -> None:
    """Rule ``report``: the self-contained HTML report (figures embedded) of one study.

    ``inputs`` holds the result tables by name (CSV files), ``figures`` (the PNG files, in the
    order of ``figure_names``), ``provenance`` (the JSON record), ``issues`` (the cell-level
    findings of validation, summarised by :func:`cell_findings`) and ``formatted`` (only
    ordered before the report, not read). ``captions`` maps figure names to their caption
    (reStructuredText, the text of ``workflow/report/<name>.rst``: one source for this report
    and Snakemake's).
    """
    tables = {name: read_csv(p) for name, p in inputs.items() if name not in NOT_TABLES}
    with open(inputs["provenance"], encoding="utf-8") as fh:
        record = json.load(fh)
    html = render_report(study, tables, dict(zip(figure_names, inputs["figures"])), record, captions,
                         efa_cutoff=efa_cutoff(study), findings=cell_findings(read_csv(inputs["issues"])))
    Path(out).write_text(html, encoding="utf-8")


#: Inputs of the ``report`` rule that are not result tables.
NOT_TABLES = ("formatted", "figures", "provenance", "issues")


def cell_findings(issues: pd.DataFrame) -> pd.DataFrame:
    """The cell-level findings of validation counted by rule and action.

    ``issues`` is ``validation/issues.csv`` (one row per altered or noted cell: ``row, id,
    column, value, rule, action``); a rule's detail in parentheses (``out_of_range (expected
    ...)``) is dropped. Columns ``rule, action, cells, respondents, columns`` (the number of
    distinct data rows and columns involved), in order of first appearance.

    >>> cell_findings(pd.DataFrame({"row": [2, 2, 5], "id": ["a", "a", "b"], "column": ["x", "y", "x"],
    ...     "value": ["-99", "-99", "9"], "rule": ["missing_code", "missing_code", "out_of_range (1-7)"],
    ...     "action": ["set_missing"] * 3})).values.tolist()
    [['missing_code', 'set_missing', 2, 1, 2], ['out_of_range', 'set_missing', 1, 1, 1]]
    """
    columns = ["rule", "action", "cells", "respondents", "columns"]
    if issues.empty:
        return pd.DataFrame(columns=columns)
    d = issues.assign(rule=issues["rule"].astype(str).str.replace(r"\s*\(.*$", "", regex=True))
    g = d.groupby(["rule", "action"], sort=False)
    out = pd.DataFrame({"cells": g.size(), "respondents": g["row"].nunique(), "columns": g["column"].nunique()})
    return out.reset_index()[columns]
