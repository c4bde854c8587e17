"""Command line: ``attachstats run <study.yaml>``, ``init <data file>``, ``check <study.yaml>``, ``simulate``.

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


def cmd_init(args: argparse.Namespace) -> int:
    """``attachstats init DATAFILE``: draft a commented study file for a data export."""
    from attachstats.steps.studyfile import init_study

    sheet = int(args.sheet) if args.sheet is not None and str(args.sheet).isdigit() else (args.sheet or 0)
    draft = init_study(args.datafile, args.output, force=args.force, sheet=sheet, header_row=args.header_row,
                       name=args.name)
    blocks = ", ".join(f"{k} ({b['instrument']})" for k, b in draft.study["instruments"].items())
    print(f"wrote {args.output}: instruments {blocks}; {len(draft.study.get('variables', {}))} variable(s); "
          f"id column {draft.study.get('id_column', '(none)')}; duration column "
          f"{draft.study.get('duration_column', '(none)')}")
    todos = draft.todos
    print(f"{len(todos)} choice(s) marked TODO in the file" + (": decide them, then run "
          f"`attachstats check {args.output}`" if todos else f"; next: `attachstats check {args.output}`"))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """``attachstats check STUDY``: validate a study file and its data without running the analyses."""
    from attachstats.steps.studyfile import check_study

    res = check_study(args.study)
    print(f"{args.study}: study {res.name!r} is valid; data {res.data_path}: {res.n_rows} rows, {res.n_columns} "
          f"declared columns found, instruments {', '.join(f'{k} ({i})' for k, i in res.instruments.items())}")
    rules = ", ".join(f"{n} {rule}" for rule, n in res.issue_rules.items())
    print(f"{res.n_findings} finding(s): {res.n_issues} cell(s) changed" + (f" ({rules})" if rules else "")
          + f", {res.n_excluded} respondent(s) excluded, {res.n_flagged} flagged, {len(res.notes)} note(s); "
          f"{res.n_analysed} rows would be analysed")
    for note in res.notes:
        print(f"  note: {note}")
    return 0


def add_study_commands(sub: argparse._SubParsersAction) -> None:
    """The ``init`` and ``check`` subcommands."""
    i = sub.add_parser("init", help="draft a commented study file from a data export",
                       description="Read DATAFILE (CSV, TSV, Qualtrics CSV, .xlsx, SPSS .sav, Stata .dta) and write "
                                   "a commented study file: id and duration columns, instrument blocks, missing-"
                                   "value codes, variables; choices it cannot make are marked TODO.")
    i.add_argument("datafile", help="the raw data export")
    i.add_argument("-o", "--output", default="study.yaml", help="study file to write (default study.yaml)")
    i.add_argument("--force", action="store_true", help="replace the output file if it exists")
    i.add_argument("--name", help="study name (default: the output file's name)")
    i.add_argument("--sheet", help="Excel sheet, by name or 0-based position (default 0)")
    i.add_argument("--header-row", type=int, help="1-based line holding the column names (default 1)")
    c = sub.add_parser("check", help="validate a study file and its data without running the analyses",
                       description="Check STUDY against the schema, read its data file and apply validation and "
                                   "screening (nothing is written); print a short summary.")
    c.add_argument("study", help="study YAML file")


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
    add_study_commands(sub)
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
        if args.command in ("init", "check"):
            return cmd_init(args) if args.command == "init" else cmd_check(args)
        return cmd_simulate(args)
    except AttachstatsError as exc:
        print(f"attachstats: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
