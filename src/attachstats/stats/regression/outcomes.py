"""Outcome models of a study: fit every declared model and return the result tables.

A model (:class:`attachstats.spec.models.ModelSpec`) becomes a design matrix by
:func:`model_frame`: rows complete on every model variable (listwise deletion; each
dropped row is counted under the first of the model's variables it misses), the outcome
dichotomised at ``cutoff``, the ``standardise`` variables z-scored over these rows, main
effects as in :func:`attachstats.stats.regression.ols.build_design` (categorical ones as treatment
dummies against the study's reference level) and each interaction as the product of its
variables' design columns (``a:b``, ``gender[T.Male]:loss``). :func:`fit_outcome_model`
fits it:

- ``ols`` by :func:`attachstats.stats.regression.ols.fit_ols` (``lm`` + ``sandwich``), with β and
  the squared semipartial correlation sr² = b²/[(X'X)⁻¹]ⱼⱼ/SST (the drop in R² without the
  column);
- ``logit``, ``poisson``, ``negbin`` by :func:`attachstats.stats.regression.glm.fit_glm` (``glm``,
  ``MASS::glm.nb``), with ``exp_b`` (odds or incidence-rate ratio) and its interval;
  ``beta`` and ``sr2`` are left empty for these families.

Hierarchical entry: the blocks are added one at a time to an intercept-only model on the
same rows. For ``ols`` each block gets R², ΔR², Cohen's f² = ΔR²/(1 − R²) and the F test
of the change (``anova(m_k-1, m_k)``); for the other families the likelihood-ratio χ² test
(``anova(..., test = "Chisq")``; for ``negbin`` each model with its own θ, as
``anova.negbin``) and McFadden's pseudo-R² and its change.

Diagnostics per model: variance inflation factors of the design columns (1/(1 − R²ⱼ) of
each column on the others, ``car::vif`` for one-column terms), the studentised
Breusch–Pagan test (``lmtest::bptest``, ``ols`` only) and Cook's distances
(``cooks.distance``; count above 4/n and the maximum).

Benjamini–Hochberg adjusted p values (``p.adjust(p, "BH")``) are computed over the
non-intercept terms of all models with the same ``test_family``.

Multiple imputation (``missing: {method: mice}``): the model's variables are imputed
``m`` times by :func:`attachstats.stats.regression.imputation.mice` (seeded), the model is fitted on every
completed data set and coefficients are pooled by Rubin's rules
(:func:`attachstats.stats.regression.imputation.pool`; t tests on Barnard–Rubin df with complete-data
df n − k, as ``mice::pool``). Then ``r2``/``adj_r2`` are pooled as
``mice::pool.r.squared``; ``beta``, ``sr2``, pseudo-R², θ and the block changes are means
over the imputations (block tests are not pooled: ``stat`` and ``p`` are empty); AIC,
BIC, F and σ are not defined and left empty. Diagnostics come from the complete cases.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from itertools import product
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from attachstats.errors import ModelError
from attachstats.spec.models import ModelSpec, term_label
from attachstats.stats.regression.design import INTERCEPT, build_design, complete_rows
from attachstats.stats.regression.glm import fit_glm, pearson_residuals
from attachstats.stats.regression.imputation import mice, pool, pool_r2
from attachstats.stats.regression.moderation import (CURVE_COLUMNS, JN_COLUMNS, SLOPE_COLUMNS, johnson_neyman,
                                                     simple_slopes, slope_curve)
from attachstats.stats.regression.ols import fit_ols
from attachstats.stats.rng import named_rng

log = logging.getLogger(__name__)

__all__ = ["ModelFrame", "OutcomeResult", "model_frame", "fit_outcome_model", "bh_adjust", "add_p_adjusted",
           "imputed_samples", "added_variable", "interaction_centres", "fit_outcome_models",
           "probe_tables", "empty_tables", "REGRESSION_COLUMNS", "REGRESSION_FIT_COLUMNS", "BLOCK_COLUMNS",
           "DIAGNOSTIC_COLUMNS"]

#: Columns of ``tables/regressions.csv``.
REGRESSION_COLUMNS = ["model", "outcome", "family", "term", "b", "se", "ci_lo", "ci_hi", "beta", "stat", "p",
                       "p_adj", "n", "sr2", "exp_b", "exp_ci_lo", "exp_ci_hi", "centre"]
#: Columns of ``tables/regression_fit.csv``.
REGRESSION_FIT_COLUMNS = ["model", "outcome", "n", "r2", "adj_r2", "f", "f_df1", "f_df2", "f_p", "aic", "bic", "sigma",
               "family", "n_excluded", "f2", "pseudo_r2", "nagelkerke_r2", "loglik", "deviance", "null_deviance",
               "theta", "theta_se", "robust", "missing", "imputations"]
#: Columns of ``tables/regression_blocks.csv``.
BLOCK_COLUMNS = ["model", "outcome", "family", "block", "terms", "n", "r2", "delta_r2", "f2", "pseudo_r2",
                 "delta_pseudo_r2", "stat", "df1", "df2", "p"]
#: Columns of ``tables/regression_diagnostics.csv``.
DIAGNOSTIC_COLUMNS = ["model", "check", "term", "value", "df", "p", "count", "threshold"]


@dataclass
class ModelFrame:
    """Outcome vector and design matrix of one model on its estimation rows.

    ``term_columns`` maps each term label (``x`` or ``a:b``) to its design columns;
    ``block_columns`` lists the design columns of each block, in order.
    """

    spec: ModelSpec
    y: pd.Series
    X: pd.DataFrame
    term_columns: dict[str, list[str]]
    block_columns: list[list[str]]
    centres: dict[str, float] = field(default_factory=dict)


@dataclass
class OutcomeResult:
    """Everything :func:`fit_outcome_model` computes for one model (tables unformatted)."""

    spec: ModelSpec
    coefficients: pd.DataFrame
    fit: dict[str, Any]
    blocks: pd.DataFrame
    diagnostics: pd.DataFrame
    frame: ModelFrame
    cov: pd.DataFrame | None = None
    df_resid: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def model_frame(data: pd.DataFrame, spec: ModelSpec) -> ModelFrame:
    """Outcome and design matrix of ``spec`` on the rows complete on its variables.

    Raises
    ------
    attachstats.errors.ModelError
        A variable is not in the data, a standardised variable is constant, a categorical
        predictor has fewer than two levels, an interaction product is constant.
    """
    mask, _ = complete_rows(data, spec.variables, spec.name, "outcome_model")
    d = data.loc[mask, spec.variables].copy()
    if spec.cutoff is not None:
        if not pd.api.types.is_numeric_dtype(d[spec.outcome].dtype):
            raise ModelError(f"model {spec.name!r}: a cutoff needs a numeric outcome; {spec.outcome!r} has "
                             f"dtype {d[spec.outcome].dtype}")
        d[spec.outcome] = (d[spec.outcome].astype(float) >= spec.cutoff).astype(float)
    for v in spec.standardise:
        if not pd.api.types.is_numeric_dtype(d[v].dtype):
            raise ModelError(f"model {spec.name!r}: standardise: {v!r} is not numeric (dtype {d[v].dtype})")
        x = d[v].astype(float)
        sd = x.std(ddof=1)
        if not sd > 0:
            raise ModelError(f"model {spec.name!r}: standardise: {v!r} has no variance in the {len(d)} rows used")
        d[v] = (x - x.mean()) / sd
    centres = interaction_centres(d, spec)
    for v, c in centres.items():
        d[v] = d[v].astype(float) - c
    mains = [*spec.predictors, *spec.covariates]
    y, X, _ = build_design(d, spec.outcome, mains, spec.name)
    groups: dict[str, list[str]] = X.attrs["groups"]
    term_columns: dict[str, list[str]] = {}
    for t in spec.terms:
        if isinstance(t, str):
            term_columns[t] = groups[t]
            continue
        cols = []
        for combo in product(*(groups[v] for v in t)):
            col = ":".join(combo)
            X[col] = np.prod([X[c].to_numpy() for c in combo], axis=0)
            cols.append(col)
        term_columns[term_label(t)] = cols
    order = [INTERCEPT] + [c for t in spec.terms for c in term_columns[term_label(t)]]
    if len(set(order)) != len(order):
        raise ModelError(f"model {spec.name!r}: two design columns would have the same name; rename a variable")
    X = X[order]
    X.attrs = {}
    blocks = [[c for t in b for c in term_columns[term_label(t)]] for b in spec.blocks]
    return ModelFrame(spec=spec, y=y, X=X, term_columns=term_columns, block_columns=blocks, centres=centres)


def interaction_centres(d: pd.DataFrame, spec: ModelSpec) -> dict[str, float]:
    """The means subtracted before fitting: continuous variables of the model's interactions.

    With ``spec.centre`` (the default), every variable of an interaction that is numeric,
    takes more than two distinct values in ``d`` (the estimation rows) and is not already
    z-scored by ``standardise`` is centred at its mean, so that the coefficient of each
    partner is its effect at the sample mean (Aiken & West, 1991) rather than at zero, which
    may lie off the scale (anxiety = 0 on a 1–7 scale). Two-valued variables (0/1 codes) and
    categorical dummies keep their coding: their zero is a real group.

    Returns
    -------
    dict
        Variable → mean subtracted, in the order the variables first appear in an
        interaction; empty when ``spec.centre`` is false or there is no interaction.

    Examples
    --------
    >>> from attachstats.spec.models import parse_outcome_model
    >>> spec = parse_outcome_model({"name": "m", "outcome": "y", "predictors": ["x", "g"],
    ...                             "interactions": [["x", "g"]]})
    >>> interaction_centres(pd.DataFrame({"y": [1., 2, 3, 4], "x": [1., 2, 3, 6], "g": [0, 1, 0, 1]}), spec)
    {'x': 3.0}

    R equivalent: ``scale(x, scale = FALSE)`` on the model's complete rows before ``lm``.
    """
    if not spec.centre:
        return {}
    out: dict[str, float] = {}
    for t in spec.interactions:
        for v in t:
            if v in out or v in spec.standardise or not pd.api.types.is_numeric_dtype(d[v].dtype):
                continue
            x = d[v].astype(float)
            if x.nunique() > 2:
                out[v] = float(x.mean())
    return out


def bh_adjust(p: Sequence[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p values, as R's ``p.adjust(p, "BH")`` (NaN stays NaN).

    With the m non-missing p values in decreasing order and i = m, …, 1 their ranks, the
    adjusted values are ``min(1, cummin((m / i) * p))``, in R's order of operations
    (``n/i * p[o]``): the largest p is returned unchanged, and no adjusted p is below its p.
    Missing p values are left out of m, as in R.

    Examples
    --------
    >>> bh_adjust([0.01, 0.04, 0.03, np.nan]).round(4).tolist()
    [0.03, 0.04, 0.04, nan]
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    q = p[ok]
    m = len(q)
    if m == 0:
        return out
    order = np.argsort(q)[::-1]
    ranks = np.arange(m, 0, -1)
    adj = np.minimum.accumulate(m / ranks * q[order])
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


def add_p_adjusted(coefficients: pd.DataFrame, families: Mapping[str, str]) -> pd.DataFrame:
    """Fill ``p_adj``: BH over the non-intercept terms of the models of each test family.

    Parameters
    ----------
    coefficients : pandas.DataFrame
        Stacked coefficient tables (columns :data:`REGRESSION_COLUMNS`).
    families : mapping
        Model name → test family name.
    """
    out = coefficients.copy()
    out["p_adj"] = np.nan
    fam = out["model"].map(families)
    for f in pd.unique(fam.dropna()):
        sel = (fam == f) & (out["term"] != INTERCEPT)
        out.loc[sel, "p_adj"] = bh_adjust(out.loc[sel, "p"].to_numpy())
    return out


# ---------------------------------------------------------------------------------------
# fitting one data set
# ---------------------------------------------------------------------------------------

def _ssr(y: np.ndarray, X: np.ndarray) -> float:
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ beta
    return float(r @ r)


def _fit_once(frame: ModelFrame, ci: float = 0.95) -> dict[str, Any]:
    """Fit one design; coefficient columns, fit dict, cov and per-block statistics."""
    from scipy import stats

    spec = frame.spec
    y, X = frame.y.to_numpy(float), frame.X
    Xv = X.to_numpy(float)
    n, k = Xv.shape
    terms = list(X.columns)
    if spec.family == "ols":
        df = X.drop(columns=INTERCEPT).copy()
        df[spec.outcome] = y
        res = fit_ols(df, spec.outcome, terms[1:], spec.name, robust=spec.robust, ci=ci)
        c = res.coefficients
        tss = float(((y - y.mean()) ** 2).sum())
        xtx_inv = np.linalg.inv(Xv.T @ Xv)
        sr2 = c["b"].to_numpy() ** 2 / np.diag(xtx_inv) / tss
        sr2[0] = np.nan
        coef = {"term": terms, "b": c["b"].to_numpy(), "se": c["se"].to_numpy(), "ci_lo": c["ci_lo"].to_numpy(),
                "ci_hi": c["ci_hi"].to_numpy(), "beta": c["beta"].to_numpy(), "stat": c["stat"].to_numpy(),
                "p": c["p"].to_numpy(), "sr2": sr2, "exp_b": np.nan, "exp_ci_lo": np.nan, "exp_ci_hi": np.nan}
        f = res.fit
        r2 = f["r2"]
        fit = {**{key: f[key] for key in ("r2", "adj_r2", "f", "f_df1", "f_df2", "f_p", "aic", "bic", "sigma")},
               "f2": r2 / (1 - r2) if r2 < 1 else math.inf, "loglik": (2 * (k + 1) - f["aic"]) / 2}
        cov = res.cov
        # blocks: nested OLS fits on the same rows
        blocks = []
        cols = [INTERCEPT]
        r2_prev = 0.0
        for b_no, bcols in enumerate(frame.block_columns, start=1):
            cols = cols + bcols
            r2_k = 1 - _ssr(y, X[cols].to_numpy(float)) / tss
            df1, df2 = len(bcols), n - len(cols)
            d = r2_k - r2_prev
            fstat = (d / df1) / ((1 - r2_k) / df2) if r2_k < 1 else math.inf
            blocks.append({"block": b_no, "n": n, "r2": r2_k, "delta_r2": d, "f2": d / (1 - r2_k) if r2_k < 1 else math.inf,
                           "stat": fstat, "df1": df1, "df2": df2, "p": float(stats.f.sf(fstat, df1, df2))})
            r2_prev = r2_k
        return {"coef": coef, "fit": fit, "cov": cov, "df_resid": n - k, "blocks": blocks}

    g = fit_glm(y, X, spec.family, spec.name, robust=spec.robust, ci=ci)
    coef = {"term": terms, "b": g.b, "se": g.se, "ci_lo": g.ci_lo, "ci_hi": g.ci_hi, "beta": np.nan, "stat": g.stat,
            "p": g.p, "sr2": np.nan, "exp_b": np.exp(g.b), "exp_ci_lo": np.exp(g.ci_lo), "exp_ci_hi": np.exp(g.ci_hi)}
    fit = {key: g.fit[key] for key in ("aic", "bic", "pseudo_r2", "nagelkerke_r2", "loglik", "deviance",
                                       "null_deviance", "theta", "theta_se")}
    blocks = []
    cols = [INTERCEPT]
    ll0 = ll_prev = fit_glm(y, X[cols], spec.family, spec.name).fit["loglik"]
    for b_no, bcols in enumerate(frame.block_columns, start=1):
        cols = cols + bcols
        ll = g.fit["loglik"] if len(cols) == k else fit_glm(y, X[cols], spec.family, spec.name).fit["loglik"]
        lr = max(2 * (ll - ll_prev), 0.0)
        pr2, pr2_prev = 1 - ll / ll0, 1 - ll_prev / ll0
        blocks.append({"block": b_no, "n": n, "pseudo_r2": pr2, "delta_pseudo_r2": pr2 - pr2_prev, "stat": lr,
                       "df1": len(bcols), "p": float(stats.chi2.sf(lr, len(bcols)))})
        ll_prev = ll
    return {"coef": coef, "fit": fit, "cov": g.cov, "df_resid": n - k, "blocks": blocks, "glm": g}


def _diagnostics(frame: ModelFrame, fitted: dict[str, Any]) -> pd.DataFrame:
    """VIF per design column, Breusch–Pagan (ols), Cook's distances."""
    from scipy import stats

    spec = frame.spec
    X = frame.X
    Xv = X.to_numpy(float)
    y = frame.y.to_numpy(float)
    n, k = Xv.shape
    rows = []
    others = [c for c in X.columns if c != INTERCEPT]
    if len(others) == 1:
        vif = np.array([1.0])
    elif others:
        vif = np.diag(np.linalg.inv(np.corrcoef(X[others].to_numpy(float), rowvar=False)))
    else:
        vif = np.array([])
    for c, v in zip(others, vif):
        rows.append({"check": "vif", "term": c, "value": float(v)})
    thr = 4.0 / n
    if spec.family == "ols":
        xtx_inv = np.linalg.inv(Xv.T @ Xv)
        beta = xtx_inv @ Xv.T @ y
        e = y - Xv @ beta
        h = np.einsum("ij,jk,ik->i", Xv, xtx_inv, Xv)
        if k > 1:
            e2 = e * e
            r2_aux = 1 - _ssr(e2, Xv) / float(((e2 - e2.mean()) ** 2).sum())
            bp = n * r2_aux
            rows.append({"check": "breusch_pagan", "term": "", "value": bp, "df": k - 1,
                         "p": float(stats.chi2.sf(bp, k - 1))})
        s2 = float(e @ e) / (n - k)
        cooks = e * e * h / (k * s2 * (1 - h) ** 2)
    else:
        g = fitted["glm"]
        r = pearson_residuals(g, y)
        cooks = (r / (1 - g.hat)) ** 2 * g.hat / k
    rows.append({"check": "cooks_distance", "term": "", "value": float(np.max(cooks)),
                 "count": int((cooks > thr).sum()), "threshold": thr})
    out = pd.DataFrame(rows, columns=DIAGNOSTIC_COLUMNS)
    out["model"] = spec.name
    return out


