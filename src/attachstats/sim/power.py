"""Monte Carlo power analysis from the simulator's population model.

For each sample size on a grid, ``replications`` data sets are drawn from the population
model, scored like the pipeline, and the planned outcome models are fitted; power is the
share of replications with ``p < alpha``, reported with its Monte Carlo standard error,
together with the bias of the estimate and the coverage of its 95% CI against the
population value (:func:`attachstats.sim.simulate.population_truth`).

Replication ``r`` at sample size ``n`` always uses the random stream
``SeedSequence([seed, n, r])`` (:func:`attachstats.stats.rng.replication_rng`), so results
do not depend on how replications are split into chunks or on how many cores run them.

Example
-------
>>> import numpy as np
>>> from scipy import stats
>>> sim = lambda n, rng: rng.multivariate_normal([0, 0], [[1, .3], [.3, 1]], size=n)
>>> p = lambda x: stats.pearsonr(x[:, 0], x[:, 1]).pvalue
>>> reps = monte_carlo(sim, p, n=50, replications=20, seed=1)
>>> len(reps)
20
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from attachstats.errors import ConfigError
from attachstats.sim.panel import PanelConfig, panel_population
from attachstats.sim.simulate import SimulationConfig, score_scales, simulate_population
from attachstats.stats.regression.ols import fit_ols
from attachstats.stats.rng import replication_rng, truth_rng

#: ``design`` of a power analysis: one survey, or a panel (``simulation`` is then a panel config,
#: :mod:`attachstats.sim.panel`, ``n`` the number of baseline respondents and the models use the
#: linked file's ``<v>_<w>`` names; later-wave rows are missing by ``attrition``)
DESIGNS = ("cross_sectional", "panel")
REPLICATION_COLUMNS = ["n", "replication", "model", "term", "b", "se", "ci_lo", "ci_hi", "p"]
POWER_COLUMNS = ["model", "term", "n", "replications", "true_b", "power", "power_mcse", "mean_b", "bias",
                 "coverage", "coverage_mcse"]


@dataclass(frozen=True)
class PowerSpec:
    """A power analysis: population model, grid, replications, planned models."""

    simulation: str
    sample_sizes: tuple[int, ...]
    replications: int
    models: tuple[Mapping[str, Any], ...]
    alpha: float = 0.05
    chunk_size: int = 50
    truth_n: int = 200_000
    seed: int = 20261128
    terms: tuple[str, ...] = field(default=())
    design: str = "cross_sectional"
    attrition: Any = "model"

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], seed: int, origin: str = "power config") -> "PowerSpec":
        allowed = {"simulation", "sample_sizes", "replications", "models", "alpha", "chunk_size", "truth_n",
                   "terms", "design", "attrition"}
        unknown = sorted(set(d) - allowed)
        if unknown:
            raise ConfigError(f"{origin}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
        for key in ("simulation", "sample_sizes", "replications", "models"):
            if key not in d:
                raise ConfigError(f"{origin}: missing key {key!r}")
        sizes = tuple(int(n) for n in d["sample_sizes"])
        if not sizes or min(sizes) < 10:
            raise ConfigError(f"{origin}: sample_sizes must be a list of sizes >= 10, got {d['sample_sizes']!r}")
        reps = int(d["replications"])
        chunk = int(d.get("chunk_size", 50))
        if reps < 1 or chunk < 1:
            raise ConfigError(f"{origin}: replications and chunk_size must be positive")
        alpha = float(d.get("alpha", 0.05))
        if not 0 < alpha < 1:
            raise ConfigError(f"{origin}: alpha must lie in (0, 1), got {alpha}")
        for i, m in enumerate(d["models"]):
            if not {"name", "outcome", "predictors"} <= set(m):
                raise ConfigError(f"{origin}: models[{i}] needs name, outcome and predictors")
        design = str(d.get("design", "cross_sectional"))
        if design not in DESIGNS:
            raise ConfigError(f"{origin}: design must be one of {', '.join(DESIGNS)}, got {design!r}")
        attrition = d.get("attrition", "model")
        if attrition not in ("model", "none") and not (isinstance(attrition, (int, float))
                                                         and not isinstance(attrition, bool) and 0 <= attrition < 1):
            raise ConfigError(f"{origin}: attrition must be model, none or a share in [0, 1), got {attrition!r}")
        return cls(simulation=str(d["simulation"]), sample_sizes=sizes, replications=reps,
                   models=tuple(dict(m) for m in d["models"]), alpha=alpha, chunk_size=chunk,
                   truth_n=int(d.get("truth_n", 200_000)), seed=int(seed), terms=tuple(d.get("terms", ())),
                   design=design, attrition=attrition)

    def chunks(self) -> list[int]:
        """Chunk indices: chunk ``c`` holds replications ``c*chunk_size … (c+1)*chunk_size − 1``."""
        return list(range(int(np.ceil(self.replications / self.chunk_size))))

    def replications_of(self, chunk: int) -> range:
        return range(chunk * self.chunk_size, min((chunk + 1) * self.chunk_size, self.replications))


def monte_carlo(simulate: Callable[[int, np.random.Generator], Any], analyse: Callable[[Any], float],
                n: int, replications: int | Sequence[int], seed: int) -> np.ndarray:
    """p-values of ``analyse(simulate(n, rng))`` over replications (a count or their indices)."""
    reps = range(replications) if isinstance(replications, int) else replications
    return np.array([analyse(simulate(n, replication_rng(seed, n, r))) for r in reps])


def power_summary(p: np.ndarray, alpha: float = 0.05) -> tuple[float, float]:
    """Share of p-values below ``alpha`` and its Monte Carlo standard error."""
    p = np.asarray(p, dtype=float)
    pw = float(np.mean(p < alpha))
    return pw, float(np.sqrt(pw * (1 - pw) / len(p)))


def _simulation_config(spec: PowerSpec):
    path = Path(spec.simulation)
    if not path.is_file():
        raise ConfigError(f"power config: simulation file {path} does not exist")
    return PanelConfig.from_yaml(path) if spec.design == "panel" else SimulationConfig.from_yaml(path)


def simulated_panel(n: int, cfg: PanelConfig, rng: np.random.Generator, attrition: Any = "model") -> pd.DataFrame:
    """One clean simulated panel of ``n`` baseline respondents in the linked file's layout.

    Columns ``<v>_<w>`` for the scale scores, ``age``, ``loss`` and ``gender`` of every wave
    (:func:`attachstats.sim.panel.panel_population`) and ``missing_<w>`` (1/0) for each later
    wave: the panel config's MAR attrition model (``attrition="model"``), nobody
    (``"none"``), or a share missing completely at random (a number).
    """
    pop = simulate_population(n, cfg.wave1, rng)
    panel = panel_population(cfg, pop, rng)
    cols: dict[str, Any] = {}
    for k, (w, df) in enumerate(panel.items()):
        for c in ("ecr_anxiety", "ecr_avoidance", "phq9_total", "pdss_total", "sasi_total", "age", "loss"):
            cols[f"{c}_{w}"] = df[c].to_numpy(dtype=float)
        cols[f"gender_{w}"] = pd.Categorical(df["gender"], categories=sorted(df["gender"].unique()))
        if k:
            if attrition == "model":
                cols[f"missing_{w}"] = df["missing"].to_numpy()
            elif attrition == "none":
                cols[f"missing_{w}"] = np.zeros(n, dtype=np.int64)
            else:
                cols[f"missing_{w}"] = (rng.random(n) < float(attrition)).astype(np.int64)
    return pd.DataFrame(cols)


def _model_data(data: pd.DataFrame, m: Mapping[str, Any], design: str) -> tuple[pd.DataFrame, list[str]]:
    """The model's rows and predictors: product columns ``a:b`` for ``interactions``; in a panel,
    the rows present at every wave the model's variables come from (complete cases)."""
    preds = list(m["predictors"])
    extra = {}
    for pair in m.get("interactions", []) or []:
        name = ":".join(pair)
        extra[name] = np.prod([data[v].to_numpy(dtype=float) for v in pair], axis=0)
        preds.append(name)
    d = data.assign(**extra) if extra else data
    if design == "panel":
        used = [m["outcome"], *m["predictors"], *(v for pair in m.get("interactions", []) or [] for v in pair)]
        waves = {v.rsplit("_", 1)[1] for v in used if "_" in v}
        keep = np.ones(len(d), dtype=bool)
        for w in waves:
            if f"missing_{w}" in d.columns:
                keep &= d[f"missing_{w}"].to_numpy() == 0
        d = d[keep]
    return d, preds


