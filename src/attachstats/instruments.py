"""Instrument definitions (items, keys, response range, scoring) loaded from YAML files.

Instruments are data: the files live in ``attachstats/instruments/*.yaml``; a study may
also define its own instrument inline with the same keys.

Example
-------
>>> ecr = load_instrument("ecr-r")
>>> ecr.subscales["anxiety"].reverse
(9, 11)
>>> ecr.reverse_value(7)
1
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Mapping

import yaml

from .errors import ConfigError


@dataclass(frozen=True)
class Subscale:
    """One scored subscale: its item numbers (1-based) and which are reverse-keyed."""

    name: str
    items: tuple[int, ...]
    reverse: tuple[int, ...] = ()


@dataclass(frozen=True)
class Instrument:
    """A questionnaire: response range, scoring rule and subscales."""

    id: str
    name: str
    source: str
    min: int
    max: int
    n_items: int
    scoring: str  # "mean" or "sum"
    min_answered: float
    subscales: dict[str, Subscale]
    cutoffs: dict[str, Any] = field(default_factory=dict)

    def reverse_value(self, x: Any) -> Any:
        """Reverse-key a response: ``min + max - x`` (works on scalars and arrays)."""
        return self.min + self.max - x

    @property
    def item_numbers(self) -> tuple[int, ...]:
        return tuple(range(1, self.n_items + 1))


def _expand(spec: Any, where: str) -> tuple[int, ...]:
    """Expand ``"1-18"``, ``[1, "3-5"]`` or ``[1, 2]`` into a tuple of item numbers."""
    parts = spec if isinstance(spec, list) else [spec]
    out: list[int] = []
    for part in parts:
        if isinstance(part, bool):
            raise ConfigError(f"{where}: item {part!r} is not an item number")
        if isinstance(part, int):
            out.append(part)
        elif isinstance(part, str) and "-" in part:
            lo, _, hi = part.partition("-")
            try:
                a, b = int(lo), int(hi)
            except ValueError:
                raise ConfigError(f"{where}: cannot read item range {part!r} (expected e.g. '1-18')")
            if b < a:
                raise ConfigError(f"{where}: item range {part!r} runs backwards")
            out.extend(range(a, b + 1))
        elif isinstance(part, str) and part.strip().isdigit():
            out.append(int(part))
        else:
            raise ConfigError(f"{where}: cannot read item {part!r} (expected a number or 'a-b')")
    return tuple(out)


def instrument_from_dict(d: Mapping[str, Any], origin: str = "<inline>") -> Instrument:
    """Build and check an :class:`Instrument` from a mapping (a parsed YAML file).

    Raises
    ------
    ConfigError
        When a key is missing, an item is listed twice, a reverse key is not in its
        subscale, or an item number lies outside ``1..n_items``.
    """
    where = f"instrument {d.get('id', '?')!r} ({origin})"
    for key in ("id", "response", "n_items", "scoring", "subscales"):
        if key not in d:
            raise ConfigError(f"{where}: missing key {key!r}")
    resp = d["response"]
    try:
        lo, hi = int(resp["min"]), int(resp["max"])
    except (KeyError, TypeError, ValueError):
        raise ConfigError(f"{where}: 'response' must be {{min: <int>, max: <int>}}, got {resp!r}")
    if hi <= lo:
        raise ConfigError(f"{where}: response max ({hi}) must exceed min ({lo})")
    n_items = int(d["n_items"])
    if d["scoring"] not in ("mean", "sum"):
        raise ConfigError(f"{where}: 'scoring' must be 'mean' or 'sum', got {d['scoring']!r}")
    share = float(d.get("min_answered", 0.8))
    if not 0 < share <= 1:
        raise ConfigError(f"{where}: 'min_answered' must lie in (0, 1], got {share}")
    subscales: dict[str, Subscale] = {}
    if not isinstance(d["subscales"], Mapping) or not d["subscales"]:
        raise ConfigError(f"{where}: 'subscales' must map subscale names to item lists")
    for name, spec in d["subscales"].items():
        sw = f"{where}, subscale {name!r}"
        if not isinstance(spec, Mapping) or "items" not in spec:
            raise ConfigError(f"{sw}: needs an 'items' list")
        items = _expand(spec["items"], sw)
        reverse = _expand(spec.get("reverse", []), sw + " reverse")
        seen: set[int] = set()
        for i in items:
            if i in seen:
                raise ConfigError(f"{sw}: item {i} is listed twice")
            if not 1 <= i <= n_items:
                raise ConfigError(f"{sw}: item {i} is outside 1..{n_items}")
            seen.add(i)
        for r in reverse:
            if r not in seen:
                raise ConfigError(f"{sw}: reverse-keyed item {r} is not one of the subscale's items")
        subscales[str(name)] = Subscale(str(name), items, tuple(sorted(set(reverse))))
    return Instrument(
        id=str(d["id"]), name=str(d.get("name", d["id"])), source=str(d.get("source", "")),
        min=lo, max=hi, n_items=n_items, scoring=d["scoring"], min_answered=share,
        subscales=subscales, cutoffs=dict(d.get("cutoffs", {}) or {}),
    )


def available_instruments() -> list[str]:
    """Ids of the instruments shipped with the package."""
    files = resources.files("attachstats") / "instruments"
    return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".yaml"))


def load_instrument(ref: str | Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> Instrument:
    """Load a shipped instrument by id, or build one from an inline definition.

    Parameters
    ----------
    ref : str or mapping
        Id of a shipped instrument (``"ecr-r"``) or a full inline definition.
    overrides : mapping, optional
        Keys that replace the shipped ones, e.g. ``{"response": {"min": 1, "max": 5}}``
        for a 5-point form.
    """
    if isinstance(ref, Mapping):
        d = dict(ref)
        origin = "study file"
    else:
        path = resources.files("attachstats") / "instruments" / f"{ref}.yaml"
        if not path.is_file():
            raise ConfigError(
                f"unknown instrument {ref!r}; shipped instruments are: "
                + ", ".join(available_instruments())
                + " (or define it inline in the study file)")
        d = yaml.safe_load(path.read_text(encoding="utf-8"))
        origin = f"instruments/{ref}.yaml"
    if overrides:
        d.update(overrides)
    return instrument_from_dict(d, origin)