def _coef_table(spec: ModelSpec, coef: Mapping[str, Any], n: int,
                centres: Mapping[str, float] | None = None) -> pd.DataFrame:
    """The coefficient rows; ``centre`` holds the mean subtracted from a centred variable's
    own term (empty for every other term, interactions included)."""
    d = pd.DataFrame({**coef, "model": spec.name, "outcome": spec.outcome, "family": spec.family, "n": int(n),
                      "p_adj": np.nan})
    d["centre"] = d["term"].map(dict(centres or {})).astype(float)
    return d[REGRESSION_COLUMNS]


def _block_table(spec: ModelSpec, blocks: list[dict[str, Any]]) -> pd.DataFrame:
    labels = ["; ".join(term_label(t) for t in b) for b in spec.blocks]
    d = pd.DataFrame(blocks)
    d["terms"] = [labels[int(b) - 1] for b in d["block"]]
    d["model"], d["outcome"], d["family"] = spec.name, spec.outcome, spec.family
    return d.reindex(columns=BLOCK_COLUMNS)


def fit_outcome_model(data: pd.DataFrame, spec: ModelSpec, seed: int = 0, ci: float = 0.95,
                      threads: int = 1) -> OutcomeResult:
    """Fit one outcome model (listwise or by multiple imputation) with its tables.

    Parameters
    ----------
    data : pandas.DataFrame
        The scores table (categorical variables as pandas Categoricals with the reference
        level first, see :func:`attachstats.steps.model.study_outcome_models`).
    spec : ModelSpec
    seed : int
        Master seed; the imputations use :func:`attachstats.stats.rng.named_rng` (seed, model name).
    ci : float
        Interval coverage.
    threads : int, default 1
        Threads for the imputations (same result on any number).

    Returns
    -------
    OutcomeResult
        ``coefficients`` (:data:`REGRESSION_COLUMNS`, ``p_adj`` still empty), ``fit``
        (:data:`REGRESSION_FIT_COLUMNS`), ``blocks`` (:data:`BLOCK_COLUMNS`), ``diagnostics``
        (:data:`DIAGNOSTIC_COLUMNS`), the complete-case :class:`ModelFrame`, the coefficient
        covariance and residual df (listwise fits).
    """
    mask, samples = complete_rows(data, spec.variables, spec.name, "outcome_model")
    n_total = len(data)
    base = {"model": spec.name, "outcome": spec.outcome, "family": spec.family, "robust": spec.robust,
            "missing": spec.missing}
    if spec.missing == "listwise":
        frame = model_frame(data, spec)
        res = _fit_once(frame, ci)
        n = len(frame.y)
        fit = {**base, **res["fit"], "n": n, "n_excluded": n_total - n, "imputations": 0}
        cov = pd.DataFrame(res["cov"], index=frame.X.columns, columns=frame.X.columns)
        return OutcomeResult(spec=spec, coefficients=_coef_table(spec, res["coef"], n, frame.centres),
                             fit=_fit_row(fit),
                             blocks=_block_table(spec, res["blocks"]), diagnostics=_diagnostics(frame, res),
                             frame=frame, cov=cov, df_resid=res["df_resid"], extra={"samples": samples})

    rng = named_rng(seed, spec.name)
    completed = mice(data[spec.variables], spec.imputations, spec.iterations, rng, spec.name, threads)
    runs, centres = [], []
    for d in completed:
        frame_i = model_frame(d, spec)
        runs.append(_fit_once(frame_i, ci))
        centres.append(frame_i.centres)
    n = len(completed[0])
    k = len(runs[0]["coef"]["term"])
    terms = runs[0]["coef"]["term"]
    est = np.array([r["coef"]["b"] for r in runs])
    se = np.array([r["coef"]["se"] for r in runs])
    pooled = pool(est, se, dfcom=n - k, terms=terms, ci=ci)

    def mean_of(key: str) -> Any:
        vals = [np.asarray(r["coef"][key], dtype=float) for r in runs]
        return np.mean(vals, axis=0)

    coef = {"term": terms, "b": pooled["estimate"].to_numpy(), "se": pooled["se"].to_numpy(),
            "ci_lo": pooled["ci_lo"].to_numpy(), "ci_hi": pooled["ci_hi"].to_numpy(), "beta": mean_of("beta"),
            "stat": pooled["statistic"].to_numpy(), "p": pooled["p"].to_numpy(), "sr2": mean_of("sr2")}
    if spec.family == "ols":
        coef.update({"exp_b": np.nan, "exp_ci_lo": np.nan, "exp_ci_hi": np.nan})
    else:
        coef.update({"exp_b": np.exp(coef["b"]), "exp_ci_lo": np.exp(coef["ci_lo"]), "exp_ci_hi": np.exp(coef["ci_hi"])})
    fit = {**base, "n": n, "n_excluded": 0, "imputations": spec.imputations}
    if spec.family == "ols":
        r2 = pool_r2([r["fit"]["r2"] for r in runs])
        adj = [r["fit"]["adj_r2"] for r in runs]
        fit.update({"r2": r2, "adj_r2": pool_r2(adj) if min(adj) >= 0 else math.nan,
                    "f2": r2 / (1 - r2) if r2 < 1 else math.inf})
    else:
        for key in ("pseudo_r2", "nagelkerke_r2", "theta"):
            fit[key] = float(np.mean([r["fit"][key] for r in runs]))
    blocks = []
    for j in range(len(spec.blocks)):
        row = {"block": j + 1, "n": n, "df1": runs[0]["blocks"][j]["df1"]}
        keys = ("r2", "delta_r2", "f2") if spec.family == "ols" else ("pseudo_r2", "delta_pseudo_r2")
        for key in keys:
            row[key] = float(np.mean([r["blocks"][j][key] for r in runs]))
        blocks.append(row)
    samples = imputed_samples(samples, n_total)
    cc_frame = model_frame(data, spec)
    cc = _fit_once(cc_frame, ci)
    mean_centres = {v: float(np.mean([c[v] for c in centres])) for v in centres[0]} if centres else {}
    return OutcomeResult(spec=spec, coefficients=_coef_table(spec, coef, n, mean_centres), fit=_fit_row(fit),
                         blocks=_block_table(spec, blocks), diagnostics=_diagnostics(cc_frame, cc), frame=cc_frame,
                         extra={"samples": samples, "pooled": pooled})


