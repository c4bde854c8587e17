"""``factor_analysis.estimator: WLSMV`` in the study's CFA step (issue 16, item 3).

The step's tables against lavaan: the two-factor model of the committed ECR sample
(tests/fixtures/ordinal, made by make_ordinal_fixtures.R with lavaan 0.6-14) fitted through
:func:`attachstats.steps.measure.study_cfa` must give lavaan's ``fitMeasures()`` in the
mapped columns (chi2 = ``chisq.scaled`` ...) and lavaan's ``std.lv`` estimates and SEs as the
standardised loadings (equal to ``standardizedSolution()`` of the marker fit and its SEs);
the error cases; the report's WLSMV sentence and the suggestion for few categories.
"""

from __future__ import annotations

import re

import json
import math
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest

from attachstats.errors import ConfigError, ModelError
from attachstats.output.report.manuscript import _ordinal_suggestion, build_manuscript
from attachstats.spec.factor import check_factor_config
from attachstats.spec.instrument import load_instrument
from attachstats.stats.latent.ordinal import fit_ordinal_cfa
from attachstats.steps import measure

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ordinal"
REPORT = Path(__file__).resolve().parents[1] / "fixtures" / "report"
REVERSED = {n for sub in load_instrument("ecr").subscales.values() for n in sub.reverse}


def study(**fa) -> dict:
    return {"name": "t", "data": {"path": "x.csv"},
            "instruments": {"ecr": {"instrument": "ecr", "columns": "Q{n}", "response": {"min": 1, "max": 5}}},
            "variables": {"gender": {"column": "gender", "type": "categorical", "reference": "1"}},
            "factor_analysis": {"instrument": "ecr", **fa}}


@lru_cache(maxsize=None)
def clean() -> pd.DataFrame:
    """The ECR sample as clean (unkeyed) data: the fixture's reversed items turned back (6 − x)."""
    d = pd.read_csv(FIX / "ecr_sample.csv")
    out = pd.DataFrame({f"ecr_{n}": (6 - d[f"Q{n}"] if n in REVERSED else d[f"Q{n}"]).astype(float)
                        for n in range(1, 37)})
    out["gender"] = d["gender"].astype(str).astype("string")
    return out


@lru_cache(maxsize=None)
def tables():
    return measure.study_cfa(clean(), study(estimator="WLSMV", models=["one_factor", "two_factor"]))


def test_fit_columns_are_lavaans_scaled_measures() -> None:
    fit = tables()[0].set_index("model")
    ref = json.loads((FIX / "ecr_two_factor.json").read_text())["fit"]
    r = fit.loc["two_factor"]
    assert r["estimator"] == "WLSMV" and r["n"] == 2000 and r["df"] == ref["df"] == 593
    for col, key in [("chi2", "chisq.scaled"), ("p", "pvalue.scaled"), ("cfi", "cfi.scaled"),
                     ("tli", "tli.scaled"), ("rmsea", "rmsea.scaled"), ("rmsea_ci_lo", "rmsea.ci.lower.scaled"),
                     ("rmsea_ci_hi", "rmsea.ci.upper.scaled"), ("srmr", "srmr"), ("chi2_ml", "chisq"),
                     ("npar", "npar"), ("baseline_chi2", "baseline.chisq.scaled"), ("baseline_df", "baseline.df"),
                     ("scaling_factor", "chisq.scaling.factor"),
                     ("baseline_scaling_factor", "baseline.chisq.scaling.factor")]:
        assert float(r[col]) == pytest.approx(float(ref[key]), rel=1e-5, abs=1e-7), col
    assert math.isnan(r["aic"]) and math.isnan(r["bic"]) and math.isnan(r["loglik"])


def test_step_equals_fit_ordinal_cfa() -> None:
    """The mapping, model by model: the step's row is fit_ordinal_cfa's measures under our names."""
    keyed = measure._keyed(clean(), study())
    fit = tables()[0].set_index("model")
    for name, syntax in measure.study_models(study(models=["one_factor", "two_factor"])).items():
        f = fit_ordinal_cfa(syntax, keyed, name=name).fit_measures()
        assert fit.loc[name, "chi2"] == pytest.approx(f["chisq.scaled"], rel=1e-9)
        assert fit.loc[name, "cfi"] == pytest.approx(f["cfi.scaled"], rel=1e-9)
        assert fit.loc[name, "rmsea"] == pytest.approx(f["rmsea.scaled"], rel=1e-9)


