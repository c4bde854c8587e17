"""Validation and screening: types, missing codes, ranges, duplicates, careless responders.

:func:`validate_and_screen` applies the study's rules as ordered hurdles. Nothing is
dropped without a record: every excluded row appears in ``exclusions`` with its stage and
reason, every altered cell in ``issues``, and ``flow`` reconciles
``n_raw = n_analysed + Σ n_excluded`` (checked here, not only in tests).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

import math
import re
from textwrap import shorten

import numpy as np
import pandas as pd

from attachstats.data.scoring import keyed_items
from attachstats.data.sniff import DECIMAL_COMMA
from attachstats.errors import AttachstatsError, DataError
from attachstats.stats import careless
from attachstats.spec.instrument import instrument_of, item_columns

ISSUE_COLUMNS = ["row", "id", "column", "value", "rule", "action"]
EXCLUSION_COLUMNS = ["row", "id", "stage", "reason"]
FLOW_COLUMNS = ["stage", "n_before", "n_excluded", "n_after"]
#: one row per file- or screen-level finding: what the reader changed (screen ``read``: the
#: ingested frame's ``attrs["read_notes"]``, kept in the parquet file between the rules), an
#: item left out of a screen, respondents not screened
NOTE_COLUMNS = ["screen", "column", "finding", "action"]
# Text that generic CSV readers turn into missing values; attachstats keeps it (``NA`` = Namibia).
NA_LIKE = {"NA", "N/A", "NAN", "NULL", "NONE", "#N/A", "NIL"}
#: text that means "not answered" in a numeric column (upper case): the fix is a missing code
MISSING_WORDS = NA_LIKE | {"N.A.", "MISSING", "REFUSED", "DON'T KNOW", "DON\u2019T KNOW", "DONT KNOW", "DK",
                           "NO ANSWER", "NOT ANSWERED", "PREFER NOT TO SAY", "PREFER NOT TO ANSWER", "SKIPPED",
                           "NOT APPLICABLE", "NOT ASKED", ".", "-", "--", "?"}


@dataclass
class ScreenResult:
    """What validation and screening produced (all plain DataFrames)."""

    data: pd.DataFrame        # analysed rows, numeric items and variables
    issues: pd.DataFrame      # one row per altered cell (ISSUE_COLUMNS)
    exclusions: pd.DataFrame  # one row per excluded respondent (EXCLUSION_COLUMNS)
    flow: pd.DataFrame        # FLOW_COLUMNS, first row "raw", last row "analysed"
    careless: pd.DataFrame    # careless indices and decision per respondent
    notes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=NOTE_COLUMNS))  # screen-level findings


def raw_headers(study: Mapping[str, Any]) -> dict[str, str]:
    """Canonical column name → the raw export's own header (``ecr_3`` → ``ECR_3``).

    The inverse of the renaming at ingest (:func:`attachstats.data.readers.map_columns`):
    messages about columns name the header the user sees in the file.
    """
    out: dict[str, str] = {}
    if study.get("id_column"):
        out["id"] = study["id_column"]
    if study.get("duration_column"):
        out["duration"] = study["duration_column"]
    for name, var in study.get("variables", {}).items():
        out[name] = var["column"]
    out.update(item_headers(study))
    return out


def item_headers(study: Mapping[str, Any]) -> dict[str, str]:
    """Canonical item column → the raw export's header, for every instrument block (``ecr_3`` →
    ``ECR_3``); reads only ``study["instruments"]``."""
    out: dict[str, str] = {}
    for key, block in study["instruments"].items():
        inst = instrument_of(study, key)
        spec = block["columns"]
        raw = list(spec) if isinstance(spec, list) else [spec.replace("{n}", str(n)) for n in inst.item_numbers]
        out.update(zip(item_columns(key, inst), raw))
    return out


@contextmanager
def in_file_terms(study: Mapping[str, Any]) -> Iterator[None]:
    """A user error raised in the block names items by the file's headers, not canonical names.

    The statistics see canonical item columns (``ecr_5``); a message such as "item(s) without
    variance: ecr_5" leaves the block as "... : ECR_5", the header the user sees in the file.

    >>> study = {"instruments": {"ecr": {"instrument": "ecr-r", "columns": "ECR_{n}"}}}
    >>> try:
    ...     with in_file_terms(study):
    ...         raise DataError("item(s) without variance: ecr_5, ecr_15")
    ... except DataError as exc:
    ...     print(exc)
    item(s) without variance: ECR_5, ECR_15
    """
    try:
        yield
    except AttachstatsError as exc:
        headers = item_headers(study)
        if headers and exc.args:
            names = "|".join(re.escape(n) for n in sorted(headers, key=len, reverse=True))
            exc.args = (re.sub(rf"\b({names})\b", lambda m: headers[m.group(1)], str(exc.args[0])), *exc.args[1:])
        raise


def _codes_as_text(codes: list[Any]) -> set[str]:
    out: set[str] = set()
    for c in codes:
        out.add(str(c))
        if isinstance(c, (int, float)) and float(c).is_integer():
            out.update({str(int(c)), f"{float(c):.1f}"})
    return out


def _missing_codes(study: Mapping[str, Any]) -> dict[str, set[str]]:
    """Missing-value codes per canonical column: global codes plus the block's or variable's own."""
    base = list(study["data"].get("missing_codes", []))
    out: dict[str, set[str]] = {}
    for key, block in study["instruments"].items():
        codes = _codes_as_text(base + list(block.get("missing_codes", [])))
        for c in item_columns(key, instrument_of(study, key)):
            out[c] = codes
    for name, var in study.get("variables", {}).items():
        out[name] = _codes_as_text(base + list(var.get("missing_codes", [])))
    return out


def _issue_block(positions: np.ndarray, rows: np.ndarray, ids: np.ndarray, col: str, values: Any, rule: str,
                 action: str) -> pd.DataFrame:
    """Issue records (ISSUE_COLUMNS) for the cells of column ``col`` at ``positions``."""
    return pd.DataFrame({"row": rows[positions].astype(np.int64), "id": ids[positions], "column": col,
                         "value": np.asarray(values, dtype=object), "rule": rule, "action": action},
                        columns=ISSUE_COLUMNS)


def _fast_numeric(s: pd.Series, codes: set[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Arrow fast path for a numeric column: (values, positions of missing codes, their text).

    Returns None whenever the fast path cannot decide exactly as the general path does (a
    cell that Arrow cannot parse, text that parses to NaN, a non-text column); the general
    path then handles the column and reports the offending cell.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        a = pa.array(s, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if not (pa.types.is_string(a.type) or pa.types.is_large_string(a.type)):
        return None
    t = pc.utf8_trim_whitespace(a)
    is_code = pc.fill_null(pc.is_in(t, value_set=pa.array(sorted(codes), type=a.type)), False)
    blank = pc.or_(is_code, pc.fill_null(pc.equal(t, ""), True))
    try:
        num = pc.cast(pc.if_else(blank, pa.scalar(None, a.type), t), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if pc.any(pc.fill_null(pc.is_nan(num), False)).as_py():
        return None                                      # "nan" text is not a number here
    code_pos = np.flatnonzero(is_code.to_numpy(zero_copy_only=False))
    return (num.to_numpy(zero_copy_only=False).astype(float), code_pos,
            np.asarray(t.take(pa.array(code_pos, type=pa.int64())).to_pylist(), dtype=object))


def _convert(df: pd.DataFrame, study: Mapping[str, Any], file: str) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Missing codes → NaN, codebook codes → labels, text → numbers (items, numeric variables, duration).

    Text columns are never parsed for ``NA``-like strings: only the declared codes and
    empty cells are missing. Numeric columns without text labels are converted by Arrow
    in one pass; any cell it cannot parse sends the column to the general path, which names
    the cell.
    """
    per_column = _missing_codes(study)
    for col, codes in df.attrs.get("file_missing_codes", {}).items():   # SPSS/Stata user-missing values
        per_column[col] = per_column.get(col, set()) | _codes_as_text(list(codes))
    default_codes = _codes_as_text(study["data"].get("missing_codes", []))
    variables = study.get("variables", {})
    headers = raw_headers(study)
    issues: list[pd.DataFrame] = []
    out = df.copy()
    numeric_cols = [c for c in out.columns if c not in ("_row", "id")
                    and variables.get(c, {}).get("type", "numeric") == "numeric"]
    text_cols = [c for c in out.columns if c not in numeric_cols and c != "_row"]
    rows, ids = out["_row"].to_numpy(), out["id"].to_numpy(dtype=object)

    def record(mask: pd.Series, col: str, values: pd.Series, rule: str, action: str) -> None:
        pos = np.flatnonzero(mask.to_numpy(dtype=bool))
        if len(pos):
            issues.append(_issue_block(pos, rows, ids, col, values.iloc[pos].to_numpy(dtype=object), rule, action))

    file_labels = df.attrs.get("value_labels", {})
    for col in text_cols + numeric_cols:
        codes = per_column.get(col, default_codes)
        if col in numeric_cols and not file_labels.get(col) and not _study_labels(study, col):
            fast = _fast_numeric(out[col], codes)
            if fast is not None:
                values, code_pos, code_text = fast
                if len(code_pos):
                    issues.append(_issue_block(code_pos, rows, ids, col, code_text, "missing_code", "set_missing"))
                out[col] = values
                continue
        s = out[col].astype("string").str.strip()
        is_code = s.isin(codes).fillna(False)
        record(is_code, col, s, "missing_code", "set_missing")
        s = s.mask(is_code | (s == ""))
        if col in numeric_cols:
            s = _labels_to_codes(s, col, study, file_labels.get(col))
            num = pd.to_numeric(s, errors="coerce")
            bad = num.isna() & s.notna()
            if bad.any():
                pos = np.flatnonzero(bad.to_numpy())
                i = int(pos[0])
                raise DataError(
                    f"expected a number but found text ({len(pos)} such cell(s) in this column); "
                    + text_fix(s.iat[i], col, study),
                    file=file, row=int(rows[i]), column=headers.get(col, col), value=s.iat[i])
            out[col] = num.astype(float)
        else:
            if col != "id":
                na_like = s.str.upper().isin(NA_LIKE).fillna(False)
                record(na_like, col, s, "na_like_text (kept as a value, not missing)", "keep")
            codebook = variables.get(col, {}).get("codes")
            if codebook:
                mapped, unlisted = apply_codebook(s, codebook)
                listed = ", ".join(str(k) for k in codebook)
                policy = variables[col].get("unlisted_codes", "set_missing")
                where = dict(file=file, column=headers.get(col, col))
                if unlisted.any() and policy == "error":
                    i = int(np.flatnonzero(unlisted.to_numpy())[0])
                    raise DataError(f"code not in the codebook variables.{col}.codes (allowed: {listed}); add it "
                                    "to the codes, or to missing_codes if it means 'not answered'",
                                    row=int(rows[i]), value=s.iat[i], **where)
                if policy != "keep" and unlisted.any() and unlisted.sum() == s.notna().sum():
                    seen = ", ".join(repr(v) for v in list(dict.fromkeys(s.dropna()))[:5])
                    raise DataError(f"none of the {int(unlisted.sum())} answered cells matches a code of "
                                    f"variables.{col}.codes ({listed}); the column holds {seen}: write the codes as "
                                    "the file has them (or set unlisted_codes: keep)", **where)
                record(unlisted, col, s, f"unlisted_code (codebook: {listed})", policy)
                s = mapped.where(~unlisted, s if policy == "keep" else pd.NA)
            out[col] = s
    return out, issues


