"""Readers for every data.format, text-answer labels, user-missing values, identifiers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attachstats.errors import DataError
from attachstats.data.readers import ingest, read_data
from attachstats.spec.study import resolve_study
from attachstats.data.validate import validate_and_screen

from conftest import make_survey, study_dict

pyreadstat = pytest.importorskip("pyreadstat")


def numeric_survey(n: int = 60) -> pd.DataFrame:
    raw = make_survey(n)
    num = raw.drop(columns=["Gender", "ResponseId", "IPAddress"]).astype(int)
    num.insert(0, "ResponseId", np.arange(1, n + 1))
    num["Gender"] = np.where(raw["Gender"] == "Female", 2, 1)
    num["IPAddress"] = raw["IPAddress"]
    num["RecipientEmail"] = [f"person{i}@example.org" for i in range(n)]
    return num


def sav_study(tmp_path, monkeypatch, fmt="sav"):
    monkeypatch.chdir(tmp_path)
    df = numeric_survey()
    df.loc[3, "ECR_4"] = -99           # user-defined missing value
    df.loc[5, "Age"] = -99
    path = tmp_path / f"survey.{fmt}"
    labels = {"Gender": {1: "Male", 2: "Female"}}
    if fmt == "sav":
        pyreadstat.write_sav(df, str(path), variable_value_labels=labels,
                             missing_ranges={c: [-99] for c in df.columns if c not in ("IPAddress", "RecipientEmail")})
    else:
        pyreadstat.write_dta(df, str(path), variable_value_labels=labels)
    d = study_dict(f"survey.{fmt}")
    d["data"] = {"path": f"survey.{fmt}", "format": fmt, "missing_codes": [] if fmt == "sav" else [-99]}
    d["variables"]["gender"] = {"column": "Gender", "type": "categorical", "codes": {1: "Male", 2: "Female"},
                                "reference": "Female"}
    return resolve_study(d, tmp_path / "s.yaml")


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_spss_and_stata_with_user_missing_and_labels(tmp_path, monkeypatch, fmt):
    study = sav_study(tmp_path, monkeypatch, fmt)
    ing = ingest(study)
    assert "IPAddress" not in ing.columns and "RecipientEmail" not in ing.columns
    assert ing["ecr_1"].iat[0] in {str(v) for v in range(1, 8)}      # integers without '.0'
    res = validate_and_screen(ing, study)
    codes = res.issues[res.issues["rule"] == "missing_code"]
    assert set(zip(codes["row"], codes["column"])) == {(4, "ecr_4"), (6, "age")}
    assert set(res.data["gender"].dropna()) == {"Male", "Female"}
    if fmt == "sav":
        assert read_data(tmp_path / "survey.sav", "sav").attrs["file_missing_codes"]["ECR_4"] == ["-99"]


def test_truncated_spss_file(tmp_path):
    good = tmp_path / "good.sav"
    pyreadstat.write_sav(numeric_survey(20).drop(columns=["IPAddress", "RecipientEmail"]), str(good))
    bad = tmp_path / "bad.sav"
    bad.write_bytes(good.read_bytes()[:300])
    with pytest.raises(DataError, match="cannot read the file as SPSS .sav"):
        read_data(bad, "sav")


def test_excel_and_tsv(tmp_path):
    pytest.importorskip("openpyxl")
    df = make_survey(10)
    df.to_excel(tmp_path / "s.xlsx", index=False, sheet_name="data")
    x = read_data(tmp_path / "s.xlsx", "xlsx", sheet="data")
    assert x["ECR_1"].tolist() == df["ECR_1"].tolist() and x["Gender"].tolist() == df["Gender"].tolist()
    with pytest.raises(DataError, match="cannot read sheet 'nope'"):
        read_data(tmp_path / "s.xlsx", "xlsx", sheet="nope")
    df.to_csv(tmp_path / "s.tsv", sep="\t", index=False)
    assert read_data(tmp_path / "s.tsv", "tsv").shape == df.shape


def test_qualtrics_export_with_text_answers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    df = make_survey(30)
    words = {"1": "Strongly disagree", "4": "Neutral", "7": "Strongly agree"}
    df["ECR_1"] = df["ECR_1"].map(lambda v: words.get(v, v))
    text = df.to_csv(index=False).split("\n")
    qrow = ",".join(f'"Question {c}"' for c in df.columns)
    irow = ",".join('"{""ImportId"":""QID%d""}"' % i for i in range(df.shape[1]))
    (tmp_path / "q.csv").write_text("\n".join([text[0], qrow, irow] + text[1:]), encoding="utf-8")
    d = study_dict("q.csv")
    d["data"] = {"path": "q.csv", "format": "qualtrics"}
    d["instruments"]["ecr"]["labels"] = {1: "Strongly disagree", 4: "Neutral", 7: "Strongly agree"}
    study = resolve_study(d, tmp_path / "s.yaml")
    res = validate_and_screen(ingest(study), study)
    assert len(res.data) + len(res.exclusions) == 30
    expected = make_survey(30)["ECR_1"].astype(float).tolist()
    assert res.data.sort_values("_row")["ecr_1"].tolist() == [v for i, v in enumerate(expected)
                                                              if i + 1 in set(res.data["_row"])]
    d["data"]["format"] = "csv"            # declared as plain CSV: recognised, read the same, and said so
    plain = resolve_study(d, tmp_path / "s.yaml")
    as_csv = ingest(plain)
    pd.testing.assert_frame_equal(as_csv, ingest(study))
    assert any("recognised as a Qualtrics export" in n for n in as_csv.attrs["read_notes"])
    (tmp_path / "notq.csv").write_text("\n".join(text), encoding="utf-8")
    with pytest.raises(DataError, match="does not look like a Qualtrics CSV export"):
        read_data(tmp_path / "notq.csv", "qualtrics")


def test_declaring_an_identifier_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_survey(10).to_csv(tmp_path / "survey.csv", index=False)
    d = study_dict()
    d["variables"]["ip"] = {"column": "IPAddress", "type": "categorical"}
    with pytest.raises(DataError, match="'IPAddress' identify respondents"):
        ingest(resolve_study(d, tmp_path / "s.yaml"))