def test_standardised_loadings_and_correlation_are_lavaans() -> None:
    _, loadings, corr, _ = tables()
    est = pd.DataFrame(json.loads((FIX / "ecr_two_factor_stdlv.json").read_text())["estimates"])
    lo = est[est["op"] == "=~"].set_index("rhs")
    mine = loadings[loadings["model"] == "two_factor"].set_index("item")
    assert len(mine) == 36
    for n in range(1, 37):
        row, ref = mine.loc[f"ecr_{n}"], lo.loc[f"Q{n}"]
        assert row["factor"] == ref["lhs"]
        assert row["std"] == pytest.approx(ref["est"], abs=1e-5)
        assert (row["std_ci_hi"] - row["std_ci_lo"]) / (2 * 1.959964) == pytest.approx(ref["se"], abs=1e-5)
    first = mine.loc["ecr_2"]        # the marker of anxiety: fixed in the marker fit
    assert first["est"] == 1.0 and math.isnan(first["se"])
    r = est[(est["op"] == "~~") & (est["lhs"] != est["rhs"])].iloc[0]
    c = corr[corr["model"] == "two_factor"].iloc[0]
    assert c["est"] == pytest.approx(r["est"], abs=1e-5) and c["se"] == pytest.approx(r["se"], abs=1e-5)


def test_comparison_reports_no_naive_chi2_difference() -> None:
    comp = tables()[3]
    assert list(comp["estimator"]) == ["WLSMV"] and comp["df_diff"].iloc[0] == 1
    assert comp["chi2_diff"].isna().all() and comp["p"].isna().all()
    fit = tables()[0].set_index("model")
    assert comp["delta_cfi"].iloc[0] == pytest.approx(fit.loc["one_factor", "cfi"] - fit.loc["two_factor", "cfi"])


def test_method_factor_and_custom_syntax_fit() -> None:
    s = study(estimator="WLSMV", models=["two_factor_method",
                                         {"name": "short", "syntax": "anx =~ ecr_2 + ecr_4 + ecr_6\n"
                                                                     "avo =~ ecr_1 + ecr_3 + ecr_5"}])
    fit, loadings, _, _ = measure.study_cfa(clean().iloc[:600], s)
    assert list(fit["model"]) == ["two_factor_method", "short"] and (fit["estimator"] == "WLSMV").all()
    assert fit.set_index("model").loc["short", "df"] == 8
    assert loadings["std_ci_lo"].notna().all()


def test_schema_accepts_wlsmv() -> None:
    from attachstats.spec.study import check_schema
    schema = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "study.schema.yaml"
    check_schema(study(estimator="WLSMV"), schema, "study.yaml")
    with pytest.raises(ConfigError, match="factor_analysis.estimator"):
        check_schema(study(estimator="WLS"), schema, "study.yaml")


@pytest.mark.parametrize("fa,block,match", [
    ({"estimator": "WLSMV", "missing": "fiml"}, {},
     r"factor_analysis.missing: 'fiml' is not available with estimator WLSMV.*set factor_analysis.missing: listwise"),
    ({"estimator": "WLSMV"}, {"response": {"min": 1, "max": 5, "type": "continuous"}},
     r"factor_analysis.estimator: WLSMV .*response type is continuous; set factor_analysis.estimator: ML or MLR"),
])
def test_errors_name_the_key_and_the_fix(fa: dict, block: dict, match: str) -> None:
    s = study(**fa)
    s["instruments"]["ecr"].update(block)
    with pytest.raises(ModelError, match=match):
        measure.study_cfa(clean(), s)
    with pytest.raises(ModelError, match=match):
        measure.study_cross_validation(clean(), s, 1)
    with pytest.raises(ConfigError, match="study 't', " + match):      # `attachstats check`, before a run
        check_factor_config(s)


def test_cross_validation_fits_the_held_out_half_by_wlsmv() -> None:
    items, fit = measure.study_cross_validation(clean().iloc[:800], study(estimator="WLSMV"), 3)
    assert (fit["estimator"] == "WLSMV").all() and (fit["n_cfa"] == 400).all()
    assert items["cfa_std"].between(0, 1).all() and (fit["congruence"] > 0.9).all()


