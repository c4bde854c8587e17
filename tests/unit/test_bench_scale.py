"""The pure parts of benchmarks/bench_scale.py: reading Snakemake benchmark files and timing
lines, the DAG's critical path, the overhead accounting, the targets and the Markdown.
No pipeline runs here; the numbers are worked out by hand."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

from attachstats.runner import format_timing

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "benchmarks" / "bench_scale.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"

# Snakemake's --dag output, abridged (labels carry wildcards after an escaped newline)
DOT = r"""digraph snakemake_dag {
    graph[bgcolor=white, margin=0];
	0[label = "all", color = "0.00 0.6 0.85", style="rounded"];
	1[label = "report", color = "0.55 0.6 0.85", style="rounded"];
	2[label = "validate", color = "0.64 0.6 0.85", style="rounded"];
	3[label = "ingest\nstudy: example", color = "0.27 0.6 0.85", style="rounded"];
	4[label = "score", color = "0.58 0.6 0.85", style="rounded"];
	5[label = "cfa", color = "0.06 0.6 0.85", style="rounded"];
	6[label = "provenance\nstudy: example", color = "0.45 0.6 0.85", style="rounded"];
	1 -> 0
	6 -> 0
	3 -> 2
	2 -> 4
	2 -> 5
	4 -> 1
	5 -> 1
	6 -> 1
}
"""


def _timing(rule, started, startup, imports, compute, pid=1):
    step = imports + compute
    return format_timing(step=rule, pid=pid, started=started, ended=started + startup + step,
                         startup_s=startup, step_s=step, import_s=imports) + "\n"


def test_read_benchmark_tsv(tmp_path):
    f = tmp_path / "cfa.tsv"
    f.write_text(HEADER + "3.63\t0:00:03\t219.77\t1693.10\t131.12\t153.20\t0.00\t0.04\t41.02\t1.73\n")
    assert bench.read_benchmark_tsv(f) == {"job_s": 3.63, "max_rss_mb": 219.77, "cpu_s": 1.73,
                                           "io_in_mb": 0.0, "io_out_mb": 0.04, "mean_load": 41.02}
    # a job too short for a memory sample: NA; with repeats the last row counts
    f.write_text(HEADER + "9\t0:00:09\t1\t1\t1\t1\t0\t0\t1\t1\n"
                 + "0.42\t0:00:00\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\n")
    r = bench.read_benchmark_tsv(f)
    assert r["job_s"] == 0.42 and r["max_rss_mb"] is None and r["cpu_s"] is None
    f.write_text(HEADER)
    with pytest.raises(ValueError, match="no benchmark row"):
        bench.read_benchmark_tsv(f)


def test_collect_stages_merges_benchmarks_and_timing_lines(tmp_path):
    study, summary = tmp_path / "example", tmp_path / "_summary"
    for d in (study / "benchmarks", study / "logs", summary / "benchmarks", summary / "logs"):
        d.mkdir(parents=True)
    (study / "benchmarks" / "cfa.tsv").write_text(HEADER + "5.0\t0:00:05\t300\t1\t1\t1\t0\t0\t50\t4.0\n")
    (study / "logs" / "cfa.log").write_text("INFO fitted\n" + _timing("cfa", 100.0, 1.0, 1.5, 2.0, pid=11))
    (study / "logs" / "provenance.log").write_text(_timing("provenance", 99.0, 0.25, 0.0, 0.5, pid=12))
    (study / "benchmarks" / "validate.tsv").write_text(HEADER + "2.0\t0:00:02\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\n")
    (study / "logs" / "validate.log").write_text("attachstats: DataError in rule validate: ...\n")
    (summary / "benchmarks" / "cross_study_summary.tsv").write_text(HEADER + "1\t0:00:01\t90\t1\t1\t1\t0\t0\t9\t0.5\n")
    stages = bench.collect_stages(tmp_path)
    assert set(stages) == {"cfa", "provenance", "validate", "cross_study_summary"}
    cfa = stages["cfa"]
    assert (cfa["folder"], cfa["job_s"], cfa["max_rss_mb"], cfa["job_s_source"]) == ("example", 5.0, 300.0, "benchmark")
    assert (cfa["pid"], cfa["startup_s"], cfa["import_s"], cfa["compute_s"], cfa["step_s"]) == (11, 1.0, 1.5, 2.0, 3.5)
    # no benchmark file: job time from process start to end of step
    assert stages["provenance"]["job_s"] == pytest.approx(0.75)
    assert stages["provenance"]["job_s_source"] == "log"
    assert stages["validate"].get("compute_s") is None and stages["validate"]["job_s"] == 2.0
    assert stages["cross_study_summary"]["folder"] == "_summary"
    # the same rule in two folders cannot be told apart
    (summary / "benchmarks" / "cfa.tsv").write_text(HEADER + "1\t0:00:01\t1\t1\t1\t1\t0\t0\t1\t1\n")
    with pytest.raises(ValueError, match="rule 'cfa' ran in two folders"):
        bench.collect_stages(tmp_path)


def test_dag_and_critical_path():
    labels, edges = bench.parse_dag(DOT)
    assert labels == {"0": "all", "1": "report", "2": "validate", "3": "ingest", "4": "score",
                      "5": "cfa", "6": "provenance"}
    assert ("3", "2") in edges and len(edges) == 8
    seconds = {"ingest": 1, "validate": 2, "score": 3, "cfa": 10, "report": 0.5, "provenance": 20}
    # ingest -> validate -> cfa -> report = 13.5 < provenance -> report = 20.5
    assert bench.critical_path(labels, edges, seconds) == (20.5, ["provenance", "report"])
    seconds["provenance"] = 1
    assert bench.critical_path(labels, edges, seconds) == (13.5, ["ingest", "validate", "cfa", "report"])


def test_busy_seconds_is_the_union_of_intervals():
    assert bench.busy_seconds([]) == 0
    assert bench.busy_seconds([(0, 10), (2, 3), (9, 12), (20, 21)]) == 13


def _stage(job, started, startup, imports, compute, rss=100.0, pid=None):
    return {"job_s": job, "started": started, "ended": started + startup + imports + compute,
            "startup_s": startup, "import_s": imports, "compute_s": compute, "max_rss_mb": rss,
            "peak_rss_sampled_mb": rss + 10, "pid": pid}


def test_summarize_overhead_accounting():
    # launched at 0; ingest 1-4, then cfa 4-10 and score 5-8 in parallel; an untimed job
    stages = {"ingest": _stage(3.2, 1.0, 1.0, 0.5, 1.5),
              "cfa": _stage(6.1, 4.0, 1.0, 1.0, 4.0, rss=500),
              "score": _stage(3.1, 5.0, 1.0, 0.0, 2.0),
              "broken": {"job_s": 0.6}}
    dag = ({"1": "ingest", "2": "cfa", "3": "score", "4": "broken"}, [("1", "2"), ("1", "3")])
    s = bench.summarize(stages, wall_s=12.0, launched=0.0, cores=2, dag=dag)
    assert s["jobs"] == 4 and s["jobs_timed"] == 3 and s["untimed"] == ["broken"]
    assert s["jobs_s"] == pytest.approx(13.0)
    assert s["compute_s"] == pytest.approx(7.5) and s["import_s"] == pytest.approx(1.5)
    assert s["startup_s"] == pytest.approx(3.0)
    assert s["overhead_s"] == pytest.approx(12.4 - 7.5)          # timed jobs only
    assert s["overhead_share"] == pytest.approx(4.9 / 12.4)
    assert s["busy_s"] == pytest.approx(9.0) and s["idle_s"] == pytest.approx(3.0)
    assert s["before_first_job_s"] == pytest.approx(1.0)
    assert s["critical_path"] == ["ingest", "cfa"] and s["critical_path_s"] == pytest.approx(9.3)
    assert s["critical_path_compute_s"] == pytest.approx(5.5)
    assert s["wall_lower_bound_s"] == pytest.approx(9.3)       # > 13.0 / 2
    assert s["parallel_efficiency"] == pytest.approx(13.0 / 24.0)
    assert s["max_job_rss_mb"] == 500 and s["max_job_peak_sampled_mb"] == 510
    assert "critical_path_s" not in bench.summarize(stages, 12.0, 0.0, 2, dag=None)


def test_growth():
    g = bench.growth([(1_000_000, 300.0), (10_000, 5.0), (100_000, 30.0)])
    assert (g["n_from"], g["n_to"], g["size_ratio"], g["ratio"]) == (100_000, 1_000_000, 10.0, 10.0)
    assert g["exponent"] == pytest.approx(1.0)
    assert bench.growth([(10, 1.0), (100, 100.0)])["exponent"] == pytest.approx(2.0)
    assert bench.growth([(10, 1.0)]) is None
    assert bench.growth([(10, 1.0), (100, None)]) is None


def _run(n, wall, peak, times, returncode=0, aborted=None, dataset="example"):
    """A measured run as measure_run leaves it: stage k starts at k seconds."""
    stages = {rule: {**_stage(t, float(k), 0.5, 0.5, max(t - 1.0, 0.0), rss=peak / 4), "cpu_s": t * 0.8}
              for k, (rule, t) in enumerate(times.items())}
    return {"label": f"{dataset}, n = {n:,}", "dataset": dataset, "n": n, "rows": n,
            "simulate_s": n / 1e5 if dataset == "example" else None, "simulate_peak_mb": 300.0,
            "wall_s": wall, "peak_tree_rss_mb": peak, "returncode": returncode, "aborted": aborted,
            "stages": stages, "sums": bench.summarize(stages, wall, -1.0, 2, None)}


def _runs(wall_1m=280.0, peak_1m=9000.0, reliability_1m=80.0):
    return [_run(10_000, 12.0, 900.0, {"ingest": 1.0, "reliability": 1.0, "mediate": 4.0}),
            _run(100_000, 30.0, 2000.0, {"ingest": 2.0, "reliability": 6.0, "mediate": 20.0}),
            _run(1_000_000, wall_1m, peak_1m, {"ingest": 15.0, "reliability": reliability_1m, "mediate": 150.0})]


def test_verdicts_are_computed_from_the_measurements():
    time_v, mem_v, grow_v = bench.verdicts(_runs())
    assert time_v["verdict"] == "not met" and time_v["measured"] == "280 s (4.7 min)"   # target 3 min
    assert mem_v["verdict"] == "not met" and mem_v["measured"].startswith("8.8 GB")
    # wall ×9.33 for ×10 rows; reliability ×13.3 (exponent 1.12) is flagged, the others not
    assert grow_v["verdict"] == "met" and "exponent 0.97" in grow_v["measured"]
    assert "faster than linear: reliability" in grow_v["measured"] and "mediate" not in grow_v["measured"]

    time_v, mem_v, grow_v = bench.verdicts(_runs(wall_1m=181.0, peak_1m=6000.0))
    assert (time_v["verdict"], mem_v["verdict"], grow_v["verdict"]) == ("not met", "met", "met")
    time_v, mem_v, _ = bench.verdicts(_runs(wall_1m=180.0, peak_1m=6200.0))
    assert (time_v["verdict"], mem_v["verdict"]) == ("met", "not met")
    time_v, _, grow_v = bench.verdicts(_runs(wall_1m=400.0, reliability_1m=50.0))
    assert grow_v["verdict"] == "not met" and "exponent 1.12" in grow_v["measured"]
    assert "faster than linear" not in grow_v["measured"]        # no stage above 1.1 itself

    # a 1M run stopped by the harness counts as not met; the growth is judged on what finished
    runs = _runs()
    runs[2].update(returncode=-15, aborted="process tree exceeded 20.4 GB")
    time_v, mem_v, grow_v = bench.verdicts(runs)
    assert time_v["verdict"] == mem_v["verdict"] == "not met"
    assert "exceeded 20.4 GB" in time_v["measured"] and "after 280 s" in time_v["measured"]
    assert "10,000 → 100,000" in grow_v["measured"]
    # no 1M run at all
    time_v, mem_v, grow_v = bench.verdicts(_runs()[:1])
    assert time_v["verdict"] == mem_v["verdict"] == grow_v["verdict"] == "not measured"


def test_markdown_and_json_from_a_fake_measurement():
    ecr = _run(51_491, 40.0, 1500.0, {"ingest": 2.0, "cfa": 9.0}, dataset="ecr-open")
    ecr.update(label="open ECR data (full file)", description="The full file.")
    runs = _runs() + [ecr]
    runs[0]["stages"]["ingest"]["compute_s"] = math.nan       # NaN must not reach the JSON
    res = {"machine": {"cpu": "Test CPU", "cores": 2, "memory": "24 GB", "os": "Linux", "python": "3.11",
                       "numpy": "2", "scipy": "1", "load_average_1min_at_start": 0.5},
           "cores": 2, "sizes": [10_000, 100_000, 1_000_000], "runs": runs, "skipped": [],
           "targets": bench.verdicts(runs)}
    md = bench.markdown(res)
    lines = md.splitlines()
    head = next(line for line in lines if line.startswith("| stage | 10,000: s"))
    assert "| 1,000,000: s | 1,000,000: MB |" in head
    assert "growth ×(s at 1,000,000 / s at 100,000; 10 = linear)" in head
    assert "| 1,000,000: MB | 1,000,000: CPU s | growth" in head
    assert "| `mediate` | 4.0 | 235 | 20.0 | 510 | 150.0 | 2260 | 120.0 | ×7.5 (b = 0.88) |" in lines
    assert "| `reliability` | 1.0 | 235 | 6.0 | 510 | 80.0 | 2260 | 64.0 | ×13.3 (b = 1.12) |" in lines
    assert "| **whole run** (wall; MB = process tree) | 12.0 | 900 | 30.0 | 2000 | 280.0 | 9000 | – | ×9.3 (b = 0.97) |" in lines
    assert any(line.startswith("| **all jobs** (sum of job times; MB = largest job) | 6.0 | 235 |") for line in lines)
    assert "| 1,000,000 respondents: peak memory ≤ 6 GB | 8.8 GB (process tree) | **not met** |" in lines
    # the ECR run has its own table without growth, and a column in the overhead table
    i = lines.index("## open ECR data (full file)")
    assert lines[i + 4] == "| stage | 51,491: s | 51,491: MB | 51,491: CPU s |"
    assert lines[i + 6] == "| `ingest` | 2.0 | 385 | 1.6 |"
    assert "| measure | example, n = 10,000 | example, n = 100,000 | example, n = 1,000,000 | open ECR data (full file) |" in lines
    assert "| wall: the whole Snakemake run | 12.0 | 30.0 | 280.0 | 40.0 |" in lines
    assert "not finish" not in md
    runs[2]["aborted"] = "longer than 30 min"
    assert "**example, n = 1,000,000: the run did not finish (longer than 30 min); its numbers are partial.**" \
        in bench.markdown(res)
    text = json.dumps(bench.to_json(res), allow_nan=False)      # standard JSON: NaN became null
    assert json.loads(text)["runs"][0]["stages"]["ingest"]["compute_s"] is None


def test_monitor_measures_a_process_tree_and_stops_a_runaway(tmp_path):
    import sys

    # a child holding ~150 MB in a grandchild: the tree's peak counts the grandchild
    hold = "import subprocess, sys; subprocess.run([sys.executable, '-c', " \
           "'import time; x = b\"x\" * (150 * 2**20); time.sleep(1.0)'])"
    r = bench.run_monitored([sys.executable, "-c", hold], tmp_path / "a.log", abort_mb=None, timeout_s=None)
    assert r["returncode"] == 0 and r["aborted"] is None
    assert 150 < r["peak_mb"] < 400
    # a child that computes for ~1 s, then sleeps: its CPU time counts in the root's subtree
    busy = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'import time; t = time.process_time(); " \
           "[0 for _ in iter(lambda: time.process_time() - t < 1.0, False)]; time.sleep(0.6)'])"
    root = {}

    class Spy(bench.TreeMonitor):
        def __init__(self, pid, **kw):
            root["pid"] = pid
            super().__init__(pid, **kw)

    monitor, bench.TreeMonitor = bench.TreeMonitor, Spy
    try:
        r = bench.run_monitored([sys.executable, "-c", busy], tmp_path / "cpu.log", abort_mb=None, timeout_s=None)
    finally:
        bench.TreeMonitor = monitor
    cpu = r["subtree_cpu_s"]
    assert 0.8 < cpu[root["pid"]] < 3.0                   # the child's second counts in the root's subtree
    assert len(cpu) == 2 and all(c <= cpu[root["pid"]] for c in cpu.values())
    # over the memory limit: stopped within a few samples, not after its 30 s
    grow = "import time; x = b'x' * (150 * 2**20); time.sleep(30)"
    r = bench.run_monitored([sys.executable, "-c", grow], tmp_path / "b.log", abort_mb=100, timeout_s=None)
    assert r["aborted"] == "process tree exceeded 0.1 GB" and r["returncode"] == -15
    assert r["wall_s"] < 10
    r = bench.run_monitored([sys.executable, "-c", "import time; time.sleep(30)"], tmp_path / "c.log",
                            abort_mb=None, timeout_s=0.5)
    assert r["aborted"] == "longer than the time limit of 0.5 s" and r["returncode"] == -15
    assert r["wall_s"] < 10
