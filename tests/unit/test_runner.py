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
