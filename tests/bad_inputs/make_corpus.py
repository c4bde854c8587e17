"""Write the bad-input corpus: malformed raw files and study files, each with the error it must cause.

Run from the repository root to regenerate: .venv/bin/python tests/bad_inputs/make_corpus.py
(deterministic: every byte, ZIP time stamps and SPSS header dates included, is the same on
every run). Each case is a folder with `data.*` and `study.yaml`, and either

* `expected.txt`: a fragment of the one-paragraph error message the case must cause, or
* for a usable file, `expected_read.csv` (the raw table the file must be read as, clean
  UTF-8 CSV) and `expected_notes.txt` (one fragment per line of the alterations the reader
  must record in ``attrs["read_notes"]``).
"""

from __future__ import annotations

import gzip
import io
import random
import re
import sys
import zipfile
from pathlib import Path

import pandas as pd
import yaml

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
from conftest import make_survey, study_dict  # noqa: E402


def good_csv(n: int = 12) -> str:
    return make_survey(n).to_csv(index=False)


def case(name: str, content: bytes | str | None, expected: str, filename: str = "data.csv",
         **study_changes) -> None:
    folder = HERE / name
    folder.mkdir(exist_ok=True)
    if content is not None:
        (folder / filename).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    d = study_dict(filename)
    for key, value in study_changes.items():
        if value is None:
            d.pop(key, None)
        else:
            d[key] = value
    (folder / "study.yaml").write_text(yaml.safe_dump(d, sort_keys=False))
    (folder / "expected.txt").write_text(expected + "\n")
    return folder


def usable(name: str, content: bytes | str, reads_as: pd.DataFrame, notes: list[str], filename: str = "data.csv",
           **study_changes) -> None:
    """A file the reader must read (as ``reads_as``), recording each of ``notes``."""
    folder = case(name, content, "", filename, **study_changes)
    (folder / "expected.txt").unlink()
    (folder / "expected_read.csv").write_text(reads_as.to_csv(index=False), encoding="utf-8")
    (folder / "expected_notes.txt").write_text("".join(n + "\n" for n in notes), encoding="utf-8")


def fixed_zip(members: dict[str, bytes]) -> bytes:
    """A ZIP archive of ``members`` with fixed time stamps (byte-identical on every run)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


def workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    """An .xlsx workbook with the given sheets (rows of cells), deterministic."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["docProps/core.xml"] = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z",
                                          members["docProps/core.xml"])
    return fixed_zip(members)


def table_rows(df: pd.DataFrame) -> list[list[object]]:
    return [list(df.columns)] + df.values.tolist()


def spss_bytes(df: pd.DataFrame, tmp: Path) -> bytes:
    """An SPSS .sav file of ``df`` with the header's creation date and time fixed."""
    import pyreadstat

    pyreadstat.write_sav(df, str(tmp))
    data = bytearray(tmp.read_bytes())
    tmp.unlink()
    data[92:109] = b"01 Jan 2400:00:00"     # creation_date (9 bytes) + creation_time (8 bytes)
    return bytes(data)


def qualtrics_text(df: pd.DataFrame, question: str = "Question {c}") -> str:
    lines = df.to_csv(index=False).split("\n")
    qrow = ",".join('"' + question.format(c=c).replace('"', '""') + '"' for c in df.columns)
    irow = ",".join('"{""ImportId"":""QID%d""}"' % i for i in range(df.shape[1]))
    return "\n".join([lines[0], qrow, irow] + lines[1:])


