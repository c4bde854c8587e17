"""Rules of ``workflow/rules/validate.smk``: validation and careless-responding screening."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from attachstats.data.csvio import write_csv
from attachstats.data.validate import validate_and_screen
from attachstats.output.report.validation import validation_report

__all__ = ["validate"]


def validate(ingested: str | Path, out: Mapping[str, str], study: Mapping[str, Any]) -> None:
    """Rule ``validate``: missing codes, ranges, duplicates and the screening hurdles.

    Writes ``out["data"]`` (clean parquet) and the accounting: ``exclusions``, ``flow``,
    ``issues``, ``careless`` (CSV) and the Markdown ``report``. Every dropped row has a
    recorded reason and the flow's counts reconcile (see :func:`validate_and_screen`).
    R equivalent: the ``careless`` package's indices plus hand-written exclusion code.
    """
    res = validate_and_screen(pd.read_parquet(ingested), study)
    res.data.to_parquet(out["data"], index=False)
    write_csv(res.exclusions, out["exclusions"])
    write_csv(res.flow, out["flow"])
    write_csv(res.issues, out["issues"])
    write_csv(res.careless, out["careless"])
    Path(out["report"]).write_text(validation_report(study, res.flow, res.exclusions, res.issues, res.careless,
                                                     res.notes),
                                   encoding="utf-8")
