"""Partial ordinal invariance and binary items in invariance models, against lavaan.

Fixtures: tests/fixtures/ordinal/make_ordinal_partial_fixtures.R — semTools measEq.syntax
(std.lv, Wu & Estabrook 2016, delta) with ``group.partial``, fitted by lavaan's WLSMV on the
ECR sample by gender; and the four steps with four of the eight items cut into two categories.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from test_ordinal import FIT_KEYS

import attachstats
from attachstats.errors import ModelError
from attachstats.stats.latent.comparison import wlsmv_difference_test
from attachstats.stats.latent.ordinal_invariance import INVARIANCE_STEPS, fit_ordinal_invariance

FIX = ROOT / "tests" / "fixtures" / "ordinal"
STEP_OF = {tuple(v): k for k, v in INVARIANCE_STEPS.items()}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    x = pd.read_csv(FIX / "ecr_sample.csv")
    return x[x["gender"].isin([1, 2])]


@pytest.fixture(scope="module")
def binary(data) -> pd.DataFrame:
    d = data.copy()
    for v in ("Q5", "Q7", "Q6", "Q8"):
        d[v] = np.where(d[v] >= 4, 2, 1)
    return d


def _as_list(v):
    return [v] if isinstance(v, str) else list(v)


def _check(res, ref):
    assert [str(g) for g in res.groups] == ref["groups"] and res.n == ref["n"]
    r = pd.DataFrame(ref["estimates"]).fillna({"rhs": ""})
    m = r.merge(res.parameters(), on=["lhs", "op", "rhs", "group"], how="outer", suffixes=("_lav", ""),
                indicator=True)
    assert (m["_merge"] == "both").all(), m.loc[m["_merge"] != "both", ["lhs", "op", "rhs", "group"]]
    np.testing.assert_allclose(m["est"], m["est_lav"], atol=1e-5)
    np.testing.assert_allclose(m["se"], m["se_lav"], atol=1e-5)
    np.testing.assert_allclose(m["std.all"], m["std.all_lav"], atol=1e-5)
    fm = res.fit_measures()
    for key in FIT_KEYS:
        want = ref["fit"][key]
        if want == "NA":
            assert math.isnan(fm[key]), key
        else:
            tol = 1e-6 if ".ci." in key else 1e-7
            assert fm[key] == pytest.approx(want, rel=1e-5, abs=tol), key


def _fit(ref, d):
    ge = tuple(_as_list(ref["group_equal"]))
    return fit_ordinal_invariance(ref["model"], d, ref["group"], STEP_OF[ge], group_partial=_as_list(ref["group_partial"]))


@pytest.mark.parametrize("case", ["metric", "scalar", "metric_factor_free"])
def test_partial_invariance_matches_lavaan(data, case):
    ref = json.loads((FIX / f"partial_{case}.json").read_text())
    _check(_fit(ref, data), ref)


def test_partial_scalar_vs_partial_metric_lrt(data):
    ref = json.loads((FIX / "partial_scalar.json").read_text())
    scalar = _fit(ref, data)
    metric = fit_ordinal_invariance(ref["model"], data, "gender", "metric", group_partial=ref["metric_partial"])
    t = wlsmv_difference_test(scalar, metric)
    want = ref["lrt_vs_metric"]
    assert t["df_diff"] == want["df_diff"]
    assert t["chisq_diff"] == pytest.approx(want["chisq_diff"], rel=1e-5)
    assert t["pvalue"] == pytest.approx(want["pvalue"], rel=1e-5)


def test_partial_through_sem(data):
    ref = json.loads((FIX / "partial_metric.json").read_text())
    res = attachstats.sem(ref["model"], data, ordered=True, group="gender", group_equal=["thresholds", "loadings"],
                          group_partial=ref["group_partial"])
    assert res.fit_measures()["chisq.scaled"] == pytest.approx(ref["fit"]["chisq.scaled"], rel=1e-6)
    p = res.parameters().set_index(["lhs", "op", "rhs", "group"])
    assert p.loc[("avoidance", "=~", "Q3", 1), "est"] != pytest.approx(p.loc[("avoidance", "=~", "Q3", 2), "est"])
    with pytest.raises(ModelError, match="group_partial needs a group"):
        attachstats.sem(ref["model"], data, ordered=True, group_partial=["avoidance =~ Q3"])


@pytest.mark.parametrize("step", list(INVARIANCE_STEPS))
def test_binary_items_in_invariance_steps_match_lavaan(binary, step):
    ref = json.loads((FIX / f"partial_binary_{step}.json").read_text())
    res = _fit(ref, binary)
    _check(res, ref)
    if step != "configural":
        prev = list(INVARIANCE_STEPS)[list(INVARIANCE_STEPS).index(step) - 1]
        t = wlsmv_difference_test(res, fit_ordinal_invariance(ref["model"], binary, "gender", prev))
        want = ref["lrt_vs_previous"]
        assert t["df_diff"] == want["df_diff"]
        assert t["chisq_diff"] == pytest.approx(want["chisq_diff"], rel=1e-5)
