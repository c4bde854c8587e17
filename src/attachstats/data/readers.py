"""Reading raw survey exports and mapping their columns to canonical names.

Every value is read as text (``NA`` stays the string ``"NA"``: it is Namibia in a country
column, not a missing value); type conversion and missing-value codes are the job of
:mod:`attachstats.data.validate`, which records what it changes.

A file is read by what it is, not by its name (:mod:`attachstats.data.sniff`): an Excel
workbook, an SPSS or a Stata file is read as such whatever ``data.format`` says; a ZIP
archive, a PDF, a web page or random bytes is refused as what it is (never blamed on the
text encoding); a byte-order mark decides the encoding; a delimiter that does not split
the header is replaced by the one that does; decimal commas, rows above the header and the
two extra header rows of a Qualtrics export are recognised. Everything the reader changes
or decides against the study file is listed in ``df.attrs["read_notes"]`` (and logged).

Canonical columns: ``_row`` (1-based data row in the raw file), ``id``, ``duration``
(if declared), one column per declared variable, and ``<key>_<n>`` for item ``n`` of
instrument block ``key``.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from pathlib import Path
from typing import Any, Collection, Mapping, Sequence

import pandas as pd

from attachstats.data.sniff import (DECIMAL_COMMA, HEAD_BYTES, FileKind, choose_delimiter, find_header,
                                    guess_8bit, header_score, is_qualtrics, looks_like_numbers, shorten,
                                    sniff_bytes, split_records)
from attachstats.errors import DataError
from attachstats.spec.instrument import Instrument, instrument_of, item_columns

LOG = logging.getLogger(__name__)
FORMATS = ("csv", "tsv", "qualtrics", "xlsx", "sav", "dta")
#: what each binary format is called in messages
FORMAT_NAMES = {"xlsx": "an Excel .xlsx workbook", "sav": "an SPSS .sav file", "dta": "a Stata .dta file"}
#: lines looked at for the header, the delimiter and the Qualtrics rows
SNIFF_RECORDS = 25
#: most names listed in one message
LIST_LIMIT = 6
# Export columns that identify people (Qualtrics and other survey platforms). They are never
# read into the analysis: map_columns keeps declared columns only and refuses to declare these.
IDENTIFYING = re.compile(r"(^|_)(ip_?address|ipaddress|e-?mail|recipient(first|last)?name|recipientemail|"
                         r"first_?name|last_?name|full_?name|phone|mobile|location_?(latitude|longitude)|"
                         r"latitude|longitude|lat|lon|lng|address|postcode|zip)$", re.IGNORECASE)


def read_raw(path: str | Path, *, delimiter: str = ",", encoding: str = "utf-8", decimal: str | None = None,
             header_row: int | None = None, expected: Collection[str] = (), fmt: str = "csv") -> pd.DataFrame:
    """Read a delimited text export with every cell as a string.

    Parameters
    ----------
    path : path to the file.
    delimiter, encoding : as in the study file's ``data`` block. A byte-order mark (UTF-8,
        UTF-16, UTF-32) decides the encoding; a delimiter that does not occur in the header
        is replaced by the one that splits it (both recorded in ``attrs["read_notes"]``).
    decimal : ``","`` turns decimal commas (``3,5``) into points; None detects them in a
        file not delimited by commas; ``"."`` leaves every cell as it is.
    header_row : 1-based line of the header (lines above it are skipped); None: line 1,
        and a title row above the header is reported.
    expected : raw column names the study declares (used to find the header row).
    fmt : ``csv``, ``tsv`` or ``qualtrics`` (a Qualtrics export is recognised under ``csv``).

    Raises
    ------
    DataError
        A missing or empty file, a file that is not text (named for what it is), bytes that
        are not in the encoding, a file without data rows, duplicate or empty column names,
        a title row above the header, or a row with more cells than the header.
    """
    p = Path(path)
    kind = _sniff(p)
    if kind.kind not in ("text", "utf16-nobom"):
        raise DataError(f"the file is {kind.label}, not delimited text; "
                        + (kind.fix or f"set data.format: {kind.kind}"), file=str(p))
    return _read_text(p, kind, delimiter=delimiter, encoding=encoding, decimal=decimal, header_row=header_row,
                      expected=set(expected), fmt=fmt)


def read_data(path: str | Path, fmt: str = "csv", *, delimiter: str = ",", encoding: str = "utf-8",
              sheet: str | int = 0, decimal: str | None = None, header_row: int | None = None,
              expected: Collection[str] = ()) -> pd.DataFrame:
    """Read a raw export of any supported format with every cell as text.

    Parameters
    ----------
    fmt : ``csv`` (any ``delimiter``), ``tsv``, ``qualtrics`` (a Qualtrics CSV export: the
        two rows under the header, question text and ImportId, are dropped), ``xlsx``
        (``sheet`` by name or position), ``sav`` (SPSS) or ``dta`` (Stata). The content
        decides: a workbook, SPSS or Stata file is read as one whatever ``fmt`` says, and
        text declared as one of those is read as delimited text (recorded in
        ``attrs["read_notes"]``).
    delimiter, encoding, decimal, header_row, expected : see :func:`read_raw`
        (``header_row`` and ``expected`` also apply to a worksheet).
    sheet : worksheet name or 0-based position.

    For SPSS and Stata files the user-defined missing values are kept as values and listed
    in ``df.attrs["file_missing_codes"]`` (column → codes), so validation records them like
    declared missing codes; value labels are in ``df.attrs["value_labels"]``, variable labels
    (the question texts) in ``df.attrs["column_labels"]``.

    Examples
    --------
    >>> df = read_data("survey.csv", expected={"ResponseId", "ECR_1"})   # doctest: +SKIP
    >>> df.attrs["read_notes"]                                            # doctest: +SKIP
    ['read as ;-delimited: ...']
    """
    p = Path(path)
    if fmt not in FORMATS:
        raise DataError(f"unknown data.format {fmt!r}; supported: {', '.join(FORMATS)}", file=str(p))
    kind = _sniff(p)
    notes: list[str] = []
    actual = fmt
    if kind.kind in FORMAT_NAMES and fmt != kind.kind:
        notes.append(f"data.format is {fmt!r} but the file is {kind.label} (from its content): read as {kind.kind}")
        actual = kind.kind
    elif kind.kind in ("text", "utf16-nobom") and fmt in FORMAT_NAMES:
        notes.append(f"data.format is {fmt!r} but the file is plain text, not {FORMAT_NAMES[fmt]}: "
                     "read as delimited text")
        actual = "csv"
    elif kind.kind not in ("text", "utf16-nobom") and kind.kind not in FORMAT_NAMES:
        if not (kind.kind == "zip" and fmt == "xlsx"):
            expected_what = FORMAT_NAMES.get(fmt, "delimited text")
            raise DataError(f"the file is {kind.label}, not {expected_what} (data.format: {fmt}); {kind.fix}",
                            file=str(p))
        actual = "xlsx"                      # a damaged workbook: let openpyxl say why
    if actual in ("csv", "tsv", "qualtrics"):
        df = _read_text(p, kind, delimiter="\t" if actual == "tsv" else delimiter, encoding=encoding,
                        decimal=decimal, header_row=header_row, expected=set(expected), fmt=actual)
    elif actual == "xlsx":
        df = _read_excel(p, sheet, header_row=header_row, expected=set(expected))
    else:
        df = _read_stat(p, actual)
    df.attrs["read_notes"] = notes + list(df.attrs.get("read_notes", []))
    return df


def sniff_file(path: str | Path) -> FileKind:
    """What the file at ``path`` is, from its first bytes (:func:`attachstats.data.sniff.sniff_bytes`).

    Raises
    ------
    DataError
        The file does not exist, cannot be opened or is empty.
    """
    return _sniff(Path(path))


def _sniff(p: Path) -> FileKind:
    if not p.is_file():
        raise DataError("the raw data file does not exist (check data.path in the study file)", file=str(p))
    try:
        with p.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise DataError(f"cannot open the file ({exc.strerror}); check its permissions", file=str(p)) from None
    if not head:
        raise DataError("the file is empty; expected a header row and data rows", file=str(p))
    names: list[str] = []
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(p) as z:
                names = z.namelist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            names = []
    return sniff_bytes(head, names)


# ----------------------------------------------------------------------------- text files

def _read_text(p: Path, kind: FileKind, *, delimiter: str, encoding: str, decimal: str | None,
               header_row: int | None, expected: set[str], fmt: str) -> pd.DataFrame:
    file = str(p)
    notes: list[str] = []
    enc = _text_encoding(kind, encoding, file, notes)
    raw = p.read_bytes()
    try:
        text = raw.decode(enc)
    except UnicodeDecodeError as exc:
        raise DataError(_decode_message(raw, exc, encoding), file=file) from None
    except LookupError:
        raise DataError(f"data.encoding {encoding!r} is not an encoding Python knows (e.g. utf-8, cp1252, "
                        "latin-1, utf-16)", file=file) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise DataError("the file holds only blank lines; expected a header row and data rows", file=file)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DataError(f"line {line} contains a NUL byte: the file is not plain text (damaged, or binary data "
                        "appended); re-export it from the survey platform", file=file)

    # rows above the header: declared, or detected and reported
    skip_before = 0
    if header_row is not None and header_row > 1:
        _, offs = split_records(text, delimiter, header_row - 1)
        if len(offs) < header_row - 1 or offs[-1] >= len(text):
            raise DataError(f"data.header_row is {header_row} but the file has only {len(offs)} line(s)", file=file)
        skip_before = offs[-1]
        skipped = text[:skip_before].strip().splitlines()
        notes.append(f"data.header_row: {header_row}: skipped line(s) 1–{header_row - 1} above the header "
                     f"({shorten(skipped[0] if skipped else '', 50)!r})")
    body = text[skip_before:]
    delim = choose_delimiter(body, delimiter)
    records, offsets = split_records(body, delim, SNIFF_RECORDS)
    first_line = 1 + (text[:skip_before].count("\n") if skip_before else 0)
    if delim != delimiter:
        notes.append(f"data.delimiter is {delimiter!r} but the header row does not contain it; it splits at "
                     f"{delim!r} into {len(records[0])} columns: read as {delim!r}-delimited "
                     f"(set data.delimiter: {delim!r} to say so)")
    _check_header_position(records, body, offsets, expected, header_row, first_line, delim, file)
    header = [c for c in records[0]]
    drop = 1
    if is_qualtrics(records):
        if fmt != "qualtrics":
            notes.append("recognised as a Qualtrics export: the two rows under the header (question texts and "
                         "{\"ImportId\": ...} cells, lines 2–3) were dropped as with data.format: qualtrics")
        drop = 3
    elif fmt == "qualtrics":
        raise DataError("does not look like a Qualtrics CSV export: expected the question-text row and a "
                        "row of {\"ImportId\": ...} cells under the header (use data.format: csv otherwise)",
                        file=file)
    if len(records) < drop + 1:
        what = "its two header rows but no responses" if drop == 3 else "a header but no data rows"
        if drop == 3:
            raise DataError(f"the Qualtrics export has {what}", file=file)
        raise DataError("the file has a header but no data rows", file=file)
    header = _check_header_names(header, file)
    data_start = offsets[drop - 1]
    fast = None
    if enc == "utf-8-sig" and skip_before == 0 and drop == 1:
        fast = _read_arrow(p, delim, header)
    elif "\x00" not in body:
        fast = _read_arrow(io.BytesIO(body[data_start:].encode("utf-8")), delim, header, skip_rows=0)
    if fast is None:
        first_data_line = first_line + body[:data_start].count("\n")
        df = _parse_python(body[data_start:], delim, header, file, first_data_line)
    else:
        df = fast
    if df.empty:
        raise DataError("the file has a header but no data rows", file=file)
    df = _drop_empty_unnamed(df, notes)
    df = _decimal_commas(df, decimal, delim, notes)
    df.attrs["read_notes"] = notes
    return df


def _text_encoding(kind: FileKind, encoding: str, file: str, notes: list[str]) -> str:
    """The codec to decode with: the byte-order mark's, else the declared one."""
    declared = encoding.lower().replace("_", "-")
    family = declared.replace("-le", "").replace("-be", "").replace("utf8", "utf-8")
    if kind.bom is not None:
        bom_family = kind.encoding.replace("-le", "").replace("-be", "")
        if bom_family != family.replace("-sig", ""):
            notes.append(f"the file starts with a {kind.bom} byte-order mark: decoded as {kind.bom} "
                         f"(data.encoding says {encoding})")
        return {"utf-8": "utf-8-sig", "utf-16": "utf-16", "utf-32": "utf-32"}[bom_family]
    if kind.kind == "utf16-nobom":
        if family == "utf-16":
            return encoding
        raise DataError(f"the file is {kind.label} (every other byte is a NUL byte), which data.encoding "
                        f"{encoding!r} cannot read; {kind.fix}", file=file)
    return "utf-8-sig" if family in ("utf-8", "utf-8-sig") else encoding


