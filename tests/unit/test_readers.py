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


# ---------------------------------------------------------------- sniffing (issue 15)

from attachstats.data import readers as rd                      # noqa: E402
from attachstats.data.sniff import (choose_delimiter, find_header, is_qualtrics, sniff_bytes,  # noqa: E402
                                    split_records)


@pytest.mark.parametrize("head, kind", [
    (b"PK\x03\x04rest", "zip"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(8), "ole2"),
    (b"$FL2@(#) SPSS", "sav"), (b"<stata_dta><header>", "dta"), (bytes([114, 2, 1, 0]) + bytes(20), "dta"),
    (b"%PDF-1.4", "pdf"), (b"\x1f\x8b\x08\x00", "gzip"), (b"PAR1xxxx", "parquet"),
    (b"  <!DOCTYPE html><html>", "html"), (bytes(range(256)), "binary"),
    ("id,x\n1,2\n".encode("utf-16-le"), "utf16-nobom"), (b"id,x\n1,2\n", "text"),
    ("\ufeffid".encode("utf-16-le"), "text"), ("\ufeffid".encode("utf-32-le"), "text"),
])
def test_sniff_names_what_the_bytes_are(head, kind):
    assert sniff_bytes(head).kind == kind


def test_sniff_tells_a_workbook_from_other_archives():
    assert sniff_bytes(b"PK\x03\x04", ["[Content_Types].xml", "xl/workbook.xml"]).kind == "xlsx"
    assert sniff_bytes(b"PK\x03\x04", ["mimetype", "content.xml"]).kind == "ods"
    z = sniff_bytes(b"PK\x03\x04", ["a.csv", "b.csv", "c.csv", "d.csv"])
    assert z.kind == "zip" and "a.csv, b.csv, c.csv and 1 more" in z.label
    assert sniff_bytes("\ufeffa".encode("utf-32-le")).bom == "UTF-32 LE"     # not mistaken for UTF-16 LE


def test_records_delimiter_header_and_qualtrics_rows():
    text = 'a;b;c\n"x\ny";2;3\n4;5;6\n'
    records, offsets = split_records(text, ";", 10)
    assert records == [["a", "b", "c"], ["x\ny", "2", "3"], ["4", "5", "6"]] and offsets[-1] == len(text)
    assert choose_delimiter(text, ",") == ";" and choose_delimiter("a,b\n1,2\n", ";") == ","
    assert choose_delimiter("a b\n1 2\n", ",") == ","          # nothing splits: the declared one stays
    assert find_header([["Title"], [], ["id", "x", "y"]], {"id", "x", "y"}) == 2
    assert find_header([["id", "x", "y"], ["1", "2", "3"]], {"id", "x", "y"}) is None
    assert find_header([["Export of 2024", "", ""], ["id", "x", "y"], ["1", "2", "3"]], set()) == 1
    assert is_qualtrics([["id"], ["Question"], ['{"ImportId":"QID1"}']])
    assert not is_qualtrics([["id"], ["1"], ["2"]])


def test_plain_utf8_files_still_take_the_arrow_path(tmp_path, monkeypatch):
    """The three studies' files are read exactly as before: the fast reader, no notes."""
    p = tmp_path / "s.csv"
    make_survey(20).to_csv(p, index=False)
    monkeypatch.setattr(rd, "_parse_python", lambda *a, **k: pytest.fail("slow path taken"))
    df = read_data(p)
    assert df.shape == (20, 50) and df.attrs["read_notes"] == []


def test_decimal_commas_only_outside_comma_delimited_files(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text('id,x\n1,"3,5"\n2,4\n', encoding="utf-8")
    assert read_data(p)["x"].tolist() == ["3,5", "4"]                  # kept: validation names it
    assert read_data(p, decimal=",")["x"].tolist() == ["3.5", "4"]
    q = tmp_path / "e.csv"
    q.write_text("id;x;label\n1;3,5;a,b\n2;-0,25;c\n", encoding="utf-8")
    df = read_data(q, delimiter=";")
    assert df["x"].tolist() == ["3.5", "-0.25"] and df["label"].tolist() == ["a,b", "c"]
    assert read_data(q, delimiter=";", decimal=".")["x"].tolist() == ["3,5", "-0,25"]


def test_workbook_whose_first_sheet_is_a_note_without_a_study(tmp_path):
    pytest.importorskip("openpyxl")
    p = tmp_path / "w.xlsx"
    with pd.ExcelWriter(p) as xw:
        pd.DataFrame({"Read me": ["This workbook holds the survey."]}).to_excel(xw, sheet_name="Notes", index=False)
        make_survey(5).to_excel(xw, sheet_name="Data", index=False)
    with pytest.raises(DataError, match=r"sheet 'Notes' \(position 0\) does not look like the data.*"
                                        r"sheet 'Data' looks like the data: set data.sheet: 'Data'"):
        read_data(p, "xlsx")
    assert read_data(p, "xlsx", sheet="Data").shape == (5, 50)
    with pytest.raises(DataError, match="did you mean 'Data'"):
        read_data(p, "xlsx", sheet="data")


def test_no_input_escapes_as_a_traceback(tmp_path):
    """Every prefix of a workbook, an SPSS file and a Qualtrics export ends in a DataError or a reading."""
    pytest.importorskip("openpyxl")
    sources = {}
    make_survey(8).to_excel(tmp_path / "w.xlsx", index=False)
    sources["xlsx"] = (tmp_path / "w.xlsx").read_bytes()
    num = numeric_survey(8).drop(columns=["IPAddress", "RecipientEmail"])
    pyreadstat.write_sav(num, str(tmp_path / "s.sav"))
    sources["sav"] = (tmp_path / "s.sav").read_bytes()
    sources["csv"] = ("\ufeff" + make_survey(8).to_csv(index=False)).encode("utf-16")
    for fmt, data in sources.items():
        for cut in sorted({1, 2, 3, 5, 17, 64, 300, len(data) // 3, len(data) // 2, len(data) - 7}):
            p = tmp_path / f"cut{cut}.{fmt}"
            p.write_bytes(data[:cut])
            for declared in ("csv", fmt):
                try:
                    read_data(p, declared)
                except DataError as exc:
                    assert str(exc).startswith(f"file {p}")
