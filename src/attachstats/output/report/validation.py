"""The human-readable validation report (``validation/report.md``).

Built only from the validation tables (flow, exclusions, issues, careless indices): it
explains every excluded row and every altered cell, with counts and examples.
"""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from attachstats.output.tables import to_markdown


def _examples(values: pd.Series, k: int = 3) -> str:
    shown = list(dict.fromkeys(values.astype(str)))[:k]
    more = values.nunique() - len(shown)
    return ", ".join(f"`{v}`" for v in shown) + (f" (+{more} more)" if more > 0 else "")


def validation_report(study: Mapping[str, Any], flow: pd.DataFrame, exclusions: pd.DataFrame,
                      issues: pd.DataFrame, careless: pd.DataFrame, notes: pd.DataFrame | None = None) -> str:
    """Markdown report of validation and screening for one study.

    Parameters
    ----------
    study : mapping
        The study (its ``name``, ``data.path`` and ``screening`` settings are read).
    flow, exclusions, issues, careless : DataFrame
        The validation tables (``validation/*.csv``).
    notes : DataFrame, optional
        File- and screen-level findings (``attachstats.data.validate.NOTE_COLUMNS``): what the
        reader changed (screen ``read``, listed under "How the file was read"; no section when
        it changed nothing), items left out of a screen, respondents a screen could not check.
    """
    n_raw, n_analysed = int(flow["n_after"].iloc[0]), int(flow["n_after"].iloc[-1])
    scr = study.get("screening", {})
    lines = [f"# Validation report: {study['name']}", "",
             f"Raw file `{study['data']['path']}`: {n_raw:,} data rows. Analysed: {n_analysed:,}. "
             f"Excluded: {n_raw - n_analysed:,} (each listed with its reason in `exclusions.csv`). "
             f"Altered or noted cells: {len(issues):,} (one row each in `issues.csv`).", "",
             f"Row accounting: {n_raw:,} raw = {n_analysed:,} analysed"
             + "".join(f" + {int(r.n_excluded):,} {r.stage}" for r in flow.itertuples() if r.n_excluded > 0)
             + (" (checked by the pipeline)." if n_raw != n_analysed else " (nothing excluded)."), "",
             to_markdown(flow, "flow")]
    lines += _how_read(notes)
    lines += ["## Exclusions by stage", ""]
    policies = {"duplicate_rows": scr.get("duplicate_rows", "exclude"),
                "duplicate_ids": scr.get("duplicate_ids", "exclude"), "out_of_range": scr.get("out_of_range")}
    if exclusions.empty:
        lines.append("No respondent was excluded.")
    else:
        lines += ["| stage | policy | excluded | example reasons |", "|:---|:---|---:|:---|"]
        for stage, g in exclusions.groupby("stage", sort=False):
            lines.append(f"| {stage} | {policies.get(stage) or 'exclude'} | {len(g):,} | "
                         f"{_examples(g['reason'], 2)} |")
    lines += ["", "## Cell-level findings", ""]
    if issues.empty:
        lines.append("No cell was altered.")
    else:
        lines += ["| rule | action | column(s) | cells | rows | example values |", "|:---|:---|:---|---:|---:|:---|"]
        for (rule, action), g in issues.groupby(["rule", "action"], sort=True):
            cols = _examples(g["column"], 4)
            lines.append(f"| {rule} | {action} | {cols} | {len(g):,} | {g['row'].nunique():,} | "
                         f"{_examples(g['value'])} |")
    flagged = careless["decision"].astype(str).str.contains("flagged:")
    lines += ["", "## Careless-responding indices", "",
              "Every index is stored per respondent in `careless.csv`, with the decision."]
    if "longstring_max" in careless:
        cfg = scr.get("longstring", {})
        lines.append(f"- Longest run of identical answers: median {careless['longstring_max'].median():.0f}; "
                     f"{int((careless['longstring_max'] >= cfg.get('max_run', 1e9)).sum()):,} respondents at or "
                     f"above the limit of {cfg.get('max_run')}.")
    if "seconds_per_item" in careless:
        spi = careless["seconds_per_item"]
        no_time = int(spi.isna().sum())
        lines.append(f"- Seconds per item: median {spi.median():.1f}; limit {scr.get('min_seconds_per_item')}"
                     + (f"; {no_time:,} respondents without a usable completion time (missing, or an impossible "
                        "value set missing: see the cell-level findings) were not checked for speeding."
                        if no_time else "."))
    if "mahalanobis_p" in careless:
        cfg = scr.get("mahalanobis", {})
        lines.append(f"- Mahalanobis D²: {int((careless['mahalanobis_p'] < cfg.get('alpha', 0.001)).sum()):,} "
                     f"respondents with p < {cfg.get('alpha', 0.001)} ({cfg.get('action', 'exclude')}).")
        lines += _mahalanobis_coverage(careless, notes)
    if flagged.any():
        lines.append(f"- Flagged but kept (flag-only screens): {int(flagged.sum()):,} respondents.")
    return "\n".join(lines) + "\n"


def _mahalanobis_coverage(careless: pd.DataFrame, notes: pd.DataFrame | None) -> list[str]:
    """Who the Mahalanobis screen checked, on how many items, and what it left out."""
    d2, k = careless["mahalanobis_d2"], careless.get("mahalanobis_items")
    screened = d2.notna()
    out = []
    if k is not None:
        ks = k[screened]
        full = int((ks == ks.max()).sum()) if len(ks) else 0
        out.append(f"  - Screened: {int(screened.sum()):,} respondents, each on the items they answered (mean and "
                   f"covariance estimated by EM from everyone still in; chi-square df = items answered): "
                   f"{full:,} on all {int(ks.max()) if len(ks) else 0} screened items, "
                   f"{int(screened.sum()) - full:,} on fewer"
                   + (f" ({int(ks.min())}–{int(ks.max()) - 1})" if int(screened.sum()) > full else "") + ".")
    for r in (notes if notes is not None else pd.DataFrame()).itertuples():
        if r.screen == "mahalanobis":
            out.append(f"  - {'`' + r.column + '`: ' if r.column else ''}{r.finding}; {r.action}.")
    return out


def _how_read(notes: pd.DataFrame | None) -> list[str]:
    """The section "How the file was read": what the reader decided against the study file
    (delimiter, decimal commas, skipped title rows, Qualtrics rows, byte-order mark, …).
    Empty when it decided nothing, so a clean file's report stays as it was."""
    read = [] if notes is None or notes.empty else [r.finding for r in notes.itertuples() if r.screen == "read"]
    if not read:
        return []
    return (["## How the file was read", "",
             "The reader changed or decided the following against the study file (also in `logs/ingest.log`):", ""]
            + [f"- {finding}" for finding in read] + [""])
