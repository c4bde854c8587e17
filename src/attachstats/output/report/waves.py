"""Participants across waves: the per-wave flow table and the attrition paragraph.

Formatting only: reads ``waves/flow.csv`` and ``waves/attrition.csv`` (the ``link_waves``
and ``attrition`` rules) and turns them into a sentence-level account of who was retained
at each wave, which ids did not match the baseline, and how dropouts differed from
completers on baseline variables. The manuscript calls :func:`waves_participants` from its
Participants section (a longitudinal study only).

Example
-------
>>> flow = pd.DataFrame({"wave": ["w1", "w2"], "label": ["Wave 1", "Wave 2"], "rows_read": [10, 9],
...     "excluded_total": [1, 1], "retained": [9, 8], "matched_baseline": [9, 7], "new_ids": [0, 1],
...     "baseline_excluded_ids": [0, 0], "baseline_missing": [0, 2]})
>>> text, table = waves_participants(flow, pd.DataFrame(), lambda v: v)
>>> text.split(". ")[1]
'Of the 9 respondents retained at Wave 1, 7 (77.8%) took part in Wave 2 {table}'
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

from attachstats.output.apa import TableModel
from attachstats.output.numbers import format_value, p_text

__all__ = ["waves_participants", "flow_table", "TABLE_KEY"]

#: the table's key among the manuscript's tables
TABLE_KEY = "waves_flow"


def _n(v: object) -> str:
    return f"{int(v):,}"


def _pct(a: float, b: float) -> str:
    return f"{100 * a / b:.1f}%" if b else "—"


def flow_table(flow: pd.DataFrame) -> TableModel:
    """The per-wave flow as an APA table: rows read, excluded by screening, retained, matched
    to the baseline, new or baseline-excluded ids, and baseline respondents missing."""
    cols = ["Wave", "Rows read", "Excluded", "Retained", "Matched to baseline", "New ids", "Excluded at baseline",
            "Missing (of baseline)"]
    rows = []
    for r in flow.to_dict("records"):
        rows.append([str(r["label"]), _n(r["rows_read"]), _n(r["excluded_total"]), _n(r["retained"]),
                     _n(r["matched_baseline"]), _n(r["new_ids"]), _n(r["baseline_excluded_ids"]),
                     _n(r["baseline_missing"])])
    stages = [c for c in flow.columns if c.startswith("excluded_") and c != "excluded_total"]
    used = [c.removeprefix("excluded_").replace("_", " ") for c in stages if flow[c].sum() > 0]
    note = ("Rows read = excluded + retained at each wave; retained = matched + new ids + ids excluded at "
            "baseline; missing = baseline respondents not retained at the wave. "
            + (f"Screening stages that excluded rows: {', '.join(used)}. " if used else "")
            + "Every unmatched id is listed with its reason in waves/unmatched_ids.csv.")
    return TableModel(name=TABLE_KEY, title="Participants at each wave", columns=cols, rows=rows,
                      numeric=[False] + [True] * (len(cols) - 1), note=note)


def _comparison_text(rows: pd.DataFrame, var: Callable[[str], str]) -> str:
    """The baseline variables on which dropouts differed (p < .05), strongest first."""
    sig = rows[rows["p"] < 0.05].drop_duplicates("variable").copy()
    if sig.empty:
        return "did not differ from completers on any baseline variable (all p ≥ .05)"
    sig["size"] = sig["effect_size"].abs()
    parts = []
    for r in sig.sort_values("size", ascending=False).to_dict("records"):
        if r["test"] == "Welch t":
            direction = "higher" if r["effect_size"] > 0 else "lower"
            parts.append(f"{direction} baseline {var(r['variable'])} (d = {format_value(r['effect_size'], 'd')}, "
                         f"t({format_value(r['df'], 'df')}) = {format_value(r['statistic'], 't')}, {p_text(r['p'])})")
        else:
            parts.append(f"a different distribution of {var(r['variable'])} (Cramér's V = "
                         f"{format_value(r['effect_size'], 'r')}, χ²({int(r['df'])}) = "
                         f"{format_value(r['statistic'], 'chi2')}, {p_text(r['p'])})")
    return "had " + "; ".join(parts)


def _logistic_text(rows: pd.DataFrame, var: Callable[[str], str]) -> str:
    if rows.empty:
        return ""
    if rows["b"].isna().all():
        return f" The logistic regression of dropout could not be estimated ({rows['term'].iloc[0]})."
    terms = rows[(rows["term"] != "(Intercept)") & (rows["p"] < 0.05)]
    n = int(rows["n"].iloc[0])
    head = f" In a logistic regression of dropout on all baseline variables together (n = {n:,}), "
    if terms.empty:
        return head + "no variable predicted dropout (all p ≥ .05)."
    parts = [f"{var(t)} (OR = {format_value(o, 'or')}, 95% CI [{format_value(lo, 'or')}, {format_value(hi, 'or')}])"
             for t, o, lo, hi in zip(terms["term"], terms["odds_ratio"], terms["or_ci_low"], terms["or_ci_high"])]
    return head + "dropout was predicted by " + ", ".join(parts) + "."


def waves_participants(flow: pd.DataFrame, attrition: pd.DataFrame,
                       term: Callable[[str], str]) -> tuple[str, TableModel | None]:
    """The Participants paragraph of a longitudinal study and its per-wave flow table.

    Parameters
    ----------
    flow, attrition : DataFrame
        ``waves/flow.csv`` and ``waves/attrition.csv`` (empty: no paragraph).
    term : callable
        A variable or design term → its name in a sentence (the manuscript's names).

    Returns
    -------
    (text, table)
        ``text`` holds ``{table}`` where the table reference belongs; ``("", None)`` when
        ``flow`` is empty.
    """
    if flow.empty:
        return "", None
    base = flow.iloc[0]
    n0 = int(base["retained"])
    labels = list(flow["label"])
    text = (f"The study followed its respondents over {len(flow)} waves ({', '.join(labels)}), linked by "
            f"respondent id; every wave was screened with the same rules. ")
    kept = [f"{_n(r['matched_baseline'])} ({_pct(r['matched_baseline'], n0)}) took part in {r['label']}"
            for r in flow.iloc[1:].to_dict("records")]
    text += f"Of the {n0:,} respondents retained at {base['label']}, " + "; ".join(kept) + " {table}. "
    extra = [f"{r['label']}: {_n(r['new_ids'])} new and {_n(r['baseline_excluded_ids'])} excluded at baseline"
             for r in flow.iloc[1:].to_dict("records") if r["new_ids"] or r["baseline_excluded_ids"]]
    if extra:
        text += ("Retained ids that did not match a baseline respondent were kept in the linked file as "
                 "respondents without baseline data (" + "; ".join(extra) + "). ")
    if not attrition.empty:
        for r in flow.iloc[1:].to_dict("records"):
            a = attrition[attrition["wave"] == r["wave"]]
            comp = a[a["analysis"] == "comparison"]
            if comp.empty:
                continue
            text += (f"Compared with completers, the {_n(r['baseline_missing'])} dropouts at {r['label']} "
                     + _comparison_text(comp, term) + "."
                     + _logistic_text(a[a["analysis"] == "logistic"], term) + " ")
    return text.strip(), flow_table(flow)
