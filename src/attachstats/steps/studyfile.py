"""The commands ``attachstats init`` and ``attachstats check``: a study file from a data file,
and a study file checked against its data, without the workflow.

These are the two steps without a rule: they join a study file, its data and the library as
the workflow's first rules do (``ingest``, ``validate``), with the same functions, but
write no results. ``init`` drafts the file (:mod:`attachstats.data.detect`), writes it as
commented YAML (:mod:`attachstats.output.study_yaml`) and refuses to write one the study
schema or the study checks reject; ``check`` runs the schema, the study checks, the reader,
validation and screening, and scoring, and returns what they found.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from attachstats.data.detect import draft_study, read_export
from attachstats.data.readers import declared_columns
from attachstats.data.waves import read_wave
from attachstats.data.scoring import score_study
from attachstats.data.validate import validate_and_screen
from attachstats.errors import ConfigError, DataError
from attachstats.output.study_yaml import render_draft
from attachstats.spec.draft import StudyDraft
from attachstats.spec.study import check_schema, fill_defaults, read_yaml, resolve_study
from attachstats.spec.waves import wave_study, waves_of

__all__ = ["CheckResult", "study_schema", "init_study", "check_study"]


def study_schema() -> Path:
    """The study file's JSON Schema: ``$ATTACHSTATS_SCHEMA``, the package's copy, or the checkout's.

    Raises
    ------
    ConfigError
        No copy of ``study.schema.yaml`` is found.
    """
    candidates = [Path(os.environ["ATTACHSTATS_SCHEMA"])] if os.environ.get("ATTACHSTATS_SCHEMA") else []
    packaged = resources.files("attachstats") / "workflow" / "schemas" / "study.schema.yaml"
    candidates += [Path(str(packaged)), Path(__file__).resolve().parents[3] / "workflow" / "schemas" /
                   "study.schema.yaml"]
    for c in candidates:
        if c.is_file():
            return c
    raise ConfigError("cannot find the study schema (workflow/schemas/study.schema.yaml); set ATTACHSTATS_SCHEMA "
                      "to its path")


def _study_name(stem: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", stem).strip("_.-")
    return name or "study"


def init_study(data_file: str | Path, out: str | Path = "study.yaml", *, force: bool = False,
               sheet: str | int = 0, header_row: int | None = None, name: str | None = None) -> StudyDraft:
    """Draft a study file for ``data_file`` and write it to ``out`` (command ``attachstats init``).

    ``data.path`` is written relative to the folder of ``out``; the study name is ``name`` or
    the file name of ``out``. The draft is checked against the study schema and the study
    checks before it is written, so a written file always parses and validates.

    Raises
    ------
    ConfigError
        ``out`` exists (without ``force``).
    DataError
        The data file cannot be read, or no column group matches a shipped instrument.

    Examples
    --------
    >>> draft = init_study("data/example/survey.csv", "example.yaml")   # doctest: +SKIP
    >>> len(draft.todos)                                                 # doctest: +SKIP
    4
    """
    data, target = Path(data_file), Path(out)
    if target.resolve() == data.resolve():
        raise ConfigError(f"the study file would replace the data file {data}; the raw data is never changed: "
                          "choose another file with -o")
    if target.exists() and not force:
        raise ConfigError(f"{target} already exists; choose another file with -o, or pass --force to replace it")
    if not data.is_file():
        what = "is a folder, not a data file" if data.is_dir() else "does not exist"
        raise DataError(f"the data file {what}; give the path of the export (CSV, TSV, Qualtrics CSV, .xlsx, "
                        ".sav or .dta)", file=str(data))
    try:
        read = read_export(data, sheet=sheet, header_row=header_row)
    except DataError as exc:       # the reader's fix names the study key; init takes it as an option
        options = [opt for key, opt in (("data.header_row:", "--header-row N"), ("data.sheet:", "--sheet NAME"))
                   if key in str(exc)]
        if not options:
            raise
        raise DataError(f"{exc} (for attachstats init: {' or '.join(options)})") from None
    rel = Path(os.path.relpath(data.resolve(), target.resolve().parent)).as_posix()
    if rel.startswith("../../../"):          # nothing in common but the root: the absolute path reads better
        rel = data.resolve().as_posix()
    draft = draft_study(read, rel, name=name or _study_name(target.stem), source=str(data))
    text = render_draft(draft)
    written = yaml.safe_load(text)
    if written != draft.study:      # the renderer's contract; a failure here is a bug, not the user's
        raise RuntimeError("the rendered study file does not parse back to the draft")
    check_schema(written, study_schema(), str(target))
    resolve_study(fill_defaults(written, study_schema()), target)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return draft


@dataclass(frozen=True)
class CheckResult:
    """What ``attachstats check`` found: the study, its data and the validation's counts.

    Attributes
    ----------
    name, data_path : the study's name and data file.
    n_rows, n_analysed : data rows in the file, rows left after the screens.
    n_columns : declared columns (all found in the file).
    instruments : block key → instrument id.
    n_issues : cells validation changed (``validation/issues.csv``).
    n_excluded : respondents excluded (``validation/exclusions.csv``).
    n_flagged : respondents flagged but kept by a screen (``validation/careless.csv``).
    notes : what the reader decided against the study file, and screen-level findings.
    issue_rules : issue count per validation rule.
    waves : a longitudinal study: one line per later wave (its file, rows, excluded, analysed).
    """

    name: str
    data_path: str
    n_rows: int
    n_analysed: int
    n_columns: int
    instruments: dict[str, str]
    n_issues: int
    n_excluded: int
    n_flagged: int
    notes: list[str] = field(default_factory=list)
    issue_rules: dict[str, int] = field(default_factory=dict)
    waves: list[str] = field(default_factory=list)

    @property
    def n_findings(self) -> int:
        """Changed cells, exclusions, flags and notes together."""
        return self.n_issues + self.n_excluded + self.n_flagged + len(self.notes)


def check_study(study_file: str | Path) -> CheckResult:
    """Check a study file and its data as the workflow's first steps would, without analysing.

    The schema (message with the key path), the study checks (instruments, variables,
    models), the reader (the file, its columns), validation and screening (types, codes,
    ranges, duplicates, careless responding) and scoring run; nothing is written.
    R equivalent: none.

    Raises
    ------
    ConfigError, DataError
        The first problem, with the file, key, row, column and value at fault.

    Examples
    --------
    >>> res = check_study("config/studies/example.yaml")   # doctest: +SKIP
    >>> res.n_rows, res.n_columns                           # doctest: +SKIP
    (1500, 76)
    """
    path = Path(study_file)
    raw = read_yaml(path)
    check_schema(raw, study_schema(), str(path))
    study = resolve_study(fill_defaults(raw, study_schema()), path)
    ingested = read_wave(study)          # a long file of waves: its baseline rows
    res = validate_and_screen(ingested, study)
    score_study(res.data, study)
    flagged = 0
    if "decision" in res.careless.columns:
        flagged = int(res.careless["decision"].astype(str).str.startswith("flagged:").sum())
    notes = [str(n) for n in ingested.attrs.get("read_notes", [])]
    if not res.notes.empty:
        notes += [f"{r.screen}: {r.finding}" for r in res.notes.itertuples()]
    waves: list[str] = []
    for w in waves_of(study)[1:]:        # a longitudinal study: every later wave is read and screened too
        ws = wave_study(study, w.name)
        wave_rows = read_wave(ws)
        wres = validate_and_screen(wave_rows, ws)
        score_study(wres.data, ws)
        waves.append(f"wave {w.name} ({w.label}, {ws['data']['path']}): {len(wave_rows)} rows, "
                     f"{len(wres.exclusions)} excluded, {len(wres.data)} would be analysed")
    rules = res.issues["rule"].astype(str).str.split(" (", regex=False).str[0].value_counts().to_dict() \
        if not res.issues.empty else {}
    return CheckResult(name=study["name"], data_path=study["data"]["path"], n_rows=len(ingested),
                       n_analysed=len(res.data), n_columns=len(declared_columns(study, study["data"]["path"])),
                       instruments={k: b["instrument"] if b.get("instrument") else b["resolved"]["id"]
                                    for k, b in study["instruments"].items()},
                       n_issues=len(res.issues), n_excluded=len(res.exclusions), n_flagged=flagged, notes=notes,
                       issue_rules={str(k): int(v) for k, v in rules.items()}, waves=waves)
