"""Command line: ``attachstats run <study.yaml>``, ``init <data file>``, ``check <study.yaml>``, ``simulate``.

``run`` is a thin wrapper around the Snakemake CLI (``snakemake --config studies=[...]``) on
the workflow shipped in the package; every Snakemake flag can be passed after ``--`` or by
calling Snakemake directly. Snakemake's own output goes to a log file; the terminal gets one
line per job, the steps' progress and, on failure, the attachstats message last.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

from attachstats import __version__
from attachstats.errors import AttachstatsError
from attachstats.runner import PROGRESS_ENV, PROGRESS_PREFIX


def find_snakefile() -> Path:
    """The workflow's Snakefile: ``$ATTACHSTATS_SNAKEFILE``, else the one shipped in the package
    (``attachstats/workflow/Snakefile`` of an installed wheel), else the checkout's
    ``workflow/Snakefile`` when the package runs from a source tree."""
    env = os.environ.get("ATTACHSTATS_SNAKEFILE")
    here = Path(__file__).resolve().parent
    candidates = [Path(env)] if env else []
    candidates += [here / "workflow" / "Snakefile", here.parents[1] / "workflow" / "Snakefile"]
    for c in candidates:
        if c.is_file():
            return c
    raise AttachstatsError("cannot find the attachstats workflow (attachstats/workflow/Snakefile is missing "
                           "from this installation); reinstall the package or set ATTACHSTATS_SNAKEFILE")


def snakemake_command(args: argparse.Namespace, extra: list[str]) -> list[str]:
    """The Snakemake command line of ``attachstats run`` (same Python, so the same library).

    Results go to ``--results`` or ``results/`` of the working directory (``--directory``,
    default the current one), never into the package.
    """
    study = Path(args.study)
    workdir = Path(args.directory).resolve() if args.directory else Path.cwd()
    config = [f"studies={json.dumps([str(study.resolve())])}",
              f"results_dir={Path(args.results).resolve() if args.results else 'results'}"]
    # --config takes every word up to the next option, so it goes last: a target or file given
    # after -- (e.g. `-- --dry-run results/x/report.html`) stays a target
    return [sys.executable, "-m", "snakemake", "--snakefile", str(find_snakefile()), "--directory", str(workdir),
            "--cores", str(args.cores), *extra, "--config", *config]


def cmd_run(args: argparse.Namespace, extra: list[str]) -> int:
    study = Path(args.study)
    if not study.is_file():
        raise AttachstatsError(f"study file {study} does not exist")
    cmd = snakemake_command(args, extra)
    workdir = Path(cmd[cmd.index("--directory") + 1])
    results = Path(args.results).resolve() if args.results else workdir / "results"
    log_path = results / "logs" / f"run-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}.log"
    return run_snakemake(cmd, log_path, workdir)


def run_snakemake(cmd: list[str], log_path: Path, workdir: Path, terminal: TextIO | None = None) -> int:
    """Run Snakemake with its whole output in ``log_path`` and a short account on ``terminal``.

    The terminal gets one line per job started and finished, the progress lines of the steps
    (``attachstats-progress:``, see :mod:`attachstats.runner`) and, when the run fails, the
    attachstats message(s) alone as the last lines, after the path of the full log.
    """
    out = sys.stderr if terminal is None else terminal
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, PROGRESS_ENV: "1"}
    stream = RunStream(out, workdir)
    print(f"attachstats: running the workflow; full log: {_shown(log_path)}", file=out, flush=True)
    with open(log_path, "w", encoding="utf-8") as log:
        log.write("+ " + " ".join(cmd) + "\n")
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                encoding="utf-8", errors="replace", env=env)
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            log.flush()
            stream.feed(line.rstrip("\n"))
        code = proc.wait()
    stream.finish(code, log_path)
    return code


_PROGRESS = PROGRESS_PREFIX
_JOB = re.compile(r"^(?:local)?rule (\w+):$")
_FINISHED = re.compile(r"^Finished jobid: (\d+) \(Rule: (\w+)\)")
_STEPS = re.compile(r"^(\d+) of (\d+) steps \(\d+%\) done")
_FAILED = re.compile(r"^Error in rule (\w+):")
_SNAKEMAKE_ERROR = re.compile(r"^[A-Za-z]*(?:Error|Exception)\b")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class RunStream:
    """Reads Snakemake's output line by line; writes the concise account of ``attachstats run``."""

    def __init__(self, out: TextIO, workdir: Path) -> None:
        self.out, self.workdir = out, workdir
        self.jobs: dict[str, tuple[str, str]] = {}   # jobid -> (rule, study)
        self.pending: dict[str, str] | None = None
        self.messages: list[str] = []               # attachstats messages (user errors), in order
        self.failed: list[tuple[str, str]] = []     # (rule, log file) of failed jobs
        self.lines: list[str] = []                   # Snakemake's own lines, for an unexplained failure
        self.done: tuple[str, str] = ("", "")      # (rule, study) of the job that finished last

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def _flush_job(self) -> None:
        if self.pending and "jobid" in self.pending:
            study = self.pending.get("wildcards", "")
            self.jobs[self.pending["jobid"]] = (self.pending["rule"], study)
            if self.pending["rule"] not in ("all", "default"):
                self._say(f"  start  {self.pending['rule']}{f' ({study})' if study else ''}")
        self.pending = None

    def feed(self, line: str) -> None:
        if self.pending is not None and line.startswith("    "):
            key, _, value = line.strip().partition(": ")
            if key in ("jobid", "wildcards", "log"):
                self.pending[key] = value.replace("study=", "") if key == "wildcards" else value
            return
        self._flush_job()
        if line.startswith(_PROGRESS):
            self._say("         " + line[len(_PROGRESS):])
        elif line.startswith("attachstats: "):
            if line not in self.messages:
                self.messages.append(line)
        elif m := _JOB.match(line):
            self.pending = {"rule": m.group(1)}
        elif m := _FINISHED.match(line):
            self.done = self.jobs.get(m.group(1), (m.group(2), ""))
        elif m := _STEPS.match(line):
            rule, study = self.done
            if rule and rule not in ("all", "default"):
                self._say(f"  done   {rule}{f' ({study})' if study else ''}  [{m.group(1)}/{m.group(2)}]")
        elif m := _FAILED.match(line):
            self.failed.append((m.group(1), ""))
        elif line.strip().startswith("log: ") and self.failed and not self.failed[-1][1]:
            self.failed[-1] = (self.failed[-1][0], line.strip()[5:].split(" (")[0])
        elif line.startswith("Nothing to be done"):
            self._say("attachstats: " + line)
        else:
            self.lines.append(line)

    def finish(self, code: int, log_path: Path) -> None:
        self._flush_job()
        if code == 0:
            self._say(f"attachstats: done; full log: {_shown(log_path)}")
            return
        where = [f"full log: {_shown(log_path)}"]
        for rule, log in self.failed:
            if log:
                where.append(f"log of step {rule}: {_shown(self.workdir / log)}")
        self._say(f"attachstats: the run failed; {'; '.join(where)}")
        if self.messages:
            for message in self.messages:
                self._say(message)
            return
        for rule, log in self.failed:   # no attachstats message: a bug, shown by its last line
            last = _last_line(self.workdir / log) if log else ""
            self._say(f"attachstats: step {rule} failed unexpectedly (a bug in attachstats; please report it "
                      f"with the step's log){': ' + last if last else ''}")
        if not self.failed:             # Snakemake itself refused: its own error, from the first line
            start = next((i for i, x in enumerate(self.lines) if _SNAKEMAKE_ERROR.match(x)), None)
            tail = self.lines[start:] if start is not None else self.lines[-10:]
            for line in [x for x in tail if x.strip() and not x.startswith("Complete log")][:20]:
                self._say(line)


