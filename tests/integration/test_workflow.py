"""Run the real Snakemake workflow (CLI, in a subprocess) on small studies."""

from __future__ import annotations

import html as html_lib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, make_survey, study_dict

pytestmark = pytest.mark.integration
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
TABLES = ["validation/flow.csv", "validation/exclusions.csv", "validation/issues.csv", "validation/careless.csv",
          "scores/scores.csv", "tables/score_summary.csv", "tables/reliability.csv",
          "tables/reliability_items.csv", "tables/cfa_fit.csv", "tables/cfa_loadings.csv",
          "tables/cfa_factor_correlations.csv", "tables/regressions.csv", "tables/regression_fit.csv",
          "tables/score_bands.csv", "tables/caseness.csv", "tables/attachment_styles.csv",
          "scores/attachment_styles.csv", "tables/descriptives.csv", "tables/correlations.csv",
          "tables/regression_blocks.csv", "tables/regression_diagnostics.csv", "tables/model_samples.csv",
          "tables/simple_slopes.csv", "tables/johnson_neyman.csv", "tables/slope_curve.csv", "tables/mediation.csv",
          "tables/sem_fit.csv", "tables/sem_parameters.csv",
          "tables/cfa_comparison.csv", "tables/efa_diagnostics.csv", "tables/parallel_analysis.csv",
          "tables/efa_loadings.csv", "tables/efa_factors.csv", "tables/efa_factor_correlations.csv",
          "tables/invariance.csv", "tables/cross_validation.csv", "tables/cross_validation_fit.csv"]
FIGURES = ["flow", "score_distributions", "dimensions", "cfa_loadings", "coefficients", "interaction", "mediation",
           "partial_regression", "scree", "efa_loadings", "path_diagram", "item_distributions",
           "correlation_heatmap", "sem_diagram"]


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run([SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(workdir),
                           "--configfile", str(workdir / "config.yaml"), "--cores", "2", *args],
                          capture_output=True, text=True, env=env, timeout=900)


def write_study(workdir: Path, study: dict, survey: pd.DataFrame | None = None) -> Path:
    (survey if survey is not None else make_survey(150)).to_csv(workdir / "survey.csv", index=False)
    path = workdir / "mini.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    (workdir / "config.yaml").write_text(yaml.safe_dump({"studies": [str(path)], "seed": 1}))
    return path


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    wd = tmp_path_factory.mktemp("wf")
    survey = make_survey(150)
    survey.loc[3, "ECR_2"] = "-99"
    survey = pd.concat([survey, survey.iloc[[5]]], ignore_index=True)
    models = study_dict()["outcome_models"] + [
        {"name": "depression_mice", "outcome": "phq9_total", "predictors": ["ecr_anxiety"], "covariates": ["age"],
         "missing": {"method": "mice", "m": 5}}]
    mediation = [{"name": "med", "x": "ecr_avoidance", "mediator": "ecr_anxiety", "outcome": "phq9_total",
                  "bootstrap": 500}]
    write_study(wd, study_dict(outcome_models=models, mediation_models=mediation, sem_models=SYNTAX_SEM), survey)
    res = snakemake(wd)
    assert res.returncode == 0, res.stderr[-4000:]
    return wd


#: A latent mediation in lavaan syntax (study file ``sem_models[].syntax``).
SYNTAX_SEM = [{"name": "latent_mediation",
               "syntax": "anxiety =~ ecr_1 + ecr_2 + ecr_3 + ecr_4 + ecr_5 + ecr_6\n"
                         "avoidance =~ ecr_19 + ecr_20 + ecr_21 + ecr_22 + ecr_23 + ecr_24\n"
                         "avoidance ~ a*anxiety\nphq9_total ~ b*avoidance + anxiety\nindirect := a*b"}]


def test_a_syntax_sem_model_gets_its_tables_and_report_paragraph(finished_run):
    out = finished_run / "results" / "mini"
    fit = pd.read_csv(out / "tables" / "sem_fit.csv").set_index("model")
    assert fit.loc["latent_mediation", "df"] == 63 and fit.loc["latent_mediation", "n"] > 100
    par = pd.read_csv(out / "tables" / "sem_parameters.csv")
    par = par[par["model"] == "latent_mediation"].set_index(["lhs", "op"])
    a, b = par.loc[("avoidance", "~"), "est"], par.loc[("phq9_total", "~")].set_index("rhs").loc["avoidance", "est"]
    assert par.loc[("indirect", ":="), "est"] == pytest.approx(a * b)
    text = html_lib.unescape((out / "report.html").read_text(encoding="utf-8")).replace("\u00a0", " ")
    assert "In the latent mediation latent regression (ML, n = " in text
    assert f"Defined effects (delta-method standard errors): indirect = " in text
    figs = pd.read_csv(out / "figures" / "figures_models_manifest.csv").set_index("figure")
    assert figs.loc["sem_diagram", "drawn"]                  # the syntax model's path diagram


