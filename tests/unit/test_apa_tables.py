"""The APA table set (output.tables), study labels (output.labels) and the layout of the writers."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from attachstats.output.apa import (LANDSCAPE_WIDTH_IN, PORTRAIT_WIDTH_IN, TableModel, latex, layout,
                                    write_docx_tables)
from attachstats.output.labels import StudyLabels, efa_factor_names, study_labels
from attachstats.output.numbers import MINUS, format_value
from attachstats.output.tables import (apa_table_set, correlation_matrix_table, mediation_tables, moderation_tables,
                                       regression_tables, relabel_text, write_formatted_tables)
from attachstats.spec.study import check_schema, read_yaml, resolve_study
from attachstats.stats.descriptives import correlation_table

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "apa_tables"


def load_study(name: str) -> dict:
    path = ROOT / "config" / "studies" / f"{name}.yaml"
    data = read_yaml(path)
    check_schema(data, ROOT / "workflow" / "schemas" / "study.schema.yaml", str(path))
    return resolve_study(data, path)


# --------------------------------------------------------------------------------------------
# labels

def test_labels_come_from_instrument_and_study_files() -> None:
    lab = study_labels(load_study("example"))
    assert lab.variable("ecr_anxiety") == "Attachment anxiety"          # subscale label, ecr-r.yaml
    assert lab.variable("phq9_total") == "Depressive symptoms"
    assert lab.variable("loss") == "Relationship loss (past 12 months)"  # label: in the study file
    assert lab.variable("age") == "Age"                                  # no label: the name in words
    assert lab.variable("ecr_9") == "9. seldom worries about partner leaving (R)"
    assert lab.model("depression_caseness").startswith("Probable depression")
    assert lab.model("two_factor_method") == "Two factors + method factor"
    assert lab.factor("anxiety") == "Attachment anxiety" and lab.factor("method").startswith("Method factor")
    assert lab.instruments["ecr"] == "Experiences in Close Relationships - Revised (ECR-R)"
    assert lab.term("gender[T.Male]") == "Gender (male vs female)"
    assert lab.term("ecr_anxiety:loss") == "Attachment anxiety × Relationship loss (past 12 months)"
    assert lab.term("gender[T.Male]:loss") == "Gender (male vs female) × Relationship loss (past 12 months)"
    assert lab.term("(Intercept)") == "Intercept"
    assert lab.exp_label("depression_caseness") == "OR" and lab.exp_label("panic_attacks") == "IRR"
    assert lab.stat_label("depression") == "t" and lab.stat_label("depression_caseness") == "z"
    assert lab.outcomes["depression_caseness"] == "Depressive symptoms ≥ 10 (1) vs below (0)"
    frame = lab.frame()
    assert list(frame.columns) == ["kind", "name", "label"]
    assert {"variable", "score", "item", "model", "factor", "instrument"} <= set(frame["kind"])
    assert (frame.loc[frame["name"] == "panic_attacks", "kind"] == "variable").any()   # a variable and a model


def test_same_construct_in_two_instruments_gets_the_abbreviation() -> None:
    study = {"name": "s", "instruments": {"ecr": {"instrument": "ecr-r", "columns": "E{n}"},
                                          "ecrs": {"instrument": "ecr-s", "columns": "S{n}"}}}
    lab = study_labels(study)
    assert lab.variable("ecr_anxiety") == "Attachment anxiety (ECR-R)"
    assert lab.variable("ecrs_anxiety") == "Attachment anxiety (ECR-S)"
    assert lab.variable("ecr_avoidance") != lab.variable("ecrs_avoidance")
    same = study_labels({"name": "s", "instruments": {"mother": {"instrument": "ecr-rs", "columns": "M{n}"},
                                                      "partner": {"instrument": "ecr-rs", "columns": "P{n}"}}})
    assert same.variable("mother_anxiety") == "Attachment anxiety (Mother)"


def test_an_inline_instrument_without_labels_falls_back_to_its_abbreviation() -> None:
    study = {"name": "s", "instruments": {"mine": {"columns": "M{n}", "definition": {
        "id": "my-scale", "response": {"min": 1, "max": 5}, "n_items": 4, "scoring": "mean",
        "subscales": {"total": {"items": "1-4"}}}}}}
    assert study_labels(study).variable("mine_total") == "MY-SCALE total"


def test_efa_factors_are_named_by_the_subscale_their_loadings_identify() -> None:
    study = load_study("example")
    items = [f"ecr_{i}" for i in range(1, 37)]
    primary = ["MR2"] * 18 + ["MR1"] * 18
    primary[0] = "MR1"                     # one stray item does not change the naming
    loadings = pd.DataFrame({"item": items, "MR1": 0.1, "MR2": 0.1, "h2": 0.3, "primary": primary})
    assert efa_factor_names(loadings, study) == {"MR2": "Attachment anxiety", "MR1": "Attachment avoidance"}
    mixed = loadings.assign(primary=["MR1", "MR2"] * 18)        # no subscale dominates a factor
    assert efa_factor_names(mixed, study) == {}
    assert StudyLabels().factor("MR3") == "Factor 3"


def test_relabel_text_replaces_machine_names_only() -> None:
    lab = StudyLabels(variables={"phq9_total": "Depressive symptoms", "loss": "Loss"})
    assert relabel_text("phq9_total >= 10", lab) == "Depressive symptoms >= 10"
    assert relabel_text("loss of interest", lab) == "loss of interest"
    assert relabel_text("loss", lab) == "Loss"


def test_study_schema_accepts_label_keys_and_rejects_a_non_text_label(tmp_path: Path) -> None:
    from attachstats.errors import ConfigError

    data = read_yaml(ROOT / "config" / "studies" / "example.yaml")
    data["variables"]["age"]["label"] = "Age (years)"
    data["outcome_models"][0]["label"] = "Depression"
    data["factor_analysis"]["factor_labels"] = {"anxiety": "Anxiety"}
    check_schema(data, ROOT / "workflow" / "schemas" / "study.schema.yaml", "study.yaml")
    data["variables"]["age"]["label"] = 3
    with pytest.raises(ConfigError):
        check_schema(data, ROOT / "workflow" / "schemas" / "study.schema.yaml", "study.yaml")
    study = resolve_study({**read_yaml(ROOT / "config" / "studies" / "example.yaml"),
                           "factor_analysis": {"instrument": "ecr", "factor_labels": {"anxiety": "Anxiety"}}},
                          ROOT / "config" / "studies" / "example.yaml")
    assert study_labels(study).factor("anxiety") == "Anxiety"


# --------------------------------------------------------------------------------------------
# number formatting slips of issue 13

def test_formatting_slips_are_fixed() -> None:
    assert format_value(0, "p") == "< .001" and format_value(0.0, "p") == "< .001"
    assert format_value(1, "cfi") == "1.00" and format_value(1.0, "tli") == "1.00"
    assert format_value(0, "rmsea_ci_lo") == ".000"
    assert format_value(1421.0, "df2") == "1421" and format_value(594.0, "df") == "594"
    assert format_value(0.0037, "se") == "0.004" and format_value(0.00004, "se") == "< 0.0001"
    assert format_value(-0.0001, "delta_cfi") == ".000" and format_value(-0.0004, "b") == f"{MINUS}0.0004"
    assert format_value(-0.25, "b") == f"{MINUS}0.25" and "-" not in format_value(-3.2, "stat")
    # no leading zero for values bounded by 1
    assert [format_value(v, c) for v, c in ((0.31, "r"), (-0.07, "beta"), (0.041, "p"), (0.93, "alpha"),
                                            (0.958, "cfi"))] == [".31", f"{MINUS}.07", ".041", ".93", ".96"]


# --------------------------------------------------------------------------------------------
# tables

def test_correlation_matrix_matches_r_cor_test() -> None:
    """Cells of the APA correlation matrix against R's cor.test (fixture made by make_cor_test.R)."""
    data = pd.read_csv(FIXTURES / "cor_data.csv")
    ref = pd.read_csv(FIXTURES / "cor_test.csv")
    cols = ["x", "y", "z", "w"]
    ours = correlation_table(data, cols)
    merged = ours.merge(ref, on=["var1", "var2"], suffixes=("", "_r"))
    assert len(merged) == 6
    for c in ("r", "ci_lo", "ci_hi", "p"):
        assert (merged[c] - merged[f"{c}_r"]).abs().max() < 1e-10, c
    assert (merged["n"] == merged["n_r"]).all()
    desc = pd.DataFrame({"variable": cols, "n": data[cols].notna().sum().values, "mean": data[cols].mean().values,
                         "sd": data[cols].std().values, "alpha": [0.8, float("nan"), float("nan"), float("nan")]})
    m = correlation_matrix_table(desc, ours, StudyLabels(variables={"x": "Anxiety"}))
    assert m.columns == ["Variable", "n", "M", "SD", "1", "2", "3", "4"]
    assert m.rows[0][:5] == ["1. Anxiety", "60", format_value(desc["mean"][0], "mean"),
                             format_value(desc["sd"][0], "sd"), "(.80)"]
    row_of = {r[0]: i for i, r in enumerate(m.rows) if r[0]}
    for r in ref.itertuples():
        i, j = cols.index(r.var2), cols.index(r.var1)
        k = row_of["1. Anxiety" if i == 0 else f"{i + 1}. {cols[i].capitalize()}"]   # unlabelled: the name in words
        stars = "***" if r.p < .001 else "**" if r.p < .01 else "*" if r.p < .05 else ""
        assert m.rows[k][4 + j] == format_value(r.r, "r") + stars
        assert m.rows[k + 1][4 + j] == f"[{format_value(r.ci_lo, 'r')}, {format_value(r.ci_hi, 'r')}]"
    assert m.rows[row_of["2. Y"]][5] == "—"          # no alpha for a single variable
    assert "95% CI" in m.note and "*** p < .001" in m.note


