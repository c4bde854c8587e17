"""The embedded longitudinal example (config/studies/panel.yaml) end to end, run once.

Checks that the waves files reconcile with the raw files and the simulator's manifest: every
row read is excluded or retained, every id that does not link is listed with its reason,
the planted mistyped and new ids are found, and the linked file holds what it promises.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT

pytestmark = pytest.mark.integration
ATTACHSTATS = str(Path(sys.executable).with_name("attachstats"))
DATA = ROOT / "data" / "example-panel"


@pytest.fixture(scope="module")
def panel(tmp_path_factory) -> Path:
    results = tmp_path_factory.mktemp("panel-results")
    res = subprocess.run([ATTACHSTATS, "run", str(ROOT / "config" / "studies" / "panel.yaml"), "--cores", "2",
                          "--results", str(results)], capture_output=True, text=True, timeout=1500, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-4000:]
    return results / "panel"


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def test_flow_reconciles_with_the_raw_files(panel: Path) -> None:
    flow = _read(panel / "waves" / "flow.csv").set_index("wave")
    assert list(flow.index) == ["w1", "w2", "w3"]
    for w in flow.index:
        raw = pd.read_csv(DATA / f"{w}.csv", dtype=str)
        r = flow.loc[w]
        assert r["rows_read"] == len(raw)
        assert r["rows_read"] == r["excluded_total"] + r["retained"]
        assert r["retained"] == r["matched_baseline"] + r["new_ids"] + r["baseline_excluded_ids"]
        assert flow.loc["w1", "retained"] == r["matched_baseline"] + r["baseline_missing"]
        per_wave = _read(panel / "waves" / w / "validation" / "flow.csv")
        assert per_wave["n_after"].iloc[-1] == r["retained"]
    # the cross-sectional analyses ran on the baseline wave
    xs = _read(panel / "validation" / "flow.csv")
    assert xs["n_after"].iloc[-1] == flow.loc["w1", "retained"]


def test_every_unmatched_id_has_a_reason_and_the_planted_ones_are_found(panel: Path) -> None:
    un = _read(panel / "waves" / "unmatched_ids.csv")
    flow = _read(panel / "waves" / "flow.csv").set_index("wave")
    assert un["reason"].notna().all() and (un["reason"] != "").all()
    counts = un.groupby(["wave", "status"]).size()
    for w, r in flow.iterrows():
        assert counts.get((w, "excluded"), 0) == r["excluded_total"]
        assert counts.get((w, "new_id"), 0) == r["new_ids"]
        assert counts.get((w, "missing_at_wave"), 0) == r["baseline_missing"]
    man = _read(DATA / "manifest.csv")
    for w in ("w2", "w3"):
        planted = set(man.loc[(man["wave"] == w) & man["kind"].isin(["mistyped_id", "new_id"]), "ResponseId"])
        listed = set(un.loc[(un["wave"] == w) & un["status"].isin(["new_id", "excluded"]), "id"])
        assert planted <= listed, w
        gone = set(man.loc[(man["wave"] == w) & (man["kind"] == "attrition"), "ResponseId"])
        missing = set(un.loc[(un["wave"] == w) & (un["status"] == "missing_at_wave"), "id"])
        baseline = set(_read(panel / "waves" / "linked.csv").query("present_w1 == 1")["id"])
        assert gone & baseline <= missing, w
        dup_rows = set(man.loc[(man["wave"] == w) & (man["kind"] == "duplicate_row"), "row"].astype(int))
        excl = un[(un["wave"] == w) & (un["status"] == "excluded")]
        assert dup_rows <= set(excl.loc[excl["stage"] == "duplicate_rows", "row"].astype(int)), w


def test_linked_file_layout(panel: Path) -> None:
    linked = _read(panel / "waves" / "linked.csv")
    cols = list(linked.columns)
    assert cols[:4] == ["id", "present_w1", "present_w2", "present_w3"]
    for w in ("w1", "w2", "w3"):
        for v in ("loss", "age", "ecr_1", "ecr_36", "phq9_9", "ecr_anxiety", "phq9_total", "sasi_total"):
            assert f"{v}_{w}" in cols
    assert cols.index("sasi_total_w1") < cols.index("age_w2")        # wave by wave
    assert linked["id"].is_unique and linked["id"].tolist() == sorted(linked["id"])
    assert linked[["present_w1", "present_w2", "present_w3"]].sum(axis=1).min() == 1
    flow = _read(panel / "waves" / "flow.csv").set_index("wave")
    for w in ("w1", "w2", "w3"):
        assert linked[f"present_{w}"].sum() == flow.loc[w, "retained"]
        absent = linked[f"present_{w}"] == 0
        assert linked.loc[absent, f"ecr_anxiety_{w}"].isna().all()
    # baseline scores equal the cross-sectional scores of the baseline wave
    xs = _read(panel / "scores" / "scores.csv").set_index("id")
    b = linked[linked["present_w1"] == 1].set_index("id")
    pd.testing.assert_series_equal(b["ecr_anxiety_w1"].sort_index(), xs["ecr_anxiety"].sort_index(),
                                   check_names=False)
    # keyed items: ECR-R item 9 is reverse-keyed
    assert b["ecr_9_w1"].dropna().between(1, 7).all()


def test_attrition_and_report(panel: Path) -> None:
    att = _read(panel / "waves" / "attrition.csv")
    assert set(att["wave"]) == {"w2", "w3"}
    anx = att[(att["analysis"] == "comparison") & (att["variable"] == "phq9_total") & (att["wave"] == "w2")].iloc[0]
    assert anx["effect_size"] > 0 and anx["p"] < 0.05          # attrition depends on wave-1 depression (MAR)
    lg = att[(att["analysis"] == "logistic") & (att["wave"] == "w2")].set_index("term")
    assert lg.loc["age", "b"] < 0                               # younger people drop out more
    html = (panel / "report.html").read_text(encoding="utf-8")
    assert "Participants at each wave" in html and "took part in Wave 2 (6 months)" in html
