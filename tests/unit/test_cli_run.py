"""`attachstats run`'s account of a run (attachstats.cli.RunStream), fed Snakemake 9 output."""

from __future__ import annotations

import io
from pathlib import Path

from attachstats.cli import RunStream

JOB = """\
[Tue Dec  1 11:03:55 2026]
localrule validate:
    input: results/mini/interim/ingested.parquet
    output: results/mini/interim/clean.parquet
    log: results/mini/logs/validate.log
    jobid: 2
    reason: Missing output files: results/mini/interim/clean.parquet
    wildcards: study=mini
    resources: tmpdir=/tmp, runtime=30, mem_mb=8000, mem=8 GB, mem_mib=7630
"""


def account(lines: str, code: int, tmp_path: Path) -> list[str]:
    out = io.StringIO()
    stream = RunStream(out, tmp_path)
    for line in lines.splitlines():
        stream.feed(line)
    stream.finish(code, tmp_path / "results" / "logs" / "run.log")
    return out.getvalue().splitlines()


def test_a_finished_job_is_two_short_lines(tmp_path: Path) -> None:
    text = JOB + "attachstats-progress: validate: 3 rows excluded\n[Tue Dec  1 11:03:56 2026]\n"
    text += "Finished jobid: 2 (Rule: validate)\n3 of 22 steps (14%) done\n"
    lines = account(text, 0, tmp_path)
    assert lines[:3] == ["  start  validate (mini)", "         validate: 3 rows excluded",
                         "  done   validate (mini)  [3/22]"]
    assert lines[-1].startswith("attachstats: done; full log: ")


def test_a_user_error_is_the_last_line_once(tmp_path: Path) -> None:
    (tmp_path / "results" / "mini" / "logs").mkdir(parents=True)
    msg = "attachstats: DataError in rule validate: file data.csv, row 2, column 'ECR_1': expected a number"
    text = JOB + msg + "\nRuleException:\nCalledProcessError in file x.smk, line 22:\n[Tue Dec  1 2026]\n"
    text += "Error in rule validate:\n    message: None\n    jobid: 2\n"
    text += "    log: results/mini/logs/validate.log (check log file(s) for error details)\n"
    text += msg + "\nWorkflowError:\nAt least one job did not complete successfully.\n"
    lines = account(text, 1, tmp_path)
    assert lines[-1] == msg and sum(x == msg for x in lines) == 1
    assert lines[-2].endswith("log of step validate: " + str(tmp_path / "results/mini/logs/validate.log"))


def test_a_bug_shows_the_last_line_of_the_step_log(tmp_path: Path) -> None:
    log = tmp_path / "results" / "mini" / "logs" / "validate.log"
    log.parent.mkdir(parents=True)
    log.write_text("Traceback (most recent call last):\n  ...\nKeyError: 'x'\n")
    text = JOB + "Error in rule validate:\n    jobid: 2\n    log: results/mini/logs/validate.log (check)\n"
    lines = account(text, 1, tmp_path)
    assert lines[-1].startswith("attachstats: step validate failed unexpectedly (a bug in attachstats")
    assert lines[-1].endswith(": KeyError: 'x'")


def test_a_refusal_of_snakemake_itself_is_shown_from_its_error_line(tmp_path: Path) -> None:
    text = "Building DAG of jobs...\nMissingRuleException:\nNo rule to produce nonsense.txt\n"
    lines = account(text, 1, tmp_path)
    assert lines[-2:] == ["MissingRuleException:", "No rule to produce nonsense.txt"]