def _regressions() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    reg = pd.DataFrame([
        ("m1", "y", "ols", "(Intercept)", 0.79, 0.67, -0.52, 2.10, None, 1.19, 0.235, None, 100, None, None, None, None),
        ("m1", "y", "ols", "age", -0.03, 0.0037, -0.05, -0.001, -0.05, -2.05, 0.041, 0.08, 100, 0.003, None, None,
         None),
        ("m1", "y", "ols", "g[T.b]", -0.83, 0.29, -1.40, -0.27, -0.07, -2.90, 0.004, 0.009, 100, 0.005, None, None,
         None),
        ("m1", "y", "ols", "x", 1.36, 0.12, 1.13, 1.60, 0.31, 11.38, 0.0, 0.0, 100, 0.09, None, None, None),
        ("m1", "y", "ols", "x:g[T.b]", 0.5, 0.2, 0.1, 0.9, 0.1, 2.5, 0.012, 0.02, 100, 0.01, None, None, None),
        ("m2", "y", "logit", "(Intercept)", -3.15, 0.32, -3.8, -2.5, None, -9.71, 0.0, None, 100, None, 0.04, 0.02,
         0.08),
        ("m2", "y", "logit", "x", 0.47, 0.05, 0.37, 0.57, None, 8.84, 0.0, 0.0, 100, None, 1.59, 1.44, 1.77),
    ], columns=["model", "outcome", "family", "term", "b", "se", "ci_lo", "ci_hi", "beta", "stat", "p", "p_adj", "n",
                "sr2", "exp_b", "exp_ci_lo", "exp_ci_hi"])
    blocks = pd.DataFrame([
        ("m1", "y", "ols", 1, "age; g", 100, 0.011, 0.011, None, None, 5.29, 3, 96.0, 0.0013),
        ("m1", "y", "ols", 2, "x", 100, 0.15, 0.139, None, None, 116.6, 1, 95.0, 0.0),
        ("m1", "y", "ols", 3, "x:g", 100, 0.16, 0.01, None, None, 6.0, 1, 94.0, 0.012),
    ], columns=["model", "outcome", "family", "block", "terms", "n", "r2", "delta_r2", "pseudo_r2", "delta_pseudo_r2",
                "stat", "df1", "df2", "p"])
    fit = pd.DataFrame([{"model": "m1", "n": 100, "r2": 0.16, "adj_r2": 0.12, "f": 5.0, "f_df1": 5.0,
                         "f_df2": 94.0, "f_p": 0.0004, "robust": "HC3", "imputations": 0},
                        {"model": "m2", "n": 100, "pseudo_r2": 0.09, "nagelkerke_r2": 0.14, "robust": "nonrobust",
                         "imputations": 0}])
    return reg, blocks, fit