def apply_codebook(s: pd.Series, codebook: Mapping[Any, Any]) -> tuple[pd.Series, pd.Series]:
    """A codebook's labels for the cells of ``s``, and which answered cells it does not list.

    Codes are matched as numbers when every answered cell of the column is a number
    (``2``, ``2.0`` and ``" 2"`` all match code ``2``), as text otherwise.

    Parameters
    ----------
    s : Series
        The column's cells as (stripped) text, missing cells ``<NA>``.
    codebook : mapping
        Code → label (``variables.<name>.codes``; YAML may give the codes as numbers or text).

    Returns
    -------
    labels : Series
        The label of each listed cell (string dtype), ``<NA>`` elsewhere.
    unlisted : Series
        True for answered cells the codebook does not list.
    """
    answered = s.notna()
    num = pd.to_numeric(s, errors="coerce")
    numeric_codes = {float(n): str(v) for k, v in codebook.items()
                     if not math.isnan(n := pd.to_numeric(str(k).strip(), errors="coerce"))}
    if answered.any() and (num.notna() == answered).all() and numeric_codes:
        labels = num.map(numeric_codes).astype("string")
    else:
        labels = s.map({str(k).strip(): str(v) for k, v in codebook.items()}, na_action="ignore").astype("string")
    return labels, answered & labels.isna()


