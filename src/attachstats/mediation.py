"""Simple mediation x → m → y with a seeded, vectorised percentile bootstrap.

Three OLS models on the rows complete on x, m, y and the covariates (listwise):

- ``a``: m ~ x + covariates (the x coefficient);
- ``b`` and ``c_prime`` (c′, the direct effect): y ~ x + m + covariates;
- ``c`` (the total effect): y ~ x + covariates; with OLS c = c′ + a·b exactly.

Their standard errors, t tests and intervals are those of
:func:`attachstats.regression.fit_ols` (HC3 by default, as ``lm`` + ``sandwich``). The
indirect effect a·b gets a percentile bootstrap interval: ``n_boot`` resamples of the rows
with replacement, drawn from ``numpy.random.Generator`` (seeded by the caller), a and b
re-estimated in every resample and the interval taken at the α/2 and 1 − α/2 quantiles
(numpy's default, R's ``quantile`` type 7) of the a·b values; ``se`` of the indirect effect
is the standard deviation of the bootstrap values, and it has no t test. The resamples are
not fitted one by one: a resample is a vector of row counts w, and both regressions are
solved at once for all resamples from the weighted normal equations
(X' diag(w) X) β = X' diag(w) y, built as w @ [xᵢxᵢ'] (see :func:`bootstrap_indirect`).
``std`` is the completely standardised effect (``a·sd(x)/sd(m)``, ``b·sd(m)/sd(y)``,
``c``, ``c′`` and ``a·b`` times ``sd(x)/sd(y)``).

Example
-------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(5)
>>> x = rng.normal(size=300); m = 0.5 * x + rng.normal(size=300); y = 0.4 * m + rng.normal(size=300)
>>> df = pd.DataFrame({"x": x, "m": m, "y": y})
>>> from attachstats.modelspec import MediationSpec
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

from .errors import ModelError
from .modelspec import MediationSpec

__all__ = ["fit_mediation", "bootstrap_indirect", "bootstrap_counts", "MEDIATION_COLUMNS"]

#: Columns of ``tables/mediation.csv``.
MEDIATION_COLUMNS = ["model", "path", "x", "mediator", "outcome", "estimate", "se", "ci_lo", "ci_hi", "std", "stat",
                     "p", "ci_method", "n_boot", "n"]

_CHUNK = 500


def bootstrap_counts(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Row counts of ``n_boot`` resamples of ``n`` rows with replacement, shape (n_boot, n).

    Resample r draws ``rng.integers(0, n, n)`` (one call for all resamples, row-major), so
    the counts equal ``np.bincount(idx[r], minlength=n)`` of those indices.
    """
    idx = rng.integers(0, n, size=(n_boot, n))
    flat = (idx + (np.arange(n_boot) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=n_boot * n).reshape(n_boot, n).astype(float)


def _weighted_solve(counts: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """β of every resample: solve (X' W X) β = X' W y for each row of ``counts``."""
    k = X.shape[1]
    outer = (X[:, :, None] * X[:, None, :]).reshape(len(X), k * k)
    xtwx = (counts @ outer).reshape(-1, k, k)
    xtwy = counts @ (X * y[:, None])
    try:
        return np.linalg.solve(xtwx, xtwy[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        raise ModelError("a bootstrap resample has a singular design (too few distinct rows); "
                         "use more data or fewer covariates") from None


def bootstrap_indirect(x: np.ndarray, m: np.ndarray, y: np.ndarray, covariates: np.ndarray, n_boot: int,
                       rng: np.random.Generator) -> np.ndarray:
    """Bootstrap distribution of a·b, vectorised over resamples (see the module docstring).

    Parameters
    ----------
    x, m, y : array, shape (n,)
    covariates : array, shape (n, q) (q may be 0)
    n_boot : int
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray, shape (n_boot,)
    """
    n = len(x)
    one = np.ones((n, 1))
    Xa = np.column_stack([one, x, covariates])          # m ~ x + cov: a at column 1
    Xb = np.column_stack([one, x, m, covariates])       # y ~ x + m + cov: b at column 2
    counts = bootstrap_counts(n, n_boot, rng)
    out = np.empty(n_boot)
    for start in range(0, n_boot, _CHUNK):
        w = counts[start:start + _CHUNK]
        a = _weighted_solve(w, Xa, m)[:, 1]
        b = _weighted_solve(w, Xb, y)[:, 2]
        out[start:start + _CHUNK] = a * b
    return out


def fit_mediation(data: pd.DataFrame, spec: MediationSpec, rng: np.random.Generator) -> pd.DataFrame:
    """Paths a, b, c, c′ and the bootstrapped indirect effect of one mediation model.

    Parameters
    ----------
    data : pandas.DataFrame
        Holds x, mediator, outcome and covariates (numeric; categorical covariates become
        dummies as in the regressions).
    spec : MediationSpec
    rng : numpy.random.Generator
        Source of the bootstrap resamples.

    Returns
    -------
    pandas.DataFrame
        Rows ``a, b, c, c_prime, indirect``; columns :data:`MEDIATION_COLUMNS`.
    """
    from .outcomes import complete_rows
    from .regression import build_design, fit_ols

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
                              d[spec.outcome].to_numpy(float), cov_mat, spec.bootstrap, rng)
    alpha = 1 - spec.ci
    lo, hi = np.quantile(boot, [alpha / 2, 1 - alpha / 2])
    rows.append({"path": "indirect", "estimate": a * b, "se": float(boot.std(ddof=1)), "ci_lo": float(lo),
                 "ci_hi": float(hi), "std": a * b * sd[spec.x] / sd[spec.outcome], "stat": math.nan, "p": math.nan,
                 "ci_method": "percentile bootstrap", "n_boot": spec.bootstrap})
    out = pd.DataFrame(rows)
    out["model"], out["x"], out["mediator"], out["outcome"], out["n"] = (spec.name, spec.x, spec.mediator,
                                                                         spec.outcome, n)
    return out[MEDIATION_COLUMNS]
