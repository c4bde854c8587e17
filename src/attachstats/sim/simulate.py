"""Simulated online-survey data from a documented population model (the embedded example).

The population model, every parameter and the published effect sizes it is grounded in are
described in ``docs/population-model.md``; the parameters themselves live in
``config/simulation/example.yaml`` (the defaults of :class:`SimulationConfig` are the same
values). Three things are produced:

* :func:`simulate_population` — clean respondents: latent scores, item responses,
  demographics, completion time (no mess);
* :func:`make_export` — a survey-platform style export with real-world mess (missing-value
  codes, empty cells, careless responders, speeders, duplicate rows, id collisions,
  out-of-range values) and a manifest saying which row got which mess;
* :func:`population_truth` — the true regression coefficients on the scale the pipeline
  reports, estimated from a very large clean sample.

Randomness comes from NumPy ``default_rng`` streams seeded with ``[seed, stream]``
(:func:`attachstats.stats.rng.stream_rng`): stream 0 draws the item parameters (part of
the population), stream 1 the respondents of the export, stream 2 the mess and stream 3
the large sample of :func:`population_truth`.
Only ``Generator`` methods are used and nothing depends on hash or set order, so the same
configuration always gives the same bytes.

Example
-------
>>> cfg = SimulationConfig(n_rows=200)
>>> raw, manifest = make_export(cfg)
>>> list(raw.columns[:5])
['ResponseId', 'RecordedDate', 'Duration (in seconds)', 'Age', 'Gender']
>>> len(raw)
200
"""

from __future__ import annotations

import calendar
import csv
import dataclasses
import functools
import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from statistics import NormalDist
from typing import Any, Mapping

import numpy as np
import pandas as pd

from attachstats.errors import ConfigError
from attachstats.spec.instrument import Instrument, load_instrument
from attachstats.spec.study import read_yaml
from attachstats.stats.rng import stream_rng

#: Gender labels as written in the export; the first one is the regression reference level.
GENDERS: tuple[str, ...] = ("Female", "Male", "Non-binary")

#: Latent variables an item block can load on.
LATENTS: tuple[str, ...] = ("childhood", "anxiety", "avoidance", "depression", "panic")

#: Kinds of mess recorded in the manifest.
MESS_KINDS: tuple[str, ...] = ("straight_liner", "random_responder", "speeder", "duplicate_row",
                               "id_collision", "out_of_range", "missing_code", "empty_cell")

MANIFEST_COLUMNS: list[str] = ["row", "ResponseId", "kind", "column", "value", "detail"]



# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class AgeModel:
    """Age in years: ``min + (max - min + 1) * Beta(beta_a, beta_b)``, floored to integers.

    The defaults give the right-skewed age distribution of an online convenience sample
    (median about 32, mean about 35, a thin tail up to 75).
    """

    min: int = 18
    max: int = 75
    beta_a: float = 1.5
    beta_b: float = 3.5

    @property
    def width(self) -> float:
        return float(self.max - self.min + 1)

    @property
    def mean(self) -> float:
        """Mean of the continuous (unfloored) age."""
        return self.min + self.width * self.beta_a / (self.beta_a + self.beta_b)

    @property
    def sd(self) -> float:
        """Standard deviation of the continuous age."""
        a, b = self.beta_a, self.beta_b
        return self.width * math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))


@dataclass(frozen=True)
class DepressionPaths:
    """Structural coefficients of latent depression D (in SD units of D).

    ``D = anxiety·A + avoidance·V + breakup·L + anxiety_x_breakup·A·L + age_per_sd·age_z
    + male·[Male] + non_binary·[Non-binary] + e``, with the residual variance chosen so
    that Var(D) = 1 in the population.
    """

    anxiety: float = 0.306
    avoidance: float = 0.165
    breakup: float = 0.50
    anxiety_x_breakup: float = 0.30
    age_per_sd: float = -0.10
    male: float = -0.15
    non_binary: float = 0.35


@dataclass(frozen=True)
class PanicPaths:
    """Structural coefficients of latent panic P (in SD units of P; Var(P) = 1)."""

    anxiety: float = 0.30
    childhood: float = 0.24
    age_per_sd: float = -0.05
    male: float = -0.20
    non_binary: float = 0.25


@dataclass(frozen=True)
class LatentModel:
    """Joint model of the latent variables (see ``docs/population-model.md``).

    C ~ N(0, 1); A = c·C + sqrt(1 − c²)·e_A; V = r·A + sqrt(1 − r²)·e_V;
    L ~ Bernoulli(breakup_prob); D and P as in :class:`DepressionPaths` and
    :class:`PanicPaths`, their residuals correlated ``panic_depression_residual_corr``.
    "Childhood SAD" is C above its ``childhood_sad_quantile``; "adult panic disorder" is P
    above its ``panic_disorder_quantile``.
    """

    anxiety_avoidance_corr: float = 0.30
    childhood_to_anxiety: float = 0.30
    breakup_prob: float = 0.15
    depression: DepressionPaths = field(default_factory=DepressionPaths)
    panic: PanicPaths = field(default_factory=PanicPaths)
    panic_depression_residual_corr: float = 0.25
    childhood_sad_quantile: float = 0.90
    panic_disorder_quantile: float = 0.95


@dataclass(frozen=True)
class ItemBlock:
    """How the items of one instrument are generated (graded-response / threshold model).

    Each item has a latent response ``y* = λ·θ + sqrt(1 − λ²)·ε`` (θ the latent variable of
    the item's subscale, ε ~ N(0, 1)); the keyed answer is ``min + #{k: y* > τ_k + δ}``.
    Thresholds τ are the normal quantiles of ``category_probs`` (the answer shares of an
    average item), δ ~ N(0, location_sd) shifts the item's difficulty (plus any fixed
    ``location_overrides``; positive = endorsed less), λ ~ U(loading_range). Reverse-keyed
    items (from the instrument file) are written as ``min + max − keyed``.
    """

    instrument: str
    prefix: str
    latent: dict[str, str]
    category_probs: dict[str, tuple[float, ...]]
    loading_range: tuple[float, float] = (0.55, 0.80)
    location_sd: float = 0.20
    location_overrides: dict[int, float] = field(default_factory=dict)

    def load(self) -> Instrument:
        """The instrument definition (items, keys, range) this block follows."""
        return _instrument(self.instrument)


@functools.lru_cache(maxsize=None)
def _instrument(ref: str) -> Instrument:
    return load_instrument(ref)


