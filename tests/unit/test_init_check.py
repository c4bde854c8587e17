"""`attachstats init` (a commented study file from a data export) and `attachstats check`.

Truth comes from the files' makers: the example export's manifest (data/example/manifest.csv,
written by the simulator) lists every planted missing code; the Qualtrics-style SPSS export
(tests/qualtrics_export.py) is simulated with a known instrument, key and codes; the open
ECR sample is the 1998 ECR on a 5-point form (data/ecr-open/NOTICE.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from attachstats.cli import main
from attachstats.data.detect import draft_study, read_export
from attachstats.errors import AttachstatsError, ConfigError, DataError
from attachstats.output.study_yaml import render_draft
from attachstats.spec.draft import Comment, StudyDraft
from attachstats.spec.instrument import load_instrument
from attachstats.spec.study import check_schema, fill_defaults
from attachstats.steps.studyfile import check_study, init_study, study_schema
from conftest import ROOT
from qualtrics_export import qualtrics_frame, write_qualtrics_sav

EXAMPLE = ROOT / "data" / "example" / "survey.csv"


@pytest.fixture(scope="module")
def example_study(tmp_path_factory) -> tuple[Path, StudyDraft]:
    out = tmp_path_factory.mktemp("init") / "studies" / "example.yaml"
    return out, init_study(EXAMPLE, out)


@pytest.fixture(scope="module")
def sav_study(tmp_path_factory) -> tuple[Path, StudyDraft]:
    folder = tmp_path_factory.mktemp("sav")
    write_qualtrics_sav(folder / "export.sav")
    return folder / "study.yaml", init_study(folder / "export.sav", folder / "study.yaml")


# --- the YAML writer ---------------------------------------------------------------------

def test_rendered_yaml_parses_back_to_the_mapping_with_every_comment() -> None:
    study = {"name": "s", "data": {"path": "a b.csv", "missing_codes": [-99, "refused"]},
             "variables": {"age": {"column": "Age: years", "type": "numeric"},
                           "g": {"column": "G", "type": "categorical", "codes": {1: "x, y", 2: "#z"}}},
             "outcome_models": [{"name": "m", "outcome": "y", "predictors": ["a", "b"],
                                 "blocks": [["a"], ["b", ["a", "b"]]]}]}
    comments = {("data",): Comment(above=("TODO: " + "word " * 40,)), ("variables", "age"): Comment(inline="years"),
                ("outcome_models", 0): Comment(above=("first model",)),
                ("outcome_models", 0, "name"): Comment(above=("above a list item's first key",)),
                ("variables",): Comment(after=("not declared: X",))}
    text = render_draft(StudyDraft(study, comments, header=("head",), footer=("outcome_models: []",)))
    assert yaml.safe_load(text) == study
    lines = text.splitlines()
    assert lines[0] == "# head" and lines[-1] == "# outcome_models: []"
    assert all(len(line) <= 100 for line in lines if line.lstrip().startswith("#"))
    assert sum("TODO" in line for line in lines) == 1 and any(line.startswith("#   word") for line in lines)
    assert "  age: {column: 'Age: years', type: numeric}   # years" in lines
    assert "  # not declared: X" in lines
    assert StudyDraft(study, comments).todos == ["TODO: " + ("word " * 40).strip()]


# --- init on the shipped example ----------------------------------------------------------

def test_init_finds_the_example_columns(example_study) -> None:
    out, draft = example_study
    s = yaml.safe_load(out.read_text())
    assert s == draft.study
    check_schema(s, study_schema(), str(out))
    assert {k: v for k, v in s["data"].items() if k != "path"} == {"format": "csv", "missing_codes": [-99]}
    assert (out.parent / s["data"]["path"]).resolve() == EXAMPLE.resolve()
    assert s["id_column"] == "ResponseId" and s["duration_column"] == "Duration (in seconds)"
    assert {k: (b["instrument"], b["columns"]) for k, b in s["instruments"].items()} == {
        "ecr": ("ecr-r", "ECR_{n}"), "phq9": ("phq-9", "PHQ9_{n}"), "pdss": ("pdss-sr", "PDSS_{n}"),
        "sasi": ("sasi", "SASI_{n}")}
    assert all("missing_codes" not in b and "response" not in b for b in s["instruments"].values())
    assert s["variables"]["age"] == {"column": "Age", "type": "numeric"}
    assert s["variables"]["gender"] == {"column": "Gender", "type": "categorical"}
    assert s["factor_analysis"] == {"instrument": "ecr", "models": ["one_factor", "two_factor", "two_factor_method"]}
    assert "outcome_models" not in s and "outcome_models:" in "\n".join(draft.footer)
    # the ECR and the ECR-R both have 36 items rated 1-7: the key decided, and the file says so
    assert any("ecr also fits" in t for t in draft.todos)
    # the single 999 in Age and 77 in ECR_4 are typos (manifest: out_of_range), not codes
    assert any("999 occurs once" in t for t in draft.todos)


def test_check_counts_what_the_simulator_planted(example_study) -> None:
    out, _ = example_study
    res = check_study(out)
    manifest = pd.read_csv(ROOT / "data" / "example" / "manifest.csv")
    assert res.n_rows == 1500
    assert res.n_columns == 2 + 4 + 36 + 9 + 7 + 15
    assert res.issue_rules["missing_code"] == int((manifest["kind"] == "missing_code").sum())
    item_oor = manifest[(manifest["kind"] == "out_of_range") & manifest["column"].str.contains("_")]
    assert res.issue_rules["out_of_range"] == len(item_oor)
    dupes = manifest["kind"].isin(["duplicate_row", "id_collision"]).sum()
    assert res.n_excluded == dupes and res.n_analysed == 1500 - dupes


# --- init on a Qualtrics-style SPSS export --------------------------------------------------

def test_init_reads_spss_metadata(sav_study) -> None:
    out, draft = sav_study
    s = draft.study
    df, _, _, _ = qualtrics_frame()
    assert s["data"] == {"path": "export.sav", "format": "sav", "missing_codes": [-99]}
    assert s["id_column"] == "ResponseId" and s["duration_column"] == "Duration__in_seconds_"
    assert s["instruments"] == {"ecr": {"instrument": "ecr-r", "columns": "Q1_{n}"},
                                "phq9": {"instrument": "phq-9", "columns": "Q2_{n}"}}
    # named from the question text; 999 is labelled "Prefer not to say"; gender codes from the value labels
    assert s["variables"]["age"] == {"column": "Q3", "type": "numeric", "missing_codes": [999]}
    assert s["variables"]["gender"] == {"column": "Q4", "type": "categorical", "missing_codes": [4],
                                        "codes": {1: "Female", 2: "Male", 3: "Non-binary / third gender"}}
    text = out.read_text()
    declared = json.dumps(s)
    for col in ("IPAddress", "RecipientEmail", "LocationLatitude", "StartDate", "Status"):
        assert f'"{col}"' not in declared and col in text        # named in a comment, never declared
    assert "Q5" not in declared                                  # free-text comments
    res = check_study(out)
    assert res.issue_rules == {"missing_code": int((df.filter(regex=r"^Q[12]_") == -99).to_numpy().sum()
                                                   + (df["Q3"] == 999).sum() + (df["Q4"] == 4).sum())}
    assert res.n_analysed == len(df)


def test_qualtrics_csv_export_is_read_with_its_question_row(tmp_path) -> None:
    df, labels, _, _ = qualtrics_frame(n=150)
    df = df.rename(columns={"Duration__in_seconds_": "Duration (in seconds)"})
    text = df.astype(str).replace({"nan": ""})
    rows = [list(df.columns), [labels.get(c, c) if c != "Duration (in seconds)" else c for c in df.columns],
            [json.dumps({"ImportId": c}) for c in df.columns]]
    body = pd.DataFrame(rows[1:], columns=rows[0])
    pd.concat([body, text.map(lambda v: v[:-2] if v.endswith(".0") else v)]).to_csv(tmp_path / "q.csv", index=False)
    read = read_export(tmp_path / "q.csv")
    assert read.data == {"format": "qualtrics"}
    assert read.labels["Q3"] == "What is your age?"
    d = init_study(tmp_path / "q.csv", tmp_path / "q.yaml")
    assert d.study["variables"]["age"]["column"] == "Q3"
    assert d.study["instruments"]["ecr"] == {"instrument": "ecr-r", "columns": "Q1_{n}"}
    assert check_study(tmp_path / "q.yaml").n_rows == 150


@pytest.mark.parametrize("kind", ["tsv", "semicolon", "xlsx", "dta", "cp1252", "utf16"])
def test_init_reads_every_format_the_same(tmp_path, kind) -> None:
    df = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False).head(300)
    df["Gender"] = df["Gender"].replace({"Female": "Femme"}) if kind == "cp1252" else df["Gender"]
    path = tmp_path / f"survey.{ {'semicolon': 'csv', 'cp1252': 'csv', 'utf16': 'csv'}.get(kind, kind) }"
    if kind == "tsv":
        df.to_csv(path, sep="\t", index=False)
    elif kind == "semicolon":
        df.to_csv(path, sep=";", index=False)
    elif kind == "cp1252":
        df["Gender"] = df["Gender"].replace({"Femme": "Féminin"})
        df.to_csv(path, index=False, encoding="cp1252")
    elif kind == "utf16":
        df.to_csv(path, index=False, encoding="utf-16")          # with a byte-order mark
    elif kind == "xlsx":
        df.to_excel(path, index=False)
    else:
        import pyreadstat

        num = df.drop(columns=["ResponseId", "RecordedDate", "Gender", "Duration (in seconds)"]).apply(pd.to_numeric)
        num.insert(0, "ResponseId", df["ResponseId"])
        pyreadstat.write_dta(num, str(path))
    read = read_export(path)
    expected = {"tsv": {"format": "tsv"}, "semicolon": {"format": "csv", "delimiter": ";"},
                "xlsx": {"format": "xlsx"}, "dta": {"format": "dta"},
                "cp1252": {"format": "csv", "encoding": "cp1252"}, "utf16": {"format": "csv", "encoding": "utf-16"}}[kind]
    assert read.data == expected
    d = init_study(path, tmp_path / "s.yaml")
    assert sorted(d.study["instruments"]) == ["ecr", "pdss", "phq9", "sasi"]
    assert check_study(tmp_path / "s.yaml").n_rows == 300


# --- instrument matching: known truth ----------------------------------------------------------

def _simulate(inst_id: str, n: int = 400, seed: int = 3, points: tuple[int, int] | None = None) -> pd.DataFrame:
    """Answers with the instrument's published key: one factor per subscale, reversed items reversed."""
    inst = load_instrument(inst_id)
    lo, hi = points or (inst.min, inst.max)
    rng = np.random.default_rng(seed)
    factors = {s: rng.standard_normal(n) for s in inst.subscales}
    out = {}
    for item in inst.items:
        f = factors[item.subscales[0]]
        x = np.clip(np.round((lo + hi) / 2 + (hi - lo) / 5 * (f + rng.standard_normal(n))), lo, hi)
        out[item.number] = lo + hi - x if item.keyed < 0 else x
    return pd.DataFrame(out)


