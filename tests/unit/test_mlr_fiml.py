"""MLR together with FIML (and ML with FIML): robust SEs, the Yuan–Bentler scaled test and
lavaan's FIML-corrected robust CFI/TLI/RMSEA, one group and metric invariance by school, on
Holzinger–Swineford with planted MAR + MCAR missingness.

Fixtures: tests/fixtures/lavaan_syntax/make_mlr_fiml_fixtures.R (lavaan 0.6-14), each fit
with lavaan's default EM tolerance for the saturated model and with a converged EM.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

import attachstats

FIX = ROOT / "tests" / "fixtures" / "lavaan_syntax"
REF = json.loads((FIX / "mlr_fiml.json").read_text())
ROBUST = ["cfi.robust", "tli.robust", "nnfi.robust", "rni.robust", "rmsea.robust", "rmsea.ci.lower.robust",
          "rmsea.ci.upper.robust", "rmsea.pvalue.robust", "rmsea.notclose.pvalue.robust"]


@pytest.fixture(scope="module")
def fits() -> dict:
    hs = pd.read_csv(FIX / "hs_mar.csv")
    out = {}
    for name, case in REF["cases"].items():
        a = case["args"]
        out[name] = attachstats.sem(REF["model"], hs, estimator=a["estimator"], missing="fiml",
                                    group=a.get("group"), group_equal=[a["group.equal"]] if "group.equal" in a else [])
    return out


def test_planted_missingness_is_mar_and_mcar():
    hs = pd.read_csv(FIX / "hs_mar.csv")
    miss = hs[[f"x{i}" for i in range(1, 10)]].isna().mean()
    assert miss[["x1", "x4", "x7"]].eq(0).all() and (miss[["x2", "x3", "x5", "x6", "x8", "x9"]] > 0.1).all()


@pytest.mark.parametrize("case", list(REF["cases"]))
def test_estimates_and_robust_ses_match_lavaan(fits, case):
    ref = pd.DataFrame(REF["cases"][case]["default"]["estimates"]).fillna({"rhs": ""})
    m = ref.merge(fits[case].parameters(), on=["lhs", "op", "rhs", "group"], suffixes=("_lav", ""))
    assert len(m) == len(ref)
    np.testing.assert_allclose(m["est"], m["est_lav"], atol=1e-5)
    np.testing.assert_allclose(m["se"], m["se_lav"], atol=2e-5)


@pytest.mark.parametrize("case", list(REF["cases"]))
def test_fit_measures_match_lavaan_with_converged_em(fits, case):
    """Every fit measure both report, robust ones included, against lavaan with em.h1.tol = 1e-12."""
    ours = fits[case].fit_measures()
    ref = REF["cases"][case]["converged"]["fit"]
    shared = [k for k in ours if k in ref and ref[k] != "NA"]
    assert set(ROBUST) <= set(shared)
    if REF["cases"][case]["args"]["estimator"] == "MLR":
        assert {"chisq.scaled", "chisq.scaling.factor", "cfi.scaled", "rmsea.scaled"} <= set(shared)
    for k in shared:
        assert ours[k] == pytest.approx(ref[k], rel=5e-6, abs=1e-6), k


@pytest.mark.parametrize("case", list(REF["cases"]))
def test_robust_indices_near_lavaan_defaults(fits, case):
    """lavaan's default EM (tolerance 1e-5) moves the robust indices in the fifth digit, no more."""
    ours = fits[case].fit_measures()
    ref = REF["cases"][case]["default"]["fit"]
    for k in ROBUST:
        assert ours[k] == pytest.approx(ref[k], rel=5e-4, abs=1e-6), k
    assert not math.isclose(ref["cfi.robust"], ref["cfi"], rel_tol=1e-4)   # the correction is not a no-op