def _decode_message(raw: bytes, exc: UnicodeDecodeError, encoding: str) -> str:
    line_no = raw[: exc.start].count(b"\n") + 1
    line_start = raw.rfind(b"\n", 0, exc.start) + 1
    line_end = raw.find(b"\n", exc.start)
    line = raw[line_start: line_end if line_end >= 0 else len(raw)]
    bad = raw[exc.start: min(exc.end, exc.start + 4)]
    where = f"line {line_no} has byte(s) {bad.hex(' ')} at byte {exc.start}"
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig"):
        alt = guess_8bit(line)
        preview = line.decode(alt, errors="replace").strip()
        return (f"cannot decode the file as {encoding} ({exc.reason}): {where}; read as {alt} the line is "
                f"{shorten(preview, 70)!r}: the file is probably in a Windows/Western 8-bit encoding: "
                f"set data.encoding: {alt} (or latin-1) in the study file, or save it as UTF-8")
    return (f"cannot decode the file as {encoding} ({exc.reason}): {where}; set data.encoding in the study "
            "file to the encoding the file was saved in (utf-8, cp1252, latin-1, utf-16)")


def _check_header_position(records: list[list[str]], body: str, offsets: list[int], expected: set[str],
                           header_row: int | None, first_line: int, delim: str, file: str) -> None:
    """Refuse a header that is not where the study says, naming the line that looks like it."""
    def line_of(k: int) -> int:
        return first_line + (body[: offsets[k - 1]].count("\n") if k else 0)

    k = find_header(records, expected)
    first = records[0]
    if k is not None:
        found = [c for c in records[k] if c in expected]
        what = (f"holds {header_score(first, expected)} of the declared columns; line {line_of(k)} holds "
                f"{len(found)} ({', '.join(map(repr, found[:3]))}, …)") if expected else \
            f"has {len(first)} cell(s); line {line_of(k)} has {len(records[k])}"
        key = f"data.header_row: {line_of(k)}"
        if header_row is None:
            raise DataError(f"line {first_line} is not the header row: it reads {shorten(delim.join(first), 60)!r} "
                            f"(a title or note above the table?) and {what}; set {key} in the study file "
                            "(lines above it are then skipped)", file=file)
        raise DataError(f"data.header_row is {header_row} but that line reads {shorten(delim.join(first), 60)!r} "
                        f"and {what}; set {key}", file=file)
    if expected and header_score(first, expected) == 0 and looks_like_numbers(first):
        raise DataError(f"line {first_line} holds numbers, not column names ({shorten(delim.join(first), 50)!r}): "
                        "the file has no header row; export it with column names (or set data.header_row to "
                        "the line that holds them)", file=file)


