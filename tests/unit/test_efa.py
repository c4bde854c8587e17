"""EFA against psych 2.2.9 / GPArotation 2022.10 (fixtures: tests/fixtures/efa/).

Loadings are compared up to column order and sign (matched by the largest absolute
correlation of columns), though psych's own conventions (positive column sums, order by
variance accounted for) are reproduced and also checked.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.stats import efa
from attachstats.errors import ModelError

FIX = Path(__file__).resolve().parents[1] / "fixtures"
ROT = {"oblimin": "oblimin", "promax": "promax", "geominQ": "geomin", "varimax": "varimax"}


@lru_cache(maxsize=None)
def items(ds: str) -> pd.DataFrame:
    if ds == "sim":
        d = pd.read_csv(FIX / "cfa" / "sim_data.csv").iloc[:, 1:15]
        return d.dropna().reset_index(drop=True)
    return pd.read_csv(FIX / "cfa" / "ecr_sample.csv")[[f"Q{i}" for i in range(1, 37)]]


@lru_cache(maxsize=None)
def corr(ds: str) -> tuple[np.ndarray, int]:
    return efa.correlation_matrix(items(ds))


@lru_cache(maxsize=None)
def ref(name: str) -> pd.DataFrame:
    return pd.read_csv(FIX / "efa" / f"{name}.csv", keep_default_na=False, na_values=[""])


def configs() -> list[tuple]:
    lo = ref("loadings")
    return [tuple(x) for x in lo[["data", "fm", "rotate", "nfactors"]].drop_duplicates().to_numpy()]


@lru_cache(maxsize=None)
def fitted(ds: str, fm: str, rot: str, nf: int) -> efa.EFAResult:
    r, n = corr(ds)
    return efa.fit_efa(r, nf, list(items(ds).columns), n, method=fm, rotation=ROT[rot])


@pytest.mark.parametrize("ds", ["sim", "ecr"])
def test_kmo_and_bartlett_match_psych(ds: str) -> None:
    r, n = corr(ds)
    overall, per_item = efa.kmo(r)
    k = ref("kmo")
    k = k[k["data"] == ds]
    assert overall == pytest.approx(float(k.loc[k["item"].isna(), "msa"].iloc[0]), abs=1e-12)
    np.testing.assert_allclose(per_item, k.loc[k["item"].notna(), "msa"], atol=1e-12)
    chi, df, p = efa.bartlett(r, n)
    b = ref("bartlett").set_index("data").loc[ds]
    assert n == b["n"] and df == b["df"]
    assert chi == pytest.approx(b["chisq"], rel=1e-10) and p == pytest.approx(b["p"], abs=1e-300)


@pytest.mark.parametrize("ds,fm,rot,nf", configs())
def test_loadings_h2_complexity_phi_match_psych(ds: str, fm: str, rot: str, nf: int) -> None:
    res = fitted(ds, fm, rot, nf)
    assert res.converged
    lo = ref("loadings")
    lo = lo[(lo["data"] == ds) & (lo["fm"] == fm) & (lo["rotate"] == rot) & (lo["nfactors"] == nf)]
    theirs = lo.pivot(index="item", columns="factor", values="loading").loc[res.items].to_numpy()
    ours = res.loadings.to_numpy()
    # match columns up to order and sign
    c = np.corrcoef(ours.T, theirs.T)[:nf, nf:]
    perm = np.abs(c).argmax(axis=1)
    assert sorted(perm) == list(range(nf))
    signs = np.sign(c[np.arange(nf), perm])
    np.testing.assert_allclose(ours, theirs[:, perm] * signs, atol=2e-4)
    # psych's own order and signs are reproduced too
    assert list(perm) == list(range(nf)) and (signs > 0).all()
    item_ref = lo.drop_duplicates("item").set_index("item").loc[res.items]
    np.testing.assert_allclose(res.h2, item_ref["h2"], atol=1e-5)
    np.testing.assert_allclose(res.u2, item_ref["u2"], atol=1e-5)
    np.testing.assert_allclose(res.complexity, item_ref["complexity"], atol=2e-3)
    ph = ref("phi")
    ph = ph[(ph["data"] == ds) & (ph["fm"] == fm) & (ph["rotate"] == rot) & (ph["nfactors"] == nf)]
    phi = np.zeros((nf, nf))
    phi[ph["row"] - 1, ph["col"] - 1] = ph["phi"]
    np.testing.assert_allclose(res.phi.to_numpy(), phi, atol=2e-4)
    va = ref("variance")
    va = va[(va["data"] == ds) & (va["fm"] == fm) & (va["rotate"] == rot) & (va["nfactors"] == nf)]
    np.testing.assert_allclose(res.variance["ss_loadings"], va["ss_loadings"], rtol=1e-3)
    # psych's column names, which follow the rotation's order, not the variance order
    names = list(va.sort_values("factor")["name"])
    assert res.factors == names == list(res.loadings.columns) == list(res.variance["factor"])
    assert list(res.phi.index) == names


def test_factor_names_travel_with_the_columns_as_psych() -> None:
    """ECR, 3 factors, minres + oblimin: psych's columns are MR2, MR1, MR3 (the rotation's
    second factor accounts for the most variance); the loadings of each name are psych's."""
    res = fitted("ecr", "minres", "oblimin", 3)
    lo = ref("loadings")
    lo = lo[(lo["data"] == "ecr") & (lo["fm"] == "minres") & (lo["rotate"] == "oblimin") & (lo["nfactors"] == 3)]
    theirs = lo.pivot(index="item", columns="name", values="loading").loc[res.items]
    assert res.factors == ["MR2", "MR1", "MR3"]
    for name in theirs.columns:                 # matched by name, as a reader of both outputs would
        np.testing.assert_allclose(res.loadings[name], theirs[name], atol=2e-4)
    table = efa.loading_table(res)
    assert list(table.columns[1:4]) == ["MR2", "MR1", "MR3"]
    assert set(table["primary"]) <= {"MR1", "MR2", "MR3"}


