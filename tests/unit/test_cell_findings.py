"""The report states validation's cell-level findings (issue 15): counted from issues.csv."""

from __future__ import annotations

import pandas as pd

from attachstats.output.report.html import findings_text
from attachstats.steps.report import cell_findings


def _issues() -> pd.DataFrame:
    return pd.DataFrame({"row": [2, 2, 5, 9, 9], "id": ["a", "a", "b", "c", "c"],
                         "column": ["ecr_1", "ecr_2", "ecr_1", "age", "gender"],
                         "value": ["-99", "-99", "-99", "150", "NA"],
                         "rule": ["missing_code"] * 3 + ["out_of_range (expected a value in [16, 99])",
                                                         "na_like_text (kept as a value, not missing)"],
                         "action": ["set_missing"] * 4 + ["keep"]})


def test_findings_are_counted_by_rule_and_action() -> None:
    got = cell_findings(_issues())
    assert got.to_dict("records") == [
        {"rule": "missing_code", "action": "set_missing", "cells": 3, "respondents": 2, "columns": 2},
        {"rule": "out_of_range", "action": "set_missing", "cells": 1, "respondents": 1, "columns": 1},
        {"rule": "na_like_text", "action": "keep", "cells": 1, "respondents": 1, "columns": 1}]
    assert got["cells"].sum() == len(_issues())          # every cell counted once


def test_the_sentence_names_each_rule_and_points_to_the_file() -> None:
    text = findings_text(cell_findings(_issues()))
    assert text.startswith("Cell-level findings: 3 missing-value codes set missing (2 respondents, 2 columns); "
                           "1 value out of range set missing (1 respondent, 1 column); "
                           "1 NA-like text kept as data")
    assert "validation/issues.csv" in text
    empty = cell_findings(_issues().iloc[0:0])
    assert list(empty.columns) == ["rule", "action", "cells", "respondents", "columns"] and empty.empty
    assert "no cell" in findings_text(empty)
