"""The documentation's YAML examples and screening table are checked against the schema.

Convention (config/README.md says it): every ```yaml block of config/README.md and README.md
is parsed with the strict loader (a key given twice is an error) and schema-checked; a
block whose first line is ``# fragment`` is merged into :data:`MINIMAL` first; a complete
study also passes the study checks of :func:`attachstats.spec.study.resolve_study`. The
screening table of config/README.md must list every key of the schema's ``screening``
block with its allowed values and default. Each check is a function of a text, so the
tests below also show that it fails on a broken text.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from attachstats.errors import AttachstatsError
from attachstats.spec.instrument import load_yaml_strict
from attachstats.spec.study import check_schema, fill_defaults, resolve_study
from conftest import ROOT

SCHEMA = ROOT / "workflow" / "schemas" / "study.schema.yaml"
DOCS = [ROOT / "config" / "README.md", ROOT / "README.md"]
#: the study a ``# fragment`` block is merged into
MINIMAL: dict[str, Any] = {"data": {"path": "survey.csv"}, "instruments": {"ecr": {"instrument": "ecr-r",
                                                                                   "columns": "ECR_{n}"}}}
FENCE = re.compile(r"^(?P<indent>[ \t]*)```yaml[ \t]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.M | re.S)


def yaml_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, text) of every ```yaml block, dedented to its fence."""
    out = []
    for m in FENCE.finditer(text):
        indent = len(m["indent"])
        body = "".join(line[indent:] if line[:indent].strip() == "" else line
                       for line in m["body"].splitlines(keepends=True))
        out.append((text[: m.start()].count("\n") + 1, body))
    return out


def _merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in extra.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def block_problems(body: str, origin: str, tmp: Path) -> list[str]:
    """Why a documented YAML block is wrong (empty list: it is right)."""
    try:
        data = load_yaml_strict(body, origin)
        fragment = body.lstrip().startswith("# fragment")
        if not isinstance(data, dict):
            return [f"{origin}: not a mapping"]
        study = _merge(MINIMAL, data) if fragment else data
        check_schema(study, SCHEMA, origin)
        if not fragment:
            resolve_study(fill_defaults(study, SCHEMA), tmp / "study.yaml")
    except AttachstatsError as exc:
        return [str(exc)]
    return []


def screening_keys(schema: dict) -> dict[str, dict]:
    """Dotted key → its schema of every key of the ``screening`` block."""
    out = {}
    for k, sub in schema["properties"]["screening"]["properties"].items():
        if sub.get("type") == "object" and "properties" in sub and "additionalProperties" not in sub.get(
                "properties", {}):
            for kk, subsub in sub["properties"].items():
                out[f"{k}.{kk}"] = {**subsub, "_required": kk in sub.get("required", [])}
        else:
            out[k] = {**sub, "_required": False}
    return out


def table_problems(text: str, schema: dict) -> list[str]:
    """Differences between the screening table of ``text`` and the schema."""
    section = text.split("### Screening settings", 1)
    if len(section) < 2:
        return ["no '### Screening settings' section"]
    rows = [line for line in section[1].split("\n### ", 1)[0].splitlines() if line.startswith("| `")]
    documented = {}
    for line in rows:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        documented[cells[0].strip("`")] = cells
    keys = screening_keys(schema)
    problems = [f"{k}: in the schema, not in the table" for k in keys if k not in documented]
    problems += [f"{k}: in the table, not in the schema" for k in documented if k not in keys]
    for k, sub in keys.items():
        if k not in documented:
            continue
        values, default = documented[k][1], documented[k][2]
        if "enum" in sub:
            listed = [yaml.safe_load(v) for v in re.findall(r"`([^`]*)`", values)]
            if listed != sub["enum"]:
                problems.append(f"{k}: values {listed} in the table, {sub['enum']} in the schema")
        if sub["_required"]:
            expected = "*required*"
        elif "default" in sub:
            expected = f"`{yaml.safe_dump(sub['default'], default_flow_style=True).strip().removesuffix('...').strip()}`"
        else:
            expected = "—"
        if default != expected:
            problems.append(f"{k}: default {default} in the table, {expected} in the schema")
    return problems


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_block_of_the_docs_is_a_valid_study_or_fragment(doc: Path, tmp_path: Path) -> None:
    blocks = yaml_blocks(doc.read_text(encoding="utf-8"))
    assert blocks, f"{doc} has no yaml block"
    problems = [p for line, body in blocks for p in block_problems(body, f"{doc.name} line {line}", tmp_path)]
    assert problems == []


def test_the_full_study_example_declares_every_top_level_key() -> None:
    text = (ROOT / "config" / "README.md").read_text(encoding="utf-8")
    full = [yaml.safe_load(b) for _, b in yaml_blocks(text) if not b.lstrip().startswith("# fragment")]
    schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    assert full and set(full[0]) == set(schema["properties"])


def test_the_screening_table_matches_the_schema() -> None:
    schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    assert table_problems((ROOT / "config" / "README.md").read_text(encoding="utf-8"), schema) == []


# --- each check fails on a broken text -------------------------------------------------------

def test_block_check_catches_a_repeated_key_and_a_wrong_key(tmp_path: Path) -> None:
    text = "x\n```yaml\ndata: {path: a.csv}\ninstruments: {e: {instrument: ecr-r, columns: 'E{n}'}}\n" \
           "outcome_models: []\noutcome_models: []\n```\n  ```yaml\n  # fragment\n  descriptives: {partial_regression: x}\n  ```\n"
    (line1, b1), (line2, b2) = yaml_blocks(text)
    assert (line1, line2) == (2, 8)
    assert "given twice" in block_problems(b1, "doc", tmp_path)[0]
    assert "descriptives" in block_problems(b2, "doc", tmp_path)[0]
    assert block_problems("# fragment\nfigures: {scatter: [a, b]}\n", "doc", tmp_path) == []
    wrong_reference = ("data: {path: a.csv}\ninstruments: {e: {instrument: ecr-r, columns: 'E{n}'}}\n"
                       "factor_analysis: {instrument: f}\n")      # schema-valid, but no block f
    assert "is not one of the study's instrument blocks" in block_problems(wrong_reference, "doc", tmp_path)[0]


def test_table_check_catches_a_missing_key_and_a_wrong_default() -> None:
    schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    text = (ROOT / "config" / "README.md").read_text(encoding="utf-8")
    broken = text.replace("| `mahalanobis.alpha` | 0 < α ≤ 0.5 | `0.001` |", "| `mahalanobis.alpha` | 0 < α ≤ 0.5 | `0.01` |")
    broken = re.sub(r"^\| `irv.max` .*\n", "", broken, flags=re.M)
    assert sorted(table_problems(broken, schema)) == ["irv.max: in the schema, not in the table",
                                                      "mahalanobis.alpha: default `0.01` in the table, `0.001` in "
                                                      "the schema"]