FIT_KEYS = ["data", "fm", "rotate", "nfactors"]


@lru_cache(maxsize=None)
def heywood_r() -> pd.DataFrame:
    return pd.read_csv(FIX / "efa" / "heywood_r.csv", index_col=0)


@pytest.mark.parametrize("ds,fm,rot,nf", [tuple(x) for x in ref("fit")[FIT_KEYS].to_numpy()])
def test_fit_statistics_match_psych(ds: str, fm: str, rot: str, nf: int) -> None:
    """psych::fa's STATISTIC, dof, PVAL, TLI, RMSEA (90% CI), BIC and the null model."""
    f = ref("fit")
    f = f[(f["data"] == ds) & (f["fm"] == fm) & (f["rotate"] == rot) & (f["nfactors"] == nf)].iloc[0]
    if ds == "heywood":
        r = heywood_r()
        res = efa.fit_efa(r.to_numpy(), nf, list(r.columns), 300, method=fm, rotation=ROT[rot])
    else:
        res = fitted(ds, fm, rot, nf)
    fit = res.fit
    # minres stops where psych's L-BFGS-B does only approximately; at a Heywood boundary
    # psych's minres (off-diagonal criterion) and ours part by ~2e-3 in h2
    rel = 1e-3 if (ds == "heywood" and fm == "minres") else 1e-5
    assert fit.df == f["dof"] and fit.null_df == f["null_dof"]
    assert fit.null_chi2 == pytest.approx(f["null_chisq"], rel=1e-12)
    assert fit.chi2 == pytest.approx(f["statistic"], rel=rel)
    assert fit.objective == pytest.approx(f["objective"], rel=rel)
    assert fit.p == pytest.approx(f["pval"], rel=100 * rel, abs=1e-300)
    assert fit.tli == pytest.approx(f["tli"], rel=rel)
    assert fit.bic == pytest.approx(f["bic"], rel=rel, abs=rel)
    for ours, theirs in ((fit.rmsea, "rmsea"), (fit.rmsea_ci_lo, "rmsea_lower"), (fit.rmsea_ci_hi, "rmsea_upper")):
        assert ours == pytest.approx(f[theirs], rel=rel, abs=1e-9), theirs
    assert fit.rmsea_ci_level == pytest.approx(f["confidence"])


def test_fit_statistics_of_an_exact_model() -> None:
    """Known truth: a population correlation matrix of a two-factor model fits perfectly."""
    lam = np.zeros((8, 2))
    lam[:4, 0] = [0.8, 0.7, 0.6, 0.5]
    lam[4:, 1] = [0.75, 0.65, 0.55, 0.45]
    r = lam @ np.array([[1, 0.3], [0.3, 1]]) @ lam.T
    np.fill_diagonal(r, 1)
    fit = efa.fit_efa(r, 2, [f"x{i}" for i in range(8)], 500, "ml").fit
    assert fit.df == 13 and fit.chi2 == pytest.approx(0, abs=1e-6) and fit.rmsea == 0
    assert fit.rmsea_ci_lo == 0 and fit.rmsea_ci_hi == 0 and fit.p == pytest.approx(1)
    assert fit.tli > 1                               # psych does not cap TLI at 1
    assert fit.bic == pytest.approx(-13 * np.log(500), abs=1e-5)


