"""Rules of ``workflow/rules/report.smk``: formatted tables, figures, provenance, the manuscript (HTML, Word).

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
from attachstats.output.labels import LABEL_KEYS, figure_labels, model_label, study_labels
from attachstats.output.figures import data as data_figures
from attachstats.output.figures import factor as factor_figures
from attachstats.output.figures import models as model_figures
from attachstats.output.figures import sem as sem_figures
from attachstats.output.figures.common import NotDrawn, drawn_figures, save_all
from attachstats.output.provenance import collect_provenance, write_json
from attachstats.output.report.longitudinal import add_to_manuscript as add_longitudinal
from attachstats.output.report.manuscript import build_manuscript
from attachstats.output.report.manuscript_docx import write_manuscript_docx
from attachstats.output.report.manuscript_html import manuscript_html
from attachstats.output.tables import write_formatted_tables
from attachstats.spec.factor import efa_cutoff, settings
from attachstats.spec.instrument import instrument_of
from attachstats.spec.models import outcome_specs, sem_specs, term_label
from attachstats.spec.styles import style_spec
from attachstats.spec.waves import waves_of
from attachstats.stats.regression.outcomes import added_variable, fit_outcome_model, model_frame
from attachstats.stats.latent.syntax import lavaanify
from attachstats.stats.regression.prediction import LINE_COLUMNS, interaction_lines

__all__ = ["COMBINED_TABLES", "LABELS_FILE", "LABEL_KEYS", "formatted_tables", "figures_data", "figures_factor", "figures_models", "provenance", "report",
           "study_data_figures", "study_factor_figures", "study_model_figures", "partial_regression_term",
           "study_partial_regression", "study_interaction_lines", "coefficient_terms", "study_model_labels",
           "sem_parameter_labels",
           "cell_findings", "link_figures"]


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
    "figures_models": ("coefficients", "interaction", "mediation", "partial_regression", "sem_diagram"),
}
#: The result tables each group reads (input names of its rule, beside the row-level files).
GROUP_TABLES = {
    "figures_data": ("flow", "score_summary", "attachment_styles", "correlations"),
    "figures_factor": ("cfa_loadings", "cfa_factor_correlations", "parallel_analysis", "efa_diagnostics",
                       "efa_loadings"),
    "figures_models": ("regressions", "simple_slopes", "slope_curve", "johnson_neyman", "mediation", "sem_fit",
                       "sem_parameters"),
}


def _tables(inputs: Mapping[str, str], group: str) -> dict[str, pd.DataFrame]:
    return {name: read_csv(inputs[name]) for name in GROUP_TABLES[group]}


def _save(figures: Mapping[str, Any], out: Mapping[str, str]) -> None:
    """Each drawn figure as PNG (``out[name]``) and PDF (``out[name + "_pdf"]``); the rule's
    manifest (``out["manifest"]``) says which were drawn and why the others were not."""
    save_all(figures, out, out.get("manifest"))


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
    """Rule ``figures_models``: coefficients, probed interactions, mediation, partial regressions,
    the SEM path diagrams (the tables and, for the added-variable plots, ``scores``)."""
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
    labels = figure_labels(study)
    return {
        "flow": data_figures.flow_figure(tables["flow"]),
        "score_distributions": data_figures.score_distributions(scores, score_cols, labels),
        "dimensions": (data_figures.dimensions_scatter(scores, xy[0], xy[1], midpoint, style_col, cuts, rule, labels)
                       if len(xy) == 2 else NotDrawn("fewer than two scale scores")),
        "item_distributions": data_figures.item_distributions(keyed_items(clean, key, item_inst), item_inst.min,
                                                              item_inst.max, item_inst.name,
                                                              continuous=item_inst.continuous, labels=labels),
        "correlation_heatmap": data_figures.correlation_heatmap(tables["correlations"], labels),
    }


def study_factor_figures(tables: Mapping[str, pd.DataFrame], study: Mapping[str, Any]) -> dict[str, Any]:
    """The factor-analysis figures by output name: loadings of the two-factor (else the first)
    CFA model, the path diagram of ``factor_analysis.path_model``, scree, EFA loadings."""
    loadings = tables["cfa_loadings"]
    model = "two_factor" if (loadings["model"] == "two_factor").any() else (loadings["model"].iloc[0]
                                                                           if len(loadings) else "")
    s = settings(study)
    labels = figure_labels(study, tables["efa_loadings"])     # EFA factors named by the subscale they identify
    return {
        "cfa_loadings": factor_figures.loadings_figure(loadings, model, labels),
        "scree": factor_figures.scree_figure(tables["parallel_analysis"], tables["efa_diagnostics"]),
        "efa_loadings": factor_figures.loading_heatmap(tables["efa_loadings"], efa_cutoff(study), labels),
        "path_diagram": factor_figures.path_diagram(tables["cfa_loadings"], tables["cfa_factor_correlations"],
                                                    s.get("path_model", "") if s else "", labels),
    }


def study_model_figures(tables: Mapping[str, pd.DataFrame], scores: pd.DataFrame,
                        study: Mapping[str, Any]) -> dict[str, Any]:
    """The outcome-model figures by output name (the partial regressions and the interaction
    lines from ``scores``)."""
    labels, models = figure_labels(study), study_model_labels(study)
    term = partial_regression_term(study)
    return {
        "coefficients": model_figures.coefficient_plot(tables["regressions"], coefficient_terms(scores, study),
                                                       labels, models),
        "interaction": model_figures.interaction_plot(study_interaction_lines(scores, study), tables["slope_curve"],
                                                      tables["johnson_neyman"], tables["simple_slopes"], labels,
                                                      models),
        "mediation": model_figures.mediation_diagram(tables["mediation"], labels, models),
        "partial_regression": (model_figures.partial_regression_plot(study_partial_regression(scores, study),
                                                                     tables["regressions"], term, labels, models)
                               if term else NotDrawn("no outcome models in this study")),
        "sem_diagram": sem_figures.sem_diagram(tables["sem_parameters"], tables["sem_fit"], labels, models,
                                               sem_parameter_labels(study)),
    }


def sem_parameter_labels(study: Mapping[str, Any]) -> dict[tuple[str, str, str, str], str]:
    """``(model, lhs, op, rhs)`` -> the label a ``sem_models`` syntax gives the parameter
    (``a`` in ``m ~ a*x``), for the path diagram; parsed by :func:`attachstats.stats.latent.syntax.lavaanify`."""
    out = {}
    for s in sem_specs(study):
        if not s.syntax:
            continue
        pt = lavaanify(s.syntax, s.name, std_lv=s.std_lv).params
        for r in pt[pt["label"].astype(str) != ""].itertuples():
            out[(s.name, r.lhs, r.op, r.rhs)] = str(r.label)
    return out


def study_model_labels(study: Mapping[str, Any]) -> dict[str, str]:
    """Model name -> printed name: the model's ``label:`` if given, else ``model_label``
    (for outcome, mediation and SEM models)."""
    out = {}
    for m in [*(study.get("outcome_models") or []), *(study.get("mediation_models") or []),
              *(study.get("sem_models") or [])]:
        out[m["name"]] = str(m.get("label") or model_label(m["name"]).replace("-", " ").capitalize())
    return out


def coefficient_terms(scores: pd.DataFrame, study: Mapping[str, Any]) -> dict[str, list[str]]:
    """The design terms the coefficient figure shows per outcome model: the predictors' design
    columns of a model without interactions; only the interaction columns of a model with
    them (its lower-order coefficients are conditional effects at 0, shown in the
    interaction figure instead). Covariates are never shown."""
    data = with_reference_levels(scores, study)
    out = {}
    for s in outcome_specs(study):
        cols = model_frame(data, s).term_columns
        keys = [term_label(t) for t in s.interactions] if s.interactions else list(s.predictors)
        out[s.name] = [c for k in keys for c in cols.get(k, [])]
    return out


def study_interaction_lines(scores: pd.DataFrame, study: Mapping[str, Any], ci: float = 0.95) -> pd.DataFrame:
    """Plot coordinates of every probed interaction: the predicted outcome across the focal
    predictor at each moderator level with its interval
    (:func:`attachstats.stats.regression.prediction.interaction_lines`, columns
    ``LINE_COLUMNS``), from the model refitted on ``scores`` as the ``regress`` rule fits it."""
    data = with_reference_levels(scores, study)
    parts = []
    for s in outcome_specs(study):
        if s.probe is None:
            continue
        focal, moderator = s.probe
        res = fit_outcome_model(data, s, ci=ci)
        if res.cov is None:                      # not a listwise fit: no covariance to draw bands from
            continue
        inter = next(term_label(t) for t in s.interactions if set(t) == {focal, moderator})
        b = res.coefficients.set_index("term")["b"]
        parts.append(interaction_lines(b, res.cov, res.frame.X, focal, moderator, res.frame.term_columns[inter][0],
                                       res.df_resid, model=s.name, outcome=s.outcome, ci=ci,
                                       focal_centre=res.frame.centres.get(focal, 0.0),
                                       moderator_centre=res.frame.centres.get(moderator, 0.0)))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LINE_COLUMNS)


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


def report(inputs: Mapping[str, Any], figure_names: Sequence[str], out: Mapping[str, str] | Sequence[str],
           study: Mapping[str, Any]) -> None:
    """Rule ``report``: the manuscript of one study as HTML (figures embedded) and Word.

    ``inputs`` holds the result tables by name (CSV files), ``figures`` (the PNG files, in the
    order of ``figure_names``), ``manifests`` (the figure rules' manifests: a figure they mark
    as not drawn is left out of the report), ``provenance`` (the JSON record), ``issues`` (the cell-level
    findings of validation, summarised by :func:`cell_findings`) and ``formatted`` (only
    ordered before the report, not read). ``out`` is ``(report.html, report.docx)``, or a
    mapping with ``html``, ``docx`` and optionally ``drawn``: a folder that receives a link to
    (else a copy of) each drawn figure's PNG, so that ``snakemake --report`` lists the figures
    that were drawn and no note file of one that was not. The manuscript
    (:func:`attachstats.output.report.manuscript.build_manuscript`) is built once and laid out
    by both writers, so the two say the same.
    """
    def named(key: str, position: int | None) -> Any:
        """An output by name (a mapping, or Snakemake's named list), else by position."""
        value = out.get(key) if isinstance(out, Mapping) else getattr(out, key, None)
        return value if value is not None or position is None else list(out)[position]

    html_path, docx_path, drawn_folder = named("html", 0), named("docx", 1), named("drawn", None)
    tables = {name: read_csv(p) for name, p in inputs.items() if name not in NOT_TABLES}
    with open(inputs["provenance"], encoding="utf-8") as fh:
        record = json.load(fh)
    drawn = drawn_figures(list(inputs.get("manifests") or []))
    figures = {name: p for name, p in zip(figure_names, inputs["figures"]) if not inputs.get("manifests")
               or name in drawn}
    ms = build_manuscript(study, tables, figures, record, findings=cell_findings(read_csv(inputs["issues"])))
    add_longitudinal(ms, inputs.get("longitudinal"), labels=dict(study_labels(study).variables),
                     waves={w.name: w.label for w in waves_of(study)})   # panel studies: longitudinal/results.md
    subtitle = f"Draft results of study {study.get('name')}, produced by attachstats from {study.get('study_file', '')}"
    Path(html_path).write_text(manuscript_html(ms, subtitle), encoding="utf-8")
    write_manuscript_docx(ms, docx_path, subtitle)
    if drawn_folder:
        link_figures(figures, drawn_folder)


def link_figures(figures: Mapping[str, str | Path], folder: str | Path) -> None:
    """``folder/<name>.png`` for each figure: a hard link to its file, a copy where links fail."""
    import os
    import shutil

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, path in figures.items():
        target = folder / f"{name}.png"
        target.unlink(missing_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copyfile(path, target)


#: Inputs of the ``report`` rule that are not result tables.
NOT_TABLES = ("formatted", "figures", "manifests", "provenance", "issues", "longitudinal")


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