def _check_header_names(header: list[str], file: str) -> list[str]:
    """Duplicate names are refused; empty names get a placeholder ``Unnamed: <k>``."""
    out = [h if h.strip() else f"Unnamed: {k}" for k, h in enumerate(header)]
    check_unique_columns(out, file)
    return out


def _read_arrow(source: Path | io.BytesIO, delimiter: str, header: list[str], skip_rows: int = 1
                ) -> pd.DataFrame | None:
    """Arrow's multi-threaded CSV reader, every cell as text, empty cells as ``""``.

    Returns None whenever Arrow cannot read the file cleanly (ragged rows, bad bytes, no
    data rows, a header that differs from Python's reading of it); the Python reader then
    reads it and names the problem.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    try:
        table = pcsv.read_csv(
            source, read_options=pcsv.ReadOptions(column_names=header, skip_rows=skip_rows),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(column_types={c: pa.string() for c in header},
                                                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError, OSError):
        return None
    if table.num_rows == 0 or table.column_names != header:
        return None
    return table.to_pandas()


def _parse_python(body: str, delimiter: str, header: list[str], file: str, first_line: int) -> pd.DataFrame:
    """Python's csv reader over the data rows; a row longer than the header is an error
    naming its line, data row and extra cells; a shorter row is padded with empty cells."""
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter, strict=True)
    width = len(header)
    start = 0                # file line (relative) where the current record starts
    try:
        for fields in reader:
            if not fields:
                start = reader.line_num
                continue
            if len(fields) > width:
                extra = [f for f in fields[width:]]
                line = first_line + start
                raise DataError(f"cannot parse the file as delimited text with delimiter {delimiter!r}: line {line} "
                                f"has {len(fields)} cells but the header has {width} (extra cells "
                                f"{', '.join(map(repr, extra[:3]))}); expected one cell per column (a stray "
                                f"{delimiter!r} inside an unquoted answer, or a missing header name?)",
                                file=file, row=len(rows) + 1)
            rows.append(fields + [""] * (width - len(fields)))
            start = reader.line_num
    except csv.Error as exc:
        line = first_line + start
        raise DataError(f"cannot parse the file as delimited text at line {line} ({exc}): a quoted cell is not "
                        "closed, or text follows its closing quote; expected every '\"' that opens a cell to close "
                        "it (fix the quoting in that row, or re-export the file)", file=file, row=len(rows) + 1) from None
    df = pd.DataFrame(rows, columns=header, dtype=object)
    return df.astype("str") if rows else df


def _drop_empty_unnamed(df: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    empty = [c for c in df.columns if str(c).startswith("Unnamed: ") and (df[c].astype(str).str.strip() == "").all()]
    if empty:
        notes.append(f"dropped {len(empty)} column(s) without a name and without values "
                     "(a trailing delimiter on every line)")
        df = df.drop(columns=empty)
    return df


def _decimal_commas(df: pd.DataFrame, decimal: str | None, delimiter: str, notes: list[str]) -> pd.DataFrame:
    """Turn decimal commas into points when declared (``","``) or, undeclared, when the file
    is not comma-delimited and a column holds them; the columns and counts are noted."""
    if decimal == "." or (decimal is None and delimiter == ","):
        return df
    changed: dict[str, int] = {}
    out = df.copy()
    for col in df.columns:
        s = df[col].astype(str)
        mask = s.str.fullmatch(DECIMAL_COMMA)
        if mask.any():
            out[col] = s.where(~mask, s.str.replace(",", ".", regex=False))
            changed[col] = int(mask.sum())
    if changed:
        shown = ", ".join(f"{c!r} ({n})" for c, n in list(changed.items())[:LIST_LIMIT])
        more = f" and {len(changed) - LIST_LIMIT} more columns" if len(changed) > LIST_LIMIT else ""
        how = ("as data.decimal: ',' says" if decimal == "," else
               "detected; set data.decimal: '.' to keep them as text")
        notes.append(f"decimal commas read as decimal points ({how}): {sum(changed.values())} cells in "
                     f"{shown}{more}")
        out.attrs = dict(df.attrs)
        return out
    return df


# ----------------------------------------------------------------------------- workbooks

def _read_excel(p: Path, sheet: str | int, *, header_row: int | None = None,
                expected: set[str] = frozenset()) -> pd.DataFrame:
    import openpyxl

    file = str(p)
    with p.open("rb") as fh:     # a file object: openpyxl judges a path by its extension
        try:
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several types for a file that is not a workbook
            raise DataError(f"cannot read the file as an Excel .xlsx workbook ({type(exc).__name__}: "
                            f"{shorten(exc, 120)}); is it damaged, truncated or password-protected?",
                            file=file) from None
        try:
            sheets = {name: _sheet_rows(wb[name]) for name in wb.sheetnames}
        except Exception as exc:  # a damaged sheet inside a readable workbook
            raise DataError(f"cannot read the workbook's sheets ({type(exc).__name__}: {shorten(exc, 120)})",
                            file=file) from None
        finally:
            wb.close()
    names = list(sheets)
    if not names:
        raise DataError("the workbook has no worksheets", file=file)
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            raise DataError(f"cannot read sheet {sheet!r}: the workbook has {len(names)} sheet(s) (positions 0–"
                            f"{len(names) - 1}): {_sheet_list(sheets, expected)}; set data.sheet to a name or "
                            "position", file=file)
        name = names[sheet]
    elif str(sheet) in sheets:
        name = str(sheet)
    else:
        close = [n for n in names if n.strip().lower() == str(sheet).strip().lower()]
        hint = f" (did you mean {close[0]!r}? sheet names are case-sensitive)" if close else ""
        raise DataError(f"cannot read sheet {sheet!r}: the workbook has no sheet of that name{hint}; its sheets: "
                        f"{_sheet_list(sheets, expected)}; set data.sheet to one of them", file=file)
    rows = sheets[name]
    best = _data_sheet(sheets, expected)
    if best is not None and best != name and not _looks_like_table(rows, expected):
        raise DataError(f"sheet {name!r} (position {names.index(name)}) does not look like the data table "
                        f"({_sheet_shape(rows, expected)}); the workbook has sheets {_sheet_list(sheets, expected)}; "
                        f"sheet {best!r} looks like the data: set data.sheet: {best!r}", file=file)
    records = [[_cell_text(v) for v in r] for r in rows[:SNIFF_RECORDS]]
    skip = (header_row - 1) if header_row else 0
    if not rows or skip >= len(rows):
        raise DataError(f"sheet {name!r} is empty" + (f" above data.header_row {header_row}" if skip else ""),
                        file=file)
    k = find_header(records[skip:], expected)
    if k is not None:
        line = skip + k + 1
        first = " ".join(c for c in records[skip] if c)
        raise DataError(f"sheet {name!r}: row {skip + 1} is not the header row: it reads {shorten(first, 60)!r} "
                        f"(a title or note above the table?); the column names are in row {line}: set "
                        f"data.header_row: {line}", file=file)
    notes = [f"data.header_row: {header_row}: skipped sheet row(s) 1–{skip} above the header"] if skip else []
    header = _check_header_names([_cell_text(v) for v in rows[skip]], file)
    width = len(header)
    data = [[_cell_text(v) for v in r] + [""] * (width - len(r)) for r in rows[skip + 1:]]
    if not data:
        raise DataError(f"sheet {name!r} has a header but no data rows", file=file)
    df = pd.DataFrame(data, columns=header, dtype=object).astype("string")
    df = _drop_empty_unnamed(df, notes)
    df.attrs["read_notes"] = notes
    return df


def _sheet_rows(ws: Any) -> list[tuple[Any, ...]]:
    """A worksheet's rows without trailing empty rows and columns."""
    rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    while rows and all(v is None or str(v).strip() == "" for v in rows[-1]):
        rows.pop()
    width = max((max((k + 1 for k, v in enumerate(r) if v is not None and str(v).strip() != ""), default=0)
                 for r in rows), default=0)
    return [r[:width] for r in rows]