def test_regression_table_per_model_as_apa_reg_table() -> None:
    reg, blocks, fit = _regressions()
    lab = StudyLabels(variables={"x": "Anxiety", "g": "Group", "age": "Age", "y": "Outcome"}, references={"g": "a"},
                      families={"m1": "ols", "m2": "logit"}, models={"m1": "Model one", "m2": "Model two"})
    m1, m2 = regression_tables(reg, lab, blocks, fit)
    assert m1.columns == ["Predictor", "b", "95% CI", "SE", "β", "sr²", "t", "p", "p (BH)"]
    assert m1.title == "Outcome model: Model one" and m1.number is None
    assert [m1.spans[i] for i in sorted(m1.spans)][0::2] == ["Step 1", "Step 2", "Step 3"]
    step1_line = [m1.spans[i] for i in sorted(m1.spans)][1]
    assert step1_line == "R² = .011, ΔR² = .011, F(3, 96) = 5.29, p = .001"
    body = [r for i, r in enumerate(m1.rows) if i not in m1.spans]
    assert [r[0] for r in body] == ["Intercept", "Age", "Group (b vs a)", "Anxiety", "Anxiety × Group (b vs a)"]
    age = body[1]
    assert age[1] == f"{MINUS}0.03" and age[3] == "0.004" and age[4] == f"{MINUS}.05" and age[5] == ".003"
    assert body[3][7] == "< .001" and body[3][6] == "11.38"
    assert "HC3" in m1.note and "product term" in m1.note and "R² = .160" in m1.note
    assert m2.columns == ["Predictor", "b", "SE", "OR", "95% CI (OR)", "z", "p"]   # p_adj equals p: no BH column
    assert m2.rows[1] == ["Anxiety", "0.47", "0.05", "1.59", "[1.44, 1.77]", "8.84", "< .001"]
    assert "odds ratio" in m2.note and "Nagelkerke R² = .140" in m2.note