def text_fix(value: str, col: str, study: Mapping[str, Any]) -> str:
    """The fix for a text cell in a numeric column, for the kind of text it is.

    A decimal comma (``3,5``) → ``data.decimal: ","``; a word meaning "not answered"
    (``NA``, ``refused``) → ``missing_codes``; a labelled answer in an item column
    (``Strongly agree``) → the instrument block's ``labels`` (or, when the block declares
    labels, that the text is not one of them); words in a numeric variable →
    ``type: categorical``; anything else → correct the cell.
    """
    text = str(value).strip()
    block = next((key for key in study["instruments"] if col in item_columns(key, instrument_of(study, key))), None)
    if DECIMAL_COMMA.match(text):
        return ("the number has a decimal comma: set data.decimal: \",\" in the study file "
                "(then 3,5 is read as 3.5)")
    if text.upper() in MISSING_WORDS:
        where = f"instruments.{block}.missing_codes" if block else f"variables.{col}.missing_codes"
        return (f"if {text!r} means 'not answered', add it to data.missing_codes (or to {where} for this "
                "column only)")
    if re.search(r"[^\W\d_]{2,}", text) and block is not None:
        inst = instrument_of(study, block)
        labels = study["instruments"][block].get("labels")
        if labels:
            listed = ", ".join(f"{k}: {v}" for k, v in labels.items())
            return (f"the text is not one of the labels of instruments.{block}.labels ({shorten(listed, 160)}): "
                    "add it there with its code (case and surrounding spaces do not matter)")
        return (f"the answers are labelled: declare them in the instrument block, instruments.{block}.labels: "
                f"{{{inst.min}: <label of {inst.min}>, ..., {inst.max}: <label of {inst.max}>}} "
                "(every label of the file, as written in it; text answers then become their codes)")
    if re.search(r"[^\W\d_]{2,}", text) and col in study.get("variables", {}):
        return (f"if the column holds categories, declare variables.{col}.type: categorical (with codes: for "
                "a codebook); if the text means 'not answered', add it to missing_codes")
    return "correct the cell in the file; if it means 'not answered', add it to data.missing_codes"


