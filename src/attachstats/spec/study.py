"""Study definitions: one YAML file per data set, resolved into plain dictionaries.

The JSON Schema in ``workflow/schemas/study.schema.yaml`` checks keys and types (the
Snakefile applies it through ``snakemake.utils.validate``, which also fills defaults);
this module adds what a schema cannot check (instruments that exist, variables that are
defined, paths that resolve) and resolves relative paths against the study file.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Mapping, Sequence

from attachstats.errors import ConfigError
from attachstats.spec.factor import check_factor_config
from attachstats.spec.instrument import instrument_of, load_yaml_strict, score_columns, shipped_checksum
from attachstats.spec.models import study_specs
from attachstats.spec.waves import resolve_waves
from attachstats.spec.longitudinal import parse_longitudinal


def read_yaml(path: str | Path, what: str = "study file", allow_empty: bool = False) -> dict[str, Any]:
    """Read a YAML mapping, with errors that name the file (``what`` says what it is)."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{what} {p} does not exist")
    data = load_yaml_strict(p.read_text(encoding="utf-8"), str(p))  # a key given twice is an error
    if data is None and allow_empty:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{p} must contain a YAML mapping (key: value lines), got {type(data).__name__}")
    return data


def check_schema(data: Mapping[str, Any], schema_path: str | Path, origin: str) -> None:
    """Check ``data`` against a JSON Schema file; the first problem becomes one-line ConfigError.

    The message names the file and the key path (e.g. ``screening.longstring.max_run``).
    Defaults are filled in afterwards by ``snakemake.utils.validate``.
    """
    import jsonschema

    schema = load_yaml_strict(Path(schema_path).read_text(encoding="utf-8"), str(schema_path))
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(dict(data)))
    if error is None:
        return
    where = ".".join(str(k) for k in error.absolute_path) or "(top level)"
    message = error.message
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        message += f"; allowed keys here: {', '.join(allowed)}"
    raise ConfigError(f"{origin}: key {where}: {message}")


def fill_defaults(data: Mapping[str, Any], schema_path: str | Path) -> dict[str, Any]:
    """A copy of ``data`` with the schema's ``default`` values filled in where keys are absent.

    The same rule as ``snakemake.utils.validate(..., set_default=True)``, which the workflow
    applies: a default is set for an absent property of an object that is present (or was
    itself filled by a default), including the properties of ``$ref``-erenced definitions.
    Call it after :func:`check_schema` (it does not report errors).

    Examples
    --------
    >>> study = fill_defaults({"data": {"path": "s.csv"}, "instruments": {}},
    ...                       "workflow/schemas/study.schema.yaml")   # doctest: +SKIP
    >>> study["screening"]["duplicate_rows"]                            # doctest: +SKIP
    'exclude'
    """
    import jsonschema

    schema = load_yaml_strict(Path(schema_path).read_text(encoding="utf-8"), str(schema_path))
    base = jsonschema.Draft202012Validator
    validate_properties = base.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, subschema):  # noqa: ANN001 - jsonschema's protocol
        if isinstance(instance, dict):
            for prop, sub in properties.items():
                if isinstance(sub, dict) and "default" in sub:
                    instance.setdefault(prop, copy.deepcopy(sub["default"]))
        yield from validate_properties(validator, properties, instance, subschema)

    filling = jsonschema.validators.extend(base, {"properties": set_defaults})
    out = copy.deepcopy(dict(data))
    for _ in filling(schema).iter_errors(out):
        pass
    return out


def resolve_study(study: Mapping[str, Any], study_path: str | Path) -> dict[str, Any]:
    """Resolve a schema-validated study mapping.

    Relative ``data.path`` values are taken relative to the folder of the study file and
    returned relative to the current directory when possible (Snakemake's working
    directory), so outputs and provenance are location independent.
    """
    s = copy.deepcopy(dict(study))
    study_path = Path(study_path)
    s.setdefault("name", study_path.stem)
    per_wave_files = isinstance(s.get("waves"), list)
    resolve_waves(s, study_path, _relative_if_possible)   # longitudinal: data = the baseline wave
    if not per_wave_files:
        data_path = Path(s["data"]["path"])
        if not data_path.is_absolute():
            data_path = study_path.parent / data_path
        s["data"]["path"] = _relative_if_possible(data_path)
    s["study_file"] = _relative_if_possible(study_path)
    for key, block in s.get("instruments", {}).items():
        inst = instrument_of(s, key)  # checks the definition now, not mid-run
        block["resolved"] = {"id": inst.id, "min": inst.min, "max": inst.max,
                             "n_items": inst.n_items, "scoring": inst.scoring}
        if not block.get("definition"):
            block["resolved"]["file"] = f"instruments/{block['instrument']}.yaml"
            block["resolved"]["sha256"] = shipped_checksum(block["instrument"])
    _check_references(s)
    return s