def test_moderation_table_and_johnson_neyman_within_the_observed_range() -> None:
    slopes = pd.DataFrame({"model": "m", "outcome": "y", "focal": "loss", "moderator": "anx",
                           "at": ["-1 SD", "mean", "+1 SD"], "moderator_value": [2.4, 3.7, 5.0],
                           "slope": [1.15, 3.4, 5.65], "se": [0.5, 0.4, 0.6], "ci_lo": [0.1, 2.6, 4.4],
                           "ci_hi": [2.2, 4.2, 6.8], "stat": [2.15, 8.2, 9.2], "p": [0.031, 0.0, 0.0], "df": 1418})
    jn = pd.DataFrame([{"model": "m", "alpha": 0.05, "lower": 0.64, "upper": 2.36, "region": "outside",
                        "moderator_min": 1.0, "moderator_max": 6.94, "share_significant": 0.84}])
    lab = StudyLabels(variables={"loss": "Relationship loss", "anx": "Attachment anxiety"})
    (m,) = moderation_tables(slopes, lab, jn)
    assert m.columns == ["Attachment anxiety at", "b", "SE", "95% CI", "t", "p"]
    assert [r[0] for r in m.rows] == [f"{MINUS}1 SD (2.40)", "Mean (3.70)", "+1 SD (5.00)"]
    assert "within the data it is significant above 2.36 (84% of respondents)" in m.note
    assert "below 0.64" not in m.note.split("so within")[1]      # below the observed minimum: not reported


