"""Simple mediation x → m → y with a seeded, vectorised percentile bootstrap.

Three OLS models on the rows complete on x, m, y and the covariates (listwise):

- ``a``: m ~ x + covariates (the x coefficient);
- ``b`` and ``c_prime`` (c′, the direct effect): y ~ x + m + covariates;
- ``c`` (the total effect): y ~ x + covariates; with OLS c = c′ + a·b exactly.

Their standard errors, t tests and intervals are those of
:func:`attachstats.stats.regression.ols.fit_ols` (HC3 by default, as ``lm`` + ``sandwich``). The
indirect effect a·b gets a percentile bootstrap interval: ``n_boot`` resamples of the rows
with replacement, drawn from ``numpy.random.Generator`` (seeded by the caller), a and b
re-estimated in every resample and the interval taken at the α/2 and 1 − α/2 quantiles
(numpy's default, R's ``quantile`` type 7) of the a·b values; ``se`` of the indirect effect
is the standard deviation of the bootstrap values, and it has no t test. The resamples are
not fitted one by one: a resample is a vector of row counts w, and both regressions are
solved at once for all resamples from the weighted normal equations
(X' diag(w) X) β = X' diag(w) y, built as w @ [xᵢxᵢ'] block by block without holding the
counts (:mod:`attachstats.stats.bootstrap`), so memory does not grow with the number of rows.
``std`` is the completely standardised effect (``a·sd(x)/sd(m)``, ``b·sd(m)/sd(y)``,
``c``, ``c′`` and ``a·b`` times ``sd(x)/sd(y)``).

Example
-------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(5)
>>> x = rng.normal(size=300); m = 0.5 * x + rng.normal(size=300); y = 0.4 * m + rng.normal(size=300)
>>> df = pd.DataFrame({"x": x, "m": m, "y": y})
>>> from attachstats.spec.models import MediationSpec
>>> tab = fit_mediation(df, MediationSpec("med", "x", "m", "y", bootstrap=1000), np.random.default_rng(1))
>>> tab["path"].tolist()
['a', 'b', 'c', 'c_prime', 'indirect']
>>> bool(tab.set_index("path").loc["indirect", "ci_lo"] > 0)
True
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from attachstats.errors import ModelError
from attachstats.spec.models import MediationSpec
from attachstats.stats.bootstrap import resample_sums
from attachstats.stats.regression.design import build_design, complete_rows
from attachstats.stats.regression.ols import fit_ols

__all__ = ["fit_mediation", "bootstrap_indirect", "MEDIATION_COLUMNS"]

#: Columns of ``tables/mediation.csv``.
MEDIATION_COLUMNS = ["model", "path", "x", "mediator", "outcome", "estimate", "se", "ci_lo", "ci_hi", "std", "stat",
                     "p", "ci_method", "n_boot", "n"]

def _solve_stack(gram: np.ndarray, idx: list[int], target: int) -> np.ndarray:
    """β of every resample: solve G[idx, idx] β = G[idx, target] for each matrix of the stack."""
    try:
        return np.linalg.solve(gram[:, idx][:, :, idx], gram[:, idx, target][:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        raise ModelError("a bootstrap resample has a singular design (too few distinct rows); "
                         "use more data or fewer covariates") from None


def bootstrap_indirect(x: np.ndarray, m: np.ndarray, y: np.ndarray, covariates: np.ndarray, n_boot: int,
                       rng: np.random.Generator, threads: int = 1) -> np.ndarray:
    """Bootstrap distribution of a·b, vectorised over resamples (see the module docstring).

    Both regressions of a resample come from one matrix of weighted cross-products of
    ``[1, x, m, covariates, y]`` (centred), accumulated by
    :func:`attachstats.stats.bootstrap.resample_sums` without holding the resamples' row counts.

    Parameters
    ----------
    x, m, y : array, shape (n,)
    covariates : array, shape (n, q) (q may be 0)
    n_boot : int
    rng : numpy.random.Generator
        The counts are those of ``attachstats.stats.bootstrap.resample_counts(n, n_boot, rng)``.
    threads : int, default 1
        Threads for the resampling (same result on any number).

    Returns
    -------
    numpy.ndarray, shape (n_boot,)
    """
    n, q = len(x), covariates.shape[1]
    v = np.column_stack([x, m, covariates, y]).astype(float)
    v = np.column_stack([np.ones(n), v - v.mean(axis=0)])      # centring: same slopes, better conditioned
    p = v.shape[1]
    iu = np.triu_indices(p)
    sums = resample_sums(n, [(None, v[:, iu[0]] * v[:, iu[1]])], n_boot, rng, threads)[0]
    gram = np.zeros((n_boot, p, p))
    gram[:, iu[0], iu[1]] = sums
    gram[:, iu[1], iu[0]] = sums
    cov_idx = list(range(3, 3 + q))
    a = _solve_stack(gram, [0, 1, *cov_idx], 2)[:, 1]          # m ~ 1 + x + cov
    b = _solve_stack(gram, [0, 1, 2, *cov_idx], p - 1)[:, 2]   # y ~ 1 + x + m + cov
    return a * b


def fit_mediation(data: pd.DataFrame, spec: MediationSpec, rng: np.random.Generator, threads: int = 1) -> pd.DataFrame:
    """Paths a, b, c, c′ and the bootstrapped indirect effect of one mediation model.

    Parameters
    ----------
    data : pandas.DataFrame
        Holds x, mediator, outcome and covariates (numeric; categorical covariates become
        dummies as in the regressions).
    spec : MediationSpec
    rng : numpy.random.Generator
        Source of the bootstrap resamples.
    threads : int, default 1
        Threads for the bootstrap (same result on any number).

    Returns
    -------
    pandas.DataFrame
        Rows ``a, b, c, c_prime, indirect``; columns :data:`MEDIATION_COLUMNS`.
    """

    mask, _ = complete_rows(data, spec.variables, spec.name, "mediation")
    d = data.loc[mask]
    n = len(d)
    covs = list(spec.covariates)
    fits = {
        "a": fit_ols(d, spec.mediator, [spec.x, *covs], spec.name, robust=spec.robust, ci=spec.ci),
        "b": fit_ols(d, spec.outcome, [spec.x, spec.mediator, *covs], spec.name, robust=spec.robust, ci=spec.ci),
        "c": fit_ols(d, spec.outcome, [spec.x, *covs], spec.name, robust=spec.robust, ci=spec.ci),
    }
    sd = {v: float(d[v].astype(float).std(ddof=1)) for v in (spec.x, spec.mediator, spec.outcome)}
    rows = []
    for path, fit_key, term, scale in (("a", "a", spec.x, sd[spec.x] / sd[spec.mediator]),
                                       ("b", "b", spec.mediator, sd[spec.mediator] / sd[spec.outcome]),
                                       ("c", "c", spec.x, sd[spec.x] / sd[spec.outcome]),
                                       ("c_prime", "b", spec.x, sd[spec.x] / sd[spec.outcome])):
        r = fits[fit_key].coefficients.set_index("term").loc[term]
        rows.append({"path": path, "estimate": r["b"], "se": r["se"], "ci_lo": r["ci_lo"], "ci_hi": r["ci_hi"],
                     "std": r["b"] * scale, "stat": r["stat"], "p": r["p"],
                     "ci_method": f"t ({fits[fit_key].cov_type})", "n_boot": 0})
    a, b = rows[0]["estimate"], rows[1]["estimate"]
    _, cov_design, _ = build_design(d, spec.outcome, covs, spec.name) if covs else (None, None, None)
    cov_mat = cov_design.drop(columns="(Intercept)").to_numpy(float) if covs else np.empty((n, 0))
    boot = bootstrap_indirect(d[spec.x].to_numpy(float), d[spec.mediator].to_numpy(float),
                              d[spec.outcome].to_numpy(float), cov_mat, spec.bootstrap, rng, threads)
    alpha = 1 - spec.ci
    lo, hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    rows.append({"path": "indirect", "estimate": a * b, "se": float(boot.std(ddof=1)), "ci_lo": float(lo),
                 "ci_hi": float(hi), "std": a * b * sd[spec.x] / sd[spec.outcome], "stat": math.nan, "p": math.nan,
                 "ci_method": "percentile bootstrap", "n_boot": spec.bootstrap})
    out = pd.DataFrame(rows)
    out["model"], out["x"], out["mediator"], out["outcome"], out["n"] = (spec.name, spec.x, spec.mediator,
                                                                         spec.outcome, n)
    return out[MEDIATION_COLUMNS]
