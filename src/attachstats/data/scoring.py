"""Scoring: reverse keys, subscale scores with proration, severity bands, caseness and flags.

A subscale is scored when at least ``min_answered`` (a share, from the instrument or the
study) of its items are answered; the score is the mean of the answered keyed items, and
for sum-scored instruments the prorated sum ``mean × k``. Reversing uses the instrument's
own range, ``min + max − x``, so 5- and 7-point forms are both right.

Instruments with cut-offs also get, per respondent, the severity band of each score
(``<key>_<subscale>_band``: a band runs from its lower bound up to, not including, the next
bound; prorated sums are compared unrounded), caseness (``<key>_<subscale>_case``: 1 when
the score reaches the threshold) and item flags (``<key>_<flag>``: 1 when the item is
answered at or above the flag's value, e.g. PHQ-9 item 9 >= 1). Each is empty where the
score or item is missing.

Example
-------
>>> import pandas as pd
>>> from attachstats.spec.instrument import load_instrument
>>> phq = load_instrument("phq-9")
>>> df = pd.DataFrame({f"phq_{i}": [1.0] for i in range(1, 10)})
>>> score_instrument(df, "phq", phq)["phq_total"].tolist()
[9.0]
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from attachstats.spec.instrument import Instrument, instrument_of, item_columns


def keyed_items(df: pd.DataFrame, key: str, inst: Instrument) -> pd.DataFrame:
    """The instrument's item columns with reverse-keyed items reversed."""
    cols = item_columns(key, inst)
    out = df[cols].astype(float).copy()
    rev = {n for sub in inst.subscales.values() for n in sub.reverse}
    for n in rev:
        c = f"{key}_{n}"
        out[c] = inst.reverse_value(out[c])
    return out


def subscale_items(keyed: pd.DataFrame, key: str, inst: Instrument) -> dict[str, pd.DataFrame]:
    """Keyed item columns of each subscale, by subscale name."""
    return {name: keyed[[f"{key}_{n}" for n in sub.items]] for name, sub in inst.subscales.items()}


def score_instrument(df: pd.DataFrame, key: str, inst: Instrument) -> pd.DataFrame:
    """Score every subscale of one instrument block.

    Returns
    -------
    DataFrame with ``<key>_<subscale>`` (the score) and ``<key>_<subscale>_answered``
    (number of items answered) per subscale, aligned to ``df.index``.
    """
    keyed = keyed_items(df, key, inst)
    out = {}
    for name, items in subscale_items(keyed, key, inst).items():
        k = items.shape[1]
        answered = items.notna().sum(axis=1)
        mean = items.mean(axis=1, skipna=True)
        ok = answered >= np.ceil(inst.min_answered * k - 1e-9)
        score = mean * k if inst.scoring == "sum" else mean
        out[f"{key}_{name}"] = score.where(ok)
        out[f"{key}_{name}_answered"] = answered
    return pd.DataFrame(out, index=df.index)


def classify_instrument(df: pd.DataFrame, scores: pd.DataFrame, key: str, inst: Instrument) -> pd.DataFrame:
    """Severity bands, caseness and item flags of one instrument block (see module docstring).

    Parameters
    ----------
    df : DataFrame
        The item columns ``<key>_<n>`` (raw answers; flags use the raw item).
    scores : DataFrame
        ``<key>_<subscale>`` scores, as from :func:`score_instrument`.

    Returns
    -------
    DataFrame aligned to ``df.index`` with a column per band, caseness and flag (possibly none).
    Bands are strings; caseness and flags are nullable integers (0/1).
    """
    out: dict[str, pd.Series] = {}
    for name in inst.subscales:
        col = f"{key}_{name}"
        s = scores[col]
        bands = inst.bands(name)
        if bands:
            bounds = [b for _, b in bands] + [np.inf]
            labels = [n for n, _ in bands]
            out[f"{col}_band"] = pd.cut(s, bins=bounds, labels=labels, right=False).astype("string")
        threshold = inst.caseness(name)
        if threshold is not None:
            out[f"{col}_case"] = (s >= threshold).astype("Int64").where(s.notna())
    for flag in inst.flags:
        item = df[f"{key}_{flag.item}"].astype(float)
        out[f"{key}_{flag.name}"] = (item >= flag.at_least).astype("Int64").where(item.notna())
    return pd.DataFrame(out, index=df.index)


