from pathlib import Path

import pandas as pd
import pytest

from attachstats.errors import ModelError
from attachstats.stats.meta import random_effects

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "meta"


@pytest.mark.parametrize("method", ["REML", "DL"])
@pytest.mark.parametrize("dataset", ["bcg", "three", "two"])
def test_matches_metafor_rma(dataset, method):
    studies = pd.read_csv(FIX / "studies.csv")
    ref = pd.read_csv(FIX / "rma_reference.csv").set_index(["set", "method"]).loc[(dataset, method)]
    d = studies[studies["set"] == dataset]
    res = random_effects(d["yi"], d["sei"], method=method).as_dict()
    assert res["k"] == ref["k"]
    # metafor stops its REML iterations at a change < 1e-5 (it reports tau2 = 1.9e-6 on the
    # "three" set where the maximum is at 0), so estimates agree to ~1e-5, not to machine precision
    for key in ("estimate", "se", "ci_lo", "ci_hi", "tau2", "q", "q_p"):
        assert res[key] == pytest.approx(ref[key], abs=1e-5), key
    assert res["z"] == pytest.approx(ref["z"], rel=1e-4)
    assert res["p"] == pytest.approx(ref["p"], rel=1e-3, abs=1e-12)
    assert res["i2"] == pytest.approx(ref["i2"], abs=0.01)   # per cent


def test_bcg_published_values():
    # Viechtbauer (2010, J Stat Softw 36(3)): REML estimate -0.7145, tau^2 = 0.3132, I^2 = 92.22%
    d = pd.read_csv(FIX / "studies.csv").query("set == 'bcg'")
    res = random_effects(d["yi"], d["sei"])
    assert round(res.estimate, 4) == -0.7145 and round(res.tau2, 4) == 0.3132 and round(res.i2, 2) == 92.22


def test_bad_input():
    with pytest.raises(ModelError, match="at least 2 studies"):
        random_effects([0.3], [0.1])
    with pytest.raises(ModelError, match="positive SE"):
        random_effects([0.3, 0.2], [0.1, 0.0])
    with pytest.raises(ModelError, match="unknown method"):
        random_effects([0.3, 0.2], [0.1, 0.1], method="HS")
