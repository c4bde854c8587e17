"""Simulated panel data (several waves of the same people) with known truth.

The population model is described in ``docs/population-model.md`` ("Panel data"); its
parameters live in ``config/simulation/panel.yaml`` (the defaults of :class:`PanelConfig`
are the same values). Wave 1 is the cross-sectional simulator's export
(:func:`attachstats.sim.simulate.make_export`) of ``wave1``; later waves follow the same
people:

* attachment **anxiety** is a stable trait plus an occasion part, ``A_t = δ_t + √h·T +
  √(1−h)·S_t`` with ``T = √h·A_1 + √(1−h)·u``, so that the latent retest correlation is
  ``h`` between any two waves and the latent mean change from wave 1 is ``δ_t = d_z ·
  √(2(1−h))`` (``d_z`` the stated latent standardised change); avoidance (around its
  correlation with anxiety) and panic are stable the same way, without mean change;
  childhood separation anxiety is the same latent at every wave (retrospective);
* a **breakup** between waves (``loss`` at wave t) with ``logit P = logit(base_prob) +
  anxiety_logit · A_{t−1}``;
* **depression** at wave t as its observed PHQ-9 total, generated from the *observed*
  (clean) scores of wave t−1 so that the population regression ``phq9_total_t ~
  phq9_total_{t−1} + ecr_anxiety_{t−1} * loss_t`` has exactly the stated coefficients:
  ``phq9_total_t ~ BetaBinomial(27, mean = Xb, concentration k)`` (its conditional mean
  is exactly ``Xb``; the configuration is refused unless ``0 < Xb < 27`` on the whole range
  of the predictors); its nine items are the total spread over the items by a race with
  item rates ``exp(−2·location)``;
* **attrition** at each later wave, missing at random given wave-1 variables: ``logit
  P(missing at t) = intercept_t + Σ coef·(x_w1 − centre)`` on the clean wave-1 scores;
* per later wave, realistic mess: duplicate rows, speeders, straight-liners, missing-value
  codes, mistyped ids (do not match the baseline) and new ids (people not in wave 1).

Randomness: wave 1 uses the cross-sectional streams of ``wave1.seed``; everything else
comes from :func:`attachstats.stats.rng.named_rng` streams of the panel ``seed`` named
after their purpose ("panel latent", "panel w2 mess", …).

Example
-------
>>> cfg = PanelConfig(wave1=SimulationConfig(n_rows=120), mess=PanelMess(new_ids={"w2": 2, "w3": 1}))
>>> files, manifest = make_panel(cfg)
>>> sorted(files), int(files["w1"].shape[0])
(['w1', 'w2', 'w3'], 120)
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from attachstats.errors import ConfigError
from attachstats.sim.simulate import (MANIFEST_COLUMNS, SimulationConfig, block_items, export_columns,
                                      item_parameters, make_export, population_truth, recorded_dates,
                                      rounded_for_json, score_scales, simulate_population, write_text_csv)
from attachstats.spec.study import read_yaml
from attachstats.stats.rng import named_rng, stream_rng

__all__ = ["PanelConfig", "PanelWave", "DepressionChange", "Attrition", "PanelMess", "panel_population",
           "make_panel", "panel_truth", "write_panel", "PANEL_MANIFEST_COLUMNS"]

PANEL_MANIFEST_COLUMNS = ["wave", *MANIFEST_COLUMNS]


@dataclass(frozen=True)
class PanelWave:
    """One wave: name (``w1``…), label and the month its responses are recorded in."""

    name: str
    label: str
    month: str


@dataclass(frozen=True)
class DepressionChange:
    """``E[phq9_total_t | X] = intercept + phq9_total_prev·P + ecr_anxiety_prev·A + loss·L
    + ecr_anxiety_prev_x_loss·A·L`` (P, A the clean observed scores of wave t−1, L = loss at
    t); beta-binomial on 0–27 with this mean and ``concentration`` k."""

    intercept: float = 0.5
    phq9_total_prev: float = 0.5
    ecr_anxiety_prev: float = 0.8
    loss: float = -2.0
    ecr_anxiety_prev_x_loss: float = 1.0
    concentration: float = 6.0


@dataclass(frozen=True)
class Attrition:
    """``logit P(missing) = intercept + Σ coef·(x_w1 − centre)`` over ``predictors``
    (wave-1 score or variable → (coef, centre))."""

    intercept: float
    predictors: dict[str, tuple[float, float]]


def _default_attrition() -> dict[str, Attrition]:
    preds = {"phq9_total": (0.06, 6.0), "ecr_anxiety": (0.25, 3.7), "age": (-0.03, 35.0)}
    return {"w2": Attrition(-1.4, preds), "w3": Attrition(-1.0, preds)}


@dataclass(frozen=True)
class PanelMess:
    """Mess per later wave (wave 1 has the cross-sectional simulator's mess)."""

    duplicate_rows: int = 5
    speeders: int = 6
    straight_liners: int = 6
    mistyped_ids: int = 5
    new_ids: dict[str, int] = field(default_factory=lambda: {"w2": 15, "w3": 5})
    missing_cell_share: float = 0.01


def _default_waves() -> tuple[PanelWave, ...]:
    return (PanelWave("w1", "Wave 1 (baseline)", "2026-03"), PanelWave("w2", "Wave 2 (6 months)", "2026-09"),
            PanelWave("w3", "Wave 3 (12 months)", "2027-03"))


@dataclass(frozen=True)
class PanelConfig:
    """Every parameter of the panel simulation; defaults equal ``config/simulation/panel.yaml``."""

    seed: int = 20261201
    wave1: SimulationConfig = field(default_factory=lambda: SimulationConfig(seed=20261201, n_rows=1210))
    waves: tuple[PanelWave, ...] = field(default_factory=_default_waves)
    stability: dict[str, float] = field(default_factory=lambda: {"anxiety": 0.70, "avoidance": 0.75, "panic": 0.60})
    anxiety_change_d_z: dict[str, float] = field(default_factory=lambda: {"w2": -0.30, "w3": -0.45})
    breakup_base_prob: float = 0.12
    breakup_anxiety_logit: float = 0.30
    depression: DepressionChange = field(default_factory=DepressionChange)
    attrition: dict[str, Attrition] = field(default_factory=_default_attrition)
    mess: PanelMess = field(default_factory=PanelMess)
    truth_n: int = 200_000

    def __post_init__(self) -> None:
        later = [w.name for w in self.waves[1:]]
        if len(self.waves) < 2:
            raise ConfigError("a panel needs at least two waves")
        for key, what in ((self.anxiety_change_d_z, "anxiety_change_d_z"), (self.attrition, "attrition")):
            if sorted(key) != sorted(later):
                raise ConfigError(f"{what} must give every later wave ({', '.join(later)}), got {', '.join(key)}")
        for k in ("anxiety", "avoidance", "panic"):
            if not 0 <= self.stability.get(k, -1) <= 1:
                raise ConfigError(f"stability.{k} must be in [0, 1]")
        d = self.depression
        lo, hi = _bounds(self.wave1)
        for p in (lo["phq9_total"], hi["phq9_total"]):
            for a in (lo["ecr_anxiety"], hi["ecr_anxiety"]):
                for loss in (0, 1):
                    m = _phq_mean(d, p, a, loss)
                    if not 0 < m < 27:
                        raise ConfigError(f"depression: the mean PHQ-9 total {m:.2f} at PHQ-9 {p}, anxiety {a}, loss "
                                          f"{loss} is outside (0, 27); the coefficients must keep it inside")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], origin: str = "<dict>") -> "PanelConfig":
        """Build from a mapping (``config/simulation/panel.yaml``); missing keys keep defaults."""
        allowed = {f.name for f in dataclasses.fields(cls)} | {"breakup"}
        unknown = sorted(set(d) - allowed)
        if unknown:
            raise ConfigError(f"{origin}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
        kw: dict[str, Any] = {}
        if "seed" in d:
            kw["seed"] = int(d["seed"])
        if "truth_n" in d:
            kw["truth_n"] = int(d["truth_n"])
        if "wave1" in d:
            kw["wave1"] = SimulationConfig.from_dict(d["wave1"] or {}, f"{origin}: wave1")
        if "waves" in d:
            kw["waves"] = tuple(PanelWave(str(w["name"]), str(w["label"]), str(w["month"])) for w in d["waves"])
        if "stability" in d:
            kw["stability"] = {str(k): float(v) for k, v in d["stability"].items()}
        if "anxiety_change_d_z" in d:
            kw["anxiety_change_d_z"] = {str(k): float(v) for k, v in d["anxiety_change_d_z"].items()}
        if "breakup" in d:
            kw["breakup_base_prob"] = float(d["breakup"]["base_prob"])
            kw["breakup_anxiety_logit"] = float(d["breakup"]["anxiety_logit"])
        if "depression" in d:
            kw["depression"] = DepressionChange(**{k: float(v) for k, v in d["depression"].items()})
        if "attrition" in d:
            kw["attrition"] = {str(w): Attrition(float(a["intercept"]),
                                                 {str(k): (float(v["coef"]), float(v["centre"]))
                                                  for k, v in a["predictors"].items()})
                               for w, a in d["attrition"].items()}
        if "mess" in d:
            m = dict(d["mess"])
            if "new_ids" in m:
                m["new_ids"] = {str(k): int(v) for k, v in m["new_ids"].items()}
            kw["mess"] = PanelMess(**m)
        try:
            return cls(**kw)
        except (TypeError, ConfigError) as exc:
            raise ConfigError(f"{origin}: {exc}") from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> "PanelConfig":
        return cls.from_dict(read_yaml(path, "panel simulation config", allow_empty=True), str(path))


def _bounds(cfg: SimulationConfig) -> tuple[dict[str, float], dict[str, float]]:
    ecr = cfg.items["ecr"].load()
    phq = cfg.items["phq9"].load()
    return ({"phq9_total": 0.0, "ecr_anxiety": float(ecr.min)},
            {"phq9_total": float(phq.max * phq.n_items), "ecr_anxiety": float(ecr.max)})


def _phq_mean(d: DepressionChange, phq: Any, anx: Any, loss: Any) -> Any:
    return (d.intercept + d.phq9_total_prev * phq + d.ecr_anxiety_prev * anx + d.loss * loss
            + d.ecr_anxiety_prev_x_loss * anx * loss)


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _trait_state(first: np.ndarray, h: float, n_later: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Later occasions of a standardised latent with retest correlation ``h`` (trait-state model)."""
    trait = math.sqrt(h) * first + math.sqrt(1 - h) * rng.standard_normal(len(first))
    return [math.sqrt(h) * trait + math.sqrt(1 - h) * rng.standard_normal(len(first)) for _ in range(n_later)]


def _phq_items(total: np.ndarray, params: pd.DataFrame, top: int, rng: np.random.Generator) -> np.ndarray:
    """Nine item answers (0..top) summing to ``total``: each item accrues points as a race with
    rate ``exp(−2·location)``, ``top`` points at most; the ``total`` earliest points are kept."""
    n, k = len(total), len(params)
    rate = np.exp(-2.0 * params["location"].to_numpy())
    times = np.cumsum(rng.exponential(1.0, size=(n, k, top)) / rate[None, :, None], axis=2).reshape(n, k * top)
    order = np.argsort(times, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(k * top)[None, :].repeat(n, axis=0), axis=1)
    chosen = ranks < total[:, None]
    return chosen.reshape(n, k, top).sum(axis=2)


def panel_population(cfg: PanelConfig, pop: pd.DataFrame, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """Clean panel data of the wave-1 respondents ``pop`` (from :func:`simulate_population`).

    Returns
    -------
    dict wave name → DataFrame (one row per ``pop`` row, same order) with the latent
    scores (``latent_anxiety``…), ``loss`` (0/1; wave 1: ``breakup_12m``), ``age``,
    ``gender``, ``panic_attacks_month``, ``duration``, item responses ``<block>_<n>`` (as
    answered), the clean scale scores (``ecr_anxiety``…, :func:`score_scales`) and, for later
    waves, ``missing`` (1 = drops out of that wave, the MAR attrition model).
    """
    w1cfg = cfg.wave1
    n = len(pop)
    params = item_parameters(w1cfg)
    inst = {k: b.load() for k, b in w1cfg.items.items()}
    later = cfg.waves[1:]
    A1, V1 = pop["latent_anxiety"].to_numpy(), pop["latent_avoidance"].to_numpy()
    C, P1 = pop["latent_childhood"].to_numpy(), pop["latent_panic"].to_numpy()
    r = w1cfg.latent.anxiety_avoidance_corr
    h = cfg.stability
    A_state = _trait_state(A1, h["anxiety"], len(later), rng)
    eV = _trait_state((V1 - r * A1) / math.sqrt(1 - r * r), h["avoidance"], len(later), rng)
    P_state = _trait_state(P1, h["panic"], len(later), rng)
    s1 = score_scales(pop, w1cfg)
    first = pop.copy()
    first["loss"] = pop["breakup_12m"].to_numpy()
    for c in s1.columns:
        first[c] = s1[c].to_numpy()
    out = {cfg.waves[0].name: first}
    prev, prev_A = first, A1
    y0, m0 = (int(x) for x in cfg.waves[0].month.split("-"))
    d = cfg.depression
    for t, w in enumerate(later):
        delta = cfg.anxiety_change_d_z[w.name] * math.sqrt(2 * (1 - h["anxiety"]))
        A = delta + A_state[t]
        V = r * A + math.sqrt(1 - r * r) * eV[t]
        P = P_state[t]
        loss = (rng.random(n) < _logistic(_logit(cfg.breakup_base_prob) + cfg.breakup_anxiety_logit * prev_A)
                ).astype(np.int64)
        mean = _phq_mean(d, prev["phq9_total"].to_numpy(), prev["ecr_anxiety"].to_numpy(), loss)
        p = mean / 27.0
        phq_total = rng.binomial(27, rng.beta(p * d.concentration, (1 - p) * d.concentration))
        yw, mw = (int(x) for x in w.month.split("-"))
        years = ((yw - y0) * 12 + (mw - m0)) / 12.0
        age_years = pop["age_years"].to_numpy() + years
        cols: dict[str, Any] = {"latent_childhood": C, "latent_anxiety": A, "latent_avoidance": V,
                                "latent_panic": P, "loss": loss, "age_years": age_years,
                                "age": np.floor(age_years).astype(np.int64), "gender": pop["gender"].to_numpy()}
        pa = w1cfg.panic_attacks
        mu = np.exp(pa.log_mean_intercept + pa.log_mean_slope * P)
        cols["panic_attacks_month"] = rng.negative_binomial(pa.dispersion, pa.dispersion / (pa.dispersion + mu))
        du = w1cfg.duration
        spi = np.maximum(du.median_seconds_per_item * np.exp(du.sdlog * rng.standard_normal(n)),
                         du.min_seconds_per_item)
        cols["duration"] = np.round(spi * w1cfg.n_items).astype(np.int64)
        theta = {"childhood": C, "anxiety": A, "avoidance": V, "panic": P}
        for key, par in params.items():
            if key == "phq9":
                items = _phq_items(phq_total, par, int(inst[key].max), rng)
                for j, col in enumerate(par["column"]):
                    cols[col] = items[:, j].astype(np.int64)
            else:
                cols.update(block_items(par, inst[key], theta, rng))
        df = pd.DataFrame(cols)
        sc = score_scales(df, w1cfg)
        for c in sc.columns:
            df[c] = sc[c].to_numpy()
        att = cfg.attrition[w.name]
        eta = att.intercept + sum(coef * (first[var].to_numpy(dtype=float) - centre)
                                  for var, (coef, centre) in att.predictors.items())
        df["missing"] = (rng.random(n) < _logistic(eta)).astype(np.int64)
        out[w.name] = df
        prev, prev_A = df, A
    return out


def _ids(n: int, used: set[str], length: int, rng: np.random.Generator) -> list[str]:
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    out: list[str] = []
    while len(out) < n:
        s = "R_" + "".join(alphabet[rng.integers(0, len(alphabet), size=length)])
        if s not in used:
            used.add(s)
            out.append(s)
    return out


def _wave_export(cfg: PanelConfig, w: PanelWave, people: pd.DataFrame, ids: list[str], new_people: pd.DataFrame,
                 used: set[str], rng: np.random.Generator) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The raw export of one later wave and its manifest rows."""
    w1cfg, mess = cfg.wave1, cfg.mess
    new_ids = _ids(len(new_people), used, w1cfg.id_length, rng)
    data = pd.concat([people, new_people], ignore_index=True)
    ids = list(ids) + new_ids
    n = len(data)
    items = [(f"{key}_{k}", f"{b.prefix}_{k}", b.load().min, b.load().max)
             for key, b in w1cfg.items.items() for k in b.load().item_numbers]
    X = data[[c for c, *_ in items]].to_numpy(dtype=np.int64).copy()
    lo = np.array([i[2] for i in items])
    hi = np.array([i[3] for i in items])
    duration = data["duration"].to_numpy().copy()
    notes: dict[int, list[tuple[str, str, str, str]]] = {}
    for i in range(len(people), n):
        notes.setdefault(i, []).append(("new_id", "", "", "not a wave-1 respondent"))
    perm = rng.permutation(len(people))
    k = 0
    sets = {}
    for name, size in (("mistyped", mess.mistyped_ids), ("speeder", mess.speeders),
                       ("straight_liner", mess.straight_liners), ("dup", mess.duplicate_rows)):
        sets[name] = perm[k:k + size]
        k += size
    for i in sets["mistyped"]:
        old = ids[i]
        typo = old[:-1] + ("x" if old[-1] != "x" else "y")
        while typo in used:
            typo = typo[:-1] + chr(ord(typo[-1]) + 1)
        used.add(typo)
        ids[i] = typo
        notes.setdefault(int(i), []).append(("mistyped_id", "ResponseId", typo, f"wave-1 id {old}"))
    ecr_idx = np.array([j for j, (c, *_) in enumerate(items) if c.startswith("ecr_")])
    for i in sets["speeder"]:
        X[i] = rng.integers(lo, hi + 1)
        duration[i] = int(round(rng.uniform(*w1cfg.mess.speeder_seconds_per_item) * len(items)))
        notes.setdefault(int(i), []).append(("speeder", "", "", f"{duration[i] / len(items):.2f} s per item; random"))
    for i in sets["straight_liner"]:
        v = int(rng.integers(lo[ecr_idx[0]], hi[ecr_idx[0]] + 1))
        X[i, ecr_idx] = v
        notes.setdefault(int(i), []).append(("straight_liner", "", "", f"every ECR answer {v}"))
    text = X.astype(str).astype(object)
    careless = set(map(int, sets["speeder"])) | set(map(int, sets["straight_liner"]))
    attentive = np.array([i for i in range(n) if i not in careless])
    n_cells = round(mess.missing_cell_share * len(attentive) * len(items))
    flat = rng.choice(len(attentive) * len(items), size=n_cells, replace=False)
    code = str(w1cfg.mess.missing_code)
    for c in np.sort(flat):
        i, j = int(attentive[c // len(items)]), int(c % len(items))
        text[i, j] = code
        notes.setdefault(i, []).append(("missing_code", items[j][1], code, ""))
    dates = recorded_dates(n, w.month, rng)
    order = rng.permutation(n)          # the export is in order of completion
    person_rows = {i: [ids[i], "", str(int(duration[i])), str(int(data["age"].iat[i])), str(data["gender"].iat[i]),
                       *text[i].tolist(), str(int(data["loss"].iat[i])), str(int(data["panic_attacks_month"].iat[i]))]
                   for i in range(n)}
    rows, manifest = [], []
    dups = set(map(int, sets["dup"]))
    for rank, i in enumerate(order):
        i = int(i)
        person_rows[i][1] = dates[rank]
        for copy in ([False, True] if i in dups else [False]):
            rows.append(person_rows[i])
            r = len(rows)
            for kind, col, val, detail in notes.get(i, []):
                manifest.append({"wave": w.name, "row": r, "ResponseId": ids[i], "kind": kind, "column": col,
                                 "value": val, "detail": detail})
            if copy:
                manifest.append({"wave": w.name, "row": r, "ResponseId": ids[i], "kind": "duplicate_row",
                                 "column": "", "value": "", "detail": f"exact copy of row {r - 1}"})
    return pd.DataFrame(rows, columns=export_columns(w1cfg), dtype=object), manifest


def make_panel(cfg: PanelConfig) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The raw export of every wave and the manifest of the planted mess and attrition.

    Returns
    -------
    files : dict wave name → raw export (every cell as text; columns as the cross-sectional
        export, :func:`attachstats.sim.simulate.export_columns`)
    manifest : DataFrame with :data:`PANEL_MANIFEST_COLUMNS`; wave 1 rows are the
        cross-sectional manifest; later waves list their mess (``mistyped_id``, ``new_id``,
        ``speeder``, ``straight_liner``, ``missing_code``, ``duplicate_row``) and one
        ``attrition`` row (no row number) per wave-1 respondent not in the wave's file.
    """
    w1cfg = cfg.wave1
    raw1, man1 = make_export(w1cfg)
    n = w1cfg.n_rows - w1cfg.mess.n_duplicate_rows
    pop = simulate_population(n, w1cfg, _sample_rng(w1cfg))
    dup_rows = set(man1.loc[man1["kind"] == "duplicate_row", "row"])
    person_row = [r for r in range(1, len(raw1) + 1) if r not in dup_rows]
    ids = [str(raw1["ResponseId"].iat[r - 1]) for r in person_row]
    collided = {person_row.index(int(r)) for r in man1.loc[man1["kind"] == "id_collision", "row"]}
    panel = panel_population(cfg, pop, named_rng(cfg.seed, "panel latent"))
    files = {cfg.waves[0].name: raw1}
    manifest = [man1.assign(wave=cfg.waves[0].name)[PANEL_MANIFEST_COLUMNS]]
    used = set(ids)
    for w in cfg.waves[1:]:
        df = panel[w.name]
        stay = [i for i in range(n) if i not in collided and not df["missing"].iat[i]]
        gone = [i for i in range(n) if i not in collided and df["missing"].iat[i]]
        k_new = cfg.mess.new_ids.get(w.name, 0)
        new_people = _new_people(cfg, w, k_new)
        raw, man = _wave_export(cfg, w, df.iloc[stay].reset_index(drop=True), [ids[i] for i in stay], new_people,
                                used, named_rng(cfg.seed, f"panel {w.name} mess"))
        man += [{"wave": w.name, "row": "", "ResponseId": ids[i], "kind": "attrition", "column": "", "value": "",
                 "detail": "drops out (attrition model)"} for i in gone]
        files[w.name] = raw
        manifest.append(pd.DataFrame(man, columns=PANEL_MANIFEST_COLUMNS))
    return files, pd.concat(manifest, ignore_index=True)


def _sample_rng(cfg: SimulationConfig) -> np.random.Generator:
    return stream_rng(cfg.seed, "sample")      # the stream make_export draws its respondents from


def _new_people(cfg: PanelConfig, w: PanelWave, k: int) -> pd.DataFrame:
    """People who join at a later wave: cross-sectional respondents of that wave."""
    if k == 0:
        return pd.DataFrame()
    pop = simulate_population(k, cfg.wave1, named_rng(cfg.seed, f"panel {w.name} new"))
    pop["loss"] = pop["breakup_12m"]
    return pop


def _ols(y: np.ndarray, X: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(X, y, rcond=None)[0]


def panel_truth(cfg: PanelConfig, n: int | None = None) -> dict[str, Any]:
    """The population truth of the panel (stated parameters and large-sample values).

    Simulates ``n`` (default ``cfg.truth_n``) clean panel respondents (no mess, no
    attrition applied) and returns a dict with keys ``seed``, ``n``, ``waves`` (name, label),
    ``stability`` (latent retest correlations, stated), ``anxiety_change`` (per later wave:
    ``latent_d_z`` and ``latent_mean_shift`` stated; ``observed_mean_diff``, ``observed_sd_diff``,
    ``observed_d_z`` of ``ecr_anxiety`` vs wave 1 in the large sample), ``breakup`` (stated
    model; ``prevalence`` per later wave, large sample), ``depression`` (per later wave the
    formula and the EXACT coefficients ``b`` by term, ``Intercept``, ``phq9_total_<prev>``,
    ``ecr_anxiety_<prev>``, ``loss_<w>``, ``ecr_anxiety_<prev>:loss_<w>``, plus ``b_ols`` of
    the large sample as a check, and ``loss_slope_at_mean_anxiety`` with the mean used),
    ``attrition`` (per later wave: ``intercept`` and ``coefficients``/``centres`` of the
    logistic model on wave-1 variables, ``share_missing`` in the large sample).
    """
    n = int(cfg.truth_n if n is None else n)
    pop = simulate_population(n, cfg.wave1, named_rng(cfg.seed, "panel truth sample"))
    panel = panel_population(cfg, pop, named_rng(cfg.seed, "panel truth latent"))
    names = [w.name for w in cfg.waves]
    h = cfg.stability
    first = panel[names[0]]
    out: dict[str, Any] = {"seed": cfg.seed, "n": n,
                           "waves": [{"name": w.name, "label": w.label} for w in cfg.waves],
                           "stability": dict(h), "anxiety_change": {}, "breakup": {
                               "model": "logit P(loss_t) = logit(base_prob) + anxiety_logit * latent anxiety at t-1",
                               "base_prob": cfg.breakup_base_prob, "anxiety_logit": cfg.breakup_anxiety_logit,
                               "prevalence": {}}, "depression": {}, "attrition": {}}
    d = cfg.depression
    for k, w in enumerate(names[1:], start=1):
        df, prev = panel[w], panel[names[k - 1]]
        diff = df["ecr_anxiety"].to_numpy() - first["ecr_anxiety"].to_numpy()
        out["anxiety_change"][w] = {
            "from": names[0], "latent_d_z": cfg.anxiety_change_d_z[w],
            "latent_mean_shift": cfg.anxiety_change_d_z[w] * math.sqrt(2 * (1 - h["anxiety"])),
            "observed_mean_diff": float(diff.mean()), "observed_sd_diff": float(diff.std(ddof=1)),
            "observed_d_z": float(diff.mean() / diff.std(ddof=1))}
        out["breakup"]["prevalence"][w] = float(df["loss"].mean())
        p, a, L = prev["phq9_total"].to_numpy(), prev["ecr_anxiety"].to_numpy(), df["loss"].to_numpy(dtype=float)
        pv = names[k - 1]
        terms = ["Intercept", f"phq9_total_{pv}", f"ecr_anxiety_{pv}", f"loss_{w}", f"ecr_anxiety_{pv}:loss_{w}"]
        b = [d.intercept, d.phq9_total_prev, d.ecr_anxiety_prev, d.loss, d.ecr_anxiety_prev_x_loss]
        X = np.column_stack([np.ones(n), p, a, L, a * L])
        mean_a = float(a.mean())
        out["depression"][w] = {
            "formula": f"phq9_total_{w} ~ phq9_total_{pv} + ecr_anxiety_{pv} * loss_{w}",
            "b": dict(zip(terms, b)), "exact": True, "concentration": d.concentration,
            "b_ols": dict(zip(terms, (float(x) for x in _ols(df["phq9_total"].to_numpy(dtype=float), X)))),
            "ecr_anxiety_mean": mean_a,
            "loss_slope_at_mean_anxiety": d.loss + d.ecr_anxiety_prev_x_loss * mean_a}
        att = cfg.attrition[w]
        out["attrition"][w] = {
            "model": "logit P(missing) = intercept + sum coef * (x_w1 - centre), x = clean wave-1 scores",
            "intercept": att.intercept, "coefficients": {f"{v}_{names[0]}": c for v, (c, _) in att.predictors.items()},
            "centres": {f"{v}_{names[0]}": z for v, (_, z) in att.predictors.items()},
            "share_missing": float(df["missing"].mean())}
    return out


def write_panel(cfg: PanelConfig, out_dir: str | Path) -> dict[str, Path]:
    """Write ``wave1.csv``… (one per wave, named by the wave), ``manifest.csv`` and ``truth.json``.

    ``truth.json`` has :func:`panel_truth` under ``panel``, the cross-sectional truth of
    wave 1 (:func:`attachstats.sim.simulate.population_truth`, ``n = truth_n``) under
    ``wave1``, and ``files`` (rows per wave, counts of each kind of mess per wave). Floats are
    rounded to 6 decimals, keys sorted: writing twice gives identical bytes.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files, manifest = make_panel(cfg)
    paths: dict[str, Path] = {}
    for w, raw in files.items():
        paths[w] = out_dir / f"{w}.csv"
        write_text_csv(raw, paths[w])
    paths["manifest"] = out_dir / "manifest.csv"
    write_text_csv(manifest, paths["manifest"])
    counts = manifest.groupby(["wave", "kind"]).size()
    truth = {"panel": panel_truth(cfg), "wave1": population_truth(cfg.wave1, n=cfg.truth_n),
             "files": {w: {"rows": len(raw), "mess_counts": {k: int(v) for (ww, k), v in counts.items() if ww == w}}
                       for w, raw in files.items()}}
    paths["truth"] = out_dir / "truth.json"
    paths["truth"].write_text(json.dumps(rounded_for_json(truth), sort_keys=True, indent=2, ensure_ascii=False) + "\n",
                              encoding="utf-8", newline="\n")
    return paths
