import numpy as np
import pandas as pd
import pytest
from scipy import stats

from attachstats.stats.careless import (SingularItems, em_mean_cov, longstring, mahalanobis, redundant_items,
                                        seconds_per_item)


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
    """Complete data: the complete-case result, R's stats::mahalanobis(x, colMeans(x), cov(x))."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((200, 4)) @ np.array([[1, .5, 0, 0], [0, 1, .3, 0], [0, 0, 1, .2], [0, 0, 0, 1]])
    out = mahalanobis(pd.DataFrame(x))
    mu, cov = x.mean(0), np.cov(x, rowvar=False)
    expected = np.array([(r - mu) @ np.linalg.inv(cov) @ (r - mu) for r in x])
    np.testing.assert_allclose(out["mahalanobis_d2"].to_numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(out["mahalanobis_p"].to_numpy(), stats.chi2.sf(expected, 4))
    assert (out["mahalanobis_items"] == 4).all()
    # the mean of D2 over the sample is k (n-1)/n for the sample covariance
    assert abs(np.mean(expected) - 4 * 199 / 200) < 1e-8


def _brute_force_em(x, iterations=2000):
    """EM for a multivariate normal, one row at a time (Little & Rubin 2002, 11.2.1)."""
    n, k = x.shape
    mu, sigma = np.nanmean(x, 0), np.diag(np.nanvar(x, 0))
    for _ in range(iterations):
        s1, s2 = np.zeros(k), np.zeros((k, k))
        for r in x:
            o, m = ~np.isnan(r), np.isnan(r)
            xr, c = r.copy(), np.zeros((k, k))
            if m.any():
                inv = np.linalg.inv(sigma[np.ix_(o, o)])
                xr[m] = mu[m] + sigma[np.ix_(m, o)] @ inv @ (r[o] - mu[o])
                c[np.ix_(m, m)] = sigma[np.ix_(m, m)] - sigma[np.ix_(m, o)] @ inv @ sigma[np.ix_(o, m)]
            s1 += xr
            s2 += np.outer(xr, xr) + c
        new_mu = s1 / n
        new_sigma = s2 / n - np.outer(new_mu, new_mu)
        if np.abs(new_sigma - sigma).max() < 1e-13 and np.abs(new_mu - mu).max() < 1e-13:
            break
        mu, sigma = new_mu, new_sigma
    return new_mu, new_sigma


def _incomplete(n=150, k=5, seed=11):
    rng = np.random.default_rng(seed)
    load = np.array([0.8, 0.7, 0.6, 0.7, 0.5])[:k]
    f = rng.standard_normal(n)
    x = 4 + np.outer(f, load) + 0.6 * rng.standard_normal((n, k))
    miss = rng.random((n, k)) < 0.12
    miss[:3] = False                              # rows 0-2 complete
    x[miss] = np.nan
    return x


def test_em_estimate_matches_row_by_row_em():
    x = _incomplete()
    mu, sigma, n = em_mean_cov(x)
    bmu, bsigma = _brute_force_em(x)
    assert n == len(x)
    np.testing.assert_allclose(mu, bmu, atol=1e-8)
    np.testing.assert_allclose(sigma, bsigma, atol=1e-8)
    # complete data: sample mean and ML (denominator n) covariance
    full = np.nan_to_num(x, nan=4.0)
    mu, sigma, _ = em_mean_cov(full)
    np.testing.assert_allclose(mu, full.mean(0))
    np.testing.assert_allclose(sigma, np.cov(full, rowvar=False, ddof=0), atol=1e-12)


def test_em_estimate_is_consistent_under_mcar():
    rng = np.random.default_rng(3)
    cov = np.array([[1, .6, .3], [.6, 1, .5], [.3, .5, 1]])
    x = rng.multivariate_normal([1, 2, 3], cov, 20000)
    x[rng.random(x.shape) < 0.3] = np.nan
    mu, sigma, _ = em_mean_cov(x)
    np.testing.assert_allclose(mu, [1, 2, 3], atol=0.03)
    np.testing.assert_allclose(sigma, cov, atol=0.04)


def test_mahalanobis_screens_incomplete_respondents_on_their_answered_items():
    """Defect: rows with a missing item were never screened. Now: D² on the answered items,
    df = their number, from the EM estimate; checked against a submatrix inverse per row."""
    x = _incomplete()
    out = mahalanobis(pd.DataFrame(x), min_items=3)
    mu, sigma, n = em_mean_cov(x)
    sigma = sigma * n / (n - 1)
    answered = (~np.isnan(x)).sum(1)
    assert (answered < 5).mean() > 0.3                         # many incomplete rows
    for i, r in enumerate(x):
        o = ~np.isnan(r)
        if o.sum() < 3:
            assert np.isnan(out["mahalanobis_d2"].iat[i]) and out["mahalanobis_items"].iat[i] == o.sum()
            continue
        d = r[o] - mu[o]
        d2 = d @ np.linalg.inv(sigma[np.ix_(o, o)]) @ d
        assert out["mahalanobis_d2"].iat[i] == pytest.approx(d2, rel=1e-9)
        assert out["mahalanobis_p"].iat[i] == pytest.approx(stats.chi2.sf(d2, o.sum()), rel=1e-9)
        assert out["mahalanobis_items"].iat[i] == o.sum()
    assert out["mahalanobis_d2"].notna().sum() == (answered >= 3).sum()
    # default: complete rows only are screened (as careless::mahad), still from the EM estimate
    default = mahalanobis(pd.DataFrame(x))
    assert default["mahalanobis_d2"].notna().sum() == (answered == 5).sum()


def test_random_responder_with_a_missing_item_is_caught():
    rng = np.random.default_rng(8)
    n, k = 400, 12
    f = rng.standard_normal(n)
    x = np.clip(np.round(4 + 1.2 * np.outer(f, np.ones(k)) + rng.standard_normal((n, k))), 1, 7)
    x[0] = rng.integers(1, 8, k)
    x[0, 5] = np.nan
    x[rng.random((n, k)) < 0.03] = np.nan
    out = mahalanobis(pd.DataFrame(x), min_items=10)
    assert out["mahalanobis_p"].iat[0] < 0.001


def test_redundant_items_constant_identical_and_combination():
    rng = np.random.default_rng(1)
    a, b = rng.integers(1, 8, 50).astype(float), rng.integers(1, 8, 50).astype(float)
    df = pd.DataFrame({"i1": a, "i2": b, "i3": 4.0, "i4": a, "i5": 8 - b, "i6": a + b, "i7": np.nan})
    df.loc[3, "i4"] = np.nan                  # identical where both are answered
    assert redundant_items(df) == {"i3": "constant: every answer is 4", "i4": "identical to i1",
                                   "i5": "an exact linear function of i2",
                                   "i6": "an exact linear combination of i1, i2", "i7": "no answers"}
    assert redundant_items(df[["i1", "i2"]]) == {}


def test_constant_item_is_a_clear_error_not_a_linalg_traceback():
    """Defect: a constant item raised a raw numpy.linalg.LinAlgError."""
    df = pd.DataFrame(np.random.default_rng(0).integers(1, 8, (60, 4)).astype(float), columns=list("abcd"))
    df["c"] = 4.0
    with pytest.raises(SingularItems) as info:
        mahalanobis(df)
    assert "singular" in str(info.value) and "c" in info.value.columns
    assert not isinstance(info.value, np.linalg.LinAlgError)


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
            # the R reference screens complete rows with their mean and covariance: the same
            # as our function given the complete rows only
            "mahalanobis_d2": lambda: mahalanobis(items.dropna()).reindex(items.index)["mahalanobis_d2"],
            "mahalanobis_p": lambda: mahalanobis(items.dropna()).reindex(items.index)["mahalanobis_p"]}[column]()
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


# ---- even-odd on instruments with different response formats: a simulation of known truth ----
#: the example study's subscales: (items, min, max, mean answer of an attentive respondent)
FORMATS = [(18, 1, 7, 3.6), (18, 1, 7, 3.0), (9, 0, 3, 0.9), (7, 0, 4, 1.2), (15, 0, 3, 1.0)]


def _attentive_and_random(n_attentive=2000, n_random=500, seed=20261128):
    """Attentive respondents from a five-factor model (correlated traits, loadings .7 on the
    latent response scale, answers rounded into each format) and uniform random responders."""
    rng = np.random.default_rng(seed)
    r = np.full((5, 5), 0.3) + 0.7 * np.eye(5)
    traits = rng.multivariate_normal(np.zeros(5), r, n_attentive)
    att, rnd = [], []
    for s, (k, lo, hi, mean) in enumerate(FORMATS):
        spread = (hi - lo) / 4
        latent = mean + spread * (0.7 * traits[:, [s]] + np.sqrt(1 - 0.49) * rng.standard_normal((n_attentive, k)))
        att.append(np.clip(np.round(latent), lo, hi))
        rnd.append(rng.integers(lo, hi + 1, (n_random, k)).astype(float))
    return pd.DataFrame(np.hstack(att)), pd.DataFrame(np.hstack(rnd))


def test_evenodd_threshold_separates_random_from_attentive_responders():
    """Defect: 1-7 items next to 0-3 and 0-4 items gave random responders a median r of about
    .86 (the formats' midpoints differ), so the documented min 0.3 flagged nobody. Rescaled to
    each format's range, the documented threshold separates them."""
    attentive, random = _attentive_and_random()
    scales, ranges = [f[0] for f in FORMATS], [(f[1], f[2]) for f in FORMATS]
    raw_att, raw_rnd = evenodd(attentive, scales), evenodd(random, scales)
    assert raw_rnd.median() > 0.8 and (raw_rnd < 0.3).mean() < 0.05        # the defect, shown
    for sb in (False, True):                  # careless::evenodd applies Spearman-Brown
        att = evenodd(attentive, scales, spearman_brown=sb, ranges=ranges).to_numpy()
        rnd = evenodd(random, scales, spearman_brown=sb, ranges=ranges).to_numpy()
        assert np.median(att) > 0.8 and abs(np.median(rnd)) < 0.25
        auc = (att[:, None] > rnd[None, :]).mean()          # P(attentive > random)
        assert auc > 0.9, auc
        assert (att < 0.3).mean() < 0.10      # few attentive respondents flagged at min 0.3 (9% / 5%)
        assert (rnd < 0.3).mean() > 0.6       # most random responders flagged (72% / 64%): five
        #                                       subscales are few points for a correlation


def test_evenodd_rescaling_is_exact():
    items, _ = _fixture()
    base = evenodd(items, [6, 6, 6])
    # a 1-5 scale moved to 11-15 and stretched to 0-12: identical index once rescaled
    moved = items.copy()
    moved.iloc[:, 6:12] += 10
    moved.iloc[:, 12:] = (moved.iloc[:, 12:] - 1) * 3
    out = evenodd(moved, [6, 6, 6], ranges=[(1, 5), (11, 15), (0, 12)])
    np.testing.assert_allclose(out.to_numpy(), base.to_numpy(), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="2 response ranges given for 3 scales"):
        evenodd(items, [6, 6, 6], ranges=[(1, 5)] * 2)


def test_missing_patterns_are_those_of_numpy_unique():
    """The integer-key grouping of the EM's missing-data patterns numbers the patterns exactly
    as ``np.unique(miss, axis=0)`` (lexicographic order), so the EM sums in the same order."""
    from attachstats.stats.careless import _missing_patterns

    rng = np.random.default_rng(8)
    for k in (1, 5, 36, 63, 64, 70):
        miss = rng.random((2_000, k)) < 0.05
        miss[:3] = True
        got_p, got_w = _missing_patterns(miss)
        want_p, want_w = np.unique(miss, axis=0, return_inverse=True)
        np.testing.assert_array_equal(got_p, want_p)
        np.testing.assert_array_equal(got_w, want_w.ravel())
