"""Rules of ``workflow/rules/longitudinal.smk``: analyses of change across waves.

Every rule reads the linked panel data (``results/<study>/waves/linked.csv``: one row per
respondent, ``id`` first, ``present_{w}`` per wave in the study's order, variable ``v`` at
wave ``w`` in ``{v}_{w}``) and the study's ``longitudinal:`` block
(:func:`attachstats.spec.longitudinal.parse_longitudinal`), and writes its tables under
``results/<study>/longitudinal/``. An analysis the block does not ask for gets its table
with the header only, so the rule's outputs are always the same files. The ``study_*``
functions beside the rules do the same on DataFrames.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

import pandas as pd

from attachstats.data.csvio import read_csv, write_csv
from attachstats.errors import ConfigError, DataError, ModelError
from attachstats.output.figures.common import NotDrawn, save_all
from attachstats.output.figures.longitudinal import (jacobson_truax_plot, lagged_interaction_plot, spaghetti_plot,
                                                     wave_labels)
from attachstats.output.labels import study_labels
from attachstats.output.report.longitudinal import longitudinal_markdown
from attachstats.spec.longitudinal import (LongitudinalSpec, check_waves, instrument_factors, parse_longitudinal,
                                           score_items)
from attachstats.spec.waves import wave_column, waves_of
from attachstats.stats.change import clinical_cutoff
from attachstats.stats.latent.longitudinal import LATENT_CHANGE_COLUMNS, LONG_INVARIANCE_COLUMNS, LONG_LOADING_COLUMNS
from attachstats.stats.latent.longitudinal import RICLPM_COLUMNS, parcel_items
from attachstats.stats.latent.longitudinal import latent_change as fit_latent_change
from attachstats.stats.latent.longitudinal import longitudinal_invariance as fit_longitudinal_invariance
from attachstats.stats.latent.longitudinal import riclpm as fit_riclpm
from attachstats.stats.longitudinal import (CHANGE_COLUMNS, RELIABLE_CHANGE_COLUMNS, RELIABLE_PERSON_COLUMNS,
                                            TRAJECTORY_COLUMNS, score_change, wave_means)
from attachstats.stats.longitudinal import lagged_moderation as fit_lagged_moderation
from attachstats.stats.regression.design import SAMPLE_COLUMNS
from attachstats.stats.regression.moderation import CURVE_COLUMNS, JN_COLUMNS, SLOPE_COLUMNS
from attachstats.stats.regression.outcomes import REGRESSION_COLUMNS, REGRESSION_FIT_COLUMNS
from attachstats.stats.regression.prediction import LINE_COLUMNS
from attachstats.stats.rng import named_rng

__all__ = ["longitudinal_invariance", "longitudinal_change", "latent_change", "lagged_moderation",
           "riclpm", "longitudinal_figures", "study_longitudinal_figures", "longitudinal_text", "linked_waves", "read_linked",
           "study_invariance", "study_change", "study_latent_change", "study_lagged", "study_riclpm",
           "LAGGED_TABLES", "RICLPM_FIT_COLUMNS", "SPAGHETTI_LINES"]

log = logging.getLogger(__name__)

#: Output name of the ``lagged_moderation`` rule → columns of its table.
LAGGED_TABLES = {"coefficients": REGRESSION_COLUMNS, "fit": REGRESSION_FIT_COLUMNS, "simple_slopes": SLOPE_COLUMNS,
                 "johnson_neyman": JN_COLUMNS, "slope_curve": CURVE_COLUMNS, "lines": LINE_COLUMNS,
                 "samples": SAMPLE_COLUMNS}
#: Columns of ``longitudinal/riclpm_fit.csv`` and ``latent_change_fit.csv`` (one row per model).
RICLPM_FIT_COLUMNS = ["model", "estimator", "n", "chi2", "df", "p", "cfi", "tli", "rmsea", "rmsea_ci_lo",
                      "rmsea_ci_hi", "srmr", "aic", "bic"]
#: Individual trajectories drawn in the spaghetti plot (a seeded sample of the respondents).
SPAGHETTI_LINES = 60


def linked_waves(linked: pd.DataFrame, source: str = "linked.csv") -> list[str]:
    """The waves of the linked data, in order, from its ``present_{w}`` columns.

    Raises
    ------
    attachstats.errors.DataError
        No ``id`` first column or no ``present_`` column.
    """
    if not len(linked.columns) or linked.columns[0] != "id":
        raise DataError(f"{source}: the first column must be 'id' (the linked panel data), got "
                        f"{list(linked.columns[:1])}")
    waves = [c[len("present_"):] for c in linked.columns if c.startswith("present_")]
    if not waves:
        raise DataError(f"{source}: no present_<wave> column, so the waves are unknown")
    return waves


def read_linked(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """The linked data and their waves (:func:`linked_waves`)."""
    d = read_csv(path)
    return d, linked_waves(d, str(path))


def _spec(study: Mapping[str, Any], waves: list[str], source: str) -> LongitudinalSpec:
    spec = parse_longitudinal(study)
    if spec is None:
        raise ConfigError(f"study {study.get('name')!r}: no longitudinal: block, so there is nothing to analyse")
    declared = [w.name for w in waves_of(study)]
    if declared and declared != waves:
        raise DataError(f"{source}: its waves ({', '.join(waves)}) are not the study's waves ({', '.join(declared)})")
    check_waves(spec, waves, source)
    return spec


@contextmanager
def _about(source: str) -> Iterator[None]:
    """Model errors name the linked file they were fitted to."""
    try:
        yield
    except ModelError as exc:
        raise ModelError(f"{source}: {exc}") from None


def _models_options(spec: LongitudinalSpec) -> dict[str, str]:
    return {"estimator": spec.estimator, "missing": spec.missing}


# ---------------------------------------------------------------- invariance

def study_invariance(linked: pd.DataFrame, waves: list[str], study: Mapping[str, Any],
                     source: str = "linked.csv") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Longitudinal invariance of the study's instrument: the comparison table and loadings."""
    spec = _spec(study, waves, source)
    if spec.invariance is None:
        return pd.DataFrame(columns=LONG_INVARIANCE_COLUMNS), pd.DataFrame(columns=LONG_LOADING_COLUMNS)
    inv = spec.invariance
    use = list(inv.waves) or waves
    factors = instrument_factors(study, inv.instrument)
    data, desc = linked, "items"
    if inv.indicators == "parcels":
        data, factors = parcel_items(linked, factors, use, inv.parcels)
        desc = f"{inv.parcels} parcels per factor"
    with _about(source):
        res = fit_longitudinal_invariance(data, factors, use, identification=inv.identification, indicators=desc,
                                          **_models_options(spec))
    return res.table, res.loadings


