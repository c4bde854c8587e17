"""Iteration benchmark: how long a researcher waits after editing a study (``make bench-iterate``).

For the example study (``config/studies/example.yaml`` on ``data/example/survey.csv``) and for
two versions of the code side by side in the same run — the current working tree and a
previous commit (``--base``, default ``main``; checked out with ``git worktree add --detach``
into a temporary folder and run with ``PYTHONPATH`` at that checkout's ``src``) — it times
four Snakemake runs (wall time and the CPU time of the whole process tree), each from the version's own ``Snakefile`` in a private working folder
(``--directory``, a copy of the study file, results there):

1. **cold**: no results yet;
2. **no-op**: the same again (nothing to do);
3. **screening change**: ``screening.min_seconds_per_item`` 2.0 → 2.5 in the study copy
   (validation and everything after it reruns);
4. **model change**: the first outcome model loses its ``age`` covariate (the model rules
   and their readers rerun).

The two versions take turns at each scenario (previous, current), so load that changes
during the run hits both alike; ``--repeat N`` runs the whole sequence N times and reports the
median. Each run's wall time, the number of jobs Snakemake ran and, for the cold run, the
per-rule table from the Snakemake benchmark files (job seconds, peak memory, and the start-up
/ import / compute split that ``attachstats.runner.run_step`` logs) are written to
``iterate.json`` and ``iterate.md`` in ``benchmarks/latest/`` (``--out``), with the machine and
its load. ``--make-test`` also times ``make test`` once (current version only; wall and CPU time,
test counts, exit status; with ``VENV=`` this Python's environment and ``PYTHONPATH`` at ``src``).

    python benchmarks/bench_iterate.py [--base main] [--cores 2] [--repeat 1] [--make-test]

On a shared machine absolute times are inflated; the ratios between the versions are the
comparison to trust, and the targets (cold ≤ 30 s, no-op ≤ 3 s, screening change ≤ 30 s on a
quiet 2-core machine) are judged from the current version's median.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "latest"
STUDY = Path("config") / "studies" / "example.yaml"
DATA = Path("data") / "example" / "survey.csv"
SCENARIOS = ("cold", "no-op", "screening change", "model change")
TARGETS = {"cold": 30.0, "no-op": 3.0, "screening change": 30.0}
MAKE_TEST_TARGET = 600.0   # `make test` ≤ 10 min on the same machine


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# --------------------------------------------------------------------------- pure parts

def jobs_run(log: str) -> int:
    """Jobs Snakemake ran, from its log: the last ``N of M steps`` line (0 if none).

    >>> jobs_run("1 of 3 steps (33%) done\\n3 of 3 steps (100%) done")
    3
    >>> jobs_run("Nothing to be done (all requested files are present and up to date).")
    0
    """
    done = re.findall(r"^(\d+) of \d+ steps? \(", log, flags=re.M)
    return int(done[-1]) if done else 0


def edit_study(study: dict[str, Any], scenario: str) -> dict[str, Any]:
    """The study as the scenario leaves it (a copy; cold and no-op leave it unchanged).

    >>> s = {"screening": {"min_seconds_per_item": 2.0}, "outcome_models": [{"covariates": ["age", "gender"]}]}
    >>> edit_study(s, "screening change")["screening"]["min_seconds_per_item"]
    2.5
    >>> edit_study(s, "model change")["outcome_models"][0]["covariates"]
    ['gender']
    """
    out = json.loads(json.dumps(study))
    if scenario in ("screening change", "model change"):
        out["screening"]["min_seconds_per_item"] = float(study["screening"]["min_seconds_per_item"]) + 0.5
    if scenario == "model change":
        first = out["outcome_models"][0]
        first["covariates"] = [c for c in first.get("covariates", []) if c != "age"]
    return out


def median_or_none(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summary_rows(res: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per scenario: median wall and jobs of each version, ratio, target verdict."""
    rows = []
    for sc in SCENARIOS:
        row: dict[str, Any] = {"scenario": sc}
        for version in ("previous", "current"):
            runs = [r for r in res["runs"] if r["scenario"] == sc and r["version"] == version]
            ok = [r for r in runs if r["returncode"] == 0]
            row[f"{version}_s"] = median_or_none([r["wall_s"] for r in ok])
            row[f"{version}_cpu_s"] = median_or_none([r["cpu_s"] for r in ok if r.get("cpu_s") is not None])
            row[f"{version}_jobs"] = ok[-1]["jobs"] if ok else None
            row[f"{version}_failed"] = len(runs) - len(ok)
        p, c = row["previous_s"], row["current_s"]
        row["speedup"] = p / c if p and c else None
        pc, cc = row["previous_cpu_s"], row["current_cpu_s"]
        row["cpu_ratio"] = pc / cc if pc and cc else None
        target = TARGETS.get(sc)
        row["target_s"] = target
        row["verdict"] = (None if target is None or c is None else ("met" if c <= target else "not met"))
        rows.append(row)
    return rows