def _relative_if_possible(p: Path) -> str:
    p = Path(p).resolve()
    try:
        return str(p.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def _check_references(s: Mapping[str, Any]) -> None:
    known = set(score_columns(s)) | set(s.get("variables", {}))
    name = s.get("name")
    study_specs(s, known)   # outcome, mediation and SEM models: names, roles, options
    parse_longitudinal(s, known)   # the longitudinal: block (panel studies)
    fa = s.get("factor_analysis")
    if fa and fa["instrument"] not in s.get("instruments", {}):
        raise ConfigError(f"study {name!r}, factor_analysis.instrument: {fa['instrument']!r} is not one of "
                          f"the study's instrument blocks ({', '.join(s.get('instruments', {}))})")
    if fa and fa["instrument"] in s.get("instruments", {}):
        check_factor_config(s)
    screening = s.get("screening", {})
    for var in screening.get("attention_checks", {}).get("expected", {}):
        if var not in s.get("variables", {}):
            raise ConfigError(f"study {name!r}, screening.attention_checks: {var!r} is not a declared variable "
                              "(declare the instructed item under variables)")
    for rule in ("longstring", "mahalanobis", "irv", "psychsyn"):
        block = screening.get(rule)
        if block and block.get("instrument") not in s.get("instruments", {}):
            raise ConfigError(f"study {name!r}, screening.{rule}.instrument: {block.get('instrument')!r} "
                              "is not one of the study's instrument blocks")


class UndeclaredSetting(RuntimeError):
    """A step read a study setting that its rule does not pass (a programming error)."""


class StudyPart(dict):
    """The part of a resolved study that one workflow rule reads.

    Each rule's ``params`` carry only the study settings it uses, so that Snakemake reruns
    a rule when, and only when, one of them changes (a new title reruns the report, not the
    ingest). A ``StudyPart`` is a ``dict`` (Snakemake compares the ``repr`` of dict params
    between runs) that also knows which top-level keys its rule declared: reading any other
    key, even with ``get`` or ``in``, raises :class:`UndeclaredSetting` instead of silently
    falling back to a default. Declared keys that the study file leaves out behave as in a
    plain dict.

    Parameters
    ----------
    study : mapping
        The resolved study (:func:`resolve_study`).
    keys : sequence of str
        Top-level keys the rule reads; ``name`` is always included (messages name the study).

    Examples
    --------
    >>> part = StudyPart({"name": "s", "title": "T", "screening": {}}, ["screening"])
    >>> sorted(part)
    ['name', 'screening']
    >>> part.get("title")
    Traceback (most recent call last):
    ...
    attachstats.spec.study.UndeclaredSetting: study setting 'title' is not passed to this step (it has: name, screening); add it to the rule's study_part(...) in workflow/rules
    """

    def __init__(self, study: Mapping[str, Any], keys: Sequence[str]) -> None:
        declared = ("name", *(k for k in keys if k != "name"))
        super().__init__({k: copy.deepcopy(study[k]) for k in declared if k in study})
        self.declared = declared

    def _check(self, key: object) -> None:
        if key not in self.declared:
            raise UndeclaredSetting(f"study setting {key!r} is not passed to this step (it has: "
                                    f"{', '.join(self.declared)}); add it to the rule's study_part(...) "
                                    "in workflow/rules")

    def __getitem__(self, key: str) -> Any:
        self._check(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._check(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self._check(key)
        return super().__contains__(key)

    def __repr__(self) -> str:
        return f"StudyPart({list(self.declared)!r}, {dict(self)!r})"

    def __reduce__(self) -> tuple:
        return (_rebuild_part, (dict(self), self.declared))


def _rebuild_part(data: dict, declared: tuple[str, ...]) -> StudyPart:
    """Unpickling helper of :class:`StudyPart` (Snakemake pickles params into the job's script)."""
    return StudyPart(data, declared)