@pytest.mark.parametrize("fm,nf", [("minres", 1), ("minres", 2), ("ml", 1), ("ml", 2)])
def test_ultra_heywood_case_is_flagged_as_psych_warns(fm: str, nf: int) -> None:
    """A constructed matrix (item 1 correlates .8 with items 2 and 3, which correlate .45):
    minres gives h1 an h2 above 1, where psych warns "An ultra-Heywood case was detected";
    ML stops at psych's bound (u2 = .005) and is not flagged, by psych either."""
    r = heywood_r()
    res = efa.fit_efa(r.to_numpy(), nf, list(r.columns), 300, method=fm)
    h = ref("heywood")
    h = h[(h["fm"] == fm) & (h["nfactors"] == nf)].set_index("item").loc[res.items]
    assert res.converged                              # the optimiser converged: the flag is the warning
    assert res.heywood == [i for i in res.items if h.loc[i, "h2"] >= 1]
    assert bool(res.heywood) == bool(h["ultra_heywood_warning"].iloc[0])
    np.testing.assert_allclose(res.h2, h["h2"], atol=5e-3)
    assert (res.h2[res.heywood] >= 1).all() and (res.u2[res.heywood] <= 0).all()


def test_bartlett_on_a_matrix_that_is_not_positive_definite() -> None:
    """psych's cortest.bartlett returns NaN (|R| < 0) or Inf (|R| = 0) there: a ModelError."""
    bad = np.array([[1, .9, -.9], [.9, 1, .9], [-.9, .9, 1]])          # |R| < 0
    with pytest.raises(ModelError, match="not positive definite.*smallest eigenvalue"):
        efa.bartlett(bad, 200)
    with pytest.raises(ModelError, match="not positive definite"):
        efa.bartlett(np.ones((3, 3)), 200)                               # |R| = 0
    two_negative = np.array([[1, -.9, .4, .2], [-.9, 1, -.9, .4], [.4, -.9, 1, -.9], [.2, .4, -.9, 1]])
    assert np.linalg.det(two_negative) > 0                               # psych: a meaningless number
    with pytest.raises(ModelError, match="not positive definite"):
        efa.bartlett(two_negative, 200)
    chi, df, p = efa.bartlett(np.array([[1, .5], [.5, 1]]), 100)        # closed form
    assert chi == pytest.approx(-(99 - 9 / 6) * np.log(0.75)) and df == 1


