"""A Qualtrics-style SPSS export for the `attachstats init` tests (written with pyreadstat).

What a Qualtrics "Export data → SPSS" file looks like: the platform's metadata columns
(``StartDate`` … ``UserLanguage``, ``Duration__in_seconds_``, ``ResponseId``, recipient and
location columns that identify people), questions named ``Q<k>`` / ``Q<k>_<item>``, value
labels on every choice, ``-99`` = "Seen but unanswered" declared user-missing, and question
texts as variable labels. The answers follow a known structure: ECR-R items on two
correlated factors with the published reverse keys, PHQ-9 items driven by anxiety, an age
with ``999`` labelled "Prefer not to say" (not declared missing), a gender with a
"Prefer not to say" code, and a free-text comment.

Run as a script to write one: ``python tests/qualtrics_export.py out.sav``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ECR_REVERSE = {9, 11, 20, 22, 26, 27, 28, 29, 30, 31, 33, 34, 35, 36}
AGREE = {1: "Strongly disagree", 2: "Disagree", 3: "Somewhat disagree", 4: "Neither agree nor disagree",
         5: "Somewhat agree", 6: "Agree", 7: "Strongly agree", -99: "Seen but unanswered"}
PHQ = {0: "Not at all", 1: "Several days", 2: "More than half the days", 3: "Nearly every day",
       -99: "Seen but unanswered"}
GENDER = {1: "Female", 2: "Male", 3: "Non-binary / third gender", 4: "Prefer not to say",
          -99: "Seen but unanswered"}


def qualtrics_frame(n: int = 240, seed: int = 7) -> tuple[pd.DataFrame, dict, dict, dict]:
    """(data, column labels, value labels, user-missing values) of a simulated export."""
    rng = np.random.default_rng(seed)
    anx = rng.standard_normal(n)
    avo = 0.3 * anx + np.sqrt(1 - 0.09) * rng.standard_normal(n)
    dep = 0.5 * anx + 0.2 * avo + 0.8 * rng.standard_normal(n)
    start = pd.Timestamp("2026-03-02 09:00:00") + pd.to_timedelta(np.sort(rng.integers(0, 86400 * 20, n)), unit="s")
    duration = rng.integers(240, 1500, n)
    cols: dict[str, object] = {
        "StartDate": start.strftime("%Y-%m-%d %H:%M:%S"),
        "EndDate": (start + pd.to_timedelta(duration, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
        "Status": np.zeros(n), "IPAddress": [f"192.0.2.{i % 250}" for i in range(n)],
        "Progress": np.full(n, 100.0), "Duration__in_seconds_": duration.astype(float), "Finished": np.ones(n),
        "RecordedDate": (start + pd.to_timedelta(duration, unit="s")).strftime("%Y-%m-%d %H:%M:%S"),
        "ResponseId": [f"R_{rng.integers(16**14):014x}" for _ in range(n)],
        "RecipientLastName": [""] * n, "RecipientFirstName": [""] * n, "RecipientEmail": [""] * n,
        "ExternalReference": [""] * n, "LocationLatitude": rng.uniform(40, 60, n).round(4),
        "LocationLongitude": rng.uniform(-5, 20, n).round(4), "DistributionChannel": ["anonymous"] * n,
        "UserLanguage": ["EN"] * n,
    }
    for i in range(1, 37):
        f = anx if i <= 18 else avo
        x = np.clip(np.round(4 + 1.3 * f + rng.standard_normal(n)), 1, 7)
        cols[f"Q1_{i}"] = 8 - x if i in ECR_REVERSE else x
    for i in range(1, 10):
        cols[f"Q2_{i}"] = np.clip(np.round(1 + 0.7 * dep + 0.6 * rng.standard_normal(n)), 0, 3)
    cols["Q3"] = rng.integers(18, 70, n).astype(float)
    cols["Q4"] = rng.choice([1.0, 2.0, 3.0, 4.0], n, p=[0.55, 0.4, 0.03, 0.02])
    cols["Q5"] = ["" if rng.random() < 0.6 else f"comment {k}: {rng.choice(['thanks', 'too long', 'fine'])}"
                  for k in range(n)]
    df = pd.DataFrame(cols)
    for k in rng.choice(n, 25, replace=False):                 # seen but unanswered items
        df.loc[k, f"Q1_{rng.integers(1, 37)}"] = -99.0
    for k in rng.choice(n, 6, replace=False):
        df.loc[k, f"Q2_{rng.integers(1, 10)}"] = -99.0
    df.loc[rng.choice(n, 3, replace=False), "Q3"] = 999.0      # "Prefer not to say", labelled, not declared missing
    labels = {"Duration__in_seconds_": "Duration (in seconds)", "ResponseId": "Response ID",
              **{f"Q1_{i}": f"How do you generally feel in close relationships? - statement {i}" for i in range(1, 37)},
              **{f"Q2_{i}": f"Over the last 2 weeks, how often have you been bothered by - problem {i}"
                 for i in range(1, 10)},
              "Q3": "What is your age?", "Q4": "What is your gender?", "Q5": "Any comments on this survey?"}
    value_labels = {**{f"Q1_{i}": AGREE for i in range(1, 37)}, **{f"Q2_{i}": PHQ for i in range(1, 10)},
                    "Q3": {999: "Prefer not to say"}, "Q4": GENDER, "Finished": {0: "False", 1: "True"},
                    "Status": {0: "IP Address", 1: "Survey Preview"}}
    missing = {c: [-99] for c in [*(f"Q1_{i}" for i in range(1, 37)), *(f"Q2_{i}" for i in range(1, 10)), "Q4"]}
    return df, labels, value_labels, missing


def write_qualtrics_sav(path: str | Path, n: int = 240, seed: int = 7) -> Path:
    """Write the simulated Qualtrics SPSS export to ``path``."""
    import pyreadstat

    df, labels, value_labels, missing = qualtrics_frame(n, seed)
    pyreadstat.write_sav(df, str(path), column_labels=[labels.get(c, c) for c in df.columns],
                         variable_value_labels=value_labels, missing_ranges=missing)
    return Path(path)


if __name__ == "__main__":
    print(write_qualtrics_sav(sys.argv[1] if len(sys.argv) > 1 else "qualtrics_export.sav"))