def _last_line(path: Path) -> str:
    try:
        lines = [x for x in path.read_text(encoding="utf-8", errors="replace").splitlines() if x.strip()]
    except OSError:
        return ""
    return lines[-1].strip() if lines else ""


def cmd_simulate(args: argparse.Namespace) -> int:
    from attachstats.sim.simulate import SimulationConfig, write_example

    import dataclasses

    if args.panel:                     # several waves of the same people (attachstats.sim.panel)
        from attachstats.sim.panel import PanelConfig, write_panel

        panel = PanelConfig.from_yaml(args.config or "config/simulation/panel.yaml")
        if args.seed is not None or args.n is not None:
            wave1 = dataclasses.replace(panel.wave1, **{k: v for k, v in (("seed", args.seed), ("n_rows", args.n))
                                                        if v is not None})
            panel = dataclasses.replace(panel, wave1=wave1, seed=args.seed if args.seed is not None else panel.seed)
        for label, path in write_panel(panel, Path(args.out or "data/example-panel")).items():
            print(f"{label}: {path}")
        return 0
    args.config = args.config or "config/simulation/example.yaml"
    args.out = args.out or "data/example"
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
    for wave in res.waves:               # a longitudinal study: the later waves
        print(f"  {wave}")
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
    r.add_argument("--results", help="results folder (default: results/ in the working directory)")
    r.add_argument("--directory", help="Snakemake working directory (default: the current directory)")
    s = sub.add_parser("simulate", help="simulate a survey export from the population model",
                       description="Write survey.csv, truth.json and manifest.csv to --out (with --panel: "
                                   "one file per wave, e.g. w1.csv, w2.csv, w3.csv).")
    s.add_argument("--config", help="simulation YAML (default config/simulation/example.yaml, with --panel "
                                     "config/simulation/panel.yaml)")
    s.add_argument("--out", help="output folder (default data/example, with --panel data/example-panel)")
    s.add_argument("--panel", action="store_true", help="simulate panel data: several waves of the same people")
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
