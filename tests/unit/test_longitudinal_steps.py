"""The longitudinal rules' steps on a small linked.csv written here (3 waves, ECR-R items keyed,
scale scores, depression, a breakup at wave 2, attrition at wave 3), and the longitudinal:
block's checks. The numbers themselves are checked in test_longitudinal_sem.py and
test_longitudinal_change.py; here: every output file, its columns, what is read from the study."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from attachstats.errors import ConfigError, DataError, ModelError
from attachstats.sim.panel_truth import simulate_linked_study as make_linked
from attachstats.spec.longitudinal import parse_longitudinal, score_items
from attachstats.spec.waves import waves_of
from attachstats.stats.latent.longitudinal import LATENT_CHANGE_COLUMNS, LONG_INVARIANCE_COLUMNS, RICLPM_COLUMNS
from attachstats.stats.longitudinal import CHANGE_COLUMNS, RELIABLE_CHANGE_COLUMNS, TRAJECTORY_COLUMNS
from attachstats.steps import longitudinal as steps
from attachstats.output.report.longitudinal import longitudinal_paragraphs, manuscript_section

WAVES = ["w1", "w2", "w3"]


STUDY = {
    "name": "panel_test",
    "instruments": {"ecr": {"instrument": "ecr-r", "columns": "ECR_{n}"}},
    "variables": {"loss": {"column": "breakup", "label": "Breakup since the last wave"},
                  "age": {"column": "age"}, "phq9_total": {"column": "phq", "label": "Depressive symptoms"}},
    "waves": [{"name": "w1", "label": "Wave 1"}, {"name": "w2", "label": "Wave 2"}, {"name": "w3", "label": "Wave 3"}],
    "longitudinal": {
        "estimator": "ML", "missing": "fiml",
        "invariance": {"instrument": "ecr", "indicators": "parcels", "parcels": 3},
        "change": {"score": "ecr_anxiety", "pre": "w1", "post": "w2", "reliability": "alpha",
                   "cutoff": {"criterion": "c", "mean_clinical": 4.5, "sd_clinical": 1.0, "mean_functional": 3.0,
                              "sd_functional": 1.0}},
        "latent_change": [{"score": "ecr_anxiety", "pre": "w1", "post": "w2"}],
        "lagged_moderation": {"outcome": "phq9_total", "focal": "loss", "moderator": "ecr_anxiety",
                              "from": "w1", "to": "w2", "covariates": ["age"]},
        "riclpm": {"variables": ["ecr_anxiety", "phq9_total"]},
    },
}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("results") / "panel_test"
    (root / "waves").mkdir(parents=True)
    (root / "longitudinal" / "figures").mkdir(parents=True)
    linked = root / "waves" / "linked.csv"
    make_linked().to_csv(linked, index=False)
    L = root / "longitudinal"
    tables = {k: str(L / f) for k, f in {
        "invariance": "invariance.csv", "invariance_loadings": "invariance_loadings.csv", "change": "change.csv",
        "reliable_change": "reliable_change.csv", "reliable_change_persons": "reliable_change_persons.csv",
        "trajectory": "trajectory.csv", "latent_change": "latent_change.csv",
        "latent_change_fit": "latent_change_fit.csv", "lagged_coefficients": "lagged_moderation.csv",
        "lagged_fit": "lagged_fit.csv", "lagged_simple_slopes": "lagged_simple_slopes.csv",
        "lagged_johnson_neyman": "lagged_johnson_neyman.csv", "lagged_slope_curve": "lagged_slope_curve.csv",
        "lagged_lines": "lagged_lines.csv", "lagged_samples": "lagged_samples.csv", "riclpm": "riclpm.csv",
        "riclpm_fit": "riclpm_fit.csv"}.items()}
    steps.longitudinal_invariance(linked, {"table": tables["invariance"], "loadings": tables["invariance_loadings"]},
                                  STUDY)
    steps.longitudinal_change(linked, {k: tables[k] for k in ("change", "reliable_change", "reliable_change_persons",
                                                                 "trajectory")}, STUDY)
    steps.latent_change(linked, {"table": tables["latent_change"], "fit": tables["latent_change_fit"]}, STUDY)
    steps.lagged_moderation(linked, {"coefficients": tables["lagged_coefficients"], "fit": tables["lagged_fit"],
                                     "simple_slopes": tables["lagged_simple_slopes"],
                                     "johnson_neyman": tables["lagged_johnson_neyman"],
                                     "slope_curve": tables["lagged_slope_curve"], "lines": tables["lagged_lines"],
                                     "samples": tables["lagged_samples"]},
                            STUDY)
    steps.riclpm(linked, {"table": tables["riclpm"], "fit": tables["riclpm_fit"]}, STUDY)
    figs = {n: str(L / "figures" / f"{n}.png") for n in ("spaghetti", "jacobson_truax", "lagged_interaction")}
    figs.update({f"{n}_pdf": str(L / "figures" / f"{n}.pdf") for n in ("spaghetti", "jacobson_truax", "lagged_interaction")})
    figs["manifest"] = str(L / "figures" / "manifest.csv")
    steps.longitudinal_figures(linked, tables, figs, STUDY, seed=1)
    steps.longitudinal_text(tables, L / "results.md", STUDY)
    return root, tables, figs


def test_every_table_is_written_with_its_columns(outputs):
    _, tables, _ = outputs
    read = {k: pd.read_csv(v) for k, v in tables.items()}
    assert list(read["invariance"].columns) == LONG_INVARIANCE_COLUMNS
    assert list(read["invariance"]["step"]) == ["configural", "metric", "scalar"]
    assert (read["invariance"]["indicators"] == "3 parcels per factor").all()
    assert (read["invariance"]["estimator"] == "ML/FIML").all()
    assert read["invariance"]["n"].iloc[0] == 300           # FIML keeps the people lost at wave 3
    assert list(read["change"].columns) == CHANGE_COLUMNS
    row = read["change"].iloc[0]
    assert row["reliability_method"] == "alpha at w1" and 0.8 < row["reliability"] < 1
    assert row["cutoff"] == pytest.approx(3.75)            # criterion c of the stated populations
    assert list(read["reliable_change"].columns) == RELIABLE_CHANGE_COLUMNS
    assert set(read["reliable_change"]["classification"]) == {"reliable", "clinical"}
    assert list(read["trajectory"].columns) == TRAJECTORY_COLUMNS
    t = read["trajectory"][read["trajectory"]["score"] == "ecr_anxiety"]
    assert list(t["wave"]) == WAVES and list(t["n"])[:2] == [300, 300] and t["n"].iloc[2] < 300
    assert list(read["latent_change"].columns) == LATENT_CHANGE_COLUMNS
    assert list(read["riclpm"].columns) == RICLPM_COLUMNS
    assert read["riclpm_fit"]["df"].iloc[0] == 1
    c = read["lagged_coefficients"].set_index("term")
    assert "loss_w2:ecr_anxiety_w1" in c.index and c.loc["loss_w2:ecr_anxiety_w1", "p"] < 0.05
    assert list(read["lagged_simple_slopes"]["at"]) == ["-1 SD", "mean", "+1 SD"]
    assert len(read["lagged_lines"]) > 0
    samples = read["lagged_samples"]
    assert samples.loc[samples["reason"] == "used", "n"].sum() == 300 and samples["n"].sum() == 300


def test_figures_are_drawn(outputs):
    _, _, figs = outputs
    manifest = pd.read_csv(figs["manifest"])
    assert manifest["drawn"].all(), manifest
    for n in ("spaghetti", "jacobson_truax", "lagged_interaction"):
        with open(figs[n], "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_report_paragraphs(outputs):
    root, tables, _ = outputs
    text = (root / "longitudinal" / "results.md").read_text()
    assert text.startswith("## Change across waves")
    for phrase in ("Measurement invariance", "d_z =", "reliably improved", "latent change score model",
                   "breakup since the last wave", "Johnson–Neyman", "random-intercept cross-lagged", "Wave 1"):
        assert phrase in text, phrase
    assert "Heywood case" in text          # the test data have no stable person differences
    paras = manuscript_section(root)
    assert len(paras) == 5 and not any(p.startswith("#") for p in paras)
    assert manuscript_section(root / "nowhere") == []
    assert longitudinal_paragraphs({}) == []


def test_analyses_not_requested_give_header_only_tables(tmp_path):
    linked = tmp_path / "linked.csv"
    make_linked(80).to_csv(linked, index=False)
    study = {**STUDY, "longitudinal": {"change": {"score": "ecr_anxiety", "pre": "w1", "post": "w3",
                                                  "reliability": 0.85}}}
    out = {"table": tmp_path / "i.csv", "loadings": tmp_path / "l.csv"}
    steps.longitudinal_invariance(linked, out, study)
    assert pd.read_csv(out["table"]).empty and list(pd.read_csv(out["table"]).columns) == LONG_INVARIANCE_COLUMNS
    d, waves = steps.read_linked(linked)
    ch = steps.study_change(d, waves, study)["change"].iloc[0]
    assert ch["reliability_method"] == "stated" and ch["n_dropped"] > 0


def test_longitudinal_block_errors_are_clear(tmp_path):
    bad = {**STUDY, "longitudinal": {"change": {"score": "ecr_anxiety", "pre": "w1", "post": "w9"}}}
    with pytest.raises(ConfigError, match="wave 'w9' is not one of the study's waves"):
        parse_longitudinal(bad)
    bad = {**STUDY, "longitudinal": {"lagged_moderation": {"outcome": "phq9_total", "focal": "loss",
                                                          "moderator": "ecr_anxiety", "from": "w2", "to": "w1"}}}
    with pytest.raises(ConfigError, match="comes after"):
        parse_longitudinal(bad)
    bad = {**STUDY, "waves": STUDY["waves"][:2], "longitudinal": {"riclpm": {"variables": ["a", "b"]}}}
    with pytest.raises(ConfigError, match="at least three waves"):
        parse_longitudinal(bad)
    with pytest.raises(ConfigError, match="no instrument block"):
        parse_longitudinal({**STUDY, "longitudinal": {"invariance": {"instrument": "nope"}}})
    with pytest.raises(ConfigError, match="unknown key"):
        parse_longitudinal({**STUDY, "longitudinal": {"growth": {}}})
    assert parse_longitudinal({"name": "x"}) is None
    # the linked data's waves must be the study's
    d = make_linked(30).drop(columns=["present_w3"])
    with pytest.raises(DataError, match="not the study's waves"):
        steps.study_change(d, steps.linked_waves(d), STUDY)
    gone = make_linked(30).drop(columns=["phq9_total_w2"])
    with pytest.raises(ModelError, match=r"panel\.csv: lagged moderation: the linked data have no column"):
        steps.study_lagged(gone, WAVES, STUDY, "panel.csv")
    with pytest.raises(DataError, match="first column must be 'id'"):
        steps.linked_waves(d.drop(columns=["id"]))


def test_score_items_and_waves_of():
    assert score_items(STUDY, "ecr_anxiety") == [f"ecr_{j}" for j in range(1, 19)]
    assert score_items(STUDY, "phq9_total") == []
    assert [w.label for w in waves_of({"waves": {"column": "wave", "levels": [{"name": "t0", "value": 0, "label": "Pre"}]}})] == ["Pre"]


def test_manuscript_hook(outputs):
    from attachstats.output.report.longitudinal import HEADING, add_to_manuscript
    from attachstats.output.report.manuscript import Manuscript, Paragraph, Section
    from attachstats.output.report.manuscript_html import manuscript_html

    root, _, _ = outputs
    ms = Manuscript(title="t", sections=[Section("Results", blocks=[Paragraph("x")])], references=[],
                    appendix=Section("Appendix"))
    L = root / "longitudinal"
    files = [L / "results.md", L / "invariance.csv", L / "change.csv", L / "reliable_change.csv",
             L / "figures" / "manifest.csv", *(L / "figures" / f"{n}.png" for n in ("spaghetti", "jacobson_truax",
                                                                                   "lagged_interaction"))]
    add_to_manuscript(ms, [str(f) for f in files])
    sub = ms.sections[0].blocks[-1]
    assert sub.title == HEADING and sub.level == 2
    paras = [b.text for b in sub.blocks if isinstance(b, Paragraph)]
    assert len(paras) == 5                         # one per analysis; the tables and figures are cited in them
    cited = " ".join(paras)
    for ref in ("Table 1 gives the fit of each step.", "Table 2 summarises the change.", "Figure 1 shows",
                "Figure 2 shows", "Figure 3 shows the interaction"):
        assert cited.count(ref) == 1, ref
    assert paras[0].startswith("Measurement invariance") and paras[0].endswith("Table 1 gives the fit of each step.")
    assert [t.number for t in ms.tables] == [1, 2] and [f.number for f in ms.figures] == [1, 2, 3]
    assert ms.tables[0].model.rows[0][0] == "Configural" and ms.tables[1].model.rows[0][0] == "Attachment anxiety"
    page = manuscript_html(ms, "sub")
    assert "Change across waves" in page and "Measurement invariance across waves" in page and "<img" in page
    from attachstats.output.report.manuscript_docx import write_manuscript_docx
    write_manuscript_docx(ms, root / "ms.docx", "sub")
    assert (root / "ms.docx").stat().st_size > 10_000
    before = len(ms.sections[0].blocks)
    add_to_manuscript(ms, [])                      # a study without longitudinal analyses
    assert len(ms.sections[0].blocks) == before


def test_figure_text_is_at_least_7_pt(outputs):
    from attachstats.output.figures.common import MIN_PT, text_sizes

    root, tables, _ = outputs
    d, waves = steps.read_linked(root / "waves" / "linked.csv")
    figs = steps.study_longitudinal_figures(d, waves, {k: pd.read_csv(v) for k, v in tables.items()}, STUDY, seed=1)
    for name, fig in figs.items():
        sizes = text_sizes(fig)
        assert sizes and min(s for _, s in sizes) >= MIN_PT, (name, sizes)
        labels = [t for t, _ in sizes]
        if name == "spaghetti":
            assert any("Attachment anxiety" in t for t in labels)
        if name == "lagged_interaction":
            assert any("Wave 2" in t for t in labels)


def test_names_must_be_scores_or_variables():
    known = {"ecr_anxiety", "ecr_avoidance", "phq9_total", "loss", "age"}
    assert parse_longitudinal(STUDY, known) is not None
    bad = {**STUDY, "longitudinal": {"riclpm": {"variables": ["ecr_anxiety", "gad7_total"]}}}
    with pytest.raises(ConfigError, match="'gad7_total' is not a score or declared variable"):
        parse_longitudinal(bad, known)
    ok = {**STUDY, "longitudinal": {"lagged_moderation": {"outcome": "phq9_total", "focal": "loss",
                                                         "moderator": "ecr_anxiety", "from": "w1", "to": "w2",
                                                         "covariates": ["age_w2"]}}}
    assert parse_longitudinal(ok, known).lagged_moderation[0].covariates == ("age_w2",)


def test_same_inputs_give_identical_files(outputs, tmp_path):
    root, tables, figs = outputs
    linked = root / "waves" / "linked.csv"
    again = {k: str(tmp_path / Path(v).name) for k, v in tables.items()}
    steps.longitudinal_change(linked, {k: again[k] for k in ("change", "reliable_change", "reliable_change_persons",
                                                              "trajectory")}, STUDY)
    steps.riclpm(linked, {"table": again["riclpm"], "fit": again["riclpm_fit"]}, STUDY)
    for k in ("change", "reliable_change", "reliable_change_persons", "trajectory", "riclpm", "riclpm_fit"):
        assert Path(again[k]).read_bytes() == Path(tables[k]).read_bytes(), k
    figs2 = {k: str(tmp_path / ("f_" + Path(v).name)) for k, v in figs.items()}
    steps.longitudinal_figures(linked, tables, figs2, STUDY, seed=1)
    for k in ("spaghetti", "spaghetti_pdf", "jacobson_truax"):
        assert Path(figs2[k]).read_bytes() == Path(figs[k]).read_bytes(), k


def test_an_improper_random_intercept_correlation_is_flagged_not_interpreted() -> None:
    from attachstats.output.report.longitudinal import _riclpm

    base = {"x": "anx", "y": "dep", "waves": "w1,w2,w3", "df": 1, "chi2": 0.4, "cfi": 1.0, "rmsea": 0.0,
            "from_wave": "", "to_wave": "", "ci_lo": 0.0, "ci_hi": 0.0, "p": 0.5, "est": 0.5}
    for r, improper in ((0.42, False), (1.51, True), (-1.2, True)):
        t = pd.DataFrame([{**base, "parameter": "ri_cov", "std": r}, {**base, "parameter": "ri_var_x", "std": 1.0}])
        text = _riclpm(t, pd.DataFrame(), {}, {})
        assert ("improper solution" in text) is improper, (r, text)
        assert ("should not be interpreted" in text) is improper
