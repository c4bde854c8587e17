"""Errors of the analysis steps name items by the file's headers (ECR_5), not canonical names."""

from __future__ import annotations

import pandas as pd
import pytest

from attachstats.data.validate import in_file_terms, item_headers
from attachstats.errors import DataError, ModelError
from attachstats.spec.study import StudyPart
from attachstats.steps.score import reliability

STUDY = {"name": "s", "instruments": {"ecr": {"instrument": "ecr-r", "columns": "Q{n}_ECR"},
                                      "phq9": {"instrument": "phq-9", "columns": "PHQ_{n}"}}}


def test_item_headers_follow_the_column_pattern() -> None:
    headers = item_headers(StudyPart(STUDY, ["instruments"]))   # reads nothing but the instruments
    assert headers["ecr_5"] == "Q5_ECR" and headers["ecr_36"] == "Q36_ECR" and headers["phq9_9"] == "PHQ_9"


def test_messages_leave_the_block_in_the_file_terms() -> None:
    with pytest.raises(ModelError) as err:
        with in_file_terms(STUDY):
            raise ModelError("model 'one_factor': item(s) without variance: ecr_5, ecr_15 (scale ecr_anxiety)")
    assert str(err.value) == "model 'one_factor': item(s) without variance: Q5_ECR, Q15_ECR (scale ecr_anxiety)"
    with pytest.raises(ValueError, match="ecr_5"):       # not a user error: left alone (a bug keeps its words)
        with in_file_terms(STUDY):
            raise ValueError("ecr_5")


def test_the_reliability_step_names_the_file_header(tmp_path) -> None:
    from conftest import make_survey

    raw = make_survey(60)
    items = {f"ecr_{i}": pd.to_numeric(raw[f"ECR_{i}"]) for i in range(1, 37)}
    items.update({f"phq9_{i}": pd.to_numeric(raw[f"PHQ_{i}"]) for i in range(1, 10)})
    clean = pd.DataFrame({"id": raw["ResponseId"], **items})
    clean["ecr_5"] = 4.0                                   # no variance
    clean.to_parquet(tmp_path / "clean.parquet")
    study = {"name": "s", "instruments": {"ecr": {"instrument": "ecr-r", "columns": "ECR_{n}"},
                                          "phq9": {"instrument": "phq-9", "columns": "PHQ_{n}"}},
             "reliability": {"bootstrap": 0}}
    out = {"scales": str(tmp_path / "r.csv"), "item_table": str(tmp_path / "i.csv")}
    with pytest.raises(DataError) as err:
        reliability(tmp_path / "clean.parquet", out, StudyPart(study, ["instruments", "reliability"]), seed=None)
    assert "ECR_5" in str(err.value) and "ecr_5" not in str(err.value), str(err.value)
