"""Ordinal invariance steps (semTools measEq.syntax conventions, lavaan WLSMV) against lavaan.

Fixtures: tests/fixtures/ordinal/make_ordinal_invariance_fixtures.R (8 ECR items, two
factors, the 2,000-row sample by gender 1/2).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from test_ordinal import FIT_KEYS

from attachstats.errors import ModelError
from attachstats.stats.latent.engine import CFAModel
from attachstats.stats.latent.ordinal import delta_spec
from attachstats.stats.latent.ordinal_invariance import (
    INVARIANCE_STEPS,
    _Layout,
    fit_ordinal_invariance,
    ordinal_invariance_steps,
)
from attachstats.stats.latent.polychoric import _pairs
from attachstats.stats.latent.syntax import parse_syntax

FIX = ROOT / "tests" / "fixtures" / "ordinal"


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    x = pd.read_csv(FIX / "ecr_sample.csv")
    return x[x["gender"].isin([1, 2])]


@pytest.mark.parametrize("step", list(INVARIANCE_STEPS))
def test_step_matches_lavaan(data, step):
    ref = json.loads((FIX / f"inv_{step}.json").read_text())
    ge = ref["group_equal"]
    assert list(INVARIANCE_STEPS[step]) == ([ge] if isinstance(ge, str) else list(ge))
    res = fit_ordinal_invariance(ref["model"], data, "gender", step)
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


def test_steps_are_nested(data):
    ref = json.loads((FIX / "inv_configural.json").read_text())
    fits = [fit_ordinal_invariance(ref["model"], data, "gender", s) for s in INVARIANCE_STEPS]
    dfs = [f.fit["df"] for f in fits]
    chis = [f.fit["chisq"] for f in fits]
    assert dfs == sorted(dfs) and len(set(dfs)) == 4
    assert chis == sorted(chis)              # each constraint can only worsen the DWLS fit


def test_errors(data):
    ref = json.loads((FIX / "inv_configural.json").read_text())
    with pytest.raises(ModelError, match="unknown invariance step"):
        fit_ordinal_invariance(ref["model"], data, "gender", "strict")
    with pytest.raises(ModelError, match="group column 'sex'"):
        fit_ordinal_invariance(ref["model"], data, "sex")
    with pytest.raises(ModelError, match="fewer than two groups"):
        fit_ordinal_invariance(ref["model"], data[data["gender"] == 1], "gender")
    for bad, what in [("avoidance =~ Q2", "no loading"), ("Q1 | t9", "no threshold"), ("Q9 ~ 1", "not a loading")]:
        with pytest.raises(ModelError, match=what):
            fit_ordinal_invariance(ref["model"], data, "gender", "metric", group_partial=[bad])
    with pytest.raises(ModelError, match="fixed values"):
        fit_ordinal_invariance(ref["model"] + "\navoidance ~~ 0*anxiety", data, "gender")


def test_all_steps_share_one_set_of_moments(data):
    ref = json.loads((FIX / "inv_scalar.json").read_text())
    res = ordinal_invariance_steps(ref["model"], data, "gender")
    assert list(res) == list(INVARIANCE_STEPS)
    assert res["scalar"].fit["chisq"] == pytest.approx(ref["fit"]["chisq"], rel=1e-6)
    one = fit_ordinal_invariance(ref["model"], data, "gender", "metric")
    assert res["metric"].fit == pytest.approx(one.fit, rel=1e-12, nan_ok=True)


def test_analytic_jacobian_equals_numeric():
    """The moment derivatives of every step, at a random point, against central differences."""
    # white-box: the private layout and pair order are what the fit uses
    spec = parse_syntax("f =~ NA*a + b + c\ng =~ NA*d + e + h\nb ~~ e", "m")
    rows = [(x1, o, x2, mat, i, j, None) if mat in ("lambda", "psi") else (x1, o, x2, mat, i, j, v)
            for (x1, o, x2, mat, i, j, v) in spec.rows]
    base = CFAModel(delta_spec(type(spec)(spec.observed, spec.latent, rows), "m"))
    rng = np.random.default_rng(2)
    # with partial invariance: a freed loading, all but one threshold of c, an intercept; a binary item
    partial = frozenset({("=~", "f", "b"), ("|", "c", "t1"), ("|", "c", "t2"), ("|", "c", "t3"), ("~1", "e")})
    for eq in INVARIANCE_STEPS.values():
        for part, nth in ((frozenset(), [3, 2, 4, 3, 2, 3]), (partial, [3, 2, 4, 1, 2, 3])):
            lay = _Layout(base, nth, 3, eq, part)
            x = rng.uniform(0.3, 1.2, lay.npar)
            for g in range(3):
                np.testing.assert_allclose(lay.jacobian(x, g, _pairs(6)), lay.numeric_jacobian(x, g, _pairs(6)),
                                           atol=1e-8)
