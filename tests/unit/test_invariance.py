"""Multiple-group CFA and measurement invariance against lavaan 0.6-14 / semTools 0.5-6.

Fixture: ``tests/fixtures/factor/`` (``make_factor_fixtures.R``): the two-factor ECR model
on the open ECR sample split by gender (971 men, 1,974 women), lavaan
``cfa(group = "gender", group.equal = ...)`` and ``semTools::compareFit``.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.stats.latent.cfa import fit_cfa
from attachstats.stats.latent.syntax import build_model_syntax
from attachstats.errors import ModelError
from attachstats.stats.latent.invariance import (INVARIANCE_COLUMNS, STEPS, fit_multigroup,
                                    invariance_table)

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "factor"
Q = [f"Q{i}" for i in range(1, 37)]
SYNTAX = build_model_syntax({"avoidance": Q[0::2], "anxiety": Q[1::2]})
ALL_STEPS = ("configural", "metric", "scalar", "strict")
NAMES = {"chi2": "chisq", "df": "df", "p": "pvalue", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea",
         "rmsea_ci_lo": "rmsea.ci.lower", "rmsea_ci_hi": "rmsea.ci.upper", "srmr": "srmr",
         "aic": "aic", "bic": "bic", "loglik": "logl", "npar": "npar", "n": "ntotal",
         "baseline_chi2": "baseline.chisq", "baseline_df": "baseline.df"}


@lru_cache(maxsize=None)
def data() -> pd.DataFrame:
    return pd.read_csv(FIX / "ecr_groups.csv")


@lru_cache(maxsize=None)
def sequence():
    return invariance_table(data(), SYNTAX, "gender", steps=ALL_STEPS, groups=["female", "male"])


def lavaan(step: str) -> pd.Series:
    fm = pd.read_csv(FIX / "fit_measures.csv")
    return fm[(fm["data"] == "ecr_groups") & (fm["model"] == step)].iloc[0]


@pytest.mark.parametrize("k", range(4))
def test_fit_of_each_step_matches_lavaan(k: int) -> None:
    res = sequence()[1][k]
    ref = lavaan(ALL_STEPS[k])
    bad = []
    for key, lav in NAMES.items():
        ours, theirs = res.fit[key], float(ref[lav])
        if key in ("df", "npar", "n", "baseline_df"):
            ok = ours == theirs
        elif key in ("chi2", "aic", "bic", "loglik", "baseline_chi2"):
            ok = abs(ours - theirs) <= 1e-6 * abs(theirs)
        else:
            ok = abs(ours - theirs) <= 1e-6
        if not ok:
            bad.append(f"{key}: ours {ours!r}, lavaan {theirs!r}")
    assert not bad, f"{ALL_STEPS[k]}: " + "; ".join(bad)


@pytest.mark.parametrize("k", range(4))
def test_estimates_of_each_step_match_lavaan(k: int) -> None:
    res = sequence()[1][k]
    est = pd.read_csv(FIX / "estimates.csv").fillna({"rhs": ""})
    ref = est[(est["data"] == "ecr_groups") & (est["model"] == ALL_STEPS[k])].copy()
    ref = ref[ref["op"] != "=="]                                    # lavaan's constraint rows
    ref["group"] = ref["group"].map({1: "female", 2: "male"})        # lavaan orders groups as found
    ours = res.parameters
    m = ours.merge(ref, on=["group", "lhs", "op", "rhs"], suffixes=("", "_lav"), validate="1:1")
    assert len(m) == len(ours) == len(ref)
    np.testing.assert_allclose(m["est"], m["est_lav"], atol=1e-4)
    free = m["free"].to_numpy(bool)
    np.testing.assert_allclose(m.loc[free, "se"], m.loc[free, "se_lav"], rtol=1e-3)
    np.testing.assert_allclose(m["std"], m["std_lav"], atol=1e-4)
    # equality constraints hold exactly
    kinds = STEPS[ALL_STEPS[k]]
    wide = ours.pivot_table(index=["lhs", "op", "rhs"], columns="group", values="est")
    loads = wide.loc[[i for i in wide.index if i[1] == "=~"]]
    assert (np.abs(loads["female"] - loads["male"]).max() < 1e-12) == ("loadings" in kinds)


def test_invariance_table_matches_semtools_comparefit() -> None:
    tab = sequence()[0]
    assert list(tab.columns) == INVARIANCE_COLUMNS
    assert tab["step"].tolist() == list(ALL_STEPS)
    assert tab.loc[0, ["chi2_diff", "df_diff", "p_diff", "delta_cfi"]].isna().all()
    ref = pd.read_csv(FIX / "invariance.csv")
    for col, rcol in [("chi2_diff", "chi2_diff"), ("df_diff", "df_diff"), ("p_diff", "p"),
                      ("delta_cfi", "delta_cfi"), ("delta_rmsea", "delta_rmsea"),
                      ("delta_srmr", "delta_srmr"), ("delta_aic", "delta_aic"),
                      ("delta_bic", "delta_bic")]:
        ours = tab[col].to_numpy(float)[1:]
        theirs = ref[rcol].to_numpy(float)
        rel = col in ("chi2_diff", "delta_aic", "delta_bic")
        np.testing.assert_allclose(ours, theirs, rtol=1e-5 if rel else 0, atol=0 if rel else 1e-6,
                                   err_msg=col)
    assert tab["groups"].iloc[0] == "female, male" and tab["group"].iloc[0] == "gender"


def test_one_group_configural_equals_single_group_cfa_per_group() -> None:
    """Configural χ² is the sum of the groups' single-group χ² (mean structure saturated)."""
    d = data()
    conf = sequence()[1][0]
    parts = [fit_cfa(d[d["gender"] == g], SYNTAX, g).fit for g in ("female", "male")]
    assert conf.fit["chi2"] == pytest.approx(sum(p["chi2"] for p in parts), rel=1e-8)
    assert conf.fit["loglik"] == pytest.approx(sum(p["loglik"] for p in parts), rel=1e-10)


def test_latent_means_free_only_with_equal_intercepts() -> None:
    res = sequence()[1]
    for k, step in enumerate(ALL_STEPS):
        par = res[k].parameters
        lm = par[(par["op"] == "~1") & par["lhs"].isin(["avoidance", "anxiety"])]
        free_male = lm.loc[lm["group"] == "male", "free"].all()
        assert free_male == ("intercepts" in STEPS[step])
        assert not lm.loc[lm["group"] == "female", "free"].any()


def test_group_errors() -> None:
    d = data()
    with pytest.raises(ModelError, match="grouping variable 'sex' is not in the data"):
        fit_multigroup(d, SYNTAX, "sex", "m")
    with pytest.raises(ModelError, match="group\\(s\\) other of 'gender' do not occur"):
        fit_multigroup(d, SYNTAX, "gender", "m", groups=["female", "other"])
    with pytest.raises(ModelError, match="at least two groups"):
        fit_multigroup(d[d["gender"] == "male"], SYNTAX, "gender", "m")
    with pytest.raises(ModelError, match="unknown equality constraint\\(s\\) slopes"):
        fit_multigroup(d, SYNTAX, "gender", "m", equal=("slopes",))
    small = pd.concat([d[d["gender"] == "male"].head(20), d[d["gender"] == "female"]])
    with pytest.raises(ModelError, match="group 'male' of 'gender' has 20 complete cases"):
        fit_multigroup(small, SYNTAX, "gender", "m")
    with pytest.raises(ModelError, match="unknown invariance step"):
        invariance_table(d, SYNTAX, "gender", steps=("configural", "partial"))
