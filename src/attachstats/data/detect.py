"""What a raw export holds, for ``attachstats init``: id, duration, instruments, codes, variables.

:func:`read_export` reads any supported file (through :mod:`attachstats.data.readers`, so
a file is read exactly as the workflow will read it) and says how (format, delimiter,
encoding); :func:`draft_study` looks at the columns and proposes a study mapping
(:class:`attachstats.spec.draft.StudyDraft`) with a comment on every choice and a ``TODO``
on every choice it could not make:

- the **id column** (``ResponseId``, ``id``, ``participant`` …, checked for unique values)
  and the **duration column** (``Duration (in seconds)``, ``duration`` …, numeric);
- **instrument blocks**: columns numbered ``<stem><n>`` (``ECR_1``, ``ecr1``, ``Q1_1``)
  form a group; a group matches a shipped instrument with as many items whose response
  range holds the answers, preferring a name that fits the stem (``ECR_`` → the ECR
  forms, ``PHQ9_`` → ``phq-9``) and an exact range; between instruments that still tie
  (the ECR and the ECR-R: 36 items rated 1–7) the published key decides that makes the
  reverse-keyed items correlate most within their subscales (mean inter-item correlation
  of the keyed items, psych's average.r); consecutive groups whose sizes only add up
  to an instrument's (a questionnaire split over survey pages) are joined; answers exported
  as the choice texts of a known scale (``Strongly disagree`` … ``Strongly agree``) get
  ``labels`` in the scale's order;
- **missing-value codes**: SPSS/Stata user-missing values, codes whose value label means
  "not answered" (``Refused``, ``Don't know``), and sentinel numbers (``-99``, ``-9``,
  ``999`` …) outside an item's response range or apart from a column's other values; a
  code outside every column's ordinary values goes to ``data.missing_codes``, others to
  their block or variable;
- **variables**: every other column, numeric or categorical (with the file's value
  labels as ``codes``), except identifying columns (never declared), Qualtrics metadata,
  dates and free text (listed in a comment); items named like attention checks get a
  commented ``attention_checks`` suggestion, and Qualtrics previews and unfinished
  responses a TODO (no screen drops them).

Nothing here writes a file or formats YAML (that is :mod:`attachstats.output.study_yaml`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from attachstats import __version__
from attachstats.data.readers import IDENTIFYING, read_data, sniff_file
from attachstats.data.scoring import keyed_items
from attachstats.data.sniff import choose_delimiter, guess_8bit, is_qualtrics, shorten, split_records
from attachstats.data.validate import MISSING_WORDS, NA_LIKE
from attachstats.errors import AttachstatsError, DataError
from attachstats.spec.draft import Comment, KeyPath, StudyDraft
from attachstats.spec.instrument import Instrument, available_instruments, load_instrument
from attachstats.stats.reliability import average_r

__all__ = ["ReadResult", "read_export", "draft_study", "ID_NAMES", "DURATION_NAMES", "QUALTRICS_METADATA"]

#: names of respondent-id columns (case-insensitive), most specific first
ID_NAMES = ("responseid", "response_id", "_recordid", "recordid", "respondentid", "respondent_id", "participantid",
            "participant_id", "subjectid", "subject_id", "caseid", "case_id", "pid", "id", "uuid", "participant",
            "subject", "respondent", "case")
#: completion-time columns (lower case, spaces and symbols removed), seconds first
DURATION_NAMES = ("durationinseconds", "duration_in_seconds", "durationseconds", "durationsec", "duration",
                  "testelapse", "elapsedseconds", "elapsed", "timetaken", "completiontime", "totaltime")
#: Qualtrics export columns that describe the response, not the respondent (never declared)
QUALTRICS_METADATA = ("startdate", "enddate", "status", "progress", "finished", "recordeddate",
                      "distributionchannel", "userlanguage", "externalreference", "externaldatareference",
                      "q_recaptchascore", "q_relevantidduplicate", "q_relevantidduplicatescore",
                      "q_relevantidfraudscore", "q_relevantidlaststartdate", "q_ballotboxstuffing")
#: numbers commonly used to mean "not answered" (taken as codes only outside a column's values)
SENTINELS = frozenset({-1, -7, -8, -9, -77, -88, -99, -777, -888, -999, -9999, 77, 88, 99, 777, 888, 999, 9999,
                       99999})
#: value-label words that mean "not answered" (besides validation's MISSING_WORDS)
MISSING_LABEL = re.compile(r"refus|don.?t know|do not know|prefer not|no answer|not answered|missing|"
                           r"not applicable|skipped|decline|n/?a\b", re.IGNORECASE)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{1,2}:\d{2}(:\d{2})?)?")
#: a numbered column: a stem ending in a non-digit, then the item number
NUMBERED = re.compile(r"^(?P<stem>.*\D)(?P<n>\d+)$")
#: names of columns that hold categories even when coded as numbers
CATEGORY_NAMES = re.compile(r"^(gender|sex|country|education|educ|marital|ethnicity|race|religion|group|condition|"
                            r"orientation|sexual_?orientation|employment|relationship(_?status)?)$", re.IGNORECASE)
#: numbered columns that form a questionnaire even when no shipped instrument matches them
UNMATCHED_MIN = 5
#: question texts that name a variable (the first match wins)
LABEL_NAMES = (("age", re.compile(r"\bage\b|how old", re.I)), ("gender", re.compile(r"\bgender\b", re.I)),
               ("sex", re.compile(r"\bsex\b", re.I)), ("education", re.compile(r"\beducation", re.I)),
               ("country", re.compile(r"\bcountry\b", re.I)))
#: names of instructed-response (attention check) items
ATTENTION = re.compile(r"attention|attn|instructed|^imc\d*$|^ac_?\d+$|check", re.IGNORECASE)
#: answer scales whose choice texts (as Qualtrics and other platforms write them) have a known order:
#: name -> (code of the first anchor, anchors in order, each with the wordings seen for it)
_SD = ("Strongly disagree", "Disagree strongly")
_SWD = ("Somewhat disagree", "Slightly disagree", "Disagree somewhat", "Mildly disagree")
_MID = ("Neither agree nor disagree", "Neutral", "Neutral/mixed", "Neutral / mixed", "Undecided")
_SWA = ("Somewhat agree", "Slightly agree", "Agree somewhat", "Mildly agree")
_SA = ("Strongly agree", "Agree strongly")
CHOICE_SCALES: dict[str, tuple[int, tuple[tuple[str, ...], ...]]] = {
    "7-point agreement": (1, (_SD, ("Disagree",), _SWD, _MID, _SWA, ("Agree",), _SA)),
    "5-point agreement": (1, (_SD, ("Disagree",), _MID, ("Agree",), _SA)),
    "5-point agreement (somewhat)": (1, (_SD, _SWD, _MID, _SWA, _SA)),
    "4-point frequency (PHQ/GAD)": (0, (("Not at all",), ("Several days",), ("More than half the days",),
                                        ("Nearly every day",))),
}
#: most categories a column may have to be proposed as a categorical variable
MAX_LEVELS = 20
#: share of an item group's answers that may lie outside an instrument's range (typos, left to validation)
OUT_OF_RANGE_SHARE = 0.01
#: occurrences a sentinel number needs to be taken as a missing-value code
MIN_CODE_COUNT = 2
#: cells needed before an unused top or bottom answer is taken to mean a shorter form
SHORT_FORM_CELLS = 500


@dataclass(frozen=True)
class ReadResult:
    """A raw export read as the workflow reads it, and the ``data`` block that says how.

    Attributes
    ----------
    frame : every cell as text, with ``attrs`` (``file_missing_codes``, ``value_labels``,
        ``column_labels``, ``read_notes``) as :func:`attachstats.data.readers.read_data` sets them.
    data : the study file's ``data`` keys (without ``path``): ``format`` and, where they
        differ from the defaults, ``delimiter``, ``encoding``, ``sheet``, ``header_row``.
    labels : raw column → question text (SPSS/Stata variable labels, a Qualtrics CSV's
        question-text row).
    """

    frame: pd.DataFrame
    data: dict[str, Any]
    labels: dict[str, str] = field(default_factory=dict)


def read_export(path: str | Path, *, sheet: str | int = 0, header_row: int | None = None) -> ReadResult:
    """Read a CSV/TSV/Qualtrics/Excel/SPSS/Stata export and say how it was read.

    The content decides the format (:func:`attachstats.data.readers.sniff_file`); a text
    file's encoding is its byte-order mark's, else UTF-8, else the 8-bit encoding its bytes
    fit; its delimiter is the one that splits the header; a Qualtrics CSV is recognised by
    its ImportId row.

    Raises
    ------
    DataError
        The file is missing, empty, of a kind that cannot be read (named), or unreadable.

    Examples
    --------
    >>> res = read_export("data/example/survey.csv")    # doctest: +SKIP
    >>> res.data
    {'format': 'csv'}
    """
    p = Path(path)
    kind = sniff_file(p)
    data: dict[str, Any] = {}
    labels: dict[str, str] = {}
    delimiter, encoding = ",", "utf-8"
    if kind.kind in ("xlsx", "sav", "dta"):
        fmt = kind.kind
        if fmt == "xlsx" and sheet != 0:
            data["sheet"] = sheet
    elif kind.kind in ("text", "utf16-nobom"):
        raw = p.read_bytes()
        if kind.bom is not None:
            encoding = {"utf-8": "utf-8"}.get(kind.encoding or "", (kind.encoding or "utf-8").split("-le")[0]
                                              .split("-be")[0])
        elif kind.kind == "utf16-nobom":
            encoding = kind.encoding or "utf-16-le"
        else:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                encoding = guess_8bit(raw) or "latin-1"
        text = raw.decode(encoding if kind.bom is None else (kind.encoding or encoding), errors="replace")
        text = text.lstrip("\ufeff")
        if header_row and header_row > 1:
            _, offs = split_records(text, ",", header_row - 1)
            text = text[offs[-1]:] if offs else text
        delimiter = choose_delimiter(text, ",")
        records, _ = split_records(text, delimiter, 3)
        if is_qualtrics(records):
            fmt = "qualtrics"
            labels = {h: q for h, q in zip(records[0], records[1]) if q.strip() and q.strip() != h}
        else:
            fmt = "tsv" if delimiter == "\t" else "csv"
        if delimiter not in (",", "\t"):
            data["delimiter"] = delimiter
        if encoding != "utf-8":
            data["encoding"] = encoding
    else:
        raise DataError(f"the file is {kind.label}, not a data export attachstats can read; {kind.fix}", file=str(p))
    if header_row:
        data["header_row"] = header_row
    frame = read_data(p, fmt, delimiter="\t" if fmt == "tsv" else delimiter, encoding=encoding, sheet=sheet,
                      header_row=header_row)
    if frame.shape[1] == 0:
        raise DataError("the file has no columns", file=str(p))
    labels.update(frame.attrs.get("column_labels", {}))
    return ReadResult(frame, {"format": fmt, **data}, labels)


# ----------------------------------------------------------------------------- column facts

def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9_]", "", name.lower())


def _numbers(s: pd.Series) -> pd.Series:
    text = s.astype("string").str.strip()
    return pd.to_numeric(text.mask(text == ""), errors="coerce").astype("float64")


def _answered(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip().fillna("") != ""


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _code(v: float) -> int | float:
    return int(v) if float(v).is_integer() else float(v)


def _labelled_missing(labels: Mapping[str, str] | None) -> list[float]:
    """Codes whose value label means "not answered"."""
    out = []
    for code, text in (labels or {}).items():
        if str(text).strip().upper() in MISSING_WORDS or MISSING_LABEL.search(str(text)):
            try:
                out.append(float(code))
            except ValueError:
                continue
    return out


def _file_codes(frame: pd.DataFrame, column: str) -> list[float]:
    """The column's SPSS/Stata user-missing values and value-labelled "not answered" codes."""
    codes = []
    for c in frame.attrs.get("file_missing_codes", {}).get(column, []):
        try:
            codes.append(float(c))
        except ValueError:
            continue
    codes += _labelled_missing(frame.attrs.get("value_labels", {}).get(column))
    return sorted(set(codes))