def longitudinal_invariance(linked: str | Path, out: Mapping[str, str], study: Mapping[str, Any]) -> None:
    """Rule ``longitudinal_invariance``: configural, metric, scalar invariance across waves.

    Writes ``out["table"]`` (:data:`attachstats.stats.latent.longitudinal.LONG_INVARIANCE_COLUMNS`)
    and ``out["loadings"]``. R equivalent: ``semTools::measEq.syntax(longFacNames = )`` + ``lavaan::cfa``.
    """
    d, waves = read_linked(linked)
    table, loadings = study_invariance(d, waves, study, str(linked))
    write_csv(table, out["table"])
    write_csv(loadings, out["loadings"])


# ---------------------------------------------------------------- change

def _cutoff(c: Any, direction: str) -> float | None:
    if c is None or isinstance(c, (int, float)):
        return c
    opts = {k: v for k, v in c.items() if k != "criterion"}
    return clinical_cutoff(c["criterion"], direction=direction, **opts)


def study_change(linked: pd.DataFrame, waves: list[str], study: Mapping[str, Any],
                 source: str = "linked.csv") -> dict[str, pd.DataFrame]:
    """Change tables: ``change``, ``reliable_change``, ``reliable_change_persons``, ``trajectory``."""
    spec = _spec(study, waves, source)
    changes, shares, persons = [], [], []
    labels = study_labels(study).variables
    for c in spec.change:
        with _about(source):
            res = score_change(linked, c.score, c.pre, c.post, c.reliability, items=score_items(study, c.score),
                               cutoff=_cutoff(c.cutoff, c.direction), direction=c.direction,
                               label=c.label or labels.get(c.score, c.score), ids=linked["id"])
        changes.append(res.change)
        shares.append(res.shares)
        persons.append(res.persons)
    scores: list[str] = []
    for name in ([c.score for c in spec.change] + [c.score for c in spec.latent_change]
                 + [m.outcome for m in spec.lagged_moderation] + [v for r in spec.riclpm for v in (r.x, r.y)]):
        if name not in scores:
            scores.append(name)
    traj = []
    for s in scores:
        present = [w for w in waves if wave_column(s, w) in linked.columns]
        if present:
            traj.append(wave_means(linked, s, present))

    def cat(parts: list[pd.DataFrame], cols: list[str]) -> pd.DataFrame:
        return pd.concat(parts, ignore_index=True)[cols] if parts else pd.DataFrame(columns=cols)

    return {"change": cat(changes, CHANGE_COLUMNS), "reliable_change": cat(shares, RELIABLE_CHANGE_COLUMNS),
            "reliable_change_persons": cat(persons, RELIABLE_PERSON_COLUMNS),
            "trajectory": cat(traj, TRAJECTORY_COLUMNS)}


