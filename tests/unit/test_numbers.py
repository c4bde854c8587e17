"""The one number formatter (output.numbers) and the sentences that use it."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from attachstats.output.apa import table_model
from attachstats.output.numbers import ci_text, format_value, is_missing, p_text, significance_marks


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA])
def test_missing_values(missing: object) -> None:
    assert is_missing(missing)
    assert p_text(missing) == "p undefined" and significance_marks(missing) == ""


def test_p_text_and_ci_text() -> None:
    assert [p_text(p) for p in (0.0004, np.float64(0.0234), 0.5)] == ["p < .001", "p = .023", "p = .500"]
    assert ci_text(0.26, 0.36, "r") == "[.26, .36]" and ci_text(-0.5535, 2.0696, "b") == "[\u22120.55, 2.07]"
    assert ci_text(0.26, None, "r") == "" and not is_missing("NA") and not is_missing(0.0)


def _flow() -> pd.DataFrame:
    return pd.DataFrame({"stage": ["raw", "analysed"], "n_before": [10, 10], "n_excluded": [0, 0],
                         "n_after": [10, 10]})


def test_the_manuscript_prints_a_missing_p_as_undefined() -> None:
    """A missing p once printed as ``p = `` in one sentence builder and ``p undefined`` in another."""
    from attachstats.output.report.manuscript import build_manuscript

    fit = pd.DataFrame([{"model": "one_factor", "estimator": "ML", "n": 10, "df": 5, "chi2": 12.0, "p": float("nan"),
                         "cfi": 0.9, "tli": 0.9, "rmsea": 0.05, "rmsea_ci_lo": 0.04, "rmsea_ci_hi": 0.06,
                         "srmr": 0.04, "aic": 1.0, "bic": 2.0}])
    reg = pd.DataFrame([{"model": "m", "outcome": "y", "family": "ols", "term": "x", "b": 1.0, "se": 0.25,
                         "ci_lo": 0.5, "ci_hi": 1.5, "beta": 0.2, "sr2": 0.04, "stat": 4.0, "p": float("nan"),
                         "p_adj": float("nan"), "n": 10, "exp_b": float("nan"), "exp_ci_lo": float("nan"),
                         "exp_ci_hi": float("nan"), "centre": float("nan")}])
    comp = pd.DataFrame([{"restricted": "one_factor", "general": "two_factor", "estimator": "ML", "df_diff": 1,
                          "chi2_diff": 3.0, "p": float("nan"), "delta_cfi": -0.01, "delta_rmsea": 0.01,
                          "delta_aic": 1.0, "delta_bic": 2.0}])
    study = {"name": "s", "instruments": {}, "outcome_models": [{"name": "m", "outcome": "y", "predictors": ["x"]}]}
    ms = build_manuscript(study, {"flow": _flow(), "cfa_fit": fit, "regressions": reg, "cfa_comparison": comp}, {},
                          {"packages": {}, "seed": 1})
    text = "\n".join(str(getattr(b, "text", "")) for s in ms._all_sections() for b in s.blocks).replace("\u00a0", " ")
    assert "the one-factor model, χ²(5) = 12.00, p undefined, CFI = .90" in text
    assert "Focal predictors: x, b = 1.00, 95% CI [0.50, 1.50], β = .20, p undefined." in text
    assert "the two-factor model against the one-factor model: Δχ²(1) = 3.00, p undefined" in text
    assert not re.search(r"p = (?![.\d])", text)            # no p printed without its value


@pytest.mark.parametrize("column", ["n_excluded", "count", "n_boot", "imputations", "block", "df1", "df2",
                                    "f_df1", "f_df2", "n", "df", "df_diff", "seed", "n_factors"])
def test_counts_stored_as_float_print_as_integers(column: str) -> None:
    """Counts in a column with empty cells are floats in the CSV; they print like ints."""
    grouped = "1995" if column in ("df1", "df2", "f_df1", "f_df2", "df", "df_diff", "seed", "n_factors", "block") \
        else "1,995"                                        # APA: commas in counts, none in df
    assert format_value(1995.0, column) == grouped == format_value(1995, column)
    assert format_value(1995.5, column) == "1,995.50"   # not a whole number: left as a number


def test_integer_counts_in_a_formatted_table() -> None:
    flow = pd.DataFrame({"stage": ["raw", "speeding"], "n_before": [2000, 2000], "n_excluded": [np.nan, 5.0],
                         "n_after": [2000, 1995]})
    assert table_model(flow, "flow").rows[1] == ["speeding", "2,000", "5", "1,995"]


def test_whole_numbers_in_quantity_columns_print_as_quantities() -> None:
    # a CSV cell "0" is read back as an int; an RMSEA bound of exactly 0 is still a quantity
    from attachstats.output.numbers import format_value

    assert format_value(0, "rmsea_ci_lo") == ".000"
    assert format_value(1, "cfi") == "1.00"
    assert format_value(0, "bartlett_p") == "< .001"
    assert format_value(0, "n_excluded") == "0" and format_value(1421, "df2") == "1421"


def test_numpy_scalars_format_like_python_values() -> None:
    import numpy as np

    from attachstats.output.numbers import format_value

    assert format_value(np.int64(0), "rmsea_ci_lo") == ".000"
    assert format_value(np.int64(1421), "df2") == "1421"
    assert format_value(np.float64(0.0514), "rmsea") == ".051"
    assert format_value(np.bool_(True), "converged") == "True"
    assert format_value(np.float64("nan"), "p") == ""