def find_id_column(frame: pd.DataFrame, skip: set[str]) -> tuple[str | None, Comment]:
    """The respondent-id column: a known name, else a column named ``…id`` with unique values."""
    by_name = {_squash(c): c for c in frame.columns if c not in skip}
    chosen = next((by_name[n] for n in ID_NAMES if n in by_name), None)
    if chosen is None:
        chosen = next((c for c in frame.columns if c not in skip and re.search(r"(^|_|[a-z])id$", c, re.I)
                       and frame[c].nunique() == len(frame)), None)
    if chosen is None:
        return None, Comment(above=("TODO: no respondent-id column found; respondents are called row1, row2, … "
                                    "(set id_column: <column> if the file has one)",))
    s = frame[chosen].astype("string").str.strip()
    empty, dupes = int((s.fillna("") == "").sum()), int(s[s.fillna("") != ""].duplicated().sum())
    parts = [f"{s.nunique()} distinct ids in {len(s)} rows"]
    above: tuple[str, ...] = ()
    if dupes or empty:
        parts.append(f"{dupes} repeated, {empty} empty")
        above = (f"TODO: {chosen!r} has {dupes} repeated and {empty} empty ids: repeated ones are excluded after "
                 "the first (screening.duplicate_ids), empty ones as missing_ids; check that it is the id column",)
    return chosen, Comment(above=above, inline="; ".join(parts))


