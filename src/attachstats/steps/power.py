"""Rules of ``workflow/rules/power.smk``: the Monte Carlo power analysis."""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import pandas as pd

from attachstats.data.csvio import read_csv, write_csv
from attachstats.output.figures.common import save_png
from attachstats.output.figures.summary import power_curve
from attachstats.sim.power import PowerSpec, run_chunk, summarise, true_coefficients

__all__ = ["power_chunk", "power"]


def power_chunk(spec: PowerSpec, n: int, chunk: int, out: str | Path) -> None:
    """Rule ``power_chunk``: one chunk of replications at sample size ``n`` (see :func:`run_chunk`).

    Each replication's random numbers depend only on the seed, ``n`` and its index, so the
    chunks can run anywhere, in any order, with the same result.
    """
    write_csv(run_chunk(spec, int(n), int(chunk)), out)


def power(chunks: Sequence[str], out: Mapping[str, str], spec: PowerSpec) -> None:
    """Rule ``power``: power, bias and coverage per effect and sample size, and the power curve.

    Writes ``out["table"]`` and ``out["figure"]``.
    """
    reps = pd.concat([read_csv(p) for p in chunks], ignore_index=True)
    table = summarise(reps, true_coefficients(spec), spec.alpha)
    write_csv(table, out["table"])
    save_png(power_curve(table, spec.alpha), out["figure"])