def main() -> None:
    csv = good_csv()
    header = csv.split("\n")[0]
    rows = csv.split("\n")[1:]
    case("empty_file", b"", "the file is empty")
    case("header_only", header + "\n", "the file has a header but no data rows")
    case("binary_junk", bytes(range(256)) * 8, "is binary data, not text")
    case("truncated_spss", b"$FL2@(#) IBM SPSS STATISTICS" + b"\x00" * 40, "cannot read the file as SPSS .sav",
         filename="data.sav", data={"path": "data.sav", "format": "sav"})
    case("duplicate_column_names", header.replace(",ECR_2,", ",ECR_1,") + "\n" + "\n".join(rows),
         "duplicate column names ['ECR_1']")
    case("non_numeric_answer", "\n".join([header] + [rows[0]] + [",".join(rows[1].split(",")[:5] + ["often"] + rows[1].split(",")[6:])]
                   + rows[2:]), "expected a number but found text (1 such cell(s) in this column); the answers are labelled: "
                   "declare them in the instrument block, instruments.ecr.labels")
    survey = make_survey(12)
    for i in range(1, 37):
        survey[f"ECR_{i}"] = ""
    for i in range(1, 10):
        survey[f"PHQ_{i}"] = ""
    case("all_items_missing", survey.to_csv(index=False), "no respondent has any item answered")
    case("unknown_instrument", csv, "unknown instrument 'ecr-x'",
         instruments={"ecr": {"instrument": "ecr-x", "columns": "ECR_{n}"},
                      "phq9": {"instrument": "phq-9", "columns": "PHQ_{n}"}})
    case("id_column_absent", csv.replace("ResponseId", "RespId"), "'ResponseId' not found")
    case("missing_item_column", csv.replace("ECR_17,", "ECR17,"), "'ECR_17' not found (mapped as ecr_17)")
    case("missing_data_file", None, "the raw data file does not exist")
    case("ragged_rows", header + "\n" + rows[0] + ",1,2,3\n" + "\n".join(rows[1:]), "cannot parse the file")
    case("unknown_format", csv, "key data.format: 'parquet' is not one of", data={"path": "data.csv", "format": "parquet"})
    case("misspelt_study_key", csv, "'screenin' was unexpected", screenin={"longstring": {"instrument": "ecr", "max_run": 18}})
    case("wrong_type_in_study", csv, "key screening.longstring.max_run: 'long' is not of type 'integer'", screening={"longstring": {"instrument": "ecr", "max_run": "long"}})
    case("unknown_model_variable", csv, "unknown variable 'phq9_totl'",
         outcome_models=[{"name": "m", "outcome": "phq9_totl", "predictors": ["age"]}])
    case("out_of_range_error_policy", csv.replace(rows[0], ",".join(rows[0].split(",")[:5] + ["9"]
                                                                   + rows[0].split(",")[6:]), 1),
         "value outside the allowed range", screening={"out_of_range": "error"})
    case("duplicate_ids_error_policy", header + "\n" + rows[0] + "\n" + rows[0].replace(
        rows[0].split(",")[2], str(int(rows[0].split(",")[2]) + 1), 1) + "\n" + "\n".join(rows[1:]),
         "respondent id is not unique", screening={"duplicate_ids": "error"})
    case("declared_identifier", csv, "identify respondents",
         variables={**study_dict()["variables"], "ip": {"column": "IPAddress", "type": "categorical"}})
    case("not_qualtrics", csv, "does not look like a Qualtrics CSV export",
         data={"path": "data.csv", "format": "qualtrics"})
    case("latin1_declared_utf8", csv.replace("Female", "Fémale").encode("latin-1"), "cannot decode the file as utf-8")
    case("bad_instrument_definition", csv, "item 5 is listed twice",
         instruments={"ecr": {"columns": "ECR_{n}", "definition": {
             "id": "broken", "response": {"min": 1, "max": 7}, "n_items": 36, "scoring": "mean",
             "subscales": {"a": {"items": [1, 2, 3, 4, 5, 5]}}}},
             "phq9": {"instrument": "phq-9", "columns": "PHQ_{n}"}})
    new_cases(csv)


