"""run_step: log redirection, clean exit on user errors, and the timing line it writes."""

from __future__ import annotations

import importlib._bootstrap as bootstrap
import os
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

from attachstats.errors import AttachstatsError
from attachstats.runner import format_timing, parse_timing, run_step


def _sm(tmp_path, rule="cfa"):
    return SimpleNamespace(log=[str(tmp_path / f"{rule}.log")], rule=rule)


def test_timing_line_separates_startup_imports_and_compute(tmp_path, monkeypatch):
    # a module that has never been imported and takes 0.3 s to load
    name = f"slow_module_{os.getpid()}_{time.time_ns()}"
    (tmp_path / f"{name}.py").write_text("import time\ntime.sleep(0.3)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    hook = bootstrap._find_and_load

    def step(sm):
        __import__(name)
        __import__(name)            # cached: costs nothing more
        time.sleep(0.2)
        print("fitted", file=sys.stderr)

    before = time.time()
    run_step(_sm(tmp_path), step)
    text = (tmp_path / "cfa.log").read_text()
    assert text.splitlines()[0] == "fitted"          # stderr still goes to the log
    t = parse_timing(text)
    assert t["step"] == "cfa" and t["pid"] == os.getpid()
    assert 0.3 <= t["import_s"] < 0.5
    assert 0.2 <= t["compute_s"] < 0.4
    assert t["step_s"] == pytest.approx(t["import_s"] + t["compute_s"], abs=0.002)
    assert t["started"] + t["startup_s"] == pytest.approx(before, abs=0.05)
    assert t["ended"] >= before + 0.5
    assert bootstrap._find_and_load is hook           # the import hook is removed again


def test_startup_runs_from_process_start_to_the_step(tmp_path):
    # a fresh interpreter that idles 0.4 s before calling run_step, like a slow preamble
    script = (
        "import time\ntime.sleep(0.4)\n"
        "from types import SimpleNamespace\nfrom attachstats.runner import run_step\n"
        f"run_step(SimpleNamespace(log=[{str(tmp_path / 'x.log')!r}], rule='x'), lambda sm: None)\n")
    before = time.time()
    subprocess.run([sys.executable, "-c", script], check=True)
    t = parse_timing((tmp_path / "x.log").read_text())
    assert 0.4 <= t["startup_s"] < 3.0
    assert before - 0.05 <= t["started"] <= before + 1.0     # the child started after `before`
    assert t["pid"] != os.getpid()


def test_user_error_exits_1_without_timing_line(tmp_path, capsys):
    hook = bootstrap._find_and_load

    def step(sm):
        raise AttachstatsError("column 'Q1' is missing from data.csv")

    with pytest.raises(SystemExit) as exc:
        run_step(_sm(tmp_path, "validate"), step)
    assert exc.value.code == 1
    text = (tmp_path / "validate.log").read_text()
    assert "AttachstatsError in rule validate: column 'Q1' is missing" in text
    assert parse_timing(text) is None
    assert "column 'Q1' is missing" in capsys.readouterr().err
    assert bootstrap._find_and_load is hook


def test_bug_keeps_traceback_and_restores_hook(tmp_path):
    hook, stderr = bootstrap._find_and_load, sys.stderr
    with pytest.raises(ZeroDivisionError):
        run_step(_sm(tmp_path), lambda sm: 1 / 0)
    assert bootstrap._find_and_load is hook
    assert sys.stderr is stderr
    assert parse_timing((tmp_path / "cfa.log").read_text()) is None


def test_parse_timing_reads_the_last_line_and_round_trips():
    first = format_timing(step="efa", pid=1, started=1.0, ended=2.0, startup_s=0.25, step_s=0.75,
                          import_s=0.5)
    last = format_timing(step="efa", pid=2, started=3.0, ended=9.0, startup_s=1.0, step_s=5.0,
                         import_s=2.0)
    t = parse_timing(f"INFO efa: start\n{first}\nINFO efa: again\n{last}\n")
    assert t == {"step": "efa", "pid": 2, "started": 3.0, "ended": 9.0, "startup_s": 1.0,
                 "step_s": 5.0, "import_s": 2.0, "compute_s": 3.0}
    assert parse_timing("INFO nothing timed\n") is None


def test_a_deferred_study_is_resolved_by_the_job(tmp_path, monkeypatch):
    # a Snakemake that could not import the library passes the declared settings and where the
    # study file is; the job resolves it as the workflow would have (a StudyPart of those keys)
    import yaml

    from conftest import ROOT, make_survey, study_dict
    from attachstats.runner import DEFERRED, _resolve_params
    from attachstats.spec.study import StudyPart, UndeclaredSetting

    monkeypatch.chdir(tmp_path)
    make_survey(30).to_csv("survey.csv", index=False)
    (tmp_path / "mini.yaml").write_text(yaml.safe_dump(study_dict()))
    params = SimpleNamespace(study={"name": "mini", "screening": {}, DEFERRED: {"study_file": "mini.yaml",
                                                                               "keys": ["screening"]}}, seed=3)
    job = SimpleNamespace(params=params, scriptdir=str(ROOT / "workflow" / "scripts"), rule="validate")
    view = _resolve_params(job)
    assert isinstance(view.params.study, StudyPart) and view.params.seed == 3 and view.rule == "validate"
    assert view.params.study["screening"]["longstring"]["max_run"] == 18
    assert view.params.study["screening"]["duplicate_rows"] == "exclude"      # schema defaults filled
    with pytest.raises(UndeclaredSetting):
        view.params.study["instruments"]
    params.study = {**params.study, DEFERRED: {"study_file": "mini.yaml", "keys": None}}
    whole = _resolve_params(job).params.study
    assert whole["instruments"]["ecr"]["resolved"]["n_items"] == 36 and DEFERRED not in whole
    plain = SimpleNamespace(params=SimpleNamespace(study=StudyPart({"name": "x"}, [])))
    assert _resolve_params(plain) is plain


def test_progress_lines_reach_the_terminal_only_under_attachstats_run(tmp_path, monkeypatch, capsys):
    import logging

    def step(sm):
        logging.getLogger("attachstats.stats.reliability").info("bootstrap: 10 resamples")
        logging.getLogger("numpy").info("not ours")

    monkeypatch.delenv("ATTACHSTATS_PROGRESS", raising=False)
    run_step(_sm(tmp_path), step)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("ATTACHSTATS_PROGRESS", "1")
    run_step(_sm(tmp_path), step)
    assert capsys.readouterr().err == "attachstats-progress: cfa: bootstrap: 10 resamples\n"
    assert "INFO attachstats.stats.reliability: bootstrap: 10 resamples" in (tmp_path / "cfa.log").read_text()
