"""Change between two measurements: paired change (d_z, d_av) and Jacobson–Truax reliable change.

References: base R fixtures (tests/fixtures/change/make_change_fixtures.R) and simulations
with a known therapy effect.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.errors import DataError
from attachstats.stats.change import clinical_cutoff, paired_change, reliable_change

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "change"
RELIABILITY = 0.85   # as in the R script
CUTOFF = 4.0


def _data(dataset: str) -> pd.DataFrame:
    d = pd.read_csv(FIX / "prepost.csv")
    return d[d["set"] == dataset].set_index("id")


@pytest.mark.parametrize("dataset", ["therapy", "small"])
def test_paired_change_matches_r(dataset):
    d = _data(dataset)
    ref = pd.read_csv(FIX / "paired_reference.csv").set_index("set").loc[dataset]
    res = paired_change(d["pre"], d["post"]).as_dict()
    assert res["n"] == ref["n"] and res["n_dropped"] == ref["n_dropped"] and res["df"] == ref["df"]
    for key in ("mean_pre", "mean_post", "sd_pre", "sd_post", "r_pre_post", "mean_diff", "sd_diff",
                "diff_ci_lo", "diff_ci_hi", "t", "d_z", "d_z_ci_lo", "d_z_ci_hi", "d_av",
                "d_av_ci_lo", "d_av_ci_hi"):
        assert res[key] == pytest.approx(ref[key], abs=1e-9), key
    assert res["p"] == pytest.approx(ref["p"], rel=1e-8)


def test_paired_change_agrees_with_pingouin_on_t_and_p():
    pg = pytest.importorskip("pingouin")
    d = _data("therapy").dropna()
    res = paired_change(d["pre"], d["post"])
    ref = pg.ttest(d["post"], d["pre"], paired=True)
    assert res.t == pytest.approx(float(ref["T"].iloc[0]), rel=1e-10)
    assert res.df == int(ref["dof"].iloc[0])
    assert res.p == pytest.approx(float(ref["p_val"].iloc[0]), rel=1e-8)
    # pingouin's paired cohen_d is |mean diff| / sqrt(mean of the two variances): neither
    # d_z nor Lakens' d_av (documented in the module)
    rms = np.sqrt((res.sd_pre ** 2 + res.sd_post ** 2) / 2)
    assert float(ref["cohen_d"].iloc[0]) == pytest.approx(abs(res.mean_diff) / rms, rel=1e-8)
    assert abs(abs(res.d_av) - abs(res.mean_diff) / rms) > 1e-4


def test_paired_change_frame_and_level():
    d = _data("therapy")
    frame = paired_change(d["pre"], d["post"]).to_frame()
    assert frame.shape[0] == 1 and frame.columns[0] == "n" and "d_av_ci_hi" in frame
    wide = paired_change(d["pre"], d["post"], level=0.99)
    narrow = paired_change(d["pre"], d["post"], level=0.90)
    assert wide.d_z_ci_lo < narrow.d_z_ci_lo < narrow.d_z < narrow.d_z_ci_hi < wide.d_z_ci_hi


@pytest.mark.parametrize("dataset", ["therapy", "small"])
def test_reliable_change_matches_r(dataset):
    d = _data(dataset)
    ref = pd.read_csv(FIX / "rci_reference.csv", keep_default_na=False, na_values=[""])
    ref = ref[ref["set"] == dataset].set_index("id")
    res = reliable_change(d["pre"], d["post"], reliability=RELIABILITY, cutoff=CUTOFF)
    assert res.se_diff == pytest.approx(ref["se_diff"].iloc[0], abs=1e-12)
    p = res.persons
    assert list(p.index) == list(ref.index)
    np.testing.assert_allclose(p["rci"].to_numpy(float), ref["rci"].to_numpy(float), atol=1e-10)
    for col in ("reliable", "clinical"):
        assert p[col].fillna("").tolist() == ref[col].fillna("").tolist(), col
    assert res.n == int(ref["rci"].notna().sum()) and res.n_dropped == int(ref["rci"].isna().sum())
    # dropped pairs stay in the table with their reason
    assert (p.loc[p["rci"].isna(), "dropped"] != "").all() and (p.loc[p["rci"].notna(), "dropped"] == "").all()
    s = res.summary.set_index(["classification", "category"])
    for col in ("reliable", "clinical"):
        counts = ref[col].value_counts()
        for cat in s.loc[col].index:
            assert s.loc[(col, cat), "n"] == counts.get(cat, 0)
            assert s.loc[(col, cat), "share"] == pytest.approx(counts.get(cat, 0) / res.n)
        assert s.loc[col, "n"].sum() == res.n


def test_missing_reasons_named():
    res = reliable_change([4.0, np.nan, 5.0, np.nan, 4.5], [3.0, 4.0, np.nan, np.nan, 4.4],
                          reliability=0.8)
    assert res.persons["dropped"].tolist() == ["", "pre missing", "post missing",
                                               "pre and post missing", ""]
    assert res.n == 2 and res.n_dropped == 3
    assert "clinical" not in set(res.summary["classification"])   # no cut-off given


def test_direction_increase_mirrors_decrease():
    pre, post = [5.1, 4.2, 6.0, 3.8, 4.9], [4.0, 4.4, 4.8, 3.1, 4.6]
    dec = reliable_change(pre, post, reliability=0.85, cutoff=4.5)
    inc = reliable_change([-v for v in pre], [-v for v in post], reliability=0.85, cutoff=-4.5,
                          direction="increase")
    assert dec.persons["reliable"].tolist() == inc.persons["reliable"].tolist()
    assert dec.persons["clinical"].tolist() == inc.persons["clinical"].tolist()
    assert "recovered" in dec.persons["clinical"].tolist()
    # a supplied reference SD is used as given
    assert reliable_change(pre, post, reliability=0.85, sd_pre=2.0).se_diff == pytest.approx(
        2.0 * np.sqrt(2) * np.sqrt(0.15))


def test_clinical_cutoffs_match_r():
    ref = json.loads((FIX / "cutoffs.json").read_text())
    pops = {k: ref[k] for k in ("mean_clinical", "sd_clinical", "mean_functional", "sd_functional")}
    for crit in "abc":
        assert clinical_cutoff(crit, **pops) == pytest.approx(ref[crit], abs=1e-12), crit
    # higher-is-better scales mirror a and b; c is symmetric
    assert clinical_cutoff("a", **pops, direction="increase") == pytest.approx(4.8 + 1.8)
    assert clinical_cutoff("b", **pops, direction="increase") == pytest.approx(3.2 - 2.2)
    with pytest.raises(DataError, match="criterion 'c' needs mean_functional"):
        clinical_cutoff("c", mean_clinical=4.8, sd_clinical=0.9)
    with pytest.raises(DataError, match="'a', 'b' or 'c'"):
        clinical_cutoff("d", **pops)
    with pytest.raises(DataError, match="sd_clinical must be positive"):
        clinical_cutoff("a", mean_clinical=4.8, sd_clinical=0.0)


def test_bad_input_messages():
    with pytest.raises(DataError, match="same length.*3 pre and 2 post"):
        paired_change([1, 2, 3], [1, 2])
    with pytest.raises(DataError, match="at least 2 complete pre/post pairs, got 1 .1 pairs"):
        paired_change([1.0, np.nan], [2.0, 3.0])
    with pytest.raises(DataError, match="no variance"):
        paired_change([1.0, 2.0, 3.0], [2.0, 3.0, 4.0])
    with pytest.raises(DataError, match="almost. constant"):
        paired_change([1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 3 + 1e-6, 4.0, 5 - 1e-6, 6.0])
    with pytest.raises(DataError, match="value 'x': pre scores must be numbers .entry 1."):
        paired_change([1.0, "x", 3.0], [2.0, 3.0, 5.0])
    with pytest.raises(DataError, match="post scores must be finite .entry 'b'"):
        paired_change(pd.Series([1.0, 2.0, 3.0], index=["a", "b", "c"]), [2.0, -np.inf, 5.0])
    for r in (0.0, 1.0, 1.2, -0.1):
        with pytest.raises(DataError, match="strictly between 0 and 1"):
            reliable_change([1.0, 2.0], [2.0, 2.5], reliability=r)
    with pytest.raises(DataError, match="SD 0"):
        reliable_change([2.0, 2.0, 2.0], [1.0, 2.5, 3.0], reliability=0.8)
    with pytest.raises(DataError, match="sd_pre must be a positive"):
        reliable_change([2.0, 2.0], [1.0, 2.5], reliability=0.8, sd_pre=0.0)
    with pytest.raises(DataError, match="pass sd_pre"):
        reliable_change([2.0, np.nan], [1.0, 2.5], reliability=0.8)
    with pytest.raises(DataError, match="direction must be"):
        reliable_change([1.0, 2.0], [2.0, 2.5], reliability=0.8, direction="down")
    # one person with a reference SD is a legitimate clinical use
    one = reliable_change([5.0], [3.0], reliability=0.8, sd_pre=1.0)
    assert one.persons["reliable"].tolist() == ["improved"]


def test_simulated_therapy_effect_is_covered():
    """200 seeded pre/post samples with a known therapy effect: the 95% CIs cover the truth."""
    rng = np.random.default_rng(20261201)
    s1, s2, rho, delta, n, reps = 0.9, 0.7, 0.5, -0.4, 50, 200
    cov = [[s1 * s1, rho * s1 * s2], [rho * s1 * s2, s2 * s2]]
    true_dz = delta / np.sqrt(s1 ** 2 + s2 ** 2 - 2 * rho * s1 * s2)
    true_dav = delta / ((s1 + s2) / 2)
    hits = np.zeros(3)
    est = np.zeros(2)
    for _ in range(reps):
        xy = rng.multivariate_normal([4.6, 4.6 + delta], cov, size=n)
        r = paired_change(xy[:, 0], xy[:, 1])
        hits += [r.diff_ci_lo <= delta <= r.diff_ci_hi, r.d_z_ci_lo <= true_dz <= r.d_z_ci_hi,
                 r.d_av_ci_lo <= true_dav <= r.d_av_ci_hi]
        est += [r.d_z, r.d_av]
    coverage = hits / reps
    # binomial SD of a 95% coverage over 200 replications is 1.5 points
    assert ((coverage >= 0.90) & (coverage <= 0.99)).all(), coverage
    # the estimates are centred on the truth (small-sample bias of d is about 1.5% at n = 50)
    assert est[0] / reps == pytest.approx(true_dz, rel=0.05)
    assert est[1] / reps == pytest.approx(true_dav, rel=0.05)


def test_simulated_reliable_change_rates():
    """True scores plus error of known reliability: RCI flags 5% of unchanged people, and the
    expected share of a known true improvement."""
    rng = np.random.default_rng(7)
    n, reps, r_xx, sd_true = 400, 50, 0.8, 1.0
    sd_err = sd_true * np.sqrt((1 - r_xx) / r_xx)
    sd_obs = np.sqrt(sd_true ** 2 + sd_err ** 2)
    se_diff = sd_obs * np.sqrt(2) * np.sqrt(1 - r_xx)
    shift = -1.2   # true improvement of every treated person
    flagged_null, improved_treated = 0, 0
    for _ in range(reps):
        true = rng.normal(4.5, sd_true, n)
        pre = true + rng.normal(0, sd_err, n)
        post_null = true + rng.normal(0, sd_err, n)
        post_treat = true + shift + rng.normal(0, sd_err, n)
        flagged_null += (reliable_change(pre, post_null, r_xx, sd_pre=sd_obs)
                         .persons["reliable"] != "unchanged").sum()
        improved_treated += (reliable_change(pre, post_treat, r_xx, sd_pre=sd_obs)
                             .persons["reliable"] == "improved").sum()
    total = n * reps
    from scipy import stats
    expected = stats.norm.cdf(-1.96 - shift / se_diff)
    # 20,000 people per rate: binomial SD ≈ 0.0016 (null) and 0.0035 (treated)
    assert flagged_null / total == pytest.approx(0.05, abs=0.006)
    assert improved_treated / total == pytest.approx(expected, abs=0.012)


def test_docstring_examples():
    import doctest

    import attachstats.stats.change as change

    result = doctest.testmod(change)
    assert result.failed == 0 and result.attempted >= 5
