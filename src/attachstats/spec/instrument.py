"""Instrument definitions (items, keys, response range, scoring) loaded from YAML files.

Instruments are data: the files live in ``attachstats/instruments/*.yaml``; a study may
also define its own instrument inline with the same keys. The keys of a definition:

``id``, ``name``, ``source``
    identity and the published source (with notes where sources disagree);
``response: {min, max, type}``
    the response range; reversing is ``min + max - x``; ``type`` is ``integer`` (the
    default: answers are whole numbers, min and max too) or ``continuous`` (any number in
    the range, e.g. a 0-100 slider or a proportion; min and max may be decimals);
``n_items``, ``scoring`` (``mean`` or ``sum``)
    number of items; a score is the mean of the answered keyed items, or for ``sum`` the
    prorated sum ``mean x k``;
``min_answered``
    proration rule: the share of a subscale's items that must be answered for a score
    (default 0.8; at least ``ceil(share x k)`` items);
``subscales: {name: {items, reverse, label}}``
    item lists (``"1-18"``, ``[1, "3-5"]``), the reverse-keyed items (the published key) and
    an optional label for readers (``Attachment anxiety``: the construct the score measures,
    printed in tables, figures and sentences instead of the machine name ``ecr_anxiety``);
``items: {n: {label, keyed}}`` (optional)
    a short label (our own paraphrase, never the item text) and the keyed direction (``1`` or
    ``-1``) of each item; when given, every item must be listed and the directions must
    agree with the subscales' ``reverse`` lists (the key is then stated twice and checked);
``unscored`` (optional)
    items that belong to no subscale (any other item outside every subscale is an error);
``cutoffs: {subscale: {bands: {name: lower bound}, caseness: threshold}}`` (optional)
    severity bands (a band runs from its bound up to the next band's bound; the first bound
    must be the lowest possible score) and the caseness threshold (score >= threshold);
``flags: {name: {item, at_least, label}}`` (optional)
    item-level flags, e.g. a safety item (``phq-9``: item 9 >= 1).

Every check names the instrument, the item or key and the rule that failed.

Example
-------
>>> ecr = load_instrument("ecr-r")
>>> ecr.subscales["anxiety"].reverse
(9, 11)
>>> ecr.reverse_value(7)
1
"""

from __future__ import annotations

import copy
import functools
import hashlib
import math
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any, Mapping

import yaml

from attachstats.errors import ConfigError


@dataclass(frozen=True)
class Subscale:
    """One scored subscale: its item numbers (1-based), which are reverse-keyed, and its label
    for readers (e.g. ``"Attachment anxiety"``; empty when the definition gives none)."""

    name: str
    items: tuple[int, ...]
    reverse: tuple[int, ...] = ()
    label: str = ""


@dataclass(frozen=True)
class Item:
    """One item: number (1-based), short label, keyed direction (1 or -1), subscales."""

    number: int
    label: str
    keyed: int
    subscales: tuple[str, ...]


@dataclass(frozen=True)
class Flag:
    """An item-level flag: respondents answering ``item`` with at least ``at_least``."""

    name: str
    item: int
    at_least: float
    label: str = ""


