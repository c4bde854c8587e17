"""Waves of a longitudinal study: one wave's rows of a long file, and the linked file.

:func:`read_wave` reads one wave's raw rows (for one long file: the rows whose wave column
holds the wave's value; a value that is no wave's is an error naming file, column, row,
value). :func:`link_waves` joins the screened, scored waves by respondent id into one row
per respondent and accounts for every id that does not link: rows excluded at a wave, ids
new at a later wave, ids excluded at the baseline, and baseline respondents missing at a
later wave (see :data:`UNMATCHED_COLUMNS`). The per-wave flow reconciles (checked here).

Respondent ids are written as the cross-sectional pipeline writes them (the export's id
column, as text; ``row<k>`` without one); no other identifying column is ever read.

R equivalent: ``Reduce(function(a, b) merge(a, b, by = "id", all = TRUE), waves)``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from attachstats.data.readers import ingest as read_export
from attachstats.data.scoring import keyed_items
from attachstats.errors import DataError
from attachstats.spec.instrument import instrument_of
from attachstats.spec.waves import WAVE_ROWS, Wave, linked_columns, wave_column

__all__ = ["read_wave", "WaveData", "LinkedWaves", "link_waves", "wave_variables", "sort_ids",
           "UNMATCHED_COLUMNS", "FLOW_ID_COLUMNS"]

#: columns of ``waves/unmatched_ids.csv``
UNMATCHED_COLUMNS = ["wave", "row", "id", "status", "stage", "reason"]
#: id-matching columns of ``waves/flow.csv`` (after rows_read, excluded_<stage>…, excluded_total, retained)
FLOW_ID_COLUMNS = ["matched_baseline", "new_ids", "baseline_excluded_ids", "baseline_missing"]
_WAVE_VAR = "_wave"


def _value_texts(v: Any) -> set[str]:
    out = {str(v).strip()}
    if isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer():
        out |= {str(int(v)), f"{float(v):.1f}"}
    return out


def read_wave(study: Mapping[str, Any]) -> pd.DataFrame:
    """The raw rows of the study's ``data`` block, for a long file only those of one wave.

    Without ``data.wave_rows`` this is :func:`attachstats.data.readers.ingest`. With it (a
    long file, see :func:`attachstats.spec.waves.wave_study`) the wave column is read too,
    every row's value must be one of the waves' values, and the rows of the selected wave are
    returned; ``_row`` stays the file's data row.

    Raises
    ------
    DataError
        A row whose wave value is no wave's value (file, column, row, value, expected values).
    """
    sel = study["data"].get(WAVE_ROWS)
    if not sel:
        return read_export(study)
    with_column = {k: study[k] for k in study}
    with_column["variables"] = {**copy.deepcopy(dict(study.get("variables", {}))),
                                _WAVE_VAR: {"column": sel["column"]}}
    frame = read_export(with_column)
    text = frame[_WAVE_VAR].fillna("").astype(str).str.strip()
    level_of = {t: name for name, value in sel["levels"].items() for t in _value_texts(value)}
    known = text.isin(list(level_of))
    if not known.all():
        i = int(np.flatnonzero(~known.to_numpy())[0])
        expected = ", ".join(f"{v!r} ({n})" for n, v in sel["levels"].items())
        raise DataError(f"the wave column holds a value that is no wave's; expected one of {expected} "
                        "(fix the cell, or add the wave to waves.levels)", file=study["data"]["path"],
                        row=int(frame["_row"].iat[i]), column=sel["column"], value=text.iat[i])
    keep = (text.map(level_of) == sel["name"]).to_numpy()
    out = frame.loc[keep].drop(columns=_WAVE_VAR).reset_index(drop=True)
    out.attrs = {k: ({c: v for c, v in val.items() if c != _WAVE_VAR} if isinstance(val, dict) else val)
                 for k, val in frame.attrs.items()}
    return out


@dataclass
class WaveData:
    """One screened, scored wave: the outputs of its validate and score steps.

    ``clean`` is the validated data (``id``, items, variables), ``scores`` the scored data
    (``id``, variables, scale scores…), ``exclusions`` and ``flow`` the screening accounting
    (:mod:`attachstats.data.validate`).
    """

    wave: Wave
    clean: pd.DataFrame
    scores: pd.DataFrame
    exclusions: pd.DataFrame
    flow: pd.DataFrame


@dataclass
class LinkedWaves:
    """What :func:`link_waves` returns (plain DataFrames, columns as documented there)."""

    linked: pd.DataFrame
    flow: pd.DataFrame
    unmatched: pd.DataFrame


def wave_variables(part: WaveData, study: Mapping[str, Any]) -> pd.DataFrame:
    """One wave's variables by id: declared variables, keyed items, scale scores (in that order).

    Items are keyed as :func:`attachstats.data.scoring.keyed_items` keys them (reverse-keyed
    items reversed); scale scores are the ``<key>_<subscale>`` columns of the score step.
    """
    clean = part.clean.reset_index(drop=True)
    scores = part.scores.reset_index(drop=True)
    if not clean["id"].astype(str).equals(scores["id"].astype(str)):
        raise AssertionError(f"wave {part.wave.name}: clean and scored rows are not in the same order")
    cols: dict[str, pd.Series] = {"id": clean["id"].astype(str)}
    for v in study.get("variables", {}):
        if v in scores.columns:
            cols[v] = scores[v]
    score_cols = []
    for key in study["instruments"]:
        inst = instrument_of(study, key)
        cols.update(keyed_items(clean, key, inst).to_dict("series"))
        score_cols += [f"{key}_{name}" for name in inst.subscales]
    for c in score_cols:
        cols[c] = scores[c]
    out = pd.DataFrame(cols)
    if out["id"].duplicated().any():
        raise AssertionError(f"wave {part.wave.name}: an id occurs twice among the screened rows")
    return out


def sort_ids(ids: Sequence[str]) -> list[str]:
    """Ids in order: numerically when every id is a whole number, else as text."""
    ids = list(ids)
    if ids and all(str(i).lstrip("-").isdigit() for i in ids):
        return sorted(ids, key=lambda i: (int(i), i))
    return sorted(ids)


def link_waves(parts: Sequence[WaveData], study: Mapping[str, Any]) -> LinkedWaves:
    """Link the screened waves by respondent id and account for every id that does not link.

    Parameters
    ----------
    parts : sequence of WaveData
        The waves in order, baseline first.
    study : mapping
        The study's ``variables`` and ``instruments`` (the same at every wave).

    Returns
    -------
    LinkedWaves
        ``linked``: one row per id retained at one or more waves, sorted by id
        (:func:`sort_ids`): ``id``, ``present_<w>`` (1/0) per wave, then per wave its
        variables (:func:`wave_variables`) as ``<v>_<w>``; empty where absent.
        ``flow``: one row per wave: ``wave, label, rows_read, excluded_<stage>`` per screening
        stage, ``excluded_total, retained`` and :data:`FLOW_ID_COLUMNS` with
        ``retained = matched_baseline + new_ids + baseline_excluded_ids`` and
        ``baseline retained = matched_baseline + baseline_missing``.
        ``unmatched``: :data:`UNMATCHED_COLUMNS`, one row per excluded row (``status``
        ``excluded``, the screening stage and reason), per retained id not in the baseline
        (``new_id``: no row in the baseline file; ``excluded_at_baseline``: its baseline
        rows were excluded, stage and reason of the first), and per baseline respondent not
        retained at a later wave (``missing_at_wave``: no row in that wave's file, or its
        rows were excluded there).

    Examples
    --------
    R: ``merge(w1, w2, by = "id", all = TRUE, suffixes = c("_w1", "_w2"))``.
    """
    if not parts:
        raise ValueError("link_waves needs at least one wave")
    frames = [wave_variables(p, study) for p in parts]
    variables = {p.wave.name: [c for c in f.columns if c != "id"] for p, f in zip(parts, frames)}
    columns = linked_columns([p.wave for p in parts], variables)
    all_ids = sort_ids(set().union(*(set(f["id"]) for f in frames)))
    linked = pd.DataFrame({"id": pd.Series(all_ids, dtype=object)})
    for p, f in zip(parts, frames):
        linked[f"present_{p.wave.name}"] = linked["id"].isin(set(f["id"])).astype(np.int64)
    pieces = [linked]
    for p, f in zip(parts, frames):
        renamed = f.set_index("id").rename(columns=lambda v, w=p.wave.name: wave_column(v, w))
        pieces.append(renamed.reindex(linked["id"]).reset_index(drop=True))
    linked = pd.concat(pieces, axis=1)[columns]

    base, base_ids = parts[0], set(frames[0]["id"])
    base_rows = _ids_with_rows(base)
    base_excl = _first_exclusion(base.exclusions)
    stages = [s for p in parts for s in p.flow["stage"] if s not in ("raw", "analysed")]
    stages = list(dict.fromkeys(stages))
    flow_rows, unmatched = [], []
    for p, f in zip(parts, frames):
        w = p.wave.name
        fl = p.flow.set_index("stage")
        ids = set(f["id"])
        row = {"wave": w, "label": p.wave.label, "rows_read": int(fl.at["raw", "n_after"])}
        for s in stages:
            row[f"excluded_{s}"] = int(fl.at[s, "n_excluded"]) if s in fl.index else 0
        row["excluded_total"] = int(sum(row[f"excluded_{s}"] for s in stages))
        row["retained"] = int(fl.at["analysed", "n_after"])
        for r in p.exclusions.itertuples(index=False):
            unmatched.append({"wave": w, "row": int(r.row), "id": _text(r.id), "status": "excluded",
                              "stage": r.stage, "reason": r.reason})
        if p.wave.is_baseline:
            row.update(matched_baseline=len(ids), new_ids=0, baseline_excluded_ids=0, baseline_missing=0)
        else:
            rows_here = _ids_with_rows(p)
            excl_here = _first_exclusion(p.exclusions)
            first_row = dict(zip(p.clean["id"].astype(str), p.clean["_row"])) if "_row" in p.clean else {}
            new = sort_ids(ids - base_ids)
            n_new = n_base_excl = 0
            for i in new:
                if i in base_rows:
                    st, why = base_excl.get(i, ("", ""))
                    n_base_excl += 1
                    unmatched.append({"wave": w, "row": first_row.get(i), "id": i, "status": "excluded_at_baseline",
                                      "stage": st, "reason": f"excluded at {base.wave.name}: {why}"})
                else:
                    n_new += 1
                    unmatched.append({"wave": w, "row": first_row.get(i), "id": i, "status": "new_id", "stage": "",
                                      "reason": f"no row with this id in the baseline ({base.wave.name}) file"})
            missing = sort_ids(base_ids - ids)
            for i in missing:
                if i in rows_here:
                    st, why = excl_here.get(i, ("", ""))
                    reason = f"its row(s) at {w} were excluded: {why}"
                else:
                    st, reason = "", f"no row with this id in the {w} file"
                unmatched.append({"wave": w, "row": None, "id": i, "status": "missing_at_wave", "stage": st,
                                  "reason": reason})
            row.update(matched_baseline=len(ids & base_ids), new_ids=n_new, baseline_excluded_ids=n_base_excl,
                       baseline_missing=len(missing))
        flow_rows.append(row)
    flow = pd.DataFrame(flow_rows)
    _check_flow(flow, len(base_ids))
    un = pd.DataFrame(unmatched, columns=UNMATCHED_COLUMNS)
    un["row"] = un["row"].astype("Int64")
    _check_unmatched(flow, un, parts)
    return LinkedWaves(linked, flow, un)


def _text(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def _ids_with_rows(part: WaveData) -> set[str]:
    """Every id with a row in the wave's file (retained or excluded)."""
    ids = set(part.clean["id"].astype(str))
    ids |= {_text(i) for i in part.exclusions["id"] if _text(i)}
    return ids


