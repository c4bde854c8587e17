"""Rules of ``workflow/rules/summary.smk``: the cross-study summary."""

from __future__ import annotations

from typing import Mapping

from attachstats.data.csvio import read_csv, write_csv
from attachstats.output.figures.common import save_png
from attachstats.output.figures.summary import forest_plot
from attachstats.stats import crossstudy

__all__ = ["cross_study_summary"]


def cross_study_summary(tables: Mapping[str, str], out: Mapping[str, str]) -> None:
    """Rule ``cross_study_summary``: sample sizes, reliabilities, CFA fit and coefficients of all
    studies side by side, and every shared coefficient pooled by random-effects meta-analysis.

    ``tables`` maps ``<study>__<table>`` to the CSV file of that study's table. Writes
    ``out["studies"]``, ``reliability``, ``coefficients``, ``meta`` and the ``forest`` plot.
    R equivalent of the pooling: ``metafor::rma(yi, sei = se, method = "REML")``.
    """
    by_study: dict[str, dict] = {}
    for key, path in tables.items():
        study, name = key.split("__", 1)
        by_study.setdefault(study, {})[name] = read_csv(path)
    coefficients = crossstudy.stacked(by_study, "regressions")
    meta = crossstudy.pool_coefficients(coefficients)
    write_csv(crossstudy.study_overview(by_study), out["studies"])
    write_csv(crossstudy.stacked(by_study, "reliability"), out["reliability"])
    write_csv(coefficients, out["coefficients"])
    write_csv(meta, out["meta"])
    save_png(forest_plot(coefficients, meta), out["forest"])
