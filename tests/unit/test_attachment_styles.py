"""Attachment categories: midpoint, median split and Brennan et al. (1998) functions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attachstats.spec.styles import style_spec
from attachstats.stats.styles import classify
from attachstats.steps.describe import study_styles
from attachstats.errors import ConfigError

# Brennan, Clark & Shaver (1998) classification functions as printed in the project notes
# (/work/shared/docs/instruments.md), typed in again here as the independent reference.
REF = {"secure": (3.2893296, 5.4725318, -11.5307833), "fearful": (7.2371075, 8.1776448, -32.3553266),
       "preoccupied": (3.9246754, 9.7102446, -28.4573220), "dismissing": (7.3654621, 4.9392039, -22.2281088)}


def _study(rule=None, response=None):
    block = {"instrument": "ecr-r", "columns": "E{n}"}
    if response:
        block["response"] = response
    s = {"name": "t", "instruments": {"ecr": block, "phq9": {"instrument": "phq-9", "columns": "P{n}"}}}
    if rule:
        s["attachment_styles"] = {"instrument": "ecr", "rule": rule}
    return s


def test_midpoint_quadrants_and_the_midpoint_itself():
    anx = pd.Series([2.0, 6.0, 2.0, 6.0, 4.0, 4.0001, np.nan])
    av = pd.Series([2.0, 2.0, 6.0, 6.0, 4.0, 4.0, 3.0])
    got = classify(anx, av, "midpoint", (1, 7)).tolist()
    assert got[:6] == ["secure", "preoccupied", "dismissing", "fearful", "secure", "preoccupied"]
    assert pd.isna(got[6])
    assert classify(pd.Series([3.5]), pd.Series([2.9]), "midpoint", (1, 5)).tolist() == ["preoccupied"]


def test_median_split():
    rng = np.random.default_rng(3)
    anx, av = pd.Series(rng.normal(4, 1, 1001)), pd.Series(rng.normal(3, 1, 1001))
    got = classify(anx, av, "median", (1, 7))
    high_anx = got.isin(["preoccupied", "fearful"])
    assert high_anx.sum() == 500 and got.isin(["dismissing", "fearful"]).sum() == 500   # odd n: median is low
    assert (anx[high_anx] > anx.median()).all()


def test_brennan_functions_match_hand_computation():
    rng = np.random.default_rng(5)
    av, anx = pd.Series(rng.uniform(1, 7, 2000)), pd.Series(rng.uniform(1, 7, 2000))
    got = classify(anx, av, "brennan", (1, 7))
    scores = pd.DataFrame({k: a * av + b * anx + c for k, (a, b, c) in REF.items()})
    assert (got == scores.idxmax(axis=1)).all()
    assert set(got) == {"secure", "fearful", "preoccupied", "dismissing"}
    # the secure region contains low-low, fearful high-high (with the correct constant)
    assert classify(pd.Series([1.5]), pd.Series([1.5]), "brennan").iat[0] == "secure"
    assert classify(pd.Series([6.5]), pd.Series([6.5]), "brennan").iat[0] == "fearful"
    assert classify(pd.Series([6.5]), pd.Series([1.5]), "brennan").iat[0] == "preoccupied"
    assert classify(pd.Series([1.5]), pd.Series([6.5]), "brennan").iat[0] == "dismissing"


def test_brennan_refused_for_five_point_form_with_clear_message():
    with pytest.raises(ConfigError, match=r"7-point \(1-7\) ECR; this form runs 1-5"):
        style_spec(_study("brennan", {"min": 1, "max": 5}))
    with pytest.raises(ConfigError, match="unknown rule 'quartiles'"):
        style_spec(_study("quartiles"))


def test_study_table_reconciles_and_defaults_to_midpoint():
    spec = style_spec(_study())
    assert (spec.anxiety, spec.avoidance, spec.rule, spec.scale) == ("ecr_anxiety", "ecr_avoidance", "midpoint", (1, 7))
    scores = pd.DataFrame({"id": list("abcde"), "ecr_anxiety": [2, 6, 2, 6, np.nan],
                           "ecr_avoidance": [2, 2, 6, 6, 3]})
    rows, table = study_styles(scores, _study())
    assert rows["attachment_style"].tolist()[:4] == ["secure", "preoccupied", "dismissing", "fearful"]
    assert table["style"].tolist() == ["secure", "preoccupied", "dismissing", "fearful", "not classified"]
    assert table["n"].tolist() == [1, 1, 1, 1, 1] and table["n"].sum() == len(scores)
    assert table["anxiety_cut"].iat[0] == 4
    no_ecr = {"name": "t", "instruments": {"phq9": {"instrument": "phq-9", "columns": "P{n}"}}}
    assert style_spec(no_ecr) is None and study_styles(scores, no_ecr)[1].empty
    with pytest.raises(ConfigError, match="block 'phq9' .* has no 'anxiety' and 'avoidance'"):
        style_spec({**no_ecr, "attachment_styles": {"instrument": "phq9"}})