def longitudinal_change(linked: str | Path, out: Mapping[str, str], study: Mapping[str, Any]) -> None:
    """Rule ``longitudinal_change``: mean change (d_z, d_av), reliable and clinically significant
    change, and the mean of each analysed score per wave.

    R equivalent: ``t.test(post, pre, paired = TRUE)``, Jacobson & Truax (1991) written out.
    """
    d, waves = read_linked(linked)
    tables = study_change(d, waves, study, str(linked))
    for key, table in tables.items():
        write_csv(table, out[key])


# ---------------------------------------------------------------- latent change

def study_latent_change(linked: pd.DataFrame, waves: list[str], study: Mapping[str, Any],
                        source: str = "linked.csv") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Latent change score models: parameters and fit (one row per model)."""
    spec = _spec(study, waves, source)
    tables, fits = [], []
    for c in spec.latent_change:
        if c.indicators == "items":
            items = score_items(study, c.score)
            if not items:
                raise ConfigError(f"longitudinal.latent_change: {c.score!r} is not a scale score, so it has no "
                                  "items (use indicators: score)")
            pre, post = [wave_column(i, c.pre) for i in items], [wave_column(i, c.post) for i in items]
        else:
            pre, post = [wave_column(c.score, c.pre)], [wave_column(c.score, c.post)]
        with _about(source):
            table, fit, _ = fit_latent_change(linked, pre, post, score=c.score, pre_wave=c.pre, post_wave=c.post,
                                              **_models_options(spec))
        tables.append(table)
        fits.append(_fit_row(fit, f"{c.score} {c.pre}-{c.post}"))
    return (pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=LATENT_CHANGE_COLUMNS),
            pd.DataFrame(fits, columns=RICLPM_FIT_COLUMNS))


def _fit_row(fit: Any, model: str) -> dict[str, Any]:
    row = fit.fit_row()
    return {**{k: row[k] for k in RICLPM_FIT_COLUMNS if k in row}, "model": model}


def latent_change(linked: str | Path, out: Mapping[str, str], study: Mapping[str, Any]) -> None:
    """Rule ``latent_change``: latent change score models (McArdle 2009) fitted by ``attachstats.sem``.

    R equivalent: ``lavaan::sem(syntax, data, meanstructure = TRUE)``.
    """
    d, waves = read_linked(linked)
    table, fit = study_latent_change(d, waves, study, str(linked))
    write_csv(table, out["table"])
    write_csv(fit, out["fit"])


# ---------------------------------------------------------------- lagged moderation

def study_lagged(linked: pd.DataFrame, waves: list[str], study: Mapping[str, Any],
                 source: str = "linked.csv") -> dict[str, pd.DataFrame]:
    """Lagged moderation models: tables by output name (:data:`LAGGED_TABLES`)."""
    spec = _spec(study, waves, source)
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in LAGGED_TABLES}
    for m in spec.lagged_moderation:
        with _about(source):
            res = fit_lagged_moderation(linked, m.outcome, m.focal, m.moderator, m.from_wave, m.to_wave,
                                        m.covariates, m.focal_wave, name=m.name)
        for key in LAGGED_TABLES:
            parts[key].append(getattr(res, key))
    return {k: (pd.concat(v, ignore_index=True)[LAGGED_TABLES[k]] if v else pd.DataFrame(columns=LAGGED_TABLES[k]))
            for k, v in parts.items()}


def lagged_moderation(linked: str | Path, out: Mapping[str, str], study: Mapping[str, Any]) -> None:
    """Rule ``lagged_moderation``: outcome at ``to`` on the outcome at ``from``, focal × moderator,
    covariates; simple slopes and Johnson–Neyman as for the cross-sectional models.

    R equivalent: ``lm`` with ``sandwich::vcovHC(type = "HC3")``.
    """
    d, waves = read_linked(linked)
    for key, table in study_lagged(d, waves, study, str(linked)).items():
        write_csv(table, out[key])


# ---------------------------------------------------------------- RI-CLPM

def study_riclpm(linked: pd.DataFrame, waves: list[str], study: Mapping[str, Any],
                 source: str = "linked.csv") -> tuple[pd.DataFrame, pd.DataFrame]:
    """RI-CLPMs: structural parameters and fit (one row per model)."""
    spec = _spec(study, waves, source)
    tables, fits = [], []
    for r in spec.riclpm:
        use = list(r.waves) or waves
        if len(use) < 3:
            raise DataError(f"{source}: the RI-CLPM of {r.x} and {r.y} needs at least three waves; the linked "
                            f"data have {len(use)} ({', '.join(use)})")
        with _about(source):
            table, fit, _ = fit_riclpm(linked, r.x, r.y, use, r.constrained, **_models_options(spec))
        tables.append(table)
        fits.append(_fit_row(fit, f"{r.x} {r.y}"))
    return (pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=RICLPM_COLUMNS),
            pd.DataFrame(fits, columns=RICLPM_FIT_COLUMNS))


def riclpm(linked: str | Path, out: Mapping[str, str], study: Mapping[str, Any]) -> None:
    """Rule ``riclpm``: random-intercept cross-lagged panel models (Hamaker et al. 2015).

    R equivalent: ``lavaan::sem`` with Mulder & Hamaker's (2021) syntax.
    """
    d, waves = read_linked(linked)
    table, fit = study_riclpm(d, waves, study, str(linked))
    write_csv(table, out["table"])
    write_csv(fit, out["fit"])


# ---------------------------------------------------------------- figures and text

def _labels(study: Mapping[str, Any]) -> dict[str, str]:
    """Variable labels plus the linked columns' labels (``"Attachment anxiety, Wave 1"``)."""
    variables = dict(study_labels(study).variables)
    return {**wave_labels(variables, {w.name: w.label for w in waves_of(study)}), **variables}


