"""Benchmark of the ordinal (WLSMV) CFA on the full open ECR data against lavaan (``make bench``; not a test).

Times, on the 46,610 complete rows × 36 items of ``../shared/data/ecr-openpsychometrics``
(beside the clone), the two-factor model (avoidance = odd items, anxiety = even items) with
every item declared ordered:

- attachstats: ``fit_ordinal_cfa`` — thresholds, polychoric correlations and their NACOV
  from the raw responses, DWLS estimates, robust SEs, the scaled-shifted test and all fit
  measures (everything from the data frame on);
- lavaan, in the same run, when ``Rscript`` with lavaan and jsonlite is installed:
  ``fitMeasures(cfa(model, data, ordered = TRUE, estimator = "WLSMV"))`` (its defaults:
  robust.sem SEs, scaled.shifted test), also from the data frame on;
- the four ordinal invariance steps by gender (1 and 2; the 604 complete rows with gender 0
  or 3 are left out) with their χ² difference tests: ``ordinal_invariance_steps``
  (polychorics per group once, then configural, thresholds, metric, scalar) and
  ``wlsmv_lrt`` of the four against, with semTools, ``measEq.syntax`` + ``cfa(..., group =
  "gender", estimator = "WLSMV")`` per step and ``lavTestLRT`` of the four (lavaan's
  satorra.2000 default; timed once, no warm-up: about ten minutes).

Each is timed ``--repeat`` times after one warm-up call (imports and first-call costs
excluded); the median is reported, with the ratio lavaan / attachstats from the same run.
Writes ``benchmarks/latest/ordinal.json`` and ``ordinal.md`` (numbers, ratio, machine,
and the χ² and robust CFI of both, which must agree). Skips with a message when the data
are absent, and runs without the R half when Rscript, lavaan or jsonlite is missing.

    python benchmarks/bench_ordinal.py [--repeat 3] [--r-repeat 1] [--no-r] [--no-invariance]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_factor import DATA, OUT, REVERSED, Q, machine, median_time

R_SCRIPT = r"""
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
x <- read.csv(args[1]); reps <- as.integer(args[2])
q <- paste0("Q", 1:36)
m <- paste("avoidance =~", paste(q[seq(1, 36, 2)], collapse = " + "), "\nanxiety =~",
           paste(q[seq(2, 36, 2)], collapse = " + "))
