"""Benchmark of the factor analysis on the full open ECR data (``make bench``; not a test).

Times, on the 46,610 complete rows × 36 items of ``../shared/data/ecr-openpsychometrics``
(beside the clone):

1. the two-factor ML CFA with all fit statistics (``attachstats.stats.latent.cfa.fit_cfa``);
2. the same with estimator MLR (sandwich SEs, scaled χ², robust CFI/TLI/RMSEA);
3. parallel analysis (factor eigenvalues, 20 simulated data sets, 95th percentile);

and, when ``Rscript`` with lavaan and psych is installed, the same three in R in the same
run (``lavaan::cfa`` + ``fitMeasures``, ``estimator = "MLR"``, ``psych::fa.parallel`` on the
correlation matrix with ``n.obs``, so that it simulates but does not also resample). Each
step is timed ``--repeat`` times after one warm-up call (imports and first-call costs
excluded); the median is reported. Writes ``benchmarks/latest/factor.json`` and
``factor.md`` (numbers, ratios R / Python and the machine). Skips with a message when the
data are absent.

    python benchmarks/bench_factor.py [--repeat 3] [--no-r]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "ecr-openpsychometrics" / "data.csv"
OUT = ROOT / "benchmarks" / "latest"
Q = [f"Q{i}" for i in range(1, 37)]
REVERSED = [f"Q{i}" for i in (3, 15, 19, 22, 25, 27, 29, 31, 33, 35)]

R_SCRIPT = r"""
suppressPackageStartupMessages({library(lavaan); library(psych)})
args <- commandArgs(trailingOnly = TRUE)
x <- read.csv(args[1]); reps <- as.integer(args[2]); reps_mlr <- as.integer(args[3])
q <- paste0("Q", 1:36)
m <- paste("avoidance =~", paste(q[seq(1, 36, 2)], collapse = " + "), "\nanxiety =~",
           paste(q[seq(2, 36, 2)], collapse = " + "))
timed <- function(f, reps) { f(); sapply(seq_len(reps), function(i) system.time(f())[["elapsed"]]) }
ml <- timed(function() fitMeasures(cfa(m, data = x)), reps)
mlr <- timed(function() fitMeasures(cfa(m, data = x, estimator = "MLR")), reps_mlr)
r <- cor(x); n <- nrow(x)
set.seed(1)
pa <- timed(function() fa.parallel(r, n.obs = n, fa = "fa", n.iter = 20, plot = FALSE), reps)
fit <- cfa(m, data = x)
cat(jsonlite::toJSON(list(ml = ml, mlr = mlr, parallel = pa,
    chisq = unname(fitMeasures(fit, "chisq")), n = n,
    versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
                    psych = as.character(packageVersion("psych")))), auto_unbox = TRUE, digits = 10))
