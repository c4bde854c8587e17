"""The real workflow on a study with an instrument defined only in its YAML, and the new tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import make_survey, study_dict
from test_workflow import snakemake, write_study

pytestmark = pytest.mark.integration

INLINE = {"columns": "M{n}", "definition": {
    "id": "my-scale", "name": "A four-item scale defined in the study", "response": {"min": 1, "max": 5},
    "n_items": 4, "scoring": "sum", "min_answered": 0.75,
    "subscales": {"total": {"items": "1-4", "reverse": [2]}},
    "items": {1: {"label": "first", "keyed": 1}, 2: {"label": "second", "keyed": -1},
              3: {"label": "third", "keyed": 1}, 4: {"label": "fourth", "keyed": 1}},
    "cutoffs": {"total": {"caseness": 12, "bands": {"low": 4, "high": 12}}}}}


@pytest.fixture(scope="module")
def inline_run(tmp_path_factory):
    wd = tmp_path_factory.mktemp("inline")
    survey = make_survey(150)
    rng = np.random.default_rng(9)
    trait = rng.standard_normal(len(survey))
    for i in range(1, 5):
        x = np.clip(np.round(3 + 0.9 * trait + rng.standard_normal(len(survey)) * 0.8), 1, 5).astype(int)
        survey[f"M{i}"] = (6 - x if i == 2 else x).astype(str)
    survey.loc[0, "M3"] = ""                       # one item missing: prorated (3 of 4 >= 0.75)
    survey.loc[1, ["M3", "M4"]] = ""               # two missing: not scored
    study = study_dict(reliability={"bootstrap": 100}, attachment_styles={"instrument": "ecr", "rule": "median"})
    study["instruments"]["mine"] = INLINE
    write_study(wd, study, survey)
    res = snakemake(wd)
    assert res.returncode == 0, res.stderr[-4000:]
    return wd / "results" / "mini", survey


def test_inline_instrument_is_scored_and_gets_a_reliability_row(inline_run):
    out, survey = inline_run
    scores = pd.read_csv(out / "scores" / "scores.csv")
    raw = survey[[f"M{i}" for i in range(1, 5)]].replace("", np.nan).astype(float)
    keyed = raw.assign(M2=6 - raw["M2"])
    expected = keyed.mean(axis=1) * 4
    expected[keyed.notna().sum(axis=1) < 3] = np.nan
    got = scores.set_index("id")["mine_total"]
    ref = pd.Series(expected.to_numpy(), index=survey["ResponseId"]).loc[got.index]
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy())
    assert set(scores["mine_total_band"].dropna()) <= {"low", "high"}
    summary = pd.read_csv(out / "tables" / "score_summary.csv").set_index("score")
    assert summary.loc["mine_total", ["n_prorated", "n_not_scored"]].tolist() == [1, 1]
    rel = pd.read_csv(out / "tables" / "reliability.csv").set_index("scale")
    row = rel.loc["mine_total"]
    assert row["k"] == 4 and row["omega_nfactors"] == 1 and np.isnan(row["omega_h"])
    c = keyed[survey["ResponseId"].isin(scores["id"]).to_numpy()].cov().to_numpy()   # analysed rows, pairwise
    assert row["alpha"] == pytest.approx(4 / 3 * (1 - np.trace(c) / c.sum()), abs=1e-9)
    assert row["alpha_boot_ci_lo"] < row["alpha"] < row["alpha_boot_ci_hi"]
    assert row["omega_total_ci_lo"] < row["omega_total"] < row["omega_total_ci_hi"]
    assert list(rel.reset_index().columns[:11]) == ["scale", "n", "k", "alpha", "alpha_ci_lo", "alpha_ci_hi",
                                                    "std_alpha", "omega_total", "omega_h", "mean", "sd"]
    case = pd.read_csv(out / "tables" / "caseness.csv").set_index("indicator")
    assert case.loc["mine_total_case", "n_positive"] == (scores["mine_total"] >= 12).sum()


def test_styles_descriptives_and_report(inline_run):
    out, _ = inline_run
    styles = pd.read_csv(out / "tables" / "attachment_styles.csv")
    scores = pd.read_csv(out / "scores" / "scores.csv")
    assert styles["n"].sum() == len(scores) and styles["rule"].iat[0] == "above the sample median"
    assert styles["anxiety_cut"].iat[0] == pytest.approx(scores["ecr_anxiety"].median())
    corr = pd.read_csv(out / "tables" / "correlations.csv")
    desc = pd.read_csv(out / "tables" / "descriptives.csv")
    assert desc["variable"].tolist() == ["ecr_anxiety", "ecr_avoidance", "phq9_total", "mine_total", "age"]
    assert len(corr) == 10
    r = corr.set_index(["var1", "var2"]).loc[("ecr_anxiety", "phq9_total"), "r"]
    assert r == pytest.approx(scores[["ecr_anxiety", "phq9_total"]].corr().iat[0, 1])
    apa = (out / "tables" / "correlations_apa.md").read_text()
    assert "| 1. Attachment anxiety |" in apa and "ecr_anxiety" not in apa      # labelled, as apa.cor.table
    html = (out / "report.html").read_text()
    assert "The dimensional scores remain the primary analysis" in html
    assert "Means, standard deviations, reliabilities and correlations" in html
