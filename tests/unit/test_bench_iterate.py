"""The pure parts of benchmarks/bench_iterate.py: counting jobs in a Snakemake log, the study
edits of the scenarios (on the real example study file), the summary with its ratios and
target verdicts, and the Markdown. No pipeline runs here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_iterate", ROOT / "benchmarks" / "bench_iterate.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def test_jobs_run_reads_the_last_progress_line():
    log = "Building DAG of jobs...\n1 of 21 steps (5%) done\n...\n21 of 21 steps (100%) done\n"
    assert bench.jobs_run(log) == 21
    assert bench.jobs_run("Nothing to be done (all requested files are present and up to date).") == 0
    assert bench.jobs_run("1 of 1 step (100%) done") == 1


def test_scenario_edits_change_one_setting_of_the_example_study():
    study = yaml.safe_load((ROOT / "config" / "studies" / "example.yaml").read_text(encoding="utf-8"))
    for sc in ("cold", "no-op"):
        assert bench.edit_study(study, sc) == study
    scr = bench.edit_study(study, "screening change")
    assert scr["screening"]["min_seconds_per_item"] == study["screening"]["min_seconds_per_item"] + 0.5
    assert scr["outcome_models"] == study["outcome_models"]
    mod = bench.edit_study(study, "model change")
    assert "age" in study["outcome_models"][0]["covariates"]
    assert mod["outcome_models"][0]["covariates"] == [c for c in study["outcome_models"][0]["covariates"] if c != "age"]
    assert mod["outcome_models"][1:] == study["outcome_models"][1:]
    assert study["screening"]["min_seconds_per_item"] == 2.0          # the original is not touched


def _fake() -> dict:
    runs = []
    for rep, (p_cold, c_cold) in enumerate([(60.0, 24.0), (64.0, 40.0), (62.0, 26.0)]):
        for sc, p, c, jobs in (("cold", p_cold, c_cold, 21), ("no-op", 3.5, 2.5, 0),
                               ("screening change", 50.0, 25.0, 19), ("model change", 20.0, 10.0, 7)):
            runs.append({"version": "previous", "scenario": sc, "wall_s": p, "cpu_s": 2 * p, "returncode": 0,
                         "jobs": jobs, "repeat": rep})
            runs.append({"version": "current", "scenario": sc, "wall_s": c, "cpu_s": 1.5 * c, "returncode": 0,
                         "jobs": jobs, "repeat": rep})
    runs[-1]["returncode"] = 1                # one failed run is left out of the median
    res = {"machine": {"cpu": "Test CPU", "cores": 2, "memory": "24 GB", "os": "Linux", "python": "3.11"},
           "cores": 2, "repeat": 3, "base": "main", "base_commit": "7853b9a" + "0" * 33,
           "current_commit": "abcdef1" + "0" * 33, "current_dirty": False, "load_start": 1.0, "load_end": 2.0,
           "runs": runs, "stages": {"previous": {"reliability": {"job_s": 14.0}},
                                    "current": {"reliability": {"job_s": 6.0, "startup_s": 0.5, "import_s": 1.0,
                                                                "compute_s": 4.5, "max_rss_mb": 250.0}}}}
    res["summary"] = bench.summary_rows(res)
    return res


def test_summary_takes_medians_ratios_and_verdicts():
    rows = {r["scenario"]: r for r in _fake()["summary"]}
    assert rows["cold"]["previous_s"] == 62.0 and rows["cold"]["current_s"] == 26.0
    assert rows["cold"]["speedup"] == 62.0 / 26.0 and rows["cold"]["verdict"] == "met"
    assert rows["cold"]["cpu_ratio"] == (2 * 62.0) / (1.5 * 26.0)
    assert rows["no-op"]["verdict"] == "met"                       # 2.5 <= 3
    assert rows["model change"]["current_failed"] == 1 and rows["model change"]["current_s"] == 10.0
    assert rows["model change"]["target_s"] is None and rows["model change"]["verdict"] is None


def test_markdown_from_a_fake_measurement():
    lines = bench.markdown(_fake()).splitlines()
    assert "| cold | 62.0 | 21 | 26.0 | 21 | ×2.38 | 124.0 | 39.0 | ×3.18 | ≤ 30 s: met |" in lines
    assert "| no-op | 3.5 | 0 | 2.5 | 0 | ×1.40 | 7.0 | 3.8 | ×1.87 | ≤ 3 s: met |" in lines
    assert "| model change | 20.0 | 7 | 10.0 | 7 | ×2.00 | 40.0 | 15.0 | ×2.67 | – |" in lines
    assert "| `reliability` | 14.0 | 6.0 | 0.5 | 1.0 | 4.5 | 250 |" in lines
    assert any("7853b9a000" in line and "Median of 3 run(s)" in line for line in lines)


def test_pytest_counts_read_the_last_summary_line():
    out = "tests/unit/test_x.py ....\n= 1 failed, 612 passed, 7 skipped, 2 warnings, 1 error in 501.20s (0:08:21) =\n"
    assert bench.pytest_counts(out) == {"failed": 1, "passed": 612, "skipped": 7, "warnings": 2, "errors": 1}
    assert bench.pytest_counts("make: *** No rule to make target 'test'.  Stop.") == {}


def test_make_test_is_timed_with_its_counts_and_the_current_source(tmp_path):
    """--make-test: the command's wall and CPU time, exit status, counts and verdict are recorded,
    with PYTHONPATH at the timed checkout's src, and iterate.md reports them."""
    import sys

    script = ("import os, sys; print('src is', os.environ['PYTHONPATH']); "
              "sum(i * i for i in range(2_000_000)); "
              "print('=== 3 passed, 1 skipped in 0.50s ==='); sys.exit(int(sys.argv[1]))")
    ok = bench.time_make_test([sys.executable, "-c", script, "0"], cwd=tmp_path)
    assert ok["returncode"] == 0 and ok["tests"] == {"passed": 3, "skipped": 1}
    assert ok["wall_s"] > 0 and ok["cpu_s"] > 0 and ok["verdict"] == "met" and ok["target_s"] == 600.0
    assert f"src is {tmp_path / 'src'}" in ok["tail"]
    failed = bench.time_make_test([sys.executable, "-c", script, "2"], cwd=tmp_path)
    assert failed["returncode"] == 2 and failed["verdict"] == "not met"
    res = _fake()
    res["make_test"] = ok
    text = bench.markdown(res)
    assert "3 passed, 1 skipped; exit status 0" in text and "target ≤ 10 min (quiet machine): met" in text


def test_make_test_uses_the_benchmark_environment_and_make_passes_the_flag():
    import subprocess
    import sys

    own = bench.make_test_command(Path(sys.prefix).parent if Path(sys.prefix).name == ".venv" else ROOT)
    other = bench.make_test_command(Path("/nonexistent/checkout"))
    assert own[:2] == other[:2] == ["make", "test"]
    if sys.prefix != sys.base_prefix:           # another checkout's environment is used as is, never installed into
        assert other[2:] == [f"VENV={sys.prefix}", "STAMP="]
        dry = subprocess.run(["make", "-n", *other[1:]], cwd=ROOT, capture_output=True, text=True)
        assert dry.returncode == 0 and "pip install" not in dry.stdout, dry.stdout + dry.stderr
        assert f"{sys.prefix}/bin/python -m pytest" in dry.stdout
    if Path(sys.prefix).name == ".venv":
        assert own == ["make", "test"]
    dry = subprocess.run(["make", "-n", "bench-iterate", "BENCH_FLAGS=--make-test", f"VENV={sys.prefix}", "STAMP="],
                         cwd=ROOT, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert "benchmarks/bench_iterate.py" in dry.stdout and "--make-test" in dry.stdout
