"""Reading raw survey exports and mapping their columns to canonical names.

Every value is read as text (``NA`` stays the string ``"NA"``: it is Namibia in a country
column, not a missing value); type conversion and missing-value codes are the job of
:mod:`attachstats.data.validate`, which records what it changes.

Canonical columns: ``_row`` (1-based data row in the raw file), ``id``, ``duration``
(if declared), one column per declared variable, and ``<key>_<n>`` for item ``n`` of
instrument block ``key``.
"""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from attachstats.errors import DataError
from attachstats.spec.instrument import Instrument, instrument_of, item_columns


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
    _check_unique_columns(header, str(p))
    fast = _read_arrow(p, delimiter, header) if enc == "utf-8-sig" else None
    if fast is not None:
        return fast
    try:
        with warnings.catch_warnings():
            # pandas only warns (and drops cells) when the first data rows are longer than the header
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(p, sep=delimiter, encoding=enc, dtype=str, keep_default_na=False,
                             na_values=[], na_filter=False, engine="c", index_col=False)
    except pd.errors.ParserWarning:
        raise DataError(f"cannot parse the file as delimited text with delimiter {delimiter!r}: a data row has "
                        "more cells than the header row", file=str(p)) from None
    except pd.errors.ParserError as exc:
        detail = str(exc).replace("Error tokenizing data. C error: ", "").strip()
        raise DataError(f"cannot parse the file as delimited text with delimiter {delimiter!r}: {detail} "
                        "(a row with more cells than the header?)", file=str(p)) from None
    except UnicodeDecodeError as exc:
        raise DataError(f"cannot decode the file as {encoding} ({exc.reason}); set data.encoding "
                        "in the study file", file=str(p)) from None
    if df.empty:
        raise DataError("the file has a header but no data rows", file=str(p))
    return df


def _read_arrow(p: Path, delimiter: str, header: list[str]) -> pd.DataFrame | None:
    """Arrow's multi-threaded CSV reader, every cell as text, empty cells as ``""``.

    Returns None whenever Arrow cannot read the file cleanly (ragged rows, bad bytes, no
    data rows, a header that differs from Python's reading of it); the pandas reader then
    reads it and names the problem.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    try:
        table = pcsv.read_csv(
            p, read_options=pcsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in header},
                                                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError, OSError):
        return None
    if table.num_rows == 0 or table.column_names != header:
        return None
    return table.to_pandas()


FORMATS = ("csv", "tsv", "qualtrics", "xlsx", "sav", "dta")
# Export columns that identify people (Qualtrics and other survey platforms). They are never
# read into the analysis: map_columns keeps declared columns only and refuses to declare these.
IDENTIFYING = re.compile(r"(^|_)(ip_?address|ipaddress|e-?mail|recipient(first|last)?name|recipientemail|"
                         r"first_?name|last_?name|full_?name|phone|mobile|location_?(latitude|longitude)|"
                         r"latitude|longitude|lat|lon|lng|address|postcode|zip)$", re.IGNORECASE)


def read_data(path: str | Path, fmt: str = "csv", *, delimiter: str = ",", encoding: str = "utf-8",
              sheet: str | int = 0) -> pd.DataFrame:
    """Read a raw export of any supported format with every cell as text.

    Parameters
    ----------
    fmt : ``csv`` (any ``delimiter``), ``tsv``, ``qualtrics`` (a Qualtrics CSV export: the
        two rows under the header, question text and ImportId, are dropped), ``xlsx``
        (``sheet`` by name or position), ``sav`` (SPSS) or ``dta`` (Stata).

    For SPSS and Stata files the user-defined missing values are kept as values and listed
    in ``df.attrs["file_missing_codes"]`` (column → codes), so validation records them like
    declared missing codes; value labels are in ``df.attrs["value_labels"]``.
    """
    p = Path(path)
    if fmt not in FORMATS:
        raise DataError(f"unknown data.format {fmt!r}; supported: {', '.join(FORMATS)}", file=str(p))
    if fmt in ("csv", "tsv", "qualtrics"):
        df = read_raw(p, delimiter="\t" if fmt == "tsv" else delimiter, encoding=encoding)
        if fmt == "qualtrics":
            df = _drop_qualtrics_header_rows(df, str(p))
        return df
    if not p.is_file():
        raise DataError("the raw data file does not exist (check data.path in the study file)", file=str(p))
    if fmt == "xlsx":
        return _read_excel(p, sheet)
    return _read_stat(p, fmt)


def _drop_qualtrics_header_rows(df: pd.DataFrame, file: str) -> pd.DataFrame:
    if len(df) < 2 or not str(df.iloc[1, 0]).lstrip().startswith('{"ImportId"'):
        raise DataError("does not look like a Qualtrics CSV export: expected the question-text row and a "
                        "row of {\"ImportId\": ...} cells under the header (use data.format: csv otherwise)",
                        file=file)
    out = df.iloc[2:].reset_index(drop=True)
    if out.empty:
        raise DataError("the Qualtrics export has its two header rows but no responses", file=file)
    return out


def _read_excel(p: Path, sheet: str | int) -> pd.DataFrame:
    try:
        df = pd.read_excel(p, sheet_name=sheet, dtype=object, na_filter=False, engine="openpyxl")
    except ValueError as exc:
        raise DataError(f"cannot read sheet {sheet!r}: {exc}", file=str(p)) from None
    except Exception as exc:  # openpyxl raises several types for a file that is not a workbook
        raise DataError(f"cannot read the file as an Excel .xlsx workbook ({type(exc).__name__}: {exc})",
                        file=str(p)) from None
    if df.empty:
        raise DataError("the sheet has a header but no data rows", file=str(p))
    _check_unique_columns([str(c) for c in df.columns], str(p))
    return df.map(_cell_text).astype("string").rename(columns=str)


def _read_stat(p: Path, fmt: str) -> pd.DataFrame:
    import pyreadstat

    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    try:
        df, meta = reader(str(p), user_missing=True, apply_value_formats=False)
    except Exception as exc:  # pyreadstat.ReadstatError and friends for damaged files
        kind = "SPSS .sav" if fmt == "sav" else "Stata .dta"
        raise DataError(f"cannot read the file as {kind} ({type(exc).__name__}: {exc}); is it truncated "
                        "or of another format?", file=str(p)) from None
    if df.empty:
        raise DataError("the file has variables but no cases", file=str(p))
    missing: dict[str, list[str]] = {}
    for col, values in (getattr(meta, "missing_user_values", None) or {}).items():
        missing.setdefault(col, []).extend(_cell_text(v) for v in values)
    for col, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        for r in ranges:
            if r.get("lo") == r.get("hi"):
                missing.setdefault(col, []).append(_cell_text(r["lo"]))
    out = df.map(_cell_text).astype("string")
    out.attrs["file_missing_codes"] = {c: sorted(set(v)) for c, v in missing.items()}
    out.attrs["value_labels"] = {c: {_cell_text(k): str(v) for k, v in labels.items()}
                                 for c, labels in (meta.variable_value_labels or {}).items()}
    return out


def _cell_text(v: object) -> str:
    """A cell as text: integers without '.0', missing as ''."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _check_unique_columns(header: list[str], file: str) -> None:
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise DataError(f"duplicate column names {dupes}; every column must have a unique name", file=file)


