"""Rules of ``workflow/rules/describe.smk``: attachment categories and descriptive statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from attachstats.data.csvio import read_csv, write_csv
from attachstats.errors import ConfigError
from attachstats.output.apa import markdown
from attachstats.output.labels import study_labels
from attachstats.output.tables import correlation_matrix_table
from attachstats.spec.instrument import score_columns
from attachstats.spec.styles import style_spec
from attachstats.stats.descriptives import correlation_table, describe
from attachstats.stats.styles import STYLE_COLUMNS, style_counts

__all__ = ["attachment_styles", "descriptives", "study_styles", "study_descriptives", "descriptive_variables"]


def attachment_styles(scores: str | Path, out: Mapping[str, str], study: Mapping[str, Any]) -> None:
    """Rule ``attachment_styles``: four categories by the study's rule (secondary to the dimensions).

    Writes ``out["table"]`` (counts per category) and ``out["rows"]`` (``id, attachment_style``).
    """
    rows, table = study_styles(read_csv(scores), study)
    write_csv(table, out["table"])
    write_csv(rows, out["rows"])


def descriptives(scores: str | Path, reliability: str | Path, out: Mapping[str, str],
                 study: Mapping[str, Any]) -> None:
    """Rule ``descriptives``: M, SD, alpha and pairwise correlations with 95% CIs.

    Writes ``out["descriptives"]``, ``out["correlations"]`` (CSV) and ``out["apa"]``, the APA
    correlation matrix as Markdown (labelled, CIs beneath as ``apa.cor.table``; the numbered
    copy in every format is written by ``formatted_tables``). R equivalent: ``psych::describe`` and ``cor.test`` per pair
    (``apaTables::apa.cor.table`` for the matrix).
    """
    desc, corr = study_descriptives(read_csv(scores), study, read_csv(reliability))
    write_csv(desc, out["descriptives"])
    write_csv(corr, out["correlations"])
    text = markdown(correlation_matrix_table(desc, corr, study_labels(study)))
    Path(out["apa"]).write_text(text, encoding="utf-8")


def study_styles(scores: pd.DataFrame, study: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Row-level categories (``id, attachment_style``) and the counts table of a study.

    The counts table has one row per category (secure, preoccupied, dismissing, fearful) and
    a ``not classified`` row for respondents missing a dimension score, so ``n`` sums to the
    number of analysed respondents. Without an anxiety/avoidance instrument both are empty.
    """
    spec = style_spec(study)
    if spec is None:
        return pd.DataFrame(columns=["id", "attachment_style"]), pd.DataFrame(columns=STYLE_COLUMNS)
    style, counts = style_counts(scores[spec.anxiety], scores[spec.avoidance], spec.rule, spec.scale)
    return pd.DataFrame({"id": scores["id"], "attachment_style": style}), counts


def descriptive_variables(study: Mapping[str, Any]) -> tuple[list[str], dict[str, str]]:
    """Variables of the table: ``descriptives.variables`` of the study if given, else every
    scale score followed by every numeric declared variable; and their kinds (score/covariate)."""
    scores = score_columns(study)
    numeric = [v for v, spec in study.get("variables", {}).items() if spec.get("type", "numeric") == "numeric"]
    kinds = {**{s: "score" for s in scores}, **{v: "covariate" for v in numeric}}
    chosen = (study.get("descriptives") or {}).get("variables")
    if chosen is None:
        return scores + numeric, kinds
    for v in chosen:
        if v not in kinds:
            raise ConfigError(f"study {study.get('name')!r}, descriptives.variables: {v!r} is not a scale score or "
                              f"numeric variable (known: {', '.join(kinds)})")
    return list(chosen), kinds


def study_descriptives(scores: pd.DataFrame, study: Mapping[str, Any],
                       reliability: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Descriptives (with alpha from the reliability table) and pairwise correlations."""
    columns, kinds = descriptive_variables(study)
    alphas = {} if reliability is None else dict(zip(reliability["scale"], reliability["alpha"]))
    return describe(scores, columns, kinds, alphas), correlation_table(scores, columns)
