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


def _truth() -> dict:
    import json
    return json.loads((DATA / "truth.json").read_text(encoding="utf-8"))["panel"]


def test_lagged_breakup_by_anxiety_effect_recovers_the_simulated_truth(panel: Path) -> None:
    """The population regression of wave-2 depression is exact in the simulator (truth.json);
    the pipeline centres anxiety at its sample mean, so the loss coefficient is the effect of a
    breakup at mean anxiety, whose truth is b_loss + b_interaction × mean anxiety."""
    truth = _truth()["depression"]["w2"]
    tab = _read(panel / "longitudinal" / "lagged_moderation.csv").set_index("term")
    centre = float(tab.loc["ecr_anxiety_w1", "centre"])
    b = truth["b"]
    expected = {"phq9_total_w1": b["phq9_total_w1"], "ecr_anxiety_w1": b["ecr_anxiety_w1"],
                "loss_w2:ecr_anxiety_w1": b["ecr_anxiety_w1:loss_w2"],
                "loss_w2": b["loss_w2"] + b["ecr_anxiety_w1:loss_w2"] * centre}
    for term, value in expected.items():
        assert tab.loc[term, "ci_lo"] <= value <= tab.loc[term, "ci_hi"], (term, value, tab.loc[term].to_dict())
    slopes = _read(panel / "longitudinal" / "lagged_simple_slopes.csv")
    assert len(slopes) == 3 and slopes["slope"].is_monotonic_increasing  # a stronger effect at higher anxiety


def test_change_and_invariance_across_waves(panel: Path) -> None:
    truth = _truth()["anxiety_change"]["w2"]
    ch = _read(panel / "longitudinal" / "change.csv").set_index("score").loc["ecr_anxiety"]
    assert ch["d_z_ci_lo"] <= truth["observed_d_z"] <= ch["d_z_ci_hi"]
    assert ch["mean_diff"] < 0 and ch["p"] < 0.001                  # the simulated improvement is found
    rc = _read(panel / "longitudinal" / "reliable_change.csv")
    anx = rc[rc["score"] == "ecr_anxiety"]
    assert anx["n"].sum() == ch["n"] and abs(anx["share"].sum() - 1) < 1e-9
    inv = _read(panel / "longitudinal" / "invariance.csv")
    assert list(inv["step"]) == ["configural", "metric", "scalar"]
    assert (inv["df"].diff().dropna() > 0).all() and inv["p_diff"].notna().iloc[1:].all()
    # the simulator's items are invariant over time: scalar invariance holds
    assert inv["p_diff"].iloc[1:].min() > 0.001 and inv["cfi"].min() > 0.95


def test_report_states_attrition_invariance_change_and_the_lagged_effect_with_labels(panel: Path) -> None:
    import re
    html = (panel / "report.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script).*?</\1>", "", html, flags=re.S))
    for phrase in ["dropouts", "Measurement invariance", "scalar model", "reliable change index",
                   "reliably improved", "relationship loss at Wave 2 (6 months) × attachment anxiety at Wave 1",
                   "random-intercept cross-lagged panel model"]:
        assert phrase.lower() in text.lower(), phrase
    body = text.rsplit("Appendix", 1)[0]            # the provenance appendix lists input files by key
    for machine in ["ecr_anxiety", "phq9_total", "loss_w2", "_w1", "_w2"]:
        assert machine not in body, machine
