import numpy as np
import pandas as pd
import pytest
from scipy import stats

from attachstats.stats.careless import longstring, mahalanobis, seconds_per_item


def test_longstring_hand_worked():
    df = pd.DataFrame([[1, 1, 1, 2, 2, 3],        # runs 3,2,1 -> max 3, mean 2
                       [5, 5, 5, 5, 5, 5],        # one run of 6
                       [1, np.nan, 1, 1, 4, 4],   # missing breaks runs: 1 | 2,2 -> max 2, mean 5/3
                       [np.nan] * 6])
    out = longstring(df)
    assert out["longstring_max"].tolist()[:3] == [3, 6, 2]
    np.testing.assert_allclose(out["longstring_mean"].tolist()[:3], [2, 6, 5 / 3])
    assert out.iloc[3].isna().all()


def test_mahalanobis_matches_definition():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((200, 4)) @ np.array([[1, .5, 0, 0], [0, 1, .3, 0], [0, 0, 1, .2], [0, 0, 0, 1]])
    df = pd.DataFrame(x)
    df.iloc[0, 1] = np.nan
    out = mahalanobis(df)
    xc = x[1:]
    mu, cov = xc.mean(0), np.cov(xc, rowvar=False)
    expected = np.array([(r - mu) @ np.linalg.inv(cov) @ (r - mu) for r in xc])
    np.testing.assert_allclose(out["mahalanobis_d2"].to_numpy()[1:], expected, rtol=1e-10)
    np.testing.assert_allclose(out["mahalanobis_p"].to_numpy()[1:], stats.chi2.sf(expected, 4))
    assert np.isnan(out["mahalanobis_d2"].iat[0])
    # the mean of D2 over the sample is k (n-1)/n for the sample covariance
    assert abs(np.mean(expected) - 4 * 198 / 199) < 1e-8


def test_seconds_per_item():
    assert seconds_per_item(pd.Series(["90", "x"]), 45).tolist()[0] == 2.0


# ---- against R code written from the published definitions (tests/fixtures/careless/) ----
from pathlib import Path

from attachstats.stats.careless import attention_failures, evenodd, irv, psychsyn

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "careless"


def _fixture():
    return pd.read_csv(FIX / "items.csv"), pd.read_csv(FIX / "reference.csv")


@pytest.mark.parametrize("column", ["longstring_max", "longstring_mean", "irv", "evenodd", "psychsyn",
                                    "mahalanobis_d2", "mahalanobis_p"])
def test_indices_match_r_reference(column):
    items, ref = _fixture()
    ours = {"longstring_max": lambda: longstring(items)["longstring_max"],
            "longstring_mean": lambda: longstring(items)["longstring_mean"],
            "irv": lambda: irv(items), "evenodd": lambda: evenodd(items, [6, 6, 6]),
            "psychsyn": lambda: psychsyn(items, 0.60),
            "mahalanobis_d2": lambda: mahalanobis(items)["mahalanobis_d2"],
            "mahalanobis_p": lambda: mahalanobis(items)["mahalanobis_p"]}[column]()
    expected = ref[column].to_numpy(dtype=float)
    np.testing.assert_array_equal(np.isnan(ours.to_numpy()), np.isnan(expected))
    np.testing.assert_allclose(ours.to_numpy()[~np.isnan(expected)], expected[~np.isnan(expected)], rtol=1e-9,
                               atol=1e-12)


def test_hand_worked_irv_evenodd_psychsyn():
    df = pd.DataFrame([[1, 2, 3, 4, 5, 6], [4, 4, 4, 4, 4, 4]])
    assert irv(df).tolist() == pytest.approx([np.sqrt(3.5), 0.0])
    # scales (1,2), (3,4), (5,6): odd means 1, 3, 5 and even means 2, 4, 6 -> r = 1
    eo = evenodd(df, [2, 2, 2])
    assert eo.iat[0] == pytest.approx(1.0) and np.isnan(eo.iat[1])
    assert evenodd(df, [2, 2, 2], spearman_brown=True).iat[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="add up to 5"):
        evenodd(df, [2, 3])


def test_psychsyn_pairs_and_antonyms():
    rng = np.random.default_rng(2)
    f = rng.standard_normal(300)
    df = pd.DataFrame({"a": f + 0.3 * rng.standard_normal(300), "b": f + 0.3 * rng.standard_normal(300),
                       "c": -f + 0.3 * rng.standard_normal(300), "d": rng.standard_normal(300)})
    # a-b synonyms only: one pair, fewer than three -> NaN for everybody
    assert psychsyn(df).isna().all()
    assert psychsyn(df, antonyms=True).isna().all()


def test_attention_failures_missing_counts_as_failure():
    answers = pd.DataFrame({"c1": [3, 3, np.nan], "c2": [1, 2, 1]})
    assert attention_failures(answers, [3, 1]).tolist() == [0, 1, 1]
