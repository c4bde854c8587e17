"""Longitudinal studies: the waves: key, linking waves by id, the flow, attrition (vs R).

Linking runs the real step functions (ingest_wave → validate_wave → score_wave →
link_waves) on small synthetic wave files; attrition statistics are checked against
tests/fixtures/attrition (made by make_attrition_fixtures.R: t.test, chisq.test, glm).
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.data.csvio import read_csv
from attachstats.errors import ConfigError, DataError
from attachstats.spec.study import check_schema, fill_defaults, resolve_study
from attachstats.spec.waves import Wave, linked_columns, wave_column, wave_study, waves_of
from attachstats.stats.attrition import compare_dropouts, dropout_logistic
from attachstats.steps.waves import attrition, ingest_wave, link_waves, score_wave, validate_wave
from conftest import ROOT, make_survey, study_dict

SCHEMA = ROOT / "workflow" / "schemas" / "study.schema.yaml"
FIX = ROOT / "tests" / "fixtures" / "attrition"


def _study(tmp: Path, raw: dict, name: str = "study.yaml") -> dict:
    check_schema(raw, SCHEMA, name)
    return resolve_study(fill_defaults(raw, SCHEMA), tmp / name)


def _wide(tmp: Path, files: dict[str, pd.DataFrame], **extra) -> dict:
    for w, df in files.items():
        df.to_csv(tmp / f"{w}.csv", index=False)
    raw = study_dict(**extra)
    del raw["data"]
    raw["waves"] = [{"name": w, "label": f"Wave {k + 1}", "path": f"{w}.csv", "missing_codes": [-99]}
                    for k, w in enumerate(files)]
    return _study(tmp, raw)


def _run(tmp: Path, study: dict) -> dict[str, pd.DataFrame]:
    """Every wave through the wave steps, then link and attrition: the four waves files."""
    ins: dict[str, list[str]] = {"clean": [], "scores": [], "exclusions": [], "flow": []}
    for w in waves_of(study):
        d = tmp / "res" / w.name
        d.mkdir(parents=True, exist_ok=True)
        ingest_wave(d / "ingested.parquet", study, w.name)
        out = {k: str(d / f"{k}.{'parquet' if k == 'data' else 'md' if k == 'report' else 'csv'}")
               for k in ("data", "exclusions", "flow", "issues", "careless", "report")}
        validate_wave(d / "ingested.parquet", out, study, w.name)
        sc = {k: str(d / f"{k}.csv") for k in ("scores", "summary", "bands", "caseness")}
        score_wave(out["data"], sc, study, w.name)
        for k, p in (("clean", out["data"]), ("scores", sc["scores"]), ("exclusions", out["exclusions"]),
                     ("flow", out["flow"])):
            ins[k].append(p)
    res = {k: str(tmp / "res" / f"{k}.csv") for k in ("linked", "flow", "unmatched")}
    link_waves(ins, res, study)
    attrition(res["linked"], tmp / "res" / "attrition.csv", study)
    return {k: read_csv(p) for k, p in {**res, "attrition": tmp / "res" / "attrition.csv"}.items()}


def _panel_files(n: int = 80) -> dict[str, pd.DataFrame]:
    """w1 and w2 of the same people: w2 lacks 10 of them, has 3 new ids, one duplicate id row."""
    w1 = make_survey(n, seed=1)
    w2 = make_survey(n, seed=2)
    w2["ResponseId"] = w1["ResponseId"]
    w2 = w2.iloc[10:].reset_index(drop=True)                     # R_0000..R_0009 drop out
    w2.loc[:2, "ResponseId"] = ["N_1", "N_2", "N_3"]              # R_0010..12 replaced by new ids
    dup = w2.iloc[[5]].copy()
    dup["ECR_1"] = "1" if dup["ECR_1"].iat[0] != "1" else "2"     # same id, different answers
    w2 = pd.concat([w2, dup], ignore_index=True)
    return {"w1": w1, "w2": w2}


# ----------------------------------------------------------------------------- the study file

def test_waves_of_and_wave_column() -> None:
    s = {"name": "s", "waves": {"column": "Wave", "levels": [{"name": "pre", "value": 1, "label": "Before"},
                                                             {"name": "post", "value": 2, "label": "After"}]},
         "data": {"path": "long.csv"}}
    ws = waves_of(s)
    assert [(w.name, w.label, w.position, w.value) for w in ws] == [("pre", "Before", 0, 1), ("post", "After", 1, 2)]
    assert ws[0].is_baseline and not ws[1].is_baseline
    assert wave_column("ecr_3", "post") == "ecr_3_post"
    assert wave_study(s, "post")["data"]["wave_rows"]["value"] == 2
    assert "waves" not in wave_study(s, "post")
    assert waves_of({"name": "x"}) == []


def test_schema_and_resolution(tmp_path: Path) -> None:
    files = {"w1": make_survey(20, 1), "w2": make_survey(20, 2)}
    study = _wide(tmp_path, files)
    assert study["data"]["path"].endswith("w1.csv")             # the baseline is the cross-sectional data
    assert [w["path"].endswith(f"{n}.csv") for w, n in zip(study["waves"], ("w1", "w2"))] == [True, True]
    raw = study_dict()
    raw["waves"] = [{"name": "w1", "label": "a", "path": "a.csv"}, {"name": "w2", "label": "b", "path": "b.csv"}]
    with pytest.raises(ConfigError, match="either data: or a list of wave files"):
        _study(tmp_path, raw)
    bad = copy.deepcopy(raw)
    del bad["data"]
    bad["waves"][1]["name"] = "2nd"
    with pytest.raises(ConfigError, match="waves.1.name"):
        check_schema(bad, SCHEMA, "s.yaml")
    bad["waves"][1]["name"] = "w1"
    with pytest.raises(ConfigError, match="'w1' is used twice"):
        _study(tmp_path, bad)
    with pytest.raises(ConfigError, match="'data' is a required property"):
        check_schema({"instruments": raw["instruments"]}, SCHEMA, "s.yaml")


def test_column_collision_is_an_error() -> None:
    waves = [Wave("w1", "a", 0), Wave("w2", "b", 1)]
    assert linked_columns(waves, {"w1": ["x"], "w2": ["x"]}) == ["id", "present_w1", "present_w2", "x_w1", "x_w2"]
    with pytest.raises(ConfigError, match="'present_w1' is produced twice"):
        linked_columns(waves, {"w1": ["present"], "w2": []})


def test_a_colliding_variable_is_refused_when_the_study_is_read(tmp_path: Path) -> None:
    raw = study_dict()
    del raw["data"]
    raw["waves"] = [{"name": "w1", "label": "a", "path": "a.csv"}, {"name": "w2", "label": "b", "path": "b.csv"}]
    raw["variables"]["present"] = {"column": "Present"}
    with pytest.raises(ConfigError, match="study 'mini': linked waves: column name 'present_w1' is produced twice"):
        _study(tmp_path, raw)


# ----------------------------------------------------------------------------- linking

def test_linking_accounts_for_every_id(tmp_path: Path) -> None:
    files = _panel_files()
    study = _wide(tmp_path, files)
    out = _run(tmp_path, study)
    linked, flow, un = out["linked"], out["flow"].set_index("wave"), out["unmatched"]
    assert list(linked.columns[:3]) == ["id", "present_w1", "present_w2"]
    assert linked["id"].tolist() == sorted(linked["id"])
    assert len(linked) == 80 + 3 and linked["id"].is_unique
    # keyed items (ecr_9 is reverse-keyed: 8 - raw) and scores, by wave
    w1 = files["w1"].set_index("ResponseId")
    first = linked.set_index("id").loc["R_0000"]
    assert first["ecr_9_w1"] == 8 - int(w1.loc["R_0000", "ECR_9"])
    assert first["ecr_1_w1"] == int(w1.loc["R_0000", "ECR_1"])
    assert np.isnan(first["ecr_anxiety_w2"]) and first["present_w2"] == 0
    # the flow reconciles
    r2 = flow.loc["w2"]
    assert r2["rows_read"] == len(files["w2"]) == r2["excluded_total"] + r2["retained"]
    assert r2["excluded_duplicate_ids"] == 1
    assert r2["retained"] == r2["matched_baseline"] + r2["new_ids"] + r2["baseline_excluded_ids"]
    assert r2["new_ids"] == 3 and r2["baseline_missing"] == 13
    assert flow.loc["w1", "matched_baseline"] == flow.loc["w1", "retained"] == 80
    # every unmatched id with its reason
    st = un[un["wave"] == "w2"].groupby("status")["id"].apply(set)
    assert st["new_id"] == {"N_1", "N_2", "N_3"}
    assert st["missing_at_wave"] == {f"R_{i:04d}" for i in range(13)}
    dup = un[(un["wave"] == "w2") & (un["status"] == "excluded")]
    assert dup["stage"].tolist() == ["duplicate_ids"] and dup["row"].tolist() == [len(files["w2"])]
    # attrition: 13 of 80 baseline respondents are missing at w2
    att = out["attrition"]
    age = att[(att["analysis"] == "comparison") & (att["variable"] == "age")].iloc[0]
    assert (age["n_completers"], age["n_dropouts"]) == (67, 13)
    assert (att["analysis"] == "logistic").sum() >= 2


def test_excluded_at_baseline_is_reported(tmp_path: Path) -> None:
    files = _panel_files()
    files["w1"].loc[20, [f"ECR_{i}" for i in range(1, 37)]] = "4"       # a straight-liner at baseline
    out = _run(tmp_path, _wide(tmp_path, files))
    un = out["unmatched"]
    row = un[(un["wave"] == "w2") & (un["id"] == "R_0020")].iloc[0]
    assert row["status"] == "excluded_at_baseline" and row["stage"] == "longstring"
    assert out["linked"].set_index("id").loc["R_0020", "present_w1"] == 0


def test_long_form_gives_the_same_linked_file(tmp_path: Path) -> None:
    files = _panel_files()
    wide = _run(tmp_path / "a", _wide((tmp_path / "a"), files)) if (tmp_path / "a").mkdir() is None else None
    long = pd.concat([f.assign(Wave=k + 1) for k, f in enumerate(files.values())], ignore_index=True)
    (tmp_path / "b").mkdir()
    long.to_csv(tmp_path / "b" / "long.csv", index=False)
    raw = study_dict(data_file="long.csv")
    raw["waves"] = {"column": "Wave", "levels": [{"name": "w1", "value": 1, "label": "Wave 1"},
                                                 {"name": "w2", "value": 2, "label": "Wave 2"}]}
    study = _study(tmp_path / "b", raw)
    out = _run(tmp_path / "b", study)
    pd.testing.assert_frame_equal(wide["linked"], out["linked"])
    assert wide["flow"]["retained"].tolist() == out["flow"]["retained"].tolist()
    # the rows keep the long file's row numbers (w2's duplicate is the file's last row)
    dup = out["unmatched"][out["unmatched"]["status"] == "excluded"]
    assert dup["row"].tolist() == [len(long)]


def test_wave_value_not_in_levels_is_one_clear_error(tmp_path: Path) -> None:
    long = pd.concat([make_survey(10, 1).assign(Wave=1), make_survey(10, 2).assign(Wave=2)], ignore_index=True)
    long.loc[13, "Wave"] = 7
    long.to_csv(tmp_path / "long.csv", index=False)
    raw = study_dict(data_file="long.csv")
    raw["waves"] = {"column": "Wave", "levels": [{"name": "w1", "value": 1, "label": "Wave 1"},
                                                 {"name": "w2", "value": 2, "label": "Wave 2"}]}
    study = _study(tmp_path, raw)
    with pytest.raises(DataError) as exc:
        ingest_wave(tmp_path / "x.parquet", study, "w1")
    msg = str(exc.value)
    assert "long.csv" in msg and "row 14" in msg and "column 'Wave'" in msg and "value '7'" in msg
    assert "'1' (w1)" in msg or "1 (w1)" in msg


def test_missing_id_column_in_a_wave_names_file_and_column(tmp_path: Path) -> None:
    files = {"w1": make_survey(20, 1), "w2": make_survey(20, 2).rename(columns={"ResponseId": "RespId"})}
    study = _wide(tmp_path, files)
    ingest_wave(tmp_path / "ok.parquet", study, "w1")
    with pytest.raises(DataError) as exc:
        ingest_wave(tmp_path / "x.parquet", study, "w2")
    assert "w2.csv" in str(exc.value) and "'ResponseId'" in str(exc.value)


def test_unknown_wave_file_stops_the_workflow_with_one_message(tmp_path: Path) -> None:
    import subprocess
    import sys

    files = {"w1": make_survey(20, 1)}
    files["w1"].to_csv(tmp_path / "w1.csv", index=False)
    raw = study_dict()
    del raw["data"]
    raw["waves"] = [{"name": "w1", "label": "a", "path": "w1.csv"}, {"name": "w2", "label": "b", "path": "nope.csv"}]
    import yaml
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"studies": [str(tmp_path / "s.yaml")], "seed": 1,
                                                     "results_dir": str(tmp_path / "r")}), encoding="utf-8")
    snake = str(Path(sys.executable).with_name("snakemake"))
    res = subprocess.run([snake, "-n", "--cores", "1", "--snakefile", str(ROOT / "workflow" / "Snakefile"),
                          "--configfile", str(tmp_path / "c.yaml"), "--directory", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode != 0
    assert "waves[1].path (w2)" in res.stderr and "nope.csv" in res.stderr and "Traceback" not in res.stderr


# ----------------------------------------------------------------------------- attrition vs R

def test_attrition_comparisons_match_r() -> None:
    d = pd.read_csv(FIX / "data.csv")
    got = compare_dropouts(d, d["dropout"], {"x1": "numeric", "x2": "numeric", "g": "categorical"})
    want = pd.read_csv(FIX / "expected_comparison.csv", keep_default_na=False)
    assert len(got) == len(want)
    for g, w in zip(got.to_dict("records"), want.to_dict("records")):
        assert (g["variable"], g["level"]) == (w["variable"], w["level"])
        for col in ("statistic", "df", "p", "effect_size"):
            assert g[col] == pytest.approx(w[col], rel=1e-9), (g["variable"], col)
        assert (g["n_completers"], g["n_dropouts"]) == (w["n_completers"], w["n_dropouts"])
    x1 = got.iloc[0]
    assert x1["m_dropouts"] == pytest.approx(d.loc[d.dropout == 1, "x1"].mean())


def test_attrition_logistic_matches_r_glm() -> None:
    d = pd.read_csv(FIX / "data.csv")
    got = dropout_logistic(d, d["dropout"], ["x1", "x2", "g"])
    want = pd.read_csv(FIX / "expected_logistic.csv")
    assert got["n"].iloc[0] == want["n"].iloc[0] == 288
    assert len(got) == len(want)
    for col in ("b", "se", "z", "p", "odds_ratio", "or_ci_low", "or_ci_high"):
        np.testing.assert_allclose(got[col].to_numpy(), want[col].to_numpy(), rtol=1e-5, err_msg=col)   # R glm stops at a 1e-8 deviance change


def test_check_reads_the_baseline_rows_and_every_wave(tmp_path: Path) -> None:
    import yaml

    from attachstats.steps.studyfile import check_study

    long = pd.concat([make_survey(30, 1).assign(Wave=1), make_survey(25, 2).assign(Wave=2)], ignore_index=True)
    long.to_csv(tmp_path / "long.csv", index=False)
    raw = study_dict(data_file="long.csv")
    raw["waves"] = {"column": "Wave", "levels": [{"name": "w1", "value": 1, "label": "Wave 1"},
                                                 {"name": "w2", "value": 2, "label": "Wave 2"}]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    res = check_study(tmp_path / "s.yaml")
    assert res.n_rows == 30
    assert len(res.waves) == 1 and "wave w2 (Wave 2" in res.waves[0] and "25 rows" in res.waves[0]
    del raw["data"]
    raw["waves"] = [{"name": "w1", "label": "a", "path": "long.csv"}, {"name": "w2", "label": "b", "path": "no.csv"}]
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(DataError, match="no.csv"):
        check_study(tmp_path / "t.yaml")
