"""Small panel data sets with known truth, for checking the longitudinal analyses.

Not the example study's panel simulator (``attachstats.sim`` panel module of the waves
work): these are the minimal population models the tests and the lavaan fixtures of
:mod:`attachstats.stats.latent.longitudinal` and :mod:`attachstats.stats.longitudinal` use,
each written out so that its generating values are known. Every function returns a wide
DataFrame in the ``linked.csv`` layout (``id``, ``present_{w}``, ``{v}_{w}``).

Example
-------
>>> d = simulate_riclpm(200, seed=1)
>>> list(d.columns[:4])
['id', 'present_w1', 'present_w2', 'present_w3']

R equivalent: none (the fixtures' R scripts read the CSVs these functions wrote).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["RICLPMTruth", "simulate_riclpm", "simulate_measurement_waves", "simulate_lagged",
           "simulate_prepost", "simulate_linked_study"]


def _frame(n: int, waves: list[str], cols: dict[str, np.ndarray]) -> pd.DataFrame:
    out = {"id": [f"p{k + 1:04d}" for k in range(n)]}
    for w in waves:
        out[f"present_{w}"] = np.ones(n, dtype=int)
    out.update(cols)
    return pd.DataFrame(out)


@dataclass(frozen=True)
class RICLPMTruth:
    """Population values of the RI-CLPM of Hamaker, Kuiper & Grasman (2015), two variables x, y.

    Observed ``x_t = mu_x[t] + RI_x + wx_t`` (the same for y); the within-person parts follow
    ``wx_t = ar_x·wx_{t−1} + cl_yx·wy_{t−1} + u_t`` and ``wy_t = ar_y·wy_{t−1} + cl_xy·wx_{t−1} + v_t``
    (``cl_xy`` = effect of x on later y). Wave-1 within parts have variances 1 and covariance
    ``cov_w1``; the innovations variances ``innov_x``/``innov_y`` and covariance ``cov_innov``;
    the random intercepts variances ``var_ri_x``/``var_ri_y`` and covariance ``cov_ri``.
    """

    ar_x: float = 0.4
    ar_y: float = 0.3
    cl_xy: float = 0.2     # x_{t-1} → y_t
    cl_yx: float = 0.05    # y_{t-1} → x_t
    var_ri_x: float = 0.5
    var_ri_y: float = 0.6
    cov_ri: float = 0.2
    cov_w1: float = 0.3
    innov_x: float = 0.7
    innov_y: float = 0.8
    cov_innov: float = 0.15
    means_x: tuple[float, ...] = (3.0, 3.1, 3.2, 3.3, 3.4)
    means_y: tuple[float, ...] = (1.0, 1.0, 0.9, 0.9, 0.8)
    extra: dict = field(default_factory=dict)


def simulate_riclpm(n: int, waves: int = 3, truth: RICLPMTruth | None = None, seed: int = 0,
                    names: tuple[str, str] = ("x", "y")) -> pd.DataFrame:
    """Draw ``n`` persons from the RI-CLPM :class:`RICLPMTruth` over ``waves`` waves (w1, w2, …)."""
    t = truth or RICLPMTruth()
    rng = np.random.default_rng(seed)
    ri = rng.multivariate_normal([0, 0], [[t.var_ri_x, t.cov_ri], [t.cov_ri, t.var_ri_y]], size=n)
    w = rng.multivariate_normal([0, 0], [[1.0, t.cov_w1], [t.cov_w1, 1.0]], size=n)
    beta = np.array([[t.ar_x, t.cl_yx], [t.cl_xy, t.ar_y]])
    innov = [[t.innov_x, t.cov_innov], [t.cov_innov, t.innov_y]]
    labels = [f"w{k + 1}" for k in range(waves)]
    cols: dict[str, np.ndarray] = {}
    for k in range(waves):
        if k > 0:
            w = w @ beta.T + rng.multivariate_normal([0, 0], innov, size=n)
        cols[f"{names[0]}_{labels[k]}"] = t.means_x[k] + ri[:, 0] + w[:, 0]
        cols[f"{names[1]}_{labels[k]}"] = t.means_y[k] + ri[:, 1] + w[:, 1]
    return _frame(n, labels, cols)


def simulate_measurement_waves(n: int, waves: int = 3, items: int = 4, factors: int = 1,
                               loadings: tuple[float, ...] = (0.8, 0.7, 0.6, 0.75, 0.65, 0.7),
                               intercepts: tuple[float, ...] = (3.0, 3.2, 2.8, 3.1, 2.9, 3.3),
                               mean_change: float = -0.3, stability: float = 0.6,
                               residual_r: float = 0.2, seed: int = 0, prefix: str = "ecr",
                               noninvariant: tuple[int, float] | None = None) -> pd.DataFrame:
    """Items of ``factors`` correlated factors measured at every wave with invariant loadings
    and intercepts (latent mean ``mean_change`` per wave, wave-to-wave factor correlation
    ``stability``; the same item's residuals correlate ``residual_r`` across waves).
    ``noninvariant=(item, shift)`` adds ``shift`` to that item's intercept from wave 2 on.
    Item columns ``{prefix}_{j}_{w}`` with j = 1 … items·factors (factor f has items
    f·items+1 … (f+1)·items)."""
    rng = np.random.default_rng(seed)
    labels = [f"w{k + 1}" for k in range(waves)]
    m = waves * factors
    cov = np.empty((m, m))
    for a in range(m):
        for b in range(m):
            wa, fa = divmod(a, factors)
            wb, fb = divmod(b, factors)
            cov[a, b] = (stability ** abs(wa - wb)) * (1.0 if fa == fb else 0.3)
    mean = np.array([mean_change * (a // factors) for a in range(m)])
    eta = rng.multivariate_normal(mean, cov, size=n)
    cols: dict[str, np.ndarray] = {}
    p = items * factors
    rcov = np.full((waves, waves), residual_r) + (1 - residual_r) * np.eye(waves)
    for j in range(p):
        f, jj = divmod(j, items)
        lam, nu = loadings[jj % len(loadings)], intercepts[j % len(intercepts)]
        e = rng.multivariate_normal(np.zeros(waves), rcov * (1 - lam ** 2 / 1.5), size=n)
        for k, w in enumerate(labels):
            shift = noninvariant[1] if noninvariant and noninvariant[0] == j + 1 and k > 0 else 0.0
            cols[f"{prefix}_{j + 1}_{w}"] = nu + shift + lam * eta[:, k * factors + f] + e[:, k]
    return _frame(n, labels, cols)


def simulate_lagged(n: int, b_interaction: float = 0.4, seed: int = 0) -> pd.DataFrame:
    """Two waves: ``phq9_total_w2 = 2 + 0.5·phq9_total_w1 + 0.6·loss_w2 + 0.3·(anx − 3.5)
    + b_interaction·loss_w2·(anx − 3.5) + 0.1·age_w1 + e`` (e ~ N(0, 2²)), anxiety at wave 1
    ``ecr_anxiety_w1`` ~ N(3.5, 1.1²), a breakup ``loss_w2`` ~ Bernoulli(0.3)."""
    rng = np.random.default_rng(seed)
    anx = rng.normal(3.5, 1.1, n)
    dep1 = np.clip(rng.normal(8 + 1.2 * (anx - 3.5), 4, n), 0, 27)
    loss = rng.binomial(1, 0.3, n).astype(float)
    age = rng.normal(30, 8, n)
    dep2 = (2 + 0.5 * dep1 + 0.6 * loss + 0.3 * (anx - 3.5) + b_interaction * loss * (anx - 3.5)
            + 0.1 * age + rng.normal(0, 2, n))
    return _frame(n, ["w1", "w2"], {"phq9_total_w1": dep1, "phq9_total_w2": dep2,
                                    "ecr_anxiety_w1": anx, "ecr_anxiety_w2": anx + rng.normal(-0.2, 0.5, n),
                                    "loss_w2": loss, "age_w1": age})


def simulate_prepost(n: int, effect: float = -0.5, seed: int = 0, items: int = 6) -> pd.DataFrame:
    """Pre/post item responses (items ``ecr_{j}``) of one scale whose true score falls by
    ``effect`` (in true-score SD units) between w1 and w2, with the scale score ``ecr_anxiety``
    the mean of the items at each wave."""
    rng = np.random.default_rng(seed)
    true1 = rng.normal(4.0, 1.0, n)
    true2 = 0.7 * (true1 - 4.0) + 4.0 + effect + rng.normal(0, np.sqrt(1 - 0.49), n)
    cols: dict[str, np.ndarray] = {}
    for w, t in (("w1", true1), ("w2", true2)):
        x = np.column_stack([t + rng.normal(0, 0.9, n) for _ in range(items)])
        for j in range(items):
            cols[f"ecr_{j + 1}_{w}"] = x[:, j]
        cols[f"ecr_anxiety_{w}"] = x.mean(axis=1)
    return _frame(n, ["w1", "w2"], cols)


def simulate_linked_study(n: int = 300, seed: int = 5) -> pd.DataFrame:
    """A small panel in the linked layout of a study with the ECR-R (items keyed, ``ecr_1`` …
    ``ecr_36`` at waves w1–w3, anxiety items 1–18), its scale scores, depression
    ``phq9_total`` (wave 2 depends on a breakup ``loss_w2`` × wave-1 anxiety), ``age_w1``, and
    15% of the people lost at wave 3 (``present_w3`` 0, their wave-3 columns empty)."""
    d = simulate_measurement_waves(n, waves=3, items=18, factors=2, seed=seed,
                                   intercepts=(3.5, 3.8, 3.2, 3.6, 3.4, 3.9), loadings=(1.0, 0.9, 0.8, 0.95, 0.85, 0.9))
    rng = np.random.default_rng(seed)
    loss = rng.binomial(1, 0.3, n).astype(float)
    for w in ("w1", "w2", "w3"):
        d[f"ecr_anxiety_{w}"] = d[[f"ecr_{j}_{w}" for j in range(1, 19)]].mean(axis=1)
        d[f"ecr_avoidance_{w}"] = d[[f"ecr_{j}_{w}" for j in range(19, 37)]].mean(axis=1)
    d["phq9_total_w1"] = 6 + 1.5 * d["ecr_anxiety_w1"] + rng.normal(0, 3, n)
    d["phq9_total_w2"] = 2 + 0.5 * d["phq9_total_w1"] + loss * (1 + 0.8 * (d["ecr_anxiety_w1"] - 3.5)) + rng.normal(0, 2, n)
    d["phq9_total_w3"] = 2 + 0.5 * d["phq9_total_w2"] + 0.3 * d["ecr_anxiety_w2"] + rng.normal(0, 2, n)
    d["loss_w2"] = loss
    d["age_w1"] = rng.normal(35, 9, n).round()
    gone = rng.random(n) < 0.15
    d.loc[gone, "present_w3"] = 0
    d.loc[gone, [c for c in d.columns if c.endswith("_w3") and not c.startswith("present_")]] = np.nan
    return d
