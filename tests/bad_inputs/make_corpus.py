"""Write the bad-input corpus: malformed raw files and study files, each with the error it must cause.

Run from the repository root to regenerate: .venv/bin/python tests/bad_inputs/make_corpus.py
Each case is a folder with `data.*`, `study.yaml` and `expected.txt` (a fragment of the
one-paragraph error message).
"""

from __future__ import annotations

import sys
from pathlib import Path

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


def main() -> None:
    csv = good_csv()
    header = csv.split("\n")[0]
    rows = csv.split("\n")[1:]
    case("empty_file", b"", "the file is empty")
    case("header_only", header + "\n", "the file has a header but no data rows")
    case("wrong_delimiter", csv.replace(",", ";"), "not found")
    case("binary_junk", bytes(range(256)) * 8, "cannot decode the file as utf-8")
    case("truncated_spss", b"$FL2@(#) IBM SPSS STATISTICS" + b"\x00" * 40, "cannot read the file as SPSS .sav",
         filename="data.sav", data={"path": "data.sav", "format": "sav"})
    case("duplicate_column_names", header.replace(",ECR_2,", ",ECR_1,") + "\n" + "\n".join(rows),
         "duplicate column names ['ECR_1']")
    case("non_numeric_answer", "\n".join([header] + [rows[0]] + [",".join(rows[1].split(",")[:5] + ["often"] + rows[1].split(",")[6:])]
                   + rows[2:]), "expected a number but found text")
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


if __name__ == "__main__":
    main()
