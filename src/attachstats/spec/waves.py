"""Waves of a longitudinal study: what the ``waves:`` key of a study file declares.

A longitudinal study measures the same people several times. Its study file has a top-level
``waves:`` key in one of two forms:

* **one file per wave** — a list of waves, each with ``name`` (``^[A-Za-z][A-Za-z0-9]*$``:
  ``w1``, ``pre``), ``label`` ("Wave 1 (baseline)") and the keys of a ``data:`` block
  (``path``, ``format``, ``missing_codes``, …). ``data:`` is then left out: it is the first
  wave's file (set by :func:`resolve_waves`).
* **one long file** — ``data:`` is the long file and ``waves: {column: Wave, levels: [{name:
  w1, value: 1, label: …}, …]}`` names the raw column holding the wave and the value of
  each wave. Every row's value must be one of the levels.

Waves are ordered as listed; the first is the baseline. ``id_column``, ``variables``,
``instruments`` and ``screening`` apply to every wave. The study's cross-sectional analyses
run on the baseline wave (for a long file, on its baseline rows: :func:`resolve_waves` puts
the row selection into ``data.wave_rows``).

Example
-------
>>> study = {"name": "s", "waves": [{"name": "w1", "label": "Baseline", "path": "a.csv"},
...                                  {"name": "w2", "label": "Follow-up", "path": "b.csv"}]}
>>> [w.name for w in waves_of(study)], wave_column("ecr_anxiety", "w2")
(['w1', 'w2'], 'ecr_anxiety_w2')

R equivalent: none (in R one merges the wave files by hand with ``merge(..., all = TRUE)``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from attachstats.errors import ConfigError
from attachstats.spec.instrument import instrument_of, item_columns, score_columns

__all__ = ["Wave", "waves_of", "wave_column", "wave_study", "resolve_waves", "is_longitudinal",
           "linked_columns", "WAVE_KEYS", "WAVE_ROWS"]

#: keys of a wave entry that are not data-block keys
WAVE_KEYS = ("name", "label")
#: key of the resolved ``data`` block that selects one wave's rows of a long file
WAVE_ROWS = "wave_rows"


@dataclass
class Wave:
    """One wave: its name (used in column names), label (for people) and data block.

    Attributes
    ----------
    name, label : str
    position : int
        0 for the baseline, then 1, 2, … in the order of the study file.
    data : dict
        The wave's ``data:`` block (path resolved as the study's).
    column, value :
        Long form only: the raw wave column and this wave's value in it (else ``None``).
    """

    name: str
    label: str
    position: int = 0
    data: dict[str, Any] = field(default_factory=dict, repr=False)
    column: str | None = None
    value: Any = None

    @property
    def is_baseline(self) -> bool:
        return self.position == 0


def is_longitudinal(study: Mapping[str, Any]) -> bool:
    """True when the study declares ``waves:``."""
    return bool(study.get("waves"))


def wave_column(var: str, wave: str) -> str:
    """The linked file's column of variable ``var`` at wave ``wave``: ``f"{var}_{wave}"``.

    >>> wave_column("phq9_total", "w1")
    'phq9_total_w1'
    """
    return f"{var}_{wave}"


def waves_of(study: Mapping[str, Any]) -> list[Wave]:
    """The study's waves in order (baseline first); an empty list for a cross-sectional study.

    Raises
    ------
    ConfigError
        Two waves with the same name, or a long-form value given twice.
    """
    spec = study.get("waves")
    if not spec:
        return []
    name = study.get("name", "?")
    out: list[Wave] = []
    if isinstance(spec, Mapping):            # one long file with a wave column
        data = {k: v for k, v in study.get("data", {}).items() if k != WAVE_ROWS}
        for k, level in enumerate(spec["levels"]):
            out.append(Wave(level["name"], level.get("label") or f"Wave {k + 1}", k, copy.deepcopy(data),
                            spec["column"], level["value"]))
        values = [str(w.value) for w in out]
        dup_values = sorted({v for v in values if values.count(v) > 1})
        if dup_values:
            raise ConfigError(f"study {name!r}, waves.levels: the value {dup_values[0]!r} is given to two waves; "
                              "each wave needs its own value of the wave column")
    else:                                    # one file per wave
        for k, entry in enumerate(spec):
            data = {key: v for key, v in entry.items() if key not in WAVE_KEYS}
            out.append(Wave(entry["name"], entry.get("label") or f"Wave {k + 1}", k, copy.deepcopy(data)))
    names = [w.name for w in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ConfigError(f"study {name!r}, waves: the wave name {dup[0]!r} is used twice; wave names must be unique")
    return out


def wave_study(study: Mapping[str, Any], wave: str) -> dict[str, Any]:
    """The study as the cross-sectional steps see one wave of it.

    A copy of ``study`` without ``waves``/``longitudinal`` whose ``data`` is the wave's data
    block (for a long file: the long file with ``data.wave_rows`` selecting the wave's rows).
    The steps of ingest, validate and score run on it unchanged.

    >>> s = {"name": "s", "instruments": {}, "waves": [{"name": "w1", "path": "a.csv"},
    ...                                                {"name": "w2", "path": "b.csv"}]}
    >>> wave_study(s, "w2")["data"]
    {'path': 'b.csv'}
    """
    waves = {w.name: w for w in waves_of(study)}
    if wave not in waves:
        raise ConfigError(f"study {study.get('name')!r} has no wave {wave!r} (waves: {', '.join(waves) or 'none'})")
    w = waves[wave]
    out = {k: copy.deepcopy(v) for k, v in study.items() if k not in ("waves", "longitudinal")}
    out["data"] = copy.deepcopy(w.data)
    if w.column is not None:
        out["data"][WAVE_ROWS] = _rows_spec(study, w)
    return out


def _rows_spec(study: Mapping[str, Any], w: Wave) -> dict[str, Any]:
    levels = study["waves"]["levels"]
    return {"column": w.column, "name": w.name, "value": w.value,
            "levels": {str(level["name"]): level["value"] for level in levels}}


def resolve_waves(study: dict[str, Any], study_path: str | Path, relative: Any) -> None:
    """Resolve the ``waves:`` key of a schema-checked study in place (called by ``resolve_study``).

    One file per wave: each wave's ``path`` is taken relative to the study file (``relative``
    turns a path into the form the study uses) and ``data`` becomes the baseline's data block
    (giving ``data:`` as well is an error: the first wave is the baseline). One long file:
    ``data.wave_rows`` selects the baseline rows for the cross-sectional analyses.
    """
    spec = study.get("waves")
    if not spec:
        return
    name = study.get("name", "?")
    if isinstance(spec, list):
        if "data" in study:
            raise ConfigError(f"study {name!r}: give either data: or a list of wave files under waves:, not both "
                              "(with one file per wave, the first wave's file is the baseline data); remove data:")
        for entry in spec:
            p = Path(entry["path"])
            entry["path"] = relative(p if p.is_absolute() else Path(study_path).parent / p)
        study["data"] = {k: copy.deepcopy(v) for k, v in spec[0].items() if k not in WAVE_KEYS}
    else:
        if "data" not in study:
            raise ConfigError(f"study {name!r}: waves: {{column: …}} names a column of one long file, so data: "
                              "must give that file")
        declared = set(study.get("variables", {})) | {study.get("id_column"), study.get("duration_column")}
        if spec["column"] in {v.get("column") for v in study.get("variables", {}).values()} | declared:
            raise ConfigError(f"study {name!r}, waves.column: {spec['column']!r} is also declared as the id, duration "
                              "or a variable; the wave column must be a column of its own")
    waves = waves_of(study)
    if len(waves) < 2:
        raise ConfigError(f"study {name!r}, waves: a longitudinal study needs at least two waves, got {len(waves)}")
    per_wave = list(study.get("variables", {}))
    for key in study.get("instruments", {}):
        per_wave += item_columns(key, instrument_of(study, key))
    per_wave += score_columns(study)
    try:                                     # the linked file's columns must be unique: say so now
        linked_columns(waves, {w.name: per_wave for w in waves})
    except ConfigError as exc:
        raise ConfigError(f"study {name!r}: {exc}") from None
    if waves[0].column is not None:
        study["data"][WAVE_ROWS] = _rows_spec(study, waves[0])


def linked_columns(waves: Sequence[Wave], variables: Mapping[str, Sequence[str]]) -> list[str]:
    """Columns of ``waves/linked.csv``: ``id``, ``present_<w>`` per wave, then ``<v>_<w>`` per wave.

    ``variables`` maps each wave name to its variables in order. Two variables that give the
    same column name (e.g. a declared variable ``present`` next to ``present_w1``) are an
    error naming both.

    Raises
    ------
    ConfigError
        On a column-name collision.
    """
    origin: dict[str, str] = {"id": "the respondent id"}
    cols = ["id"]

    def add(col: str, what: str) -> None:
        if col in origin:
            raise ConfigError(f"linked waves: column name {col!r} is produced twice ({origin[col]} and {what}); "
                              "rename the variable in the study file")
        origin[col] = what
        cols.append(col)

    for w in waves:
        add(f"present_{w.name}", f"the presence indicator of wave {w.name}")
    for w in waves:
        for v in variables.get(w.name, []):
            if v == "id":
                continue
            add(wave_column(v, w.name), f"variable {v!r} at wave {w.name}")
    return cols
