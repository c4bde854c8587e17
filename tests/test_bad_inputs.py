"""The bad-input corpus (tests/bad_inputs/): every malformed input ends in one clear paragraph.

Each case must fail with a user error (attachstats.errors.AttachstatsError) whose message contains the expected fragment; a sample of cases is
also run through the real CLI, which must exit non-zero without a Python traceback and
leave no output a later run would take as valid.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from attachstats.errors import AttachstatsError
from attachstats.data.readers import ingest
from attachstats.spec.study import check_schema, read_yaml, resolve_study
from attachstats.data.validate import validate_and_screen

from conftest import ROOT

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
SCHEMA = ROOT / "workflow" / "schemas" / "study.schema.yaml"


def run_library(folder: Path, monkeypatch) -> str:
    from snakemake.utils import validate

    monkeypatch.chdir(folder)
    try:
        study = read_yaml(folder / "study.yaml")
        check_schema(study, SCHEMA, "study.yaml")       # the workflow's own order of checks
        validate(study, str(SCHEMA))
        study = resolve_study(study, folder / "study.yaml")
        validate_and_screen(ingest(study), study)
    except AttachstatsError as exc:
        return str(exc)
    raise AssertionError(f"{folder.name}: no error was raised")


def test_corpus_is_large_enough():
    assert len(CASES) >= 20


@pytest.mark.parametrize("name", CASES)
def test_each_bad_input_gives_its_message(name, monkeypatch):
    expected = (CORPUS / name / "expected.txt").read_text().strip()
    message = run_library(CORPUS / name, monkeypatch)
    assert expected in message, message
    assert "\n\n" not in message.strip()          # one paragraph


CLI_CASES = ["empty_file", "binary_junk", "truncated_spss", "misspelt_study_key", "unknown_instrument",
             "all_items_missing", "non_numeric_answer"]


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