def imputed_samples(samples: pd.DataFrame, n_total: int) -> pd.DataFrame:
    """Under imputation every row is used; rows with missing values are listed as ``imputed``."""
    out = samples.copy()
    out.loc[out["reason"] == "used", "n"] = n_total
    out.loc[out["reason"] == "missing", "reason"] = "imputed"
    return out


def _fit_row(fit: Mapping[str, Any]) -> dict[str, Any]:
    return {c: fit.get(c, math.nan) for c in REGRESSION_FIT_COLUMNS}


def added_variable(frame: ModelFrame, column: str) -> pd.DataFrame:
    """Partial-regression (added-variable) coordinates of one design column of an OLS model.

    Returns the residuals of the outcome and of ``column`` after regressing each on all
    other design columns (``car::avPlots``); the slope through them is the column's b.
    """
    X = frame.X
    if column not in X.columns:
        raise ModelError(f"model {frame.spec.name!r}: no term {column!r} (terms: {', '.join(X.columns[1:])})")
    rest = X.drop(columns=column).to_numpy(float)
    y = frame.y.to_numpy(float)
    x = X[column].to_numpy(float)

    def resid(v: np.ndarray) -> np.ndarray:
        beta, *_ = np.linalg.lstsq(rest, v, rcond=None)
        return v - rest @ beta

    return pd.DataFrame({"x_resid": resid(x), "y_resid": resid(y)}, index=frame.y.index)


