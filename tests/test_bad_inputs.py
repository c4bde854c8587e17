"""The bad-input corpus (tests/bad_inputs/): every malformed input ends in one clear paragraph.

Each case with an ``expected.txt`` must fail with a user error
(attachstats.errors.AttachstatsError) whose message names the file and contains the expected
fragment; each usable case (``expected_read.csv``) must be read as that table, with every
alteration of ``expected_notes.txt`` recorded. A sample of cases is also run through the
real CLI, which must exit non-zero without a Python traceback and leave no output a later
run would take as valid (or, for a usable file, validate it and log what the reader changed).
The library path runs schema check, resolution, ingest and validation as the workflow does,
so the CLI sample only needs to show that the same messages reach the user.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from attachstats.errors import AttachstatsError, DataError
from attachstats.data.readers import ingest, map_columns, read_raw
from attachstats.spec.study import check_schema, read_yaml, resolve_study
from attachstats.data.validate import validate_and_screen

from conftest import ROOT

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
ERROR_CASES = [c for c in CASES if (CORPUS / c / "expected.txt").is_file()]
USABLE_CASES = [c for c in CASES if (CORPUS / c / "expected_read.csv").is_file()]
SCHEMA = ROOT / "workflow" / "schemas" / "study.schema.yaml"


def load_study(folder: Path) -> dict:
    """The case's study as the workflow sees it: schema-checked, defaults filled, resolved."""
    from snakemake.utils import validate

    study = read_yaml(folder / "study.yaml")
    check_schema(study, SCHEMA, "study.yaml")       # the workflow's own order of checks
    validate(study, str(SCHEMA))
    return resolve_study(study, folder / "study.yaml")


def run_library(folder: Path, monkeypatch) -> AttachstatsError:
    monkeypatch.chdir(folder)
    try:
        study = load_study(folder)
        validate_and_screen(ingest(study), study)
    except AttachstatsError as exc:
        return exc
    raise AssertionError(f"{folder.name}: no error was raised")


def test_corpus_is_large_enough():
    assert len(CASES) >= 50 and len(USABLE_CASES) >= 15
    assert set(ERROR_CASES) | set(USABLE_CASES) == set(CASES) and not set(ERROR_CASES) & set(USABLE_CASES)


@pytest.mark.parametrize("name", ERROR_CASES)
def test_each_bad_input_gives_its_message(name, monkeypatch):
    expected = (CORPUS / name / "expected.txt").read_text().strip()
    error = run_library(CORPUS / name, monkeypatch)
    message = str(error)
    assert expected in message, message
    assert "\n\n" not in message.strip()          # one paragraph
    assert len(message) < 900, len(message)         # capped lists, not every column of the file
    if isinstance(error, DataError):
        assert error.file and message.startswith(f"file {error.file}"), message    # names the file


@pytest.mark.parametrize("name", USABLE_CASES)
def test_each_usable_file_is_read_with_its_alterations_recorded(name, monkeypatch):
    folder = CORPUS / name
    monkeypatch.chdir(folder)
    study = load_study(folder)
    got = ingest(study)
    want = map_columns(read_raw(folder / "expected_read.csv"), study)
    pd.testing.assert_frame_equal(got.astype(str), want.astype(str), check_dtype=False)
    notes = got.attrs.get("read_notes", [])
    for fragment in (folder / "expected_notes.txt").read_text(encoding="utf-8").splitlines():
        assert any(fragment in n for n in notes), (fragment, notes)
    if not (folder / "expected_notes.txt").read_text().strip():
        assert notes == [], notes
    res = validate_and_screen(got, study)          # and the rest of the data step accepts it
    assert len(res.data) + len(res.exclusions) == len(want)


CLI_CASES = ["empty_file", "binary_junk", "truncated_spss", "misspelt_study_key", "unknown_instrument",
             "all_items_missing", "non_numeric_answer", "zip_named_csv_latin1", "title_row",
             "xlsx_first_sheet_is_a_note", "utf16_without_bom", "ragged_row_late"]


@pytest.mark.integration
@pytest.mark.parametrize("name", CLI_CASES)
def test_cli_exits_nonzero_without_traceback_or_partial_output(name, tmp_path):
    folder = tmp_path / name
    import shutil

    shutil.copytree(CORPUS / name, folder)
    results = tmp_path / "results"
    res = subprocess.run([str(Path(sys.executable).with_name("attachstats")), "run", str(folder / "study.yaml"),
                          "--cores", "1", "--results", str(results)], capture_output=True, text=True, timeout=600,
                         cwd=ROOT)
    text = res.stdout + res.stderr
    assert res.returncode != 0
    assert (CORPUS / name / "expected.txt").read_text().strip() in text
    assert "Traceback (most recent call last)" not in text
    # a step that failed leaves nothing; only complete outputs of steps that succeeded
    # (the ingested copy when the failure comes later; the provenance record, which does not
    # depend on any step and may run first) may stay, and Snakemake reuses them
    leftovers = [p.relative_to(results).as_posix() for p in results.rglob("*")
                 if p.is_file() and "logs" not in p.parts and "benchmarks" not in p.parts]
    assert set(leftovers) <= {"mini/interim/ingested.parquet", "mini/provenance.json"}, leftovers


@pytest.mark.integration
def test_cli_reads_a_usable_file_and_logs_what_it_changed(tmp_path):
    """A semicolon-delimited file with decimal commas through the real CLI, up to validation."""
    import shutil

    folder = tmp_path / "semicolon_decimal_comma"
    shutil.copytree(CORPUS / folder.name, folder)
    results = tmp_path / "results"
    res = subprocess.run([str(Path(sys.executable).with_name("attachstats")), "run", str(folder / "study.yaml"),
                          "--cores", "1", "--results", str(results), "--", "--until", "validate"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    log = (results / "mini" / "logs" / "ingest.log").read_text()
    assert "splits at ';'" in log and "decimal commas read as decimal points" in log
    assert "12" in (results / "mini" / "validation" / "flow.csv").read_text().splitlines()[1]
