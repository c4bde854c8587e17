import re

import pytest

from attachstats.errors import ConfigError
from attachstats.spec.instrument import available_instruments, instrument_from_dict, load_instrument
from attachstats.spec.study import check_schema

from conftest import ROOT, study_dict


def test_ecr_r_standard_key():
    ecr = load_instrument("ecr-r")
    assert ecr.subscales["anxiety"].items == tuple(range(1, 19))
    assert ecr.subscales["anxiety"].reverse == (9, 11)
    assert ecr.subscales["avoidance"].items == tuple(range(19, 37))
    assert ecr.subscales["avoidance"].reverse == (20, 22, 26, 27, 28, 29, 30, 31, 33, 34, 35, 36)
    assert (ecr.min, ecr.max, ecr.scoring) == (1, 7, "mean")


def test_ecr_1998_key_by_parity():
    ecr = load_instrument("ecr")
    assert ecr.subscales["avoidance"].items == tuple(range(1, 37, 2))
    assert ecr.subscales["anxiety"].items == tuple(range(2, 37, 2))
    assert ecr.subscales["avoidance"].reverse == (3, 15, 19, 25, 27, 29, 31, 33, 35)
    assert ecr.subscales["anxiety"].reverse == (22,)


def test_reverse_uses_instrument_range():
    assert load_instrument("ecr-r").reverse_value(2) == 6
    five_point = load_instrument("ecr", {"response": {"min": 1, "max": 5}})
    assert five_point.reverse_value(2) == 4


def test_outcome_instruments():
    assert load_instrument("phq-9").cutoffs["total"]["caseness"] == 10
    pdss = load_instrument("pdss-sr")
    assert (pdss.n_items, pdss.min, pdss.max, pdss.scoring) == (7, 0, 4, "sum")
    assert {"ecr-r", "ecr", "phq-9", "pdss-sr", "sasi"} <= set(available_instruments())


def test_unknown_instrument_lists_known():
    with pytest.raises(ConfigError, match="unknown instrument 'ecr-x'.*ecr-r"):
        load_instrument("ecr-x")


BASE = {"id": "t", "response": {"min": 1, "max": 5}, "n_items": 4, "scoring": "mean"}


@pytest.mark.parametrize("subscales, message", [
    ({"a": {"items": [1, 2, 2]}}, "item 2 is listed twice"),
    ({"a": {"items": "1-5"}}, "item 5 is outside 1..4"),
    ({"a": {"items": [1, 2], "reverse": [3]}}, "reverse-keyed item 3 is not one of"),
    ({"a": {"items": "3-1"}}, "runs backwards"),
    ({"a": {"items": ["x"]}}, "cannot read item 'x'"),
])
def test_bad_definitions_name_item_and_rule(subscales, message):
    with pytest.raises(ConfigError, match=message):
        instrument_from_dict({**BASE, "subscales": subscales})


def test_bad_range_and_scoring():
    with pytest.raises(ConfigError, match="must exceed min"):
        instrument_from_dict({**BASE, "response": {"min": 5, "max": 1}, "subscales": {"a": {"items": [1]}}})
    with pytest.raises(ConfigError, match="'scoring' must be"):
        instrument_from_dict({**BASE, "scoring": "median", "subscales": {"a": {"items": [1]}}})


# ---- instrument library as data (labels, keyed directions, bands, flags) ------------------

def test_every_shipped_instrument_has_labels_keys_and_a_source():
    for name in available_instruments():
        inst = load_instrument(name)
        assert len(inst.items) == inst.n_items and [it.number for it in inst.items] == list(inst.item_numbers)
        assert inst.source and all(it.label for it in inst.items)
        for it in inst.items:        # per-item keyed direction agrees with the published key
            for sub in it.subscales:
                assert (it.number in inst.subscales[sub].reverse) == (it.keyed == -1), (name, it.number)


def test_new_attachment_instruments():
    s = load_instrument("ecr-s")
    assert s.subscales["anxiety"].items == (2, 4, 6, 8, 10, 12) and s.subscales["anxiety"].reverse == (8,)
    assert s.subscales["avoidance"].items == (1, 3, 5, 7, 9, 11)
    assert s.subscales["avoidance"].reverse == (1, 5, 9)
    rs = load_instrument("ecr-rs")
    assert rs.subscales["avoidance"].items == (1, 2, 3, 4, 5, 6)
    assert rs.subscales["avoidance"].reverse == (1, 2, 3, 4)
    assert rs.subscales["anxiety"].items == (7, 8, 9) and rs.subscales["anxiety"].reverse == ()