def test_cfa_comparison_explains_an_undefined_scaled_difference() -> None:
    from attachstats.output.tables import cfa_comparison_table

    comp = pd.DataFrame([{"restricted": "one_factor", "general": "two_factor", "estimator": "MLR", "chi2_diff": None,
                          "df_diff": 1, "p": None, "scaling_diff": -2.48, "delta_cfi": -0.316, "delta_rmsea": 0.046,
                          "delta_aic": 16141.4, "delta_bic": 16135.5}])
    m = cfa_comparison_table(comp, StudyLabels(models={"one_factor": "One factor", "two_factor": "Two factors"}))
    assert m.rows[0][:4] == ["One factor vs Two factors", "", "1", ""]
    assert "One factor vs Two factors: Δχ² and p are undefined" in m.note and f"({MINUS}2.48)" in m.note


def test_mediation_table_labels_paths() -> None:
    med = pd.DataFrame({"model": "med", "path": ["a", "b", "c", "c_prime", "indirect"], "x": "sx", "mediator": "mx",
                        "outcome": "yx", "estimate": [0.04, 0.8, 0.14, 0.1, 0.03], "se": [0.004, 0.09, 0.01, 0.01, 0.005],
                        "ci_lo": [0.03, 0.6, 0.1, 0.07, 0.02], "ci_hi": [0.05, 1.0, 0.16, 0.13, 0.04],
                        "std": [0.28, 0.24, 0.27, 0.2, 0.07], "stat": [11, 9, 10, 7, None],
                        "p": [0.0, 0.0, 0.0, 0.0, None], "ci_method": ["t (HC3)"] * 4 + ["percentile bootstrap"],
                        "n_boot": [0, 0, 0, 0, 5000], "n": 1425})
    lab = StudyLabels(variables={"sx": "Childhood anxiety", "mx": "Attachment anxiety", "yx": "Panic severity"})
    (m,) = mediation_tables(med, lab)
    assert m.columns == ["Effect", "b", "SE", "95% CI", "β", "p"]
    assert m.rows[3][0] == "Direct effect (c′): Childhood anxiety → Panic severity"
    assert m.rows[4][0].startswith("Indirect effect (ab)") and m.rows[4][5] == ""
    assert "5000 resamples" in m.note and "t (HC3)" in m.note


# --------------------------------------------------------------------------------------------
# writers: fit the page

def _wide() -> TableModel:
    cols = ["Predictor"] + [f"Column {i}" for i in range(14)]
    rows = [["Attachment anxiety × Relationship loss (past 12 months)"] + [f"{MINUS}1,234.56"] * 14] * 3
    return TableModel("wide", "A wide table", cols, rows, [False] + [True] * 14)


def _docx_table_widths(path: Path) -> list[tuple[float, float]]:
    """(table width, text width of its section) in inches for every table of a Word file."""
    import docx
    from docx.oxml.ns import qn

    doc = docx.Document(str(path))
    sections = list(doc.sections)
    out, s = [], 0
    for el in doc.element.body.iterchildren():
        if el.tag == qn("w:tbl"):
            grid = el.find(qn("w:tblGrid"))
            width = sum(int(g.get(qn("w:w"))) for g in grid.findall(qn("w:gridCol"))) / 1440
            sec = sections[s]
            out.append((width, (sec.page_width - sec.left_margin - sec.right_margin) / 914400))
        elif el.tag == qn("w:p") and el.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
            s += 1
    return out


def test_layout_fits_portrait_else_landscape() -> None:
    narrow = TableModel("n", "N", ["Scale", "M"], [["Attachment anxiety", "3.71"]], [False, True])
    assert layout(narrow).orientation == "portrait" and layout(narrow).font_pt == 10
    wide = layout(_wide())
    assert wide.orientation == "landscape" and wide.width <= LANDSCAPE_WIDTH_IN + 1e-9
    for lay in (layout(narrow), wide):
        assert lay.width <= lay.page_width + 1e-9