def _study_labels(study: Mapping[str, Any], col: str) -> bool:
    """Whether an instrument block of the study declares text labels for column ``col``."""
    return any(col.startswith(f"{key}_") and block.get("labels") for key, block in study["instruments"].items())


def _labels_to_codes(s: pd.Series, col: str, study: Mapping[str, Any], file_labels: dict | None) -> pd.Series:
    """Text answers ("Strongly agree") → their numeric codes, from the study's or the file's labels."""
    labels: dict[str, str] = {}
    if file_labels:
        labels.update({str(text).strip().casefold(): code for code, text in file_labels.items()})
    for key, block in study["instruments"].items():
        if col.startswith(f"{key}_") and block.get("labels"):
            labels.update({str(text).strip().casefold(): str(code) for code, text in block["labels"].items()})
    if not labels:
        return s
    folded = s.str.casefold()
    return s.where(~folded.isin(labels).fillna(False), folded.map(labels, na_action="ignore"))


def _ranges(study: Mapping[str, Any]) -> dict[str, tuple[float | None, float | None, bool]]:
    """Allowed (min, max, must_be_integer) per numeric column."""
    r: dict[str, tuple[float | None, float | None, bool]] = {}
    for key in study["instruments"]:
        inst = instrument_of(study, key)
        for c in item_columns(key, inst):
            r[c] = (inst.min, inst.max, not inst.continuous)   # continuous items: the range only
    for name, var in study.get("variables", {}).items():
        if var.get("type", "numeric") == "numeric" and ("min" in var or "max" in var):
            r[name] = (var.get("min"), var.get("max"), False)
    if study.get("duration_column"):
        r["duration"] = (0, None, False)     # a completion time cannot be negative
    return r


def _expected(lo: float | None, hi: float | None, integer: bool) -> str:
    kind = "an integer" if integer else "a value"
    if hi is None:
        return f"{kind} >= {lo}"
    if lo is None:
        return f"{kind} <= {hi}"
    return f"{kind} in [{lo}, {hi}]"