SHORT = "avoidance =~ ecr_1 + ecr_3 + ecr_5 + ecr_7\nanxiety =~ ecr_2 + ecr_4 + ecr_6 + ecr_8"


def test_invariance_steps_are_lavaans_ordinal_steps() -> None:
    """The four semTools/lavaan steps by gender on 8 items (fixtures inv_*.json), through the step."""
    s = study(estimator="WLSMV", models=[{"name": "short", "syntax": SHORT}],
              invariance={"group": "gender", "groups": ["2", "1"], "steps": ["configural", "metric", "scalar", "strict"]})
    inv = measure.study_invariance(clean(), s).set_index("step")
    assert list(inv.index) == ["configural", "thresholds", "metric", "scalar"]
    assert (inv["estimator"] == "WLSMV").all() and math.isnan(inv["chi2_diff"].iloc[0])
    lrt = pd.DataFrame(json.loads((FIX / "lrt_invariance.json").read_text())["sequence"]).set_index("model")
    for st in inv.index[1:]:            # lavTestLRT (satorra.2000, scaled-shifted) of each step vs the one before
        assert inv.loc[st, "chi2_diff"] == pytest.approx(float(lrt.loc[st, "chisq_diff"]), rel=1e-6), st
        assert inv.loc[st, "p_diff"] == pytest.approx(float(lrt.loc[st, "pvalue"]), rel=1e-5), st
    assert "strict invariance is not defined for ordered items" in inv["note"].iloc[0]
    prev = None
    for st in inv.index:
        ref = json.loads((FIX / f"inv_{st}.json").read_text())
        f, r = ref["fit"], inv.loc[st]
        assert r["n"] == sum(ref["n"]) and r["groups"] == ", ".join(ref["groups"]) and r["df"] == f["df"]
        for col, key in [("chi2", "chisq.scaled"), ("cfi", "cfi.scaled"), ("tli", "tli.scaled"),
                         ("rmsea", "rmsea.scaled"), ("srmr", "srmr")]:
            assert float(r[col]) == pytest.approx(float(f[key]), rel=1e-5, abs=1e-7), (st, col)
        if prev is not None:
            assert r["df_diff"] == f["df"] - prev["df"]
            assert r["delta_cfi"] == pytest.approx(f["cfi.scaled"] - prev["cfi.scaled"], abs=1e-6)
        prev = f


def _manuscript_text(tables: dict, s: dict) -> str:
    ms = build_manuscript(s, tables, {}, {"packages": {}, "seed": 1})
    return "\n".join(str(getattr(b, "text", "")) for sec in ms._all_sections() for b in sec.blocks
                     ).replace("\u00a0", " ")


def test_invariance_text_for_wlsmv() -> None:
    s = study(estimator="WLSMV", models=[{"name": "short", "syntax": SHORT}],
              invariance={"group": "gender", "groups": ["2", "1"]})
    inv = measure.study_invariance(clean(), s)
    text = _manuscript_text({"invariance": inv}, s)
    assert "identified as Wu and Estabrook (2016) proposed" in text and "thresholds: scaled-shifted Δχ²(16) = " in text
    assert "The invariance models were estimated by WLSMV." in text
    assert text.count("Δχ²") == text.count("scaled-shifted Δχ²") == 3      # never the naive difference
    assert not re.search(r"\bnan\b", text.lower())


def test_invariance_that_cannot_be_fitted_says_why() -> None:
    s = study(estimator="WLSMV", models=[{"name": "short", "syntax": SHORT}],
              invariance={"group": "gender", "groups": ["2", "1"]})
    d = clean().copy()
    d.loc[d["gender"] == "1", "ecr_2"] = d.loc[d["gender"] == "1", "ecr_2"].clip(lower=2)   # no 1 in group 1
    inv = measure.study_invariance(d, s)
    assert inv["step"].tolist() == ["not tested"]
    assert inv["note"].iloc[0].startswith("the WLSMV invariance models cannot be fitted (model 'invariance': the "
                                          "items have other observed categories")
    assert "set factor_analysis.estimator: ML or MLR" in inv["note"].iloc[0]


