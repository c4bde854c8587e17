"""CFA fits do not depend on the units of the items (the one identification check in
``stats.latent.engine``), against lavaan 0.6-14 on Holzinger–Swineford 1939.

Fixture: ``tests/fixtures/units/`` (``make_units_fixtures.R``): the three-factor model with
ML, MLR, FIML and two groups (school) on the original data, and ML, MLR, FIML with x1 × 100.
lavaan 0.6-14 does not reach the optimum with all items × 1000 or with two groups and
x1 × 100, so those fits are checked against lavaan's original fit transformed exactly
(the ML solution of rescaled data is the rescaled solution).
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.errors import ModelError
from attachstats.stats.latent.cfa import fit_cfa
from attachstats.stats.latent.engine import checked_information, unit_diagonal
from attachstats.stats.latent.invariance import fit_multigroup

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "units"
ITEMS = [f"x{i}" for i in range(1, 10)]
MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
MARKER = {"visual": "x1", "textual": "x4", "speed": "x7"}
GROUPS = ["Pasteur", "Grant-White"]
SCALINGS = {"original": {}, "x1x100": {"x1": 100.0}, "all_x1000": {i: 1000.0 for i in ITEMS}}
FIT_KEYS = {"chi2": "chisq", "df": "df", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea", "srmr": "srmr",
            "npar": "npar", "baseline_chi2": "baseline.chisq"}
ESTIMATORS = ["ML", "MLR", "FIML", "configural", "metric"]


def scaled(scales: dict[str, float]) -> pd.DataFrame:
    """hs.csv with items (and their copies with NAs) multiplied by ``scales``."""
    d = pd.read_csv(FIX / "hs.csv")
    for v, c in scales.items():
        d[v] = d[v] * c
        if f"{v}_na" in d:
            d[f"{v}_na"] = d[f"{v}_na"] * c
    return d


@lru_cache(maxsize=None)
def fit(data: str, estimator: str):
    d = scaled(SCALINGS[data])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if estimator in ("ML", "MLR"):
            return fit_cfa(d, MODEL, "hs", estimator=estimator)
        if estimator == "FIML":
            return fit_cfa(d.assign(**{v: d[f"{v}_na"] for v in ("x1", "x5", "x9")}), MODEL, "hs", missing="fiml")
        return fit_multigroup(d, MODEL, "school", "hs", equal=["loadings"] if estimator == "metric" else [],
                              groups=GROUPS)


def unit(name: str, scales: dict[str, float]) -> float:
    """Scale of an item or, for a factor, of its marker item."""
    return scales.get(MARKER.get(name, name), 1.0)


def rescale(params: pd.DataFrame, scales: dict[str, float]) -> pd.DataFrame:
    """Parameters of the original data → of the data rescaled by ``scales`` (exact for ML)."""
    p = params.copy()
    f = np.ones(len(p))
    for k, (lhs, op, rhs) in enumerate(zip(p["lhs"], p["op"], p["rhs"])):
        if op == "=~":
            f[k] = unit(rhs, scales) / unit(lhs, scales)
        elif op == "~~":
            f[k] = unit(lhs, scales) * unit(rhs, scales)
        elif op == "~1":
            f[k] = unit(lhs, scales)
    p["est"] = p["est"] * f
    p["se"] = p["se"] * f
    return p


def lavaan(data: str, estimator: str) -> tuple[pd.Series, pd.DataFrame]:
    fm = pd.read_csv(FIX / "fit_measures.csv")
    est = pd.read_csv(FIX / "estimates.csv").fillna({"rhs": ""})
    sel = (est["data"] == data) & (est["estimator"] == estimator)
    ref = est[sel & (est["op"] != "==")].copy()
    ref["group"] = ref["group"].map({1: GROUPS[0], 2: GROUPS[1]}) if estimator in ("configural", "metric") else None
    return fm[(fm["data"] == data) & (fm["estimator"] == estimator)].iloc[0], ref


def compare(res, fm: pd.Series, ref: pd.DataFrame, estimator: str) -> None:
    robust = estimator == "MLR"
    for key, lav in FIT_KEYS.items():
        lav = {"chisq": "chisq.scaled", "cfi": "cfi.robust", "tli": "tli.robust", "rmsea": "rmsea.robust"}.get(lav, lav) \
            if robust else lav
        if key in ("chi2", "baseline_chi2", "npar", "df"):
            assert res.fit[key] == pytest.approx(float(fm[lav]), rel=1e-6), key
        else:
            assert res.fit[key] == pytest.approx(float(fm[lav]), abs=1e-6), key
    ours = res.parameters.copy()
    keys = ["lhs", "op", "rhs"]
    if estimator in ("configural", "metric"):
        keys = ["group", *keys]
    m = ours.merge(ref, on=keys, suffixes=("", "_lav"), validate="1:1")
    assert len(m) == len(ours) == len(ref)
    # lavaan's nlminb stops at about 1e-10 relative in F (its two-group χ² is 2e-8 above
    # ours), which leaves the flattest estimates 2e-5 from the optimum
    np.testing.assert_allclose(m["est"], m["est_lav"], rtol=1e-4)
    free = m["free"].to_numpy(bool)
    np.testing.assert_allclose(m.loc[free, "se"], m.loc[free, "se_lav"], rtol=1e-3)
    np.testing.assert_allclose(m["std"], m["std_lav"], atol=1e-5)


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("data", ["original", "x1x100", "all_x1000"])
def test_rescaled_holzinger_swineford_matches_lavaan(data: str, estimator: str) -> None:
    """Ours on rescaled data = lavaan on the original data, transformed exactly."""
    fm, ref = lavaan("original", estimator)
    compare(fit(data, estimator), fm, rescale(ref, SCALINGS[data]), estimator)


@pytest.mark.parametrize("estimator", ["ML", "MLR", "FIML"])
def test_x1_times_100_matches_lavaan_fitted_on_it(estimator: str) -> None:
    fm, ref = lavaan("x1x100", estimator)
    compare(fit("x1x100", estimator), fm, ref, estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("data", ["x1x100", "all_x1000"])
def test_estimates_rescale_and_fit_is_unchanged(data: str, estimator: str) -> None:
    a, b = fit("original", estimator), fit(data, estimator)
    factor = rescale(a.parameters.assign(est=1.0, se=1.0), SCALINGS[data])     # what each parameter is multiplied by
    np.testing.assert_allclose(b.parameters["est"] / factor["est"], a.parameters["est"], rtol=1e-6, atol=1e-9)
    # FIML's SEs come from a numerical Hessian (steps absolute below |θ| = 1, taken where
    # the gradient norm first falls below 1e-5, not at θ̂): equal to 1e-3 (as to lavaan), not 1e-6
    np.testing.assert_allclose(b.parameters["se"] / factor["se"], a.parameters["se"],
                               rtol=1e-3 if estimator == "FIML" else 1e-6)
    np.testing.assert_allclose(b.parameters["std"], a.parameters["std"], atol=1e-7)
    for key in ("chi2", "df", "cfi", "tli", "rmsea", "srmr", "baseline_chi2"):
        assert b.fit[key] == pytest.approx(a.fit[key], rel=1e-7, abs=1e-9), key


@pytest.mark.parametrize("data", ["original", "x1x100", "all_x1000"])
def test_unidentified_model_still_refused_in_any_units(data: str) -> None:
    """speed with one item (x7): its variance and x7's residual variance are not separately identified."""
    d = scaled(SCALINGS[data])
    one_item = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7"
    with pytest.raises(ModelError, match="not identified"):
        fit_cfa(d, one_item, "hs")
    with pytest.raises(ModelError, match="not identified"):
        fit_cfa(d, one_item, "hs", estimator="MLR")
    with pytest.raises(ModelError, match="not identified"):
        fit_multigroup(d, one_item, "school", "hs", groups=GROUPS)


def test_identification_check_is_invariant_under_parameter_scales() -> None:
    rng = np.random.default_rng(2)
    a = rng.normal(size=(6, 4))
    info = a.T @ a
    singular = np.c_[info[:, :3], info[:, :3] @ np.array([1.0, -2.0, 0.5])]
    singular = singular.T @ singular
    for d in (np.ones(4), np.array([1.0, 1e-4, 1e3, 1e-6])):
        scaled_info = info / np.outer(d, d)
        np.testing.assert_allclose(unit_diagonal(scaled_info), unit_diagonal(info), rtol=1e-12)
        checked_information(lambda: scaled_info, None, "m")                        # accepted in any units
        with pytest.raises(ModelError, match="not identified"):
            checked_information(lambda: singular / np.outer(d, d), None, "m")
