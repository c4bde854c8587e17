"""What `attachstats run` shows when a run fails: the attachstats message, last and alone.

Snakemake's own output (job blocks, the failed job's error, its summary and traceback)
goes to the run's log file, whose path the terminal names.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.integration
CORPUS = ROOT / "tests" / "bad_inputs"
SNAKEMAKE_NOISE = ("Traceback", "WorkflowError", "Error in rule", "RuleException", "CalledProcessError",
                   "MissingInputException", "Exiting because", "jobid:", "Complete log")


def noise(lines: list[str]) -> list[str]:
    """Lines of Snakemake's own output (each begins with one of SNAKEMAKE_NOISE)."""
    return [x for x in lines if x.strip().startswith(SNAKEMAKE_NOISE) or "Traceback" in x]


def attachstats_run(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "attachstats", "run", "study.yaml", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600)


def case(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / name
    shutil.copytree(CORPUS / name, folder)
    return folder


def test_a_failing_step_ends_with_its_attachstats_message(tmp_path: Path) -> None:
    folder = case("non_numeric_answer", tmp_path)
    res = attachstats_run(folder)
    assert res.returncode != 0
    lines = res.stderr.strip().splitlines()
    assert res.stdout.strip() == ""
    # the last line: step, file, row, the file's own column header, the value, what was expected, the fix
    assert lines[-1].startswith("attachstats: DataError in rule validate: file data.csv, row 2, column 'ECR_1', "
                                "value 'often': expected a number but found text"), lines[-1]
    assert "declare them in the instrument block" in lines[-1]
    assert lines[-2].startswith("attachstats: the run failed; full log: results/logs/run-")
    assert "log of step validate: results/mini/logs/validate.log" in lines[-2]
    assert not noise(lines), lines
    assert sum("expected a number but found text" in x for x in lines) == 1       # once, not twice
    log = folder / lines[-2].split("full log: ")[1].split(";")[0]
    text = log.read_text()
    assert "Error in rule validate" in text and "expected a number but found text" in text


def test_a_missing_data_file_names_data_path(tmp_path: Path) -> None:
    folder = case("missing_data_file", tmp_path)
    res = attachstats_run(folder)
    assert res.returncode != 0
    lines = res.stderr.strip().splitlines()
    assert lines[-1] == ("attachstats: DataError: study file study.yaml: data.path: the raw data file does not "
                         "exist: data.csv (a relative data.path is read from the study file's folder; fix "
                         "data.path or move the file there)")
    assert not noise(lines), lines


def test_a_failing_analysis_names_the_file_header(tmp_path: Path) -> None:
    # an item every respondent answers alike: the factor analyses stop, naming ECR_5 (not ecr_5)
    import yaml

    from conftest import make_survey, study_dict

    survey = make_survey(150)
    survey["ECR_5"] = "4"
    survey.to_csv(tmp_path / "survey.csv", index=False)
    (tmp_path / "study.yaml").write_text(yaml.safe_dump(study_dict(), sort_keys=False))
    res = attachstats_run(tmp_path, "--", "--until", "cfa")
    assert res.returncode != 0
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("attachstats: ModelError in rule cfa: model 'one_factor': item(s) without variance")
    assert last.endswith(": ECR_5"), last
    assert "ecr_5" not in res.stderr
