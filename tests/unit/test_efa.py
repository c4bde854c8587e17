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
    assert res.factors[0] == ("MR1" if fm == "minres" else "ML1")


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