def test_parallel_analysis_holds_blas_to_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Like every fitting function: many small eigen-decompositions lose to BLAS threads."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    seen = []
    real = efa.extract

    def spy(*args, **kwargs):
        seen.extend(i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas")
        return real(*args, **kwargs)

    monkeypatch.setattr(efa, "extract", spy)
    r, n = corr("sim")
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        efa.parallel_analysis(r, n, n_iter=3, seed=1)
    if not seen:
        pytest.skip("no BLAS library seen by threadpoolctl")
    assert set(seen) == {1}


@pytest.mark.parametrize("ds,fm", [("sim", "minres"), ("sim", "ml"), ("ecr", "minres"), ("ecr", "ml")])
def test_eigenvalues_match_psych(ds: str, fm: str) -> None:
    res = fitted(ds, fm, "oblimin", 2)
    v = ref("values")
    v = v[(v["data"] == ds) & (v["fm"] == fm) & (v["rotate"] == "oblimin") & (v["nfactors"] == 2)]
    np.testing.assert_allclose(res.e_values, v["e_values"], atol=1e-10)
    np.testing.assert_allclose(res.values, v["values"], atol=1e-5)


@lru_cache(maxsize=None)
def parallel(ds: str, n_iter: int) -> efa.ParallelResult:
    r, n = corr(ds)
    return efa.parallel_analysis(r, n, n_iter=n_iter, seed=20261128)


@pytest.mark.parametrize("ds", ["sim", "ecr"])
def test_parallel_analysis_observed_values_and_decision_match_psych(ds: str) -> None:
    pa = parallel(ds, 20)
    ref_pa = ref("parallel")
    ref_pa = ref_pa[ref_pa["data"] == ds]
    np.testing.assert_allclose(pa.table["observed"], ref_pa["observed"], atol=1e-5)
    assert pa.n_factors == int(ref_pa["nfact"].iloc[0])
    assert list(pa.table.columns) == ["factor", "observed", "simulated_mean", "simulated_quantile",
                                      "observed_pc", "simulated_pc_mean", "simulated_pc_quantile"]


@pytest.mark.parametrize("ds", ["sim", "ecr"])
def test_simulated_eigenvalues_within_monte_carlo_error_of_psych(ds: str) -> None:
    """Same procedure, different random numbers: the means over replicates must agree
    within 4.5 standard errors of a difference of two means (psych: 200 replicates)."""
    n_iter = 200 if ds == "sim" else 60
    pa = parallel(ds, n_iter)
    ref_pa = ref("parallel")
    ref_pa = ref_pa[ref_pa["data"] == ds]
    ours_sd = pa.simulated.std(axis=0, ddof=1)
    se = np.sqrt(ref_pa["sim_sd"].to_numpy() ** 2 / ref_pa["n_iter"].to_numpy() + ours_sd ** 2 / n_iter)
    z = (pa.table["simulated_mean"].to_numpy() - ref_pa["sim_mean"].to_numpy()) / se
    assert np.abs(z).max() < 4.5, np.round(z, 2)
    # the 95th percentiles agree to within a few SDs of their sampling error as well
    q_z = (pa.table["simulated_quantile"].to_numpy() - ref_pa["sim_q95"].to_numpy()) / (2.5 * se)
    assert np.abs(q_z).max() < 4.5, np.round(q_z, 2)


def test_parallel_analysis_is_seeded() -> None:
    r, n = corr("sim")
    a = efa.parallel_analysis(r, n, n_iter=5, seed=3)
    b = efa.parallel_analysis(r, n, n_iter=5, seed=3)
    c = efa.parallel_analysis(r, n, n_iter=5, seed=4)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not a.table.equals(c.table)


def test_known_two_factor_structure_is_recovered() -> None:
    """Population correlation matrix of a two-factor model: minres and ML find the truth."""
    lam = np.zeros((8, 2))
    lam[:4, 0] = [0.8, 0.7, 0.6, 0.5]
    lam[4:, 1] = [0.75, 0.65, 0.55, 0.45]
    phi = np.array([[1, 0.3], [0.3, 1]])
    r = lam @ phi @ lam.T
    np.fill_diagonal(r, 1)
    for method in ("minres", "ml"):
        # quartimin recovers exact simple structure; geomin (δ = .01) nearly so
        for rotation, tol in (("oblimin", 2e-4), ("geomin", 1e-2)):
            res = efa.fit_efa(r, 2, [f"x{i}" for i in range(8)], 1000, method, rotation)
            np.testing.assert_allclose(np.abs(res.loadings.to_numpy()), lam, atol=tol)
            assert abs(res.phi.iloc[0, 1]) == pytest.approx(0.3, abs=2 * tol)
            np.testing.assert_allclose(res.h2, (lam @ phi * lam).sum(axis=1), atol=1e-8)


def test_errors() -> None:
    r, n = corr("sim")
    with pytest.raises(ModelError, match="unknown rotation 'quartimax'"):
        efa.fit_efa(r, 2, list(items("sim").columns), n, rotation="quartimax")
    with pytest.raises(ModelError, match="unknown extraction method 'pa'"):
        efa.fit_efa(r, 2, list(items("sim").columns), n, method="pa")
    with pytest.raises(ModelError, match="negative degrees of freedom"):
        efa.fit_efa(r, 10, list(items("sim").columns), n)
    with pytest.raises(ModelError, match="without variance"):
        efa.correlation_matrix(items("sim").assign(anx_1=3))
    with pytest.raises(ModelError, match="singular"):
        efa.kmo(np.ones((3, 3)))


def test_wishart_draws_match_simulated_normal_data():
    """Known truth: the centred cross-products of n N(0, I) rows are Wishart(n − 1, I):
    mean (n − 1) I, Var(A_ii) = 2(n − 1), Var(A_ij) = n − 1; and the correlation matrices'
    leading eigenvalue has the same mean as with simulated data."""
    rng = np.random.default_rng(5)
    n, p, k = 40, 6, 20_000
    a = efa.wishart_identity(rng, n - 1, p, k)
    np.testing.assert_allclose(a.mean(axis=0), (n - 1) * np.eye(p), atol=5 * np.sqrt(2 * (n - 1) / k))
    assert a[:, 2, 2].var() == pytest.approx(2 * (n - 1), rel=0.05)
    assert a[:, 1, 4].var() == pytest.approx(n - 1, rel=0.05)
    x = rng.standard_normal((4_000, n, p))
    lead_data = np.linalg.eigvalsh(np.array([np.corrcoef(d, rowvar=False) for d in x]))[:, -1]
    d = 1 / np.sqrt(np.einsum("kii->ki", a))
    lead_w = np.linalg.eigvalsh(a * d[:, :, None] * d[:, None, :])[:, -1]
    se = np.sqrt(lead_data.var() / len(lead_data) + lead_w.var() / len(lead_w))
    assert abs(lead_data.mean() - lead_w.mean()) < 4 * se
    with pytest.raises(ModelError, match="more cases"):
        efa.wishart_identity(rng, 3, 6, 1)