def test_word_tables_fit_their_section(tmp_path: Path) -> None:
    pytest.importorskip("docx")
    path = tmp_path / "t.docx"
    narrow = TableModel("n", "N", ["Scale", "M"], [["Attachment anxiety", "3.71"]], [False, True], number=1)
    write_docx_tables([narrow, _wide()], path)
    widths = _docx_table_widths(path)
    from attachstats.output.apa import split_columns
    assert len(widths) == 1 + len(split_columns(_wide()))   # a table too wide for landscape: its parts
    assert widths[0][1] == pytest.approx(PORTRAIT_WIDTH_IN) and widths[1][1] == pytest.approx(LANDSCAPE_WIDTH_IN)
    assert all(w <= page + 0.01 for w, page in widths)
    assert widths[0][0] < 3      # columns as wide as their content, not spread over the page


def test_a_table_too_wide_for_landscape_is_split_into_parts() -> None:
    from attachstats.output.apa import split_columns

    cols = ["Model", "Outcome"] + [f"Statistic {i}" for i in range(30)]
    m = TableModel("w", "Wide", cols, [["Depressive symptoms (OLS)", "Depressive symptoms"] + ["12,345.67"] * 30] * 2,
                   [False, False] + [True] * 30, note="A note.", number=3)
    assert layout(m).squeezed
    parts = split_columns(m)
    assert len(parts) >= 2 and all(not layout(p).squeezed for p in parts)
    assert all(p.columns[:2] == ["Model", "Outcome"] for p in parts)
    assert [c for p in parts for c in p.columns[2:]] == cols[2:]          # every column once, in order
    assert parts[0].title == f"Wide (part 1 of {len(parts)})" and parts[-1].note == "A note." and parts[0].note == ""
    assert split_columns(TableModel("n", "N", ["A"], [["b"]], [False]))[0].title == "N"