def _first_exclusion(excl: pd.DataFrame) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for r in excl.itertuples(index=False):
        out.setdefault(_text(r.id), (str(r.stage), str(r.reason)))
    return out


def _check_flow(flow: pd.DataFrame, n_baseline: int) -> None:
    """The per-wave flow reconciles (a bug otherwise, never the user's fault)."""
    for r in flow.to_dict("records"):
        ok = (r["rows_read"] == r["excluded_total"] + r["retained"]
              and r["retained"] == r["matched_baseline"] + r["new_ids"] + r["baseline_excluded_ids"]
              and n_baseline == r["matched_baseline"] + r["baseline_missing"])
        if not ok:
            raise AssertionError(f"wave flow does not reconcile at {r['wave']}: {r}")


def _check_unmatched(flow: pd.DataFrame, un: pd.DataFrame, parts: Sequence[WaveData]) -> None:
    counts = un.groupby(["wave", "status"]).size()
    for r in flow.to_dict("records"):
        got = {s: int(counts.get((r["wave"], s), 0)) for s in
               ("excluded", "new_id", "excluded_at_baseline", "missing_at_wave")}
        want = {"excluded": r["excluded_total"], "new_id": r["new_ids"],
                "excluded_at_baseline": r["baseline_excluded_ids"], "missing_at_wave": r["baseline_missing"]}
        if got != want:
            raise AssertionError(f"unmatched ids do not reconcile with the flow at {r['wave']}: {got} vs {want}")
