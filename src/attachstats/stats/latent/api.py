"""``sem()``: fit any lavaan-syntax model to a DataFrame, as lavaan's ``sem()`` / ``cfa()``.

The public entry point for notebooks and scripts (also ``attachstats.sem``)::

    res = sem(syntax, data, estimator="MLR", group="school", group_equal=["loadings"])
    res.fit_measures()      # dict with lavaan's fitMeasures() names
    res.parameters()        # DataFrame with lavaan's parameterEstimates() columns + std.all
    res.modindices()        # ranked modification indices (score tests)

It chains :func:`attachstats.stats.latent.syntax.lavaanify` (syntax → parameter table with
lavaan's defaults), :func:`attachstats.stats.latent.estimation.fit_partable` (one driver for
ML, MLR, FIML and multiple groups) and :mod:`attachstats.stats.latent.modindices`.

Estimators other than ML/MLR are looked up in :data:`ESTIMATORS` (:func:`register_estimator`
adds one): ``"WLSMV"`` is :func:`attachstats.stats.latent.wlsmv.sem_fitter` (ordered items;
one group, or the semTools invariance steps with ``group``). Other ordinal estimator names
(DWLS, ULSMV, …) raise :class:`attachstats.errors.ModelError` saying so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from attachstats.errors import ModelError
from attachstats.stats.latent.engine import Z_95
from attachstats.stats.bootstrap import percentile_ci
from attachstats.stats.latent.cfa import wlsmv_fit_row
from attachstats.stats.latent.comparison import LRT_COLUMNS, compare_models, wlsmv_lrt
from attachstats.stats.latent.estimation import ModelFit, bootstrap_estimates, fit_partable
from attachstats.stats.latent.modindices import modification_indices
from attachstats.stats.latent.standardise import complex_step_jacobian, delta_method_se
from attachstats.stats.latent.syntax import ParTable, lavaanify
from attachstats.stats.latent.wlsmv import sem_fitter as wlsmv_fitter
from attachstats.stats.rng import named_rng
from attachstats.stats.threads import small_matrix_work

__all__ = ["SEM_PARAMETERS_COLUMNS", "FIT_MEASURE_NAMES", "ESTIMATORS", "register_estimator", "SEMFit", "sem",
           "pipeline_tables", "lrt"]

#: Columns of :meth:`SEMFit.parameters` (lavaan ``parameterEstimates()`` + ``std.all``).
SEM_PARAMETERS_COLUMNS = ["lhs", "op", "rhs", "group", "label", "est", "se", "z", "pvalue", "ci.lower",
                          "ci.upper", "std.all", "std.all.se", "std.lv", "std.lv.se"]
#: The fit measures every :meth:`SEMFit.fit_measures` has (robust ones are added for MLR).
FIT_MEASURE_NAMES = ["npar", "fmin", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df",
                     "baseline.pvalue", "cfi", "tli", "nnfi", "rfi", "nfi", "pnfi", "ifi", "rni", "logl",
                     "unrestricted.logl", "aic", "bic", "ntotal", "bic2", "rmsea", "rmsea.ci.lower",
                     "rmsea.ci.upper", "rmsea.pvalue", "srmr"]

#: Estimator name → fitting function ``f(syntax, data, **options) -> result`` for estimators
#: implemented outside this module (the ordinal module registers WLSMV/DWLS/ULSMV here).
ESTIMATORS: dict[str, Callable[..., Any]] = {"WLSMV": wlsmv_fitter}
_ORDINAL = ("WLSMV", "DWLS", "WLS", "ULSMV", "ULS", "WLSM", "WLSMVS")


def register_estimator(name: str, fitter: Callable[..., Any]) -> None:
    """Make ``sem(..., estimator=name)`` (and ``ordered=`` for ordinal estimators) call ``fitter``.

    ``fitter`` receives ``(syntax, data, estimator=, ordered=, group=, group_equal=,
    group_partial=, missing=, std_lv=, name=)`` and returns an object with
    ``fit_measures()`` and ``parameters()`` as :class:`SEMFit`.
    """
    ESTIMATORS[name.upper()] = fitter


@dataclass
class SEMFit:
    """A fitted model (:func:`sem`). Computation only: nothing is rounded or formatted.

    Attributes
    ----------
    name : str
    fitted : ModelFit
        The estimates, covariance matrices and fit statistics.
    """

    name: str
    fitted: ModelFit

    @property
    def partable(self) -> ParTable:
        return self.fitted.partable

    def fit_measures(self) -> dict[str, float]:
        """lavaan's ``fitMeasures()`` (same names): chisq, df, pvalue, cfi, tli, rmsea [CI], srmr,
        aic, bic, …; with MLR also chisq.scaled, cfi.scaled, tli.scaled, rmsea.scaled,
        cfi.robust, tli.robust, rmsea.robust and their companions."""
        return dict(self.fitted.fit)

    @small_matrix_work
    def parameters(self, level: float = 0.95) -> pd.DataFrame:
        """lavaan ``parameterEstimates(fit, rsquare = TRUE)`` with ``std.all``/``std.lv`` and their SEs.

        One row per parameter (and group), then the defined parameters (``op`` ``:=``), then
        the R² of every endogenous variable (``op`` ``r2``). ``se`` is 0 for fixed
        parameters (as lavaan), ``z``/``pvalue`` NaN there; intervals are Wald intervals.
        """
        from scipy.stats import norm

        f = self.fitted
        pt = f.partable.params
        zq = Z_95 if level == 0.95 else float(norm.ppf(0.5 + level / 2))
        z_mat = f.constraints.Z
        x0 = f.constraints.x0

        def rows_and_defs(phi: np.ndarray) -> np.ndarray:
            x = x0 + z_mat @ phi
            v = f.row_values(x)
            return np.concatenate([v, f.defined(x, v)])

        est = rows_and_defs(f.phi).real
        jac = complex_step_jacobian(rows_and_defs, f.phi)
        se = delta_method_se(jac, f.vcov_phi, zero_below=0.0)
        std_all = f.standardised(f.x, "std.all").real
        std_lv = f.standardised(f.x, "std.lv").real
        j_all = complex_step_jacobian(lambda ph: f.standardised(x0 + z_mat @ ph, "std.all"), f.phi)
        j_lv = complex_step_jacobian(lambda ph: f.standardised(x0 + z_mat @ ph, "std.lv"), f.phi)
        se_all = delta_method_se(j_all, f.vcov_phi)
        se_lv = delta_method_se(j_lv, f.vcov_phi)
        defs = f.partable.constraints
        defs = defs[defs["op"] == ":="]
        records = []
        free = list(pt["free"] > 0) + [True] * len(defs)
        meta = [(r["lhs"], r["op"], r["rhs"], int(r["group"]), r["label"]) for _, r in pt.iterrows()]
        dg = 0 if f.partable.ngroups > 1 else 1           # lavaan: group 0 with several groups
        meta += [(d["lhs"], ":=", d["rhs"], dg, d["lhs"]) for _, d in defs.iterrows()]
        for k, (lhs, op, rhs, g, lab) in enumerate(meta):
            s = se[k] if free[k] else 0.0
            zval = est[k] / s if free[k] and s > 0 else math.nan
            records.append({"lhs": lhs, "op": op, "rhs": rhs, "group": g, "label": lab, "est": est[k],
                            "se": s, "z": zval,
                            "pvalue": float(2 * norm.sf(abs(zval))) if np.isfinite(zval) else math.nan,
                            "ci.lower": est[k] - zq * s, "ci.upper": est[k] + zq * s,
                            "std.all": std_all[k], "std.all.se": se_all[k],
                            "std.lv": std_lv[k], "std.lv.se": se_lv[k]})
        for v, g, r2 in f.r_squared():
            records.append({"lhs": v, "op": "r2", "rhs": v, "group": g, "label": "", "est": r2,
                            "se": math.nan, "z": math.nan, "pvalue": math.nan, "ci.lower": math.nan,
                            "ci.upper": math.nan, "std.all": math.nan, "std.all.se": math.nan,
                            "std.lv": math.nan, "std.lv.se": math.nan})
        out = pd.DataFrame(records, columns=SEM_PARAMETERS_COLUMNS)
        if f.partable.ngroups > 1:
            labels = {k + 1: g for k, g in enumerate(f.groups)}
            out.insert(4, "group.label", out["group"].map(labels).fillna(""))
        return out

    def par_table(self) -> pd.DataFrame:
        """lavaan ``parTable(fit)``: the parameter table (:data:`attachstats.stats.latent.syntax.PARTABLE_COLUMNS`)
        with the estimates ``est`` and standard errors ``se`` (0 for fixed rows) of the parameter rows."""
        f = self.fitted
        rows = f.partable.rows.copy()
        n = len(f.partable.params)
        se_x = np.sqrt(np.clip(np.diag(f.vcov_x), 0, None))
        est = list(f.row_values(f.x).real) + [math.nan] * (len(rows) - n)
        free = rows["free"].to_numpy()
        se = [float(se_x[free[k] - 1]) if k < n and free[k] > 0 else (0.0 if k < n else math.nan)
              for k in range(len(rows))]
        defs = f.defined(f.x).real
        d = 0
        for k in range(n, len(rows)):
            if rows.iloc[k]["op"] == ":=":
                est[k] = float(defs[d])
                d += 1
        rows["est"], rows["se"] = est, se
        return rows

    def fit_row(self) -> dict:
        """The fit as one row of the pipeline's fit tables (keys
        :data:`attachstats.stats.latent.fit_indices.FIT_COLUMNS`; MLR: scaled χ², robust indices)."""
        f = self.fitted.fit
        mlr = self.fitted.estimator == "MLR" and "chisq.scaled" in f
        est = self.fitted.estimator + ("/FIML" if self.fitted.missing == "fiml" else "")
        return {"model": self.name, "estimator": est, "n": int(f["ntotal"]),
                "chi2": f["chisq.scaled"] if mlr else f["chisq"], "df": int(f["df"]),
                "p": f["pvalue.scaled"] if mlr else f["pvalue"],
                "cfi": f.get("cfi.robust", f["cfi"]) if mlr else f["cfi"],
                "tli": f.get("tli.robust", f["tli"]) if mlr else f["tli"],
                "rmsea": f.get("rmsea.robust", f["rmsea"]) if mlr else f["rmsea"],
                "rmsea_ci_lo": f.get("rmsea.ci.lower.robust", f["rmsea.ci.lower"]) if mlr else f["rmsea.ci.lower"],
                "rmsea_ci_hi": f.get("rmsea.ci.upper.robust", f["rmsea.ci.upper"]) if mlr else f["rmsea.ci.upper"],
                "srmr": f["srmr"], "aic": f["aic"], "bic": f["bic"], "loglik": f["logl"], "npar": int(f["npar"]),
                "baseline_chi2": f["baseline.chisq"], "baseline_df": int(f["baseline.df"]), "chi2_ml": f["chisq"],
                "scaling_factor": f.get("chisq.scaling.factor", math.nan),
                "baseline_scaling_factor": f.get("baseline.chisq.scaling.factor", math.nan)}

    def sem_table(self) -> pd.DataFrame:
        """The parameters as the pipeline's ``sem_parameters`` table: columns ``model, lhs, op,
        rhs, free, est, se, stat, p, ci_lo, ci_hi, std`` (``group`` too for several groups);
        ``r2`` rows carry the R² in ``est`` and ``std``."""
        p = self.parameters()
        pt = self.fitted.partable.params
        free_keys = {(r["lhs"], r["op"], r["rhs"], int(r["group"])) for _, r in pt.iterrows() if r["free"] > 0}
        free = [(r.lhs, r.op, r.rhs, int(r.group)) in free_keys or r.op == ":=" for r in p.itertuples()]
        out = pd.DataFrame({"model": self.name, "lhs": p["lhs"], "op": p["op"], "rhs": p["rhs"], "free": free,
                            "est": p["est"], "se": p["se"].where(free), "stat": p["z"], "p": p["pvalue"],
                            "ci_lo": p["ci.lower"], "ci_hi": p["ci.upper"],
                            "std": p["std.all"].where(p["op"] != "r2", p["est"])})
        if self.fitted.partable.ngroups > 1:
            out.insert(1, "group", p["group.label"])
        return out

    def bootstrap(self, n_boot: int = 1000, seed: int = 0, ci: float = 0.95) -> pd.DataFrame:
        """Percentile bootstrap intervals of every parameter and defined effect (lavaan
        ``sem(..., se = "bootstrap")`` + ``parameterEstimates(boot.ci.type = "perc")``).

        Cases are resampled within groups (generator ``named_rng(seed, "sem bootstrap <name>")``),
        every resample refitted by ML. Columns ``lhs, op, rhs, group, est, boot.se,
        boot.ci.lower, boot.ci.upper, n_boot`` (resamples that converged); intervals are NaN
        when more than 5% of the resamples failed. Complete-data fits only.
        """
        if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 1:
            raise ModelError(f"model {self.name!r}: n_boot must be a positive integer, got {n_boot!r}")
        f = self.fitted
        boots = bootstrap_estimates(f, n_boot, named_rng(seed, f"sem bootstrap {self.name}"))
        p = self.parameters()
        p = p[p["op"] != "r2"].reset_index(drop=True)
        rows = []
        for k, r in p.iterrows():
            v = boots[:, k]
            lo, hi = percentile_ci(v, ci)
            ok = np.isfinite(v)
            rows.append({"lhs": r["lhs"], "op": r["op"], "rhs": r["rhs"], "group": r["group"], "est": r["est"],
                         "boot.se": float(np.std(v[ok], ddof=1)) if ok.sum() > 1 else math.nan,
                         "boot.ci.lower": lo, "boot.ci.upper": hi, "n_boot": int(ok.sum())})
        return pd.DataFrame(rows)

    @small_matrix_work
    def modindices(self, minimum: float = 0.0) -> pd.DataFrame:
        """Modification indices of the fixed parameters, ranked (lavaan ``modindices(fit, sort. = TRUE)``)."""
        mi = modification_indices(self.fitted)
        mi = mi[mi["mi"] >= minimum]
        return mi.sort_values("mi", ascending=False, kind="mergesort").reset_index(drop=True)


def _group_levels(data: pd.DataFrame, group: str) -> list[str]:
    """Group values in order of first appearance (lavaan's order for a non-factor column)."""
    return list(dict.fromkeys(data[group].astype("string").dropna().tolist()))


def sem(syntax: str, data: pd.DataFrame, estimator: str = "ML", ordered: Sequence[str] | bool | None = None,
        group: str | None = None, group_equal: Sequence[str] = (), group_partial: Sequence[str] = (),
        missing: str = "listwise", std_lv: bool = False, fixed_x: bool = True,
        groups: Sequence[str] | None = None, meanstructure: bool | None = None,
        orthogonal: bool = False, name: str = "model") -> Any:
    """Fit a structural equation model written in lavaan syntax, as ``lavaan::sem()``.

    Parameters
    ----------
    syntax : str
        lavaan model syntax: ``=~ ~ ~~ ~1 := ==`` with labels (``a*x2``), fixed values
        (``1*x1``), starting values (``start(0.5)*x2``), ``c(...)`` per group.
    data : DataFrame
        One row per case; every observed variable of the model, numeric.
    estimator : {"ML", "MLR"} or a registered name
        ``"MLR"``: robust (Huber–White) standard errors and the Yuan–Bentler scaled test.
    ordered : list of str or True, optional
        Ordered indicators (True: all), fitted by WLSMV
        (:func:`attachstats.stats.latent.wlsmv.sem_fitter`); the model's other variables are
        continuous. With ``group``, ``group_equal`` is one of the semTools invariance steps
        and ``group_partial`` frees loadings, thresholds (``"x | t2"``) or intercepts.
    group : str, optional
        Grouping column (multiple-group model); ``groups`` picks and orders its values
        (default: order of first appearance, as lavaan; the first is the reference group).
    group_equal, group_partial : sequence of str
        lavaan's ``group.equal`` (``loadings``, ``intercepts``, ``means``, ``residuals``,
        ``residual.covariances``, ``lv.variances``, ``lv.covariances``, ``regressions``) and
        ``group.partial`` (``"x3 ~ 1"``, ``"f =~ x2"``).
    missing : {"listwise", "fiml"}
        Listwise deletion (lavaan's default) or full-information ML (``missing = "ml"``).
    std_lv : bool
        Identify factors by fixed variances 1 instead of marker loadings (``std.lv = TRUE``).
    fixed_x : bool
        Exogenous observed covariates' moments fixed at their sample values (lavaan default).
    meanstructure : bool, optional
        Fit intercepts and means (default as lavaan: with ``~1`` in the syntax, several
        groups or FIML).
    orthogonal : bool
        Exogenous factors uncorrelated (lavaan ``orthogonal = TRUE``).
    name : str
        Model name in messages.

    Returns
    -------
    SEMFit
        ``fit_measures()``, ``parameters()``, ``modindices()``.

    Raises
    ------
    attachstats.errors.ModelError
        Unreadable syntax, columns absent or not numeric, a model that is not identified or
        does not converge, or an estimator that is not implemented.

    Examples
    --------
    R: ``fit <- lavaan::sem(model, data); fitMeasures(fit); parameterEstimates(fit)``.

    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(400, 1))
    >>> d = pd.DataFrame(f @ np.ones((1, 4)) + rng.normal(size=(400, 4)), columns=["x1", "x2", "x3", "y"])
    >>> res = sem("f =~ x1 + x2 + x3\\ny ~ f", d)
    >>> res.fit_measures()["df"], res.parameters().loc[3, ["lhs", "op", "rhs"]].tolist()
    (2, ['y', '~', 'f'])
    """
    est = str(estimator).upper()
    if ordered and est == "ML":
        est = "WLSMV"                        # lavaan's default estimator for ordered indicators
    if ordered and est not in _ORDINAL:
        raise ModelError(f"model {name!r}: ordered indicators need an ordinal estimator (WLSMV, DWLS, "
                         f"ULSMV), not {estimator}")
    if ordered or est in _ORDINAL:
        fitter = ESTIMATORS.get(est if est in _ORDINAL else "WLSMV")
        if fitter is None:
            raise ModelError(f"model {name!r}: ordinal estimation ({'ordered=' if ordered else ''}"
                             f"{estimator}) is not implemented: ordered items are fitted by WLSMV (estimator='WLSMV')")
        return fitter(syntax, data, estimator=est, ordered=ordered, group=group, group_equal=group_equal,
                      group_partial=group_partial, missing=missing, std_lv=std_lv, name=name)
    if est in ESTIMATORS:
        return ESTIMATORS[est](syntax, data, estimator=est, ordered=ordered, group=group,
                               group_equal=group_equal, group_partial=group_partial, missing=missing,
                               std_lv=std_lv, name=name)
    if est not in ("ML", "MLR"):
        raise ModelError(f"model {name!r}: unknown estimator {estimator!r}; implemented: ML, MLR"
                         + (f", {', '.join(ESTIMATORS)}" if ESTIMATORS else ""))
    miss = {"ml": "fiml", "fiml": "fiml", "listwise": "listwise"}.get(str(missing).lower())
    if miss is None:
        raise ModelError(f"model {name!r}: missing must be 'listwise' or 'fiml' (lavaan 'ml'), not {missing!r}")
    ngroups = 1
    if group is not None:
        if group not in data.columns:
            raise ModelError(f"model {name!r}: grouping variable {group!r} is not in the data")
        levels = _group_levels(data, group) if groups is None else [str(g) for g in groups]
        if len(levels) < 2:
            raise ModelError(f"model {name!r}: grouping variable {group!r} needs at least two groups")
        ngroups = len(levels)
    elif group_equal or group_partial:
        raise ModelError(f"model {name!r}: group_equal/group_partial need a grouping variable (group=)")
    pt = lavaanify(syntax, name, ngroups=ngroups, std_lv=std_lv, fixed_x=fixed_x, missing=miss,
                   group_equal=list(group_equal), group_partial=list(group_partial),
                   meanstructure=meanstructure, orthogonal=orthogonal)
    fitted = fit_partable(pt, data, group=group, groups=levels if group is not None else None,
                          estimator=est, missing=miss)
    return SEMFit(name=name, fitted=fitted)


#: Parameter rows of an ordinal (WLSMV) fit kept in the pipeline's ``sem_parameters`` table:
#: thresholds (``|``), scale factors (``~*~``, fixed) and intercepts (``~1``, fixed) are left out.
_ORDINAL_TABLE_OPS = ("=~", "~", "~~", ":=")


def pipeline_tables(result: Any, name: str) -> tuple[dict, pd.DataFrame]:
    """A fitted :func:`sem` result as one row of the pipeline's fit table and its
    ``sem_parameters`` rows (ML/MLR: :meth:`SEMFit.fit_row`, :meth:`SEMFit.sem_table`;
    WLSMV: the scaled-shifted fit of :func:`attachstats.stats.latent.cfa.wlsmv_fit_row` and
    the loadings and (co)variances with their robust SEs and ``std.all``; thresholds are not
    rows of that table).

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> f = rng.normal(size=(300, 1))
    >>> d = pd.DataFrame(f @ np.ones((1, 3)) + rng.normal(size=(300, 3)), columns=["x1", "x2", "x3"])
    >>> row, tab = pipeline_tables(sem("f =~ x1 + x2 + x3", d, name="m"), "m")
    >>> row["estimator"], row["df"], tab["op"].tolist()[:3]
    ('ML', 0, ['=~', '=~', '=~'])
    """
    if isinstance(result, SEMFit):
        return result.fit_row(), result.sem_table()
    p = result.parameters()
    p = p[p["op"].isin(_ORDINAL_TABLE_OPS)].reset_index(drop=True)
    free = p["se"].fillna(0) > 0
    tab = pd.DataFrame({"model": name, "lhs": p["lhs"], "op": p["op"], "rhs": p["rhs"], "free": free,
                        "est": p["est"], "se": p["se"].where(free), "stat": p["z"], "p": p["pvalue"],
                        "ci_lo": p["ci.lower"], "ci_hi": p["ci.upper"], "std": p["std.all"]})
    return wlsmv_fit_row(name, result.fit_measures(), int(result.n)), tab


def lrt(*fits: Any, names: Sequence[str] | None = None) -> pd.DataFrame:
    """Nested-model χ² difference tests of fitted models, as lavaan's ``lavTestLRT(m1, m2, ...)``.

    The models (results of :func:`sem`, fitted to the same rows) are ordered by df and each
    is tested against the next less restricted one, with lavaan's default method for their
    estimator: WLSMV (ordered items, also the invariance steps) the scaled-shifted
    ``satorra.2000`` test (:func:`attachstats.stats.latent.comparison.wlsmv_lrt`); MLR the
    Satorra–Bentler (2001) scaled difference; ML the difference of the χ² statistics.

    Parameters
    ----------
    *fits : results of :func:`sem`
    names : sequence of str, optional
        Row names (default ``model1``, ``model2``, … in the given order).

    Returns
    -------
    DataFrame
        :data:`attachstats.stats.latent.comparison.LRT_COLUMNS`: ``model, df, chisq`` (the
        unscaled statistic, lavaan's ``Chisq``), ``chisq_diff, df_diff, pvalue`` (lavaan's
        ``Chisq diff``, ``Df diff``, ``Pr(>Chisq)``), and for WLSMV the shift parameters ``a, b``.

    Raises
    ------
    ModelError
        Fewer than two models, mixed estimators, models fitted to other rows, equal df.

    Examples
    --------
    R: ``lavTestLRT(fit_configural, fit_metric)``.

    >>> rng = np.random.default_rng(2)
    >>> f = rng.normal(size=(300, 1))
    >>> d = pd.DataFrame(f @ np.ones((1, 4)) + rng.normal(size=(300, 4)), columns=["a", "b", "c", "d"])
    >>> t = lrt(sem("f =~ a + b + c + d", d), sem("f =~ 1*a + 1*b + 1*c + 1*d", d), names=["free", "equal"])
    >>> t["model"].tolist(), int(t.loc[1, "df_diff"])
    (['free', 'equal'], 3)
    """
    if len(fits) < 2:
        raise ModelError("lrt: give at least two fitted models")
    labels = list(names) if names is not None else [f"model{k + 1}" for k in range(len(fits))]
    if len(labels) != len(fits) or len(set(labels)) != len(labels):
        raise ModelError(f"lrt: names must be {len(fits)} distinct names, got {labels}")
    if all(getattr(f, "dwls", None) is not None for f in fits):
        return wlsmv_lrt(dict(zip(labels, fits)))
    if not all(isinstance(f, SEMFit) for f in fits):
        raise ModelError("lrt: the models mix ordinal (WLSMV) and continuous (ML/MLR) fits")
    # MLR with FIML too: the Satorra–Bentler (2001) difference (lavaan's default for MLR)
    rows = [dict(f.fit_row(), model=nm, estimator=f.fitted.estimator) for nm, f in zip(labels, fits)]
    order = sorted(range(len(rows)), key=lambda k: rows[k]["df"])
    out = []
    for pos, k in enumerate(order):
        r = rows[k]
        row = {"model": r["model"], "df": r["df"], "chisq": r["chi2_ml"], "chisq_diff": math.nan,
               "df_diff": math.nan, "pvalue": math.nan, "a": math.nan, "b": math.nan}
        if pos > 0:
            c = compare_models([r, rows[order[pos - 1]]], [(r["model"], rows[order[pos - 1]]["model"])]).iloc[0]
            row.update(chisq_diff=c["chi2_diff"], df_diff=c["df_diff"], pvalue=c["p"])
        out.append(row)
    return pd.DataFrame(out, columns=LRT_COLUMNS)