def test_all_outputs_written(finished_run):
    out = finished_run / "results" / "mini"
    for rel in TABLES + ["report.html", "provenance.json"]:
        assert (out / rel).is_file(), rel
    manifests = pd.concat([pd.read_csv(p) for p in sorted((out / "figures").glob("*_manifest.csv"))])
    assert sorted(manifests["figure"]) == sorted(FIGURES)
    for fig in manifests.loc[manifests["drawn"], "figure"]:
        assert (out / "figures" / f"{fig}.png").stat().st_size > 1000
    assert manifests.loc[~manifests["drawn"], "reason"].str.startswith("no ").all()
    assert "*Confirmatory factor analysis: model fit" in (out / "tables" / "cfa_fit.md").read_text()
    fit = pd.read_csv(out / "tables" / "cfa_fit.csv")
    assert list(fit.columns[:14]) == ["model", "estimator", "n", "chi2", "df", "p", "cfi", "tli", "rmsea",
                                      "rmsea_ci_lo", "rmsea_ci_hi", "srmr", "aic", "bic"]
    assert fit["model"].tolist() == ["one_factor", "two_factor"]
    assert (fit.set_index("model").loc["two_factor", "df"]) == 593


def test_factor_analysis_outputs(finished_run):
    out = finished_run / "results" / "mini" / "tables"
    comp = pd.read_csv(out / "cfa_comparison.csv")
    assert comp[["restricted", "general"]].values.tolist() == [["one_factor", "two_factor"]]
    assert comp["chi2_diff"].iloc[0] > 0 and comp["df_diff"].iloc[0] == 1
    diag = pd.read_csv(out / "efa_diagnostics.csv")
    assert diag["n_factors"].iloc[0] == 2 and diag["k"].iloc[0] == 36
    lo = pd.read_csv(out / "efa_loadings.csv")
    assert list(lo.columns) == ["item", "MR1", "MR2", "h2", "u2", "complexity", "msa", "primary"]
    md = (out / "efa_loadings.md").read_text()
    small = (lo[["MR1", "MR2"]].abs() < 0.3).sum().sum()
    assert small > 0 and md.count("|  |") >= small              # blanked in the formatted table only
    inv = pd.read_csv(out / "invariance.csv")
    # about 75 respondents per gender: below the default minimum group size of 100
    assert inv["step"].tolist() == ["not tested"] and "fewer than two groups" in inv["note"].iloc[0]
    cv = pd.read_csv(out / "cross_validation_fit.csv")
    assert cv["n_efa"].iloc[0] + cv["n_cfa"].iloc[0] == pd.read_csv(out / "efa_diagnostics.csv")["n"].iloc[0]
    html = (finished_run / "results" / "mini" / "report.html").read_text()
    assert "Measurement invariance was not tested" in html and "factor_analysis.estimator: WLSMV" in html


def test_flow_reconciles_and_identifiers_absent(finished_run):
    out = finished_run / "results" / "mini"
    flow = pd.read_csv(out / "validation" / "flow.csv")
    ex = pd.read_csv(out / "validation" / "exclusions.csv")
    assert flow["n_after"].iloc[0] == 151
    assert flow["n_after"].iloc[0] == flow["n_after"].iloc[-1] + flow["n_excluded"].sum()
    assert len(ex) == flow["n_excluded"].sum() >= 1
    assert "duplicate_rows" in set(ex["stage"])
    for f in out.rglob("*"):
        if f.is_file() and f.suffix in (".csv", ".md", ".html", ".json"):
            assert "10.0.0." not in f.read_text(errors="ignore"), f


def test_report_is_self_contained(finished_run):
    html = (finished_run / "results" / "mini" / "report.html").read_text()
    assert html.count("data:image/png;base64,") == html.count("<figure") >= 3
    assert "src=\"http" not in html and "The data file held 151 responses" in html
    assert (finished_run / "results" / "mini" / "report.docx").stat().st_size > 10_000
    prov = json.loads((finished_run / "results" / "mini" / "provenance.json").read_text())
    assert prov["seed"] == 1 and len(prov["inputs"]["data"]["sha256"]) == 64


def test_second_run_does_nothing(finished_run):
    res = snakemake(finished_run, "--dry-run")
    assert res.returncode == 0
    assert "Nothing to be done" in res.stdout + res.stderr