@pytest.mark.parametrize("truth", ["ecr", "ecr-r"])
def test_the_published_key_tells_the_ecr_from_the_ecr_r(tmp_path, truth) -> None:
    items = _simulate(truth)
    frame = pd.DataFrame({f"item{n}": items[n].astype(int).astype(str) for n in items})   # no name hint
    frame.to_csv(tmp_path / "x.csv", index=False)
    d = draft_study(read_export(tmp_path / "x.csv"), "x.csv", name="x")
    assert d.study["instruments"]["ecr"]["instrument"] == truth
    assert d.study["instruments"]["ecr"]["columns"] == "item{n}"


def test_a_five_point_ecr_gets_its_response_range(tmp_path) -> None:
    items = _simulate("ecr", n=300, points=(1, 5))
    pd.DataFrame({f"Q{n}": items[n].astype(int) for n in items}).to_csv(tmp_path / "x.csv", index=False)
    d = draft_study(read_export(tmp_path / "x.csv"), "x.csv", name="x")
    block = d.study["instruments"]["ecr"]
    assert block == {"instrument": "ecr", "columns": "Q{n}", "response": {"min": 1, "max": 5}}
    assert d.study["factor_analysis"]["estimator"] == "MLR"
    assert any("none of the" in t and "above 5" in t for t in d.todos)