def test_ecr_s_key_agrees_with_the_ecr_items_it_comes_from():
    """Second source for the ECR-S key: each short-form item is an ECR item with the same key."""
    origin = {1: 33, 2: 18, 3: 11, 4: 26, 5: 35, 6: 16, 7: 17, 8: 22, 9: 27, 10: 32, 11: 13, 12: 6}
    short, full = load_instrument("ecr-s"), load_instrument("ecr")
    for s_item in short.items:
        f_item = full.items[origin[s_item.number] - 1]
        assert (s_item.keyed, s_item.subscales, s_item.label) == (f_item.keyed, f_item.subscales, f_item.label)


def test_outcome_bands_caseness_and_flags():
    phq = load_instrument("phq-9")
    assert phq.bands("total") == [("minimal", 0), ("mild", 5), ("moderate", 10), ("moderately_severe", 15),
                                  ("severe", 20)]
    assert phq.caseness("total") == 10 and phq.score_range("total") == (0, 27)
    assert [(f.item, f.at_least) for f in phq.flags] == [(9, 1)]
    gad = load_instrument("gad-7")
    assert (gad.n_items, gad.min, gad.max, gad.scoring) == (7, 0, 3, "sum")
    assert [b for _, b in gad.bands("total")] == [0, 5, 10, 15] and gad.caseness("total") == 10
    pdss = load_instrument("pdss-sr")
    assert [b for _, b in pdss.bands("total")] == [0, 2, 6, 10, 14] and pdss.caseness("total") is None
    assert load_instrument("ecr-r").bands("anxiety") == []


TWO = {"a": {"items": "1-2", "reverse": [2]}}


@pytest.mark.parametrize("extra, message", [
    ({"items": {1: {"label": "x", "keyed": 1}, 2: {"label": "y", "keyed": 1}}},
     r"item 2: 'keyed: 1' disagrees with subscale 'a', where the item is reverse-keyed"),
    ({"items": {1: {"label": "x", "keyed": 1}}}, r"item 2 has no entry"),
    ({"items": {1: {"label": "x"}, 2: {"label": "y", "keyed": 2}}}, r"item 2: 'keyed' must be 1"),
    ({"items": {1: {"label": ""}, 2: {"label": "y", "keyed": -1}}}, r"item 1: needs a short text 'label'"),
    ({"items": {1: {"label": "x"}, 5: {"label": "y"}}}, r"item 5: item number outside 1..2"),
    ({"subscales": {"a": {"items": "1-2"}, "b": {"items": [2], "reverse": [2]}}},
     r"item 2 is keyed \+1 in subscale 'a' but -1 in subscale 'b'"),
    ({"subscales": {"a": {"items": [1]}}}, r"item 2 belongs to no subscale"),
    ({"subscales": {"a": {"items": [1, 2], "reverse": [2, 2]}}}, r"reverse-keyed item 2 is listed twice"),
    ({"subscales": {"a": {"items": [1, 2], "revers": [2]}}}, r"subscale 'a': unknown key\(s\) 'revers'"),
    ({"subscale": {}}, r"unknown key\(s\) 'subscale'"),
    ({"cutoffs": {"a": {"bands": {"low": 2, "high": 3}}}}, r"first band must start at the lowest possible score 1"),
    ({"cutoffs": {"a": {"bands": {"low": 1, "mid": 4, "high": 3}}}}, r"band 'high' must start above band 'mid'"),
    ({"cutoffs": {"a": {"bands": {"low": 1, "high": 6}}}}, r"bands.high: lower bound 6 must be a number within"),
    ({"cutoffs": {"a": {"caseness": 9}}}, r"cutoffs.a.caseness: threshold 9"),
    ({"cutoffs": {"b": {"caseness": 2}}}, r"cutoffs.b: 'b' is not a subscale"),
    ({"flags": {"f": {"item": 3, "at_least": 2}}}, r"flags.f: item 3 is outside 1..2"),
    ({"flags": {"f": {"item": 1, "at_least": 9}}}, r"flags.f: at_least 9 must lie above"),
])
def test_definition_checks_name_item_and_rule(extra, message):
    d = {"id": "t", "response": {"min": 1, "max": 5}, "n_items": 2, "scoring": "mean", "subscales": TWO, **extra}
    with pytest.raises(ConfigError, match=message):
        instrument_from_dict(d)


