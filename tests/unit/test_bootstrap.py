"""The block-wise resample counts: the distribution of n uniform draws with replacement, and
sums that equal counts @ Z without holding the counts."""

import numpy as np
import pytest

from attachstats.stats.bootstrap import resample_counts, resample_sums


def test_counts_have_the_multinomial_distribution_of_uniform_draws():
    n, b = 300, 20_000                       # one full block of 256 rows and a partial one of 44
    w = resample_counts(n, b, np.random.default_rng(1))
    assert w.shape == (b, n) and (w.sum(axis=1) == n).all() and (w == np.round(w)).all()
    # each row: Binomial(n, 1/n): mean 1, variance 1 - 1/n; P(not drawn) = (1 - 1/n)^n
    se_mean = np.sqrt((1 - 1 / n) / b)
    assert np.abs(w.mean(axis=0) - 1).max() < 5 * se_mean
    assert w[:, :256].mean() == pytest.approx(1, abs=4 * se_mean / np.sqrt(256))
    assert w[:, 256:].mean() == pytest.approx(1, abs=4 * se_mean / np.sqrt(44))
    assert w.var(axis=0).mean() == pytest.approx(1 - 1 / n, rel=0.01)
    assert (w == 0).mean() == pytest.approx((1 - 1 / n) ** n, abs=0.003)
    # two rows, in the same or in different blocks: covariance -1/n
    c = np.cov(w[:, [3, 200, 290]].T)
    assert c[0, 1] == pytest.approx(-1 / n, abs=0.012) and c[0, 2] == pytest.approx(-1 / n, abs=0.012)


def test_sums_equal_counts_times_z_for_parts_of_the_rows():
    rng = np.random.default_rng(2)
    n = 1_000
    z_all = rng.normal(size=(n, 3))
    rows = np.sort(rng.choice(n, 137, replace=False))
    z_some = rng.normal(size=(137, 5))
    sums = resample_sums(n, [(None, z_all), (rows, z_some)], 2_100, np.random.default_rng(9))  # 3 batches
    w = resample_counts(n, 2_100, np.random.default_rng(9))
    np.testing.assert_allclose(sums[0], w @ z_all, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(sums[1], w[:, rows] @ z_some, rtol=1e-12, atol=1e-9)
    again = resample_sums(n, [(None, z_all)], 2_100, np.random.default_rng(9))[0]
    np.testing.assert_array_equal(again, sums[0])
    threaded = resample_sums(n, [(None, z_all), (rows, z_some)], 2_100, np.random.default_rng(9), threads=3)
    for a, b in zip(threaded, sums):
        np.testing.assert_array_equal(a, b)            # bit for bit, whatever the thread count
    with pytest.raises(ValueError, match="one line"):
        resample_sums(n, [(rows, z_all)], 5, rng)


def test_pairwise_moments_of_several_item_sets_equal_direct_covariances():
    import pandas as pd

    from attachstats.stats.bootstrap import pairwise_moments

    rng = np.random.default_rng(4)
    a = rng.normal(size=(600, 4)) + 3.0
    b = rng.integers(1, 8, size=(600, 3)).astype(float)
    a[rng.random(a.shape) < 0.15] = np.nan
    b[rng.random(b.shape) < 0.05] = np.nan
    a[7] = np.nan                                       # a row answering nothing in set a
    both = pairwise_moments([a, b], 5, np.random.default_rng(8))
    alone = pairwise_moments([b], 5, np.random.default_rng(8))[0]
    np.testing.assert_allclose(both[1].cov(), alone.cov(), rtol=1e-12)   # a set ignores the others
    w = resample_counts(600, 5, np.random.default_rng(8)).astype(int)
    for x, mom in zip((a, b), both):
        for r in range(5):
            drawn = pd.DataFrame(np.repeat(x, w[r], axis=0))
            np.testing.assert_allclose(mom.cov()[r], drawn.cov().to_numpy(), atol=1e-10)
            np.testing.assert_allclose(mom.corr()[r], drawn.corr().to_numpy(), atol=1e-10)
    with pytest.raises(ValueError, match="same rows"):
        pairwise_moments([a, b[:10]], 5, rng)


def test_reliability_bootstrap_needs_scales_on_the_same_respondents():
    import pandas as pd

    from attachstats.stats.reliability import reliability_table

    rng = np.random.default_rng(5)
    x = pd.DataFrame(rng.normal(size=(100, 3)) + rng.normal(size=(100, 1)))
    reliability_table({"a": x, "b": x.iloc[:, :2].assign(c=x[2])}, n_boot=20, seed=1)
    with pytest.raises(ValueError, match="same rows"):
        reliability_table({"a": x, "b": x.iloc[:50]}, n_boot=20, seed=1)


def test_reliability_table_is_the_same_on_two_threads():
    import pandas as pd

    from attachstats.stats.reliability import reliability_table

    rng = np.random.default_rng(6)
    f = rng.normal(size=(400, 1))
    scales = {"a": pd.DataFrame(f + rng.normal(size=(400, 9))), "b": pd.DataFrame(-f + rng.normal(size=(400, 4)))}
    pd.testing.assert_frame_equal(reliability_table(scales, n_boot=50, seed=2),
                                  reliability_table(scales, n_boot=50, seed=2, threads=2))


def test_integer_sums_are_exact_in_float32_and_fall_back_to_float64_when_they_could_round():
    from attachstats.stats import bootstrap

    rng = np.random.default_rng(11)
    n, b = 70_001, 40             # segments of ~17 blocks: a 16-block chunk, a shorter one, a partial block
    z = rng.integers(-7, 8, size=(n, 6)).astype(float)
    rows = np.sort(rng.choice(n, 300, replace=False))
    big = rng.integers(0, 2 ** 20, size=(300, 2)).astype(float)   # chunk sums far above 2**24
    sums = resample_sums(n, [(None, z), (rows, big)], b, np.random.default_rng(3))
    w = resample_counts(n, b, np.random.default_rng(3)).astype(np.int64)
    np.testing.assert_array_equal(sums[0], w @ z.astype(np.int64))            # exact, not approximate
    np.testing.assert_array_equal(sums[1], w[:, rows] @ big.astype(np.int64))  # float64: still exact
    assert bootstrap.integer_bound(z) == 7 and bootstrap.integer_bound(z + 0.5) is None
    assert bootstrap.integer_bound(np.array([[np.inf]])) is None


def test_integer_items_give_the_moments_of_the_centred_items():
    """Integer answers are summed as they are and centred afterwards; the covariances equal
    those of the same items shifted off the integers (summed after centring) and R's
    ``cov(x[idx, ], use = "pairwise")`` of the drawn rows."""
    import pandas as pd

    from attachstats.stats.bootstrap import pairwise_moments

    rng = np.random.default_rng(12)
    x = rng.integers(1, 8, size=(5_000, 5)).astype(float)
    x[:, 1] += x[:, 0]
    x[rng.random(x.shape) < 0.1] = np.nan
    exact = pairwise_moments([x], 6, np.random.default_rng(2))[0]
    shifted = pairwise_moments([x + 0.25], 6, np.random.default_rng(2))[0]
    np.testing.assert_allclose(exact.cov(), shifted.cov(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(exact.corr(), shifted.corr(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(exact.si, shifted.si, atol=1e-8)      # both centred at the means
    w = resample_counts(len(x), 6, np.random.default_rng(2)).astype(int)
    for r in range(6):
        drawn = pd.DataFrame(np.repeat(x, w[r], axis=0))
        np.testing.assert_allclose(exact.cov()[r], drawn.cov().to_numpy(), rtol=1e-12, atol=1e-13)
