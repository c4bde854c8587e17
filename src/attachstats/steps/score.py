"""Rules of ``workflow/rules/score.smk``: scale scores, bands and caseness; reliability."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from attachstats.data.csvio import write_csv
from attachstats.data.validate import in_file_terms
from attachstats.data.scoring import band_table, caseness_table, keyed_items, score_study, subscale_items
from attachstats.spec.instrument import instrument_of
from attachstats.stats.reliability import item_statistics, reliability_table

__all__ = ["score", "reliability", "study_reliability"]


def score(clean: str | Path, out: Mapping[str, str], study: Mapping[str, Any]) -> None:
    """Rule ``score``: reverse keys, subscale scores (with proration), severity bands, caseness.

    Writes ``out["scores"]`` (one row per respondent), ``summary``, ``bands`` and ``caseness``.
    R equivalent: ``psych::scoreItems(keys, items, totals = FALSE, impute = "none")``.
    """
    scores, summary = score_study(pd.read_parquet(clean), study)
    write_csv(scores, out["scores"])
    write_csv(summary, out["summary"])
    write_csv(band_table(scores, study), out["bands"])
    write_csv(caseness_table(scores, study), out["caseness"])


def reliability(clean: str | Path, out: Mapping[str, str], study: Mapping[str, Any], seed: int,
                threads: int = 1) -> None:
    """Rule ``reliability``: alpha (Feldt and bootstrap CIs) and omega per subscale; item statistics.

    Writes ``out["scales"]`` and ``out["item_table"]`` (see :func:`study_reliability`).
    R equivalent: ``psych::alpha`` and ``psych::omega`` per subscale.
    """
    with in_file_terms(study):     # messages name the file's item headers
        scales, items = study_reliability(pd.read_parquet(clean), study, seed=seed, threads=threads)
        write_csv(scales, out["scales"])
        write_csv(items, out["item_table"])


def study_reliability(data: pd.DataFrame, study: Mapping[str, Any],
                      seed: int | None = None, threads: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reliability row per subscale (``<key>_<subscale>``) and item statistics of every instrument.

    The study's ``reliability`` block sets ``omega_nfactors`` (default 3) and ``bootstrap``
    (resamples, default 1000; 0 = no bootstrap intervals); ``seed`` seeds the bootstrap;
    ``threads`` threads share the work (same result on any number).
    """
    subscales: dict[str, pd.DataFrame] = {}
    item_tables = []
    for key in study["instruments"]:
        inst = instrument_of(study, key)
        for name, items in subscale_items(keyed_items(data, key, inst), key, inst).items():
            subscales[f"{key}_{name}"] = items
            it = item_statistics(items)
            it.insert(0, "scale", f"{key}_{name}")
            item_tables.append(it)
    opts = study.get("reliability", {}) or {}
    n_boot = int(opts.get("bootstrap", 1000)) if seed is not None else 0
    table = reliability_table(subscales, omega_nfactors=int(opts.get("omega_nfactors", 3)), n_boot=n_boot,
                              seed=seed, threads=threads)
    return table, pd.concat(item_tables, ignore_index=True)
