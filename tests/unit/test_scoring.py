import numpy as np
import pandas as pd
import pytest

from attachstats.instruments import load_instrument
from attachstats.scoring import keyed_items, score_instrument


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