def _f(x: float | None, spec: str = ".1f") -> str:
    return "n/a" if x is None else format(x, spec)


def markdown(res: dict[str, Any]) -> str:
    """``iterate.md`` from the measurement dict (as written to ``iterate.json``)."""
    m = res["machine"]
    lines = ["# Iteration benchmark: the example study, current code against a previous version", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}; {m['os']}; Python {m['python']}. "
             f"Snakemake with `--cores {res['cores']}`; 1-minute load average {res['load_start']:.1f} at the start, "
             f"{res['load_end']:.1f} at the end. Previous version: `{res['base']}` = {res['base_commit'][:10]}; "
             f"current: {res['current_commit'][:10]}{' with uncommitted changes' if res['current_dirty'] else ''}. "
             f"Median of {res['repeat']} run(s) each.", "",
             "| scenario | previous: wall s | previous: jobs | current: wall s | current: jobs | wall ratio "
             "| previous: CPU s | current: CPU s | CPU ratio | target (quiet machine) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|:---|"]
    for row in res["summary"]:
        target = "–" if row["target_s"] is None else f"≤ {row['target_s']:g} s: {row['verdict'] or 'n/a'}"
        lines.append(f"| {row['scenario']} | {_f(row['previous_s'])} | {_f(row['previous_jobs'], 'd') if row['previous_jobs'] is not None else 'n/a'} "
                     f"| {_f(row['current_s'])} | {_f(row['current_jobs'], 'd') if row['current_jobs'] is not None else 'n/a'} "
                     f"| {'×' + _f(row['speedup'], '.2f') if row['speedup'] else 'n/a'} "
                     f"| {_f(row.get('previous_cpu_s'))} | {_f(row.get('current_cpu_s'))} "
                     f"| {'×' + _f(row['cpu_ratio'], '.2f') if row.get('cpu_ratio') else 'n/a'} | {target} |")
    if res.get("make_test"):
        mt = res["make_test"]
        tests = ", ".join(f"{n} {kind}" for kind, n in mt.get("tests", {}).items()) or "no pytest summary"
        lines += ["", f"`make test` (current version, `{mt.get('command', 'make test')}`): "
                      f"{mt['wall_s']:.0f} s wall ({mt['wall_s'] / 60:.1f} min), "
                      f"{_f(mt.get('cpu_s'), '.0f')} s CPU; {tests}; exit status {mt['returncode']}; "
                      f"1-minute load average {_f(mt.get('load_start'))} → {_f(mt.get('load_end'))}; "
                      f"target ≤ {mt.get('target_s', MAKE_TEST_TARGET) / 60:g} min (quiet machine): "
                      f"{mt.get('verdict', 'n/a')}."]
    lines += ["", "## Per stage, cold run", "",
              "Job seconds (Snakemake's benchmark file) and, from the timing line of `run_step`, the "
              "part before the step (interpreter, Snakemake's script preamble, module imports), "
              "first-time imports inside the step, and the step's own compute.", "",
              "| stage | previous: job s | current: job s | current: start-up s | current: imports s "
              "| current: compute s | current: MB |", "|---|---:|---:|---:|---:|---:|---:|"]
    stages = res.get("stages", {})
    prev, cur = stages.get("previous", {}), stages.get("current", {})
    for rule in sorted(set(prev) | set(cur), key=lambda r: -(cur.get(r, {}).get("job_s") or 0)):
        p, c = prev.get(rule, {}), cur.get(rule, {})
        lines.append(f"| `{rule}` | {_f(p.get('job_s'))} | {_f(c.get('job_s'))} | {_f(c.get('startup_s'))} "
                     f"| {_f(c.get('import_s'))} | {_f(c.get('compute_s'))} | {_f(c.get('max_rss_mb'), '.0f')} |")
    for label, key in (("**sum of job times**", "job_s"), ("**sum of start-up + imports**", None)):
        def total(st: dict) -> float:
            if key:
                return sum(s.get(key) or 0 for s in st.values())
            return sum((s.get("startup_s") or 0) + (s.get("import_s") or 0) for s in st.values())
        lines.append(f"| {label} | {_f(total(prev)) if prev else 'n/a'} | {_f(total(cur)) if cur else 'n/a'} "
                     "| | | | |")
    lines += ["", "Notes", "",
              "- Wall time is the whole `snakemake` command: parsing the workflow, planning, the jobs, "
              "and Snakemake's bookkeeping. CPU time is user + system time of Snakemake and every job "
              "(`getrusage` of the finished process tree): less sensitive to other load on the machine "
              "than wall time, so the CPU ratio is the steadier comparison.",
              "- On a machine shared with other work the absolute times are inflated and noisy; the two "
              "versions take turns at each scenario so the ratio is the fairer comparison. Re-measure "
              "on a quiet machine with `make bench-iterate`.", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- measuring

def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


class Version:
    """One version of the code: its root (Snakefile, src/, config/) and a private working folder."""

    def __init__(self, name: str, root: Path, work: Path) -> None:
        self.name, self.root, self.work = name, root, work
        self.work.mkdir(parents=True, exist_ok=True)
        import yaml

        self.study = yaml.safe_load((root / STUDY).read_text(encoding="utf-8"))
        self.study["data"]["path"] = str((root / DATA).resolve())
        seed = yaml.safe_load((root / "config" / "config.yaml").read_text(encoding="utf-8"))["seed"]
        (work / "config.yaml").write_text(yaml.safe_dump({"studies": [str(work / "example.yaml")], "seed": seed,
                                                          "results_dir": str(work / "results")}, sort_keys=False),
                                          encoding="utf-8")

    def write_study(self, scenario: str) -> None:
        import yaml

        (self.work / "example.yaml").write_text(yaml.safe_dump(edit_study(self.study, scenario), sort_keys=False),
                                                encoding="utf-8")

    def run(self, scenario: str, cores: int, snakemake: str) -> dict[str, Any]:
        if scenario == "cold":
            shutil.rmtree(self.work / "results", ignore_errors=True)
            shutil.rmtree(self.work / ".snakemake", ignore_errors=True)
        self.write_study(scenario)
        env = {**os.environ, "PYTHONPATH": str(self.root / "src"), "MPLBACKEND": "Agg"}
        cmd = [snakemake, "-s", str(self.root / "Snakefile"), "--directory", str(self.work),
               "--configfile", str(self.work / "config.yaml"), "--cores", str(cores)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=self.work)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        log = proc.stdout + proc.stderr
        (self.work / f"snakemake-{scenario.replace(' ', '-')}.log").write_text(log, encoding="utf-8")
        if proc.returncode != 0:
            print(f"bench: {self.name}, {scenario}: snakemake failed (exit {proc.returncode}):\n{log[-3000:]}",
                  flush=True)
        return {"version": self.name, "scenario": scenario, "wall_s": wall, "cpu_s": cpu, "returncode": proc.returncode,
                "jobs": jobs_run(log), "load_1min": round(os.getloadavg()[0], 2)}


def pytest_counts(output: str) -> dict[str, int]:
    """Test counts from pytest's last summary line (``passed``, ``failed``, ``skipped``, …).

    >>> pytest_counts("...\\n==== 612 passed, 7 skipped, 2 warnings in 501.20s (0:08:21) ====\\n")
    {'passed': 612, 'skipped': 7, 'warnings': 2}
    >>> pytest_counts("make: *** No rule to make target 'test'.")
    {}
    """
    lines = [line for line in output.splitlines() if re.search(r"\bin [\d.]+s\b", line) and "=" in line]
    if not lines:
        return {}
    counts = {}
    for n, kind in re.findall(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected|warnings?)",
                              lines[-1]):
        counts[{"error": "errors", "warning": "warnings"}.get(kind, kind)] = int(n)
    return counts


