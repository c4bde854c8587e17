import numpy as np
import pandas as pd

from attachstats.stats.latent.syntax import build_model_syntax
from attachstats.stats.latent.cfa import fit_identified


def test_one_factor_over_unrelated_dimensions_falls_back_to_fixed_variance():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal(400), rng.standard_normal(400)
    data = pd.DataFrame({f"x{i}": (a if i < 4 else b) + 0.6 * rng.standard_normal(400) for i in range(8)})
    # the marker x0 belongs to one dimension; a single factor may take the other
    res = fit_identified(data, build_model_syntax({"general": [f"x{i}" for i in range(8)]}), "one_factor")
    assert res.fit["df"] == 20 and res.fit["npar"] == 16
    assert np.isfinite(res.fit["chi2"]) and res.fit["cfi"] < 0.9
