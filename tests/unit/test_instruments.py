import pytest

from attachstats.errors import ConfigError
from attachstats.instruments import available_instruments, instrument_from_dict, load_instrument


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
