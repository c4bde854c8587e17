"""Study-level factor analysis: defaults, configuration checks, the tables every rule writes,
seeding, the formatted-table cut-off and the report sentences (known truth by simulation)."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest

from attachstats.spec import factor as factor_spec
from attachstats.steps import measure as fs
from attachstats.errors import ConfigError
from attachstats.output.figures.factor import loading_heatmap, path_diagram, scree_figure
from attachstats.spec.instrument import load_instrument
from attachstats.spec.study import resolve_study
from attachstats.output.tables import display_table

INST = load_instrument("ecr-r")
REVERSED = {n for sub in INST.subscales.values() for n in sub.reverse}


def clean_data(n: int = 1200, seed: int = 7, groups: tuple = ("Female", "Male")) -> pd.DataFrame:
    """Raw (unkeyed) ECR-R answers from a two-factor model (r = .3) plus a gender column."""
    rng = np.random.default_rng(seed)
    f = rng.multivariate_normal([0, 0], [[1, 0.3], [0.3, 1]], size=n)
    cols = {"id": [f"r{i}" for i in range(n)], "gender": rng.choice(list(groups), n)}
    for i in range(1, 37):
        eta = f[:, 0] if i <= 18 else f[:, 1]
        x = np.clip(np.round(4 + 1.1 * eta + rng.standard_normal(n)), 1, 7)
        cols[f"ecr_{i}"] = 8 - x if i in REVERSED else x
    d = pd.DataFrame(cols)
    d["gender"] = d["gender"].astype("string")
    return d


def study(**fa) -> dict:
    s = {"name": "t", "data": {"path": "x.csv"}, "instruments": {"ecr": {"instrument": "ecr-r",
                                                                          "columns": "ECR_{n}"}},
         "variables": {"gender": {"column": "Gender", "type": "categorical", "reference": "Female"}},
         "factor_analysis": {"instrument": "ecr", **fa}}
    return s


def manuscript_text(tables: dict, s: dict | None = None) -> str:
    """The manuscript's paragraphs for these result tables (no-break spaces as spaces)."""
    from attachstats.output.report.manuscript import build_manuscript

    ms = build_manuscript(s or study(), tables, {}, {"packages": {}, "seed": 1})
    return "\n".join(str(getattr(b, "text", "")) for sec in ms._all_sections() for b in sec.blocks
                     ).replace("\u00a0", " ")


@lru_cache(maxsize=None)
def cfa_tables():
    return fs.study_cfa(clean_data(), study())


def test_default_models_and_comparisons() -> None:
    s = factor_spec.settings(study())
    assert s["model_names"] == ["one_factor", "two_factor", "two_factor_method"]
    assert s["comparisons"] == [["one_factor", "two_factor"], ["two_factor", "two_factor_method"]]
    assert s["estimator"] == "ML" and s["missing"] == "listwise" and s["path_model"] == "two_factor"
    assert s["efa"]["rotation"] == "oblimin" and s["efa"]["cutoff"] == 0.3
    syn = fs.study_models(study())
    method = syn["two_factor_method"].splitlines()
    assert method[2] == "method =~ NA*" + " + ".join(f"ecr_{n}" for n in sorted(REVERSED))
    assert method[3:] == ["method ~~ 1*method", "anxiety ~~ 0*method", "avoidance ~~ 0*method"]
    assert syn["one_factor"].startswith("general =~ ecr_1 + ecr_2 + ")
    custom = fs.study_models(study(models=["two_factor", {"name": "mine", "syntax": "f =~ ecr_1 + ecr_2 + ecr_3"}]))
    assert custom["mine"] == "f =~ ecr_1 + ecr_2 + ecr_3"
    assert factor_spec.settings(study(models=["two_factor", {"name": "mine", "syntax": "x"}]))["comparisons"] == []


