"""Full lavaan syntax → parameter table → estimation, against lavaan 0.6-14.

Fixtures: tests/fixtures/lavaan_syntax (made by make_lavaan_syntax_fixtures.R): lavaan's
PoliticalDemocracy SEM (labels, equality, residual covariances; also with std.lv),
Holzinger–Swineford CFA, latent mediation with defined indirect and total effects (ML, MLR,
FIML and MLR with FIML on data with missing responses), a second-order factor, a MIMIC model
with fixed exogenous covariates (ML and MLR), fixed/start values and an == constraint, partial scalar invariance by
school, metric invariance with MLR, and a strict model with latent (co)variances and means
equal and one loading freed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import attachstats
from attachstats.errors import ModelError
from attachstats.stats.latent import api
from attachstats.stats.latent.api import sem
from attachstats.stats.latent.estimation import evaluate
from attachstats.stats.latent.syntax import PARTABLE_COLUMNS, lavaanify, parse_statements

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "lavaan_syntax"
MODELS = pd.read_csv(FIX / "models.csv", keep_default_na=False)
DATA = {"pd": pd.read_csv(FIX / "political_democracy.csv"), "hs": pd.read_csv(FIX / "holzinger_swineford.csv"),
        "hsm": pd.read_csv(FIX / "hs_missing.csv")}
IDS = MODELS["model"].tolist()


def _opts(m: pd.Series) -> dict:
    return {"estimator": m["estimator"], "missing": m["missing"], "group": m["group"] or None,
            "group_equal": [x for x in m["group_equal"].split(";") if x],
            "group_partial": [x for x in m["group_partial"].split(";") if x],
            "std_lv": m["std_lv"] in (True, "TRUE"), "name": m.get("model", m.name)}


@pytest.fixture(scope="module")
def fits() -> dict:
    return {m["model"]: sem(m["syntax"], DATA[m["data"]], **_opts(m)) for _, m in MODELS.iterrows()}


@pytest.mark.parametrize("model_id", IDS)
def test_parameter_table_is_lavaans(model_id: str) -> None:
    m = MODELS.set_index("model").loc[model_id]
    o = _opts(m)
    ours = lavaanify(m["syntax"], model_id, ngroups=2 if o["group"] else 1, std_lv=o["std_lv"],
                     missing=o["missing"], group_equal=o["group_equal"], group_partial=o["group_partial"]).rows
    ref = pd.read_csv(FIX / "partable.csv", keep_default_na=False, na_values=[""])
    ref = ref[ref["model"] == model_id].reset_index(drop=True)
    assert list(ours.columns) == PARTABLE_COLUMNS
    assert len(ours) == len(ref)
    for c in ["id", "user", "block", "group", "free", "exo"]:
        assert ours[c].astype(int).tolist() == ref[c].astype(int).tolist(), c
    for c in ["lhs", "op", "rhs", "label", "plabel"]:
        assert ours[c].fillna("").astype(str).tolist() == ref[c].fillna("").astype(str).tolist(), c
    u1, u2 = ours["ustart"].to_numpy(float), ref["ustart"].to_numpy(float)
    assert np.array_equal(np.isnan(u1), np.isnan(u2))
    np.testing.assert_allclose(u1[~np.isnan(u1)], u2[~np.isnan(u2)])


#: PoliticalDemocracy (N = 75) has a flat likelihood: lavaan's nlminb stops within ~1e-4 of the
#: optimum in the residual covariances (rel.tol = 1e-14 moves them by 2e-5) while χ² agrees to
#: 1e-7; elsewhere estimates agree to ~1e-5 (lavaan's own convergence).
EST_TOL = {"pd_sem": 3e-4}


@pytest.mark.parametrize("model_id", IDS)
def test_estimates_ses_and_standardised_solutions_match_lavaan(fits: dict, model_id: str) -> None:
    ours = fits[model_id].parameters()
    ref = pd.read_csv(FIX / "estimates.csv", keep_default_na=False, na_values=[""])
    ref = ref[ref["model"] == model_id].copy()
    ref["rhs"] = ref["rhs"].fillna("")
    ref["group"] = ref["group"].fillna(0).astype(int)
    mg = ref.merge(ours, on=["lhs", "op", "rhs", "group"], how="left", suffixes=("", "_o"))
    assert mg["est_o"].notna().all(), mg.loc[mg["est_o"].isna(), ["lhs", "op", "rhs"]]
    assert len(ours) == len(ref)
    tol = EST_TOL.get(model_id, 2e-5)
    for c in ["est", "se", "std.all", "std.all.se", "std.lv", "std.lv.se"]:
        both = mg[c].notna()
        np.testing.assert_allclose(mg.loc[both, c + "_o"], mg.loc[both, c], atol=tol, rtol=0, err_msg=c)
    labelled = mg[mg["label"].fillna("") != ""]
    assert (labelled["label"] == labelled["label_o"]).all()


@pytest.mark.parametrize("model_id", IDS)
def test_fit_measures_match_lavaan(fits: dict, model_id: str) -> None:
    ours = fits[model_id].fit_measures()
    ref = pd.read_csv(FIX / "fit_measures.csv")
    ref = ref[ref["model"] == model_id].set_index("measure")["value"]
    assert set(api.FIT_MEASURE_NAMES) <= set(ours)
    m = MODELS.set_index("model").loc[model_id]
    compared = 0
    for k, v in ours.items():
        if k in ref.index and np.isfinite(ref[k]):
            # FIML's robust indices move to first order with lavaan's EM moments, which stop at
            # em.h1.tol = 1e-5; test_mlr_fiml.py checks them at 1e-6 against a converged EM
            rel = 2e-5 if (m["missing"] == "fiml" and "robust" in k) else 1e-6
            assert v == pytest.approx(ref[k], rel=rel, abs=1e-6), k
            compared += 1
    assert compared >= len(api.FIT_MEASURE_NAMES) - 2      # lavaan leaves rfi, nfi NA for hs_strict_lv
    if m["estimator"] == "MLR" or m["missing"] == "fiml":
        if m["estimator"] == "MLR":
            for k in ["chisq.scaled", "cfi.scaled", "tli.scaled", "rmsea.scaled", "rmsea.ci.upper.scaled"]:
                assert k in ours
        for k in ["cfi.robust", "tli.robust", "rmsea.robust", "rmsea.ci.lower.robust"]:
            assert k in ours and k in ref.index, k


def test_defined_indirect_effect_has_a_delta_method_se(fits: dict) -> None:
    p = fits["hs_mediation"].parameters().set_index(["lhs", "op"])
    a, b = p.loc[("textual", "~"), "est"], p.loc[("speed", "~"), "est"].iloc[0]
    assert p.loc[("ind", ":="), "est"] == pytest.approx(a * b)
    assert p.loc[("ind", ":="), "se"] > 0


def test_r2_of_every_endogenous_variable(fits: dict) -> None:
    r2 = fits["hs_mimic"].parameters().query("op == 'r2'")
    assert set(r2["lhs"]) == {"x1", "x2", "x3", "x4", "x5", "x6", "x9", "visual", "textual"}


@pytest.mark.parametrize("model_id", ["hs_cfa", "pd_sem", "hs_mimic"])
def test_modification_indices_match_lavaan(fits: dict, model_id: str) -> None:
    ours = fits[model_id].modindices()
    assert ours["mi"].is_monotonic_decreasing                     # ranked
    ref = pd.read_csv(FIX / "modindices.csv")
    ref = ref[ref["model"] == model_id]
    mg = ref.merge(ours, on=["lhs", "op", "rhs"], how="outer", suffixes=("", "_o"), indicator=True)
    # every candidate lavaan lists, and no other (up to tests of fixed exogenous moments with MI ≈ 0)
    assert (mg["_merge"] != "left_only").all()
    assert (mg.loc[mg["_merge"] == "right_only", "mi_o"] < 1e-10).all()
    mg = mg[mg["_merge"] == "both"]
    # not matched: regressions of a fixed exogenous covariate (lavaan frees its moments there)
    x_lhs = mg["op"].eq("~") & mg["lhs"].isin(fits[model_id].partable.ov_x)
    mg = mg[~x_lhs]
    assert len(mg) >= 30
    np.testing.assert_allclose(mg["mi_o"], mg["mi"], atol=2e-4, rtol=1e-5)
    mg = mg[mg["mi"] > 1e-10]                 # fixed exogenous moments: MI 0, lavaan's sepc NaN
    for c, tol in [("epc", 5e-5), ("sepc.all", 5e-5), ("sepc.lv", 5e-5)]:
        np.testing.assert_allclose(mg[c + "_o"], mg[c], atol=tol, rtol=1e-5, err_msg=c)
    top = ours.iloc[0]
    want = ref.sort_values("mi").iloc[-1]
    assert (top["lhs"], top["op"], top["rhs"]) == (want["lhs"], want["op"], want["rhs"])


def test_public_entry_point_is_the_same_function() -> None:
    assert attachstats.sem is sem


def test_ordered_items_are_fitted_by_wlsmv_through_sem() -> None:
    """sem(ordered=...) reaches the ordinal module and reproduces lavaan's WLSMV fixture."""
    fix = Path(__file__).resolve().parents[1] / "fixtures" / "ordinal"
    ref = json.loads((fix / "ecr_small.json").read_text())
    data = pd.read_csv(fix / "ecr_sample.csv")
    res = sem(ref["model"], data, ordered=ref["items"])
    fm = res.fit_measures()
    for key in ("chisq", "chisq.scaled", "cfi.scaled", "rmsea.scaled"):
        assert fm[key] == pytest.approx(ref["fit"][key], rel=1e-5, abs=1e-8), key
    with pytest.raises(ModelError, match="group_partial 'f1=~q2': the model has no loading"):
        sem(ref["model"], data[data["gender"].isin([1, 2])], ordered=ref["items"], group="gender",
            group_equal=["thresholds", "loadings"], group_partial=["f1=~q2"])
    with pytest.raises(ModelError, match="missing='fiml' is not implemented for ordered items"):
        sem(ref["model"], data, ordered=ref["items"], missing="fiml")
    with pytest.raises(ModelError, match="DWLS.*not implemented"):
        sem(ref["model"], data, estimator="DWLS")


