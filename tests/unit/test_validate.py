import numpy as np
import pandas as pd
import pytest

from attachstats.errors import DataError
from attachstats.data.readers import map_columns
from attachstats.spec.study import resolve_study
from attachstats.data.scoring import score_study
from attachstats.data.validate import check_flow, validate_and_screen

from conftest import make_survey, study_dict


@pytest.fixture
def study(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return resolve_study(study_dict(), tmp_path / "s.yaml")


def messy() -> pd.DataFrame:
    raw = make_survey(60)
    raw.loc[3, "ECR_5"] = "-99"                      # missing code
    raw.loc[4, "ECR_6"] = "9"                        # out of range
    raw.loc[5, "Age"] = "999"                        # impossible age
    raw.loc[6, [f"ECR_{i}" for i in range(1, 37)]] = "4"   # straight-liner
    raw.loc[7, "Duration"] = "30"                    # 30 s for 45 items
    raw.loc[8, [f"ECR_{i}" for i in range(1, 37)] + [f"PHQ_{i}" for i in range(1, 10)]] = ""  # empty
    dup = raw.iloc[[10]].copy()                      # exact re-submission
    collide = raw.iloc[[11]].copy()
    collide["Age"] = "33" if collide["Age"].iat[0] != "33" else "34"   # same id, other content
    return pd.concat([raw, dup, collide], ignore_index=True)


def test_every_exclusion_recorded_and_counts_reconcile(study):
    res = validate_and_screen(map_columns(messy(), study), study)
    ex = res.exclusions.set_index("row")
    assert ex.loc[9, "stage"] == "empty_rows"
    assert ex.loc[61, "stage"] == "duplicate_rows" and "raw row 11" in ex.loc[61, "reason"]
    assert ex.loc[62, "stage"] == "duplicate_ids" and "raw row 12" in ex.loc[62, "reason"]
    assert ex.loc[8, "stage"] == "speeding"
    assert ex.loc[7, "stage"] == "longstring"
    assert len(res.data) == 62 - 5
    flow = res.flow.set_index("stage")
    assert flow.loc["raw", "n_after"] == 62 and flow.loc["analysed", "n_after"] == 57
    assert flow["n_excluded"].sum() == len(res.exclusions) == 5
    assert set(res.exclusions["row"]).isdisjoint(res.data["_row"])


def test_cells_altered_are_recorded(study):
    res = validate_and_screen(map_columns(messy(), study), study)
    iss = res.issues
    code = iss[iss["rule"] == "missing_code"]
    assert code[["row", "column", "value"]].values.tolist() == [[4, "ecr_5", "-99"]]
    oor = iss[iss["rule"].str.startswith("out_of_range")].set_index("column")
    assert oor.loc["ecr_6", "value"] == "9" and oor.loc["ecr_6", "action"] == "set_missing"
    assert oor.loc["age", "value"] == "999"
    row5 = res.data.set_index("_row").loc[5]
    assert np.isnan(row5["ecr_6"]) and np.isnan(res.data.set_index("_row").loc[6, "age"])


def test_out_of_range_error_policy_names_row_column_value(study):
    study["screening"]["out_of_range"] = "error"
    with pytest.raises(DataError, match=r"row 5, column 'ECR_6', value '9': value outside the allowed range"):
        validate_and_screen(map_columns(messy(), study), study)


def test_out_of_range_exclude_policy(study):
    study["screening"]["out_of_range"] = "exclude"
    res = validate_and_screen(map_columns(messy(), study), study)
    stages = res.exclusions.set_index("row")["stage"]
    assert stages[5] == "out_of_range" and stages[6] == "out_of_range"
    assert res.flow["n_excluded"].sum() == len(res.exclusions)


def test_text_in_numeric_column_is_an_error(study):
    raw = make_survey(5)
    raw.loc[2, "ECR_3"] = "Agree"
    with pytest.raises(DataError, match=r"row 3, column 'ECR_3', value 'Agree': expected a number"):
        validate_and_screen(map_columns(raw, study), study)


def test_mahalanobis_flags_random_responders(study, tmp_path):
    raw = make_survey(400, seed=3)
    rng = np.random.default_rng(0)
    for r in range(5):
        raw.loc[r, [f"ECR_{i}" for i in range(1, 37)]] = rng.integers(1, 8, 36).astype(str)
    study["screening"]["mahalanobis"] = {"instrument": "ecr", "alpha": 0.001}
    res = validate_and_screen(map_columns(raw, study), study)
    flagged = set(res.exclusions.loc[res.exclusions["stage"] == "mahalanobis", "row"])
    assert {1, 2, 3, 4, 5} <= flagged
    assert len(flagged) <= 5 + 4   # few false alarms at alpha = .001


def test_check_flow_catches_mismatch():
    flow = pd.DataFrame({"stage": ["raw", "x", "analysed"], "n_before": [10, 10, 8],
                         "n_excluded": [0, 2, 0], "n_after": [10, 8, 8]})
    check_flow(flow, n_raw=10, n_exclusion_rows=2)
    with pytest.raises(AssertionError, match="does not reconcile"):
        check_flow(flow, n_raw=10, n_exclusion_rows=3)


def test_configured_indices_flag_or_exclude(study):
    raw = make_survey(80)
    raw["AC1"] = "3"
    raw.loc[[2, 9], "AC1"] = "5"                       # two respondents fail the instructed item
    raw.loc[4, [f"ECR_{i}" for i in range(1, 37)]] = ["1", "7"] * 18   # erratic answers
    study["variables"]["check1"] = {"column": "AC1"}
    study["screening"].update({"attention_checks": {"expected": {"check1": 3}},
                               "irv": {"instrument": "ecr", "max": 2.9, "action": "flag"},
                               "evenodd": {"action": "flag"}, "psychsyn": {"instrument": "ecr"}})
    res = validate_and_screen(map_columns(raw, study), study)
    ex = res.exclusions.set_index("row")
    assert ex.loc[3, "stage"] == "attention_checks" and ex.loc[10, "stage"] == "attention_checks"
    assert "attention_checks" in set(res.flow["stage"]) and 5 not in ex.index
    car = res.careless.set_index("row")
    assert car.loc[5, "irv"] > 2.9 and car.loc[5, "decision"].startswith("flagged: irv")
    assert {"evenodd", "psychsyn", "attention_failures"} <= set(car.columns)
    assert car["psychsyn"].notna().mean() > 0.9


# ---- Mahalanobis screen: incomplete respondents, redundant items ----
from attachstats.output.report.validation import validation_report
from attachstats.stats import careless as careless_stats

ECR = [f"ECR_{i}" for i in range(1, 37)]


def test_mahalanobis_screens_respondents_with_missing_items(study):
    """Defect: anyone with a missing item was never screened, random responders included."""
    raw = make_survey(400, seed=3)
    rng = np.random.default_rng(0)
    for r in range(5):                                   # random responders, each skipping one item
        raw.loc[r, ECR] = rng.integers(1, 8, 36).astype(str)
        raw.loc[r, f"ECR_{r + 2}"] = ""
    holes = rng.random((400, 36)) < 0.015                # about 40 % skip an item somewhere
    for i, j in zip(*np.nonzero(holes)):
        if i >= 5:
            raw.iat[i, raw.columns.get_loc(ECR[j])] = ""
    raw.loc[10, ECR[:20]] = ""                           # 16 of 36 answered: too few to screen
    study["screening"]["mahalanobis"] = {"instrument": "ecr", "alpha": 0.001}
    res = validate_and_screen(map_columns(raw, study), study)
    flagged = set(res.exclusions.loc[res.exclusions["stage"] == "mahalanobis", "row"])
    assert {1, 2, 3, 4, 5} <= flagged and len(flagged) <= 5 + 4
    car = res.careless.set_index("row")
    assert car.loc[1, "mahalanobis_items"] == 35 and "on 35 items" in car.loc[1, "decision"]
    incomplete = car["mahalanobis_items"] < 36
    assert incomplete.mean() > 0.3 and car.loc[incomplete & (car["mahalanobis_items"] >= 29), "mahalanobis_d2"].notna().all()
    assert np.isnan(car.loc[11, "mahalanobis_d2"]) and car.loc[11, "mahalanobis_items"] == 16
    note = res.notes.iloc[0]
    assert note["action"] == "not screened" and "1 respondents answered fewer than 29 of the 36" in note["finding"]
    text = validation_report(study, res.flow, res.exclusions, res.issues, res.careless, res.notes)
    n_screened = int(car["mahalanobis_d2"].notna().sum())
    assert f"Screened: {n_screened:,} respondents" in text and "on all 36 screened items" in text
    assert "fewer than 29 of the 36 screened items" in text


def test_constant_and_identical_items_are_left_out_and_named_by_their_headers(study):
    """Defect: a constant item crashed with numpy.linalg.LinAlgError; two identical items gave
    a 'singular' message naming neither. Now both are left out of the screen and reported."""
    raw = make_survey(300, seed=4)
    raw["ECR_3"] = "4"                                   # everyone answered 4
    raw["ECR_7"] = raw["ECR_5"]                          # a duplicated item
    rng = np.random.default_rng(1)
    raw.loc[0, ECR] = rng.integers(1, 8, 36).astype(str)
    raw.loc[0, ["ECR_3", "ECR_7"]] = ["4", raw.loc[0, "ECR_5"]]
    study["screening"]["mahalanobis"] = {"instrument": "ecr"}
    res = validate_and_screen(map_columns(raw, study), study)
    notes = res.notes.set_index("column")
    assert notes.loc["ECR_3", "finding"] == "constant: every answer is 4"
    assert notes.loc["ECR_7", "finding"] == "identical to ECR_5"
    assert notes.loc["ECR_3", "action"].startswith("left out of the screen")
    assert res.careless["mahalanobis_items"].max() == 34
    assert 1 in set(res.exclusions.loc[res.exclusions["stage"] == "mahalanobis", "row"])
    text = validation_report(study, res.flow, res.exclusions, res.issues, res.careless, res.notes)
    assert "`ECR_3`: constant: every answer is 4; left out of the screen" in text
    assert "`ECR_7`: identical to ECR_5" in text


def test_singular_covariance_is_one_message_with_raw_headers(study, monkeypatch):
    def singular(items, min_items=None):
        raise careless_stats.SingularItems("singular", ["ecr_1", "ecr_2", "ecr_4"])

    monkeypatch.setattr(careless_stats, "mahalanobis", singular)
    study["screening"]["mahalanobis"] = {"instrument": "ecr"}
    with pytest.raises(DataError, match=r"items ECR_1, ECR_2, ECR_4 cannot be inverted.*without one of them"):
        validate_and_screen(map_columns(make_survey(80), study), study)


def test_every_item_constant_is_a_clear_error(study):
    raw = make_survey(80)
    raw[ECR] = "4"
    raw.loc[0, "ECR_1"] = "5"
    study["screening"] = {"mahalanobis": {"instrument": "ecr"}}
    with pytest.raises(DataError, match=r"1 of the 36 items of instrument block 'ecr' can be screened "
                                        r"\(ECR_2: constant: every answer is 4"):
        validate_and_screen(map_columns(raw, study), study)


def test_negative_duration_is_a_cell_finding_not_speeding(study):
    """Defect: a negative completion time was taken as real and excluded as speeding."""
    raw = make_survey(60)
    raw.loc[2, "Duration"] = "-340"
    res = validate_and_screen(map_columns(raw, study), study)
    assert 3 not in set(res.exclusions["row"])
    iss = res.issues[res.issues["column"] == "duration"]
    assert iss[["row", "value", "action"]].values.tolist() == [[3, "-340", "set_missing"]]
    assert iss["rule"].iat[0] == "out_of_range (expected a value >= 0; a completion time cannot be negative)"
    assert np.isnan(res.careless.set_index("row").loc[3, "seconds_per_item"])
    text = validation_report(study, res.flow, res.exclusions, res.issues, res.careless, res.notes)
    assert "1 respondents without a usable completion time" in text
    study["screening"]["out_of_range"] = "error"
    with pytest.raises(DataError, match=r"row 3, column 'Duration', value '-340'"):
        validate_and_screen(map_columns(raw, study), study)


# ---- codebook codes, the file's own text, the fix that applies ----

def test_codebook_codes_match_as_numbers_in_a_numeric_column(study):
    """Defect: codes written 2.0 in the file did not match ``codes: {2: female}``; every value
    was set missing and the run died later, in the regression step."""
    raw = make_survey(30)
    raw["sex"] = ["2.0", "1", " 2 ", "3.0", "1.00", "2"] * 5
    study["variables"]["sex"] = {"column": "sex", "type": "categorical", "codes": {1: "male", 2: "female"}}
    res = validate_and_screen(map_columns(raw, study), study)
    assert res.data["sex"].fillna("-").tolist()[:6] == ["female", "male", "female", "-", "male", "female"]
    unlisted = res.issues[res.issues["column"] == "sex"]
    assert set(unlisted["value"]) == {"3.0"} and len(unlisted) == 5      # the file's own text
    assert unlisted["rule"].iat[0] == "unlisted_code (codebook: 1, 2)"


def test_codebook_codes_match_as_text_in_a_text_column(study):
    raw = make_survey(12)
    raw["sex"] = ["2", "F", "2.0", "M"] * 3                      # not a numeric column: text decides
    study["variables"]["sex"] = {"column": "sex", "type": "categorical", "codes": {"2": "female", "M": "male"}}
    res = validate_and_screen(map_columns(raw, study), study)
    assert res.data["sex"].fillna("-").tolist()[:4] == ["female", "-", "-", "male"]
    assert set(res.issues.loc[res.issues["column"] == "sex", "value"]) == {"F", "2.0"}


def test_a_codebook_that_matches_no_cell_stops_naming_the_column_and_its_values(study):
    raw = make_survey(12)
    raw["Sex"] = ["M", "F"] * 6
    study["variables"]["sex"] = {"column": "Sex", "type": "categorical", "codes": {1: "male", 2: "female"}}
    with pytest.raises(DataError, match=r"file survey.csv, column 'Sex': none of the 12 answered cells matches a "
                                        r"code of variables.sex.codes \(1, 2\); the column holds 'M', 'F'"):
        validate_and_screen(map_columns(raw, study), study)


def test_issues_quote_the_cell_text_not_the_parsed_number(study):
    """Defect: 1e308 was written to issues.csv as a 309-digit integer."""
    raw = make_survey(20)
    raw.loc[3, "Age"] = "1e308"
    raw.loc[4, "ECR_2"] = "7.50"
    raw.loc[5, "Duration"] = "-3.0"
    res = validate_and_screen(map_columns(raw, study), study)
    got = res.issues.set_index("column")["value"]
    assert got["age"] == "1e308" and got["ecr_2"] == "7.50" and got["duration"] == "-3.0"
    study["screening"]["out_of_range"] = "exclude"
    res = validate_and_screen(map_columns(raw, study), study)
    assert res.exclusions.set_index("row").loc[4, "reason"] == "age=1e308 outside [16, 99]"
    study["screening"]["out_of_range"] = "error"
    with pytest.raises(DataError, match=r"row 5, column 'ECR_2', value '7.50': value outside"):
        validate_and_screen(map_columns(raw, study), study)


@pytest.mark.parametrize("cell, column, fix", [
    ("Strongly agree", "ECR_3", "declare them in the instrument block, instruments.ecr.labels: {1: <label of 1>, "
                                "..., 7: <label of 7>}"),
    ("3,5", "ECR_3", 'set data.decimal: ","'),
    ("NA", "ECR_3", "add it to data.missing_codes (or to instruments.ecr.missing_codes"),
    ("refused", "PHQ_2", "add it to data.missing_codes (or to instruments.phq9.missing_codes"),
    ("twenty", "Age", "declare variables.age.type: categorical"),
    ("4a", "ECR_3", "correct the cell in the file"),
])
def test_text_in_a_numeric_column_gets_the_fix_that_applies(study, cell, column, fix):
    """Defect: every text cell got 'add the code to data.missing_codes', the wrong fix for
    labelled answers and decimal commas."""
    raw = make_survey(10)
    raw.loc[1, column] = cell
    with pytest.raises(DataError) as err:
        validate_and_screen(map_columns(raw, study), study)
    message = str(err.value)
    assert message.startswith(f"file survey.csv, row 2, column '{column}', value '{cell}': expected a number")
    assert fix in message, message
    if cell in ("Strongly agree", "3,5"):
        assert "missing_codes" not in message


def test_text_that_is_not_a_declared_label_names_the_labels(study):
    raw = make_survey(10)
    raw[ECR] = raw[ECR].replace({"1": "Disagree strongly", "7": "Agree strongly"})
    raw.loc[1, "ECR_3"] = "Agree strongy"
    study["instruments"]["ecr"]["labels"] = {1: "Disagree strongly", 7: "Agree strongly"}
    with pytest.raises(DataError, match=r"value 'Agree strongy'.*not one of the labels of instruments.ecr.labels "
                                        r"\(1: Disagree strongly, 7: Agree strongly\)"):
        validate_and_screen(map_columns(raw, study), study)


# ---- what the reader changed, in validation/report.md ----
from pathlib import Path

from attachstats.steps.ingest import ingest as ingest_rule
from attachstats.steps.validate import validate as validate_rule
from test_bad_inputs import load_study

CORPUS = Path(__file__).parents[1] / "bad_inputs"
VALIDATION_OUTPUTS = ("data", "exclusions", "flow", "issues", "careless", "report")


def run_ingest_and_validate(folder: Path, tmp_path: Path, monkeypatch) -> str:
    """The ingest and validate rules' code, with the parquet file between them; the report text."""
    monkeypatch.chdir(folder)
    study = load_study(folder)
    ingest_rule(tmp_path / "ingested.parquet", study)
    out = {k: str(tmp_path / f"{k}.{'parquet' if k == 'data' else 'md' if k == 'report' else 'csv'}")
           for k in VALIDATION_OUTPUTS}
    validate_rule(tmp_path / "ingested.parquet", out, study)
    return Path(out["report"]).read_text(encoding="utf-8")


def test_report_says_how_the_file_was_read(tmp_path, monkeypatch):
    """Defect: the reader's changes (delimiter switched, decimal commas) were only in logs/ingest.log."""
    text = run_ingest_and_validate(CORPUS / "semicolon_decimal_comma", tmp_path, monkeypatch)
    assert pd.read_parquet(tmp_path / "ingested.parquet").attrs["read_notes"]      # survives the parquet file
    section = text.split("## How the file was read\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("- ")]
    assert len(lines) == 2
    assert "it splits at ';' into 50 columns" in lines[0]
    assert "decimal commas read as decimal points" in lines[1] and "'Age' (12)" in lines[1]
    assert text.index("## How the file was read") < text.index("## Exclusions by stage")


def test_a_clean_file_has_no_reading_section(tmp_path, monkeypatch):
    text = run_ingest_and_validate(CORPUS / "labelled_answers_declared", tmp_path, monkeypatch)
    assert "How the file was read" not in text
    assert "read_notes" not in pd.read_parquet(tmp_path / "ingested.parquet").attrs
    assert "Row accounting: 12 raw = 12 analysed (nothing excluded)." in text       # no dangling "+"


def test_an_inline_continuous_instrument_is_checked_for_its_range_only(study):
    """Continuous indicators (a 0-100 slider) pass validation; whole numbers are not required."""
    raw = make_survey(40, seed=5)
    rng = np.random.default_rng(2)
    for i in range(1, 5):
        raw[f"VAS{i}"] = [f"{x:.1f}" for x in rng.uniform(0, 100, 40)]
    raw.loc[3, "VAS2"] = "100.5"                                   # outside the range
    study["instruments"]["vas"] = {"columns": "VAS{n}", "definition": {
        "id": "vas", "response": {"min": 0, "max": 100, "type": "continuous"}, "n_items": 4, "scoring": "mean",
        "subscales": {"total": {"items": "1-4", "reverse": [4]}}}}
    res = validate_and_screen(map_columns(raw, study), study)
    vas = res.issues[res.issues["column"].str.startswith("vas_")]
    assert vas[["row", "column", "value", "rule"]].values.tolist() == [
        [4, "vas_2", "100.5", "out_of_range (expected a value in [0, 100])"]]
    kept = res.data.set_index("_row")
    assert kept.loc[1, "vas_1"] == float(raw.loc[0, "VAS1"]) and not float(raw.loc[0, "VAS1"]).is_integer()
    scores = score_study(res.data, study)[0]
    assert scores["vas_total"].isna().tolist() == [i == 3 for i in range(40)]     # 3 of 4 < min_answered
    study["instruments"]["vas"]["definition"]["response"].pop("type")      # integer items: 12.3 is out of range
    res = validate_and_screen(map_columns(raw, study), study)
    assert res.issues["rule"].eq("out_of_range (expected an integer in [0, 100])").sum() > 100
