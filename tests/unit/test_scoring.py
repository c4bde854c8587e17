import numpy as np
import pandas as pd
import pytest

from attachstats.spec.instrument import load_instrument
from attachstats.data.scoring import keyed_items, score_instrument


def test_ecr_r_reverse_and_means():
    ecr = load_instrument("ecr-r")
    row = {f"ecr_{i}": 2.0 for i in range(1, 37)}
    df = pd.DataFrame([row])
    keyed = keyed_items(df, "ecr", ecr)
    assert keyed["ecr_9"].iat[0] == 6 and keyed["ecr_1"].iat[0] == 2 and keyed["ecr_36"].iat[0] == 6
    sc = score_instrument(df, "ecr", ecr)
    assert sc["ecr_anxiety"].iat[0] == pytest.approx((16 * 2 + 2 * 6) / 18)
    assert sc["ecr_avoidance"].iat[0] == pytest.approx((6 * 2 + 12 * 6) / 18)


def test_five_point_form_reverses_with_its_range():
    ecr5 = load_instrument("ecr", {"response": {"min": 1, "max": 5}})
    df = pd.DataFrame([{f"e_{i}": 1.0 for i in range(1, 37)}])
    assert keyed_items(df, "e", ecr5)["e_22"].iat[0] == 5


def test_proration_of_sum_scores():
    phq = load_instrument("phq-9")   # min_answered 0.8 -> at least 8 of 9 items (ceil 7.2)
    full = {f"p_{i}": 2.0 for i in range(1, 10)}
    one_missing = {**full, "p_9": np.nan}
    two_missing = {**one_missing, "p_8": np.nan}
    sc = score_instrument(pd.DataFrame([full, one_missing, two_missing]), "p", phq)
    assert sc["p_total"].iloc[0] == 18
    assert sc["p_total"].iloc[1] == pytest.approx(18)     # prorated: mean 2 x 9 items
    assert np.isnan(sc["p_total"].iloc[2])
    assert sc["p_total_answered"].tolist() == [9, 8, 7]


def _phq_study():
    return {"name": "t", "instruments": {"phq9": {"instrument": "phq-9", "columns": "P{n}"}}}


def test_phq9_bands_caseness_and_safety_flag_at_the_boundaries():
    from attachstats.data.scoring import band_table, caseness_table, score_study

    # totals 0, 4, 5, 9, 10, 14, 15, 19, 20, 27; item 9 carries the last point where possible
    totals = [0, 4, 5, 9, 10, 14, 15, 19, 20, 27]
    rows = []
    for t in totals:
        items = [0] * 9
        for j in range(t):
            items[j % 9] += 1
        rows.append({f"phq9_{i + 1}": float(v) for i, v in enumerate(items)})
    rows.append({**rows[4], "phq9_9": np.nan})                      # prorated: 8 answered
    rows.append({**rows[4], "phq9_9": np.nan, "phq9_8": np.nan})    # not scored
    data = pd.DataFrame(rows)
    data.insert(0, "id", [f"r{i}" for i in range(len(data))])
    scores, _ = score_study(data, _phq_study())
    assert scores["phq9_total"].iloc[:10].tolist() == totals
    assert scores["phq9_total_band"].iloc[:10].tolist() == [
        "minimal", "minimal", "mild", "mild", "moderate", "moderate", "moderately_severe",
        "moderately_severe", "severe", "severe"]
    assert scores["phq9_total_case"].iloc[:10].tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
    # item 9 >= 1 only when the total reaches 9 (points go to items 1..9 in turn)
    assert scores["phq9_item9_safety"].iloc[:10].tolist() == [int(t >= 9) for t in totals]
    prorated = scores.iloc[10]
    assert prorated["phq9_total"] == pytest.approx(10 * 9 / 8 - 1 * 9 / 8)   # mean of 8 answered x 9
    assert pd.isna(prorated["phq9_item9_safety"])
    assert pd.isna(scores["phq9_total_band"].iloc[11]) and pd.isna(scores["phq9_total_case"].iloc[11])
    bands = band_table(scores, _phq_study())
    assert bands["n"].tolist() == [2, 2, 3, 2, 2] and bands["n"].sum() == 11
    assert bands["upper"].tolist()[:4] == [5, 10, 15, 20] and np.isnan(bands["upper"].iloc[4])
    case = caseness_table(scores, _phq_study()).set_index("indicator")
    assert case.loc["phq9_total_case", ["n_assessed", "n_positive"]].tolist() == [11, 7]   # 10.125 counts
    assert case.loc["phq9_item9_safety", ["n_assessed", "n_positive"]].tolist() == [10, 7]
    assert case.loc["phq9_total_case", "rule"] == "phq9_total >= 10"


def test_pdss_anchors_and_instruments_without_cutoffs():
    from attachstats.data.scoring import band_table, caseness_table, score_study

    study = {"name": "t", "instruments": {"pdss": {"instrument": "pdss-sr", "columns": "D{n}"},
                                          "ecr": {"instrument": "ecr-s", "columns": "E{n}"}}}
    totals = [0, 1, 2, 5, 6, 9, 10, 13, 14, 28]
    rows = []
    for t in totals:
        items = [min(4, max(0, t - 4 * j)) for j in range(7)]
        rows.append({**{f"pdss_{i + 1}": float(v) for i, v in enumerate(items)},
                     **{f"ecr_{i}": 4.0 for i in range(1, 13)}})
    data = pd.DataFrame(rows)
    data.insert(0, "id", [f"r{i}" for i in range(len(data))])
    scores, _ = score_study(data, study)
    assert scores["pdss_total"].tolist() == totals
    assert scores["pdss_total_band"].tolist() == ["normal", "normal", "borderline", "borderline", "slightly_ill",
                                                  "slightly_ill", "moderately_ill", "moderately_ill",
                                                  "markedly_ill", "markedly_ill"]
    assert "pdss_total_case" not in scores and not any(c.startswith("ecr_") and c.endswith("_band") for c in scores)
    assert band_table(scores, study)["score"].unique().tolist() == ["pdss_total"]
    assert caseness_table(scores, study).empty


def test_continuous_items_score_and_reverse_unchanged():
    slider = load_instrument({"id": "slider", "response": {"min": 0, "max": 100, "type": "continuous"}, "n_items": 3,
                              "scoring": "mean", "min_answered": 0.6, "subscales": {"total": {"items": "1-3",
                                                                                               "reverse": [3]}}})
    df = pd.DataFrame({"s_1": [12.5, 40.0], "s_2": [87.25, np.nan], "s_3": [99.5, 10.0]})
    assert keyed_items(df, "s", slider)["s_3"].tolist() == [0.5, 90.0]
    sc = score_instrument(df, "s", slider)
    assert sc["s_total"].tolist() == pytest.approx([(12.5 + 87.25 + 0.5) / 3, (40.0 + 90.0) / 2])
