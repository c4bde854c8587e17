"""Scoring: reverse keys, subscale scores with proration.

A subscale is scored when at least ``min_answered`` (a share, from the instrument or the
study) of its items are answered; the score is the mean of the answered keyed items, and
for sum-scored instruments the prorated sum ``mean × k``. Reversing uses the instrument's
own range, ``min + max − x``, so 5- and 7-point forms are both right.

Example
-------
>>> import pandas as pd
>>> from attachstats.instruments import load_instrument
>>> phq = load_instrument("phq-9")
>>> df = pd.DataFrame({f"phq_{i}": [1.0] for i in range(1, 10)})
>>> score_instrument(df, "phq", phq)["phq_total"].tolist()
[9.0]
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from .instruments import Instrument
from .study import instrument_of, item_columns


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


def score_study(data: pd.DataFrame, study: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score every instrument of a study.

    Returns
    -------
    scores : DataFrame
        ``id``, the declared variables and every ``<key>_<subscale>`` score.
    summary : DataFrame
        One row per score: ``score, instrument, scoring, k, n_scored, n_prorated,
        n_not_scored, mean, sd, min, max``.
    """
    variables = [v for v in study.get("variables", {}) if v in data.columns]
    parts = [data[["id", *variables]]]
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
    return pd.concat(parts, axis=1), pd.DataFrame(summary)