def _looks_like_table(rows: Sequence[Sequence[Any]], expected: set[str]) -> bool:
    if expected:
        return any(header_score([_cell_text(v) for v in r], expected) for r in rows[:SNIFF_RECORDS])
    return len(rows) >= 2 and max((len(r) for r in rows), default=0) >= 2


def _data_sheet(sheets: Mapping[str, list], expected: set[str]) -> str | None:
    """The sheet holding most of the expected columns (or the largest table without them)."""
    if expected:
        scores = {n: max((header_score([_cell_text(v) for v in r], expected) for r in rows[:SNIFF_RECORDS]),
                         default=0) for n, rows in sheets.items()}
        best = max(scores, key=scores.get)
        return best if scores[best] else None
    sizes = {n: len(rows) * max((len(r) for r in rows), default=0) for n, rows in sheets.items()
             if _looks_like_table(rows, expected)}
    return max(sizes, key=sizes.get) if sizes else None


def _sheet_shape(rows: Sequence[Sequence[Any]], expected: set[str]) -> str:
    n_cols = max((len(r) for r in rows), default=0)
    text = f"{len(rows)} row(s) × {n_cols} column(s)"
    if expected:
        found = max((header_score([_cell_text(v) for v in r], expected) for r in rows[:SNIFF_RECORDS]), default=0)
        text += f", {found} of the declared columns" if found else ", none of the declared columns"
    elif rows and n_cols <= 1:
        text += f", starting {shorten(_cell_text(rows[0][0]) if rows[0] else '', 40)!r}"
    return text


