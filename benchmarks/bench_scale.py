"""Scale benchmark of the whole pipeline (``make bench``; not a test).

For each size N (default 10,000, 100,000 and 1,000,000 respondents):

1. simulates N respondents (``attachstats simulate --config config/simulation/example.yaml
   --n N``) into a temporary folder, timed;
2. runs the whole example study on them (``snakemake --cores C --configfile <tmp config>``
   from the project root, the study file a copy of ``config/studies/example.yaml`` whose
   ``data.path`` points at the simulated ``survey.csv``, the seed that of
   ``config/config.yaml``, results in the temporary folder), timing the whole run and
   sampling the summed resident memory (RSS) of its process tree every 0.2 s;
3. reads every job's Snakemake benchmark file (``<results>/<study>/benchmarks/<rule>.tsv``:
   job seconds, ``max_rss``) and the timing line ``attachstats.runner.run_step`` writes to
   its log (process startup, first-time imports inside the step, own compute);
4. does the same once for the open ECR data (``config/studies/ecr-open.yaml`` on the full
   file in ``../shared/data/ecr-openpsychometrics`` beside the clone; skipped with a
   message when absent).

It writes ``scale.json`` (machine, every measurement) and ``scale.md`` (per-stage time and
peak memory at each size, growth between the two largest sizes, the startup-overhead
accounting, and the targets — 1,000,000 respondents end to end in ≤ 3 min and ≤ 6 GB, cost
growing no faster than linearly — each marked met or not met from the numbers) to
``benchmarks/latest/``. A run whose process tree grows beyond ``--abort-above-gb`` (default
85 % of the machine's memory) or lasts longer than ``--timeout-min`` is stopped and reported
as such; the benchmark then exits with status 1 after writing what it measured.

    python benchmarks/bench_scale.py [--sizes 10000 100000 1000000] [--cores 2] [--no-ecr]
    python benchmarks/bench_scale.py --quick    # 10,000 only, no ECR, into results/bench-quick/
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ECR_DATA = ROOT.parent / "shared" / "data" / "ecr-openpsychometrics" / "data.csv"
OUT = ROOT / "benchmarks" / "latest"
QUICK_OUT = ROOT / "results" / "bench-quick"
SIM_CONFIG = ROOT / "config" / "simulation" / "example.yaml"
EXAMPLE_STUDY = ROOT / "config" / "studies" / "example.yaml"
ECR_STUDY = ROOT / "config" / "studies" / "ecr-open.yaml"
DEFAULT_SIZES = [10_000, 100_000, 1_000_000]
QUICK_SIZES = [10_000]
SAMPLE_S = 0.2                  # process-tree memory sampling interval
TARGET_N = 1_000_000
TARGET_WALL_S = 3 * 60          # issue 17: 1,000,000 respondents end to end in <= 3 min
TARGET_PEAK_MB = 6 * 1024       # 6 GB (GiB; every MB here is 2**20 bytes, as Snakemake's)
GROWTH_EXPONENT_MAX = 1.1       # "no faster than linear", with 10 % allowance for timing noise
GROWTH_MIN_S = 1.0              # stages shorter than this at the larger size are not judged
MIB = 1024 ** 2


# --------------------------------------------------------------------------- pure parts

def read_benchmark_tsv(path: Path) -> dict[str, float | None]:
    """One Snakemake benchmark file → ``job_s, max_rss_mb, cpu_s, io_in_mb, io_out_mb, mean_load``.

    Columns ``s, h:m:s, max_rss, max_vms, max_uss, max_pss, io_in, io_out, mean_load,
    cpu_time``; ``NA`` (no memory sample was taken) becomes None. With several rows
    (``repeat``) the last one is read.
    """
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if not rows:
        raise ValueError(f"{path}: no benchmark row")
    row = rows[-1]

    def num(key: str) -> float | None:
        value = row.get(key)
        return None if value in (None, "", "NA") else float(value)

    return {"job_s": num("s"), "max_rss_mb": num("max_rss"), "cpu_s": num("cpu_time"),
            "io_in_mb": num("io_in"), "io_out_mb": num("io_out"), "mean_load": num("mean_load")}


def collect_stages(results: Path) -> dict[str, dict[str, Any]]:
    """Per rule: its benchmark file and its log's timing line, from every folder of ``results``.

    Looks in ``<results>/<folder>/benchmarks/<rule>.tsv`` and ``<results>/<folder>/logs/<rule>.log``
    (the study's folder and ``_summary``). A rule with no benchmark file gets its job time
    from the timing line (``job_s_source = "log"``: process start to end of step).
    """
    from attachstats.runner import parse_timing

    stages: dict[str, dict[str, Any]] = {}
    for folder in sorted(p for p in results.iterdir() if p.is_dir()):
        found: dict[str, dict[str, Any]] = {}
        for tsv in sorted((folder / "benchmarks").glob("*.tsv")):
            found.setdefault(tsv.stem, {}).update(read_benchmark_tsv(tsv), job_s_source="benchmark")
        for log in sorted((folder / "logs").glob("*.log")):
            timing = parse_timing(log.read_text(encoding="utf-8", errors="replace"))
            if timing:
                found.setdefault(log.stem, {}).update({k: v for k, v in timing.items() if k != "step"})
        for rule, stage in found.items():
            if rule in stages:
                raise ValueError(f"rule {rule!r} ran in two folders of {results}: "
                                 f"{stages[rule]['folder']} and {folder.name}")
            if stage.get("job_s") is None and stage.get("started") is not None:
                stage["job_s"] = stage["ended"] - stage["started"]
                stage["job_s_source"] = "log"
            stages[rule] = {"folder": folder.name, **stage}
    return stages


def parse_dag(dot: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Snakemake's ``--dag`` (Graphviz dot) → node id → rule name, and edges (before, after)."""
    labels = dict(re.findall(r'^\s*(\d+)\[label = "([^"\\]+)', dot, flags=re.M))
    edges = re.findall(r"^\s*(\d+) -> (\d+)", dot, flags=re.M)
    return labels, edges


def critical_path(labels: dict[str, str], edges: list[tuple[str, str]],
                  seconds: dict[str, float]) -> tuple[float, list[str]]:
    """Longest chain of jobs through the DAG, weighting each job by ``seconds[rule]`` (0 if absent).

    >>> critical_path({"1": "a", "2": "b", "3": "c"}, [("1", "3"), ("2", "3")], {"a": 2, "b": 5, "c": 1})
    (6, ['b', 'c'])
    """
    before: dict[str, list[str]] = {node: [] for node in labels}
    for a, b in edges:
        before[b].append(a)
    best: dict[str, tuple[float, list[str]]] = {}

    def longest(node: str) -> tuple[float, list[str]]:
        if node not in best:
            prior = max((longest(p) for p in before[node]), key=lambda x: x[0], default=(0, []))
            rule = labels[node]
            w = seconds.get(rule) or 0
            best[node] = (prior[0] + w, prior[1] + ([rule] if w else []))
        return best[node]

    return max((longest(n) for n in labels), key=lambda x: x[0], default=(0, []))


def busy_seconds(intervals: list[tuple[float, float]]) -> float:
    """Length of the union of time intervals (when at least one job was running).

    >>> busy_seconds([(0, 2), (1, 3), (5, 6)])
    4
    """
    total, end = 0, -math.inf
    for a, b in sorted(intervals):
        if b > end:
            total += b - max(a, end)
            end = b
    return total


def summarize(stages: dict[str, dict[str, Any]], wall_s: float, launched: float, cores: int,
              dag: tuple[dict[str, str], list[tuple[str, str]]] | None) -> dict[str, Any]:
    """Totals and the overhead accounting of one run (definitions in the Markdown's notes)."""
    def total(key: str, only: list[dict] | None = None) -> float:
        return sum(s[key] for s in (only if only is not None else stages.values()) if s.get(key) is not None)

    timed = [s for s in stages.values() if s.get("compute_s") is not None and s.get("job_s") is not None]
    jobs_s = total("job_s")
    out: dict[str, Any] = {
        "jobs": len(stages), "jobs_timed": len(timed),
        "untimed": sorted(r for r, s in stages.items() if s.get("compute_s") is None),
        "wall_s": wall_s, "jobs_s": jobs_s, "cpu_s": total("cpu_s"),
        "startup_s": total("startup_s"), "import_s": total("import_s"), "compute_s": total("compute_s"),
        "overhead_s": total("job_s", timed) - total("compute_s", timed),
        "max_job_rss_mb": max((s["max_rss_mb"] for s in stages.values() if s.get("max_rss_mb") is not None),
                              default=None),
        "max_job_peak_sampled_mb": max((s["peak_rss_sampled_mb"] for s in stages.values()
                                        if s.get("peak_rss_sampled_mb") is not None), default=None),
    }
    out["overhead_share"] = out["overhead_s"] / total("job_s", timed) if timed else None
    intervals = [(s["started"], s["ended"]) for s in stages.values() if s.get("started") is not None]
    if intervals:
        out["busy_s"] = busy_seconds(intervals)
        out["idle_s"] = wall_s - out["busy_s"]
        out["before_first_job_s"] = min(a for a, _ in intervals) - launched
    if dag:
        cp_s, cp = critical_path(*dag, {r: s["job_s"] for r, s in stages.items() if s.get("job_s")})
        out["critical_path_s"], out["critical_path"] = cp_s, cp
        out["critical_path_compute_s"] = sum(stages[r].get("compute_s") or 0 for r in cp)
        out["wall_lower_bound_s"] = max(cp_s, jobs_s / cores)
    out["parallel_efficiency"] = jobs_s / (cores * wall_s) if wall_s else None
    return out


def growth(points: list[tuple[int, float]]) -> dict[str, float] | None:
    """Cost ratio between the two largest sizes and its exponent b (cost ∝ nᵇ; 1 = linear).

    >>> growth([(10, 1.0), (100, 10.0), (1000, 50.0)])
    {'n_from': 100, 'n_to': 1000, 'size_ratio': 10.0, 'ratio': 5.0, 'exponent': 0.69897}
    """
    pts = sorted((n, t) for n, t in points if t is not None and t > 0)
    if len(pts) < 2 or pts[-1][0] == pts[-2][0]:
        return None
    (n1, t1), (n2, t2) = pts[-2], pts[-1]
    return {"n_from": n1, "n_to": n2, "size_ratio": n2 / n1, "ratio": t2 / t1,
            "exponent": round(math.log(t2 / t1) / math.log(n2 / n1), 5)}


def verdicts(runs: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The three targets, each judged from the example runs' measurements."""
    example = [r for r in runs if r["dataset"] == "example"]
    ok = finished(example)
    target = next((r for r in example if r["n"] == TARGET_N), None)
    out = []
    time_t = {"target": f"{TARGET_N:,} respondents end to end ≤ {TARGET_WALL_S / 60:.0f} min"}
    mem_t = {"target": f"{TARGET_N:,} respondents: peak memory ≤ {TARGET_PEAK_MB / 1024:.0f} GB"}
    if target is None:
        for t in (time_t, mem_t):
            t.update(measured=f"no {TARGET_N:,} run", verdict="not measured")
    elif target not in ok:
        why = target.get("aborted") or f"Snakemake exit status {target.get('returncode')}"
        for t in (time_t, mem_t):
            t.update(measured=f"run failed: {why}", verdict="not met")
        if target.get("wall_s") is not None:
            time_t["measured"] += f" after {target['wall_s']:.0f} s"
        if target.get("peak_tree_rss_mb") is not None:
            mem_t["measured"] += f"; peak {target['peak_tree_rss_mb'] / 1024:.1f} GB"
    else:
        time_t.update(measured=f"{target['wall_s']:.0f} s ({target['wall_s'] / 60:.1f} min)",
                      verdict="met" if target["wall_s"] <= TARGET_WALL_S else "not met")
        mem_t.update(measured=f"{target['peak_tree_rss_mb'] / 1024:.1f} GB (process tree)",
                     verdict="met" if target["peak_tree_rss_mb"] <= TARGET_PEAK_MB else "not met")
    out += [time_t, mem_t]
    g = growth([(r["n"], r["wall_s"]) for r in ok])
    grow_t = {"target": f"cost grows no faster than linearly (wall-time exponent ≤ {GROWTH_EXPONENT_MAX})"}
    if g is None:
        grow_t.update(measured="fewer than two successful sizes", verdict="not measured")
    else:
        fast = [rule for rule, sg in stage_growth(ok).items()
                if sg and sg["exponent"] > GROWTH_EXPONENT_MAX]
        grow_t.update(measured=f"wall ×{g['ratio']:.2f} for ×{g['size_ratio']:g} respondents "
                               f"({g['n_from']:,} → {g['n_to']:,}), exponent {g['exponent']:.2f}"
                               + (f"; faster than linear: {', '.join(fast)}" if fast else ""),
                      verdict="met" if g["exponent"] <= GROWTH_EXPONENT_MAX else "not met")
    out.append(grow_t)
    return out


def finished(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs that completed (exit status 0, not stopped by the harness)."""
    return [r for r in runs if r.get("returncode") == 0 and not r.get("aborted")]


def stage_growth(runs: list[dict[str, Any]]) -> dict[str, dict[str, float] | None]:
    """Per rule, :func:`growth` of its job time, for rules taking ≥ GROWTH_MIN_S at the larger size."""
    rules = {rule for r in runs for rule in r["stages"]}
    out = {}
    for rule in sorted(rules):
        g = growth([(r["n"], r["stages"].get(rule, {}).get("job_s")) for r in runs])
        big = max((r for r in runs if rule in r["stages"]), key=lambda r: r["n"])
        out[rule] = g if g and (big["stages"][rule].get("job_s") or 0) >= GROWTH_MIN_S else None
    return out


def _fmt(x: float | str | None, spec: str = ".1f") -> str:
    if isinstance(x, str):
        return x
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def _stage_cpu(stage: dict[str, Any]) -> float | None:
    """A job's CPU time: the harness's 0.2-s samples of its process, else Snakemake's
    ``cpu_time`` (which samples only every 30 s after the first 15 s, so it misses the end
    of a long job)."""
    return stage.get("cpu_sampled_s") if stage.get("cpu_sampled_s") is not None else stage.get("cpu_s")


def _stage_peak(stage: dict[str, Any]) -> float | None:
    """A job's peak memory: the harness's 0.2-s samples, else Snakemake's ``max_rss``."""
    return stage.get("peak_rss_sampled_mb") if stage.get("peak_rss_sampled_mb") is not None \
        else stage.get("max_rss_mb")


def stage_table(runs: list[dict[str, Any]], with_growth: bool) -> list[str]:
    """Markdown rows: one per rule (in the order the largest run started them), then totals."""
    big = max(runs, key=lambda r: r["n"])
    def start(rule: str) -> float:
        started = big["stages"].get(rule, {}).get("started")
        return math.inf if started is None else started

    order = sorted({rule for r in runs for rule in r["stages"]}, key=lambda rule: (start(rule), rule))
    done = finished(runs)             # growth only between completed runs
    grow = stage_growth(done) if with_growth and done else {}
    g_all = growth([(r["n"], r["wall_s"]) for r in done]) if with_growth else None
    head = "| stage | " + " | ".join(f"{r['n']:,}: s | {r['n']:,}: MB" for r in runs)
    head += f" | {big['n']:,}: CPU s"            # the job's CPU time: comparable across machine loads
    rule_line = "|---|" + "---:|---:|" * len(runs) + "---:|"
    if with_growth:
        label = (f"growth ×(s at {g_all['n_to']:,} / s at {g_all['n_from']:,}; "
                 f"{g_all['size_ratio']:g} = linear)") if g_all else "growth"
        head += f" | {label}"
        rule_line += ":---|"
    lines = [head + " |", rule_line]

    def row(name: str, cells: list[tuple[float | None, float | None]], g: dict | None | str,
            cpu: float | None | str = "–") -> str:
        text = f"| {name} | " + " | ".join(f"{_fmt(s)} | {_fmt(m, '.0f')}" for s, m in cells)
        text += " | " + (cpu if isinstance(cpu, str) else _fmt(cpu))
        if with_growth:
            text += " | " + (g if isinstance(g, str) else
                             f"×{g['ratio']:.1f} (b = {g['exponent']:.2f})" if g else "–")
        return text + " |"

    for rule in order:
        cells = [(r["stages"].get(rule, {}).get("job_s"), _stage_peak(r["stages"].get(rule, {})))
                 for r in runs]
        lines.append(row(f"`{rule}`", cells, grow.get(rule), _stage_cpu(big["stages"].get(rule, {}))))
    sums = [r["sums"] for r in runs]

    def sum_growth(key: str) -> dict | None:
        return growth([(r["n"], r["sums"].get(key)) for r in done]) if with_growth else None

    lines.append(row("**all jobs** (sum of job times; MB = largest job)",
                     [(s["jobs_s"], s.get("max_job_peak_sampled_mb") or s.get("max_job_rss_mb")) for s in sums],
                     sum_growth("jobs_s"), sum(c for c in map(_stage_cpu, big["stages"].values()) if c is not None)
                     if big["stages"] else None))
    lines.append(row("**own compute** (sum)", [(s["compute_s"], "–") for s in sums], sum_growth("compute_s")))
    lines.append(row("**startup + imports** (jobs − compute)", [(s["overhead_s"], "–") for s in sums],
                     sum_growth("overhead_s")))
    lines.append(row("**whole run** (wall; MB = process tree)",
                     [(r["wall_s"], r["peak_tree_rss_mb"]) for r in runs], g_all))
    if any(r.get("simulate_s") is not None for r in runs):
        lines.append(row("simulate the data (not part of the run)",
                         [(r.get("simulate_s"), r.get("simulate_peak_mb")) for r in runs],
                         growth([(r["n"], r.get("simulate_s")) for r in done]) if with_growth else None))
    return lines


def overhead_table(runs: list[dict[str, Any]]) -> list[str]:
    """Markdown rows of the overhead accounting, one column per run."""
    spec = [("wall: the whole Snakemake run", "wall_s", "s"),
            ("Snakemake before the first job (parse, validate, DAG)", "before_first_job_s", "s"),
            ("idle: no job running", "idle_s", "s"),
            ("sum of job times", "jobs_s", "s"),
            ("… startup (interpreter, Snakemake preamble, module-level imports)", "startup_s", "s"),
            ("… first-time imports inside the step", "import_s", "s"),
            ("… own compute", "compute_s", "s"),
            ("overhead = job time − own compute", "overhead_s", "s"),
            ("overhead share of job time", "overhead_share", "%"),
            ("critical path (job times along the longest chain)", "critical_path_s", "s"),
            ("lower bound on wall: max(critical path, jobs ÷ cores)", "wall_lower_bound_s", "s"),
            ("parallel efficiency: jobs ÷ (cores × wall)", "parallel_efficiency", "%")]
    lines = ["| measure | " + " | ".join(r["label"] for r in runs) + " |",
             "|---|" + "---:|" * len(runs)]
    for name, key, unit in spec:
        vals = [r["sums"].get(key) for r in runs]
        cells = [_fmt(None if v is None else 100 * v, ".0f") + " %" if unit == "%" and v is not None
                 else _fmt(v) for v in vals]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def markdown(res: dict[str, Any]) -> str:
    """``scale.md`` from the measurement dict ``res`` (as written to ``scale.json``)."""
    m = res["machine"]
    runs = res["runs"]
    example = [r for r in runs if r["dataset"] == "example" and r.get("stages")]
    others = [r for r in runs if r["dataset"] != "example" and r.get("stages")]
    lines = ["# Scale benchmark: the whole example pipeline by number of respondents", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}; {m['os']}; Python {m['python']}, "
             f"numpy {m['numpy']}, scipy {m['scipy']}; 1-minute load average at start "
             f"{m['load_average_1min_at_start']}. Snakemake with `--cores {res['cores']}`.", ""]
    for r in runs:
        if r.get("returncode") != 0 or r.get("aborted"):
            why = r.get("aborted") or f"Snakemake exit status {r.get('returncode')}"
            lines.append(f"**{r['label']}: the run did not finish ({why}); its numbers are partial.**")
            lines.append("")
    lines += ["## Targets", "", "| target | measured | verdict |", "|---|---|---|"]
    lines += [f"| {v['target']} | {v['measured']} | **{v['verdict']}** |" for v in res["targets"]]
    lines.append("")
    if example:
        lines += ["## Per stage", "",
                  "Job time (s, Snakemake's benchmark file) and peak resident memory (MB) of each "
                  "job at each size; b is the exponent in time ∝ nᵇ between the two largest sizes "
                  f"(shown for stages taking ≥ {GROWTH_MIN_S:g} s there).", ""]
        lines += stage_table(example, with_growth=len(example) > 1)
        lines.append("")
    for r in others:
        lines += [f"## {r['label']}", "", f"{r['description']}", ""]
        lines += stage_table([r], with_growth=False)
        lines.append("")
    if res.get("skipped"):
        lines += [f"Skipped: {s}" for s in res["skipped"]] + [""]
    lines += ["## Where the time goes (startup overhead)", ""]
    lines += overhead_table([r for r in runs if r.get("stages")])
    untimed = sorted({u for r in runs if r.get("stages") for u in r["sums"]["untimed"]})
    lines += ["", "Definitions:", "",
              "- *wall*: from starting `snakemake` to its exit, including its own start-up "
              "(reading the Snakefile, validating the study, building the DAG).",
              "- *job time*: the `s` column of the rule's Snakemake benchmark file (the job's "
              "process from start to exit); for a rule without one (`provenance`), the timing "
              "line's process start to end of step.",
              "- *CPU s*: user + system CPU time of the job's process and its children, sampled "
              "with the memory every 0.2 s (Snakemake's `cpu_time` where no sample was taken), at "
              "the largest size: unlike job time it hardly changes with the machine's load, so it "
              "compares runs on a shared machine.",
              "- *startup*: from the job's Python process starting to `run_step` calling the "
              "step — the interpreter, Snakemake's script preamble (which imports Snakemake) "
              "and the script's module-level imports.",
              "- *first-time imports inside the step*: time spent loading modules not yet "
              "imported, measured by `run_step` (the library imports heavy packages inside its "
              "functions, so without this they would count as compute).",
              "- *own compute* = time inside the step − those imports: the stage's real work, "
              "reading inputs and writing outputs included.",
              "- *overhead* = job time − own compute: startup, imports and process exit; what "
              "fewer, coarser jobs or lighter imports can save.",
              "- *idle*: wall time during which no job's process was running (Snakemake's "
              "start-up, scheduling gaps, its bookkeeping at the end).",
              "- *critical path*: the longest chain of dependent jobs, weighted by job time; no "
              "schedule on any number of cores beats it.",
              "- Peak memory: the whole run's is the summed RSS of Snakemake and all its child "
              f"processes sampled every {SAMPLE_S:g} s (shared pages counted once per process; "
              "a spike shorter than the interval can be missed); a stage's is the same for the "
              "job's process (Snakemake's own `max_rss` samples only every 30 s after a job's "
              "first 15 s; both are in scale.json).",
              f"- 1 GB = 1024 MB = 2³⁰ bytes. Growth targets allow an exponent up to "
              f"{GROWTH_EXPONENT_MAX} for timing noise on a shared machine."]
    if untimed:
        lines.append(f"- Jobs without a timing line (not counted in compute/overhead): {', '.join(untimed)}.")
    lines.append("")
    return "\n".join(lines)


def to_json(obj: Any) -> Any:
    """NaN and infinities → None, so that the JSON is standard."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): to_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json(v) for v in obj]
    return obj


# --------------------------------------------------------------------------- measuring

class TreeMonitor(threading.Thread):
    """Samples the summed RSS of a process and all its descendants every ``interval`` seconds.

    Keeps the peak of the whole tree and, per process id, the peak of its own subtree (a
    job's Python process with any children it starts) and the CPU time (user + system) its
    subtree has used by the last sample (at most one interval short). Stops the run (SIGTERM to its
    process group, then SIGKILL) when the tree exceeds ``abort_mb`` or the run lasts
    longer than ``timeout_s``, and says why in ``aborted``.
    """

    def __init__(self, pid: int, interval: float = SAMPLE_S, abort_mb: float | None = None,
                 timeout_s: float | None = None):
        super().__init__(daemon=True)
        self.pid, self.interval, self.abort_mb, self.timeout_s = pid, interval, abort_mb, timeout_s
        self.peak_mb = 0.0
        self.subtree_peak_mb: dict[int, float] = {}
        self.subtree_cpu_s: dict[int, float] = {}
        self._cpu_s: dict[int, float] = {}          # each process's own CPU time, last seen
        self._parent: dict[int, int] = {}
        self.aborted: str | None = None
        self._stop_event = threading.Event()
        self._t0 = time.perf_counter()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()

    def sample(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
            procs = [root] + root.children(recursive=True)
        except psutil.Error:
            return
        rss: dict[int, float] = {}
        parent: dict[int, int] = {}
        for p in procs:
            try:
                rss[p.pid] = p.memory_info().rss / MIB
                parent[p.pid] = p.ppid()
                cpu = p.cpu_times()
                self._cpu_s[p.pid] = max(self._cpu_s.get(p.pid, 0.0), cpu.user + cpu.system)
            except psutil.Error:
                continue
        self._parent.update(parent)
        for pid, own in self._cpu_s.items():   # ended processes keep their last CPU time in their ancestors
            if pid in rss:
                below = sum(c for q, c in self._cpu_s.items() if q != pid and self._descends(q, pid))
                self.subtree_cpu_s[pid] = max(self.subtree_cpu_s.get(pid, 0.0), own + below)
        subtree = dict(rss)
        for pid in rss:                     # add each process's RSS to all its ancestors
            up = parent.get(pid)
            while up in subtree and up != pid:
                subtree[up] += rss[pid]
                up = parent.get(up)
        total = sum(rss.values())
        self.peak_mb = max(self.peak_mb, total)
        for pid, mb in subtree.items():
            self.subtree_peak_mb[pid] = max(self.subtree_peak_mb.get(pid, 0.0), mb)
        if self.aborted is None:
            if self.abort_mb and total > self.abort_mb:
                self.aborted = f"process tree exceeded {self.abort_mb / 1024:.1f} GB"
            elif self.timeout_s and time.perf_counter() - self._t0 > self.timeout_s:
                self.aborted = f"longer than the time limit of {self.timeout_s:g} s"
            if self.aborted:
                threading.Thread(target=self._terminate, args=(procs,), daemon=True).start()

    def _descends(self, pid: int, ancestor: int) -> bool:
        """Whether ``pid`` is below ``ancestor`` in the process tree as last seen."""
        up, seen = self._parent.get(pid), set()
        while up is not None and up not in seen:
            if up == ancestor:
                return True
            seen.add(up)
            up = self._parent.get(up)
        return False

    def _terminate(self, procs: list) -> None:
        """SIGTERM to the run's process group; SIGKILL to what is left after 10 s.

        Never waits on (reaps) a process: ``Popen.wait`` in the main thread must collect the
        run's exit status (it reads 0 when another waiter reaped the child first).
        """
        import psutil

        def alive(p) -> bool:
            try:
                return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
            except psutil.Error:
                return False

        try:
            os.killpg(self.pid, signal.SIGTERM)    # the run was started in its own session
        except OSError:
            pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(p) for p in procs):
            time.sleep(0.1)
        for p in procs:
            if alive(p):
                try:
                    p.kill()
                except psutil.Error:
                    pass


def run_monitored(cmd: list[str], log: Path, abort_mb: float | None, timeout_s: float | None
                  ) -> dict[str, Any]:
    """Run ``cmd`` from the project root, output to ``log``; wall time, memory peaks, exit status."""
    with open(log, "w", encoding="utf-8") as out:
        launched = time.time()
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        mon = TreeMonitor(proc.pid, abort_mb=abort_mb, timeout_s=timeout_s)
        mon.start()
        returncode = proc.wait()
        wall = time.perf_counter() - t
        mon.stop()
    return {"launched": launched, "wall_s": wall, "returncode": returncode, "peak_mb": mon.peak_mb,
            "subtree_peak_mb": mon.subtree_peak_mb, "subtree_cpu_s": mon.subtree_cpu_s, "aborted": mon.aborted}


def tool(name: str) -> str:
    """The ``name`` console script beside this Python (the same virtual environment)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise SystemExit(f"bench: {path} not found; run with the project's .venv/bin/python")
    return str(path)


def write_configs(study_src: Path, data: Path, folder: Path, title: str | None = None) -> tuple[Path, Path]:
    """A copy of ``study_src`` reading ``data``, and a config listing only it (seed of config.yaml)."""
    import yaml

    study = yaml.safe_load(study_src.read_text(encoding="utf-8"))
    study["data"]["path"] = str(data.resolve())
    if title:
        study["title"] = title
    study_file = folder / study_src.name
    study_file.write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
    seed = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))["seed"]
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({"studies": [str(study_file)], "seed": seed,
                                      "results_dir": str(folder / "results")}, sort_keys=False),
                      encoding="utf-8")
    return study_file, config