def map_columns(raw: pd.DataFrame, study: Mapping[str, Any], file: str = "<data>") -> pd.DataFrame:
    """Select and rename the study's columns; every other column is dropped.

    Dropping undeclared columns at ingest is also what keeps identifying export columns
    (IP address, e-mail, names, location, phone, and any listed in the study's
    ``identifying_columns``) out of every result; declaring one of them is an error.

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
        spec = block["columns"]
        if isinstance(spec, list):   # explicit raw names, in item order
            if len(spec) != inst.n_items:
                raise DataError(f"instruments.{key}.columns lists {len(spec)} columns but {inst.id} has "
                                f"{inst.n_items} items", file=file)
            raw_names = list(spec)
        else:                        # a pattern such as "ECR_{n}"
            raw_names = [spec.replace("{n}", str(n)) for n in inst.item_numbers]
        for raw_name, canon in zip(raw_names, item_columns(key, inst)):
            wanted[raw_name] = canon
    declared_identifiers = [c for c in wanted if IDENTIFYING.search(c)
                            or c in set(study.get("identifying_columns", []))]
    if declared_identifiers:
        raise DataError(f"column(s) {', '.join(map(repr, declared_identifiers))} identify respondents and are never "
                        "read into the analysis; remove them from the study file (undeclared columns are dropped "
                        "at ingest)", file=file)
    missing = [c for c in wanted if c not in raw.columns]
    if missing:
        seen = ", ".join(map(repr, raw.columns[:60])) + (" …" if raw.shape[1] > 60 else "")
        raise DataError(f"required column(s) {', '.join(map(repr, missing))} not found "
                        f"(mapped as {', '.join(wanted[m] for m in missing)}); columns seen: {seen}", file=file)
    out = raw[list(wanted)].rename(columns=wanted)
    out.attrs = {key: {wanted[c]: v for c, v in raw.attrs.get(key, {}).items() if c in wanted}
                 for key in ("file_missing_codes", "value_labels")}
    out.insert(0, "_row", range(1, len(out) + 1))
    if "id" not in out.columns:
        out.insert(1, "id", [f"row{k}" for k in out["_row"]])
    return out.reset_index(drop=True)


def ingest(study: Mapping[str, Any]) -> pd.DataFrame:
    """Read the study's raw file and return canonical string columns plus ``_row``."""
    d = study["data"]
    raw = read_data(d["path"], d.get("format", "csv"), delimiter=d.get("delimiter", ","),
                    encoding=d.get("encoding", "utf-8"), sheet=d.get("sheet", 0))
    return map_columns(raw, study, file=d["path"])