def _sheet_list(sheets: Mapping[str, list], expected: set[str]) -> str:
    items = [f"{n!r} ({_sheet_shape(rows, expected)})" for n, rows in list(sheets.items())[:LIST_LIMIT]]
    more = f" and {len(sheets) - LIST_LIMIT} more" if len(sheets) > LIST_LIMIT else ""
    return ", ".join(items) + more


# ----------------------------------------------------------------------------- SPSS, Stata

def _read_stat(p: Path, fmt: str) -> pd.DataFrame:
    import pyreadstat

    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    try:
        df, meta = reader(str(p), user_missing=True, apply_value_formats=False)
    except Exception as exc:  # pyreadstat.ReadstatError and friends for damaged files
        kind = "SPSS .sav" if fmt == "sav" else "Stata .dta"
        raise DataError(f"cannot read the file as {kind} ({type(exc).__name__}: {shorten(exc, 120)}); is it "
                        "truncated or of another format? Save it again from SPSS/Stata", file=str(p)) from None
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
    out.attrs["column_labels"] = {c: str(label) for c, label in (meta.column_names_to_labels or {}).items()
                                  if label}
    return out


def _cell_text(v: object) -> str:
    """A cell as text: integers without '.0', missing as ''."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def check_unique_columns(header: Sequence[str], file: str) -> None:
    """Refuse a header that names a column twice (naming the names and their positions)."""
    seen: dict[str, list[int]] = {}
    for k, c in enumerate(header):
        seen.setdefault(c, []).append(k + 1)
    dupes = sorted(c for c, pos in seen.items() if len(pos) > 1)
    if dupes:
        where = "; ".join(f"{c!r} at positions {', '.join(map(str, seen[c][:LIST_LIMIT]))}"
                          + (", …" if len(seen[c]) > LIST_LIMIT else "") for c in dupes[:LIST_LIMIT])
        raise DataError(f"duplicate column names {dupes[:LIST_LIMIT]} ({where}); every column must have a unique "
                        "name: rename them in the export", file=file)


# ----------------------------------------------------------------------------- columns

def declared_columns(study: Mapping[str, Any], file: str = "<data>") -> dict[str, str]:
    """Raw column name → canonical name of every column the study declares, in order."""
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
    return wanted


def map_columns(raw: pd.DataFrame, study: Mapping[str, Any], file: str = "<data>") -> pd.DataFrame:
    """Select and rename the study's columns; every other column is dropped.

    Dropping undeclared columns at ingest is also what keeps identifying export columns
    (IP address, e-mail, names, location, phone, and any listed in the study's
    ``identifying_columns``) out of every result; declaring one of them is an error.

    Raises
    ------
    DataError
        When a declared column is absent; the message names the first few, says what
        looks wrong (case or spaces, another naming pattern, a garbled byte-order mark)
        and lists some of the columns that were seen.
    """
    wanted = declared_columns(study, file)
    declared_identifiers = [c for c in wanted if IDENTIFYING.search(c)
                            or c in set(study.get("identifying_columns", []))]
    if declared_identifiers:
        raise DataError(f"column(s) {', '.join(map(repr, declared_identifiers))} identify respondents and are never "
                        "read into the analysis; remove them from the study file (undeclared columns are dropped "
                        "at ingest)", file=file)
    missing = [c for c in wanted if c not in raw.columns]
    if missing:
        raise DataError(missing_columns_message(missing, wanted, [str(c) for c in raw.columns], study), file=file)
    out = raw[list(wanted)].rename(columns=wanted)
    out.attrs = {key: {wanted[c]: v for c, v in raw.attrs.get(key, {}).items() if c in wanted}
                 for key in ("file_missing_codes", "value_labels")}
    if raw.attrs.get("read_notes"):        # only when there are some: a clean file's outputs stay as they were
        out.attrs["read_notes"] = list(raw.attrs["read_notes"])
    out.insert(0, "_row", range(1, len(out) + 1))
    if "id" not in out.columns:
        out.insert(1, "id", [f"row{k}" for k in out["_row"]])
    return out.reset_index(drop=True)


def missing_columns_message(missing: Sequence[str], wanted: Mapping[str, str], seen: Sequence[str],
                            study: Mapping[str, Any]) -> str:
    """A short message for declared columns that the file lacks: the first few (of how
    many), what looks wrong, and some of the columns seen."""
    shown = ", ".join(f"{m!r}" for m in missing[:LIST_LIMIT])
    mapped = ", ".join(wanted[m] for m in missing[:LIST_LIMIT])
    more = f" and {len(missing) - LIST_LIMIT} more" if len(missing) > LIST_LIMIT else ""
    if len(missing) == 1:
        head = f"required column {shown} not found (mapped as {mapped})"
    else:
        head = (f"{len(missing)} of the {len(wanted)} declared columns not found: {shown}{more} "
                f"(mapped as {mapped}{', …' if more else ''})")
    hints = _missing_hints(missing, seen, study)
    cols = ", ".join(map(repr, seen[:20])) + (f" … ({len(seen)} in all)" if len(seen) > 20 else "")
    return head + (f"; {'; '.join(hints)}" if hints else "") + f"; columns seen: {cols}"


def _missing_hints(missing: Sequence[str], seen: Sequence[str], study: Mapping[str, Any]) -> list[str]:
    hints: list[str] = []
    if seen and seen[0].startswith("ï»¿"):
        hints.append(f"the first column name starts with 'ï»¿', a UTF-8 byte-order mark decoded as "
                     f"{study['data'].get('encoding', 'latin-1')}: set data.encoding: utf-8")
    if len(seen) == 1 and any(d in seen[0] for d in ";\t|,"):
        hints.append(f"the header was read as one column ({shorten(seen[0], 40)!r}): set data.delimiter")
    folded = {c.strip().lower(): c for c in seen}
    near = [(m, folded[m.strip().lower()]) for m in missing if m.strip().lower() in folded]
    if near:
        pairs = ", ".join(f"declared {m!r}, file {c!r}" for m, c in near[:3])
        hints.append(f"{len(near)} declared name(s) differ from a column of the file only in case or spaces "
                     f"({pairs}); names must match exactly: correct the study file (or the export)")
    missing_set = set(missing)
    for key, block in study.get("instruments", {}).items():
        spec = block.get("columns")
        if not isinstance(spec, str) or "{n}" not in spec:
            continue
        names = {spec.replace("{n}", str(n)) for n in range(1, 200)}
        if not names & missing_set or names & set(seen):
            continue                 # the pattern is fine, or only some items are absent
        letters = re.sub(r"[^A-Za-z]", "", spec.split("{n}")[0])
        if not letters:
            continue
        rx = re.compile(rf"^[\W_]*{re.escape(letters)}[\W_]*(\d+)[\W_]*$", re.IGNORECASE)
        alike = [c for c in seen if rx.match(c.replace(" ", ""))]
        if alike:
            pattern = re.sub(r"\d+(?!.*\d)", "{n}", alike[0])
            hints.append(f"instruments.{key}.columns is {spec!r} but the file names those items like "
                         f"{alike[0]!r}: set columns: {pattern!r}")
    return hints


def ingest(study: Mapping[str, Any]) -> pd.DataFrame:
    """Read the study's raw file and return canonical string columns plus ``_row``.

    What the reader decided against the study file (``df.attrs["read_notes"]``) is logged.
    """
    d = study["data"]
    wanted = declared_columns(study, d["path"])
    raw = read_data(d["path"], d.get("format", "csv"), delimiter=d.get("delimiter", ","),
                    encoding=d.get("encoding", "utf-8"), sheet=d.get("sheet", 0), decimal=d.get("decimal"),
                    header_row=d.get("header_row"), expected=set(wanted))
    for note in raw.attrs.get("read_notes", []):
        LOG.info("%s: %s", d["path"], note)
    return map_columns(raw, study, file=d["path"])
