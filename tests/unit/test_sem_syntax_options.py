"""``sem_models`` syntax entries with ``estimator`` (ML, MLR, WLSMV), ``missing`` (listwise, fiml)
and ``ordered``: each path from the study entry to the tables on small data, the samples table
agreeing with the fit, and the impossible combinations refused by the parser and the schema.

The estimators themselves are checked against lavaan in tests/unit/test_lavaan_syntax*.py and
the ordinal tests; here the pipeline must hand the entry's options to ``attachstats.sem`` and
report what it fitted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.errors import ConfigError
from attachstats.spec.models import parse_sem_model
from attachstats.spec.study import check_schema, fill_defaults
from attachstats.stats.latent.api import sem
from attachstats.steps.model import fit_sem_models, study_model_samples, syntax_data

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "study.schema.yaml"
STUDY = {"name": "t", "instruments": {"ecr": {"instrument": "ecr-r"}}, "sem_models": []}
REVERSED = {9, 11, 20, 22, 26, 27, 28, 29, 30, 31, 33, 34, 35, 36}
ANX = " + ".join(f"ecr_{j}" for j in range(1, 7))
AVO = " + ".join(f"ecr_{j}" for j in range(19, 25))


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean items (raw direction, 1-7; some missing answers) and scores with a missing outcome."""
    rng = np.random.default_rng(20261202)
    n = 300
    anx = rng.normal(size=n)
    avo = 0.3 * anx + rng.normal(scale=0.95, size=n)
    items = {"id": [f"r{k}" for k in range(n)]}
    for j in range(1, 37):
        f = anx if j <= 18 else avo
        v = np.clip(np.round(4 + 1.2 * (0.7 * f + 0.7 * rng.normal(size=n))), 1, 7)
        items[f"ecr_{j}"] = 8 - v if j in REVERSED else v
    clean = pd.DataFrame(items)
    for k, j in [(5, 2), (17, 3), (40, 20), (41, 21), (90, 1)]:
        clean.loc[k, f"ecr_{j}"] = np.nan
    clean.loc[7, [f"ecr_{j}" for j in range(1, 37)]] = np.nan                # a row with no answer at all
    scores = pd.DataFrame({"id": clean["id"], "pdss_total": 0.4 * anx + rng.normal(size=n)})
    scores.loc[[3, 11, 7], "pdss_total"] = np.nan
    return clean, scores


def _fit(frames, entry: dict) -> tuple[pd.Series, pd.DataFrame, pd.DataFrame]:
    clean, scores = frames
    spec = parse_sem_model(entry, ["ecr"], where=f"study 't', sem_models[0] ({entry['name']})")
    fit, par = fit_sem_models(clean, scores, [spec], STUDY)
    samples = study_model_samples(clean, scores, dict(STUDY, sem_models=[entry]))
    return fit.iloc[0], par, samples


def test_mlr_entry_reports_the_scaled_test_and_robust_errors(frames) -> None:
    syntax = f"anx =~ {ANX}\npdss_total ~ anx"
    row, par, samples = _fit(frames, {"name": "m", "syntax": syntax, "estimator": "MLR"})
    clean, scores = frames
    direct = sem(syntax, syntax_data(clean, scores, STUDY), estimator="MLR", name="m")
    ml = sem(syntax, syntax_data(clean, scores, STUDY), name="m")
    f = direct.fit_measures()
    assert row["estimator"] == "MLR"
    assert row["chi2"] == pytest.approx(f["chisq.scaled"], rel=1e-12)
    assert row["chi2_ml"] == pytest.approx(f["chisq"], rel=1e-12) and row["chi2"] != pytest.approx(row["chi2_ml"])
    assert row["cfi"] == pytest.approx(f["cfi.robust"], rel=1e-12)
    se_ml = ml.sem_table().set_index(["lhs", "op", "rhs"])["se"]
    reg = par[par["op"] == "~"].set_index(["lhs", "op", "rhs"])["se"]
    assert reg.iloc[0] != pytest.approx(se_ml.loc[reg.index[0]], rel=1e-3)   # robust, not the ML SE
    used = samples.loc[samples["reason"] == "used", "n"].iloc[0]
    assert used == row["n"] == len(clean) - 6           # 2 outcomes, 3 items of anx, the empty row missing


def test_fiml_entry_uses_every_row_with_an_answer(frames) -> None:
    syntax = f"anx =~ {ANX}\navo =~ {AVO}\npdss_total ~ anx + avo"
    for est in ("ML", "MLR"):
        row, par, samples = _fit(frames, {"name": "f", "syntax": syntax, "estimator": est, "missing": "fiml"})
        clean, scores = frames
        direct = sem(syntax, syntax_data(clean, scores, STUDY), estimator=est, missing="fiml", name="f")
        assert row["estimator"] == f"{est}/FIML"
        assert row["n"] == len(clean) - 1                   # only the row without any answer is out
        assert row["loglik"] == pytest.approx(direct.fit_measures()["logl"], rel=1e-12)
        s = samples.set_index(["reason", "variable"])["n"]
        assert s[("used", "")] == row["n"]
        assert s.xs("missing").sum() + s[("used", "")] == len(clean)
        assert s.xs("fiml").sum() == 7                      # 5 rows with item gaps + 2 missing outcomes