def test_latex_is_ascii_booktabs_and_balanced() -> None:
    for m in (_wide(), TableModel("n", "Δχ² and ω", ["Step", "ΔCFI"], [["x_1 → y", f"{MINUS}.010"]], [False, True])):
        tex = latex(m)
        assert tex.isascii() and r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
        assert tex.count("{") == tex.count("}") and "|" not in tex
        assert "$-$" in tex and "-.010" not in tex.replace("$-$", "")
    assert r"\begin{sidewaystable}" in latex(_wide()) and r"\begin{table}" in latex(
        TableModel("n", "N", ["A"], [["b"]], [False]))


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_latex_tables_compile(tmp_path: Path) -> None:
    reg, blocks, fit = _regressions()
    body = "\n".join(latex(m) for m in [*regression_tables(reg, StudyLabels(), blocks, fit), _wide()])
    (tmp_path / "t.tex").write_text("\\documentclass{article}\\usepackage[margin=1in]{geometry}"
                                    "\\usepackage{booktabs,tabularx,rotating}\\begin{document}" + body
                                    + "\\end{document}\n", encoding="ascii")
    res = subprocess.run(["pdflatex", "-interaction=nonstopmode", "t.tex"], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stdout[-2000:]
    assert "Overfull \\hbox" not in res.stdout


# --------------------------------------------------------------------------------------------
# the shipped studies: no machine names, no p = 0

_MACHINE_TOKEN = re.compile(r"[A-Za-z0-9_.\[\]:+\-]+")
_EFA = re.compile(r"^(MR|ML|PA)\d+$")


def machine_names_in(m: TableModel, lab: StudyLabels, csv_columns: set[str]) -> set[str]:
    """Machine names printed in a table's title, headers or cells."""
    names = lab.machine_names() | {c for c in csv_columns if "_" in c}
    found = set()
    texts = [m.title, *m.columns, *(c for row in m.rows for c in row), *m.spans.values()]
    for text in texts:
        if text in names:
            found.add(text)
        for tok in _MACHINE_TOKEN.findall(text):
            core = tok.strip(".:+-")
            if (core in names and any(ch in core for ch in "_[:")) or _EFA.match(core) or "[T." in core:
                found.add(core)
    for tok in _MACHINE_TOKEN.findall(m.note):       # notes: names with an underscore or a dummy
        core = tok.strip(".:+-")
        if (core in names and "_" in core) or "[T." in core:
            found.add(core)
    return found


def p_zero_in(m: TableModel) -> bool:
    cells = [*(c for row in m.rows for c in row), *m.spans.values(), m.note]
    return any(re.search(r"\bp = \.?0(\.0+)?\b(?!\.\d*[1-9])", c) for c in cells) or any(
        col.startswith("p") and row[j] in ("0", ".000", "0.000") for row in m.rows for j, col in enumerate(m.columns)
        if j < len(row))


def test_machine_name_check_catches_machine_names() -> None:
    """The check of the example run's tables (tests/integration/test_example_study.py) can fail:
    a table printing raw names is caught."""
    lab = StudyLabels(variables={"ecr_anxiety": "Attachment anxiety"}, models={"two_factor": "Two factors"})
    m = TableModel("t", "T", ["Term", "b", "p"], [["ecr_anxiety", "1.0", "0"], ["gender[T.Male]", "MR1", ".2"]],
                   [False, True, True])
    assert machine_names_in(m, lab, {"exp_b"}) == {"ecr_anxiety", "gender[T.Male]", "MR1"}
    assert p_zero_in(m)
    ok = TableModel("t", "T", ["Term", "p"], [["Attachment anxiety", "< .001"]], [False, True], note="p = .012")
    assert not machine_names_in(ok, lab, set()) and not p_zero_in(ok)


def test_docstring_examples_of_the_formatting_modules() -> None:
    import doctest

    import attachstats.output.apa as apa
    import attachstats.output.labels as labels
    import attachstats.output.numbers as numbers
    import attachstats.output.tables as tables

    for mod in (apa, labels, numbers, tables):
        result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0, mod.__name__


def test_labels_of_a_study_part_use_the_keys_it_declares() -> None:
    from attachstats.spec.study import StudyPart

    study = load_study("example")
    part = StudyPart(study, ["instruments", "variables"])
    lab = study_labels(part)
    assert lab.variable("ecr_anxiety") == "Attachment anxiety" and lab.variable("loss").startswith("Relationship")
    assert lab.model("depression") == "Depression"        # outcome_models not declared: the name in words
    assert study_labels(StudyPart(study, ["outcome_models"])).model("depression") == "Depressive symptoms (OLS)"


def test_formatted_tables_step_writes_each_table_the_apa_set_and_the_labels(tmp_path: Path) -> None:
    from attachstats.spec.study import StudyPart
    from attachstats.steps.report import LABEL_KEYS, formatted_tables

    flow = pd.DataFrame({"stage": ["raw", "speeding", "analysed"], "n_before": [10, 10, 9],
                         "n_excluded": [0, 1, 0], "n_after": [10, 9, 9]})
    fit = pd.DataFrame([{"model": "two_factor", "estimator": "ML", "n": 9, "chi2": 12.0, "df": 8.0, "p": 0.0,
                         "cfi": 1.0, "tli": 0.99, "rmsea": 0.0, "rmsea_ci_lo": 0.0, "rmsea_ci_hi": 0.012,
                         "srmr": 0.03}])
    flow.to_csv(tmp_path / "flow.csv", index=False)
    fit.to_csv(tmp_path / "cfa_fit.csv", index=False)
    out_dir = tmp_path / "tables"
    out_dir.mkdir()
    out = [str(out_dir / f"{n}.{e}") for n in ("flow", "cfa_fit", "apa_tables") for e in ("md", "tex", "docx")]
    out.append(str(out_dir / "labels.csv"))
    formatted_tables({"flow": str(tmp_path / "flow.csv"), "cfa_fit": str(tmp_path / "cfa_fit.csv")}, out,
                     StudyPart(load_study("example"), LABEL_KEYS))
    assert all(Path(p).is_file() for p in out)
    md = (out_dir / "cfa_fit.md").read_text(encoding="utf-8")
    assert md.startswith("**Table 2**") and "| Two correlated factors | 12.00 | 8 | < .001 | 1.00 | .99 |" in md
    assert "[.000, .012]" in md and "two_factor" not in md
    labels = pd.read_csv(out_dir / "labels.csv")
    assert list(labels.columns) == ["kind", "name", "label"]
    assert labels.set_index("name").loc["ecr_anxiety", "label"] == "Attachment anxiety"