def _default_items() -> dict[str, ItemBlock]:
    return {
        "ecr": ItemBlock(
            instrument="ecr-r", prefix="ECR",
            latent={"anxiety": "anxiety", "avoidance": "avoidance"},
            category_probs={"anxiety": (0.17, 0.19, 0.16, 0.15, 0.13, 0.11, 0.09),
                            "avoidance": (0.26, 0.24, 0.17, 0.13, 0.09, 0.07, 0.04)},
            loading_range=(0.55, 0.80), location_sd=0.25),
        "phq9": ItemBlock(
            instrument="phq-9", prefix="PHQ9", latent={"total": "depression"},
            category_probs={"total": (0.50, 0.28, 0.13, 0.09)},
            loading_range=(0.60, 0.80), location_sd=0.20, location_overrides={9: 1.0}),
        "pdss": ItemBlock(
            instrument="pdss-sr", prefix="PDSS", latent={"total": "panic"},
            category_probs={"total": (0.70, 0.14, 0.08, 0.05, 0.03)},
            loading_range=(0.60, 0.85), location_sd=0.20),
        "sasi": ItemBlock(
            instrument="sasi", prefix="SASI", latent={"total": "childhood"},
            category_probs={"total": (0.42, 0.30, 0.17, 0.11)},
            loading_range=(0.50, 0.75), location_sd=0.25),
    }


@dataclass(frozen=True)
class PanicAttackModel:
    """Panic attacks in the last month: negative binomial, ``log μ = intercept + slope·P``.

    ``dispersion`` is the NB size parameter k (variance μ + μ²/k).
    """

    log_mean_intercept: float = -2.3
    log_mean_slope: float = 1.1
    dispersion: float = 0.8


@dataclass(frozen=True)
class DurationModel:
    """Completion time of attentive respondents, in seconds per item (× number of items).

    Log-normal with the given median and log-SD; a share ``break_share`` also took a break
    that multiplies their time by ``exp(U(break_log_factor))``; times below
    ``min_seconds_per_item`` are raised to it (attentive respondents are never speeders).
    """

    median_seconds_per_item: float = 7.5
    sdlog: float = 0.35
    break_share: float = 0.05
    break_log_factor: tuple[float, float] = (0.5, 3.0)
    min_seconds_per_item: float = 2.5


@dataclass(frozen=True)
class OutOfRange:
    """One planted out-of-range value: ``target`` is an item block key (a random item of
    it gets the value) or ``"age"``."""

    target: str
    value: int


@dataclass(frozen=True)
class MessModel:
    """Real-world mess added to the export (all recorded in the manifest)."""

    missing_code: int = -99
    missing_cell_share: float = 0.01
    n_empty_cells: int = 12
    straight_liner_share: float = 0.015
    random_responder_share: float = 0.015
    speeder_share: float = 0.01
    straight_line_probs: tuple[float, ...] = (0.10, 0.08, 0.12, 0.40, 0.12, 0.08, 0.10)
    careless_median_seconds_per_item: float = 3.5
    careless_sdlog: float = 0.30
    careless_min_seconds_per_item: float = 2.2
    speeder_seconds_per_item: tuple[float, float] = (0.5, 1.4)
    speeder_random_share: float = 0.5
    n_duplicate_rows: int = 8
    n_id_collisions: int = 4
    out_of_range: tuple[OutOfRange, ...] = (
        OutOfRange("ecr", 0), OutOfRange("ecr", 8), OutOfRange("ecr", 77),
        OutOfRange("ecr", 8), OutOfRange("age", 999), OutOfRange("age", 7))


@dataclass(frozen=True)
class SimulationConfig:
    """Every parameter of the simulation; defaults equal ``config/simulation/example.yaml``.

    Attributes
    ----------
    seed : int
        The one seed everything derives from.
    n_rows : int
        Rows of the export, including duplicate rows (respondents = n_rows − n_duplicate_rows).
    month : str
        ``"YYYY-MM"``: the month the ``RecordedDate`` values fall in.
    id_length : int
        Characters after ``"R_"`` in a ``ResponseId``.
    age, gender_probs, latent, items, panic_attacks, duration, mess
        See the classes of the same name.
    truth_n : int
        Size of the clean sample :func:`write_example` uses for :func:`population_truth`.
    """

    seed: int = 20260301
    n_rows: int = 1500
    month: str = "2026-03"
    id_length: int = 15
    age: AgeModel = field(default_factory=AgeModel)
    gender_probs: dict[str, float] = field(
        default_factory=lambda: {"Female": 0.60, "Male": 0.37, "Non-binary": 0.03})
    latent: LatentModel = field(default_factory=LatentModel)
    items: dict[str, ItemBlock] = field(default_factory=_default_items)
    panic_attacks: PanicAttackModel = field(default_factory=PanicAttackModel)
    duration: DurationModel = field(default_factory=DurationModel)
    mess: MessModel = field(default_factory=MessModel)
    truth_n: int = 400_000

    def __post_init__(self) -> None:
        _check_config(self)

    @property
    def n_items(self) -> int:
        """Number of items in the survey (all blocks)."""
        return sum(b.load().n_items for b in self.items.values())

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], origin: str = "<dict>") -> "SimulationConfig":
        """Build a configuration from a mapping; missing keys keep their defaults.

        Raises
        ------
        ConfigError
            On an unknown key (names it and the allowed keys) or a value of the wrong kind.
        """
        if not isinstance(d, Mapping):
            raise ConfigError(f"{origin}: the simulation config must be a mapping, got {type(d).__name__}")
        kw: dict[str, Any] = {}
        top = {f.name for f in dataclasses.fields(cls)}
        _no_unknown(d, top, origin)
        for key in ("seed", "n_rows", "id_length", "truth_n"):
            if key in d:
                kw[key] = _as_int(d[key], f"{origin}: {key}")
        if "month" in d:
            kw["month"] = str(d["month"])
        if "age" in d:
            kw["age"] = _build(AgeModel, d["age"], f"{origin}: age")
        if "gender_probs" in d:
            kw["gender_probs"] = {str(k): float(v) for k, v in dict(d["gender_probs"]).items()}
        if "latent" in d:
            lat = dict(d["latent"])
            _no_unknown(lat, {f.name for f in dataclasses.fields(LatentModel)}, f"{origin}: latent")
            sub: dict[str, Any] = {}
            if "depression" in lat:
                sub["depression"] = _build(DepressionPaths, lat.pop("depression"), f"{origin}: latent.depression")
            if "panic" in lat:
                sub["panic"] = _build(PanicPaths, lat.pop("panic"), f"{origin}: latent.panic")
            kw["latent"] = _build(LatentModel, {**lat, **sub}, f"{origin}: latent", raw=tuple(sub))
        if "items" in d:
            items = {}
            for key, spec in dict(d["items"]).items():
                where = f"{origin}: items.{key}"
                spec = dict(spec)
                _no_unknown(spec, {f.name for f in dataclasses.fields(ItemBlock)}, where)
                for req in ("instrument", "prefix", "latent", "category_probs"):
                    if req not in spec:
                        raise ConfigError(f"{where}: missing key {req!r}")
                spec["latent"] = {str(k): str(v) for k, v in dict(spec["latent"]).items()}
                spec["category_probs"] = {str(k): tuple(float(x) for x in v)
                                          for k, v in dict(spec["category_probs"]).items()}
                if "loading_range" in spec:
                    spec["loading_range"] = tuple(float(x) for x in spec["loading_range"])
                if "location_overrides" in spec:
                    spec["location_overrides"] = {int(k): float(v)
                                                  for k, v in dict(spec["location_overrides"] or {}).items()}
                items[str(key)] = _build(ItemBlock, spec, where,
                                         raw=("latent", "category_probs", "loading_range", "location_overrides"))
            kw["items"] = items
        if "panic_attacks" in d:
            kw["panic_attacks"] = _build(PanicAttackModel, d["panic_attacks"], f"{origin}: panic_attacks")
        if "duration" in d:
            dur = dict(d["duration"])
            if "break_log_factor" in dur:
                dur["break_log_factor"] = tuple(float(x) for x in dur["break_log_factor"])
            kw["duration"] = _build(DurationModel, dur, f"{origin}: duration", raw=("break_log_factor",))
        if "mess" in d:
            mess = dict(d["mess"])
            raw = []
            if "out_of_range" in mess:
                mess["out_of_range"] = tuple(_build(OutOfRange, o, f"{origin}: mess.out_of_range[{i}]")
                                             for i, o in enumerate(mess["out_of_range"] or []))
                raw.append("out_of_range")
            for key in ("straight_line_probs", "speeder_seconds_per_item"):
                if key in mess:
                    mess[key] = tuple(float(x) for x in mess[key])
                    raw.append(key)
            kw["mess"] = _build(MessModel, mess, f"{origin}: mess", raw=tuple(raw))
        try:
            return cls(**kw)
        except ConfigError as exc:
            raise ConfigError(f"{origin}: {exc}") from None

    @classmethod
    def from_yaml(cls, path: str | Path) -> "SimulationConfig":
        """Read a simulation configuration file (see ``config/simulation/example.yaml``)."""
        return cls.from_dict(read_yaml(path, "simulation config", allow_empty=True), origin=str(path))

    def to_dict(self) -> dict[str, Any]:
        """The configuration as plain Python data (for provenance records)."""
        return _plain(dataclasses.asdict(self))