@dataclass(frozen=True)
class Instrument:
    """A questionnaire: response range, scoring rule and subscales.

    ``continuous`` items take any number in ``[min, max]``; otherwise answers must be
    whole numbers (validation checks both).
    """

    id: str
    name: str
    source: str
    min: int | float
    max: int | float
    n_items: int
    scoring: str  # "mean" or "sum"
    min_answered: float
    subscales: dict[str, Subscale]
    cutoffs: dict[str, Any] = field(default_factory=dict)
    items: tuple[Item, ...] = ()
    flags: tuple[Flag, ...] = ()
    continuous: bool = False

    def score_range(self, subscale: str) -> tuple[float, float]:
        """Lowest and highest possible score of a subscale."""
        k = len(self.subscales[subscale].items) if self.scoring == "sum" else 1
        return float(self.min * k), float(self.max * k)

    def bands(self, subscale: str) -> list[tuple[str, float]]:
        """Severity bands of a subscale as ``(name, lower bound)``, lowest first (may be empty)."""
        return [(str(k), float(v)) for k, v in (self.cutoffs.get(subscale, {}).get("bands") or {}).items()]

    def caseness(self, subscale: str) -> float | None:
        """Caseness threshold of a subscale (score >= threshold), or None."""
        c = self.cutoffs.get(subscale, {}).get("caseness")
        return None if c is None else float(c)

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
    lo, hi, continuous = _response_range(d["response"], where)
    if hi <= lo:
        raise ConfigError(f"{where}: response max ({hi}) must exceed min ({lo})")
    n_items = int(d["n_items"])
    if d["scoring"] not in ("mean", "sum"):
        raise ConfigError(f"{where}: 'scoring' must be 'mean' or 'sum', got {d['scoring']!r}")
    share = float(d.get("min_answered", 0.8))
    if not 0 < share <= 1:
        raise ConfigError(f"{where}: 'min_answered' must lie in (0, 1], got {share}")
    unknown = sorted(set(d) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; known keys: "
                          + ", ".join(sorted(KNOWN_KEYS)))
    if isinstance(d["n_items"], bool) or not isinstance(d["n_items"], int) or d["n_items"] < 1:
        raise ConfigError(f"{where}: 'n_items' must be a positive whole number, got {d['n_items']!r}")
    subscales: dict[str, Subscale] = {}
    if not isinstance(d["subscales"], Mapping) or not d["subscales"]:
        raise ConfigError(f"{where}: 'subscales' must map subscale names to item lists")
    keyed_in: dict[int, tuple[str, int]] = {}
    for name, spec in d["subscales"].items():
        sw = f"{where}, subscale {name!r}"
        if not isinstance(spec, Mapping) or "items" not in spec:
            raise ConfigError(f"{sw}: needs an 'items' list")
        extra = sorted(set(spec) - {"items", "reverse", "label"})
        if extra:
            raise ConfigError(f"{sw}: unknown key(s) {', '.join(map(repr, extra))} (expected 'items', 'reverse', "
                              "'label')")
        label = spec.get("label", "")
        if not isinstance(label, str):
            raise ConfigError(f"{sw}: 'label' must be a text (e.g. \"Attachment anxiety\"), got {label!r}")
        items = _expand(spec["items"], sw)
        reverse = _expand(spec.get("reverse", []), sw + " reverse")
        seen: set[int] = set()
        for i in items:
            if i in seen:
                raise ConfigError(f"{sw}: item {i} is listed twice")
            if not 1 <= i <= n_items:
                raise ConfigError(f"{sw}: item {i} is outside 1..{n_items}")
            seen.add(i)
        if len(set(reverse)) < len(reverse):
            twice = sorted({r for r in reverse if reverse.count(r) > 1})
            raise ConfigError(f"{sw}: reverse-keyed item {twice[0]} is listed twice")
        for r in reverse:
            if r not in seen:
                raise ConfigError(f"{sw}: reverse-keyed item {r} is not one of the subscale's items")
        for i in items:
            direction = -1 if i in reverse else 1
            if i in keyed_in and keyed_in[i][1] != direction:
                other, odir = keyed_in[i]
                raise ConfigError(f"{where}: item {i} is keyed {odir:+d} in subscale {other!r} but {direction:+d} in "
                                  f"subscale {name!r} (an item has one keyed direction)")
            keyed_in.setdefault(i, (str(name), direction))
        subscales[str(name)] = Subscale(str(name), items, tuple(sorted(set(reverse))), label.strip())
    unscored = set(_expand(d.get("unscored", []), where + ", unscored"))
    for i in sorted(unscored):
        if not 1 <= i <= n_items:
            raise ConfigError(f"{where}, unscored: item {i} is outside 1..{n_items}")
        if i in keyed_in:
            raise ConfigError(f"{where}, unscored: item {i} is listed as unscored but belongs to subscale "
                              f"{keyed_in[i][0]!r}")
    orphans = [i for i in range(1, n_items + 1) if i not in keyed_in and i not in unscored]
    if orphans:
        raise ConfigError(f"{where}: item {orphans[0]} belongs to no subscale (n_items is {n_items}); add it to a "
                          "subscale, list it under 'unscored', or correct n_items")
    inst = Instrument(
        id=str(d["id"]), name=str(d.get("name", d["id"])), source=str(d.get("source", "")),
        min=lo, max=hi, n_items=n_items, scoring=d["scoring"], min_answered=share,
        subscales=subscales, cutoffs=dict(d.get("cutoffs", {}) or {}), continuous=continuous,
    )
    items_out = _check_items(d.get("items"), inst, keyed_in, where)
    _check_cutoffs(inst, where)
    flags = _check_flags(d.get("flags"), inst, where)
    return replace(inst, items=items_out, flags=flags)