def study_longitudinal_figures(linked: pd.DataFrame, waves: list[str], tables: Mapping[str, pd.DataFrame],
                               study: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The figures by name (``spaghetti``, ``jacobson_truax``, ``lagged_interaction``): a Figure or
    :class:`~attachstats.output.figures.common.NotDrawn` with the reason."""
    spec = _spec(study, waves, "linked.csv")
    labels = _labels(study)
    traj, persons, change = tables["trajectory"], tables["reliable_change_persons"], tables["change"]
    figs: dict[str, Any] = {}
    if len(traj):
        score = traj["score"].iloc[0]
        present = list(traj.loc[traj["score"] == score, "wave"])
        rng = named_rng(seed, f"spaghetti {study.get('name')}")
        pick = sorted(rng.choice(len(linked), size=min(SPAGHETTI_LINES, len(linked)), replace=False))
        lines = linked.iloc[pick][["id", *[wave_column(score, w) for w in present]]]
        figs["spaghetti"] = spaghetti_plot(lines, traj[traj["score"] == score], score, present, labels,
                                           {w.name: w.label for w in waves_of(study)})
    else:
        figs["spaghetti"] = NotDrawn("no score followed over the waves (longitudinal: has no analysis of one)")
    if len(change):
        first = change.iloc[0]
        p = persons[(persons["score"] == first["score"]) & (persons["pre"] == first["pre"])
                    & (persons["post"] == first["post"])]
        figs["jacobson_truax"] = jacobson_truax_plot(p, first.to_dict(), labels,
                                                     {w.name: w.label for w in waves_of(study)})
    else:
        figs["jacobson_truax"] = NotDrawn("no change: entry in longitudinal:")
    slopes = tables["lagged_simple_slopes"]
    if len(slopes) and spec.lagged_moderation:
        name = spec.lagged_moderation[0].name

        def sel(t: pd.DataFrame) -> pd.DataFrame:
            return t[t["model"] == name]

        figs["lagged_interaction"] = lagged_interaction_plot(
            sel(tables["lagged_lines"]), sel(tables["lagged_slope_curve"]), sel(tables["lagged_johnson_neyman"]),
            sel(slopes), labels, {name: spec.lagged_moderation[0].label or "Lagged moderation"})
    else:
        figs["lagged_interaction"] = NotDrawn("no lagged_moderation: entry in longitudinal:")
    return figs


def longitudinal_figures(linked: str | Path, tables: Mapping[str, str], out: Mapping[str, str],
                         study: Mapping[str, Any], seed: int) -> None:
    """Rule ``longitudinal_figures``: spaghetti plot, Jacobson–Truax scatter, lagged interaction
    (PNG and PDF each, and ``out["manifest"]``: which were drawn, why the others were not)."""
    d, waves = read_linked(linked)
    figs = study_longitudinal_figures(d, waves, {k: read_csv(v) for k, v in tables.items()}, study, seed)
    save_all(figs, out, out.get("manifest"))


def longitudinal_text(tables: Mapping[str, str], out: str | Path, study: Mapping[str, Any]) -> None:
    """Rule ``longitudinal_text``: the results paragraphs of the longitudinal analyses (Markdown),
    read by the manuscript (:mod:`attachstats.output.report.longitudinal`)."""
    read = {k: read_csv(v) for k, v in tables.items()}
    waves = {w.name: w.label for w in waves_of(study)}
    Path(out).write_text(longitudinal_markdown(read, _labels(study), waves), encoding="utf-8")