def simulated_scores(n: int, cfg: Any, rng: np.random.Generator) -> pd.DataFrame:
    """One clean simulated sample, scored like the pipeline, with the example's variable names."""
    pop = simulate_population(n, cfg, rng)
    scores = score_scales(pop, cfg)
    scores["age"] = pop["age"].to_numpy(dtype=float)
    scores["gender"] = pd.Categorical(pop["gender"], categories=sorted(pop["gender"].unique()))
    scores["loss"] = pop["breakup_12m"].to_numpy(dtype=float)
    return scores


def run_chunk(spec: PowerSpec, n: int, chunk: int) -> pd.DataFrame:
    """Fit the planned models on every replication of one chunk (rows: REPLICATION_COLUMNS)."""
    cfg = _simulation_config(spec)
    rows = []
    for r in spec.replications_of(chunk):
        data = _sample(spec, n, cfg, replication_rng(spec.seed, n, r))
        for m in spec.models:
            d, preds = _model_data(data, m, spec.design)
            res = fit_ols(d, m["outcome"], preds, m["name"], robust=m.get("robust", "HC3"))
            c = res.coefficients
            c = c[c["term"] != "(Intercept)"]
            if spec.terms:
                c = c[c["term"].isin(spec.terms)]
            for row in c.itertuples():
                rows.append({"n": n, "replication": r, "model": m["name"], "term": row.term, "b": row.b,
                             "se": row.se, "ci_lo": row.ci_lo, "ci_hi": row.ci_hi, "p": row.p})
    return pd.DataFrame(rows, columns=REPLICATION_COLUMNS)


