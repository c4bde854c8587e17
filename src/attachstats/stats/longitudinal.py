"""Observed-score analyses of panel data: trajectories, change between two waves, lagged moderation.

Input is the linked wide data (one row per person, variable ``v`` at wave ``w`` in column
``{v}_{w}``, :func:`attachstats.spec.waves.wave_column`). The statistics themselves live
elsewhere and are reused here, not rewritten:

- :func:`wave_means`: the mean of a score at every wave with its t-based 95% CI (the mean
  trajectory of the spaghetti plot), over the people with that wave's score;
- :func:`score_change`: :func:`attachstats.stats.change.paired_change` (d_z, d_av and their
  CIs) and :func:`attachstats.stats.change.reliable_change` (Jacobson & Truax) between two
  waves, with the reliability estimated from the data — Cronbach's alpha
  (:func:`attachstats.stats.reliability.cronbach_alpha`) or McDonald's omega total of a
  one-factor model (:func:`attachstats.stats.omega.omega`) of the items at the first of the
  two waves — or a stated value (e.g. a published test–retest coefficient);
- :func:`lagged_moderation`: the outcome at wave ``to`` regressed on the outcome at wave
  ``from``, the focal predictor (e.g. a breakup reported at ``to``), the moderator at
  ``from``, their product and covariates, fitted and probed by the cross-sectional code
  (:func:`attachstats.stats.regression.outcomes.fit_outcome_model` and
  :func:`~attachstats.stats.regression.outcomes.probe_tables`: OLS with HC3 standard errors,
  the continuous moderator mean-centred, simple slopes at its mean ± 1 SD and the
  Johnson–Neyman region clipped to the observed range).

Example
-------
>>> import pandas as pd
>>> d = pd.DataFrame({"x_w1": [1.0, 2, 3, 4], "x_w2": [2.0, 2, 4, 5]})
>>> wave_means(d, "x", ["w1", "w2"])["mean"].tolist()
[2.5, 3.25]

R equivalent: ``t.test`` per wave; ``t.test(post, pre, paired = TRUE)`` and Jacobson–Truax
written out; ``lm(y2 ~ y1 + x * scale(w, scale = FALSE) + covariates)`` with
``sandwich::vcovHC(type = "HC3")``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from attachstats.errors import DataError, ModelError
from attachstats.spec.models import parse_outcome_model
from attachstats.spec.waves import wave_column
from attachstats.stats.change import RCI_CRITERION, paired_change, reliable_change
from attachstats.stats.omega import omega
from attachstats.stats.regression.outcomes import fit_outcome_model, probe_tables
from attachstats.stats.regression.prediction import interaction_lines
from attachstats.stats.reliability import cronbach_alpha

__all__ = ["TRAJECTORY_COLUMNS", "CHANGE_COLUMNS", "RELIABLE_CHANGE_COLUMNS", "RELIABLE_PERSON_COLUMNS",
           "ScoreChange", "wave_means", "change_reliability", "score_change", "lagged_moderation",
           "lagged_columns", "LaggedModeration"]

#: Columns of :func:`wave_means` (``longitudinal/trajectory.csv``).
TRAJECTORY_COLUMNS = ["score", "wave", "order", "n", "mean", "sd", "se", "ci_lo", "ci_hi"]
#: Columns of the change table (``longitudinal/change.csv``): the score and waves, the
#: reliability used and where it came from, then :class:`attachstats.stats.change.PairedChange`.
CHANGE_COLUMNS = ["score", "label", "pre", "post", "reliability_method", "reliability", "se_diff", "rci_criterion",
                  "cutoff", "direction", "n", "n_dropped", "mean_pre", "mean_post", "sd_pre", "sd_post", "r_pre_post",
                  "mean_diff", "sd_diff", "diff_ci_lo", "diff_ci_hi", "t", "df", "p", "d_z", "d_z_ci_lo", "d_z_ci_hi",
                  "d_av", "d_av_ci_lo", "d_av_ci_hi", "level"]
#: Columns of the reliable-change shares (``longitudinal/reliable_change.csv``).
RELIABLE_CHANGE_COLUMNS = ["score", "pre", "post", "classification", "category", "n", "share"]
#: Columns of the per-person classification (``longitudinal/reliable_change_persons.csv``).
RELIABLE_PERSON_COLUMNS = ["id", "score", "pre", "post", "pre_score", "post_score", "diff", "rci", "reliable",
                           "clinical", "dropped"]


def _numeric(data: pd.DataFrame, col: str, what: str) -> pd.Series:
    if col not in data.columns:
        raise ModelError(f"{what}: the linked data have no column {col!r}")
    return pd.to_numeric(data[col], errors="coerce").astype(float)


def wave_means(data: pd.DataFrame, score: str, waves: Sequence[str], level: float = 0.95) -> pd.DataFrame:
    """Mean of ``score`` at each wave with its t-based CI (people with the wave's score).

    Returns
    -------
    DataFrame
        Columns :data:`TRAJECTORY_COLUMNS`, one row per wave (``order`` 1, 2, …); ``sd``,
        ``se`` and the interval are NaN with fewer than two scores.

    R equivalent: ``t.test(x[[paste0(score, "_", w)]])`` per wave.
    """
    from scipy import stats

    rows = []
    for k, w in enumerate(waves):
        x = _numeric(data, wave_column(score, w), f"trajectory of {score!r}").dropna().to_numpy()
        n = len(x)
        m = float(x.mean()) if n else np.nan
        sd = float(x.std(ddof=1)) if n > 1 else np.nan
        se = sd / np.sqrt(n) if n > 1 else np.nan
        q = float(stats.t.ppf(0.5 + level / 2, n - 1)) if n > 1 else np.nan
        rows.append({"score": score, "wave": w, "order": k + 1, "n": n, "mean": m, "sd": sd, "se": se,
                     "ci_lo": m - q * se, "ci_hi": m + q * se})
    return pd.DataFrame(rows, columns=TRAJECTORY_COLUMNS)


def change_reliability(items: pd.DataFrame, method: str) -> float:
    """Reliability of a score from its items at one wave: ``alpha`` (Cronbach) or ``omega``
    (McDonald's omega total of one factor).

    R equivalent: ``psych::alpha(items)$total$raw_alpha``; ``psych::omega(items, nfactors = 1)$omega.tot``.
    """
    if items.shape[1] < 2:
        raise DataError(f"the reliability ({method}) needs at least two items, got {items.shape[1]}")
    if method == "alpha":
        return float(cronbach_alpha(items)["alpha"])
    if method == "omega":
        return float(omega(items, nfactors=1).omega_total)
    raise ModelError(f"change: reliability must be 'alpha', 'omega' or a number, got {method!r}")


@dataclass
class ScoreChange:
    """Change of one score between two waves: the summary row, the shares and the persons."""

    change: pd.DataFrame
    shares: pd.DataFrame
    persons: pd.DataFrame


def score_change(data: pd.DataFrame, score: str, pre: str, post: str, reliability: float | str,
                 items: Sequence[str] = (), cutoff: float | None = None, direction: str = "decrease",
                 label: str = "", ids: pd.Series | None = None, level: float = 0.95) -> ScoreChange:
    """Mean change, d_z/d_av and reliable (clinically significant) change of ``score``.

    Parameters
    ----------
    data : DataFrame
        Linked wide data.
    score : str
        The score (``{score}_{pre}`` and ``{score}_{post}`` are read).
    pre, post : str
        The waves.
    reliability : float or {"alpha", "omega"}
        A stated reliability, or the method to estimate it from ``items`` at wave ``pre``.
    items : sequence of str
        The score's (keyed) items without the wave (``ecr_2``, ``ecr_4``…).
    cutoff : float, optional
        Jacobson–Truax cut-off (a value; :func:`attachstats.stats.change.clinical_cutoff`).
    direction : {"decrease", "increase"}
        Which change is improvement.
    label : str
        Copied into the table.
    ids : Series, optional
        Person ids for the per-person table (default the row index).

    Returns
    -------
    ScoreChange
        ``change`` (one row, :data:`CHANGE_COLUMNS`), ``shares``
        (:data:`RELIABLE_CHANGE_COLUMNS`), ``persons`` (:data:`RELIABLE_PERSON_COLUMNS`).
    """
    what = f"change of {score!r} from {pre} to {post}"
    x = _numeric(data, wave_column(score, pre), what)
    y = _numeric(data, wave_column(score, post), what)
    if isinstance(reliability, str):
        cols = [wave_column(it, pre) for it in items]
        absent = [c for c in cols if c not in data.columns]
        if absent or not cols:
            raise ModelError(f"{what}: reliability {reliability!r} is estimated from the items at {pre}, but the "
                             f"linked data have no column(s) {', '.join(absent) or '(no items given)'}")
        # the people in the change analysis: those with both scores
        both = x.notna() & y.notna()
        r_xx = change_reliability(data.loc[both, cols].apply(pd.to_numeric, errors="coerce"), reliability)
        method = f"{reliability} at {pre}"
    else:
        r_xx, method = float(reliability), "stated"
    pc = paired_change(x, y, level=level)
    rc = reliable_change(x, y, reliability=r_xx, cutoff=cutoff, direction=direction)
    row = {"score": score, "label": label, "pre": pre, "post": post, "reliability_method": method,
           "reliability": r_xx, "se_diff": rc.se_diff, "rci_criterion": RCI_CRITERION,
           "cutoff": np.nan if cutoff is None else float(cutoff), "direction": direction, **pc.as_dict()}
    shares = rc.summary.assign(score=score, pre=pre, post=post)[RELIABLE_CHANGE_COLUMNS]
    p = rc.persons
    persons = pd.DataFrame({"id": (ids if ids is not None else pd.Series(data.index, index=data.index)).to_numpy(),
                            "score": score, "pre": pre, "post": post, "pre_score": p["pre"].to_numpy(),
                            "post_score": p["post"].to_numpy(), "diff": p["diff"].to_numpy(),
                            "rci": p["rci"].to_numpy(), "reliable": p["reliable"].to_numpy(),
                            "clinical": p["clinical"].to_numpy(), "dropped": p["dropped"].to_numpy()},
                           columns=RELIABLE_PERSON_COLUMNS)
    return ScoreChange(change=pd.DataFrame([row], columns=CHANGE_COLUMNS), shares=shares, persons=persons)


@dataclass
class LaggedModeration:
    """The lagged moderation model's tables (columns of the cross-sectional outcome models)."""

    coefficients: pd.DataFrame
    fit: pd.DataFrame
    simple_slopes: pd.DataFrame
    johnson_neyman: pd.DataFrame
    slope_curve: pd.DataFrame
    lines: pd.DataFrame
    samples: pd.DataFrame
    columns: dict[str, str]


def lagged_columns(data: pd.DataFrame, outcome: str, focal: str, moderator: str, from_wave: str, to_wave: str,
                   covariates: Sequence[str] = (), focal_wave: str | None = None) -> dict[str, str]:
    """The linked columns of a lagged moderation model, by role.

    ``outcome`` → ``{outcome}_{to}``, ``baseline`` → ``{outcome}_{from}``, ``focal`` →
    ``{focal}_{focal_wave or to}``, ``moderator`` → ``{moderator}_{from}``; a covariate ``c``
    → ``{c}_{from}``, or ``c`` itself when that is already a column (a stable variable such
    as ``{c}_{w}`` written out, or one without a wave). Keys of covariates: ``covariate:c``.
    """
    cols = {"outcome": wave_column(outcome, to_wave), "baseline": wave_column(outcome, from_wave),
            "focal": wave_column(focal, focal_wave or to_wave), "moderator": wave_column(moderator, from_wave)}
    for c in covariates:
        col = wave_column(c, from_wave)
        cols[f"covariate:{c}"] = col if col in data.columns else c
    missing = [v for v in cols.values() if v not in data.columns]
    if missing:
        raise ModelError(f"lagged moderation: the linked data have no column(s) {', '.join(missing)}")
    if len(set(cols.values())) != len(cols):
        raise ModelError(f"lagged moderation: two roles use the same column ({cols})")
    return cols


def lagged_moderation(data: pd.DataFrame, outcome: str, focal: str, moderator: str, from_wave: str,
                      to_wave: str, covariates: Sequence[str] = (), focal_wave: str | None = None,
                      name: str = "lagged_moderation", robust: str = "HC3", ci: float = 0.95) -> LaggedModeration:
    """Does ``moderator`` at ``from`` change the effect of ``focal`` on later ``outcome``?

    The model ``outcome_to ~ outcome_from + focal + moderator_from + covariates +
    focal:moderator_from`` (columns :func:`lagged_columns`) is an ordinary outcome model of the
    cross-sectional code: listwise deletion with the reason per row, the continuous moderator
    centred at its mean, HC3 standard errors (``robust``), simple slopes of ``focal`` at the
    moderator's mean − SD, mean and mean + SD, the Johnson–Neyman region (and clipped to the
    observed range), the slope curve.

    Returns
    -------
    LaggedModeration
        Tables with the columns of ``tables/regressions.csv``, ``regression_fit.csv``,
        ``simple_slopes.csv``, ``johnson_neyman.csv``, ``slope_curve.csv``, the interaction
        figure's lines (:data:`attachstats.stats.regression.prediction.LINE_COLUMNS`) and the
        rows used (``samples``: ``reason``, ``n``); terms are the linked column names.

    Examples
    --------
    R: ``d$w_c <- d$anx_w1 - mean(d$anx_w1); m <- lm(dep_w2 ~ dep_w1 + loss_w2 * w_c + age_w1, d)``;
    ``lmtest::coeftest(m, sandwich::vcovHC(m, "HC3"))``.
    """
    cols = lagged_columns(data, outcome, focal, moderator, from_wave, to_wave, covariates, focal_wave)
    cov_cols = [v for k, v in cols.items() if k.startswith("covariate:")]
    spec = parse_outcome_model({"name": name, "outcome": cols["outcome"],
                                "predictors": [cols["baseline"], cols["focal"], cols["moderator"]],
                                "covariates": cov_cols, "interactions": [[cols["focal"], cols["moderator"]]],
                                "probe": {"focal": cols["focal"], "moderator": cols["moderator"]}, "robust": robust},
                               where=f"lagged moderation {name!r}")
    d = data[list(cols.values())].apply(pd.to_numeric, errors="coerce")
    res = fit_outcome_model(d, spec, ci=ci)
    probes = probe_tables(res, ci=ci)
    samples = res.extra.get("samples", pd.DataFrame())
    frame, inter = res.frame, f"{cols['focal']}:{cols['moderator']}"
    lines = interaction_lines(res.coefficients.set_index("term")["b"], res.cov, frame.X, cols["focal"],
                              cols["moderator"], frame.term_columns[inter][0], res.df_resid, model=name,
                              outcome=cols["outcome"], ci=ci, focal_centre=frame.centres.get(cols["focal"], 0.0),
                              moderator_centre=frame.centres.get(cols["moderator"], 0.0))
    return LaggedModeration(coefficients=res.coefficients, fit=pd.DataFrame([res.fit]),
                            simple_slopes=probes["simple_slopes"], johnson_neyman=probes["johnson_neyman"],
                            slope_curve=probes["slope_curve"], lines=lines, samples=samples, columns=cols)