def test_the_open_ecr_sample_is_the_1998_ecr_on_five_points(tmp_path) -> None:
    d = init_study(ROOT / "data" / "ecr-open" / "sample.csv", tmp_path / "ecr.yaml")
    block = d.study["instruments"]["ecr"]
    assert (block["instrument"], block["columns"], block["response"]) == ("ecr", "Q{n}", {"min": 1, "max": 5})
    assert any("missing_codes: [0]" in t for t in d.todos)        # a skipped item is 0 in this file
    assert d.study["variables"]["gender"]["type"] == "categorical"
    assert "id_column" not in d.study and any("no respondent-id column" in t for t in d.todos)


def test_instruments_with_the_same_item_count_are_told_apart_by_range_and_name(tmp_path) -> None:
    gad = _simulate("gad-7", seed=5)
    pdss = _simulate("pdss-sr", seed=6)
    phq, rs = _simulate("phq-9", seed=7), _simulate("ecr-rs", seed=8)            # 9 items each
    frame = pd.DataFrame({**{f"A{n}": gad[n].astype(int) for n in gad}, **{f"B{n}": pdss[n].astype(int) for n in pdss},
                          **{f"GAD7_{n}": gad[n].astype(int) for n in gad}, **{f"C{n}": phq[n].astype(int) for n in phq},
                          **{f"D{n}": rs[n].astype(int) for n in rs}})
    frame.to_csv(tmp_path / "x.csv", index=False)
    s = draft_study(read_export(tmp_path / "x.csv"), "x.csv", name="x").study
    assert {b["columns"]: b["instrument"] for b in s["instruments"].values()} == {
        "A{n}": "gad-7", "B{n}": "pdss-sr", "GAD7_{n}": "gad-7", "C{n}": "phq-9", "D{n}": "ecr-rs"}