def score_study(data: pd.DataFrame, study: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score every instrument of a study.

    Returns
    -------
    scores : DataFrame
        ``id``, the declared variables, every ``<key>_<subscale>`` score, then the bands,
        caseness and flag columns of instruments that define them.
    summary : DataFrame
        One row per score: ``score, instrument, scoring, k, n_scored, n_prorated,
        n_not_scored, mean, sd, min, max``.
    """
    variables = [v for v in study.get("variables", {}) if v in data.columns]
    parts = [data[["id", *variables]]]
    classified = []
    summary = []
    for key in study["instruments"]:
        inst = instrument_of(study, key)
        sc = score_instrument(data, key, inst)
        for name, sub in inst.subscales.items():
            col = f"{key}_{name}"
            k = len(sub.items)
            ans = sc[f"{col}_answered"]
            s = sc[col]
            summary.append({"score": col, "instrument": inst.id, "scoring": inst.scoring, "k": k,
                            "n_scored": int(s.notna().sum()),
                            "n_prorated": int((s.notna() & (ans < k)).sum()),
                            "n_not_scored": int(s.isna().sum()),
                            "mean": s.mean(), "sd": s.std(), "min": s.min(), "max": s.max()})
        parts.append(sc[[f"{key}_{n}" for n in inst.subscales]])
        classified.append(classify_instrument(data, sc, key, inst))
    return pd.concat(parts + classified, axis=1), pd.DataFrame(summary)


#: Columns of :func:`band_table` and :func:`caseness_table` (a public interface).
BAND_COLUMNS = ["score", "band", "lower", "upper", "n", "share"]
CASENESS_COLUMNS = ["indicator", "variable", "rule", "n_assessed", "n_positive", "share"]


def band_table(scores: pd.DataFrame, study: Mapping[str, Any]) -> pd.DataFrame:
    """Respondents per severity band of every score with bands.

    ``lower``/``upper`` are the band's bounds (upper exclusive; empty for the top band),
    ``n`` the respondents in it and ``share`` their share of the respondents with a score.
    """
    rows = []
    for key in study["instruments"]:
        inst = instrument_of(study, key)
        for name in inst.subscales:
            bands = inst.bands(name)
            if not bands:
                continue
            col = f"{key}_{name}"
            n_scored = int(scores[col].notna().sum())
            counts = scores[f"{col}_band"].value_counts()
            for i, (band, lower) in enumerate(bands):
                upper = bands[i + 1][1] if i + 1 < len(bands) else float("nan")
                n = int(counts.get(band, 0))
                rows.append({"score": col, "band": band, "lower": lower, "upper": upper, "n": n,
                             "share": n / n_scored if n_scored else float("nan")})
    return pd.DataFrame(rows, columns=BAND_COLUMNS)


def caseness_table(scores: pd.DataFrame, study: Mapping[str, Any]) -> pd.DataFrame:
    """Caseness and item flags: respondents assessed, positive, and the positive share."""
    rows = []
    for key in study["instruments"]:
        inst = instrument_of(study, key)
        indicators = [(f"{key}_{n}_case", f"{key}_{n}", f"{key}_{n} >= {inst.caseness(n):g}")
                      for n in inst.subscales if inst.caseness(n) is not None]
        indicators += [(f"{key}_{f.name}", f"{key}_{f.item}", f"item {key}_{f.item} >= {f.at_least:g}"
                        + (f" ({f.label})" if f.label else "")) for f in inst.flags]
        for col, variable, rule in indicators:
            v = scores[col]
            n_assessed, n_pos = int(v.notna().sum()), int((v == 1).sum())
            rows.append({"indicator": col, "variable": variable, "rule": rule, "n_assessed": n_assessed,
                         "n_positive": n_pos, "share": n_pos / n_assessed if n_assessed else float("nan")})
    return pd.DataFrame(rows, columns=CASENESS_COLUMNS)