def find_duration_column(frame: pd.DataFrame, skip: set[str]) -> tuple[str | None, Comment]:
    """The completion-time column: a known name whose answered cells are numbers."""
    by_name = {re.sub(r"[^a-z0-9]", "", c.lower()): c for c in frame.columns if c not in skip}
    for n in DURATION_NAMES:
        key = n.replace("_", "")
        c = by_name.get(key)
        if c is None:
            continue
        num, answered = _numbers(frame[c]), _answered(frame[c])
        if answered.sum() and num.notna().sum() >= 0.95 * answered.sum():
            above: tuple[str, ...] = ()
            if "sec" not in key and "elapse" not in key:
                above = (f"TODO: confirm that {c!r} is in seconds (the speeding screen divides it by the "
                         "number of items)",)
            return c, Comment(above=above, inline=f"seconds, median {_fmt(float(num.median()))}")
    return None, Comment()


@dataclass
class _Group:
    stem: str
    items: list[tuple[int, str]]          # (number, raw column), by number
    parts: tuple[str, ...] = ()           # the spans of the groups it was joined from

    @property
    def columns(self) -> list[str]:
        return [c for _, c in self.items]

    def pattern(self) -> str | None:
        numbers = [n for n, _ in self.items]
        if (not self.parts and numbers == list(range(1, len(numbers) + 1)) and "{" not in self.stem
                and "}" not in self.stem):
            return f"{self.stem}{{n}}"
        return None

    def span(self) -> str:
        return f"{self.items[0][1]} … {self.items[-1][1]}" if len(self.items) > 1 else self.items[0][1]