# --- missing-value codes -------------------------------------------------------------------

def test_sentinel_codes_are_codes_only_outside_the_values(tmp_path) -> None:
    items = _simulate("phq-9", n=200)
    frame = pd.DataFrame({f"PHQ_{n}": items[n].astype(int) for n in items})
    frame.loc[[1, 2, 3], "PHQ_2"] = -9                  # outside 0-3, three times: a code
    frame["score"] = np.arange(200) % 50 - 10           # -9 is an ordinary value here
    frame.loc[[5, 6], "score"] = 999                    # apart from the values, twice: a code
    frame["visits"] = np.arange(200) % 7
    frame.loc[7, "visits"] = 99                         # once: a typo, not a code
    frame.to_csv(tmp_path / "x.csv", index=False)
    d = draft_study(read_export(tmp_path / "x.csv"), "x.csv", name="x")
    s = d.study
    assert s["instruments"]["phq9"]["missing_codes"] == [-9]
    assert "missing_codes" not in s["data"]
    assert s["variables"]["score"]["missing_codes"] == [999]
    assert "missing_codes" not in s["variables"]["visits"]
    assert any("99 occurs once" in t for t in d.todos)


def test_a_numbered_group_without_an_instrument_is_left_to_the_user(tmp_path) -> None:
    items = _simulate("ecr-r", n=150)
    frame = pd.DataFrame({**{f"ECR{n}": items[n].astype(int) for n in items},
                          **{f"BFI_{n}": (np.arange(150) + n) % 5 + 1 for n in range(1, 11)}})
    frame.to_csv(tmp_path / "x.csv", index=False)
    d = draft_study(read_export(tmp_path / "x.csv"), "x.csv", name="x")
    assert list(d.study["instruments"]) == ["ecr"]
    assert "BFI_1" not in json.dumps(d.study.get("variables", {}))
    assert any("BFI_1 … BFI_10: 10 numbered columns" in t for t in d.todos)


# --- errors ---------------------------------------------------------------------------------

