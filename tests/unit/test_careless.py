import numpy as np
import pandas as pd
from scipy import stats

from attachstats.careless import longstring, mahalanobis, seconds_per_item


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