def validate_and_screen(ingested: pd.DataFrame, study: Mapping[str, Any]) -> ScreenResult:
    """Apply the study's validation rules and careless-responding hurdles in order.

    Stages (each recorded in ``flow`` even when it excludes nobody): ``empty_rows``
    (no item answered), ``missing_ids``, ``duplicate_rows`` (exact copies of an earlier row),
    ``duplicate_ids``, ``out_of_range`` (only when its policy is ``exclude``),
    ``speeding``, ``longstring``, ``mahalanobis``, ``irv``, ``evenodd``, ``psychsyn``,
    ``attention_checks`` (each only when configured; ``action: flag`` records without
    excluding).
    """
    file = study["data"]["path"]
    scr = study.get("screening", {})
    df, issues = _convert(ingested, study, file)
    all_items = [c for key in study["instruments"] for c in item_columns(key, instrument_of(study, key))]

    # out-of-range values: policy error | set_missing | exclude
    policy = scr.get("out_of_range", "set_missing")
    oor_rows: dict[int, str] = {}
    headers = raw_headers(study)
    for col, (lo, hi, integer) in _ranges(study).items():
        if col not in df.columns:
            continue
        v = df[col]
        bad = v.notna() & (((v < lo) if lo is not None else False) | ((v > hi) if hi is not None else False)
                           | ((v != np.round(v)) if integer else False))
        pos = np.flatnonzero(bad.to_numpy())
        if len(pos):
            expected = _expected(lo, hi, integer) + ("; a completion time cannot be negative"
                                                     if col == "duration" else "")
            text = cell_texts(ingested[col], pos)      # the file's own text: 1e308, not its 309 digits
            if policy == "error":
                raise DataError(f"value outside the allowed range; expected {expected}",
                                file=file, row=int(df["_row"].iat[pos[0]]), column=headers.get(col, col),
                                value=text[0])
            issues.append(_issue_block(pos, df["_row"].to_numpy(), df["id"].to_numpy(dtype=object), col, text,
                                       f"out_of_range (expected {expected})", policy))
            for i, t in zip(pos.tolist(), text):
                oor_rows.setdefault(i, f"{col}={t} outside [{lo}, {hi}]" if None not in (lo, hi)
                                    else f"{col}={t} not {expected}")
        if policy == "set_missing":
            df.loc[bad, col] = np.nan

    stages: list[tuple[str, pd.Series]] = []  # (stage, reason per excluded position; others NaN)
    alive = pd.Series(True, index=df.index)

    flags: list[tuple[str, pd.Series]] = []   # (stage, reason) of flag-only screens

    def hurdle(name: str, reasons: pd.Series, action: str = "exclude") -> None:
        reasons = reasons.where(alive)
        if action == "flag":
            flags.append((name, reasons))
            return
        stages.append((name, reasons))
        alive[reasons.notna()] = False

    hurdle("empty_rows", pd.Series(np.where(df[all_items].isna().all(axis=1), "no item answered", None),
                                   index=df.index, dtype=object))
    hurdle("missing_ids", pd.Series(np.where(df["id"].isna(), "no respondent id", None),
                                    index=df.index, dtype=object))
    if scr.get("duplicate_rows", "exclude") == "exclude":
        # without an id column the ids are row numbers, which must not make copies look different
        content = [c for c in df.columns if c != "_row" and (c != "id" or study.get("id_column"))]
        hurdle("duplicate_rows", _duplicate_reason(df, content, alive, "exact copy of raw row"))
    if scr.get("duplicate_ids", "exclude") == "error":
        dup = df["id"][alive].duplicated()
        if dup.any():
            i = dup[dup].index[0]
            raise DataError("respondent id is not unique", file=file, row=int(df.at[i, "_row"]),
                            column=headers.get("id", "id"), value=df.at[i, "id"])
    hurdle("duplicate_ids", _duplicate_reason(df, ["id"], alive, "id already used by raw row"))
    if policy == "exclude":
        r = pd.Series(None, index=df.index, dtype=object)
        for i, why in oor_rows.items():
            r.iat[i] = why
        hurdle("out_of_range", r)

    indices = pd.DataFrame({"row": df["_row"], "id": df["id"]})
    notes: list[dict[str, Any]] = [{"screen": "read", "column": "", "finding": str(n), "action": "recorded"}
                                   for n in ingested.attrs.get("read_notes", [])]
    if scr.get("min_seconds_per_item") is not None and "duration" in df.columns:
        spi = careless.seconds_per_item(df["duration"], len(all_items))
        indices["seconds_per_item"] = spi
        cut = scr["min_seconds_per_item"]
        spi_v = spi.to_numpy(dtype=float)
        hurdle("speeding", _reasons(df.index, spi_v < cut, lambda i: f"{spi_v[i]:.2f} s per item < {cut} s"))
    if scr.get("longstring"):
        cfg = scr["longstring"]
        cols = item_columns(cfg["instrument"], instrument_of(study, cfg["instrument"]))
        ls = careless.longstring(df[cols])
        indices = indices.join(ls)
        run = ls["longstring_max"].to_numpy(dtype=float)
        hurdle("longstring", _reasons(df.index, run >= cfg["max_run"],
                                      lambda i: f"{run[i]:.0f} identical answers in a row (limit {cfg['max_run']})"),
               cfg.get("action", "exclude"))
    if scr.get("mahalanobis"):
        cfg = scr["mahalanobis"]
        md, found = _mahalanobis_screen(df, alive, study, cfg, file)
        notes.extend(found)
        indices = indices.join(md)
        a = cfg.get("alpha", 0.001)
        d2, pv = md["mahalanobis_d2"].to_numpy(dtype=float), md["mahalanobis_p"].to_numpy(dtype=float)
        k = md["mahalanobis_items"].to_numpy(dtype=float)
        hurdle("mahalanobis", _reasons(df.index, pv < a,
                                       lambda i: f"D2 = {d2[i]:.1f} on {k[i]:.0f} items, p = {pv[i]:.2g} < {a}"),
               cfg.get("action", "exclude"))

    keyed_cache: dict[str, pd.DataFrame] = {}

    def keyed(key: str) -> pd.DataFrame:
        if key not in keyed_cache:
            keyed_cache[key] = keyed_items(df, key, instrument_of(study, key))
        return keyed_cache[key]

    def bounded_hurdle(name: str, values: pd.Series, cfg: Mapping[str, Any], what: str) -> None:
        lo, hi = cfg.get("min"), cfg.get("max")
        v = values.to_numpy(dtype=float)
        low = v < lo if lo is not None else np.zeros(len(v), dtype=bool)
        high = v > hi if hi is not None else np.zeros(len(v), dtype=bool)
        hurdle(name, _reasons(df.index, low | high,
                              lambda i: f"{what} {v[i]:.2f} < {lo}" if low[i] else f"{what} {v[i]:.2f} > {hi}"),
               cfg.get("action", "flag"))

    if scr.get("irv"):
        cfg = scr["irv"]
        indices["irv"] = careless.irv(df[item_columns(cfg["instrument"], instrument_of(study, cfg["instrument"]))])
        bounded_hurdle("irv", indices["irv"], cfg, "IRV")
    if scr.get("evenodd"):
        cfg = scr["evenodd"]
        subs = [(k, instrument_of(study, k), sub) for k in study["instruments"]
                for sub in instrument_of(study, k).subscales.values()]
        blocks = [keyed(k)[[f"{k}_{n}" for n in sub.items]] for k, _, sub in subs]
        # every subscale on 0-1 (its instrument's response range), so 1-7 and 0-3 formats compare
        indices["evenodd"] = careless.evenodd(pd.concat(blocks, axis=1), [b.shape[1] for b in blocks],
                                              spearman_brown=cfg.get("spearman_brown", True),
                                              ranges=[(inst.min, inst.max) for _, inst, _ in subs])
        bounded_hurdle("evenodd", indices["evenodd"], cfg, "even-odd r")
    if scr.get("psychsyn"):
        cfg = scr["psychsyn"]
        indices["psychsyn"] = careless.psychsyn(keyed(cfg["instrument"]), cfg.get("critval", 0.60))
        bounded_hurdle("psychsyn", indices["psychsyn"], cfg, "synonym r")
    if scr.get("attention_checks"):
        cfg = scr["attention_checks"]
        checks = cfg["expected"]
        indices["attention_failures"] = careless.attention_failures(df[list(checks)], list(checks.values()))
        limit = cfg.get("max_failures", 0)
        fails = indices["attention_failures"].to_numpy()
        hurdle("attention_checks", _reasons(df.index, fails > limit,
                                            lambda i: f"{fails[i]} of {len(checks)} instructed items failed "
                                                      f"(allowed {limit})"), cfg.get("action", "exclude"))

    if len(df) and stages and stages[0][0] == "empty_rows" and stages[0][1].notna().all():
        raise DataError("no respondent has any item answered (every item cell is empty or a missing code); "
                        "check the column mapping and data.missing_codes", file=file)
    exclusions, flow = _account(df, stages)
    if len(df) and int(flow["n_after"].iloc[-1]) == 0:
        raise DataError("no respondent is left after validation and screening; see the stages: "
                        + ", ".join(f"{r.stage} {r.n_excluded}" for r in flow.itertuples() if r.n_excluded),
                        file=file)
    decision = pd.Series("included", index=df.index, dtype=object)
    for stage, reasons in flags:
        hit = reasons.notna()
        decision[hit] = decision[hit].where(decision[hit] == "included", decision[hit] + "; ").replace(
            "included", "") + "flagged: " + stage + " (" + reasons[hit].astype(str) + ")"
    for stage, reasons in stages:
        decision[reasons.notna()] = "excluded: " + stage + " (" + reasons[reasons.notna()].astype(str) + ")"
    indices["decision"] = decision
    issues_df = (pd.concat(issues, ignore_index=True) if issues else pd.DataFrame(columns=ISSUE_COLUMNS))
    issues_df = issues_df.sort_values(["row", "column"], kind="stable")
    return ScreenResult(data=df[alive].reset_index(drop=True), issues=issues_df.reset_index(drop=True),
                        exclusions=exclusions, flow=flow, careless=indices.reset_index(drop=True),
                        notes=pd.DataFrame(notes, columns=NOTE_COLUMNS))