def test_ml_invariance_says_ml() -> None:
    inv = measure.study_invariance(clean().iloc[:800], study(models=["two_factor"], invariance={"min_group_n": 50}))
    assert inv["step"].iloc[0] == "configural" and (inv["estimator"] == "ML").all()


# --------------------------------------------------------------------------------------- report

def test_manuscript_sentences_name_wlsmv() -> None:
    fit, _, _, comp = tables()
    s = study(estimator="WLSMV")
    text = _manuscript_text({"cfa_fit": fit, "cfa_comparison": comp}, s)
    assert "Confirmatory factor models were estimated by WLSMV with the items treated as ordered categories" in text
    assert "(a χ² difference test for WLSMV is not computed)" in text
    assert ": Δdf = 1, ΔCFI = " in text and "Δχ²(" not in text


def test_apa_tables_describe_wlsmv() -> None:
    from attachstats.output.labels import study_labels
    from attachstats.output.tables import cfa_comparison_table, cfa_fit_table
    fit, _, _, comp = tables()
    labels = study_labels(study())
    assert "Estimator WLSMV: items treated as ordered" in cfa_fit_table(fit, labels).note
    assert "With WLSMV no Δχ² test is computed" in cfa_comparison_table(comp, labels).note
    from attachstats.output.tables import invariance_table
    inv = measure.study_invariance(clean(), study(estimator="WLSMV", models=[{"name": "short", "syntax": SHORT}],
                                                  invariance={"group": "gender", "groups": ["2", "1"]}))
    assert "Multiple-group CFA of ordered items by WLSMV" in invariance_table(inv, labels).note


def test_suggestion_only_for_ml_with_few_categories() -> None:
    five = study()
    assert "only 5 response categories" in _ordinal_suggestion(five, "ML")
    assert "factor_analysis.estimator: WLSMV" in _ordinal_suggestion(five, "MLR")
    assert _ordinal_suggestion(five, "WLSMV") == ""
    cont = study()
    cont["instruments"]["ecr"]["response"] = {"min": 1, "max": 5, "type": "continuous"}
    assert _ordinal_suggestion(cont, "ML") == ""
    many = study()
    many["instruments"]["ecr"]["response"] = {"min": 0, "max": 10}
    assert _ordinal_suggestion(many, "ML") == " The items (11 response categories) were treated as continuous."


def _body(ms) -> str:
    from test_manuscript import texts     # noqa: PLC0415 (the manuscript tests' reader)
    return " ".join(texts(ms))


def test_manuscript_names_wlsmv_when_used(tmp_path: Path) -> None:
    folder = REPORT / "example"
    prov = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    tabs = {p.stem: pd.read_csv(p) for p in folder.glob("*.csv")}
    st = dict(prov["config"])
    ml = _body(build_manuscript(st, tabs, {}, prov))
    assert "only 7 response categories" in ml and "factor_analysis.estimator: WLSMV" in ml
    fit, _, _, comp = tables()
    inv = measure.study_invariance(clean(), study(estimator="WLSMV", models=[{"name": "short", "syntax": SHORT}],
                                                  invariance={"group": "gender", "groups": ["2", "1"]}))
    tabs = dict(tabs, cfa_fit=fit, cfa_comparison=comp, invariance=inv)
    st["factor_analysis"] = dict(st["factor_analysis"], estimator="WLSMV")
    ms = build_manuscript(st, tabs, {}, prov)
    text = _body(ms)
    assert "WLSMV with the items treated as ordered categories" in text
    assert "diagonally weighted least squares on polychoric correlations" in text
    assert "Muthén et al., 1997" in text and "Flora & Curran, 2004" in text
    assert "response categories" not in text
    assert "Δdf = 1" in text and "BIC favours" not in text
    assert "the two-factor model had the highest CFI" in text and "lowest BIC" not in text
    assert "identified as Wu and Estabrook (2016) proposed" in text
    assert "The invariance models were estimated by WLSMV." in text and "thresholds: scaled-shifted Δχ²(16) = " in text
    assert not re.search(r"\bnan\b", text.lower())
    inv_note = [t for t in ms.tables if t.key == "invariance"][0].model.note
    assert "Estimator: WLSMV." in inv_note and "scaled-shifted difference test" in inv_note
    note = [t for t in ms.tables if t.key == "cfa_fit"][0].model.note
    assert "scaled-shifted" in note and "BIC" not in note
