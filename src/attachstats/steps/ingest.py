"""Rules of ``workflow/rules/ingest.smk``: the raw export → canonical columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from attachstats.data.waves import read_wave

__all__ = ["ingest"]


def ingest(out: str | Path, study: Mapping[str, Any]) -> None:
    """Rule ``ingest``: read the study's raw file (``data`` block) and write its declared
    columns, every cell as text, plus ``_row`` (the file's data row) to ``out`` (parquet).

    Columns the study does not declare, identifying ones included, are never read further.
    For one wave of a long file (``data.wave_rows``) only that wave's rows are kept
    (:func:`attachstats.data.waves.read_wave`).
    R equivalent: ``read.csv(path, colClasses = "character")[, declared]``.
    """
    read_wave(study).to_parquet(out, index=False)