def _mahalanobis_screen(df: pd.DataFrame, alive: pd.Series, study: Mapping[str, Any], cfg: Mapping[str, Any],
                        file: str) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """D², p and items screened per respondent (NaN for those not screened), and the notes.

    Items that make the distance undefined (constant, or an exact linear function of
    earlier items: :func:`careless.redundant_items`) are left out of the screen and noted,
    by the raw export's header; the distance of every other respondent uses their answered
    items among the rest, from the EM estimate over all respondents still in (see
    :func:`careless.mahalanobis`). Respondents with fewer answered items than the
    instrument's ``min_answered`` share of the screened items are not screened (noted).
    """
    key = cfg["instrument"]
    inst = instrument_of(study, key)
    headers = raw_headers(study)
    cols = item_columns(key, inst)
    live = df.loc[alive, cols]
    notes: list[dict[str, Any]] = []
    left_out = careless.redundant_items(live)
    item_names = set(cols)
    for col, why in left_out.items():
        why = re.sub(r"\w+", lambda m: headers.get(m.group(0), m.group(0)) if m.group(0) in item_names
                     else m.group(0), why)
        notes.append({"screen": "mahalanobis", "column": headers.get(col, col), "finding": why,
                      "action": "left out of the screen (it adds no information about the distance)"})
    used = [c for c in cols if c not in left_out]
    if len(used) < 2:
        raise DataError(f"screening.mahalanobis: {len(used)} of the {len(cols)} items of instrument block "
                        f"{key!r} can be screened ({'; '.join(f'{headers.get(c, c)}: {w}' for c, w in left_out.items())})"
                        "; remove screening.mahalanobis from the study file", file=file)
    need = math.ceil(inst.min_answered * len(used) - 1e-9)
    md = pd.DataFrame(np.nan, index=df.index, columns=["mahalanobis_d2", "mahalanobis_p", "mahalanobis_items"])
    try:
        res = careless.mahalanobis(live[used], min_items=need)
    except careless.SingularItems as exc:
        names = ", ".join(headers.get(c, c) for c in exc.columns)
        raise DataError(f"screening.mahalanobis: the covariance of the items {names} cannot be inverted "
                        "(some item is an exact linear combination of others among the respondents who answered "
                        "them); list the items of the screen without one of them, or remove screening.mahalanobis",
                        file=file) from None
    md.loc[alive] = res.to_numpy()
    screened = res["mahalanobis_d2"].notna()
    short = int((~screened & (res["mahalanobis_items"] > 0)).sum())
    if len(live) and not screened.any() and len(live) <= len(used):
        notes.append({"screen": "mahalanobis", "column": "", "action": "nobody screened",
                      "finding": f"{len(live)} respondents for {len(used)} items: the covariance cannot be estimated"})
    elif short:
        notes.append({"screen": "mahalanobis", "column": "", "action": "not screened",
                      "finding": f"{short} respondents answered fewer than {need} of the {len(used)} screened items "
                                 f"(the instrument's min_answered = {inst.min_answered:g})"})
    return md, notes