def count_rows(path: Path) -> int:
    """Data rows of a CSV file (lines after the header)."""
    with open(path, "rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b"")) - 1


def measure_run(run: dict[str, Any], study_src: Path, data: Path, folder: Path, cores: int,
                abort_mb: float | None, timeout_s: float | None) -> dict[str, Any]:
    """Run the pipeline on one study file pointed at ``data``; fill ``run`` with the measurements."""
    snakemake = tool("snakemake")
    _, config = write_configs(study_src, data, folder, title=f"Scale benchmark: {run['label']}")
    shutil.rmtree(folder / "results", ignore_errors=True)
    run["rows"] = count_rows(data)
    dot = subprocess.run([snakemake, "--configfile", str(config), "--dag"], cwd=ROOT,
                         capture_output=True, text=True)
    dag = parse_dag(dot.stdout) if dot.returncode == 0 else None
    run["load_average_1min_at_start"] = round(os.getloadavg()[0], 2)
    print(f"bench: {run['label']}: snakemake --cores {cores} ...", flush=True)
    log = folder / "snakemake.log"
    res = run_monitored([snakemake, "--cores", str(cores), "--configfile", str(config)],
                        log, abort_mb, timeout_s)
    run.update(wall_s=res["wall_s"], returncode=res["returncode"], aborted=res["aborted"],
               peak_tree_rss_mb=res["peak_mb"])
    if res["returncode"] != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        print(f"bench: {run['label']}: the run failed "
              f"({res['aborted'] or 'exit status ' + str(res['returncode'])}):\n{tail}", flush=True)
    results = folder / "results"
    stages = collect_stages(results) if results.exists() else {}
    for stage in stages.values():
        if stage.get("pid") in res["subtree_peak_mb"]:
            stage["peak_rss_sampled_mb"] = res["subtree_peak_mb"][stage["pid"]]
        if stage.get("pid") in res.get("subtree_cpu_s", {}):
            stage["cpu_sampled_s"] = res["subtree_cpu_s"][stage["pid"]]
    run["stages"] = stages
    run["sums"] = summarize(stages, res["wall_s"], res["launched"], cores, dag)
    s = run["sums"]
    print(f"bench: {run['label']}: wall {res['wall_s']:.1f} s, peak {res['peak_mb']:.0f} MB, "
          f"jobs {s['jobs_s']:.1f} s, compute {s['compute_s']:.1f} s, overhead {s['overhead_s']:.1f} s",
          flush=True)
    return run


def _bench_factor_machine() -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("bench_factor", Path(__file__).with_name("bench_factor.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.machine()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", help="respondents per run (default 10000 100000 1000000)")
    ap.add_argument("--quick", action="store_true",
                    help=f"development: {QUICK_SIZES[0]:,} only, no ECR, output in {QUICK_OUT.relative_to(ROOT)}/")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--no-ecr", action="store_true", help="skip the open ECR data")
    ap.add_argument("--out", type=Path, help=f"output folder (default {OUT.relative_to(ROOT)})")
    ap.add_argument("--workdir", type=Path, help="keep data and results here (default: a temporary folder, removed)")
    ap.add_argument("--reuse-data", action="store_true",
                    help="with --workdir: use <workdir>/example-N/data/survey.csv when it exists instead of "
                         "simulating it again (the simulation is then not timed)")
    ap.add_argument("--abort-above-gb", type=float,
                    help="stop a run whose process tree exceeds this (default 85%% of the memory; 0 = never)")
    ap.add_argument("--timeout-min", type=float, help="stop a run lasting longer than this")
    args = ap.parse_args(argv)
    import psutil

    sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    out = args.out or (QUICK_OUT if args.quick else OUT)
    abort_gb = 0.85 * psutil.virtual_memory().total / 1024 ** 3 if args.abort_above_gb is None else args.abort_above_gb
    abort_mb = abort_gb * 1024 or None
    timeout_s = args.timeout_min * 60 if args.timeout_min else None
    res: dict[str, Any] = {"machine": _bench_factor_machine(), "cores": args.cores, "sizes": sizes,
                           "sample_interval_s": SAMPLE_S, "abort_above_gb": abort_gb or None,
                           "runs": [], "skipped": []}
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="attachstats-bench-"))
    try:
        for n in sizes:
            folder = workdir / f"example-{n}"
            folder.mkdir(parents=True, exist_ok=True)
            run: dict[str, Any] = {"label": f"example, n = {n:,}", "dataset": "example", "n": n}
            if args.reuse_data and args.workdir and (folder / "data" / "survey.csv").exists():
                print(f"bench: reusing {folder / 'data' / 'survey.csv'} (not simulated again)", flush=True)
                res["runs"].append(measure_run(run, EXAMPLE_STUDY, folder / "data" / "survey.csv", folder,
                                               args.cores, abort_mb, timeout_s))
                continue
            print(f"bench: simulating {n:,} respondents ...", flush=True)
            sim = run_monitored([tool("attachstats"), "simulate", "--config", str(SIM_CONFIG), "--n", str(n),
                                 "--out", str(folder / "data")], folder / "simulate.log", abort_mb, timeout_s)
            if sim["returncode"] != 0:
                print((folder / "simulate.log").read_text()[-3000:])
                run.update(returncode=sim["returncode"], aborted=sim["aborted"] or "simulation failed",
                           wall_s=None, peak_tree_rss_mb=None, stages={})
                res["runs"].append(run)
                continue
            run.update(simulate_s=sim["wall_s"], simulate_peak_mb=sim["peak_mb"])
            res["runs"].append(measure_run(run, EXAMPLE_STUDY, folder / "data" / "survey.csv", folder,
                                           args.cores, abort_mb, timeout_s))
        if args.quick or args.no_ecr:
            res["skipped"].append("the open ECR data (--quick / --no-ecr)")
        elif not ECR_DATA.exists():
            msg = f"the open ECR data: not found at {ECR_DATA}"
            print(f"bench: skipped {msg}")
            res["skipped"].append(msg)
        else:
            folder = workdir / "ecr-open"
            folder.mkdir(parents=True, exist_ok=True)
            run = {"label": "open ECR data (full file)", "dataset": "ecr-open",
                   "description": f"`config/studies/ecr-open.yaml` on the full file `{ECR_DATA.name}` "
                                  f"of ../shared/data/{ECR_DATA.parent.name}."}
            measure_run(run, ECR_STUDY, ECR_DATA, folder, args.cores, abort_mb, timeout_s)
            run["n"] = run["rows"]
            run["description"] += f" {run['rows']:,} rows."
            res["runs"].append(run)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    res["targets"] = verdicts(res["runs"])
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps(to_json(res), indent=2) + "\n", encoding="utf-8")
    (out / "scale.md").write_text(markdown(res), encoding="utf-8")
    print(f"bench: wrote {out / 'scale.json'} and {out / 'scale.md'}")
    for v in res["targets"]:
        print(f"bench: {v['target']}: {v['measured']} — {v['verdict']}")
    failed = [r["label"] for r in res["runs"] if r.get("returncode") != 0 or r.get("aborted")]
    if failed:
        print(f"bench: runs that did not finish: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