def test_rerun_gives_byte_identical_tables(finished_run, tmp_path):
    out = finished_run / "results" / "mini"
    figures = [f"figures/{f}.{ext}" for f in ("flow", "coefficients", "dimensions") for ext in ("png", "pdf")]
    formatted = [f"tables/regressions.{ext}" for ext in ("md", "tex", "docx")] + ["report.html", "report.docx"]
    before = {rel: (out / rel).read_bytes() for rel in TABLES + figures + formatted}
    moved = finished_run / "results_first"
    (finished_run / "results").rename(moved)
    try:
        res = snakemake(finished_run)
        assert res.returncode == 0, res.stderr[-3000:]
        for rel, content in before.items():
            assert (out / rel).read_bytes() == content, rel
    finally:
        import shutil
        shutil.rmtree(finished_run / "results")
        moved.rename(finished_run / "results")


def test_misspelt_study_key_stops_with_its_name(tmp_path):
    d = study_dict()
    d["screenin"] = d.pop("screening")
    write_study(tmp_path, d)
    res = snakemake(tmp_path, "--dry-run")
    assert res.returncode != 0
    assert "screenin" in res.stderr + res.stdout


def test_bad_data_fails_cleanly_without_partial_outputs(tmp_path):
    survey = make_survey(40)
    survey.loc[7, "ECR_3"] = "Strongly agree"
    write_study(tmp_path, study_dict(), survey)
    res = snakemake(tmp_path)
    assert res.returncode != 0
    text = res.stdout + res.stderr
    assert "row 8, column 'ECR_3', value 'Strongly agree'" in text and "instruments.ecr.labels" in text
    assert not (tmp_path / "results" / "mini" / "interim" / "clean.parquet").exists()
    assert not (tmp_path / "results" / "mini" / "validation" / "flow.csv").exists()


def test_study_without_outcome_models(tmp_path):
    write_study(tmp_path, study_dict(outcome_models=[]))
    res = snakemake(tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    html = (tmp_path / "results" / "mini" / "report.html").read_text()
    assert "declares no outcome models" in html
    assert "no regression, moderation or mediation results are reported" in html
    out = tmp_path / "results" / "mini" / "tables"
    for name in ["regressions", "regression_fit", "mediation", "sem_fit", "model_samples", "simple_slopes"]:
        assert pd.read_csv(out / f"{name}.csv").empty, name


def test_qualtrics_style_spss_export_runs_and_leaks_no_identifier(tmp_path):
    """An SPSS export with value labels, a -99 user-missing code and IP/e-mail columns."""
    pyreadstat = pytest.importorskip("pyreadstat")
    import numpy as np

    raw = make_survey(120)
    df = raw.drop(columns=["Gender", "IPAddress"]).drop(columns="ResponseId").astype(int)
    df.insert(0, "ResponseId", [f"R_{i:05d}" for i in range(len(df))])
    df["Gender"] = np.where(raw["Gender"] == "Female", 2, 1)
    df["IPAddress"] = [f"203.0.113.{i}" for i in range(len(df))]
    df["RecipientEmail"] = [f"secret{i}@example.org" for i in range(len(df))]
    df.loc[4, "ECR_7"] = -99
    pyreadstat.write_sav(df, str(tmp_path / "export.sav"), variable_value_labels={"Gender": {1: "Male", 2: "Female"}},
                         missing_ranges={"ECR_7": [-99]})
    d = study_dict("export.sav")
    d["data"] = {"path": "export.sav", "format": "sav"}
    d["variables"]["gender"] = {"column": "Gender", "type": "categorical", "codes": {1: "Male", 2: "Female"},
                                "reference": "Female"}
    (tmp_path / "mini.yaml").write_text(yaml.safe_dump(d, sort_keys=False))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"studies": [str(tmp_path / "mini.yaml")]}))
    res = snakemake(tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    out = tmp_path / "results" / "mini"
    issues = pd.read_csv(out / "validation" / "issues.csv")
    assert ((issues["rule"] == "missing_code") & (issues["column"] == "ecr_7") & (issues["row"] == 5)).any()
    for f in out.rglob("*"):
        if f.is_file():
            content = f.read_bytes()
            assert b"203.0.113." not in content and b"secret" not in content and b"example.org" not in content, f


def test_bad_model_specification_stops_before_anything_runs(tmp_path):
    d = study_dict(outcome_models=[{"name": "dep", "outcome": "phq9_total", "predictors": ["ecr_anxiety"],
                                    "interactions": [["ecr_anxiety", "loss"]]}])
    write_study(tmp_path, d)
    res = snakemake(tmp_path, "--dry-run")
    text = res.stdout + res.stderr
    assert res.returncode != 0
    assert ("outcome_models[0] (dep): interactions[0]: 'loss' must also be a predictor or covariate" in text)
    assert "Traceback" not in text and 'File "' not in text
    assert not (tmp_path / "results").exists()