def _reasons(index: pd.Index, mask: np.ndarray, text: Any) -> pd.Series:
    """Object Series over ``index``: ``text(i)`` at the positions where ``mask`` holds, else None
    (the text is built only for the rows it concerns)."""
    out = pd.Series(None, index=index, dtype=object)
    pos = np.flatnonzero(np.asarray(mask, dtype=bool))
    if len(pos):
        out.iloc[pos] = [text(i) for i in pos.tolist()]
    return out


def cell_texts(column: pd.Series, positions: np.ndarray) -> list[str]:
    """The cells of an ingested column at ``positions`` as the file has them (stripped text).

    ``issues.csv`` and messages quote these, never a number re-formatted from the parsed
    value (which would print ``1e308`` as 309 digits and ``2.50`` as ``2.5``).
    """
    return [str(x).strip() for x in column.to_numpy(dtype=object)[positions]]


def _duplicate_reason(df: pd.DataFrame, cols: list[str], alive: pd.Series, text: str) -> pd.Series:
    """Rows (among ``alive``) equal on ``cols`` to an earlier row, with that row's number.

    Rows are first hashed (one vectorised pass); only rows whose hash occurs twice are
    compared cell by cell, so hash collisions cannot make different rows duplicates.
    """
    reasons = pd.Series(None, index=df.index, dtype=object)
    live = df.loc[alive, cols]
    hashed = pd.util.hash_pandas_object(live, index=False)
    candidates = hashed.duplicated(keep=False)
    if not candidates.any():
        return reasons
    sub = live[candidates.to_numpy()].astype("string").fillna("\x00<missing>")  # missing cells compare equal
    first_row = df.loc[sub.index, "_row"].groupby([sub[c] for c in cols], sort=False).transform("first")
    dup = sub.duplicated(keep="first")
    reasons[dup[dup].index] = [f"{text} {int(r)}" for r in first_row[dup]]
    return reasons