def new_cases(csv: str) -> None:
    """Issue 15: files and values a lab really produces."""
    survey = make_survey(12)
    header, rows = csv.split("\n")[0], csv.split("\n")[1:]
    rng = random.Random(15)
    noise = bytes(rng.randrange(256) for _ in range(6000))

    # --- not text at all: named for what they are, whatever data.encoding says
    archive = fixed_zip({"survey.csv": csv.encode()})
    case("zip_named_csv", archive, "the file is a ZIP archive (containing survey.csv)")
    case("zip_named_csv_latin1", archive, "unzip it and point data.path to the extracted data file",
         data={"path": "data.csv", "encoding": "latin-1"})
    case("random_bytes", noise, "the file is binary data, not text")
    case("random_bytes_latin1", noise, "changing data.encoding will not help",
         data={"path": "data.csv", "encoding": "latin-1"})
    case("pdf_named_csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "the file is a PDF document")
    case("gzip_named_csv", gzip.compress(csv.encode(), mtime=0), "decompress it (gunzip)")
    case("html_login_page", "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please log in"
         "</body></html>\n", "an HTML web page")
    case("xls_named_csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + noise[:1536], "old-style Excel .xls")
    case("docx_named_csv", fixed_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),
         "the file is a Word document")
    case("parquet_named_csv", b"PAR1" + noise[:500] + b"PAR1", "the file is an Apache Parquet file")
    case("utf16_without_bom", csv.encode("utf-16-le"), "set data.encoding: utf-16-le")
    big = make_survey(120).to_csv(index=False).split("\n")
    big[100] = big[100].replace(",", ",\x00", 1)
    case("nul_byte_in_row", "\n".join(big), "line 101 contains a NUL byte")
    case("damaged_xlsx", workbook({"data": table_rows(survey)})[:900], "cannot read the file as an Excel .xlsx workbook",
         filename="data.xlsx", data={"path": "data.xlsx", "format": "xlsx"})
    case("truncated_stata", b"<stata_dta><header><release>118</release>" + noise[:40],
         "cannot read the file as Stata .dta", filename="data.dta", data={"path": "data.dta", "format": "dta"})
    case("blank_lines_only", "\n\n  \n\n", "holds only blank lines")

    # --- encodings
    smart = csv.replace("Female", "Female \u2019quoted\u2019", 1).encode("cp1252")
    case("cp1252_declared_utf8", smart, "set data.encoding: cp1252")
    usable("utf16_bom", "\ufeff" + csv.replace("\n", "\r\n"), survey, ["UTF-16 LE byte-order mark"])
    (HERE / "utf16_bom" / "data.csv").write_bytes(("\ufeff" + csv.replace("\n", "\r\n")).encode("utf-16-le"))
    usable("utf16_be_bom", b"", survey, ["UTF-16 BE byte-order mark"])
    (HERE / "utf16_be_bom" / "data.csv").write_bytes(("\ufeff" + csv).encode("utf-16-be"))
    usable("utf32_bom", b"", survey, ["UTF-32 LE byte-order mark"])
    (HERE / "utf32_bom" / "data.csv").write_bytes(("\ufeff" + csv).encode("utf-32-le"))
    usable("utf8_bom_declared_latin1", "\ufeff" + csv, survey, ["UTF-8 byte-order mark: decoded as UTF-8"],
           data={"path": "data.csv", "encoding": "latin-1", "missing_codes": [-99]})
    accents = survey.assign(Gender=survey["Gender"].str.replace("Female", "Fémale"))
    usable("latin1_declared", accents.to_csv(index=False).encode("latin-1"), accents, [],
           data={"path": "data.csv", "encoding": "latin-1", "missing_codes": [-99]},
           variables={**study_dict()["variables"],
                      "gender": {"column": "Gender", "type": "categorical", "reference": "Fémale"}})

    # --- delimiters and decimal separators
    decimals = survey.assign(Age=[f"{a},5" for a in survey["Age"]], Duration=[f"{d},25" for d in survey["Duration"]])
    points = survey.assign(Age=[f"{a}.5" for a in survey["Age"]], Duration=[f"{d}.25" for d in survey["Duration"]])
    usable("semicolon_decimal_comma", decimals.to_csv(index=False, sep=";"), points,
           ["splits at ';'", "decimal commas read as decimal points (detected;", "'Age' (12)"])
    usable("semicolon_decimal_declared", decimals.to_csv(index=False, sep=";"), points,
           ["decimal commas read as decimal points (as data.decimal: ',' says)"],
           data={"path": "data.csv", "delimiter": ";", "decimal": ",", "missing_codes": [-99]})
    case("decimal_point_declared_commas", decimals.to_csv(index=False, sep=";"),
         "expected a number but found text (12 such cell(s) in this column); the number has a decimal comma: "
         'set data.decimal: ","',
         data={"path": "data.csv", "delimiter": ";", "decimal": ".", "missing_codes": [-99]})
    usable("wrong_delimiter", csv.replace(",", ";"), survey, ["data.delimiter is ',' but the header row does not contain it"])
    usable("tab_delimited_as_csv", survey.to_csv(index=False, sep="\t"), survey, ["splits at '\\t'"])
    usable("pipe_delimited", survey.to_csv(index=False, sep="|"), survey, ["splits at '|'"])
    usable("trailing_delimiter", "\n".join(line + "," for line in csv.strip().split("\n")) + "\n", survey,
           ["dropped 1 column(s) without a name"])
    case("ragged_row_late", "\n".join([header] + rows[:9] + [rows[9] + ",x,y"] + rows[10:]),
         "line 11 has 52 cells but the header has 50")
    case("unclosed_quote", "\n".join([header] + rows[:4] + [rows[4].replace(",Male,", ',"Male,', 1).replace(",Female,", ',"Female,', 1)]
                                      + rows[5:]), "a quoted cell is not closed")

    # --- header rows
    titled = "Attachment survey export 2024-03-01\nFilter: all responses\n" + csv
    case("title_row", titled, "set data.header_row: 3")
    usable("title_row_with_header_row", titled, survey, ["data.header_row: 3: skipped line(s) 1–2"],
           data={"path": "data.csv", "header_row": 3, "missing_codes": [-99]})
    case("header_row_off_by_one", titled, "data.header_row is 2 but that line reads",
         data={"path": "data.csv", "header_row": 2, "missing_codes": [-99]})
    case("no_header_row", "\n".join(rows), "the file has no header row", id_column=None)
    excel_title = "Survey export" + "," * (header.count(",")) + "\n" + csv
    case("title_row_with_empty_cells", excel_title, "set data.header_row: 2")
    usable("qualtrics_as_csv", qualtrics_text(survey), survey, ["recognised as a Qualtrics export"])
    usable("qualtrics_multiline_questions", "\ufeff" + qualtrics_text(survey, "How true is this?\n\n{c}, \"in general\""),
           survey, [], data={"path": "data.csv", "format": "qualtrics", "missing_codes": [-99]})
    case("qualtrics_without_responses", "\n".join(qualtrics_text(survey).split("\n")[:3]) + "\n",
         "has its two header rows but no responses")

    # --- columns that do not match the study
    case("item_pattern_differs", csv.replace("ECR_", "ecr"), "set columns: 'ecr{n}'")
    case("many_columns_missing", csv.replace("ECR_", "ECR-").replace("PHQ_", "PHQ-"), "and 39 more")
    case("header_case_and_spaces", csv.replace("ResponseId", "responseid ", 1), "only in case or spaces")

    # --- workbooks, SPSS and Stata by content
    note = [["This workbook holds the export of the attachment survey."], ["Sheet 'responses' has the data."]]
    book = workbook({"README": note, "responses": table_rows(survey)})
    case("xlsx_first_sheet_is_a_note", book, "sheet 'responses' looks like the data: set data.sheet: 'responses'",
         filename="data.xlsx", data={"path": "data.xlsx", "format": "xlsx"})
    case("xlsx_sheet_name_wrong", book, "its sheets: 'README' (2 row(s) × 1 column(s)",
         filename="data.xlsx", data={"path": "data.xlsx", "format": "xlsx", "sheet": "Responses"})
    case("xlsx_sheet_position_wrong", book, "the workbook has 2 sheet(s) (positions 0–1)",
         filename="data.xlsx", data={"path": "data.xlsx", "format": "xlsx", "sheet": 5})
    titled_book = workbook({"data": [["Attachment survey, March 2024"], []] + table_rows(survey)})
    case("xlsx_title_row", titled_book, "the column names are in row 3: set data.header_row: 3",
         filename="data.xlsx", data={"path": "data.xlsx", "format": "xlsx"})
    usable("xlsx_title_row_with_header_row", titled_book, survey, ["skipped sheet row(s) 1–2"],
           filename="data.xlsx", data={"path": "data.xlsx", "format": "xlsx", "header_row": 3, "missing_codes": [-99]})
    usable("xlsx_named_csv", book, survey, ["the file is an Excel .xlsx workbook (from its content): read as xlsx"],
           data={"path": "data.csv", "sheet": "responses", "missing_codes": [-99]})
    usable("csv_named_xlsx", csv, survey, ["the file is plain text, not an Excel .xlsx workbook"],
           filename="data.xlsx", data={"path": "data.xlsx", "format": "xlsx", "missing_codes": [-99]})
    usable("sav_named_csv", spss_bytes(survey, HERE / "tmp.sav"), survey,
           ["the file is an SPSS .sav file (from its content): read as sav"])

    # --- cells validation cannot take as they are: each message gives the fix that applies
    words = {1: "Strongly disagree", 2: "Disagree", 3: "Somewhat disagree", 4: "Neutral", 5: "Somewhat agree",
             6: "Agree", 7: "Strongly agree"}
    labelled = make_survey(12)
    ecr = [f"ECR_{i}" for i in range(1, 37)]
    labelled[ecr] = labelled[ecr].replace({str(k): v for k, v in words.items()})
    case("labelled_answers", labelled.to_csv(index=False),
         "value 'Somewhat agree': expected a number but found text (12 such cell(s) in this column); the answers are "
         "labelled: declare them in the instrument block, instruments.ecr.labels: {1: <label of 1>, ...")
    usable("labelled_answers_declared", labelled.to_csv(index=False), labelled, [],
           instruments={"ecr": {"instrument": "ecr-r", "columns": "ECR_{n}", "labels": words},
                        "phq9": {"instrument": "phq-9", "columns": "PHQ_{n}"}})
    refused = make_survey(12)
    refused.loc[4, "PHQ_3"] = "Refused"
    case("missing_word_in_item", refused.to_csv(index=False), "row 5, column 'PHQ_3', value 'Refused': expected a "
         "number but found text (1 such cell(s) in this column); if 'Refused' means 'not answered', add it to "
         "data.missing_codes (or to instruments.phq9.missing_codes")
    quoted = make_survey(12)
    quoted.loc[2, "Age"] = "35,5"
    case("decimal_comma_in_comma_delimited_file", quoted.to_csv(index=False), "row 3, column 'Age', value '35,5': "
         'expected a number but found text (1 such cell(s) in this column); the number has a decimal comma: set '
         'data.decimal: ","')
    coded = make_survey(12).assign(Sex=["M", "F", "F"] * 4)
    case("codebook_matches_no_cell", coded.to_csv(index=False), "column 'Sex': none of the 12 answered cells matches "
         "a code of variables.sex.codes (1, 2); the column holds 'M', 'F'",
         variables={**study_dict()["variables"],
                    "sex": {"column": "Sex", "type": "categorical", "codes": {1: "male", 2: "female"}}})
    huge = make_survey(12)
    huge.loc[6, "Age"] = "1e308"
    case("huge_number_out_of_range", huge.to_csv(index=False),
         "row 7, column 'Age', value '1e308': value outside the allowed range; expected a value in [16, 99]",
         screening={**study_dict()["screening"], "out_of_range": "error"})


if __name__ == "__main__":
    main()