def _no_unknown(d: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; "
                          f"allowed: {', '.join(sorted(allowed))}")


def _as_int(v: Any, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or float(v) != int(v):
        raise ConfigError(f"{where}: expected an integer, got {v!r}")
    return int(v)


def _build(cls: type, d: Any, where: str, raw: tuple[str, ...] = ()) -> Any:
    """Instantiate a flat dataclass from a mapping, converting scalars to the field types."""
    if not isinstance(d, Mapping):
        raise ConfigError(f"{where}: expected a mapping, got {d!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    _no_unknown(d, set(fields), where)
    kw = {}
    for k, v in d.items():
        if k in raw:
            kw[k] = v
            continue
        t = str(fields[k].type)
        try:
            if t == "int":
                kw[k] = _as_int(v, f"{where}.{k}")
            elif t == "float":
                if isinstance(v, bool):
                    raise ValueError
                kw[k] = float(v)
            elif t == "str":
                kw[k] = str(v)
            else:
                kw[k] = v
        except (TypeError, ValueError):
            raise ConfigError(f"{where}.{k}: expected {t}, got {v!r}") from None
    try:
        return cls(**kw)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _plain(x: Any) -> Any:
    if isinstance(x, Mapping):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


def _check_config(cfg: SimulationConfig) -> None:
    """Checks a dataclass cannot express; raises ConfigError naming the key."""
    lat = cfg.latent
    if tuple(cfg.gender_probs) != GENDERS:
        raise ConfigError(f"gender_probs: give exactly {', '.join(GENDERS)} in this order "
                          f"(Female is the reference level), got {', '.join(cfg.gender_probs)}")
    if abs(sum(cfg.gender_probs.values()) - 1) > 1e-9 or min(cfg.gender_probs.values()) < 0:
        raise ConfigError("gender_probs: shares must be non-negative and sum to 1")
    for name in ("anxiety_avoidance_corr", "childhood_to_anxiety", "panic_depression_residual_corr"):
        if not -1 < getattr(lat, name) < 1:
            raise ConfigError(f"latent.{name}: must lie strictly between -1 and 1")
    for name in ("breakup_prob", "childhood_sad_quantile", "panic_disorder_quantile"):
        if not 0 < getattr(lat, name) < 1:
            raise ConfigError(f"latent.{name}: must lie strictly between 0 and 1")
    residual_sds(cfg)  # raises when the structural paths are impossible
    if not cfg.age.min < cfg.age.max or cfg.age.beta_a <= 0 or cfg.age.beta_b <= 0:
        raise ConfigError("age: need min < max and positive beta_a, beta_b")
    try:
        y, m = (int(p) for p in cfg.month.split("-"))
        datetime(y, m, 1)
    except (ValueError, TypeError):
        raise ConfigError(f"month: expected 'YYYY-MM', got {cfg.month!r}") from None
    for key, block in cfg.items.items():
        where = f"items.{key}"
        try:
            inst = block.load()
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if set(block.latent) != set(inst.subscales):
            raise ConfigError(f"{where}.latent: map every subscale of {inst.id} "
                              f"({', '.join(inst.subscales)}) to a latent variable")
        for sub, lv in block.latent.items():
            if lv not in LATENTS:
                raise ConfigError(f"{where}.latent.{sub}: unknown latent {lv!r}; one of {', '.join(LATENTS)}")
        for sub in inst.subscales:
            probs = block.category_probs.get(sub)
            if probs is None:
                raise ConfigError(f"{where}.category_probs: missing subscale {sub!r}")
            if len(probs) != inst.max - inst.min + 1:
                raise ConfigError(f"{where}.category_probs.{sub}: need {inst.max - inst.min + 1} shares "
                                  f"(answers {inst.min}..{inst.max}), got {len(probs)}")
            if min(probs) <= 0 or abs(sum(probs) - 1) > 1e-6:
                raise ConfigError(f"{where}.category_probs.{sub}: shares must be positive and sum to 1")
        lo, hi = block.loading_range
        if not 0 < lo <= hi < 1:
            raise ConfigError(f"{where}.loading_range: need 0 < low <= high < 1")
        bad = [i for i in block.location_overrides if not 1 <= i <= inst.n_items]
        if bad:
            raise ConfigError(f"{where}.location_overrides: item(s) {bad} outside 1..{inst.n_items}")
    if "ecr" not in cfg.items:
        raise ConfigError("items: the straight-lining pattern needs an 'ecr' block")
    mess = cfg.mess
    ecr = cfg.items["ecr"].load()
    if len(mess.straight_line_probs) != ecr.max - ecr.min + 1 or abs(sum(mess.straight_line_probs) - 1) > 1e-6:
        raise ConfigError(f"mess.straight_line_probs: need {ecr.max - ecr.min + 1} shares summing to 1")
    for o in mess.out_of_range:
        if o.target != "age" and o.target not in cfg.items:
            raise ConfigError(f"mess.out_of_range: target {o.target!r} is neither 'age' nor an item block")
    n_persons = cfg.n_rows - mess.n_duplicate_rows
    n_special = (round(mess.straight_liner_share * n_persons) + round(mess.random_responder_share * n_persons)
                 + round(mess.speeder_share * n_persons) + 2 * mess.n_id_collisions + mess.n_duplicate_rows
                 + len(mess.out_of_range))
    if n_special > n_persons:
        raise ConfigError(f"n_rows: {cfg.n_rows} rows are too few for the requested mess ({n_special} rows)")


# ------------------------------------------------------------------------ population model


def _predictor_cov(cfg: SimulationConfig) -> tuple[list[str], np.ndarray]:
    """Population covariance of (C, A, V, L, A·L, age_z, male, non_binary), analytically."""
    lat = cfg.latent
    c, r, p = lat.childhood_to_anxiety, lat.anxiety_avoidance_corr, lat.breakup_prob
    pm, pn = cfg.gender_probs["Male"], cfg.gender_probs["Non-binary"]
    names = ["C", "A", "V", "L", "AL", "age_z", "male", "non_binary"]
    s = np.zeros((8, 8))
    s[:3, :3] = [[1, c, c * r], [c, 1, r], [c * r, r, 1]]
    s[3, 3] = p * (1 - p)
    # A·L has mean 0 and E[(A·L)·X] = p·E[A·X] for X in (C, A, V); uncorrelated with L.
    s[4, 4] = p
    s[4, :3] = s[:3, 4] = p * s[1, :3]
    s[5, 5] = 1.0
    s[6, 6], s[7, 7] = pm * (1 - pm), pn * (1 - pn)
    s[6, 7] = s[7, 6] = -pm * pn
    return names, s


def _path_vectors(cfg: SimulationConfig) -> tuple[np.ndarray, np.ndarray]:
    d, q = cfg.latent.depression, cfg.latent.panic
    bd = np.array([0.0, d.anxiety, d.avoidance, d.breakup, d.anxiety_x_breakup, d.age_per_sd, d.male, d.non_binary])
    bp = np.array([q.childhood, q.anxiety, 0.0, 0.0, 0.0, q.age_per_sd, q.male, q.non_binary])
    return bd, bp


def residual_sds(cfg: SimulationConfig) -> dict[str, float]:
    """Residual SDs of latent depression and panic that make their population variance 1.

    Raises
    ------
    ConfigError
        When the paths already explain all the variance (the model is impossible).
    """
    _, s = _predictor_cov(cfg)
    out = {}
    for name, b in zip(("depression", "panic"), _path_vectors(cfg)):
        explained = float(b @ s @ b)
        if explained >= 1:
            raise ConfigError(f"latent.{name}: the paths explain {explained:.3f} ≥ 1 of the variance; "
                              "make them smaller")
        out[name] = math.sqrt(1 - explained)
    return out


def implied_latent_correlations(cfg: SimulationConfig) -> dict[str, float]:
    """Latent correlations the configuration implies, computed analytically (no sampling).

    Returns ``anxiety_avoidance``, ``anxiety_depression``, ``avoidance_depression``,
    ``childhood_anxiety``, ``anxiety_panic``, ``childhood_panic``, ``childhood_depression``,
    ``depression_panic`` and ``explained_depression`` / ``explained_panic`` (R² of the
    structural equations).
    """
    names, s = _predictor_cov(cfg)
    bd, bp = _path_vectors(cfg)
    sd = residual_sds(cfg)
    ix = {n: i for i, n in enumerate(names)}
    cov_d = s @ bd  # Var(D) = Var(P) = 1, so covariances are correlations
    cov_p = s @ bp
    dp = float(bd @ s @ bp) + cfg.latent.panic_depression_residual_corr * sd["depression"] * sd["panic"]
    return {
        "anxiety_avoidance": float(s[ix["A"], ix["V"]]),
        "childhood_anxiety": float(s[ix["C"], ix["A"]]),
        "anxiety_depression": float(cov_d[ix["A"]]),
        "avoidance_depression": float(cov_d[ix["V"]]),
        "childhood_depression": float(cov_d[ix["C"]]),
        "anxiety_panic": float(cov_p[ix["A"]]),
        "childhood_panic": float(cov_p[ix["C"]]),
        "depression_panic": dp,
        "explained_depression": float(bd @ s @ bd),
        "explained_panic": float(bp @ s @ bp),
    }


def _thresholds(probs: tuple[float, ...]) -> np.ndarray:
    cum = np.cumsum(np.asarray(probs, dtype=float) / sum(probs))[:-1]
    nd = NormalDist()
    return np.array([nd.inv_cdf(float(x)) for x in cum])


def item_parameters(cfg: SimulationConfig) -> dict[str, pd.DataFrame]:
    """Loadings, locations and thresholds of every item (part of the population).

    Drawn from the item stream ``default_rng([seed, 0])`` in block order, so they are the
    same for the export and for :func:`population_truth` whatever sample seed is used.

    Returns
    -------
    dict of block key → DataFrame with columns ``item, column, subscale, latent, reverse,
    loading, location`` and ``thresholds`` (a tuple per item, before the location shift).
    """
    rng = stream_rng(cfg.seed, "items")
    out = {}
    for key, block in cfg.items.items():
        inst = block.load()
        sub_of = {i: name for name, sub in inst.subscales.items() for i in sub.items}
        rev = {i for sub in inst.subscales.values() for i in sub.reverse}
        k = inst.n_items
        lo, hi = block.loading_range
        loadings = rng.uniform(lo, hi, size=k)
        locations = rng.normal(0.0, block.location_sd, size=k)
        rows = []
        for j, n in enumerate(inst.item_numbers):
            sub = sub_of[n]
            rows.append({"item": n, "column": f"{key}_{n}", "subscale": sub, "latent": block.latent[sub],
                         "reverse": n in rev, "loading": float(loadings[j]),
                         "location": float(locations[j]) + block.location_overrides.get(n, 0.0),
                         "thresholds": tuple(float(t) for t in _thresholds(block.category_probs[sub]))})
        out[key] = pd.DataFrame(rows)
    return out


def simulate_population(n: int, cfg: SimulationConfig, rng: np.random.Generator) -> pd.DataFrame:
    """Simulate ``n`` clean respondents: latent scores, item responses and covariates.

    Parameters
    ----------
    n : int
        Number of respondents.
    cfg : SimulationConfig
        Population model.
    rng : numpy.random.Generator
        Source of randomness for the sample (item parameters come from ``cfg.seed``).

    Returns
    -------
    DataFrame with, in this order: ``latent_childhood, latent_anxiety, latent_avoidance,
    latent_depression, latent_panic`` (population SD 1), ``breakup_12m`` (0/1),
    ``age_years`` (continuous), ``age`` (integer years), ``gender`` (``"Female"``,
    ``"Male"``, ``"Non-binary"``), ``panic_attacks_month`` (count), ``duration`` (seconds,
    integer) and the item responses ``<block>_<n>`` (e.g. ``ecr_1``, as the pipeline names
    them; reverse-keyed items as answered, i.e. not yet reversed).

    Examples
    --------
    >>> pop = simulate_population(5, SimulationConfig(), np.random.default_rng(1))
    >>> pop.shape
    (5, 78)
    """
    if n < 1:
        raise ValueError(f"n must be positive, got {n}")
    lat = cfg.latent
    sd = residual_sds(cfg)
    c, r = lat.childhood_to_anxiety, lat.anxiety_avoidance_corr
    C = rng.standard_normal(n)
    A = c * C + math.sqrt(1 - c * c) * rng.standard_normal(n)
    V = r * A + math.sqrt(1 - r * r) * rng.standard_normal(n)
    L = (rng.random(n) < lat.breakup_prob).astype(np.int64)
    age_years = cfg.age.min + cfg.age.width * rng.beta(cfg.age.beta_a, cfg.age.beta_b, size=n)
    age = np.minimum(np.floor(age_years), cfg.age.max).astype(np.int64)
    age_z = (age_years - cfg.age.mean) / cfg.age.sd
    g = rng.choice(len(GENDERS), size=n, p=np.array([cfg.gender_probs[x] for x in GENDERS]))
    male, nb = (g == 1).astype(float), (g == 2).astype(float)
    z1, z2 = rng.standard_normal(n), rng.standard_normal(n)
    rho = lat.panic_depression_residual_corr
    d, q = lat.depression, lat.panic
    D = (d.anxiety * A + d.avoidance * V + d.breakup * L + d.anxiety_x_breakup * A * L
         + d.age_per_sd * age_z + d.male * male + d.non_binary * nb + sd["depression"] * z1)
    P = (q.anxiety * A + q.childhood * C + q.age_per_sd * age_z + q.male * male + q.non_binary * nb
         + sd["panic"] * (rho * z1 + math.sqrt(1 - rho * rho) * z2))
    theta = {"childhood": C, "anxiety": A, "avoidance": V, "depression": D, "panic": P}

    cols: dict[str, Any] = {
        "latent_childhood": C, "latent_anxiety": A, "latent_avoidance": V,
        "latent_depression": D, "latent_panic": P, "breakup_12m": L,
        "age_years": age_years, "age": age, "gender": np.array(GENDERS, dtype=object)[g],
    }
    pa = cfg.panic_attacks
    mu = np.exp(pa.log_mean_intercept + pa.log_mean_slope * P)
    cols["panic_attacks_month"] = rng.negative_binomial(pa.dispersion, pa.dispersion / (pa.dispersion + mu))
    du = cfg.duration
    spi = du.median_seconds_per_item * np.exp(du.sdlog * rng.standard_normal(n))
    took_break = rng.random(n) < du.break_share
    spi = spi * np.exp(np.where(took_break, rng.uniform(*du.break_log_factor, size=n), 0.0))
    spi = np.maximum(spi, du.min_seconds_per_item)
    cols["duration"] = np.round(spi * cfg.n_items).astype(np.int64)

    for key, params in item_parameters(cfg).items():
        cols.update(block_items(params, cfg.items[key].load(), theta, rng))
    return pd.DataFrame(cols)


def block_items(params: pd.DataFrame, inst: Instrument, theta: Mapping[str, np.ndarray],
                rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Item responses of one block under the threshold model, given the latent scores.

    ``params`` is the block's table of :func:`item_parameters`; ``theta`` maps latent names
    (``anxiety``, ``depression``…) to arrays of one length. Reverse-keyed items are returned
    as answered (``inst.reverse_value`` of the keyed response). One ``standard_normal``
    draw of shape (n, items) is taken from ``rng``.
    """
    n = len(next(iter(theta.values())))
    lam = params["loading"].to_numpy()
    eps = rng.standard_normal((n, len(params)))
    out = {}
    for j, row in enumerate(params.itertuples(index=False)):
        ystar = lam[j] * theta[row.latent] + math.sqrt(1 - lam[j] ** 2) * eps[:, j]
        tau = np.asarray(row.thresholds) + row.location
        keyed = inst.min + np.searchsorted(tau, ystar, side="left")
        out[row.column] = (inst.reverse_value(keyed) if row.reverse else keyed).astype(np.int64)
    return out


# --------------------------------------------------------------------------------- export


def _item_cols(cfg: SimulationConfig) -> list[tuple[str, str, int, int]]:
    """(canonical column, export column, min, max) of every item, in export order."""
    out = []
    for key, block in cfg.items.items():
        inst = block.load()
        out.extend((f"{key}_{n}", f"{block.prefix}_{n}", inst.min, inst.max) for n in inst.item_numbers)
    return out


def export_columns(cfg: SimulationConfig) -> list[str]:
    """Column names of the raw export, in order."""
    return (["ResponseId", "RecordedDate", "Duration (in seconds)", "Age", "Gender"]
            + [c[1] for c in _item_cols(cfg)] + ["Breakup_12m", "PanicAttacks_month"])


def _response_ids(n: int, length: int, rng: np.random.Generator) -> list[str]:
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < n:
        draw = rng.integers(0, len(alphabet), size=(n - len(ids), length))
        for row in draw:
            s = "R_" + "".join(alphabet[row])
            if s not in seen:  # membership test only; order comes from the list
                seen.add(s)
                ids.append(s)
    return ids


def recorded_dates(n: int, month: str, rng: np.random.Generator) -> list[str]:
    y, m = (int(p) for p in month.split("-"))
    seconds = calendar.monthrange(y, m)[1] * 86400
    offsets = np.sort(rng.integers(0, seconds, size=n))
    start = datetime(y, m, 1)
    return [(start + timedelta(seconds=int(s))).isoformat() for s in offsets]


def make_export(cfg: SimulationConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate the raw survey export and the manifest of the mess planted in it.

    Respondents (``n_rows − n_duplicate_rows``) are drawn from the population, sorted by
    ``RecordedDate``; then, on disjoint sets of respondents: straight-liners, random
    responders and speeders replace their item answers (and completion time); id
    collisions give a later respondent the ``ResponseId`` of an earlier one; out-of-range
    values are planted; ``-99`` codes and empty cells go into item cells of attentive
    respondents; finally duplicate rows (re-submissions) are inserted right after the row
    they copy.

    Returns
    -------
    raw : DataFrame
        Every cell as a string, exactly as written to ``survey.csv`` (``"-99"`` for the
        missing-value code, ``""`` for an empty cell); columns :func:`export_columns`.
    manifest : DataFrame
        One row per planted problem: ``row`` (1-based data row of the export),
        ``ResponseId``, ``kind`` (one of :data:`MESS_KINDS`), ``column`` and ``value`` (for
        cell-level mess; empty for row-level), ``detail``. Cell-level mess of a duplicated
        row is listed for the copy too. Sorted by row, kind, column.
    """
    mess = cfg.mess
    n = cfg.n_rows - mess.n_duplicate_rows
    pop = simulate_population(n, cfg, stream_rng(cfg.seed, "sample"))
    rng = stream_rng(cfg.seed, "mess")
    items = _item_cols(cfg)
    canon = [c[0] for c in items]
    lo = np.array([c[2] for c in items])
    hi = np.array([c[3] for c in items])
    X = pop[canon].to_numpy(dtype=np.int64).copy()
    duration = pop["duration"].to_numpy().copy()
    ids = _response_ids(n, cfg.id_length, rng)
    dates = recorded_dates(n, cfg.month, rng)

    # disjoint respondent sets, drawn from one permutation
    n_sl = round(mess.straight_liner_share * n)
    n_rr = round(mess.random_responder_share * n)
    n_sp = round(mess.speeder_share * n)
    perm = rng.permutation(n)
    sizes = [("straight_liner", n_sl), ("random_responder", n_rr), ("speeder", n_sp),
             ("collision_a", mess.n_id_collisions), ("collision_b", mess.n_id_collisions),
             ("dup_source", mess.n_duplicate_rows), ("out_of_range", len(mess.out_of_range))]
    sets: dict[str, np.ndarray] = {}
    pos = 0
    for name, k in sizes:
        sets[name] = perm[pos:pos + k]
        pos += k

    row_mess: dict[int, list[tuple[str, str]]] = {}   # person → [(kind, detail)]
    cell_mess: dict[int, list[tuple[str, str, str, str]]] = {}  # person → [(kind, column, value, detail)]
    text: dict[tuple[int, int], str] = {}  # (person, item) → text replacing the answer
    age_text: dict[int, str] = {}
    n_items = len(items)
    ecr_idx = np.array([j for j, c in enumerate(canon) if c.startswith("ecr_")])
    blocks = [(key, np.array([j for j, c in enumerate(canon) if c.rsplit("_", 1)[0] == key])) for key in cfg.items]
    sl_values = np.arange(cfg.items["ecr"].load().min, cfg.items["ecr"].load().max + 1)

    def straight_line(i: int) -> str:
        v = int(rng.choice(sl_values, p=np.asarray(mess.straight_line_probs)))
        X[i, ecr_idx] = v
        for key, idx in blocks:
            if key != "ecr":
                X[i, idx] = int(rng.integers(lo[idx[0]], hi[idx[0]] + 1))
        return f"every ECR answer {v}"

    def random_answers(i: int) -> str:
        X[i] = rng.integers(lo, hi + 1)
        return "uniform random answers to all items"

    def careless_duration() -> int:
        spi = mess.careless_median_seconds_per_item * math.exp(mess.careless_sdlog * rng.standard_normal())
        return int(round(max(spi, mess.careless_min_seconds_per_item) * n_items))

    for i in sets["straight_liner"]:
        row_mess.setdefault(int(i), []).append(("straight_liner", straight_line(int(i))))
        duration[i] = careless_duration()
    for i in sets["random_responder"]:
        row_mess.setdefault(int(i), []).append(("random_responder", random_answers(int(i))))
        duration[i] = careless_duration()
    for i in sets["speeder"]:
        pattern = random_answers(int(i)) if rng.random() < mess.speeder_random_share else straight_line(int(i))
        spi = rng.uniform(*mess.speeder_seconds_per_item)
        duration[i] = int(round(spi * n_items))
        row_mess.setdefault(int(i), []).append(
            ("speeder", f"{duration[i] / n_items:.2f} s per item; {pattern}"))

    for a, b in zip(sets["collision_a"], sets["collision_b"]):
        first, later = (int(a), int(b)) if a < b else (int(b), int(a))
        ids[later] = ids[first]
        row_mess.setdefault(later, []).append(("id_collision", ""))  # detail filled in below

    for o, i in zip(mess.out_of_range, sets["out_of_range"]):
        i = int(i)
        if o.target == "age":
            age_text[i] = str(o.value)
            cell_mess.setdefault(i, []).append(("out_of_range", "Age", str(o.value), f"age {o.value}"))
        else:
            idx = [j for key, js in blocks if key == o.target for j in js]
            j = int(rng.choice(np.asarray(idx)))
            text[(i, j)] = str(o.value)
            cell_mess.setdefault(i, []).append(
                ("out_of_range", items[j][1], str(o.value), f"allowed {lo[j]}..{hi[j]}"))

    # missing-value codes and empty cells: item cells of attentive respondents
    careless = np.zeros(n, dtype=bool)
    careless[np.concatenate([sets["straight_liner"], sets["random_responder"], sets["speeder"]])] = True
    eligible_rows = np.flatnonzero(~careless)
    taken = {i * n_items + j for (i, j) in text}
    cells = np.array([i * n_items + j for i in eligible_rows for j in range(n_items)
                      if i * n_items + j not in taken], dtype=np.int64)
    n_missing = round(mess.missing_cell_share * len(cells))
    pick = rng.choice(len(cells), size=n_missing + mess.n_empty_cells, replace=False)
    code = str(mess.missing_code)
    for t, c in enumerate(cells[pick]):
        i, j = divmod(int(c), n_items)
        if t < n_missing:
            text[(i, j)] = code
            cell_mess.setdefault(i, []).append(("missing_code", items[j][1], code, ""))
        else:
            text[(i, j)] = ""
            cell_mess.setdefault(i, []).append(("empty_cell", items[j][1], "", ""))

    # assemble the person rows as text
    item_text = X.astype(str).astype(object)
    for (i, j), v in text.items():
        item_text[i, j] = v
    ages = pop["age"].astype(str).tolist()
    for i, v in age_text.items():
        ages[i] = v
    person_rows = []
    for i in range(n):
        person_rows.append([ids[i], dates[i], str(int(duration[i])), ages[i], pop["gender"].iat[i],
                            *item_text[i].tolist(), str(int(pop["breakup_12m"].iat[i])),
                            str(int(pop["panic_attacks_month"].iat[i]))])

    # rows in export order; duplicates right after their source
    dup_sources = {int(i) for i in sets["dup_source"]}
    rows, manifest = [], []
    for i in range(n):
        copies = [None, i] if i in dup_sources else [None]
        for copy_of in copies:
            rows.append(person_rows[i])
            r = len(rows)
            for kind, detail in row_mess.get(i, []):
                manifest.append({"row": r, "ResponseId": ids[i], "kind": kind, "column": "", "value": "",
                                 "detail": detail})
            for kind, col, val, detail in cell_mess.get(i, []):
                manifest.append({"row": r, "ResponseId": ids[i], "kind": kind, "column": col, "value": val,
                                 "detail": detail})
            if copy_of is not None:
                manifest.append({"row": r, "ResponseId": ids[i], "kind": "duplicate_row", "column": "",
                                 "value": "", "detail": f"exact copy of row {r - 1}"})
    # id collision details: name the row of the first use
    first_row: dict[str, int] = {}
    for r, row in enumerate(rows, start=1):
        first_row.setdefault(row[0], r)
    for m in manifest:
        if m["kind"] == "id_collision":
            m["detail"] = f"ResponseId first used by row {first_row[m['ResponseId']]}, different answers"
    raw = pd.DataFrame(rows, columns=export_columns(cfg), dtype=object)
    man = pd.DataFrame(manifest, columns=MANIFEST_COLUMNS)
    man = man.sort_values(["row", "kind", "column"], kind="stable").reset_index(drop=True)
    return raw, man


# ------------------------------------------------------------------------- ground truth


def score_scales(pop: pd.DataFrame, cfg: SimulationConfig) -> pd.DataFrame:
    """Scale scores of clean item responses, scored as the pipeline scores them.

    Reverse-keyed items are reversed (``min + max − x``); each subscale is the mean
    (``scoring: mean``, e.g. ECR-R on 1–7) or the sum (``scoring: sum``, e.g. PHQ-9,
    PDSS-SR) of its keyed items. This is an independent implementation (it does not call
    :mod:`attachstats.data.scoring`), so the truth does not inherit a scoring bug.

    Returns
    -------
    DataFrame with one column ``<block>_<subscale>`` per subscale (``ecr_anxiety``,
    ``ecr_avoidance``, ``phq9_total``, ``pdss_total``, ``sasi_total``).
    """
    out = {}
    for key, block in cfg.items.items():
        inst = block.load()
        for name, sub in inst.subscales.items():
            cols = []
            for n in sub.items:
                x = pop[f"{key}_{n}"].to_numpy(dtype=float)
                cols.append(inst.reverse_value(x) if n in sub.reverse else x)
            m = np.column_stack(cols)
            out[f"{key}_{name}"] = m.mean(axis=1) if inst.scoring == "mean" else m.sum(axis=1)
    return pd.DataFrame(out, index=pop.index)


def _ols(y: np.ndarray, terms: dict[str, np.ndarray]) -> dict[str, Any]:
    X = np.column_stack([np.ones(len(y)), *terms.values()])
    b, *_ = np.linalg.lstsq(X, y, rcond=None)
    resid = y - X @ b
    r2 = 1 - float(resid @ resid) / float(((y - y.mean()) ** 2).sum())
    return {"b": dict(zip(["Intercept", *terms], (float(v) for v in b))), "r2": r2}


def odds_ratio(exposed: np.ndarray, case: np.ndarray) -> float:
    """Odds ratio of ``case`` for ``exposed`` vs not exposed (2×2 table, no correction)."""
    e, c = np.asarray(exposed, dtype=bool), np.asarray(case, dtype=bool)
    a, b = np.sum(e & c), np.sum(e & ~c)
    cc, d = np.sum(~e & c), np.sum(~e & ~c)
    return float(a * d) / float(b * cc)


def latent_summary(pop: pd.DataFrame, cfg: SimulationConfig) -> dict[str, Any]:
    """Latent correlations, the childhood-SAD → panic-disorder odds ratio and the
    structural depression coefficients, estimated from a clean sample.

    "Childhood SAD" is ``latent_childhood`` above its sample ``childhood_sad_quantile``,
    "adult panic disorder" ``latent_panic`` above its sample ``panic_disorder_quantile``.
    """
    lat = cfg.latent
    A, V = pop["latent_anxiety"].to_numpy(), pop["latent_avoidance"].to_numpy()
    C, D, P = (pop[f"latent_{x}"].to_numpy() for x in ("childhood", "depression", "panic"))
    L = pop["breakup_12m"].to_numpy(dtype=float)
    corr = lambda x, y: float(np.corrcoef(x, y)[0, 1])  # noqa: E731
    sad = C > np.quantile(C, lat.childhood_sad_quantile)
    pd_case = P > np.quantile(P, lat.panic_disorder_quantile)
    age_z = (pop["age_years"].to_numpy() - cfg.age.mean) / cfg.age.sd
    g = pop["gender"].to_numpy()
    paths = _ols(D, {"anxiety": A, "avoidance": V, "breakup": L, "anxiety_x_breakup": A * L,
                     "age_per_sd": age_z, "male": (g == "Male").astype(float),
                     "non_binary": (g == "Non-binary").astype(float)})
    return {
        "latent_correlations": {
            "anxiety_avoidance": corr(A, V), "anxiety_depression": corr(A, D),
            "avoidance_depression": corr(V, D), "childhood_anxiety": corr(C, A),
            "anxiety_panic": corr(A, P), "childhood_panic": corr(C, P),
            "childhood_depression": corr(C, D), "depression_panic": corr(D, P),
        },
        "childhood_sad_panic_or": odds_ratio(sad, pd_case),
        "latent_depression_paths": {k: v for k, v in paths["b"].items() if k != "Intercept"},
    }


def population_truth(cfg: SimulationConfig, n: int = 400_000, seed: int | None = None) -> dict:
    """True coefficients of the outcome models, on the scale the pipeline reports.

    Simulates ``n`` clean respondents (no careless responding, no missing values), scores
    them like the pipeline (ECR-R anxiety and avoidance = mean of 18 keyed items on 1–7,
    PHQ-9 and PDSS-SR totals = sums) and fits by OLS:

    * ``depression``: ``phq9_total ~ ecr_anxiety + ecr_avoidance + age + gender``
    * ``panic``: ``pdss_total ~ ecr_anxiety + ecr_avoidance + age + gender``
    * ``depression_moderation``: ``phq9_total ~ ecr_anxiety * loss + ecr_avoidance + age
      + gender`` (``loss`` = ``Breakup_12m``)

    with ``Female`` the reference level of gender. Term names follow the formula
    convention: ``Intercept``, ``ecr_anxiety``, ``ecr_avoidance``, ``age`` (years),
    ``gender[T.Male]``, ``gender[T.Non-binary]``, ``loss``, ``ecr_anxiety:loss``. With
    n = 400,000 the Monte-Carlo error of a slope is about 6 % of the standard error the
    example sample (n ≈ 1,430 after screening) gives (√(1430 / 400000)), so these are the
    targets the pipeline's confidence intervals should cover.

    Parameters
    ----------
    cfg : SimulationConfig
        Population model (item parameters come from ``cfg.seed``).
    n : int
        Size of the clean sample.
    seed : int, optional
        Seed of the sample (stream ``[seed, 3]``); ``None`` uses ``cfg.seed``. Changing it
        changes only the Monte-Carlo error, not the population.

    Returns
    -------
    dict with ``models`` (per model: ``outcome``, ``b`` by term, ``r2``),
    ``latent_correlations`` (sample), ``latent_correlations_implied`` (analytic),
    ``targets`` (published values), ``childhood_sad_panic_or``,
    ``childhood_sad_depression_or`` (C above its 90th percentile → PHQ-9 ≥ 10),
    ``latent_depression_paths`` (OLS of latent D on its predictors: recovers the
    structural paths), ``structural_paths`` (the configured paths and residual SDs),
    ``scales`` (mean and SD of each score), ``prevalence`` and ``n``, ``seed``,
    ``sample_seed``.
    """
    sample_seed = cfg.seed if seed is None else int(seed)
    pop = simulate_population(n, cfg, stream_rng(sample_seed, "truth"))
    sc = score_scales(pop, cfg)
    g = pop["gender"].to_numpy()
    base = {"ecr_anxiety": sc["ecr_anxiety"].to_numpy(), "ecr_avoidance": sc["ecr_avoidance"].to_numpy(),
            "age": pop["age"].to_numpy(dtype=float),
            "gender[T.Male]": (g == "Male").astype(float),
            "gender[T.Non-binary]": (g == "Non-binary").astype(float)}
    loss = pop["breakup_12m"].to_numpy(dtype=float)
    phq, pdss = sc["phq9_total"].to_numpy(), sc["pdss_total"].to_numpy()
    moderation = {"ecr_anxiety": base["ecr_anxiety"], "loss": loss, "ecr_anxiety:loss": base["ecr_anxiety"] * loss,
                  **{k: v for k, v in base.items() if k != "ecr_anxiety"}}
    models = {
        "depression": {"outcome": "phq9_total", **_ols(phq, base)},
        "panic": {"outcome": "pdss_total", **_ols(pdss, base)},
        "depression_moderation": {"outcome": "phq9_total", **_ols(phq, moderation)},
    }
    summary = latent_summary(pop, cfg)
    C = pop["latent_childhood"].to_numpy()
    sad = C > np.quantile(C, cfg.latent.childhood_sad_quantile)
    phq_cut = load_instrument("phq-9").cutoffs.get("total", {}).get("caseness", 10)
    return {
        "n": int(n), "seed": int(cfg.seed), "sample_seed": sample_seed,
        "structural_paths": {"depression": dataclasses.asdict(cfg.latent.depression),
                             "panic": dataclasses.asdict(cfg.latent.panic),
                             "residual_sd": residual_sds(cfg)},
        "models": models,
        **summary,
        "latent_correlations_implied": implied_latent_correlations(cfg),
        "targets": dict(PUBLISHED_TARGETS),
        "childhood_sad_depression_or": odds_ratio(sad, phq >= phq_cut),
        "scales": {c: {"mean": float(sc[c].mean()), "sd": float(sc[c].std())} for c in sc.columns},
        "prevalence": {
            "phq9_total_ge_10": float(np.mean(phq >= phq_cut)),
            "pdss_total_ge_8": float(np.mean(pdss >= 8)),
            "panic_attacks_month_ge_1": float(np.mean(pop["panic_attacks_month"].to_numpy() >= 1)),
            "breakup_12m": float(loss.mean()),
        },
    }


#: Published values the population model is tuned to (sources in docs/population-model.md).
PUBLISHED_TARGETS: dict[str, float] = {
    "anxiety_depression": 0.40,        # Vardanega (2018), meta-analysis of 107 studies
    "avoidance_depression": 0.27,      # same
    "anxiety_avoidance": 0.30,         # ECR-R dimensions correlate positively (modelling choice)
    "childhood_sad_panic_or": 3.45,    # Kossowsky et al. (2013), OR 3.45 [2.37, 5.03]
    "childhood_sad_depression_or": 1.06,  # same meta-analysis, OR 1.06 [0.78, 1.45]
}


# -------------------------------------------------------------------------------- writing


def rounded_for_json(x: Any, digits: int = 6) -> Any:
    if isinstance(x, Mapping):
        return {str(k): rounded_for_json(v, digits) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [rounded_for_json(v, digits) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        v = round(float(x), digits)
        return 0.0 if v == 0 else v
    return x


def write_text_csv(df: pd.DataFrame, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow([str(c) for c in df.columns])
        for row in df.itertuples(index=False):
            w.writerow(["" if v is None else str(v) for v in row])


def write_example(cfg: SimulationConfig, out_dir: Path) -> dict[str, Path]:
    """Write the example study: ``survey.csv``, ``truth.json`` and ``manifest.csv``.

    ``survey.csv`` is the raw export of :func:`make_export` (UTF-8, ``"\\n"`` line endings,
    no index, ``-99`` written as is, truly missing cells empty); ``manifest.csv`` lists the
    planted mess; ``truth.json`` holds :func:`population_truth` (``n = cfg.truth_n``) plus
    the counts of the planted mess, with floats rounded to 6 decimals and sorted keys.
    Writing twice gives byte-identical files.

    Returns
    -------
    dict with keys ``survey``, ``truth``, ``manifest`` → the written paths.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    raw, manifest = make_export(cfg)
    paths = {"survey": out_dir / "survey.csv", "truth": out_dir / "truth.json",
             "manifest": out_dir / "manifest.csv"}
    write_text_csv(raw, paths["survey"])
    write_text_csv(manifest, paths["manifest"])
    truth = population_truth(cfg, n=cfg.truth_n)
    counts = manifest["kind"].value_counts()
    truth["example"] = {
        "n_rows": len(raw),
        "n_respondents": cfg.n_rows - cfg.mess.n_duplicate_rows,
        "n_unique_ids": int(raw["ResponseId"].nunique()),
        "n_items": cfg.n_items,
        "mess_counts": {k: int(counts.get(k, 0)) for k in MESS_KINDS},
        "missing_cell_share": float(np.mean(raw[[c for c in raw.columns if "_" in c and c.split("_")[0]
                                                 in {b.prefix for b in cfg.items.values()}]].to_numpy()
                                            == str(cfg.mess.missing_code))),
    }
    text = json.dumps(rounded_for_json(truth), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    paths["truth"].write_text(text, encoding="utf-8", newline="\n")
    return paths