def _sample(spec: PowerSpec, n: int, cfg: Any, rng: np.random.Generator, attrition: Any = None) -> pd.DataFrame:
    if spec.design == "panel":
        return simulated_panel(n, cfg, rng, spec.attrition if attrition is None else attrition)
    return simulated_scores(n, cfg, rng)


def true_coefficients(spec: PowerSpec) -> dict[tuple[str, str], float]:
    """Population values of every (model, term) from a large clean sample (OLS point estimates)."""
    cfg = _simulation_config(spec)
    data = _sample(spec, spec.truth_n, cfg, truth_rng(spec.seed), attrition="none")
    out = {}
    for m in spec.models:
        d, preds = _model_data(data, m, spec.design)
        res = fit_ols(d, m["outcome"], preds, m["name"], robust="nonrobust")
        out.update({(m["name"], t): b for t, b in zip(res.coefficients["term"], res.coefficients["b"])})
    return out


def summarise(replications: pd.DataFrame, truth: Mapping[tuple[str, str], float], alpha: float) -> pd.DataFrame:
    """Power with Monte Carlo SE, bias and 95% CI coverage per model, term and n."""
    rows = []
    for (model, term, n), g in replications.groupby(["model", "term", "n"], sort=True):
        true_b = truth.get((model, term), np.nan)
        pw, pw_se = power_summary(g["p"].to_numpy(), alpha)
        cover = ((g["ci_lo"] <= true_b) & (true_b <= g["ci_hi"])).mean() if np.isfinite(true_b) else np.nan
        k = len(g)
        rows.append({"model": model, "term": term, "n": int(n), "replications": k, "true_b": true_b, "power": pw,
                     "power_mcse": pw_se, "mean_b": g["b"].mean(), "bias": g["b"].mean() - true_b,
                     "coverage": cover, "coverage_mcse": float(np.sqrt(cover * (1 - cover) / k))})
    return pd.DataFrame(rows, columns=POWER_COLUMNS)
