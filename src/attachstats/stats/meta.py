"""Random-effects meta-analysis of one effect estimated in several studies.

Between-study variance τ² by restricted maximum likelihood (REML, the default of
``metafor::rma``) or DerSimonian–Laird; Wald-type CI and z test of the pooled estimate;
Cochran's Q; I² as metafor reports it (per cent, with the "typical" within-study variance).

Example
-------
>>> res = random_effects([0.40, 0.25], [0.05, 0.06])
>>> round(res.estimate, 4), round(res.tau2, 4)
(0.3287, 0.0082)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np

from attachstats.errors import ModelError


@dataclass(frozen=True)
class MetaResult:
    """Pooled estimate of a random-effects model (columns of ``meta.csv``)."""

    method: str
    k: int
    estimate: float
    se: float
    ci_lo: float
    ci_hi: float
    z: float
    p: float
    tau2: float
    i2: float
    q: float
    q_p: float

    def as_dict(self) -> dict:
        return asdict(self)


def _tau2_dl(y: np.ndarray, v: np.ndarray) -> float:
    w = 1 / v
    mu = np.sum(w * y) / np.sum(w)
    q = np.sum(w * (y - mu) ** 2)
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    return max(0.0, (q - (len(y) - 1)) / c)


def _tau2_reml(y: np.ndarray, v: np.ndarray, tol: float = 1e-10, max_iter: int = 1000) -> float:
    """REML τ² by Fisher scoring from the DL start, truncated at zero (as metafor)."""
    tau2 = _tau2_dl(y, v)
    for _ in range(max_iter):
        w = 1 / (v + tau2)
        sw = np.sum(w)
        mu = np.sum(w * y) / sw
        # P = W - w w' / sum(w); the REML score and expected information in tau2
        r = y - mu
        py = w * r
        trace_p = sw - np.sum(w**2) / sw
        trace_pp = np.sum(w**2) - 2 * np.sum(w**3) / sw + (np.sum(w**2) / sw) ** 2
        score = 0.5 * (np.sum(py**2) - trace_p)
        info = 0.5 * trace_pp
        new = max(0.0, tau2 + score / info)
        if abs(new - tau2) < tol:
            return new
        tau2 = new
    raise ModelError("random-effects meta-analysis: REML estimate of tau2 did not converge")


def random_effects(estimates: Sequence[float], ses: Sequence[float], method: str = "REML",
                   level: float = 0.95) -> MetaResult:
    """Pool study estimates with a random-effects model.

    Parameters
    ----------
    estimates, ses : per-study estimates and their standard errors (≥ 2 studies).
    method : ``"REML"`` (default) or ``"DL"``.
    level : confidence level of the interval.
    """
    y = np.asarray(estimates, dtype=float)
    se = np.asarray(ses, dtype=float)
    if y.shape != se.shape or y.ndim != 1:
        raise ModelError("random-effects meta-analysis: estimates and standard errors must be two equal-length lists")
    if len(y) < 2:
        raise ModelError(f"random-effects meta-analysis needs at least 2 studies, got {len(y)}")
    if not (np.isfinite(y).all() and np.isfinite(se).all() and (se > 0).all()):
        raise ModelError("random-effects meta-analysis: every estimate needs a finite value and a positive SE")
    v = se**2
    if method == "REML":
        tau2 = _tau2_reml(y, v)
    elif method == "DL":
        tau2 = _tau2_dl(y, v)
    else:
        raise ModelError(f"random-effects meta-analysis: unknown method {method!r} (REML or DL)")
    w = 1 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    se_mu = float(np.sqrt(1 / np.sum(w)))
    from scipy import stats                     # heavy: imported where it is used

    zcrit = stats.norm.ppf(0.5 + level / 2)
    w0 = 1 / v
    mu0 = np.sum(w0 * y) / np.sum(w0)
    q = float(np.sum(w0 * (y - mu0) ** 2))
    k = len(y)
    s2 = (k - 1) * np.sum(w0) / (np.sum(w0) ** 2 - np.sum(w0**2))
    return MetaResult(method=method, k=k, estimate=mu, se=se_mu, ci_lo=mu - zcrit * se_mu,
                      ci_hi=mu + zcrit * se_mu, z=mu / se_mu, p=float(2 * stats.norm.sf(abs(mu / se_mu))),
                      tau2=float(tau2), i2=float(100 * tau2 / (tau2 + s2)), q=q,
                      q_p=float(stats.chi2.sf(q, k - 1)))


def random_effects_weights(ses: Sequence[float], tau2: float) -> np.ndarray:
    """Each study's weight in a random-effects pool, in per cent: 100·w_i / Σw with
    w_i = 1 / (se_i² + τ²). R equivalent: ``metafor::weights(rma(yi, sei = se))``.

    >>> random_effects_weights([0.1, 0.2], 0.0).round(1).tolist()
    [80.0, 20.0]
    """
    v = np.asarray(ses, dtype=float) ** 2
    w = 1 / (v + float(tau2))
    return 100 * w / w.sum()
