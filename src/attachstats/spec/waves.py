"""Waves of a panel study: their names and labels, and the linked data's column names.

A panel study's waves are declared under the study file's ``waves:`` key (the waves work of
issue 18 owns that key and its schema); this module reads only what the longitudinal
analyses need: each wave's ``name`` and ``label`` in the declared order (the first wave is the
baseline). Both layouts are read: a list of mappings (one data file per wave) or a mapping
``{column: …, levels: [...]}`` (one long file with a wave column) whose levels carry the same
``name``/``label``.

The linked data (``results/<study>/waves/linked.csv``) hold variable ``v`` at wave ``w`` in the
column :func:`wave_column` ``(v, w)`` = ``f"{v}_{w}"``.

Example
-------
>>> [w.name for w in waves_of({"waves": [{"name": "w1"}, {"name": "w2", "label": "Follow-up"}]})]
['w1', 'w2']
>>> wave_column("ecr_anxiety", "w2")
'ecr_anxiety_w2'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from attachstats.errors import ConfigError

__all__ = ["Wave", "wave_column", "waves_of"]


@dataclass(frozen=True)
class Wave:
    """One wave: machine ``name`` (the suffix of its columns) and a ``label`` for people."""

    name: str
    label: str


def wave_column(var: str, wave: str) -> str:
    """The linked data's column of variable ``var`` at wave ``wave``: ``f"{var}_{wave}"``."""
    return f"{var}_{wave}"


def waves_of(study: Mapping[str, Any]) -> list[Wave]:
    """The study's waves in order (empty when the study has no ``waves:`` key).

    Raises
    ------
    attachstats.errors.ConfigError
        A wave without a name, or a name given twice.
    """
    raw = study.get("waves")
    if raw is None:
        return []
    entries = raw.get("levels", []) if isinstance(raw, Mapping) else raw
    out: list[Wave] = []
    for k, e in enumerate(entries or []):
        name = e.get("name") if isinstance(e, Mapping) else e
        if not isinstance(name, str) or not name:
            raise ConfigError(f"study {study.get('name')!r}: waves[{k}] needs a name, got {e!r}")
        label = e.get("label") if isinstance(e, Mapping) else None
        out.append(Wave(name=name, label=str(label or name)))
    names = [w.name for w in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"study {study.get('name')!r}: waves: the name(s) {', '.join(dup)} occur twice")
    return out
