"""Rules of ``workflow/rules/summary.smk``: the cross-study summary."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from attachstats.data.csvio import read_csv, write_csv
from attachstats.output.labels import figure_labels
from attachstats.output.figures.common import save_all
from attachstats.output.figures.summary import forest_plot
from attachstats.stats import crossstudy
from attachstats.stats.meta import random_effects_weights

__all__ = ["cross_study_summary", "forest_rows", "summary_labels", "summary_predictors", "predictors_first"]


def cross_study_summary(tables: Mapping[str, str], out: Mapping[str, str],
                        studies: Mapping[str, Mapping[str, Any]] | None = None) -> None:
    """Rule ``cross_study_summary``: sample sizes, reliabilities, CFA fit and coefficients of all
    studies side by side, and every shared coefficient pooled by random-effects meta-analysis.

    ``tables`` maps ``<study>__<table>`` to the CSV file of that study's table. Writes
    ``out["studies"]``, ``reliability``, ``coefficients``, ``meta`` and the ``forest`` plot.
    R equivalent of the pooling: ``metafor::rma(yi, sei = se, method = "REML")``. ``studies``
    (study name -> the study, or a part declaring the label keys) names scores and variables
    in the forest plot (:func:`summary_labels`) and puts the pooled effects of predictors
    first in it, before those of covariates (:func:`summary_predictors`).
    """
    by_study: dict[str, dict] = {}
    for key, path in tables.items():
        study, name = key.split("__", 1)
        by_study.setdefault(study, {})[name] = read_csv(path)
    labels = summary_labels((studies or {}).values())
    predictors = summary_predictors((studies or {}).values())
    coefficients = crossstudy.stacked(by_study, "regressions")
    meta = crossstudy.pool_coefficients(coefficients)
    write_csv(crossstudy.study_overview(by_study), out["studies"])
    write_csv(crossstudy.stacked(by_study, "reliability"), out["reliability"])
    write_csv(coefficients, out["coefficients"])
    write_csv(meta, out["meta"])
    shown = predictors_first(meta, predictors)
    save_all({"forest": forest_plot(forest_rows(coefficients, shown), shown, labels)}, out)


def summary_predictors(studies: Iterable[Mapping[str, Any]]) -> list[list[str]]:
    """``[model, variable]`` for every predictor (not covariate) of every outcome model of the
    studies, for :func:`predictors_first`."""
    pairs = {(m["name"], v) for study in studies for m in (study.get("outcome_models") or [])
             for v in m.get("predictors", [])}
    return [list(p) for p in sorted(pairs)]


def predictors_first(meta: pd.DataFrame, predictors: Iterable[Sequence[str]]) -> pd.DataFrame:
    """The pooled effects with those of a model's predictors (or their interactions) first,
    each group in its original order. A term's variables are its ``:``-separated parts
    without a ``[T.level]`` suffix.

    >>> m = pd.DataFrame({"model": ["d", "d", "d"], "term": ["age", "gender[T.M]", "anx"]})
    >>> predictors_first(m, [["d", "anx"], ["d", "gender"]])["term"].tolist()
    ['gender[T.M]', 'anx', 'age']
    """
    keys = {tuple(p) for p in predictors}

    def is_predictor(model: str, term: str) -> bool:
        return any((model, part.split("[T.")[0]) in keys for part in str(term).split(":"))

    if meta.empty:
        return meta
    flag = [is_predictor(m, t) for m, t in zip(meta["model"], meta["term"])]
    order = sorted(range(len(meta)), key=lambda i: (not flag[i], i))
    return meta.iloc[order].reset_index(drop=True)


def summary_labels(studies: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Human labels of the scores and variables of all studies (:func:`figure_labels`; the
    first study's label wins where two differ), for the cross-study figures.

    >>> summary_labels([{"instruments": {}, "variables": {"age": {"column": "Age"}}}])["age"]
    'Age'
    """
    out: dict[str, str] = {}
    for study in studies:
        for key, text in figure_labels(study).items():
            out.setdefault(key, text)
    return out


def forest_rows(coefficients: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """The studies' rows of every pooled effect with their random-effects weight in per cent
    (the forest plot's Weight column): ``coefficients`` columns plus ``weight``.

    R equivalent: ``weights(metafor::rma(yi, sei = se, method = "REML"))``.
    """
    parts = []
    for r in meta.itertuples():
        g = coefficients[(coefficients["model"] == r.model) & (coefficients["outcome"] == r.outcome)
                         & (coefficients["term"] == r.term)]
        parts.append(g.assign(weight=random_effects_weights(g["se"], r.tau2)))
    return pd.concat(parts, ignore_index=True) if parts else coefficients.iloc[:0].assign(weight=1.0)
