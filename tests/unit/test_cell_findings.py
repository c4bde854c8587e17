"""The manuscript states validation's cell-level findings (issue 15): counted from issues.csv."""

from __future__ import annotations

import pandas as pd

from attachstats.output.report.manuscript import findings_text
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
    assert text.startswith("Within the analysed data, validation found 3 missing-value codes, set missing "
                           "(2 respondents, 2 columns); 1 value out of range, set missing (1 respondent, 1 column); "
                           "1 NA-like text, kept as data")
    assert "validation/issues.csv" in text
    empty = cell_findings(_issues().iloc[0:0])
    assert list(empty.columns) == ["rule", "action", "cells", "respondents", "columns"] and empty.empty


def test_the_manuscript_states_the_findings_in_participants() -> None:
    from attachstats.output.report.manuscript import build_manuscript

    flow = pd.DataFrame({"stage": ["raw", "analysed"], "n_before": [10, 10], "n_excluded": [0, 0], "n_after": [10, 10]})
    found = cell_findings(_issues())
    ms = build_manuscript({"name": "s", "instruments": {}}, {"flow": flow}, {}, {"packages": {}, "seed": 1},
                          findings=found)
    participants = ms.sections[1].blocks[0]
    assert participants.title == "Participants"
    assert findings_text(found) in participants.blocks[0].text
    clean = build_manuscript({"name": "s", "instruments": {}}, {"flow": flow}, {}, {"packages": {}, "seed": 1},
                             findings=found.iloc[0:0])
    assert "validation found" not in clean.sections[1].blocks[0].blocks[0].text