def test_init_errors_name_the_file(tmp_path) -> None:
    with pytest.raises(DataError, match=r"file .*nothing\.csv: the data file does not exist"):
        init_study(tmp_path / "nothing.csv", tmp_path / "s.yaml")
    with pytest.raises(DataError, match=r"is a folder, not a data file"):
        init_study(tmp_path, tmp_path / "s.yaml")
    (tmp_path / "doc.csv").write_bytes(b"%PDF-1.4 binary")
    with pytest.raises(DataError, match=r"doc\.csv: the file is a PDF document"):
        init_study(tmp_path / "doc.csv", tmp_path / "s.yaml")
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_csv(tmp_path / "plain.csv", index=False)
    with pytest.raises(DataError, match=r"plain\.csv: no column group matches a shipped instrument"):
        init_study(tmp_path / "plain.csv", tmp_path / "s.yaml")
    pd.read_csv(EXAMPLE).head(50).to_csv(tmp_path / "raw.csv", index=False)
    raw = (tmp_path / "raw.csv").read_bytes()
    with pytest.raises(ConfigError, match="would replace the data file"):
        init_study(tmp_path / "raw.csv", tmp_path / "raw.csv", force=True)
    assert (tmp_path / "raw.csv").read_bytes() == raw
    (tmp_path / "s.yaml").write_text("keep me")
    with pytest.raises(ConfigError, match="already exists"):
        init_study(EXAMPLE, tmp_path / "s.yaml")
    assert (tmp_path / "s.yaml").read_text() == "keep me"