def empty_tables() -> dict[str, pd.DataFrame]:
    """The tables of :func:`fit_outcome_models` without rows (a study without outcome models)."""
    return {"regressions": pd.DataFrame(columns=REGRESSION_COLUMNS),
            "regression_fit": pd.DataFrame(columns=REGRESSION_FIT_COLUMNS),
            "regression_blocks": pd.DataFrame(columns=BLOCK_COLUMNS),
            "regression_diagnostics": pd.DataFrame(columns=DIAGNOSTIC_COLUMNS),
            "simple_slopes": pd.DataFrame(columns=SLOPE_COLUMNS),
            "johnson_neyman": pd.DataFrame(columns=JN_COLUMNS),
            "slope_curve": pd.DataFrame(columns=CURVE_COLUMNS)}


def probe_tables(result: OutcomeResult, ci: float = 0.95) -> dict[str, pd.DataFrame]:
    """Simple slopes, Johnson–Neyman row and slope curve of a probed (listwise OLS) model."""
    spec, frame = result.spec, result.frame
    focal, moderator = spec.probe
    inter = next(term_label(t) for t in spec.interactions if set(t) == {focal, moderator})
    inter_col = frame.term_columns[inter][0]
    b = result.coefficients.set_index("term")["b"]
    args = (b, result.cov, focal, moderator, inter_col, result.df_resid)
    values = frame.X[moderator].to_numpy(float)
    cw, cx = frame.centres.get(moderator, 0.0), frame.centres.get(focal, 0.0)
    return {"simple_slopes": simple_slopes(*args, design=frame.X, model=spec.name, outcome=spec.outcome, ci=ci,
                                           moderator_centre=cw, focal_centre=cx),
            "johnson_neyman": johnson_neyman(*args, values=values, model=spec.name, outcome=spec.outcome,
                                             alpha=1 - ci, moderator_centre=cw),
            "slope_curve": slope_curve(*args, values=values, model=spec.name, outcome=spec.outcome, ci=ci,
                                       moderator_centre=cw)}


