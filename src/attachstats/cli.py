"""Command line: ``attachstats run <study.yaml>`` and ``attachstats simulate``.

``run`` is a thin wrapper around the Snakemake CLI (``snakemake --config studies=[...]``);
every Snakemake flag can be passed after ``--`` or by calling Snakemake directly.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from attachstats import __version__
from attachstats.errors import AttachstatsError


def find_snakefile() -> Path:
    """The workflow's root Snakefile: ``$ATTACHSTATS_SNAKEFILE``, else the project this package lives in."""
    env = os.environ.get("ATTACHSTATS_SNAKEFILE")
    candidates = [Path(env)] if env else []
    candidates += [Path(__file__).resolve().parents[2] / "Snakefile", Path.cwd() / "Snakefile"]
    for c in candidates:
        if c.is_file():
            return c
    raise AttachstatsError("cannot find the attachstats Snakefile; run from the project folder or set "
                           "ATTACHSTATS_SNAKEFILE to its path")


def _snakemake_executable() -> str:
    exe = Path(sys.executable).with_name("snakemake")
    return str(exe) if exe.exists() else (shutil.which("snakemake") or "snakemake")


def cmd_run(args: argparse.Namespace, extra: list[str]) -> int:
    study = Path(args.study)
    if not study.is_file():
        raise AttachstatsError(f"study file {study} does not exist")
    snakefile = find_snakefile()
    workdir = Path(args.directory).resolve() if args.directory else snakefile.parent
    config = [f"studies={json.dumps([str(study.resolve())])}"]
    if args.results:
        config.append(f"results_dir={Path(args.results).resolve()}")
    # --config takes every word up to the next option, so it goes last: a target or file given
    # after -- (e.g. `-- --dry-run results/x/report.html`) stays a target
    cmd = [_snakemake_executable(), "--snakefile", str(snakefile), "--directory", str(workdir),
           "--cores", str(args.cores), "--show-failed-logs", *extra, "--config", *config]
    print("+ " + " ".join(cmd), file=sys.stderr)
    return subprocess.call(cmd)


def cmd_simulate(args: argparse.Namespace) -> int:
    from attachstats.sim.simulate import SimulationConfig, write_example

    import dataclasses

    cfg = SimulationConfig.from_yaml(args.config)
    overrides = {k: v for k, v in (("seed", args.seed), ("n_rows", args.n)) if v is not None}
    if overrides:
        cfg = dataclasses.replace(cfg, **overrides)
    written = write_example(cfg, Path(args.out))
    for label, path in written.items():
        print(f"{label}: {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="attachstats", description="Reproducible attachment-research statistics.")
    p.add_argument("--version", action="version", version=f"attachstats {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run the whole workflow on one study file",
                       description="Run the workflow on STUDY (any path). Arguments after -- go to Snakemake.")
    r.add_argument("study", help="study YAML file")
    r.add_argument("--cores", "-c", default="1", help="CPU cores for Snakemake (default 1; 'all' for all)")
    r.add_argument("--results", help="results folder (default: results/ in the project folder)")
    r.add_argument("--directory", help="Snakemake working directory (default: the project folder)")
    s = sub.add_parser("simulate", help="simulate a survey export from the population model",
                       description="Write survey.csv, truth.json and manifest.csv to --out.")
    s.add_argument("--config", default="config/simulation/example.yaml", help="simulation YAML")
    s.add_argument("--out", default="data/example", help="output folder")
    s.add_argument("--seed", type=int, help="override the seed in the config")
    s.add_argument("--n", type=int, help="override the number of respondents")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return cmd_run(args, extra)
        return cmd_simulate(args)
    except AttachstatsError as exc:
        print(f"attachstats: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