#: Response types: whole-number answers (the default) or any number in the range.
RESPONSE_TYPES = ("integer", "continuous")


def _response_range(resp: Any, where: str) -> tuple[int | float, int | float, bool]:
    """``(min, max, continuous)`` of a ``response`` mapping, checked.

    Integer responses need whole-number bounds (``int``); continuous ones take any finite
    numbers (kept as ``int`` when whole, so messages print ``100``, not ``100.0``).
    """
    usage = f"'response' must be {{min: <number>, max: <number>, type: integer | continuous}}, got {resp!r}"
    if not isinstance(resp, Mapping):
        raise ConfigError(f"{where}: {usage}")
    extra = sorted(set(resp) - {"min", "max", "type"})
    if extra:
        raise ConfigError(f"{where}: 'response' has unknown key(s) {', '.join(map(repr, extra))} "
                          "(expected 'min', 'max', 'type')")
    kind = resp.get("type", "integer")
    if kind not in RESPONSE_TYPES:
        raise ConfigError(f"{where}: response type must be 'integer' or 'continuous', got {kind!r}")
    try:
        lo, hi = float(resp["min"]), float(resp["max"])
    except (KeyError, TypeError, ValueError):
        raise ConfigError(f"{where}: {usage}") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ConfigError(f"{where}: {usage}")
    if kind == "integer" and not (lo.is_integer() and hi.is_integer()):
        raise ConfigError(f"{where}: response min and max must be whole numbers for integer answers, got "
                          f"{resp['min']!r} and {resp['max']!r}; set type: continuous if the items take any number "
                          "in the range")
    return (int(lo) if lo.is_integer() else lo), (int(hi) if hi.is_integer() else hi), kind == "continuous"


#: Keys an instrument definition may have.
KNOWN_KEYS = {"id", "name", "source", "response", "n_items", "scoring", "min_answered", "subscales", "items",
              "unscored", "cutoffs", "flags", "notes"}


def _check_items(spec: Any, inst: Instrument, keyed_in: Mapping[int, tuple[str, int]], where: str) -> tuple[Item, ...]:
    """Per-item labels and keyed directions; they must agree with the subscales' reverse lists."""
    subs_of = {i: tuple(n for n, s in inst.subscales.items() if i in s.items) for i in inst.item_numbers}
    if spec is None:
        return tuple(Item(i, f"item {i}", keyed_in.get(i, ("", 1))[1], subs_of[i]) for i in inst.item_numbers)
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: 'items' must map item numbers to {{label, keyed}}")
    out = []
    for raw_n, info in spec.items():
        try:
            n = int(raw_n)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}, items: {raw_n!r} is not an item number") from None
        iw = f"{where}, item {n}"
        if not 1 <= n <= inst.n_items:
            raise ConfigError(f"{iw}: item number outside 1..{inst.n_items}")
        if not isinstance(info, Mapping) or not isinstance(info.get("label"), str) or not info["label"].strip():
            raise ConfigError(f"{iw}: needs a short text 'label'")
        extra = sorted(set(info) - {"label", "keyed"})
        if extra:
            raise ConfigError(f"{iw}: unknown key(s) {', '.join(map(repr, extra))} (expected 'label', 'keyed')")
        keyed = info.get("keyed", 1)
        if keyed not in (1, -1) or isinstance(keyed, bool):
            raise ConfigError(f"{iw}: 'keyed' must be 1 (higher = more of the trait) or -1 (reverse-keyed), "
                              f"got {keyed!r}")
        if n in keyed_in and keyed_in[n][1] != keyed:
            sub, direction = keyed_in[n]
            raise ConfigError(f"{iw}: 'keyed: {keyed}' disagrees with subscale {sub!r}, where the item is "
                              f"{'reverse-keyed' if direction < 0 else 'not reverse-keyed'}")
        out.append(Item(n, info["label"].strip(), int(keyed), subs_of[n]))
    missing = sorted(set(inst.item_numbers) - {it.number for it in out})
    if missing:
        raise ConfigError(f"{where}, items: item {missing[0]} has no entry (list every item or none)")
    return tuple(sorted(out, key=lambda it: it.number))


