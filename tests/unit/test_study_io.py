import pandas as pd
import pytest

from attachstats.errors import ConfigError, DataError
from attachstats.data.readers import ingest, map_columns, read_raw
from attachstats.spec.study import resolve_study
from attachstats.spec.instrument import score_columns

from conftest import make_survey, study_dict


def test_resolve_relative_data_path(tmp_path, monkeypatch):
    (tmp_path / "studies").mkdir()
    monkeypatch.chdir(tmp_path)
    s = resolve_study(study_dict("../data/survey.csv"), tmp_path / "studies" / "mini.yaml")
    assert s["data"]["path"] == "data/survey.csv"
    assert s["study_file"] == "studies/mini.yaml"
    assert score_columns(s) == ["ecr_anxiety", "ecr_avoidance", "phq9_total"]


def test_outcome_model_with_unknown_variable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = study_dict(outcome_models=[{"name": "m", "outcome": "phq9_totl", "predictors": ["age"]}])
    with pytest.raises(ConfigError, match="unknown variable 'phq9_totl'"):
        resolve_study(bad, tmp_path / "s.yaml")


def test_read_raw_keeps_NA_as_text(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("id,country\n1,NA\n2,\n", encoding="utf-8")
    df = read_raw(p)
    assert df["country"].tolist() == ["NA", ""]


def test_read_raw_bom_and_latin1(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes("\ufeffid,x\n1,2\n".encode("utf-8"))
    assert list(read_raw(p).columns) == ["id", "x"]
    q = tmp_path / "latin.csv"
    q.write_bytes("id,name\n1,Jos\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match="cannot decode.*latin-1"):
        read_raw(q)
    assert read_raw(q, encoding="latin-1")["name"].iat[0] == "José"


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"a,b\n", "no data rows"),
    (b"a,a\n1,2\n", "duplicate column names"),
])
def test_read_raw_bad_files(tmp_path, content, message):
    p = tmp_path / "bad.csv"
    p.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_raw(p)


def test_map_columns_drops_undeclared_and_names_missing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    raw = make_survey(10)
    s = resolve_study(study_dict(), tmp_path / "s.yaml")
    out = map_columns(raw, s)
    assert "IPAddress" not in out.columns and "id" in out.columns
    assert out["_row"].tolist() == list(range(1, 11))
    assert {"ecr_1", "ecr_36", "phq9_9", "age", "gender", "duration"} <= set(out.columns)
    with pytest.raises(DataError, match=r"'ECR_7' not found \(mapped as ecr_7\); columns seen: .*'ECR_6'"):
        map_columns(raw.drop(columns="ECR_7"), s, file="x.csv")


def test_ingest_without_id_column(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_survey(5).to_csv(tmp_path / "survey.csv", index=False)
    d = study_dict()
    del d["id_column"]
    out = ingest(resolve_study(d, tmp_path / "s.yaml"))
    assert out["id"].tolist() == ["row1", "row2", "row3", "row4", "row5"]


def test_items_mapped_by_explicit_column_list(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    raw = make_survey(5)
    renamed = raw.rename(columns={f"PHQ_{i}": f"depr{chr(96 + i)}" for i in range(1, 10)})
    d = study_dict()
    d["instruments"]["phq9"]["columns"] = [f"depr{chr(96 + i)}" for i in range(1, 10)]
    out = map_columns(renamed, resolve_study(d, tmp_path / "s.yaml"))
    assert out["phq9_3"].tolist() == raw["PHQ_3"].tolist()
    d["instruments"]["phq9"]["columns"] = ["depra", "deprb"]
    with pytest.raises(DataError, match="lists 2 columns but phq-9 has 9 items"):
        map_columns(renamed, resolve_study(d, tmp_path / "s.yaml"))


def test_arrow_reader_gives_exactly_the_pandas_reading(tmp_path, monkeypatch):
    """The fast reader must not change a single cell: quotes, embedded delimiters and line
    breaks, empty cells, NA-like text, spaces and a byte-order mark survive as text."""
    from attachstats.data import readers as aio

    text = ('\ufeffid,text,"q 1",q2\r\n'
            '1,"a, b",3, 4 \r\n'
            '2,"line\nbreak",,NA\r\n'
            '3,"say ""hi""",-99,\r\n')
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode("utf-8"))
    fast = aio.read_raw(path)
    assert aio._read_arrow(path, ",", ["id", "text", "q 1", "q2"]) is not None     # the fast path is taken
    monkeypatch.setattr(aio, "_read_arrow", lambda *a, **k: None)
    slow = aio.read_raw(path)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast.loc[1, "text"] == "line\nbreak" and fast.loc[1, "q2"] == "NA" and fast.loc[0, "q2"] == " 4 "
    assert list(fast.columns) == ["id", "text", "q 1", "q2"]


def test_a_study_part_holds_only_its_rules_settings_and_refuses_the_rest():
    import pickle

    from attachstats.spec.study import StudyPart, UndeclaredSetting

    study = {"name": "s", "title": "T", "screening": {"longstring": {}}, "reliability": {"bootstrap": 10}}
    part = StudyPart(study, ["screening", "figures"])
    assert dict(part) == {"name": "s", "screening": {"longstring": {}}}
    assert part.get("figures", {}) == {} and "figures" not in part     # declared, absent from the study
    for read in (lambda p: p["title"], lambda p: p.get("title"), lambda p: "reliability" in p):
        with pytest.raises(UndeclaredSetting, match="not passed to this step"):
            read(part)
    again = pickle.loads(pickle.dumps(part))                            # Snakemake pickles params
    assert again == part and again.declared == part.declared
    assert repr(StudyPart({**study, "title": "U"}, ["screening"])) == repr(part.__class__(study, ["screening"]))
    assert repr(StudyPart({**study, "screening": {}}, ["screening"])) != repr(StudyPart(study, ["screening"]))
