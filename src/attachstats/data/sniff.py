"""What a raw file is, decided from its content rather than its name.

The readers (:mod:`attachstats.data.readers`) call these functions before decoding a
file, so that a ZIP archive, a PDF or random bytes named ``.csv`` is called what it is
(never blamed on the text encoding), a byte-order mark decides the encoding, and the
delimiter, the decimal separator, rows above the header and the two extra header rows of
a Qualtrics export are recognised in the text.

Every function here is pure: bytes or text in, a description out. None of them raises.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Sequence

#: Byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
BOMS: tuple[tuple[bytes, str, str], ...] = (
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32 BE"),
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32 LE"),
    (b"\xef\xbb\xbf", "utf-8", "UTF-8"),
    (b"\xfe\xff", "utf-16-be", "UTF-16 BE"),
    (b"\xff\xfe", "utf-16-le", "UTF-16 LE"),
)
#: Delimiters tried when the declared one does not split the header.
DELIMITERS = (",", ";", "\t", "|")
#: How many bytes of a file the sniffers look at.
HEAD_BYTES = 1 << 16


@dataclass(frozen=True)
class FileKind:
    """What the first bytes of a file say it is.

    Attributes
    ----------
    kind : ``text``, ``utf16-nobom``, ``xlsx``, ``sav``, ``dta`` (readable kinds) or
        ``zip``, ``ods``, ``docx``, ``ole2``, ``pdf``, ``gzip``, ``parquet``, ``html``,
        ``binary`` (not readable; :attr:`fix` says what to do).
    label : what the file is, in words (``"a ZIP archive (containing survey.csv)"``).
    encoding : the encoding a byte-order mark declares (text only), else None.
    bom : the byte-order mark's name (``"UTF-16 LE"``), else None.
    fix : the advice for a file that cannot be read.
    """

    kind: str
    label: str
    encoding: str | None = None
    bom: str | None = None
    fix: str = ""


def sniff_bytes(head: bytes, zip_names: Sequence[str] = ()) -> FileKind:
    """Say what a file is from its first bytes (``head``, up to :data:`HEAD_BYTES`).

    Parameters
    ----------
    head : the first bytes of the file.
    zip_names : for a ZIP file, the names of its members (used to tell an ``.xlsx``
        workbook, an OpenDocument spreadsheet and a Word document from other archives).
    """
    for mark, enc, name in BOMS:
        if head.startswith(mark):
            return FileKind("text", f"text with a {name} byte-order mark", encoding=enc, bom=name)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        names = list(zip_names)
        if any(n.startswith("xl/") for n in names):
            return FileKind("xlsx", "an Excel .xlsx workbook")
        if "mimetype" in names and any(n == "content.xml" for n in names):
            return FileKind("ods", "an OpenDocument spreadsheet (.ods)",
                            fix="save it as .xlsx or CSV (File → Save as) and point data.path to that file")
        if any(n.startswith("word/") for n in names):
            return FileKind("docx", "a Word document (.docx)",
                            fix="point data.path to the data export itself, not to a document")
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        inside = f" (containing {shown})" if names else ""
        return FileKind("zip", f"a ZIP archive{inside}",
                        fix="unzip it and point data.path to the extracted data file")
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return FileKind("ole2", "an old-style Excel .xls workbook (or a password-protected Office file)",
                        fix="open it in Excel, remove any password and save it as .xlsx or CSV, then point "
                            "data.path to that file")
    if head.startswith((b"$FL2", b"$FL3")):
        return FileKind("sav", "an SPSS .sav file")
    if head.startswith(b"<stata_dta>") or (len(head) > 3 and 104 <= head[0] <= 115 and head[1] in (1, 2)
                                           and head[2] == 1 and head[3] == 0):
        return FileKind("dta", "a Stata .dta file")
    if head.startswith(b"%PDF"):
        return FileKind("pdf", "a PDF document", fix="point data.path to the data export itself, not to a PDF")
    if head.startswith(b"\x1f\x8b"):
        return FileKind("gzip", "a gzip-compressed file", fix="decompress it (gunzip) and point data.path to the result")
    if head.startswith(b"PAR1"):
        return FileKind("parquet", "an Apache Parquet file", fix="export it as CSV and point data.path to that file")
    start = head.lstrip()[:512].lower()
    if start.startswith((b"<!doctype html", b"<html")) or (start.startswith(b"<") and b"<html" in start):
        return FileKind("html", "an HTML web page (a download that saved the page, e.g. a login page, "
                                "instead of the export)",
                        fix="download the export again (the survey platform's 'Export data' → CSV) and "
                            "point data.path to it")
    if _looks_utf16_without_bom(head):
        endian = "le" if head[1:2] == b"\x00" else "be"
        return FileKind("utf16-nobom", f"UTF-16 {endian.upper()} text without a byte-order mark",
                        encoding=f"utf-16-{endian}",
                        fix=f"set data.encoding: utf-16-{endian} in the study file")
    if _looks_binary(head):
        return FileKind("binary", "binary data, not text (it contains NUL and control bytes)",
                        fix="point data.path to the survey export (CSV, TSV, Qualtrics CSV, .xlsx, .sav or "
                            ".dta); changing data.encoding will not help")
    return FileKind("text", "text")


def _looks_utf16_without_bom(head: bytes) -> bool:
    sample = head[:4096]
    if len(sample) < 8:
        return False
    even, odd = sample[0::2], sample[1::2]
    return (odd.count(0) > 0.8 * len(odd) and even.count(0) < 0.05 * len(even)) or \
           (even.count(0) > 0.8 * len(even) and odd.count(0) < 0.05 * len(odd))


def _looks_binary(head: bytes) -> bool:
    sample = head[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return control > 0.02 * len(sample)


def guess_8bit(raw: bytes) -> str | None:
    """The 8-bit encoding under which ``raw`` (bytes that are not UTF-8) reads as text.

    Returns ``"cp1252"`` (Windows Western, a superset of Latin-1's printable range) when
    the bytes decode under it, else ``"latin-1"``.
    """
    try:
        raw.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def split_records(text: str, delimiter: str, limit: int) -> tuple[list[list[str]], list[int]]:
    """The first ``limit`` CSV records of ``text`` and the character offset where each ends.

    Quoted fields may hold delimiters and line breaks (a Qualtrics question text does).
    Offsets index into ``text``: ``text[offsets[k]:]`` starts the record after record k.
    """
    records: list[list[str]] = []
    offsets: list[int] = []
    pos, n = 0, len(text)
    while pos < n and len(records) < limit:
        end = _record_end(text, pos)
        line = text[pos:end]
        try:
            fields = next(csv.reader(io.StringIO(line.rstrip("\r\n")), delimiter=delimiter), [])
        except csv.Error:
            fields = line.rstrip("\r\n").split(delimiter)
        records.append(fields)
        offsets.append(end)
        pos = end
    return records, offsets


def _record_end(text: str, pos: int) -> int:
    """Offset just past the line break that ends the CSV record starting at ``pos``."""
    in_quotes = False
    i, n = pos, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            in_quotes = not in_quotes
        elif not in_quotes and c in "\r\n":
            if c == "\r" and i + 1 < n and text[i + 1] == "\n":
                return i + 2
            return i + 1
        i += 1
    return n


def choose_delimiter(text: str, declared: str) -> str:
    """The delimiter that splits the header: the declared one when it occurs in the first
    record, otherwise the candidate of :data:`DELIMITERS` that splits the first records into
    the most columns consistently (``declared`` when none splits anything)."""
    first, _ = split_records(text, declared, 1)
    if first and len(first[0]) > 1:
        return declared
    best, best_score = declared, 1
    for cand in DELIMITERS:
        if cand == declared:
            continue
        records, _ = split_records(text, cand, 12)
        counts = [len(r) for r in records if any(c.strip() for c in r)]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        if mode > 1 and counts.count(mode) >= max(2, len(counts) // 2) and mode > best_score:
            best, best_score = cand, mode
    return best


def header_score(record: Sequence[str], expected: set[str]) -> int:
    """How many of the expected column names a record holds."""
    return sum(1 for c in record if c in expected)


def find_header(records: Sequence[Sequence[str]], expected: set[str]) -> int | None:
    """Index of the record that looks like the header row, or None if nothing stands out.

    With expected column names, the record holding most of them (at least half, and more
    than the first record holds); without them, the first record as wide as the widest
    of the records when the first one is much narrower (a title row above a table).
    """
    if not records:
        return None
    if expected:
        scores = [header_score(r, expected) for r in records]
        best = max(range(len(records)), key=lambda k: scores[k])
        if best != 0 and scores[best] > scores[0] and scores[best] >= max(1, len(expected) // 2):
            return best
        return None
    widths = [sum(1 for c in r if c.strip()) for r in records]
    widest = max(widths)
    if widest >= 3 and widths[0] <= widest // 2:
        return next(k for k, w in enumerate(widths) if w == widest)
    return None


def is_qualtrics(records: Sequence[Sequence[str]], header: int = 0) -> bool:
    """True when the two records under the header are a Qualtrics export's question-text row
    and its row of ``{"ImportId": ...}`` cells."""
    if len(records) <= header + 2:
        return False
    row = records[header + 2]
    return bool(row) and any(str(c).lstrip().startswith('{"ImportId"') for c in row[:3])


DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")


def looks_like_numbers(record: Sequence[str]) -> bool:
    """True when at least four in five non-empty cells of a record are numbers (a data row,
    not a header: column names are rarely numbers)."""
    cells = [str(c).strip() for c in record if str(c).strip()]
    numbers = sum(1 for c in cells if re.fullmatch(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)", c))
    return len(cells) >= 2 and numbers >= 0.8 * len(cells)


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis."""
    text = str(text).replace("\r", " ").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