def numbered_groups(columns: Sequence[str], skip: set[str], min_items: int = 2) -> list[_Group]:
    """Columns ``<stem><n>`` grouped by stem, in the order of their first column."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for c in columns:
        m = NUMBERED.match(c)
        if c in skip or m is None or not re.search(r"[A-Za-z]", m["stem"]):
            continue
        groups.setdefault(m["stem"], []).append((int(m["n"]), c))
    return [_Group(stem, sorted(items)) for stem, items in groups.items() if len(items) >= min_items]


def joined_groups(groups: Sequence[_Group], sizes: set[int], max_parts: int = 3) -> list[_Group]:
    """Groups with the items of consecutive groups joined where their sizes add up to an instrument's.

    A questionnaire split over survey pages is exported as ``Q1_1 … Q1_18``, ``Q2_1 … Q2_18``;
    consecutive groups (in file order) whose own sizes match no instrument but whose sum
    does are joined, their items numbered in file order.
    """
    out: list[_Group] = []
    k = 0
    while k < len(groups):
        g = groups[k]
        if len(g.items) not in sizes:
            for m in range(2, max_parts + 1):
                run = groups[k:k + m]
                if len(run) == m and all(len(x.items) not in sizes for x in run) and \
                        sum(len(x.items) for x in run) in sizes:
                    cols = [c for x in run for c in x.columns]
                    out.append(_Group(g.stem, list(enumerate(cols, start=1)), tuple(x.span() for x in run)))
                    k += m
                    break
            else:
                out.append(g)
                k += 1
            continue
        out.append(g)
        k += 1
    return out


def _aliases(inst_id: str) -> set[str]:
    parts = inst_id.lower().split("-")
    return {"".join(parts), parts[0], parts[0] + "".join(p for p in parts[1:] if p.isdigit())}


def _name_fits(stem: str, inst_id: str) -> bool:
    s = re.sub(r"[^a-z0-9]", "", stem.lower())
    return bool(s) and any(s == a or (s.startswith(a) and len(a) >= 3) for a in _aliases(inst_id))


@dataclass
class _Match:
    inst: Instrument
    name_fits: bool
    rank: int                         # 3 exact range, 2 within, 1 shifted, 0 other
    observed: tuple[float, float] | None
    outside: int                      # answers outside the instrument's range
    key_fit: float | None = None
    response: tuple[float, float] | None = None   # a response override to write


def _key_fit(values: pd.DataFrame, inst: Instrument, lo: float, hi: float) -> float | None:
    """Mean inter-item correlation of the keyed items within the subscales (``psych::alpha``'s average.r)."""
    key = "k"
    frame = pd.DataFrame({f"{key}_{n}": values.iloc[:, n - 1].where(values.iloc[:, n - 1].between(lo, hi))
                          for n in inst.item_numbers})
    keyed = keyed_items(frame, key, replace(inst, min=lo, max=hi))
    rs, weights = [], []
    for sub in inst.subscales.values():
        if len(sub.items) < 2:
            continue
        try:
            rs.append(average_r(keyed[[f"{key}_{n}" for n in sub.items]]))
        except (AttachstatsError, ValueError):
            return None
        k = len(sub.items)
        weights.append(k * (k - 1) / 2)
    if not rs or not all(math.isfinite(r) for r in rs):
        return None
    return float(np.average(rs, weights=weights))


def match_group(values: pd.DataFrame, stem: str, instruments: Sequence[Instrument]) -> list[_Match]:
    """Shipped instruments that fit a group of item columns (numbers, codes removed), best first."""
    k = values.shape[1]
    flat = values.to_numpy(dtype=float).ravel()
    flat = flat[np.isfinite(flat)]
    out: list[_Match] = []
    for inst in instruments:
        if inst.n_items != k or not len(flat):
            continue
        inside = (flat >= inst.min) & (flat <= inst.max)
        outside = int((~inside).sum())
        if outside <= OUT_OF_RANGE_SHARE * len(flat):
            lo, hi = float(flat[inside].min()), float(flat[inside].max())
            rank = 3 if (lo, hi) == (inst.min, inst.max) else 2
            observed = (lo, hi)
        else:
            lo, hi = float(np.nanmin(flat)), float(np.nanmax(flat))
            rank = 1 if hi - lo == inst.max - inst.min else 0
            observed = (lo, hi)
        out.append(_Match(inst, _name_fits(stem, inst.id), rank, observed, outside))
    if not out:
        return out
    top = max((m.name_fits, m.rank) for m in out)
    for m in out:
        if (m.name_fits, m.rank) == top:
            lo, hi = (m.inst.min, m.inst.max) if m.rank >= 2 else m.observed
            m.key_fit = _key_fit(values, m.inst, lo, hi)
    out.sort(key=lambda m: (m.name_fits, m.rank, -1 if m.key_fit is None else m.key_fit), reverse=True)
    return out


# ----------------------------------------------------------------------------- the draft

def _block_key(inst_id: str, taken: set[str]) -> str:
    parts = inst_id.lower().split("-")
    for cand in (parts[0] + "".join(p for p in parts[1:] if p.isdigit()), "".join(parts)):
        cand = re.sub(r"[^a-z0-9]", "", cand)
        if cand not in taken:
            return cand
    k = 2
    while f"{parts[0]}{k}" in taken:
        k += 1
    return f"{parts[0]}{k}"


def _variable_name(column: str, taken: set[str]) -> str:
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", column.strip())
    name = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower() or "var"
    if name[0].isdigit():
        name = f"v_{name}"
    base, k = name, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    return name


def _sentinels(num: pd.Series, lo: float | None = None, hi: float | None = None) -> list[float]:
    """Sentinel numbers of a column outside [lo, hi] (default: the range of its other values).

    A sentinel counts as a code only when it occurs at least :data:`MIN_CODE_COUNT` times (a
    single 999 is more likely a typo, left to the range check, than a code)."""
    values = num.dropna()
    counts = values.value_counts()
    found = sorted({float(v) for v, n in counts.items() if float(v) in SENTINELS and n >= MIN_CODE_COUNT})
    if not found:
        return []
    if lo is None or hi is None:
        rest = values[~values.isin(found)]
        if rest.empty:
            return []
        lo, hi = float(rest.min()), float(rest.max())
    return [v for v in found if not lo <= v <= hi]


def _question(labels: Mapping[str, str], column: str) -> str:
    q = labels.get(column, "").strip()
    return f" — {shorten(q, 70)!r}" if q and q != column else ""


def draft_study(read: ReadResult, data_path: str, *, name: str, source: str | None = None,
                instruments: Sequence[str] | None = None) -> StudyDraft:
    """Propose a study mapping for a raw export, with a comment on each choice.

    Parameters
    ----------
    read : ReadResult
        The export as :func:`read_export` read it.
    data_path : str
        ``data.path`` as the study file will give it (relative to the study file).
    name : str
        The study name (``^[A-Za-z0-9_.-]+$``).
    source : str, optional
        How to name the file in the header comment (default ``data_path``).
    instruments : sequence of str, optional
        Shipped instrument ids to match (default all of them).

    Returns
    -------
    StudyDraft
        The mapping (valid against ``workflow/schemas/study.schema.yaml``) and its comments;
        ``draft.todos`` lists the choices left to the user.

    Examples
    --------
    >>> draft = draft_study(read_export("data/example/survey.csv"), "survey.csv", name="example")  # doctest: +SKIP
    >>> sorted(draft.study["instruments"])                                                     # doctest: +SKIP
    ['ecr', 'pdss', 'phq9', 'sasi']

    R equivalent: none (``careless``/``psych`` start from a scored data frame).
    """
    frame = read.frame
    comments: dict[KeyPath, Comment] = {}
    n_rows, columns = len(frame), [str(c) for c in frame.columns]
    identifying = [c for c in columns if IDENTIFYING.search(c)]
    metadata = [c for c in columns if _squash(c) in QUALTRICS_METADATA]
    skip = set(identifying) | set(metadata)

    id_col, id_comment = find_id_column(frame, skip)
    dur_col, dur_comment = find_duration_column(frame, skip | {id_col})
    used = skip | {id_col, dur_col}

    cols_info = _Columns(frame, {c: _numbers(frame[c]) for c in columns if c not in skip},
                         {c: set(_file_codes(frame, c)) for c in columns})
    origin: dict[float, set[str]] = {}         # code -> blocks and variables it was found in

    shipped = [load_instrument(i) for i in (instruments or available_instruments())]
    blocks: dict[str, dict[str, Any]] = {}
    unmatched: list[str] = []
    group_cols: set[str] = set()
    for g in joined_groups(numbered_groups(columns, used), {i.n_items for i in shipped}):
        cols = g.columns
        if len(cols) >= UNMATCHED_MIN:     # a long numbered group is a questionnaire, matched or not
            group_cols |= set(cols)
        matches, why, choices = _match_group(g, cols_info, shipped)
        if not matches:
            if why and len(cols) >= UNMATCHED_MIN:
                unmatched.append(why)
            continue                       # a few numbered questions (Q3, Q4, Q5) are variables
        group_cols |= set(cols)
        key = _block_key(matches[0].inst.id, set(blocks))
        blocks[key], comments[("instruments", key)] = _instrument_block(g, matches, cols_info, choices)
        for v in blocks[key].get("missing_codes", []):
            if isinstance(v, (int, float)):
                origin.setdefault(float(v), set()).add(key)

    variables: dict[str, dict[str, Any]] = {}
    not_declared: list[str] = []
    taken = {"id", "duration", "_row"} | {f"{k}_{s}" for k, b in blocks.items()
                                          for s in load_instrument(b["instrument"]).subscales}
    for c in columns:
        if c in used or c in group_cols:
            continue
        hint = next((n for n, rx in LABEL_NAMES if rx.search(read.labels.get(c, ""))), None)
        vname = _variable_name(hint if hint and hint not in taken | set(variables) else c, taken | set(variables))
        var, comment, reason = _variable(c, vname, cols_info, read.labels)
        if var is None:
            not_declared.append(f"{c} ({reason})")
            continue
        variables[vname] = var
        comments[("variables", vname)] = comment
        for v in var.get("missing_codes", []):
            if isinstance(v, (int, float)):
                origin.setdefault(float(v), set()).add(vname)

    # codes found outside the ordinary values of every column become data.missing_codes
    ordinary = {v: any(_within_others(num, v, cols_info.codes[c]) for c, num in cols_info.nums.items())
                for v in origin}
    global_codes = sorted(v for v, places in origin.items() if len(places) >= 2 and not ordinary[v])
    if global_codes:
        for b in list(blocks.values()) + list(variables.values()):
            if "missing_codes" in b:
                rest = [x for x in b["missing_codes"] if not (isinstance(x, (int, float)) and float(x) in global_codes)]
                if rest:
                    b["missing_codes"] = rest
                else:
                    del b["missing_codes"]

    data_block: dict[str, Any] = {"path": data_path, **read.data}
    if global_codes:
        data_block["missing_codes"] = [_code(v) for v in global_codes]
        comments[("data", "missing_codes")] = Comment(inline="; ".join(
            f"{_fmt(v)} in {', '.join(sorted(origin[v]))}" for v in global_codes) + ", outside their answers")
    study: dict[str, Any] = {"name": name, "title": f"{name}: {n_rows} responses in {Path(data_path).name}",
                             "data": data_block}
    comments[("title",)] = Comment(inline="TODO: the title shown in the report")
    comments[("data", "path")] = Comment(inline="relative to this file")
    comments[("data", "format")] = Comment(inline=_format_note(read))
    if id_col:
        study["id_column"] = id_col
        comments[("id_column",)] = id_comment
    if dur_col:
        study["duration_column"] = dur_col
        comments[("duration_column",)] = dur_comment
    if variables:
        study["variables"] = variables
    lines = [f"not declared: {', '.join(not_declared)}"] if not_declared else []
    if metadata:
        lines.append(f"Qualtrics metadata, not declared: {', '.join(metadata)}")
    if identifying:
        lines.append(f"identifying, never read (only declared columns pass ingest): {', '.join(identifying)}")
    if lines and variables:
        comments[("variables",)] = Comment(after=tuple(lines))
    elif lines:
        comments[("instruments",)] = Comment(above=tuple(lines))
    if not blocks:
        raise DataError(f"no column group matches a shipped instrument ({', '.join(i.id for i in shipped)}); "
                        + ("; ".join(unmatched) if unmatched else "no numbered item columns (such as ECR_1 … ECR_36) "
                           "were found") + "; write the instruments block by hand (config/README.md)",
                        file=source or data_path)
    study["instruments"] = blocks
    if unmatched:
        comments[("instruments",)] = _merge(comments.get(("instruments",)),
                                            Comment(after=tuple(f"TODO: {u}" for u in unmatched)))
    attach = next((k for k, b in blocks.items() if _is_attachment(b["instrument"])), None)
    checks = {}
    for vname, var in variables.items():
        num = cols_info.nums[var["column"]]
        num = num.where(~num.isin(cols_info.codes[var["column"]])).dropna()
        if (ATTENTION.search(var["column"]) or ATTENTION.search(vname)) and var["type"] == "numeric" and len(num):
            mode = num.mode()
            if len(mode) and (num == mode.iloc[0]).mean() >= 0.6:
                checks[vname] = float(mode.iloc[0])
    study["screening"], comments[("screening",)] = _screening(blocks, attach, dur_col, checks)
    if attach:
        inst = load_instrument(blocks[attach]["instrument"])
        models = ["one_factor", "two_factor"]
        if sum(len(s.reverse) for s in inst.subscales.values()) >= 3:
            models.append("two_factor_method")
        fa: dict[str, Any] = {"instrument": attach, "models": models}
        resp = blocks[attach].get("response", {"min": inst.min, "max": inst.max})
        if resp["max"] - resp["min"] + 1 <= 5:
            fa["estimator"] = "MLR"
            comments[("factor_analysis", "estimator")] = Comment(
                inline=f"{int(resp['max'] - resp['min'] + 1)}-point answers: robust SEs and scaled test")
        study["factor_analysis"] = fa
        comments[("factor_analysis",)] = Comment(
            above=("CFA of the attachment items: one factor, the subscales as factors"
                   + (", and a method factor on the reverse-keyed items" if "two_factor_method" in models else ""),))
        if {"avoidance", "anxiety"} <= set(inst.subscales):
            study["figures"] = {"scatter": [f"{attach}_avoidance", f"{attach}_anxiety"]}
    else:
        comments[("screening",)] = _merge(comments[("screening",)], Comment(after=(
            "TODO: no attachment instrument (ECR family) was found, so no factor_analysis is declared",)))
    header = (f"Study file drafted by `attachstats init` {__version__} from {source or data_path} "
              f"({n_rows} rows, {len(columns)} columns).",
              "Every key is explained in config/README.md. Lines marked TODO are choices init could not make:",
              "decide each and delete the TODO. Then: attachstats check <this file>; attachstats run <this file>.")
    if not id_col:
        header += id_comment.above
    header += _incomplete(frame, metadata)
    footer = _model_suggestions(blocks, attach, variables)
    return StudyDraft(study, comments, header, footer)


@dataclass
class _Columns:
    """The export's cells as numbers, and the "not answered" codes found for each column."""

    frame: pd.DataFrame
    nums: dict[str, pd.Series]
    codes: dict[str, set[float]]

    def values(self, cols: Sequence[str]) -> pd.DataFrame:
        """The columns' numbers with their codes set missing."""
        return pd.DataFrame({c: self.nums[c].where(~self.nums[c].isin(self.codes[c])) for c in cols})

    def texts(self, c: str) -> pd.Series:
        """Counts of the column's answered cells that are not numbers, by their (stripped) text."""
        t = self.frame[c].astype("string").str.strip()
        t = t[(t.fillna("") != "") & self.nums[c].isna()]
        return t.value_counts()

    def text_codes(self, c: str) -> list[str]:
        """Texts of a numeric column that mean "not answered" (``Refused``, ``NA``, ``don't know``)."""
        return sorted(t for t in self.texts(c).index if t.upper() in MISSING_WORDS or MISSING_LABEL.search(t))

    def present_codes(self, c: str) -> list[float]:
        """Codes of column ``c`` that occur in it or that the file declares."""
        occurring = set(self.nums[c].dropna().unique())
        declared = set(_file_codes(self.frame, c))
        return sorted(v for v in self.codes[c] if v in occurring or v in declared)


def choice_scale(texts: Sequence[str]) -> tuple[dict[str, int], str] | None:
    """Codes of choice texts that all belong to one known answer scale (``Strongly disagree`` …), or None.

    Returns ``(text as written → code, scale name)``; the scale that holds every text and of
    which the texts cover most is taken.
    """
    folded = {t.strip().casefold(): t.strip() for t in texts}
    best = None
    for name, (start, anchors) in CHOICE_SCALES.items():
        codes = {w.casefold(): start + k for k, words in enumerate(anchors) for w in words}
        if folded and set(folded) <= set(codes):
            cover = len(folded) / len(anchors)
            if best is None or cover > best[0] or (cover == best[0] and len(anchors) > best[1]):
                best = (cover, len(anchors), {folded[f]: codes[f] for f in folded}, name)
    return None if best is None else (best[2], best[3])


def _match_group(g: _Group, info: _Columns, shipped: Sequence[Instrument]
                 ) -> tuple[list[_Match], str, dict[str, int] | None]:
    """The instruments that fit a numbered group (best first) or why none does, and the codes of
    its choice texts when the export holds texts instead of numbers."""
    cols = g.columns
    answered = sum(int(_answered(info.frame[c]).sum()) for c in cols)
    choices = None
    if sum(int(info.nums[c].notna().sum()) for c in cols) < 0.95 * max(1, answered):
        texts = sorted({t for c in cols for t in info.texts(c).index if t not in info.text_codes(c)})
        found = choice_scale(texts)
        if found is None:
            return [], (f"{g.span()}: {len(cols)} numbered columns of text answers ({shorten(', '.join(texts), 80)}); "
                        "re-export with numeric values, or declare the block with labels: {code: text} "
                        "(config/README.md)"), None
        choices = found[0]
        values = pd.DataFrame({c: info.frame[c].astype("string").str.strip().map(choices).astype(float)
                               .fillna(info.nums[c].where(~info.nums[c].isin(info.codes[c]))) for c in cols})
        matches = match_group(values, g.stem, shipped)
        return matches, ("" if matches else f"{g.span()}: choice texts of the {found[1]} scale, but no shipped "
                         f"instrument with {len(cols)} items fits them"), choices
    values = info.values(cols)
    matches = match_group(values, g.stem, shipped)
    if matches:   # sentinel codes outside every fitting instrument's range are taken out, then matched again
        lo, hi = min(m.inst.min for m in matches), max(m.inst.max for m in matches)
        found = _sentinels(pd.Series(values.to_numpy(dtype=float).ravel()), lo, hi)
        if found:
            for c in cols:
                info.codes[c] |= set(found)
            matches = match_group(info.values(cols), g.stem, shipped)
    if matches:
        return matches, "", None
    flat = values.to_numpy(dtype=float)
    seen = f"answers {_fmt(np.nanmin(flat))}–{_fmt(np.nanmax(flat))}" if np.isfinite(flat).any() else "no answers"
    return [], (f"{g.span()}: {len(cols)} numbered columns, {seen}; no shipped instrument has {len(cols)} items: "
                "define it inline (instruments.<key>.definition, config/README.md) or leave the columns out"), None


def _instrument_block(g: _Group, matches: Sequence[_Match], info: _Columns, choices: Mapping[str, int] | None = None
                      ) -> tuple[dict[str, Any], Comment]:
    """The instrument block of a matched group and the comment that says why."""
    best, cols = matches[0], g.columns
    values = info.values(cols)
    if choices:
        values = pd.DataFrame({c: info.frame[c].astype("string").str.strip().map(choices).astype(float)
                               .fillna(values[c]) for c in cols})
    block: dict[str, Any] = {"instrument": best.inst.id, "columns": g.pattern() or cols}
    above, todo = [], []
    if choices:
        block["labels"] = {code: text for text, code in sorted(choices.items(), key=lambda kv: kv[1])}
        todo.append("TODO: the export holds choice texts; labels: gives each its code in the order of the answer "
                    "scale: check them against the survey (or re-export with numeric values)")
    lo, hi = best.observed or (best.inst.min, best.inst.max)
    what = (f"{best.inst.name}: {len(cols)} items {g.span()}, answers {_fmt(lo)}–{_fmt(hi)} "
            f"(scored {_fmt(best.inst.min)}–{_fmt(best.inst.max)})")
    above.append(what)
    if g.parts:
        todo.append(f"TODO: the items are the columns of {' and '.join(g.parts)} in file order (a "
                    f"questionnaire split over pages?): check that this is the item order of {best.inst.id}")
    elif g.pattern() is None:
        todo.append("TODO: the item numbers are not 1..n in the column names; the columns are listed in "
                    "the order of their numbers: check that this is the item order")
    n_cells = int(np.isfinite(values.to_numpy(dtype=float)).sum())
    if best.rank == 2 and (lo, hi) != (best.inst.min, best.inst.max):
        has_reverse = any(s.reverse for s in best.inst.subscales.values())
        if has_reverse and n_cells >= SHORT_FORM_CELLS:
            block["response"] = {"min": _code(lo), "max": _code(hi)}
            unused = " and ".join(([f"above {_fmt(hi)}"] if hi < best.inst.max else [])
                                  + ([f"below {_fmt(lo)}"] if lo > best.inst.min else []))
            todo.append(f"TODO: none of the {n_cells} answers lies {unused}, so the form is taken to have had "
                        f"{int(hi - lo + 1)} points, {_fmt(lo)}–{_fmt(hi)} (reverse-keying = {_fmt(lo)} + "
                        f"{_fmt(hi)} − x); remove response: if the form had {_fmt(best.inst.min)}–"
                        f"{_fmt(best.inst.max)}")
        else:
            todo.append(f"TODO: no answer reached {_fmt(best.inst.min)}–{_fmt(best.inst.max)} at both ends; if "
                        f"the form had only {_fmt(lo)}–{_fmt(hi)}, add response: {{min: {_fmt(lo)}, max: "
                        f"{_fmt(hi)}}}")
    elif best.rank < 2:
        block["response"] = {"min": _code(lo), "max": _code(hi)}
        todo.append(f"TODO: the answers run {_fmt(lo)}–{_fmt(hi)}, the published form "
                    f"{_fmt(best.inst.min)}–{_fmt(best.inst.max)}: response: is set to the answers' range; "
                    "check the coding (or recode) before trusting scores")
    if best.outside and best.rank >= 2:
        r_lo, r_hi = (block["response"]["min"], block["response"]["max"]) if "response" in block else \
            (best.inst.min, best.inst.max)
        flat = values.to_numpy(dtype=float).ravel()
        bad = flat[np.isfinite(flat) & ((flat < r_lo) | (flat > r_hi))]
        vals = ", ".join(_fmt(v) for v in sorted(set(bad))[:4])
        above.append(f"{len(bad)} answer(s) outside {_fmt(r_lo)}–{_fmt(r_hi)} ({vals}): "
                     "set missing and recorded by validation (screening.out_of_range)")
        if 0 in bad and r_lo == 1:
            todo.append("TODO: if 0 means 'not answered' here, add missing_codes: [0] to this block")
    ties = [m for m in matches[1:] if (m.name_fits, m.rank) == (best.name_fits, best.rank)]
    if best.key_fit is not None:
        fit = f"keyed items correlate r = {best.key_fit:.2f} on average within subscales"
        if ties and ties[0].key_fit is not None:
            fit += f" (with the key of {ties[0].inst.id}: r = {ties[0].key_fit:.2f})"
        above.append(fit)
        if best.key_fit < 0.1:
            todo.append("TODO: the published key fits these answers poorly (items reverse-coded in the export, "
                        "another item order or version?): check before trusting scores")
    if ties:
        todo.append(f"TODO: {', '.join(m.inst.id for m in ties)} also fit{'s' if len(ties) == 1 else ''} "
                    f"({len(cols)} items, {_fmt(ties[0].inst.min)}–{_fmt(ties[0].inst.max)}); {best.inst.id} "
                    "was chosen because its key fits the answers best: confirm the version administered")
    block_codes = sorted({v for c in cols for v in info.present_codes(c)})
    words = sorted({t for c in cols for t in info.text_codes(c)})
    if block_codes or words:
        block["missing_codes"] = [_code(v) for v in block_codes] + words
    if not choices:
        stray = pd.concat([info.texts(c) for c in cols]).groupby(level=0).sum()
        stray = stray[~stray.index.isin(words)]
        if len(stray):
            todo.append(f"TODO: {int(stray.sum())} answer(s) are text ({shorten(', '.join(map(repr, stray.index[:4])), 80)})"
                        ": correct them in the export, or add them to missing_codes if they mean 'not answered'; "
                        "check stops at the first one")
    return block, Comment(above=tuple(above + todo))


def _variable(c: str, vname: str, info: _Columns, labels: Mapping[str, str]
              ) -> tuple[dict[str, Any] | None, Comment, str]:
    """A column as a variable (numeric, or categorical with codes), or None and why it is left out."""
    s = info.frame[c].astype("string").str.strip()
    answered = s.fillna("") != ""
    if not answered.any():
        return None, Comment(), "empty"
    num = info.nums[c]
    var_codes = info.codes[c]
    var: dict[str, Any] = {"column": c}
    inline = ""
    above: list[str] = []
    coded = s.isin(info.text_codes(c)).fillna(False)
    if (num.notna() | coded)[answered].mean() >= 0.98:
        var_codes |= set(_sentinels(num.where(~num.isin(var_codes))))     # updates info.codes[c]
        clean = num.where(~num.isin(var_codes)).dropna()
        labels_c = dict(info.frame.attrs.get("value_labels", {}).get(c) or {})
        listed = {float(k): v for k, v in labels_c.items() if _is_number(k) and float(k) not in var_codes}
        levels = sorted(set(clean.unique()))
        if listed and levels and set(levels) <= set(listed) and len(listed) <= MAX_LEVELS and len(levels) >= 2:
            var["type"] = "categorical"
            var["codes"] = {_code(k): str(v) for k, v in sorted(listed.items())}
            counts = clean.map(listed).value_counts()
            inline = "levels " + ", ".join(f"{lv} ({n})" for lv, n in counts.items())
        elif clean.empty:
            return None, Comment(), "only missing codes"
        elif ((CATEGORY_NAMES.search(c) or CATEGORY_NAMES.search(vname)) and len(levels) <= 12
              and all(float(v).is_integer() for v in levels) and not set(levels) <= {0.0, 1.0}):
            var["type"] = "categorical"
            inline = "codes " + ", ".join(f"{_fmt(v)} ({int(n)})" for v, n in clean.value_counts().sort_index()
                                          .items())
            above.append(f"TODO: {c!r} holds {len(levels)} integer codes and no value labels: add codes: "
                         "{code: label, ...} from the codebook (unlisted codes are set missing); if a code means "
                         "'not answered', put it in missing_codes")
        else:
            var["type"] = "numeric"
            binary = set(levels) <= {0.0, 1.0}
            inline = ("binary 0/1" if binary else f"observed {_fmt(clean.min())}–{_fmt(clean.max())}") + \
                f", {int(clean.notna().sum())} answered"
            counts = clean.value_counts()
            odd = [float(v) for v, n in counts.items() if float(v) in SENTINELS and n < MIN_CODE_COUNT]
            rest = clean[~clean.isin(odd)]
            odd = [v for v in odd if len(rest) and not rest.min() <= v <= rest.max()]
            if re.fullmatch(r"age(_?years)?", vname) and (rest.min() < 10 or rest.max() > 110):
                above.append(f"TODO: ages {_fmt(rest.min())}–{_fmt(rest.max())} include impossible values: set "
                             "min: and max: (values outside are set missing and recorded)")
            if odd:
                above.append(f"TODO: {', '.join(_fmt(v) for v in odd)} occurs once, apart from the other "
                             f"values ({_fmt(rest.min())}–{_fmt(rest.max())}): a typo or a missing code? Set "
                             "plausible min:/max: (values outside are set missing and recorded) or "
                             "missing_codes:")
    else:
        text = s[answered]
        if text.str.match(ISO_DATE).mean() > 0.9:
            return None, Comment(), "dates"
        # "NA" is kept: in a text column it may be a value (Namibia); validation notes it
        words = {t for t in text.unique() if t.upper() not in NA_LIKE
                 and (t.upper() in MISSING_WORDS or MISSING_LABEL.search(t))}
        levels = text[~text.isin(words)].value_counts()
        if len(levels) > MAX_LEVELS or (len(levels) > 0.5 * len(text) and len(levels) > 5):
            return None, Comment(), f"text, {text.nunique()} distinct answers; declare it as categorical if you need it"
        var["type"] = "categorical"
        if words:
            var["missing_codes"] = sorted(words)
        inline = "levels " + ", ".join(f"{lv} ({n})" for lv, n in levels.head(8).items()) + \
            (" …" if len(levels) > 8 else "")
        if words:
            inline += "; not answered: " + ", ".join(sorted(words))
    numeric_codes = info.present_codes(c)
    words = info.text_codes(c) if var["type"] == "numeric" else []
    if numeric_codes or words:
        var["missing_codes"] = [_code(v) for v in numeric_codes] + words + list(var.get("missing_codes", []))
    stray = info.texts(c)
    stray = stray[~stray.index.isin(words)]
    if var["type"] == "numeric" and len(stray):
        above.append(f"TODO: {int(stray.sum())} cell(s) are text ({shorten(', '.join(map(repr, stray.index[:4])), 80)}): "
                     "correct them, add them to missing_codes, or set type: categorical")
    q = _question(labels, c)
    if q:
        above.append(f"{c}{q}")
    return var, Comment(above=tuple(above), inline=inline), ""


def _is_number(x: Any) -> bool:
    try:
        float(x)
        return True
    except (TypeError, ValueError):
        return False


def _within_others(num: pd.Series, v: float, codes: set[float]) -> bool:
    rest = num.dropna()
    rest = rest[~rest.isin(codes | {v})]
    return bool(len(rest)) and float(rest.min()) <= v <= float(rest.max())


def _is_attachment(inst_id: str) -> bool:
    return inst_id.split("-")[0] == "ecr"


def _merge(a: Comment | None, b: Comment) -> Comment:
    a = a or Comment()
    return Comment(above=a.above + b.above, inline=a.inline or b.inline, after=a.after + b.after)


def _format_note(read: ReadResult) -> str:
    fmt = read.data["format"]
    return {"qualtrics": "a Qualtrics CSV export (question-text and ImportId rows under the header)",
            "sav": "SPSS: user-missing values and value labels are read from the file",
            "dta": "Stata: missing values and value labels are read from the file",
            "xlsx": "Excel workbook", "tsv": "tab-delimited text"}.get(fmt, "delimited text")


def _screening(blocks: Mapping[str, Mapping[str, Any]], attach: str | None, dur_col: str | None,
               checks: Mapping[str, float] | None = None) -> tuple[dict[str, Any], Comment]:
    screening: dict[str, Any] = {"duplicate_rows": "exclude", "duplicate_ids": "exclude",
                                 "out_of_range": "set_missing"}
    after = []
    target = attach or max(blocks, key=lambda k: load_instrument(blocks[k]["instrument"]).n_items)
    n_items = load_instrument(blocks[target]["instrument"]).n_items
    if n_items >= 6:
        screening["longstring"] = {"instrument": target, "max_run": n_items, "action": "flag"}
        screening["mahalanobis"] = {"instrument": target, "alpha": 0.001, "action": "flag"}
    if dur_col:
        after.append("TODO: speeding screen: min_seconds_per_item: 2.0 excludes respondents faster than 2 s per "
                     "item; uncomment and choose the threshold")
        after.append("min_seconds_per_item: 2.0")
    if checks:
        expected = ", ".join(f"{k}: {_fmt(v)}" for k, v in checks.items())
        after.append(f"TODO: attention checks: {', '.join(checks)} look like instructed items; with the instructed "
                     "answer (here the most common one) uncomment:")
        after.append(f"attention_checks: {{expected: {{{expected}}}, max_failures: 0, action: exclude}}")
    after.append("irv, evenodd, psychsyn" + ("" if checks else ", attention_checks")
                 + ": further screens, see config/README.md")
    above = ("careless-responding screens flag (careless.csv) but exclude nobody: TODO: review the flags, "
             "then set action: exclude where you decide to",)
    return screening, Comment(above=above, after=tuple(after))


def _incomplete(frame: pd.DataFrame, metadata: Sequence[str]) -> tuple[str, ...]:
    """TODO lines for Qualtrics responses that are previews or unfinished (no screen drops them)."""
    out = []
    by = {_squash(c): c for c in metadata}
    for key, bad, what in (("status", lambda x: x != 0, "are not ordinary responses (Status is not 0 = IP "
                                                          "Address: survey previews, tests or imports)"),
                           ("finished", lambda x: x == 0, "have Finished = 0 (did not finish)")):
        if key in by:
            num = _numbers(frame[by[key]]).dropna()
            n = int(bad(num).sum())
            if n:
                out.append(f"TODO: {n} response(s) {what}; no screen drops them: remove them from the export "
                           "(the raw file is never changed here) or keep them knowingly")
    return tuple(out)


def _model_suggestions(blocks: Mapping[str, Mapping[str, Any]], attach: str | None,
                       variables: Mapping[str, Mapping[str, Any]]) -> tuple[str, ...]:
    """Commented outcome models: each other instrument's scores on the attachment dimensions."""
    if not attach:
        return ()
    inst = load_instrument(blocks[attach]["instrument"])
    predictors = [f"{attach}_{s}" for s in inst.subscales]
    covariates = [n for n in ("age", "gender", "sex") if n in variables]
    lines = ["TODO: outcome models are the study's own hypotheses; uncomment and edit (config/README.md#outcome-models)",
             "outcome_models:"]
    others = [(k, s) for k, b in blocks.items() if k != attach for s in load_instrument(b["instrument"]).subscales]
    if not others:
        return ()
    for k, s in others:
        lines += [f"  - name: {k}_{s}", f"    outcome: {k}_{s}", f"    predictors: [{', '.join(predictors)}]"]
        if covariates:
            lines.append(f"    covariates: [{', '.join(covariates)}]")
    return tuple(lines)