def make_test_command(root: Path = ROOT) -> list[str]:
    """``make test``; run from another virtual environment than the checkout's own ``.venv`` (a git
    worktree using a shared one), with that environment as is: ``VENV=<it> STAMP=`` (an empty
    stamp skips the install step, which would otherwise reinstall the package into it)."""
    cmd = ["make", "test"]
    if sys.prefix != sys.base_prefix and Path(sys.prefix).resolve() != (root / ".venv").resolve():
        cmd += [f"VENV={sys.prefix}", "STAMP="]
    return cmd


def time_make_test(command: list[str] | None = None, cwd: Path = ROOT) -> dict[str, Any]:
    """Wall and process-tree CPU time of ``make test`` (``command``) in ``cwd``, its exit status, the
    test counts and the load, with the current version's source first on ``PYTHONPATH``."""
    command = command or make_test_command()
    env = {**os.environ, "PYTHONPATH": str(cwd / "src"), "MPLBACKEND": "Agg"}
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = proc.stdout + proc.stderr
    return {"command": " ".join(command), "wall_s": wall,
            "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "returncode": proc.returncode, "tests": pytest_counts(out), "target_s": MAKE_TEST_TARGET,
            "verdict": "met" if proc.returncode == 0 and wall <= MAKE_TEST_TARGET else "not met",
            "load_start": load, "load_end": os.getloadavg()[0], "tail": out[-600:]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="main", help="previous version: a commit or branch (default main)")
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="run the sequence this many times; medians reported")
    ap.add_argument("--out", type=Path, default=OUT, help="output folder (default benchmarks/latest)")
    ap.add_argument("--make-test", action="store_true", help="also time `make test` (current version)")
    ap.add_argument("--keep", type=Path, help="keep the working folders here (default: a temporary folder)")
    args = ap.parse_args(argv)
    bench_scale = _load("bench_scale")
    snakemake = bench_scale.tool("snakemake")
    base_commit = git("rev-parse", args.base)
    work = args.keep or Path(tempfile.mkdtemp(prefix="attachstats-iterate-"))
    checkout = work / "previous-code"
    res: dict[str, Any] = {"machine": _load("bench_factor").machine(), "cores": args.cores, "repeat": args.repeat,
                           "base": args.base, "base_commit": base_commit, "current_commit": git("rev-parse", "HEAD"),
                           "current_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
                           "load_start": os.getloadavg()[0], "runs": []}
    git("worktree", "add", "--detach", str(checkout), base_commit)
    try:
        versions = [Version("previous", checkout, work / "previous"), Version("current", ROOT, work / "current")]
        for rep in range(args.repeat):
            for scenario in SCENARIOS:
                for v in versions:
                    print(f"bench: run {rep + 1}/{args.repeat}, {scenario}, {v.name} ...", flush=True)
                    r = v.run(scenario, args.cores, snakemake)
                    r["repeat"] = rep
                    print(f"bench:   {r['wall_s']:.1f} s, {r['jobs']} jobs", flush=True)
                    res["runs"].append(r)
                    if scenario == "cold" and rep == args.repeat - 1 and r["returncode"] == 0:
                        res.setdefault("stages", {})[v.name] = {
                            rule: {k: s.get(k) for k in ("job_s", "max_rss_mb", "startup_s", "import_s", "compute_s")}
                            for rule, s in bench_scale.collect_stages(v.work / "results").items()}
        if args.make_test:
            print("bench: make test ...", flush=True)
            res["make_test"] = time_make_test()
            mt = res["make_test"]
            print(f"bench:   make test: {mt['wall_s']:.0f} s, exit {mt['returncode']}, {mt['tests']}", flush=True)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(checkout)], cwd=ROOT, capture_output=True)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    res["load_end"] = os.getloadavg()[0]
    res["summary"] = summary_rows(res)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "iterate.json").write_text(json.dumps(bench_scale.to_json(res), indent=2) + "\n", encoding="utf-8")
    (args.out / "iterate.md").write_text(markdown(res), encoding="utf-8")
    print(f"bench: wrote {args.out / 'iterate.json'} and {args.out / 'iterate.md'}")
    for row in res["summary"]:
        print(f"bench: {row['scenario']}: previous {_f(row['previous_s'])} s, current {_f(row['current_s'])} s"
              + (f" (×{row['speedup']:.2f})" if row["speedup"] else ""))
    failed = any(r["returncode"] != 0 for r in res["runs"]) or res.get("make_test", {}).get("returncode", 0) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