@pytest.mark.parametrize("fa,match", [
    ({"models": ["two_factor", "two_factor"]}, "used twice"),
    ({"models": ["three_factor"]}, "unknown model 'three_factor'"),
    ({"comparisons": [["one_factor", "nope"]]}, "comparisons: nope is not one of the models"),
    ({"path_model": "nope"}, "path_model: 'nope'"),
    ({"invariance": {"group": "sex"}}, "invariance.group: 'sex' is not a declared variable"),
])
def test_config_errors_name_the_key(fa: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        factor_spec.check_factor_config(study(**fa))


def test_resolve_study_runs_the_factor_checks(tmp_path) -> None:
    s = study(models=["one_factor", "one_factor"])
    with pytest.raises(ConfigError, match="used twice"):
        resolve_study(s, tmp_path / "t.yaml")


def test_method_model_needs_three_reverse_keyed_items() -> None:
    s = study(models=["one_factor", "two_factor", "two_factor_method"])
    s["instruments"]["ecr"] = {"columns": "I{n}", "definition": {
        "id": "x", "response": {"min": 1, "max": 5}, "n_items": 6, "scoring": "mean",
        "subscales": {"a": {"items": "1-3", "reverse": [2]}, "b": {"items": "4-6", "reverse": [5]}}}}
    with pytest.raises(ConfigError, match="at least 3 reverse-keyed items.*has 2"):
        factor_spec.check_factor_config(s)
    del s["factor_analysis"]["models"]
    assert factor_spec.settings(s)["model_names"] == ["one_factor", "two_factor"]     # default leaves it out


def test_study_cfa_tables() -> None:
    fit, loadings, cors, comp = cfa_tables()
    assert fit["model"].tolist() == ["one_factor", "two_factor", "two_factor_method"]
    assert (fit["n"] == 1200).all()
    assert comp[["restricted", "general"]].values.tolist() == [["one_factor", "two_factor"],
                                                                ["two_factor", "two_factor_method"]]
    one_two = comp.iloc[0]
    assert one_two["chi2_diff"] > 1000 and one_two["p"] < 1e-10       # two factors are true
    # the method factor is not in the population model: its test is not far in the tail
    assert comp.iloc[1]["p"] > 1e-4
    r = cors.loc[cors["model"] == "two_factor", "est"].iloc[0]
    assert 0.22 < r < 0.38
    assert set(loadings["model"]) == set(fit["model"])


def test_study_cfa_estimators_from_config() -> None:
    d = clean_data(400)
    fit_r = fs.study_cfa(d, study(models=["two_factor"], estimator="MLR"))[0]
    assert fit_r["estimator"].tolist() == ["MLR"] and fit_r["scaling_factor"].notna().all()
    d.loc[:30, "ecr_5"] = np.nan
    fit_f = fs.study_cfa(d, study(models=["two_factor"], missing="fiml"))[0]
    assert fit_f["estimator"].tolist() == ["FIML"] and fit_f["n"].iloc[0] == 400


@lru_cache(maxsize=None)
def efa_tables(seed: int = 11):
    return fs.study_efa(clean_data(), study(), seed)


def test_study_efa_tables() -> None:
    t = efa_tables()
    d = t["efa_diagnostics"].iloc[0]
    assert list(t["efa_diagnostics"].columns) == fs.EFA_DIAGNOSTIC_COLUMNS
    assert d["n"] == 1200 and d["k"] == 36 and d["parallel_factors"] == 2 and d["n_factors"] == 2
    assert d["kmo"] > 0.9 and d["bartlett_p"] < 1e-100 and bool(d["converged"])
    lo = t["efa_loadings"]
    assert list(lo.columns) == ["item", "MR1", "MR2", "h2", "u2", "complexity", "msa", "primary"]
    # the two simulated factors are recovered: items 1-18 share one primary factor, 19-36 the other
    prim = lo.set_index("item")["primary"]
    assert prim[[f"ecr_{i}" for i in range(1, 19)]].nunique() == 1
    assert prim[[f"ecr_{i}" for i in range(19, 37)]].nunique() == 1
    assert prim["ecr_1"] != prim["ecr_19"]
    assert 0.2 < abs(t["efa_factor_correlations"]["r"].iloc[0]) < 0.4
    assert len(t["parallel_analysis"]) == 36


def test_study_efa_reports_psychs_fit() -> None:
    """efa_diagnostics ends with the fit psych::fa reports (STATISTIC, dof, PVAL, TLI, RMSEA
    with its 90% CI, BIC) and the Heywood items; the old columns keep their order."""
    d = efa_tables()["efa_diagnostics"]
    assert list(d.columns[:16]) == ["n", "k", "kmo", "bartlett_chi2", "bartlett_df", "bartlett_p",
                                    "parallel_factors", "parallel_components", "parallel_iterations",
                                    "parallel_quantile", "seed", "n_factors", "extraction", "rotation",
                                    "cutoff", "converged"]
    assert list(d.columns[16:]) == ["chi2", "df", "p", "tli", "rmsea", "rmsea_ci_lo", "rmsea_ci_hi", "bic",
                                    "heywood"]
    row = d.iloc[0]
    assert row["df"] == 36 * 35 / 2 - 36 * 2 + 1 and row["heywood"] == ""
    # simulated from the two-factor model: a good fit
    assert row["rmsea_ci_lo"] <= row["rmsea"] <= row["rmsea_ci_hi"] < 0.05 and row["tli"] > 0.95
    assert row["bic"] == pytest.approx(row["chi2"] - row["df"] * math.log(row["n"]))


def test_heywood_items_reach_the_table_the_log_and_the_report(monkeypatch, caplog) -> None:
    real = fs.efa_stats.fit_efa

    def improper(*args, **kwargs):                   # the library's flag, as on a real Heywood case
        res = real(*args, **kwargs)
        res.heywood = ["ecr_1", "ecr_2"]
        return res

    monkeypatch.setattr(fs.efa_stats, "fit_efa", improper)
    with caplog.at_level("WARNING", logger="attachstats.steps.measure"):
        t = fs.study_efa(clean_data(300), study(), 1)
    assert t["efa_diagnostics"]["heywood"].iloc[0] == "ecr_1, ecr_2"
    assert any("ultra-Heywood" in r.getMessage() and "ecr_1, ecr_2" in r.getMessage() for r in caplog.records)
    text = manuscript_text(t)
    assert "Warning: an ultra-Heywood case (communality of 1 or more) for ECR-R items 1 and 2" in text
    assert "improper" in text and "ecr_1" not in text
    monkeypatch.undo()                               # the clean tables come from the real fit
    assert "Heywood" not in manuscript_text(efa_tables())


def test_efa_n_factors_settings() -> None:
    t = fs.study_efa(clean_data(600), study(efa={"n_factors": 3, "rotation": "promax", "extraction": "ml"}), 1)
    # psych's names (rotation order), listed by variance: any order of ML1..ML3
    assert sorted(t["efa_loadings"].columns[1:4]) == ["ML1", "ML2", "ML3"]
    assert list(t["efa_factors"]["factor"]) == list(t["efa_loadings"].columns[1:4])
    assert t["efa_diagnostics"]["rotation"].iloc[0] == "promax"
    t = fs.study_efa(clean_data(600), study(efa={"n_factors": "parallel"}), 1)
    assert t["efa_diagnostics"]["n_factors"].iloc[0] == t["efa_diagnostics"]["parallel_factors"].iloc[0]


def test_random_steps_depend_only_on_the_seed() -> None:
    a, b = efa_tables(11), fs.study_efa(clean_data(), study(), 11)
    pd.testing.assert_frame_equal(a["parallel_analysis"], b["parallel_analysis"])
    c = efa_tables(12)
    assert not a["parallel_analysis"]["simulated_mean"].equals(c["parallel_analysis"]["simulated_mean"])
    pd.testing.assert_frame_equal(a["efa_loadings"], c["efa_loadings"])     # not random
    cv1 = fs.study_cross_validation(clean_data(), study(), 5)
    cv2 = fs.study_cross_validation(clean_data(), study(), 5)
    cv3 = fs.study_cross_validation(clean_data(), study(), 6)
    pd.testing.assert_frame_equal(cv1[0], cv2[0])
    assert not cv1[0]["cfa_std"].equals(cv3[0]["cfa_std"])


def test_cross_validation_tables() -> None:
    items, fit = fs.study_cross_validation(clean_data(), study(), 5)
    assert list(items.columns) == fs.CROSS_VALIDATION_COLUMNS
    assert list(fit.columns) == fs.CROSS_VALIDATION_FIT_COLUMNS
    assert len(items) == 36 and items["efa_primary_agrees"].all()
    assert fit["n_efa"].iloc[0] + fit["n_cfa"].iloc[0] == 1200 and fit["n_efa"].iloc[0] == 600
    assert (fit["congruence"] > 0.98).all()
    assert set(fit["factor"]) == {"anxiety", "avoidance"} and fit["efa_factor"].nunique() == 2
    split = fs.study_cross_validation(clean_data(), study(cross_validation={"split": 0.25}), 5)[1]
    assert split["n_efa"].iloc[0] == 300


def test_invariance_table_and_small_groups() -> None:
    d = clean_data(900, groups=("Female", "Male", "Non-binary"))
    d.loc[d.index[d["gender"] == "Non-binary"][40:], "gender"] = "Female"     # 40 non-binary
    tab = fs.study_invariance(d, study())
    assert tab["step"].tolist() == ["configural", "metric", "scalar"]
    assert tab["groups"].iloc[0] == "Female, Male"                            # reference first
    assert "Non-binary (n = 40)" in tab["note"].iloc[0]
    # invariant by construction: no step is rejected at the .001 level
    assert (tab["p_diff"].iloc[1:] > 0.001).all()
    assert (tab["delta_cfi"].iloc[1:].abs() < 0.01).all()
    strict = fs.study_invariance(d, study(invariance={"group": "gender", "steps": ["configural", "metric",
                                                                                    "scalar", "strict"],
                                                      "groups": ["Male", "Female"]}))
    assert strict["step"].iloc[-1] == "strict" and strict["groups"].iloc[0] == "Male, Female"


def test_invariance_not_tested_says_why() -> None:
    s = study()
    del s["variables"]
    tab = fs.study_invariance(clean_data(300), s)
    assert tab["step"].tolist() == ["not tested"] and "no variable 'gender'" in tab["note"].iloc[0]
    tab = fs.study_invariance(clean_data(300), study(invariance={"min_group_n": 500}))
    assert tab["step"].tolist() == ["not tested"]
    assert "fewer than two groups" in tab["note"].iloc[0] and "Female (n = " in tab["note"].iloc[0]
    assert "Measurement invariance was not tested: fewer than two groups" in manuscript_text({"invariance": tab})


def test_no_factor_analysis_block_gives_empty_tables() -> None:
    s = study()
    del s["factor_analysis"]
    assert all(t.empty for t in fs.study_efa(clean_data(200), s, 1).values())
    assert all(t.empty for t in fs.study_cfa(clean_data(200), s))
    assert fs.study_invariance(clean_data(200), s)["step"].tolist() == ["not tested"]


def test_cutoff_blanks_only_the_formatted_table() -> None:
    lo = efa_tables()["efa_loadings"]
    shown = display_table(lo, "efa_loadings", cutoff=factor_spec.settings(study(efa={"cutoff": 0.4}))["efa"]["cutoff"])
    for c in ("MR1", "MR2"):
        small = lo[c].abs() < 0.4
        assert small.any() and shown.loc[small, c].isna().all()
        pd.testing.assert_series_equal(shown.loc[~small, c], lo.loc[~small, c])
    assert shown["h2"].equals(lo["h2"])
    assert display_table(lo, "cfa_loadings", cutoff=0.4) is lo
    assert display_table(lo, "efa_loadings").equals(display_table(lo, "efa_loadings", cutoff=0.3))


def test_report_sentences_use_the_table_numbers() -> None:
    fit, _, _, comp = cfa_tables()
    t = efa_tables()
    items, cvfit = fs.study_cross_validation(clean_data(), study(), 5)
    text = manuscript_text({"cfa_fit": fit, "cfa_comparison": comp, **t, "cross_validation_fit": cvfit})
    d = t["efa_diagnostics"].iloc[0]
    assert f"KMO = {d['kmo']:.2f}".replace("0.", ".") in text
    assert "suggested 2 factors, the number retained" in text
    fit_text = f"fit, as psych::fa reports it: χ²({int(d['df'])}) = {d['chi2']:,.2f}"
    assert fit_text in text
    rmsea = f"{d['rmsea']:.3f}".replace("0.", ".")
    ci = "[" + ", ".join(f"{d[c]:.3f}".replace("0.", ".") for c in ("rmsea_ci_lo", "rmsea_ci_hi")) + "]"
    assert f"RMSEA = {rmsea}, 90% CI {ci}" in text and "TLI = " in text
    old = {**t, "efa_diagnostics": t["efa_diagnostics"].iloc[:, :16]}           # tables made before the fit
    assert "psych::fa reports" not in manuscript_text(old)
    assert f"Δχ²(1) = {comp['chi2_diff'].iloc[0]:,.2f}" in text
    assert f"exploratory loadings of one half (n = {int(cvfit['n_efa'].iloc[0]):,})" in text
    assert "treated as continuous although they have only 7 response categories" in text
    assert "factor_analysis.estimator: WLSMV" in text
    undefined = comp.assign(chi2_diff=math.nan, p=math.nan, estimator="MLR")
    assert "scaled Δχ² undefined (negative scaling correction" in manuscript_text({"cfa_fit": fit,
                                                                                   "cfa_comparison": undefined})


def test_factor_figures_are_drawn() -> None:
    fit, lo, cors, _ = cfa_tables()
    t = efa_tables()
    figs = {"scree": scree_figure(t["parallel_analysis"], t["efa_diagnostics"]),
            "efa_loadings": loading_heatmap(t["efa_loadings"], factor_spec.settings(study())["efa"]["cutoff"]),
            "path_diagram": path_diagram(lo, cors, factor_spec.settings(study())["path_model"])}
    assert set(figs) == {"scree", "efa_loadings", "path_diagram"}
    import matplotlib.pyplot as plt

    ax = figs["path_diagram"].axes[0]
    labels = [t.get_text() for t in ax.texts]
    assert "anxiety" in labels and "avoidance" in labels and "ecr_36" in labels
    r = cors.loc[cors["model"] == "two_factor", "est"].iloc[0]
    assert f"{r:.2f}".replace("0.", ".") in labels
    for f in figs.values():
        plt.close(f)


def test_efa_fit_sentence_reads_a_csv_round_trip(tmp_path) -> None:
    """A bound of exactly 0 comes back from the CSV as an integer: still printed as .000."""
    from attachstats.data.csvio import write_csv

    d = efa_tables()["efa_diagnostics"].assign(rmsea=0.0, rmsea_ci_lo=0.0, rmsea_ci_hi=0.0087)
    write_csv(d, tmp_path / "efa_diagnostics.csv")
    back = pd.read_csv(tmp_path / "efa_diagnostics.csv")
    text = manuscript_text({"efa_diagnostics": back})
    assert "RMSEA = .000, 90% CI [.000, .009]" in text and "Heywood" not in text


def test_efa_heat_map_names_the_factors_its_loadings_identify() -> None:
    """The EFA heat map says "Attachment anxiety", not "Factor 1", where the loadings identify the
    subscale (labels.efa_factor_names), and "Factor k" (psych's number) where they do not."""
    import matplotlib.pyplot as plt

    from attachstats.output.labels import figure_labels

    lo = efa_tables()["efa_loadings"]
    fig = loading_heatmap(lo, 0.3, figure_labels(study(), lo))
    ticks = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_xticklabels()]
    assert sorted(ticks) == ["Attachment anxiety", "Attachment avoidance"]
    factors = list(lo.columns[1:list(lo.columns).index("h2")])
    mixed = lo.assign(primary=factors[0])                   # every item on one factor: nothing identified
    fig2 = loading_heatmap(mixed, 0.3, figure_labels(study(), mixed))
    assert [t.get_text() for t in fig2.axes[0].get_xticklabels()] == [f"Factor {f[-1]}" for f in factors]
    plt.close(fig)
    plt.close(fig2)