def _check_cutoffs(inst: Instrument, where: str) -> None:
    """Bands rise from the lowest possible score; thresholds lie within the score range."""
    if not isinstance(inst.cutoffs, Mapping):
        raise ConfigError(f"{where}: 'cutoffs' must map subscale names to {{bands, caseness}}")
    for sub, spec in inst.cutoffs.items():
        cw = f"{where}, cutoffs.{sub}"
        if sub not in inst.subscales:
            raise ConfigError(f"{cw}: {sub!r} is not a subscale ({', '.join(inst.subscales)})")
        extra = sorted(set(spec or {}) - {"bands", "caseness"})
        if extra:
            raise ConfigError(f"{cw}: unknown key(s) {', '.join(map(repr, extra))} (expected 'bands', 'caseness')")
        lo, hi = inst.score_range(sub)
        bands = (spec or {}).get("bands") or {}
        bounds = list(bands.values())
        for name, b in bands.items():
            if isinstance(b, bool) or not isinstance(b, (int, float)) or not lo <= b <= hi:
                raise ConfigError(f"{cw}.bands.{name}: lower bound {b!r} must be a number within the score range "
                                  f"{lo:g}..{hi:g}")
        if bounds and bounds[0] != lo:
            raise ConfigError(f"{cw}.bands: the first band must start at the lowest possible score {lo:g}, "
                              f"got {bounds[0]!r}")
        for (n1, b1), (n2, b2) in zip(list(bands.items()), list(bands.items())[1:]):
            if not b2 > b1:
                raise ConfigError(f"{cw}.bands: band {n2!r} must start above band {n1!r} ({b2!r} <= {b1!r})")
        c = (spec or {}).get("caseness")
        if c is not None and (isinstance(c, bool) or not isinstance(c, (int, float)) or not lo < c <= hi):
            raise ConfigError(f"{cw}.caseness: threshold {c!r} must be a number above {lo:g} and at most {hi:g}")


def _check_flags(spec: Any, inst: Instrument, where: str) -> tuple[Flag, ...]:
    if not spec:
        return ()
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: 'flags' must map flag names to {{item, at_least, label}}")
    out = []
    for name, f in spec.items():
        fw = f"{where}, flags.{name}"
        if not isinstance(f, Mapping) or "item" not in f or "at_least" not in f:
            raise ConfigError(f"{fw}: needs 'item' and 'at_least'")
        item, at_least = f["item"], f["at_least"]
        if isinstance(item, bool) or not isinstance(item, int) or not 1 <= item <= inst.n_items:
            raise ConfigError(f"{fw}: item {item!r} is outside 1..{inst.n_items}")
        if isinstance(at_least, bool) or not isinstance(at_least, (int, float)) or not inst.min < at_least <= inst.max:
            raise ConfigError(f"{fw}: at_least {at_least!r} must lie above the response minimum {inst.min} and at "
                              f"most the maximum {inst.max}")
        out.append(Flag(str(name), int(item), float(at_least), str(f.get("label", ""))))
    return tuple(out)


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key given twice in one mapping (YAML keeps the last)."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError(f"key {key!r} is given twice (line {key_node.start_mark.line + 1})")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