run <- function() fitMeasures(cfa(m[1], data = x[, q], ordered = TRUE, estimator = "WLSMV"))
fm <- run()
times <- sapply(seq_len(reps), function(i) system.time(run())[["elapsed"]])
inv <- list(times = NULL, chisq = NULL)
if (as.integer(args[3]) > 0) {
  suppressPackageStartupMessages(library(semTools))
  xg <- x[x$gender %in% c(1, 2), c(q, "gender")]
  steps <- list(configural = "configural", thresholds = "thresholds",
                metric = c("thresholds", "loadings"), scalar = c("thresholds", "loadings", "intercepts"))
  chis <- c()
  fits <- list()
  t_inv <- system.time({
    for (st in names(steps)) {
      s <- measEq.syntax(m, data = xg, ordered = q, parameterization = "delta", ID.fac = "std.lv",
                         ID.cat = "Wu.Estabrook.2016", group = "gender", group.equal = steps[[st]])
      fits[[st]] <- cfa(as.character(s), data = xg, ordered = q, group = "gender",
                        parameterization = "delta", estimator = "WLSMV")
      chis[st] <- fitMeasures(fits[[st]], "chisq.scaled")
    }
    lrt <- lavTestLRT(fits$configural, fits$thresholds, fits$metric, fits$scalar)
  })[["elapsed"]]
  inv <- list(times = t_inv, chisq_scaled = as.list(chis), n = nrow(xg),
              chisq_diff = lrt[["Chisq diff"]][-1])
}
cat(jsonlite::toJSON(list(times = times, chisq = unname(fm["chisq"]),
    chisq_scaled = unname(fm["chisq.scaled"]), cfi_robust = unname(fm["cfi.robust"]), n = nrow(x),
    invariance = inv,
    versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")))),
    auto_unbox = TRUE, digits = 12))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed attachstats calls (median)")
    ap.add_argument("--r-repeat", type=int, default=1, help="timed lavaan calls after its warm-up")
    ap.add_argument("--no-r", action="store_true", help="do not run the lavaan comparison")
    ap.add_argument("--no-invariance", action="store_true", help="skip the multigroup invariance steps")
    args = ap.parse_args(argv)
    if not DATA.exists():
        print(f"bench_ordinal: skipped: the open ECR data are not at {DATA}")
        return 0
    import numpy as np
    import pandas as pd

    from attachstats.stats.latent.comparison import wlsmv_lrt
    from attachstats.stats.latent.ordinal import fit_ordinal_cfa
    from attachstats.stats.latent.ordinal_invariance import ordinal_invariance_steps

    raw = pd.read_csv(DATA, usecols=[*Q, "gender"])
    x = raw[Q].replace(0, np.nan).astype(float)
    x[REVERSED] = 6 - x[REVERSED]
    x["gender"] = raw["gender"]
    x = x.dropna().reset_index(drop=True).astype(int)
    # invariance by gender: 1 (male) and 2 (female); 0 (not answered) and 3 (other) are left out
    xg = x[x["gender"].isin([1, 2])]
    syntax = ("avoidance =~ " + " + ".join(Q[0::2]) + "\nanxiety =~ " + " + ".join(Q[1::2]))
    print(f"bench_ordinal: {len(x):,} complete rows x {len(Q)} ordered items")
    res: dict = {"n": len(x), "machine": machine(), "python": {}, "r": None}
    items = x[Q]
    med, times = median_time(lambda: fit_ordinal_cfa(syntax, items, name="two_factor"), args.repeat)
    fit = fit_ordinal_cfa(syntax, items, name="two_factor").fit
    res["python"] = {"median_s": med, "times_s": times, "chisq": fit["chisq"],
                     "chisq_scaled": fit["chisq.scaled"], "cfi_robust": fit["cfi.robust"]}
    print(f"bench_ordinal: attachstats WLSMV {med:8.3f} s (median of {args.repeat})")
    if not args.no_invariance:
        def invariance() -> tuple[dict, object]:
            fitted = ordinal_invariance_steps(syntax, xg, "gender")
            return fitted, wlsmv_lrt(fitted)

        med_i, times_i = median_time(invariance, args.repeat)
        steps, lrt = invariance()
        res["python"]["invariance"] = {"median_s": med_i, "times_s": times_i, "n": len(xg),
                                       "chisq_scaled": {k: v.fit["chisq.scaled"] for k, v in steps.items()},
                                       "chisq_diff": [float(v) for v in lrt["chisq_diff"].iloc[1:]]}
        print(f"bench_ordinal: attachstats invariance (4 steps + difference tests) {med_i:8.3f} s "
              f"(median of {args.repeat})")

    if not args.no_r and shutil.which("Rscript"):
        ok = subprocess.run(["Rscript", "-e", "library(lavaan); library(jsonlite)"],
                            capture_output=True, check=False).returncode == 0
        if ok:
            with tempfile.TemporaryDirectory() as tmp:
                csv = Path(tmp) / "x.csv"
                x.to_csv(csv, index=False)
                script = Path(tmp) / "bench.R"
                script.write_text(R_SCRIPT)
                print("bench_ordinal: running lavaan WLSMV (about a minute per fit) ...")
                out = subprocess.run(["Rscript", str(script), str(csv), str(args.r_repeat),
                                      "0" if args.no_invariance else "1"],
                                     capture_output=True, text=True, check=False)
            if out.returncode == 0:
                r = json.loads(out.stdout.strip().splitlines()[-1])
                t = [float(v) for v in (r["times"] if isinstance(r["times"], list) else [r["times"]])]
                res["r"] = {"median_s": statistics.median(t), "times_s": t, "chisq": r["chisq"],
                            "chisq_scaled": r["chisq_scaled"], "cfi_robust": r["cfi_robust"],
                            "versions": r["versions"]}
                res["ratio_r_over_python"] = res["r"]["median_s"] / med
                print(f"bench_ordinal: lavaan WLSMV {res['r']['median_s']:8.3f} s   ratio lavaan/attachstats "
                      f"{res['ratio_r_over_python']:6.1f}")
                if r["invariance"].get("times") is not None and "invariance" in res["python"]:
                    ti = float(r["invariance"]["times"])
                    res["r"]["invariance"] = {"time_s": ti, "chisq_scaled": r["invariance"]["chisq_scaled"],
                                              "n": r["invariance"]["n"],
                                              "chisq_diff": r["invariance"].get("chisq_diff")}
                    res["ratio_invariance"] = ti / res["python"]["invariance"]["median_s"]
                    print(f"bench_ordinal: lavaan invariance (4 steps) {ti:8.3f} s   ratio "
                          f"{res['ratio_invariance']:6.1f}")
            else:
                print("bench_ordinal: the lavaan comparison failed:\n" + out.stderr[-2000:])
        else:
            print("bench_ordinal: lavaan comparison skipped: lavaan or jsonlite not installed")
    else:
        print("bench_ordinal: lavaan comparison skipped (no Rscript or --no-r)")
    try:
        res["machine"]["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    except OSError:
        pass
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ordinal.json").write_text(json.dumps(res, indent=2) + "\n")
    (OUT / "ordinal.md").write_text(markdown(res))
    print(f"bench_ordinal: wrote {OUT / 'ordinal.json'} and {OUT / 'ordinal.md'}")
    return 0


def markdown(res: dict) -> str:
    m, py, r = res["machine"], res["python"], res.get("r")
    lines = [f"# Ordinal (WLSMV) CFA benchmark (open ECR data, {res['n']:,} rows × 36 ordered items)", "",
             (f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}; {m['os']}; Python {m['python']}, "
             f"numpy {m['numpy']}, scipy {m['scipy']}; 1-minute load average at start "
             f"{m['load_average_1min_at_start']}, at the end {m.get('load_average_1min_at_end', 'n/a')}."), ""]
    if r:
        lines += [f"R: {r['versions']['R']}, lavaan {r['versions']['lavaan']}.", ""]
    lines += ["| step | attachstats (s) | lavaan (s) | lavaan / attachstats |", "|---|---:|---:|---:|",
              f"| two-factor WLSMV CFA from the raw responses (thresholds, polychorics, NACOV, DWLS, "
              f"robust SEs, scaled-shifted test, all fit measures) | {py['median_s']:.2f} | "
              + (f"{r['median_s']:.2f} | {res['ratio_r_over_python']:.1f} |" if r else "n/a | n/a |")]
    inv = py.get("invariance")
    if inv:
        ri = (r or {}).get("invariance")
        lines.append(f"| ordinal invariance by gender ({inv['n']:,} rows, 2 groups): configural, thresholds, "
                     f"metric, scalar (semTools measEq.syntax conventions) and the scaled-shifted χ² difference "
                     f"tests (lavaan: one measEq.syntax + cfa per step, then lavTestLRT; timed once) | "
                     f"{inv['median_s']:.2f} | "
                     + (f"{ri['time_s']:.2f} | {res['ratio_invariance']:.1f} |" if ri else "n/a | n/a |"))
        lines += ["", "Scaled-shifted χ² per step: " + "; ".join(
            f"{k} {v:.2f}" + (f" (lavaan {ri['chisq_scaled'][k]:.2f})" if ri else "")
            for k, v in inv["chisq_scaled"].items()) + "."]
        if inv.get("chisq_diff"):
            rd = (ri or {}).get("chisq_diff") or []
            lines += ["", "Δχ² (satorra.2000) of thresholds, metric, scalar against the step before: " + ", ".join(
                f"{v:.3f}" + (f" (lavaan {rd[k]:.3f})" if k < len(rd) else "")
                for k, v in enumerate(inv["chisq_diff"])) + "."]
    lines += ["",
              f"χ² (DWLS) attachstats {py['chisq']:.2f}" + (f", lavaan {r['chisq']:.2f}" if r else "")
              + f"; scaled-shifted χ² {py['chisq_scaled']:.2f}" + (f", lavaan {r['chisq_scaled']:.2f}" if r else "")
              + f"; cfi.robust {py['cfi_robust']:.6f}" + (f", lavaan {r['cfi_robust']:.6f}" if r else "") + ".",
              "", ("Both timings come from the same run; on a shared machine the absolute numbers vary "
              "with the load, the ratio less so."), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
