"""Which scores a study classifies into attachment categories, and by which rule.

A study's ``attachment_styles`` block names an instrument block and a rule; without the
block the first instrument block with ``anxiety`` and ``avoidance`` subscales is classified
under the midpoint rule. The rules themselves are computed in :mod:`attachstats.stats.styles`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from attachstats.errors import ConfigError
from attachstats.spec.instrument import instrument_of

__all__ = ["STYLES", "RULES", "StyleSpec", "check_rule", "style_spec"]

#: The four categories of Bartholomew & Horowitz (1991), in table order.
STYLES = ["secure", "preoccupied", "dismissing", "fearful"]
#: Classification rules (see :mod:`attachstats.stats.styles`).
RULES = ("midpoint", "median", "brennan")


@dataclass(frozen=True)
class StyleSpec:
    """Which scores to classify and how."""

    anxiety: str          # score column, e.g. ecr_anxiety
    avoidance: str        # score column, e.g. ecr_avoidance
    rule: str             # midpoint | median | brennan
    scale: tuple[int, int]


def check_rule(rule: str, scale: tuple[int, int]) -> None:
    """Raise :class:`ConfigError` for an unknown rule, or for ``brennan`` on a form other than 1-7.

    >>> check_rule("midpoint", (1, 5))
    """
    lo, hi = scale
    if rule not in RULES:
        raise ConfigError(f"attachment_styles.rule: unknown rule {rule!r} (expected midpoint, median or brennan)")
    if rule == "brennan" and (lo, hi) != (1, 7):
        raise ConfigError(f"attachment_styles.rule 'brennan': Brennan et al.'s (1998) classification "
                          f"functions are for mean scores on the 7-point (1-7) ECR; this form runs {lo}-{hi}. "
                          "Use rule 'midpoint' or 'median'")


def style_spec(study: Mapping[str, Any]) -> StyleSpec | None:
    """The study's classification: its ``attachment_styles`` block, or else the first instrument
    block with ``anxiety`` and ``avoidance`` subscales under the midpoint rule; None if none."""
    cfg = dict(study.get("attachment_styles") or {})
    keys = [cfg["instrument"]] if "instrument" in cfg else list(study.get("instruments", {}))
    for key in keys:
        if key not in study.get("instruments", {}):
            raise ConfigError(f"study {study.get('name')!r}, attachment_styles.instrument: {key!r} is not one of "
                              f"the study's instrument blocks ({', '.join(study.get('instruments', {}))})")
        inst = instrument_of(study, key)
        if {"anxiety", "avoidance"} <= set(inst.subscales):
            rule = cfg.get("rule", "midpoint")
            if inst.scoring != "mean":
                raise ConfigError(f"study {study.get('name')!r}, attachment_styles: instrument block {key!r} is "
                                  "sum-scored; categories need mean scores")
            spec = StyleSpec(f"{key}_anxiety", f"{key}_avoidance", rule, (inst.min, inst.max))
            check_rule(rule, spec.scale)
            return spec
        if "instrument" in cfg:
            raise ConfigError(f"study {study.get('name')!r}, attachment_styles.instrument: block {key!r} "
                              f"({inst.id}) has no 'anxiety' and 'avoidance' subscales")
    return None