def test_registered_estimator_is_dispatched(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setitem(api.ESTIMATORS, "WLSMV", lambda syntax, data, **kw: calls.append(kw) or "fitted")
    assert sem("f =~ x1 + x2 + x3", DATA["hs"], ordered=["x1", "x2", "x3"]) == "fitted"
    assert calls[0]["ordered"] == ["x1", "x2", "x3"] and calls[0]["estimator"] == "WLSMV"


@pytest.mark.parametrize("syntax, message", [
    ("f =~ x1 + x2 + x3\na > 0", "inequality"),
    ("f =~ x1 + a*x2 + b*x3\na == b^2", "non-linear"),
    ("f =~ x1 + x2 + x3\nf <~ x4", "formative"),
    ("f =~ x1 + lower(0)*x2 + x3", "not implemented"),
    ("f =~ x1 + x2 + x3\nd := q*2", "unknown label"),
    ("", "empty"),
])
def test_unsupported_or_bad_syntax_raises_a_model_error(syntax: str, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        sem(syntax, DATA["hs"])


def test_linear_equality_constraint_is_solved_in_the_null_space() -> None:
    res = sem("visual =~ x1 + a*x2 + b*x3\na == 2*b - 0.2", DATA["hs"])
    p = res.parameters().set_index(["lhs", "op", "rhs"])["est"]
    assert p[("visual", "=~", "x2")] == pytest.approx(2 * p[("visual", "=~", "x3")] - 0.2)
    assert res.fit_measures()["df"] == 1


def test_options_that_are_not_implemented_say_so() -> None:
    with pytest.raises(ModelError, match="FIML and fixed exogenous covariates"):
        sem("visual =~ x1 + x2 + x3\nvisual ~ ageyr", DATA["hsm"], estimator="MLR", missing="fiml")
    with pytest.raises(ModelError, match="group_equal"):
        sem("visual =~ x1 + x2 + x3", DATA["hs"], group="school", group_equal=["loadingz"])
    with pytest.raises(ModelError, match="grouping variable"):
        sem("visual =~ x1 + x2 + x3", DATA["hs"], group_equal=["loadings"])


def test_statement_parser_reads_modifiers() -> None:
    st = parse_statements("f =~ 1*x1 + start(0.5)*x2 + lab*x3 + c(a1, a2)*x4 + NA*x5\nx1 ~ 0*1")
    assert st[0].mod.fixed == [1.0] and st[1].mod.start == [0.5] and st[2].mod.label == ["lab"]
    assert st[3].mod.label == ["a1", "a2"] and st[4].mod.fixed == [None]
    assert (st[5].lhs, st[5].op, st[5].mod.fixed) == ("x1", "~1", [0.0])
    assert evaluate("a*b+c", {"a": 2.0, "b": 3.0, "c": 1.0}) == 7.0


def test_bootstrap_intervals_agree_with_lavaans_within_monte_carlo_error(fits: dict) -> None:
    """lavaan se = "bootstrap" (B = 2000) vs ours (B = 400): another generator, so only within
    Monte Carlo error: bootstrap SEs within 20%, percentile bounds within half an SE."""
    res = fits["hs_mediation"]
    assert res.bootstrap(20, seed=7).equals(res.bootstrap(20, seed=7))    # seeded: reproducible
    boot = res.bootstrap(400, seed=7)
    assert (boot["n_boot"] == 400).all()
    ref = pd.read_csv(FIX / "bootstrap.csv")
    m = ref.merge(boot, on=["lhs", "op", "rhs"])
    m = m[m["op"].isin(["~", ":="])]
    assert len(m) == 5
    np.testing.assert_allclose(m["boot.se"], m["se"], rtol=0.2)
    assert ((m["boot.ci.lower"] - m["ci.lower"]).abs() < 0.5 * m["se"]).all()
    assert ((m["boot.ci.upper"] - m["ci.upper"]).abs() < 0.5 * m["se"]).all()


def test_label_vectors_per_group_equal_group_equal(fits: dict) -> None:
    """c(l2, l2)*x2 … per group is the same model as group_equal = loadings (metric invariance)."""
    hs = DATA["hs"]
    syntax = ("visual =~ x1 + c(l2, l2)*x2 + c(l3, l3)*x3\ntextual =~ x4 + c(l5, l5)*x5 + c(l6, l6)*x6\n"
              "speed =~ x7 + c(l8, l8)*x8 + c(l9, l9)*x9")
    by_labels = sem(syntax, hs, group="school").fit_measures()
    metric = fits["hs_metric_mlr"].fitted.fit          # same model, fitted with MLR: same ML χ²
    assert by_labels["chisq"] == pytest.approx(metric["chisq"], rel=1e-9)
    assert by_labels["df"] == metric["df"] and by_labels["npar"] == metric["npar"]
    fixed = sem("visual =~ x1 + c(NA, 0.5)*x2 + x3", hs, group="school").parameters()
    row = fixed[(fixed["rhs"] == "x2") & (fixed["op"] == "=~")].set_index("group")
    assert row.loc[2, "est"] == 0.5 and row.loc[2, "se"] == 0 and row.loc[1, "se"] > 0


def test_statements_continue_over_lines() -> None:
    st = parse_statements("f =~ x1 +\n  x2\n     + x3 # comment\ng =~ y1 + y2; g ~~ 0*f")
    assert [(s.lhs, s.op, s.rhs) for s in st] == [("f", "=~", "x1"), ("f", "=~", "x2"), ("f", "=~", "x3"),
                                                  ("g", "=~", "y1"), ("g", "=~", "y2"), ("g", "~~", "f")]


def test_a_heywood_case_warns_and_unidentified_models_raise() -> None:
    rng = np.random.default_rng(3)                     # r_ab r_ac / r_bc = 1.25: θ_a < 0
    r = np.array([[1, .5, .5], [.5, 1, .2], [.5, .2, 1]])
    d = pd.DataFrame(rng.multivariate_normal(np.zeros(3), r, size=2000), columns=["a", "b", "c"])
    with pytest.warns(UserWarning, match="Heywood"):
        res = sem("f =~ a + b + c", d)
    p = res.parameters()
    assert p.loc[(p["lhs"] == "a") & (p["op"] == "~~"), "est"].iloc[0] < 0
    with pytest.raises(ModelError, match="not identified"):
        sem("f =~ x1 + x2 + x3\ng =~ x4 + x5 + x6\nf ~ g\ng ~ f", DATA["hs"])
    with pytest.raises(ModelError, match="not in the data"):
        sem("f =~ x1 + x2 + zz", DATA["hs"])


@pytest.mark.parametrize("model_id", ["pd_sem", "hs_partial_scalar", "hs_mediation"])
def test_par_table_carries_lavaans_estimates(fits: dict, model_id: str) -> None:
    ours = fits[model_id].par_table()
    ref = pd.read_csv(FIX / "partable.csv", keep_default_na=False, na_values=[""])
    ref = ref[ref["model"] == model_id].reset_index(drop=True)
    par = ref["op"] != "=="
    tol = EST_TOL.get(model_id, 2e-5)
    np.testing.assert_allclose(ours.loc[par, "est"].astype(float), ref.loc[par, "est"], atol=tol)
    np.testing.assert_allclose(ours.loc[par & (ref["op"] != ":="), "se"].astype(float),
                               ref.loc[par & (ref["op"] != ":="), "se"], atol=tol)


def test_meanstructure_and_orthogonal_options() -> None:
    hs = DATA["hs"]
    m = sem("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6", hs, meanstructure=True)
    p = m.parameters()
    ints = p[p["op"] == "~1"].set_index("lhs")["est"]
    assert ints["x1"] == pytest.approx(hs["x1"].mean()) and ints["visual"] == 0
    assert m.fit_measures()["df"] == 8                       # the saturated means add no df
    o = sem("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6", hs, orthogonal=True).fit_measures()
    assert o["df"] == 9


#: thresholds per ordered variable of the ordinal fixture (x3 was cut into 2 categories)
ORDERED = {"x1": 2, "x2": 2, "x3": 1, "x4": 2, "x5": 2, "x6": 2}


@pytest.mark.parametrize("model_id, options", [
    ("hs_ord", {}), ("hs_ord_mg", {"ngroups": 2, "group_equal": ["thresholds", "loadings"]})])
def test_ordinal_parameter_table_is_lavaans(model_id: str, options: dict) -> None:
    """Thresholds, delta scale rows, fixed residual variances and intercepts (lavaan's
    parameterisation = "delta"): the table the ordinal estimator starts from."""
    ours = lavaanify("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6", model_id, ordered=ORDERED,
                     **options).rows
    ref = pd.read_csv(FIX / "partable_ordinal.csv", keep_default_na=False, na_values=[""])
    ref = ref[ref["model"] == model_id].reset_index(drop=True)
    assert len(ours) == len(ref)
    for c in ["id", "user", "block", "group", "free", "exo"]:
        assert ours[c].astype(int).tolist() == ref[c].astype(int).tolist(), c
    for c in ["lhs", "op", "rhs", "label", "plabel"]:
        assert ours[c].fillna("").astype(str).tolist() == ref[c].fillna("").astype(str).tolist(), c
    u1, u2 = ours["ustart"].to_numpy(float), ref["ustart"].to_numpy(float)
    assert np.array_equal(np.isnan(u1), np.isnan(u2))
    np.testing.assert_allclose(u1[~np.isnan(u1)], u2[~np.isnan(u2)])


def test_threshold_statements_and_the_ml_engine() -> None:
    st = parse_statements("x1 | a*t1 + t2")
    assert [(s.lhs, s.op, s.rhs) for s in st] == [("x1", "|", "t1"), ("x1", "|", "t2")]
    pt = lavaanify("f =~ x1 + x2 + x3\nx1 | t1 + t2")
    assert pt.ov_ord == ["x1"] and pt.meanstructure
    from attachstats.stats.latent.engine import LISRELModel
    with pytest.raises(ModelError, match="ordinal estimator"):
        LISRELModel(pt)


def test_fiml_leaves_out_rows_with_a_missing_covariate_and_says_so() -> None:
    d = DATA["hsm"].copy()
    d.loc[:4, "ageyr"] = np.nan
    with pytest.warns(UserWarning, match="5 row"):
        res = sem("visual =~ x1 + x2 + x3\nvisual ~ ageyr", d, missing="fiml")
    assert res.fit_measures()["ntotal"] == len(d) - 5
