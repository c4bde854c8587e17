"""Glue for workflow scripts: log redirection, clean failure on user errors, step timing.

Workflow scripts stay thin::

    from attachstats.runner import run_step
    run_step(snakemake, lambda sm: ...)

A user error (:class:`~attachstats.errors.AttachstatsError`) is written as one paragraph
to the rule's log and as one line to the terminal, and the job exits with status 1
(Snakemake then removes the job's partial outputs). Anything else is a bug and keeps its
traceback. The library's INFO log lines (progress of long steps) go to the rule's log and,
under ``attachstats run`` (``ATTACHSTATS_PROGRESS`` set), to the terminal as well.

When a step succeeds, the last line of its log is one machine-readable timing line (read
by ``benchmarks/bench_scale.py`` with :func:`parse_timing`)::

    attachstats-timing: step=cfa pid=4242 started=1767225600.120 ended=1767225604.410 startup_s=0.912 step_s=3.378 import_s=1.203 compute_s=2.175

``started`` is when the job's Python process started and ``ended`` when the step returned
(seconds since the epoch); ``startup_s`` runs from process start to the call of the step
(interpreter, Snakemake's script preamble, the script's module-level imports); ``step_s``
is the time inside ``step(snakemake)``, of which ``import_s`` was spent loading modules
for the first time (the library imports heavy packages inside functions) and
``compute_s = step_s - import_s`` is the step's own work.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from attachstats.errors import AttachstatsError
from attachstats.spec.study import StudyPart, check_schema, read_yaml, resolve_study

TIMING_PREFIX = "attachstats-timing:"
#: Set by ``attachstats run``: steps then echo their progress lines to the terminal too.
PROGRESS_ENV = "ATTACHSTATS_PROGRESS"
PROGRESS_PREFIX = "attachstats-progress: "
#: Key of the placeholder that workflow/rules/common.smk passes as a study param when the
#: Snakemake that parsed the workflow could not import the library.
DEFERRED = "attachstats_deferred"


def run_step(snakemake: Any, step: Callable[[Any], None]) -> None:
    """Run ``step(snakemake)`` with stderr and logging sent to ``snakemake.log[0]``.

    On success a timing line (see the module docstring) is appended to the log.
    """
    called = time.time()
    terminal = sys.stderr
    log_path = snakemake.log[0] if len(snakemake.log) else None
    log = open(log_path, "w", encoding="utf-8") if log_path else terminal
    sys.stderr = log
    logging.basicConfig(stream=log, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s",
                        force=True)
    if log is not terminal and os.environ.get(PROGRESS_ENV):
        logging.getLogger().addHandler(_progress_handler(terminal, snakemake.rule))
    try:
        job = _resolve_params(snakemake)
        with _ImportTimer() as imports:
            t = time.perf_counter()
            step(job)
            step_s = time.perf_counter() - t
    except AttachstatsError as exc:
        msg = f"attachstats: {type(exc).__name__} in rule {snakemake.rule}: {exc}"
        print(msg, file=log)
        if log is not terminal:     # one line, so that `attachstats run` can show it last
            print(" ".join(msg.split()), file=terminal)
        log.flush()
        sys.exit(1)
    else:
        if log is not terminal:
            started = _process_start_time()
            print(format_timing(step=snakemake.rule, pid=os.getpid(), started=started,
                                ended=time.time(), startup_s=called - started, step_s=step_s,
                                import_s=imports.seconds), file=log)
    finally:
        sys.stderr = terminal
        if log is not terminal:
            log.close()


def _progress_handler(terminal: Any, rule: str) -> logging.Handler:
    """Echo the library's INFO lines to the job's terminal as ``attachstats-progress: <rule>: …``
    (``attachstats run`` sets ``ATTACHSTATS_PROGRESS`` and shows these lines)."""
    handler = logging.StreamHandler(terminal)
    handler.setLevel(logging.INFO)
    handler.addFilter(lambda record: record.name.startswith("attachstats"))
    handler.setFormatter(logging.Formatter(f"{PROGRESS_PREFIX}{rule}: %(message)s"))
    return handler


def resolve_deferred(value: Any, schema: str | Path) -> Any:
    """The resolved study (or its :class:`StudyPart`) for a deferred study param; else ``value``.

    Without the library, the workflow passes a rule the study settings it declares plus a
    placeholder ``{"attachstats_deferred": {"study_file", "keys"}}``; the job then reads,
    checks (against ``schema``, the workflow's study schema) and resolves the study file as
    the workflow would have, and keeps the declared ``keys`` (all of the study when ``keys``
    is None).

    >>> resolve_deferred({"name": "s"}, "study.schema.yaml")
    {'name': 's'}
    """
    if type(value) is not dict or DEFERRED not in value:   # a StudyPart refuses undeclared keys
        return value
    from snakemake.utils import validate

    path, keys = value[DEFERRED]["study_file"], value[DEFERRED]["keys"]
    study = read_yaml(path)
    check_schema(study, schema, path)
    validate(study, str(schema))      # fills the schema's defaults, as the workflow does
    study = resolve_study(study, path)
    return study if keys is None else StudyPart(study, keys)


def _resolve_params(snakemake: Any) -> Any:
    """``snakemake`` itself, or a view of it whose ``params.study`` (one study) or
    ``params.studies`` (study name -> study part, rules across studies) is resolved (see
    :func:`resolve_deferred`; ``snakemake.params`` is rebuilt at each access, so it is read once)."""
    params = getattr(snakemake, "params", None)
    study = getattr(params, "study", None)
    studies = getattr(params, "studies", None)
    one = type(study) is dict and DEFERRED in study
    many = type(studies) is dict and any(type(v) is dict and DEFERRED in v for v in studies.values())
    if not (one or many):
        return snakemake
    schema = Path(snakemake.scriptdir).parent / "schemas" / "study.schema.yaml"
    if one:
        params.study = resolve_deferred(study, schema)
    if many:
        params.studies = {name: resolve_deferred(v, schema) for name, v in studies.items()}
    return _Job(snakemake, params)


class _Job:
    """The job object of a workflow script with its params replaced."""

    def __init__(self, job: Any, params: Any) -> None:
        self._job, self.params = job, params

    def __getattr__(self, name: str) -> Any:
        return getattr(self._job, name)


def format_timing(*, step: str, pid: int, started: float, ended: float, startup_s: float,
                  step_s: float, import_s: float) -> str:
    """One timing line: ``attachstats-timing: step=<rule> pid=… started=… … compute_s=…``.

    Unknown values are written as ``nan``; ``compute_s = step_s - import_s``.

    >>> format_timing(step="cfa", pid=7, started=10.0, ended=14.5, startup_s=0.5, step_s=4.0,
    ...               import_s=1.0)
    'attachstats-timing: step=cfa pid=7 started=10.000 ended=14.500 startup_s=0.500 step_s=4.000 import_s=1.000 compute_s=3.000'
    """
    return (f"{TIMING_PREFIX} step={step} pid={pid} started={started:.3f} ended={ended:.3f} "
            f"startup_s={startup_s:.3f} step_s={step_s:.3f} import_s={import_s:.3f} "
            f"compute_s={step_s - import_s:.3f}")


def parse_timing(text: str) -> dict[str, Any] | None:
    """The last timing line in a log's text as a dict (``step`` str, ``pid`` int, floats), or None.

    >>> parse_timing("INFO x: fitted\\nattachstats-timing: step=cfa pid=7 started=1 ended=2 "
    ...              "startup_s=0.5 step_s=0.5 import_s=0.1 compute_s=0.4\\n")["compute_s"]
    0.4
    """
    lines = [line for line in text.splitlines() if line.startswith(TIMING_PREFIX)]
    if not lines:
        return None
    out: dict[str, Any] = {}
    for field in lines[-1][len(TIMING_PREFIX):].split():
        key, _, value = field.partition("=")
        out[key] = value if key == "step" else int(value) if key == "pid" else float(value)
    return out


def _process_start_time() -> float:
    """When this process started (seconds since the epoch, ±0.01 s), or NaN when unknown.

    On Linux from ``/proc``: the process's start in clock ticks after boot against the
    current uptime (``psutil``'s ``create_time`` adds whole-second boot time and can be up
    to a second early); elsewhere from ``psutil``, a Snakemake dependency.
    """
    now = time.time()
    try:
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        with open("/proc/self/stat", encoding="utf-8", errors="replace") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])    # field 22, starttime
        return now - (uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil

        return psutil.Process().create_time()
    except Exception:  # noqa: BLE001 - timing is informative only, never fails a step
        return math.nan


class _ImportTimer:
    """Seconds this thread spends loading modules for the first time while the block runs.

    CPython's import statement calls ``_find_and_load`` of its import machinery
    (``_frozen_importlib``, alias ``importlib._bootstrap``; looked up at each call) only for
    a module not yet in ``sys.modules``; the timer wraps it for the
    block and times the outermost call. Cached imports pay nothing. ``seconds`` is NaN
    where the hook is unavailable.
    """

    def __enter__(self) -> "_ImportTimer":
        self.seconds = 0.0
        self._depth = 0
        self._thread = threading.get_ident()
        self._bootstrap = sys.modules.get("_frozen_importlib") or sys.modules.get("importlib._bootstrap")
        self._orig = getattr(self._bootstrap, "_find_and_load", None)
        if self._orig is None:
            self.seconds = math.nan
            return self
        orig = self._orig

        def find_and_load(*args, **kwargs):
            if self._depth or threading.get_ident() != self._thread:
                return orig(*args, **kwargs)
            self._depth += 1
            t = time.perf_counter()
            try:
                return orig(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t
                self._depth -= 1

        self._bootstrap._find_and_load = find_and_load
        return self

    def __exit__(self, *exc: object) -> None:
        if self._orig is not None:
            self._bootstrap._find_and_load = self._orig