def test_fiml_leaves_out_rows_missing_a_fixed_covariate(frames) -> None:
    clean, scores = frames
    scores = scores.assign(age=np.linspace(20, 60, len(scores)))
    scores.loc[[0, 1, 2], "age"] = np.nan
    entry = {"name": "x", "syntax": f"anx =~ {ANX}\nanx ~ age", "missing": "fiml"}
    spec = parse_sem_model(entry, ["ecr"])
    with pytest.warns(UserWarning, match="fixed exogenous covariate"):
        fit, _ = fit_sem_models(clean, scores, [spec], STUDY)
    samples = study_model_samples(clean, scores, dict(STUDY, sem_models=[entry])).set_index(["reason", "variable"])
    assert samples.loc[("used", ""), "n"] == fit["n"].iloc[0] == len(clean) - 3      # the empty row has age
    assert samples.loc[("missing", "age"), "n"] == 3


def test_wlsmv_entry_treats_the_ordered_items_as_ordinal(frames) -> None:
    syntax = f"anx =~ {ANX}\navo =~ {AVO}"
    items = [f"ecr_{j}" for j in [*range(1, 7), *range(19, 25)]]
    row, par, samples = _fit(frames, {"name": "w", "syntax": syntax, "estimator": "WLSMV", "ordered": items})
    clean, scores = frames
    direct = sem(syntax, syntax_data(clean, scores, STUDY), estimator="WLSMV", ordered=items, name="w")
    f = direct.fit_measures()
    assert row["estimator"] == "WLSMV" and np.isnan(row["loglik"])
    assert row["chi2"] == pytest.approx(f["chisq.scaled"], rel=1e-12) and row["df"] == f["df"]
    assert set(par["op"]) == {"=~", "~~"}                                   # thresholds are not table rows
    lo = par[par["op"] == "=~"]
    assert lo["std"].between(0.3, 1).all() and lo["se"].notna().sum() == 10   # two markers fixed
    used = samples.loc[samples["reason"] == "used", "n"].iloc[0]
    assert used == row["n"] == len(clean) - 6           # the empty row + 5 rows with an item gap
    # ordered without an estimator means WLSMV (lavaan's default); the same fit
    row2, _, _ = _fit(frames, {"name": "w", "syntax": syntax, "ordered": True})
    assert row2["estimator"] == "WLSMV" and row2["chi2"] == pytest.approx(row["chi2"], rel=1e-12)


def test_wlsmv_with_a_regression_is_refused_naming_the_model(frames) -> None:
    from attachstats.errors import ModelError

    with pytest.raises(ModelError, match="'w'.*regressions are implemented"):
        _fit(frames, {"name": "w", "syntax": f"anx =~ {ANX}\navo =~ {AVO}\navo ~ anx", "ordered": True})


@pytest.mark.parametrize("extra, message", [
    ({"estimator": "WLSMV", "ordered": True, "missing": "fiml"}, "WLSMV cannot be combined with missing: fiml"),
    ({"estimator": "MLR", "ordered": ["ecr_1"]}, "ordered items are fitted by WLSMV"),
    ({"estimator": "WLSMV"}, "needs ordered"),
    ({"estimator": "DWLS"}, "estimator must be one of ML, MLR, WLSMV"),
    ({"missing": "pairwise"}, "missing must be one of listwise, fiml"),
    ({"ordered": "ecr_1"}, "ordered must be a list"),
])
def test_impossible_combinations_are_refused(extra, message) -> None:
    entry = {"name": "m", "syntax": f"anx =~ {ANX}", **extra}
    with pytest.raises(ConfigError, match=message) as exc:
        parse_sem_model(entry, ["ecr"], where="study 't', sem_models[0] (m)")
    assert "sem_models[0] (m)" in str(exc.value)


def test_options_on_a_preset_entry_are_refused() -> None:
    with pytest.raises(ConfigError, match="estimator applies to syntax models only"):
        parse_sem_model({"name": "p", "instrument": "ecr", "outcomes": ["y"], "estimator": "MLR"}, ["ecr"])


def _study(entry: dict) -> dict:
    return {"data": {"path": "x.csv"}, "instruments": {"ecr": {"instrument": "ecr-r", "columns": "ECR_{n}"}},
            "sem_models": [entry]}


def test_schema_accepts_the_options_and_refuses_unknown_values() -> None:
    ok = {"name": "m", "syntax": "f =~ a + b + c", "estimator": "WLSMV", "ordered": ["a", "b", "c"]}
    check_schema(_study(ok), SCHEMA, "s.yaml")
    check_schema(_study({"name": "m", "syntax": "f =~ a + b + c", "estimator": "MLR", "missing": "fiml"}),
                 SCHEMA, "s.yaml")
    check_schema(_study({"name": "m", "syntax": "f =~ a + b + c", "ordered": True}), SCHEMA, "s.yaml")
    with pytest.raises(ConfigError, match="sem_models.0.estimator"):
        check_schema(_study({"name": "m", "syntax": "f =~ a", "estimator": "DWLS"}), SCHEMA, "s.yaml")
    with pytest.raises(ConfigError, match="sem_models.0.missing"):
        check_schema(_study({"name": "m", "syntax": "f =~ a", "missing": "ml"}), SCHEMA, "s.yaml")
    # no default is filled in: a preset entry stays valid for the parser
    filled = fill_defaults(_study({"name": "p", "instrument": "ecr", "outcomes": ["y"]}), SCHEMA)
    assert set(filled["sem_models"][0]) == {"name", "instrument", "outcomes"}
