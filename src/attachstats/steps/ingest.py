"""Rules of ``workflow/rules/ingest.smk``: the raw export → canonical columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from attachstats.data.readers import ingest as read_export

__all__ = ["ingest"]


def ingest(out: str | Path, study: Mapping[str, Any]) -> None:
    """Rule ``ingest``: read the study's raw file (``data`` block) and write its declared
    columns, every cell as text, plus ``_row`` (the file's data row) to ``out`` (parquet).

    Columns the study does not declare, identifying ones included, are never read further.
    R equivalent: ``read.csv(path, colClasses = "character")[, declared]``.
    """
    read_export(study).to_parquet(out, index=False)