def test_cli_init_and_check(tmp_path, capsys) -> None:
    out = tmp_path / "s.yaml"
    assert main(["init", str(EXAMPLE), "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert "wrote" in said and "TODO" in said
    assert main(["check", str(out)]) == 0
    said = capsys.readouterr().out
    assert "1500 rows" in said and "finding(s)" in said
    assert main(["init", str(tmp_path / "none.csv"), "-o", str(tmp_path / "t.yaml")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("attachstats: error: file ") and "none.csv" in err[0]


# --- check: one message with the key or cell at fault -----------------------------------------

def test_check_names_the_key_path_and_the_fix(example_study, tmp_path, capsys) -> None:
    out, _ = example_study
    bad = yaml.safe_load(out.read_text())
    bad["data"]["path"] = str((out.parent / bad["data"]["path"]).resolve())
    bad["screening"]["longstring"]["max_run"] = 1
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(ConfigError, match=r"bad\.yaml: key screening\.longstring\.max_run: 1 is less than"):
        check_study(tmp_path / "bad.yaml")
    bad["screening"]["longstring"]["max_run"] = 18
    bad["screening"]["longstrng"] = {}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    assert main(["check", str(tmp_path / "bad.yaml")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "key screening" in err[0] and "allowed keys here" in err[0] and "longstring" in err[0]


def test_check_gives_a_yaml_error_on_one_line(tmp_path, capsys) -> None:
    (tmp_path / "s.yaml").write_text("data: {path: x.csv\ninstruments: {}\n")
    assert main(["check", str(tmp_path / "s.yaml")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "s.yaml is not valid YAML: line 2, column 12: expected ',' or '}', but got ':'" in err[0]
    assert "while parsing a flow mapping at line 1, column 7" in err[0]


def test_check_reads_the_data_and_names_the_cell(tmp_path) -> None:
    df = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False).head(200)
    df.loc[4, "ECR_3"] = "Strongly agree"
    df.to_csv(tmp_path / "survey.csv", index=False)
    init_study(tmp_path / "survey.csv", tmp_path / "s.yaml")
    with pytest.raises(DataError, match=r"row 5, column 'ECR_3', value 'Strongly agree'.*labels"):
        check_study(tmp_path / "s.yaml")
    text = (tmp_path / "s.yaml").read_text().replace("columns: 'ECR_{n}'", "columns: 'ecr_{n}'")
    (tmp_path / "s.yaml").write_text(text)
    with pytest.raises(DataError, match=r"36 of the .* declared columns not found"):
        check_study(tmp_path / "s.yaml")


def test_fill_defaults_fills_what_snakemake_fills() -> None:
    from snakemake.utils import validate

    study = {"data": {"path": "x.csv"}, "instruments": {"e": {"instrument": "ecr-r", "columns": "E{n}"}},
             "variables": {"g": {"column": "G", "type": "categorical"}},
             "outcome_models": [{"name": "m", "outcome": "y", "predictors": ["a"]}]}
    ours = fill_defaults(study, study_schema())
    theirs = json.loads(json.dumps(study))
    validate(theirs, str(study_schema()))
    assert ours == theirs
    assert ours["screening"]["duplicate_rows"] == "exclude" and ours["variables"]["g"]["unlisted_codes"] == "set_missing"


def test_a_questionnaire_split_over_pages_is_joined(tmp_path) -> None:
    items = _simulate("ecr-r", n=200)
    frame = pd.DataFrame({**{f"Q7_{n}": items[n].astype(int) for n in range(1, 19)},
                          **{f"Q8_{n - 18}": items[n].astype(int) for n in range(19, 37)}})
    frame.to_csv(tmp_path / "x.csv", index=False)
    d = draft_study(read_export(tmp_path / "x.csv"), "x.csv", name="x")
    block = d.study["instruments"]["ecr"]
    assert block["instrument"] == "ecr-r"
    assert block["columns"] == [f"Q7_{n}" for n in range(1, 19)] + [f"Q8_{n}" for n in range(1, 19)]
    assert any("Q7_1 … Q7_18 and Q8_1 … Q8_18" in t for t in d.todos)


def test_text_categories_that_mean_not_answered_become_codes(tmp_path) -> None:
    df = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False).head(200)
    df.loc[[3, 9], "Gender"] = "Prefer not to say"
    df.to_csv(tmp_path / "survey.csv", index=False)
    d = init_study(tmp_path / "survey.csv", tmp_path / "s.yaml")
    assert d.study["variables"]["gender"] == {"column": "Gender", "type": "categorical",
                                              "missing_codes": ["Prefer not to say"]}
    res = check_study(tmp_path / "s.yaml")
    assert res.issue_rules["missing_code"] >= 2


def test_init_is_deterministic_and_says_how_to_skip_a_title_row(tmp_path) -> None:
    init_study(EXAMPLE, tmp_path / "a.yaml")
    init_study(EXAMPLE, tmp_path / "b.yaml", name="a")
    assert (tmp_path / "a.yaml").read_bytes() == (tmp_path / "b.yaml").read_bytes()
    text = EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)[:100]
    (tmp_path / "t.csv").write_text("Export of 1 March 2026\n" + "".join(text), encoding="utf-8")
    with pytest.raises(DataError, match=r"data\.header_row: 2.*--header-row N"):
        init_study(tmp_path / "t.csv", tmp_path / "t.yaml")
    d = init_study(tmp_path / "t.csv", tmp_path / "t.yaml", header_row=2)
    assert d.study["data"]["header_row"] == 2 and check_study(tmp_path / "t.yaml").n_rows == 99


def test_a_workbook_whose_first_sheet_is_a_note_needs_the_sheet_option(tmp_path) -> None:
    df = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False).head(100)
    with pd.ExcelWriter(tmp_path / "wb.xlsx") as w:
        pd.DataFrame({"Note": ["exported 1 March"]}).to_excel(w, sheet_name="README", index=False)
        df.to_excel(w, sheet_name="Data", index=False)
    with pytest.raises(DataError, match=r"set data\.sheet: 'Data' \(for attachstats init: --sheet NAME\)"):
        init_study(tmp_path / "wb.xlsx", tmp_path / "wb.yaml")
    d = init_study(tmp_path / "wb.xlsx", tmp_path / "wb.yaml", sheet="Data")
    assert d.study["data"]["sheet"] == "Data" and check_study(tmp_path / "wb.yaml").n_rows == 100


def test_attention_checks_and_unfinished_qualtrics_responses_are_pointed_out(tmp_path) -> None:
    import pyreadstat

    df, labels, value_labels, missing = qualtrics_frame(n=200)
    df["AttnCheck1"] = np.where(np.arange(200) % 20 == 0, 2.0, 5.0)        # "select 'Somewhat agree'"
    df.loc[:4, "Finished"] = 0.0
    df.loc[:1, "Status"] = 1.0                                            # survey previews
    pyreadstat.write_sav(df, str(tmp_path / "e.sav"), column_labels=[labels.get(c, c) for c in df.columns],
                         variable_value_labels=value_labels, missing_ranges=missing)
    d = init_study(tmp_path / "e.sav", tmp_path / "e.yaml")
    text = (tmp_path / "e.yaml").read_text()
    assert "\n  # attention_checks: {expected: {attn_check1: 5}, max_failures: 0, action: exclude}\n" in text
    assert any("5 response(s) have Finished = 0" in t for t in d.todos)
    assert any("2 response(s) are not ordinary responses" in t for t in d.todos)
    uncommented = text.replace("  # attention_checks:", "  attention_checks:")
    (tmp_path / "e.yaml").write_text(uncommented)
    res = check_study(tmp_path / "e.yaml")
    assert res.n_excluded == 10                                            # every 20th failed the check


@pytest.mark.parametrize("study", sorted((ROOT / "config" / "studies").glob("*.yaml")), ids=lambda p: p.stem)
def test_check_passes_the_shipped_studies(study: Path) -> None:
    res = check_study(study)
    spec = yaml.safe_load(study.read_text())
    data = spec["data"]["path"] if "data" in spec else spec["waves"][0]["path"]   # a panel: its baseline wave
    raw = pd.read_csv(ROOT / "config" / "studies" / data, dtype=str)
    assert res.name == study.stem and res.n_rows == len(raw) and 0 < res.n_analysed <= res.n_rows


def test_choice_text_exports_get_labels_in_the_scales_order(tmp_path) -> None:
    from qualtrics_export import AGREE, PHQ

    df, _, _, _ = qualtrics_frame(n=150)
    out = df[["ResponseId"]].copy()
    for i in range(1, 37):
        out[f"Q1_{i}"] = df[f"Q1_{i}"].map(AGREE).replace("Seen but unanswered", "")
    for i in range(1, 10):
        out[f"Q2_{i}"] = df[f"Q2_{i}"].map(PHQ).replace("Seen but unanswered", "")
    out.to_csv(tmp_path / "text.csv", index=False)
    d = init_study(tmp_path / "text.csv", tmp_path / "t.yaml")
    ecr, phq = d.study["instruments"]["ecr"], d.study["instruments"]["phq9"]
    assert ecr["instrument"] == "ecr-r" and ecr["labels"] == {k: v for k, v in AGREE.items() if k > 0}
    assert phq["instrument"] == "phq-9" and phq["labels"] == {k: v for k, v in PHQ.items() if k >= 0}
    assert any("choice texts" in t for t in d.todos)
    res = check_study(tmp_path / "t.yaml")                     # validation turns the texts into codes
    assert res.n_rows == 150 and "missing_code" not in res.issue_rules


CORPUS = ROOT / "tests" / "bad_inputs"


@pytest.mark.parametrize("case", sorted(p.name for p in CORPUS.iterdir() if (p / "study.yaml").is_file()))
def test_init_on_the_bad_input_corpus_writes_a_valid_file_or_says_why(case: str, tmp_path: Path) -> None:
    """Every malformed export of tests/bad_inputs: a user error naming the file, or a valid study file."""
    data = CORPUS / case / yaml.safe_load((CORPUS / case / "study.yaml").read_text())["data"]["path"]
    try:
        draft = init_study(data, tmp_path / "s.yaml")
    except AttachstatsError as exc:
        assert data.name in str(exc)
        return
    check_schema(yaml.safe_load((tmp_path / "s.yaml").read_text()), study_schema(), "s.yaml")
    assert draft.study["instruments"]


def test_text_in_numeric_columns_becomes_codes_or_a_todo() -> None:
    for case, block, word in (("missing_word_in_item", "phq9", "Refused"), ("non_numeric_answer", "ecr", None)):
        data = CORPUS / case / "data.csv"
        draft = draft_study(read_export(data), "data.csv", name="x")
        if word:
            assert word in draft.study["instruments"][block]["missing_codes"]
        else:
            assert any("answer(s) are text ('often')" in t for t in draft.todos)
    labelled = draft_study(read_export(CORPUS / "labelled_answers" / "data.csv"), "data.csv", name="x").study
    assert labelled["instruments"]["ecr"]["labels"][4] == "Neutral"            # the midpoint's other wording
