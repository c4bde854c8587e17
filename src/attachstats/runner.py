"""Glue for workflow scripts: log redirection and clean failure on user errors.

Workflow scripts stay thin::

    from attachstats.runner import run_step
    run_step(snakemake, lambda sm: ...)

A user error (:class:`~attachstats.errors.AttachstatsError`) is written as one paragraph
to the rule's log and to the terminal, and the job exits with status 1 (Snakemake then
removes the job's partial outputs). Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Callable

from .errors import AttachstatsError


def run_step(snakemake: Any, step: Callable[[Any], None]) -> None:
    """Run ``step(snakemake)`` with stderr and logging sent to ``snakemake.log[0]``."""
    terminal = sys.stderr
    log_path = snakemake.log[0] if len(snakemake.log) else None
    log = open(log_path, "w", encoding="utf-8") if log_path else terminal
    sys.stderr = log
    logging.basicConfig(stream=log, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s",
                        force=True)
    try:
        step(snakemake)
    except AttachstatsError as exc:
        msg = f"attachstats: {type(exc).__name__} in rule {snakemake.rule}: {exc}"
        print(msg, file=log)
        if log is not terminal:
            print(msg, file=terminal)
        log.flush()
        sys.exit(1)
    finally:
        sys.stderr = terminal
        if log is not terminal:
            log.close()