def _account(df: pd.DataFrame, stages: list[tuple[str, pd.Series]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, flow = [], [{"stage": "raw", "n_before": len(df), "n_excluded": 0, "n_after": len(df)}]
    n = len(df)
    for stage, reasons in stages:
        hit = reasons.notna().to_numpy()
        pos = np.flatnonzero(hit)
        if len(pos):
            rows.append(pd.DataFrame({"row": df["_row"].to_numpy()[pos].astype(np.int64),
                                      "id": df["id"].to_numpy(dtype=object)[pos], "stage": stage,
                                      "reason": reasons.to_numpy(dtype=object)[pos]}, columns=EXCLUSION_COLUMNS))
        k = len(pos)
        flow.append({"stage": stage, "n_before": n, "n_excluded": k, "n_after": n - k})
        n -= k
    flow.append({"stage": "analysed", "n_before": n, "n_excluded": 0, "n_after": n})
    flow_df = pd.DataFrame(flow, columns=FLOW_COLUMNS)
    excl = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=EXCLUSION_COLUMNS)
    check_flow(flow_df, n_raw=len(df), n_exclusion_rows=len(excl))
    return excl, flow_df


def check_flow(flow: pd.DataFrame, n_raw: int, n_exclusion_rows: int) -> None:
    """Assert that the row counts reconcile: ``n_raw = n_analysed + Σ n_excluded``.

    Raises
    ------
    AssertionError
        With the numbers, if they do not (a bug, never the user's fault).
    """
    n_analysed = int(flow["n_after"].iloc[-1])
    total = int(flow["n_excluded"].sum())
    if n_raw != n_analysed + total or total != n_exclusion_rows or int(flow["n_before"].iloc[0]) != n_raw:
        raise AssertionError(f"row accounting does not reconcile: raw {n_raw}, analysed {n_analysed}, "
                             f"excluded {total}, exclusion records {n_exclusion_rows}")
    steps = flow.iloc[1:]
    if not (steps["n_before"].to_numpy()[1:] == steps["n_after"].to_numpy()[:-1]).all():
        raise AssertionError("row accounting: a stage does not start where the previous one ended")