"""


def machine() -> dict:
    import numpy as np
    import scipy

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 ** 2:.0f} GB"
    except (OSError, ValueError, IndexError):
        pass
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "os": platform.platform(),
            "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
            "load_average_1min_at_start": round(load, 2)}


def median_time(f, repeat: int) -> tuple[float, list[float]]:
    f()                                                   # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-r", action="store_true", help="do not run the R comparison")
    args = ap.parse_args(argv)
    if not DATA.exists():
        print(f"bench: skipped: the open ECR data are not at {DATA}")
        return 0
    import numpy as np
    import pandas as pd

    from attachstats.stats.latent.cfa import fit_cfa
    from attachstats.stats.latent.syntax import build_model_syntax
    from attachstats.stats.efa import correlation_matrix, parallel_analysis

    raw = pd.read_csv(DATA, usecols=Q)
    x = raw.replace(0, np.nan).astype(float)
    x[REVERSED] = 6 - x[REVERSED]
    x = x.dropna().reset_index(drop=True)
    syntax = build_model_syntax({"avoidance": Q[0::2], "anxiety": Q[1::2]})
    print(f"bench: {len(x):,} complete rows x {x.shape[1]} items")
    res: dict = {"n": len(x), "machine": machine(), "python": {}, "r": None}
    steps = {"ml": lambda: fit_cfa(x, syntax, "two_factor"),
             "mlr": lambda: fit_cfa(x, syntax, "two_factor", estimator="MLR"),
             "parallel": lambda: parallel_analysis(*correlation_matrix(x), n_iter=20, seed=1)}
    for name, f in steps.items():
        med, times = median_time(f, args.repeat)
        res["python"][name] = {"median_s": med, "times_s": times}
        print(f"bench: attachstats {name:9s} {med:8.3f} s (median of {args.repeat})")
    res["python"]["chi2"] = fit_cfa(x, syntax, "two_factor").fit["chi2"]

    if not args.no_r and shutil.which("Rscript"):
        ok = subprocess.run(["Rscript", "-e", "library(lavaan); library(psych); library(jsonlite)"],
                            capture_output=True).returncode == 0
        if ok:
            with tempfile.TemporaryDirectory() as tmp:
                csv = Path(tmp) / "x.csv"
                x.to_csv(csv, index=False)
                script = Path(tmp) / "bench.R"
                script.write_text(R_SCRIPT)
                print("bench: running lavaan/psych (MLR takes about a minute) ...")
                out = subprocess.run(["Rscript", str(script), str(csv), str(args.repeat), "1"],
                                     capture_output=True, text=True)
            if out.returncode == 0:
                r = json.loads(out.stdout.strip().splitlines()[-1])
                res["r"] = {k: {"median_s": statistics.median(_list(r[k])), "times_s": _list(r[k])}
                            for k in ("ml", "mlr", "parallel")}
                res["r"]["chi2"] = r["chisq"]
                res["r"]["versions"] = r["versions"]
                for k in ("ml", "mlr", "parallel"):
                    ratio = res["r"][k]["median_s"] / res["python"][k]["median_s"]
                    res.setdefault("ratio_r_over_python", {})[k] = ratio
                    print(f"bench: R {k:9s} {res['r'][k]['median_s']:8.3f} s   ratio R/attachstats {ratio:6.1f}")
            else:
                print("bench: the R comparison failed:\n" + out.stderr[-2000:])
        else:
            print("bench: R comparison skipped: lavaan, psych or jsonlite not installed")
    else:
        print("bench: R comparison skipped (no Rscript or --no-r)")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "factor.json").write_text(json.dumps(res, indent=2) + "\n")
    (OUT / "factor.md").write_text(markdown(res))
    print(f"bench: wrote {OUT / 'factor.json'} and {OUT / 'factor.md'}")
    return 0


def _list(v) -> list[float]:
    return [float(t) for t in (v if isinstance(v, list) else [v])]


def markdown(res: dict) -> str:
    m = res["machine"]
    lines = [f"# Factor-analysis benchmark (open ECR data, {res['n']:,} rows × 36 items)", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}; {m['os']}; Python {m['python']}, "
             f"numpy {m['numpy']}, scipy {m['scipy']}; 1-minute load average at start "
             f"{m['load_average_1min_at_start']}.", ""]
    r = res.get("r")
    if r:
        lines.append(f"R: {r['versions']['R']}, lavaan {r['versions']['lavaan']}, psych {r['versions']['psych']}.")
        lines.append("")
    lines += ["| step | attachstats (s) | R (s) | R / attachstats |", "|---|---:|---:|---:|"]
    label = {"ml": "two-factor ML CFA + all fit statistics", "mlr": "same, estimator MLR",
             "parallel": "parallel analysis (20 data sets, factor eigenvalues)"}
    for k in ("ml", "mlr", "parallel"):
        py = res["python"][k]["median_s"]
        rs = f"{r[k]['median_s']:.2f}" if r else "n/a"
        ratio = f"{res['ratio_r_over_python'][k]:.1f}" if r else "n/a"
        lines.append(f"| {label[k]} | {py:.2f} | {rs} | {ratio} |")
    lines += ["", f"χ² of the two-factor model: attachstats {res['python']['chi2']:.1f}"
              + (f", lavaan {r['chi2']:.1f}" if r else ""), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
