"""Reading raw survey exports and mapping their columns to canonical names.

Every value is read as text (``NA`` stays the string ``"NA"``: it is Namibia in a country
column, not a missing value); type conversion and missing-value codes are the job of
:mod:`attachstats.validate`, which records what it changes.

Canonical columns: ``_row`` (1-based data row in the raw file), ``id``, ``duration``
(if declared), one column per declared variable, and ``<key>_<n>`` for item ``n`` of
instrument block ``key``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from .errors import DataError
from .instruments import Instrument
from .study import instrument_of, item_columns


def read_raw(path: str | Path, *, delimiter: str = ",", encoding: str = "utf-8") -> pd.DataFrame:
    """Read a delimited text export with every cell as a string.

    Parameters
    ----------
    path : path to the file.
    delimiter, encoding : as in the study file's ``data`` block; a UTF-8 byte-order mark
        is removed automatically.

    Raises
    ------
    DataError
        Missing, empty or undecodable file, a file without data rows, duplicate
        column names, or rows with more cells than the header.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError("the raw data file does not exist (check data.path in the study file)", file=str(p))
    if p.stat().st_size == 0:
        raise DataError("the file is empty; expected a header row and data rows", file=str(p))
    enc = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        with p.open(encoding=enc, newline="") as fh:
            header = next(csv.reader(fh, delimiter=delimiter))
    except UnicodeDecodeError as exc:
        raise DataError(f"cannot decode the file as {encoding} ({exc.reason} at byte {exc.start}); "
                        "set data.encoding in the study file (e.g. latin-1)", file=str(p)) from None
    except StopIteration:
        raise DataError("the file has no header row", file=str(p)) from None
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise DataError(f"duplicate column names {dupes}; every column must have a unique name", file=str(p))
    try:
        df = pd.read_csv(p, sep=delimiter, encoding=enc, dtype=str, keep_default_na=False,
                         na_values=[], na_filter=False, engine="c")
    except pd.errors.ParserError as exc:
        raise DataError(f"cannot parse the file as delimited text with delimiter {delimiter!r}: {exc}",
                        file=str(p)) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"cannot decode the file as {encoding} ({exc.reason}); set data.encoding "
                        "in the study file", file=str(p)) from None
    if df.empty:
        raise DataError("the file has a header but no data rows", file=str(p))
    return df


def map_columns(raw: pd.DataFrame, study: Mapping[str, Any], file: str = "<data>") -> pd.DataFrame:
    """Select and rename the study's columns; every other column is dropped.

    Dropping undeclared columns at ingest is also what keeps identifying export columns
    (IP address, e-mail, names, location) out of every result.

    Raises
    ------
    DataError
        When a declared column is absent; the message lists the columns that were seen.
    """
    wanted: dict[str, str] = {}
    if study.get("id_column"):
        wanted[study["id_column"]] = "id"
    if study.get("duration_column"):
        wanted[study["duration_column"]] = "duration"
    for name, var in study.get("variables", {}).items():
        wanted[var["column"]] = name
    for key, block in study["instruments"].items():
        inst: Instrument = instrument_of(study, key)
        for n, canon in zip(inst.item_numbers, item_columns(key, inst)):
            wanted[block["columns"].replace("{n}", str(n))] = canon
    missing = [c for c in wanted if c not in raw.columns]
    if missing:
        seen = ", ".join(map(repr, raw.columns[:60])) + (" …" if raw.shape[1] > 60 else "")
        raise DataError(f"required column(s) {', '.join(map(repr, missing))} not found "
                        f"(mapped as {', '.join(wanted[m] for m in missing)}); columns seen: {seen}", file=file)
    out = raw[list(wanted)].rename(columns=wanted)
    out.insert(0, "_row", range(1, len(out) + 1))
    if "id" not in out.columns:
        out.insert(1, "id", [f"row{k}" for k in out["_row"]])
    return out.reset_index(drop=True)


def ingest(study: Mapping[str, Any]) -> pd.DataFrame:
    """Read the study's raw file and return canonical string columns plus ``_row``."""
    d = study["data"]
    raw = read_raw(d["path"], delimiter=d.get("delimiter", ","), encoding=d.get("encoding", "utf-8"))
    return map_columns(raw, study, file=d["path"])