def test_unscored_items_are_allowed_when_listed():
    d = {"id": "t", "response": {"min": 1, "max": 5}, "n_items": 3, "scoring": "mean",
         "subscales": {"a": {"items": [1, 2]}}, "unscored": [3]}
    assert instrument_from_dict(d).items[2].subscales == ()


def test_item_given_twice_in_yaml_is_an_error(tmp_path):
    from attachstats.spec.study import read_yaml

    p = tmp_path / "s.yaml"
    p.write_text("instruments:\n  m:\n    definition:\n      items:\n        1: {label: a}\n        1: {label: b}\n")
    with pytest.raises(ConfigError, match=r"s.yaml: key 1 is given twice \(line 6\)"):
        read_yaml(p)


def test_continuous_items_are_declared_in_response():
    """Defect: instrument items had to be integers, so continuous indicators could not be analysed."""
    subs = {"subscales": {"a": {"items": [1, 2, 3, 4], "reverse": [2]}}}
    slider = instrument_from_dict({**BASE, **subs, "response": {"min": 0, "max": 100, "type": "continuous"}})
    assert slider.continuous and (slider.min, slider.max) == (0, 100) and isinstance(slider.max, int)
    share = instrument_from_dict({**BASE, **subs, "response": {"min": 0, "max": 0.5, "type": "continuous"}})
    assert share.max == 0.5 and share.reverse_value(0.125) == 0.375
    assert not instrument_from_dict({**BASE, **subs}).continuous                   # integer by default
    assert not instrument_from_dict({**BASE, **subs, "response": {"min": 1, "max": 5, "type": "integer"}}).continuous


@pytest.mark.parametrize("response, message", [
    ({"min": 0, "max": 1.5}, "must be whole numbers for integer answers, got 0 and 1.5; set type: continuous"),
    ({"min": 0, "max": 1, "type": "slider"}, "response type must be 'integer' or 'continuous', got 'slider'"),
    ({"min": 0, "max": 1, "kind": "continuous"}, "'response' has unknown key(s) 'kind'"),
    ({"min": 0, "max": "lots"}, "'response' must be {min: <number>, max: <number>, type: integer | continuous}"),
])
def test_bad_response_names_the_rule(response, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        instrument_from_dict({**BASE, "response": response, "subscales": {"a": {"items": [1, 2, 3, 4]}}})


def test_study_schema_accepts_a_continuous_response_override():
    schema = ROOT / "workflow" / "schemas" / "study.schema.yaml"
    d = study_dict()
    d["instruments"]["ecr"]["response"] = {"min": 0, "max": 100, "type": "continuous"}
    check_schema(d, schema, "study.yaml")
    d["instruments"]["ecr"]["response"]["type"] = "slider"
    with pytest.raises(ConfigError, match="slider"):
        check_schema(d, schema, "study.yaml")


def test_strict_yaml_reads_alike_with_libyaml_and_reports_pyyamls_messages() -> None:
    """The fast (libyaml) parse gives the same data as PyYAML's own parser on every shipped YAML
    file; refused files get PyYAML's message (line, column, what was expected)."""
    import yaml

    from attachstats.errors import ConfigError
    from attachstats.spec.instrument import _StrictLoader, load_yaml_strict

    files = sorted((ROOT / "src").rglob("*.yaml")) + sorted((ROOT / "workflow").rglob("*.yaml"))
    files += sorted((ROOT / "config").rglob("*.yaml"))
    assert len(files) > 15
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert repr(load_yaml_strict(text, str(f))) == repr(yaml.load(text, Loader=_StrictLoader)), f
    for bad, message in (("a: 1\na: 2\n", "f.yaml: key 'a' is given twice (line 2)"),
                         ("a: {b: 1\nc: 2", "f.yaml is not valid YAML: line 2, column 2: expected ',' or '}', "
                                            "but got ':' (while parsing a flow mapping at line 1, column 4)")):
        with pytest.raises(ConfigError) as err:
            load_yaml_strict(bad, "f.yaml")
        assert str(err.value) == message