class _FastStrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """:class:`_StrictLoader` on libyaml's parser where PyYAML has it (about 8 times faster)."""


_FastStrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def load_yaml_strict(text: str, origin: str) -> Any:
    """Parse YAML, refusing duplicate keys (e.g. an item listed twice), naming ``origin``.

    Parsed with libyaml when PyYAML has it; a file it refuses is parsed again by PyYAML's own
    parser, whose error messages (line, column, what was expected) are the ones reported.
    """
    try:
        return yaml.load(text, Loader=_FastStrictLoader)
    except (ConfigError, yaml.YAMLError):
        pass
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except ConfigError as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{origin} is not valid YAML: {yaml_problem(exc)}") from None


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML parse error on one line: where and what (``line 2, column 1: expected ',' or '}' ...``)."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return " ".join(str(exc).split())
    parts = []
    if exc.problem_mark is not None:
        parts.append(f"line {exc.problem_mark.line + 1}, column {exc.problem_mark.column + 1}: ")
    parts.append(exc.problem or "cannot parse")
    if exc.context:
        where = f" at line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1}" if exc.context_mark else ""
        parts.append(f" ({exc.context}{where})")
    return " ".join("".join(parts).split())


def available_instruments() -> list[str]:
    """Ids of the instruments shipped with the package."""
    files = resources.files("attachstats.spec") / "instruments"
    return sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".yaml"))


@functools.lru_cache(maxsize=None)
def _shipped_definition(ref: str) -> dict:
    """The parsed YAML of a shipped instrument (parsed once per process; callers copy it)."""
    path = resources.files("attachstats.spec") / "instruments" / f"{ref}.yaml"
    return load_yaml_strict(path.read_text(encoding="utf-8"), f"instruments/{ref}.yaml")


def shipped_checksum(ref: str) -> str:
    """SHA-256 of a shipped instrument's file (hex), recorded in the resolved study.

    The workflow passes the resolved instrument blocks to every rule that reads them, so an
    edit of a shipped instrument file reruns exactly those rules, and ``provenance.json``
    says which version of the file a result was computed from.
    """
    path = resources.files("attachstats.spec") / "instruments" / f"{ref}.yaml"
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
        path = resources.files("attachstats.spec") / "instruments" / f"{ref}.yaml"
        if not path.is_file():
            raise ConfigError(
                f"unknown instrument {ref!r}; shipped instruments are: "
                + ", ".join(available_instruments())
                + " (or define it inline in the study file)")
        origin = f"instruments/{ref}.yaml"
        d = copy.deepcopy(_shipped_definition(ref))
    if overrides:
        d.update(overrides)
    return instrument_from_dict(d, origin)


def instrument_of(study: Mapping[str, Any], key: str) -> Instrument:
    """The :class:`Instrument` behind the study's instrument block ``key``."""
    try:
        block = study["instruments"][key]
    except KeyError:
        raise ConfigError(f"study {study.get('name')!r}: no instrument block {key!r}; "
                          f"defined: {', '.join(study.get('instruments', {}))}") from None
    ref = block.get("definition") or block.get("instrument")
    if ref is None:
        raise ConfigError(f"study {study.get('name')!r}, instruments.{key}: give 'instrument' (a shipped id) "
                          "or 'definition' (an inline instrument)")
    overrides = {k: block[k] for k in ("response", "min_answered") if k in block}
    try:
        return load_instrument(ref, overrides)
    except ConfigError as exc:
        raise ConfigError(f"study {study.get('name')!r}, instruments.{key}: {exc}") from None


def item_columns(key: str, instrument: Instrument) -> list[str]:
    """Canonical item column names of an instrument block: ``<key>_<n>``."""
    return [f"{key}_{n}" for n in instrument.item_numbers]


def score_columns(study: Mapping[str, Any]) -> list[str]:
    """Names of every scale score the study produces: ``<key>_<subscale>``."""
    out = []
    for key in study.get("instruments", {}):
        inst = instrument_of(study, key)
        out.extend(f"{key}_{sub}" for sub in inst.subscales)
    return out
