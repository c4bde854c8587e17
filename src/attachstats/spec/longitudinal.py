"""The study file's ``longitudinal:`` block, parsed once into typed settings.

Keys (schema: ``workflow/schemas/study.schema.yaml``; every key in ``config/README.md``)::

    longitudinal:
      estimator: ML              # or MLR, for the SEMs
      missing: fiml              # or listwise
      invariance: {instrument: ecr, indicators: items, identification: marker}
      change: {score: ecr_anxiety, pre: w1, post: w2, reliability: alpha, cutoff: 3.5}
      latent_change: {score: ecr_anxiety, pre: w1, post: w2}
      lagged_moderation: {outcome: phq9_total, focal: loss, moderator: ecr_anxiety, from: w1, to: w2}
      riclpm: {variables: [ecr_anxiety, phq9_total]}

``change``, ``latent_change``, ``lagged_moderation`` and ``riclpm`` take one entry or a list.
Waves are checked against the study's ``waves:`` when it declares them
(:func:`attachstats.spec.waves.waves_of`); otherwise against the linked data when the step
reads them (:func:`check_waves`).

Example
-------
>>> spec = parse_longitudinal({"name": "s", "longitudinal": {"riclpm": {"variables": ["a", "b"]}}})
>>> spec.riclpm[0].x, spec.riclpm[0].y, spec.missing
('a', 'b', 'fiml')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from attachstats.errors import ConfigError
from attachstats.spec.instrument import instrument_of
from attachstats.spec.waves import waves_of

__all__ = ["InvarianceSpec", "ChangeSpec", "LatentChangeSpec", "LaggedSpec", "RICLPMSpec", "LongitudinalSpec",
           "parse_longitudinal", "score_items", "instrument_factors", "check_waves"]


@dataclass(frozen=True)
class InvarianceSpec:
    instrument: str
    indicators: str = "items"
    parcels: int = 3
    identification: str = "marker"
    waves: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChangeSpec:
    score: str
    pre: str
    post: str
    reliability: float | str = "alpha"
    cutoff: float | dict | None = None
    direction: str = "decrease"
    label: str = ""


@dataclass(frozen=True)
class LatentChangeSpec:
    score: str
    pre: str
    post: str
    indicators: str = "score"


@dataclass(frozen=True)
class LaggedSpec:
    name: str
    outcome: str
    focal: str
    moderator: str
    from_wave: str
    to_wave: str
    covariates: tuple[str, ...] = ()
    focal_wave: str | None = None
    label: str = ""


@dataclass(frozen=True)
class RICLPMSpec:
    x: str
    y: str
    waves: tuple[str, ...] = ()
    constrained: bool = False


@dataclass(frozen=True)
class LongitudinalSpec:
    estimator: str = "ML"
    missing: str = "fiml"
    invariance: InvarianceSpec | None = None
    change: tuple[ChangeSpec, ...] = ()
    latent_change: tuple[LatentChangeSpec, ...] = ()
    lagged_moderation: tuple[LaggedSpec, ...] = ()
    riclpm: tuple[RICLPMSpec, ...] = ()
    wave_names: tuple[str, ...] = field(default=())


def _entries(block: Any, where: str) -> list[Mapping[str, Any]]:
    if block is None:
        return []
    items = [block] if isinstance(block, Mapping) else block
    if not isinstance(items, (list, tuple)) or not all(isinstance(e, Mapping) for e in items):
        raise ConfigError(f"{where}: must be a mapping or a list of mappings, got {block!r}")
    return list(items)


def _need(e: Mapping[str, Any], keys: Sequence[str], where: str) -> None:
    absent = [k for k in keys if not isinstance(e.get(k), str) or not e.get(k)]
    if absent:
        raise ConfigError(f"{where}: needs {', '.join(absent)} (a name), got {dict(e)!r}")


def parse_longitudinal(study: Mapping[str, Any], known: set[str] | None = None) -> LongitudinalSpec | None:
    """The study's ``longitudinal:`` settings, checked; None when the study has none.

    ``known``: every score and variable the study produces; a name outside it is an error
    (not checked when None).

    Raises
    ------
    attachstats.errors.ConfigError
        Naming the study file and the key: a missing or unknown setting, an unknown wave,
        ``pre`` equal to ``post``, ``from`` not before ``to``, an RI-CLPM with fewer than
        three waves or one variable twice, an invariance instrument block that does not exist.
    """
    block = study.get("longitudinal")
    if block is None:
        return None
    src = study.get("study_file") or study.get("name") or "study"
    where = f"study file {src}: longitudinal"
    if not isinstance(block, Mapping):
        raise ConfigError(f"{where}: must be a mapping, got {block!r}")
    unknown = sorted(set(block) - {"estimator", "missing", "invariance", "change", "latent_change",
                                   "lagged_moderation", "riclpm"})
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
    waves = tuple(w.name for w in waves_of(study))
    estimator = str(block.get("estimator", "ML")).upper()
    if estimator not in ("ML", "MLR"):
        raise ConfigError(f"{where}.estimator: must be ML or MLR, got {block.get('estimator')!r}")
    missing = block.get("missing", "fiml")
    if missing not in ("fiml", "listwise"):
        raise ConfigError(f"{where}.missing: must be fiml or listwise, got {missing!r}")

    def wave_ok(w: str, key: str) -> None:
        if waves and w not in waves:
            raise ConfigError(f"{where}.{key}: wave {w!r} is not one of the study's waves ({', '.join(waves)})")

    def order(a: str, b: str, key: str) -> None:
        if a == b:
            raise ConfigError(f"{where}.{key}: the two waves must differ, got {a!r} twice")
        if waves and waves.index(a) > waves.index(b):
            raise ConfigError(f"{where}.{key}: wave {a!r} comes after {b!r} in the study's waves")

    inv = None
    if block.get("invariance") is not None:
        e = block["invariance"]
        w = f"{where}.invariance"
        if not isinstance(e, Mapping):
            raise ConfigError(f"{w}: must be a mapping, got {e!r}")
        _need(e, ["instrument"], w)
        if e["instrument"] not in study.get("instruments", {}):
            raise ConfigError(f"{w}.instrument: no instrument block {e['instrument']!r} "
                              f"(defined: {', '.join(study.get('instruments', {}))})")
        for x in e.get("waves", []):
            wave_ok(x, "invariance.waves")
        if e.get("indicators", "items") not in ("items", "parcels"):
            raise ConfigError(f"{w}.indicators: must be items or parcels, got {e.get('indicators')!r}")
        if e.get("identification", "marker") not in ("marker", "std.lv"):
            raise ConfigError(f"{w}.identification: must be marker or std.lv, got {e.get('identification')!r}")
        inv = InvarianceSpec(instrument=e["instrument"], indicators=e.get("indicators", "items"),
                             parcels=int(e.get("parcels", 3)), identification=e.get("identification", "marker"),
                             waves=tuple(e.get("waves", ())))
    changes = []
    for k, e in enumerate(_entries(block.get("change"), f"{where}.change")):
        w = f"change[{k}]"
        _need(e, ["score", "pre", "post"], f"{where}.{w}")
        wave_ok(e["pre"], f"{w}.pre")
        wave_ok(e["post"], f"{w}.post")
        order(e["pre"], e["post"], w)
        rel = e.get("reliability", "alpha")
        if not (rel in ("alpha", "omega") or (isinstance(rel, (int, float)) and not isinstance(rel, bool)
                                              and 0 < rel < 1)):
            raise ConfigError(f"{where}.{w}.reliability: alpha, omega or a number strictly between 0 and 1, "
                              f"got {rel!r}")
        direction = e.get("direction", "decrease")
        if direction not in ("decrease", "increase"):
            raise ConfigError(f"{where}.{w}.direction: decrease or increase, got {direction!r}")
        cutoff = e.get("cutoff")
        if cutoff is not None and not (isinstance(cutoff, (int, float, Mapping)) and not isinstance(cutoff, bool)):
            raise ConfigError(f"{where}.{w}.cutoff: a number or {{criterion: a|b|c, ...}}, got {cutoff!r}")
        changes.append(ChangeSpec(score=e["score"], pre=e["pre"], post=e["post"], reliability=rel,
                                  cutoff=dict(cutoff) if isinstance(cutoff, Mapping) else cutoff,
                                  direction=direction, label=str(e.get("label", ""))))
    lcs = []
    for k, e in enumerate(_entries(block.get("latent_change"), f"{where}.latent_change")):
        w = f"latent_change[{k}]"
        _need(e, ["score", "pre", "post"], f"{where}.{w}")
        wave_ok(e["pre"], f"{w}.pre")
        wave_ok(e["post"], f"{w}.post")
        order(e["pre"], e["post"], w)
        ind = e.get("indicators", "score")
        if ind not in ("score", "items"):
            raise ConfigError(f"{where}.{w}.indicators: score or items, got {ind!r}")
        lcs.append(LatentChangeSpec(score=e["score"], pre=e["pre"], post=e["post"], indicators=ind))
    lagged = []
    for k, e in enumerate(_entries(block.get("lagged_moderation"), f"{where}.lagged_moderation")):
        w = f"lagged_moderation[{k}]"
        _need(e, ["outcome", "focal", "moderator", "from", "to"], f"{where}.{w}")
        for key in ("from", "to"):
            wave_ok(e[key], f"{w}.{key}")
        if e.get("focal_wave"):
            wave_ok(e["focal_wave"], f"{w}.focal_wave")
        order(e["from"], e["to"], w)
        cov = e.get("covariates") or []
        if not isinstance(cov, (list, tuple)) or not all(isinstance(c, str) for c in cov):
            raise ConfigError(f"{where}.{w}.covariates: a list of names, got {cov!r}")
        name = e.get("name") or (f"lagged_{e['focal']}_x_{e['moderator']}" + (f"_{k + 1}" if k else ""))
        lagged.append(LaggedSpec(name=name, outcome=e["outcome"], focal=e["focal"], moderator=e["moderator"],
                                 from_wave=e["from"], to_wave=e["to"], covariates=tuple(cov),
                                 focal_wave=e.get("focal_wave"), label=str(e.get("label", ""))))
    names = [m.name for m in lagged]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}.lagged_moderation: two models have the same name ({', '.join(names)}); add name:")
    ri = []
    for k, e in enumerate(_entries(block.get("riclpm"), f"{where}.riclpm")):
        w = f"riclpm[{k}]"
        v = e.get("variables")
        if not (isinstance(v, (list, tuple)) and len(v) == 2 and all(isinstance(x, str) for x in v)):
            raise ConfigError(f"{where}.{w}.variables: two variable names, got {v!r}")
        if v[0] == v[1]:
            raise ConfigError(f"{where}.{w}.variables: two different variables, got {v[0]!r} twice")
        ws = tuple(e.get("waves") or ())
        for x in ws:
            wave_ok(x, f"{w}.waves")
        n_waves = len(ws or waves)
        if (ws or waves) and n_waves < 3:
            raise ConfigError(f"{where}.{w}: the RI-CLPM needs at least three waves, the study has {n_waves}")
        ri.append(RICLPMSpec(x=v[0], y=v[1], waves=ws, constrained=bool(e.get("constrained", False))))
    if known is not None:
        named = [(f"change[{k}].score", c.score) for k, c in enumerate(changes)]
        named += [(f"latent_change[{k}].score", c.score) for k, c in enumerate(lcs)]
        for k, m in enumerate(lagged):
            named += [(f"lagged_moderation[{k}].{role}", v) for role, v in
                      (("outcome", m.outcome), ("focal", m.focal), ("moderator", m.moderator))]
            named += [(f"lagged_moderation[{k}].covariates", c) for c in m.covariates]
        named += [(f"riclpm[{k}].variables", v) for k, r in enumerate(ri) for v in (r.x, r.y)]
        for key, v in named:
            written_out = key.endswith("covariates") and any(v.startswith(k + "_") for k in known)
            if v not in known and not written_out:
                raise ConfigError(f"{where}.{key}: {v!r} is not a score or declared variable of the study "
                                  f"(known: {', '.join(sorted(known))})")
    return LongitudinalSpec(estimator=estimator, missing=missing, invariance=inv, change=tuple(changes),
                            latent_change=tuple(lcs), lagged_moderation=tuple(lagged), riclpm=tuple(ri),
                            wave_names=waves)


def instrument_factors(study: Mapping[str, Any], key: str) -> dict[str, list[str]]:
    """Subscale → its item columns (without the wave), e.g. ``{"anxiety": ["ecr_2", …]}``."""
    inst = instrument_of(study, key)
    return {name: [f"{key}_{n}" for n in sub.items] for name, sub in inst.subscales.items()}


def score_items(study: Mapping[str, Any], score: str) -> list[str]:
    """The item columns (without the wave) of a scale score ``<key>_<subscale>``; empty for a
    variable that is not a scale score."""
    for key in study.get("instruments", {}):
        if score.startswith(key + "_"):
            factors = instrument_factors(study, key)
            sub = score[len(key) + 1:]
            if sub in factors:
                return factors[sub]
    return []


def check_waves(spec: LongitudinalSpec, available: Sequence[str], source: str) -> None:
    """Every wave the settings name must be in ``available`` (the linked data's waves).

    Raises
    ------
    attachstats.errors.ConfigError
        Naming the wave, the setting and the linked file.
    """
    used: list[tuple[str, str]] = []
    if spec.invariance:
        used += [(w, "invariance.waves") for w in spec.invariance.waves]
    for k, c in enumerate(spec.change):
        used += [(c.pre, f"change[{k}].pre"), (c.post, f"change[{k}].post")]
    for k, c in enumerate(spec.latent_change):
        used += [(c.pre, f"latent_change[{k}].pre"), (c.post, f"latent_change[{k}].post")]
    for k, m in enumerate(spec.lagged_moderation):
        used += [(m.from_wave, f"lagged_moderation[{k}].from"), (m.to_wave, f"lagged_moderation[{k}].to")]
    for k, r in enumerate(spec.riclpm):
        used += [(w, f"riclpm[{k}].waves") for w in r.waves]
    for w, key in used:
        if w not in available:
            raise ConfigError(f"longitudinal.{key}: wave {w!r} is not in {source} (its waves, from the "
                              f"present_<wave> columns: {', '.join(available) or 'none'})")