def fit_outcome_models(data: pd.DataFrame, specs: Sequence[ModelSpec], seed: int,
                         threads: int = 1) -> dict[str, pd.DataFrame]:
    """Fit every outcome model; the result tables by name (see :func:`empty_tables`).

    ``data`` is the scores table with categorical variables prepared
    (:func:`attachstats.steps.model.study_outcome_models` does this from a study file).
    """
    tables = empty_tables()
    if not specs:
        return tables
    results = []
    for s in specs:
        started = time.perf_counter()
        results.append(fit_outcome_model(data, s, seed, threads=threads))
        log.info("model %r: %s fitted on %d rows in %.1f s", s.name, s.outcome, results[-1].fit.get("n", 0),
                 time.perf_counter() - started)
    coefs = pd.concat([r.coefficients for r in results], ignore_index=True)
    tables["regressions"] = add_p_adjusted(coefs, {s.name: s.test_family for s in specs})[REGRESSION_COLUMNS]
    tables["regression_fit"] = pd.DataFrame([r.fit for r in results], columns=REGRESSION_FIT_COLUMNS)
    tables["regression_blocks"] = pd.concat([r.blocks for r in results], ignore_index=True)[BLOCK_COLUMNS]
    tables["regression_diagnostics"] = pd.concat([r.diagnostics for r in results],
                                                 ignore_index=True)[DIAGNOSTIC_COLUMNS]
    probes = [probe_tables(r) for r in results if r.spec.probe is not None]
    for key in ("simple_slopes", "johnson_neyman", "slope_curve"):
        if probes:
            tables[key] = pd.concat([p[key] for p in probes], ignore_index=True)
    return tables
