"""MLR's casewise-score sums are accumulated in row blocks (memory independent of N): the block
size must not change the answer beyond rounding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import attachstats
import attachstats.stats.latent.estimation as est


def _data(n: int = 900, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, 2)) @ np.array([[1.0, 0.4], [0.0, 0.9]])
    lam = np.array([[0.8, 0.7, 0.6, 0, 0, 0], [0, 0, 0, 0.7, 0.8, 0.5]])
    x = f @ lam + rng.standard_t(5, size=(n, 6)) * 0.6         # heavy tails: MLR differs from ML
    return pd.DataFrame(x, columns=[f"x{j}" for j in range(1, 7)])


@pytest.mark.parametrize("missing", ["listwise", "fiml"])
def test_mlr_is_the_same_for_any_score_block_size(monkeypatch, missing) -> None:
    d = _data()
    if missing == "fiml":
        d.iloc[::7, 2] = np.nan
    syntax = "f1 =~ x1 + x2 + x3\nf2 =~ x4 + x5 + x6\nf2 ~ f1"
    one = attachstats.sem(syntax, d, estimator="MLR", missing=missing)
    monkeypatch.setattr(est, "SCORE_BLOCK_ROWS", 64)                # 15 blocks instead of one
    many = attachstats.sem(syntax, d, estimator="MLR", missing=missing)
    a, b = one.fit_measures(), many.fit_measures()
    for key in ("chisq.scaled", "cfi.robust", "rmsea.robust", "chisq.scaling.factor"):
        if key in a:
            assert b[key] == pytest.approx(a[key], rel=1e-12, abs=1e-14), key
    pa, pb = one.parameters(), many.parameters()
    assert np.allclose(pa["se"].fillna(0), pb["se"].fillna(0), rtol=1e-12, atol=1e-14)


def test_row_blocks_cover_every_row_once() -> None:
    rows = np.concatenate([np.arange(10)[b] for b in est._row_blocks(10, 3)])
    assert rows.tolist() == list(range(10))
