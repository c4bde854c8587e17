import pandas as pd
import pytest

from attachstats.stats.crossstudy import pool_coefficients, stacked, study_overview
from attachstats.stats.meta import random_effects


def tables(b: float, se: float, n: int) -> dict:
    flow = pd.DataFrame({"stage": ["raw", "speeding", "analysed"], "n_before": [n, n, n - 5],
                         "n_excluded": [0, 5, 0], "n_after": [n, n - 5, n - 5]})
    fit = pd.DataFrame([{"model": "two_factor", "n": n - 9, "chi2": 700.0, "df": 593, "cfi": 0.98, "tli": 0.97,
                         "rmsea": 0.02, "srmr": 0.03}])
    reg = pd.DataFrame([{"model": "dep", "outcome": "phq9_total", "term": "(Intercept)", "b": 1.0, "se": 0.5},
                        {"model": "dep", "outcome": "phq9_total", "term": "ecr_anxiety", "b": b, "se": se}])
    rel = pd.DataFrame([{"scale": "ecr_anxiety", "alpha": 0.9}])
    return {"flow": flow, "cfa_fit": fit, "regressions": reg, "reliability": rel}


def test_overview_and_pool():
    t = {"a": tables(1.3, 0.12, 100), "b": tables(1.5, 0.2, 60), "c": tables(1.1, 0.15, 80)}
    ov = study_overview(t)
    assert ov["study"].tolist() == ["a", "b", "c"]
    assert ov["n_analysed"].tolist() == [95, 55, 75] and ov["cfi"].tolist() == [0.98] * 3
    assert ov["cfa_estimator"].tolist() == ["ML"] * 3         # a table without the column: ML
    t["b"]["cfa_fit"] = t["b"]["cfa_fit"].assign(estimator="MLR")
    assert study_overview(t)["cfa_estimator"].tolist() == ["ML", "MLR", "ML"]
    coefs = stacked(t, "regressions")
    assert len(coefs) == 6 and coefs.columns[0] == "study"
    meta = pool_coefficients(coefs)
    assert meta[["model", "term", "studies", "k"]].values.tolist() == [["dep", "ecr_anxiety", "a;b;c", 3]]
    direct = random_effects([1.3, 1.5, 1.1], [0.12, 0.2, 0.15])
    assert meta["estimate"].iat[0] == pytest.approx(direct.estimate)


def test_single_study_pools_nothing():
    coefs = stacked({"a": tables(1.3, 0.12, 100)}, "regressions")
    assert pool_coefficients(coefs).empty
