"""Tests of the data simulator (attachstats.sim.simulate) and the embedded example files."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.errors import ConfigError
from attachstats.spec.instrument import load_instrument
from attachstats.sim.simulate import (
    MANIFEST_COLUMNS, MESS_KINDS, SimulationConfig, export_columns, implied_latent_correlations,
    latent_summary, make_export, population_truth, score_scales, simulate_population, write_example,
)

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "simulation" / "example.yaml"
BIG_N = 200_000


@pytest.fixture(scope="module")
def cfg() -> SimulationConfig:
    return SimulationConfig.from_yaml(CONFIG)


@pytest.fixture(scope="module")
def export(cfg):
    return make_export(cfg)


@pytest.fixture(scope="module")
def big(cfg) -> pd.DataFrame:
    return simulate_population(BIG_N, cfg, np.random.default_rng(12345))


def _item_columns(cfg: SimulationConfig) -> list[str]:
    prefixes = {b.prefix for b in cfg.items.values()}
    return [c for c in export_columns(cfg) if c.rsplit("_", 1)[0] in prefixes]


# ------------------------------------------------------------------------ configuration


def test_yaml_equals_defaults(cfg):
    assert cfg == SimulationConfig()


def test_unknown_key_is_an_error(tmp_path):
    p = tmp_path / "sim.yaml"
    p.write_text("seed: 1\nlatent:\n  anxiety_depresion: 0.4\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="anxiety_depresion"):
        SimulationConfig.from_yaml(p)


def test_bad_values_are_errors():
    with pytest.raises(ConfigError, match="gender_probs"):
        SimulationConfig(gender_probs={"Female": 0.5, "Male": 0.5})
    with pytest.raises(ConfigError, match="category_probs"):
        SimulationConfig.from_dict({"items": {"phq9": {"instrument": "phq-9", "prefix": "PHQ9",
                                                        "latent": {"total": "depression"},
                                                        "category_probs": {"total": [0.5, 0.5]}}}})
    with pytest.raises(ConfigError, match="explain"):
        SimulationConfig.from_dict({"latent": {"depression": {"anxiety": 0.9, "avoidance": 0.5}}})


# ------------------------------------------------------------------------ reproducibility


def test_same_seed_gives_identical_bytes_and_other_seed_differs(cfg, tmp_path):
    small = replace(cfg, truth_n=5_000)
    a = write_example(small, tmp_path / "a")
    b = write_example(small, tmp_path / "b")
    assert set(a) == {"survey", "truth", "manifest"}
    for key in a:
        assert a[key].read_bytes() == b[key].read_bytes(), key
    c = write_example(replace(small, seed=small.seed + 1), tmp_path / "c")
    assert c["survey"].read_bytes() != a["survey"].read_bytes()
    assert c["truth"].read_bytes() != a["truth"].read_bytes()


def test_csv_formatting(cfg, tmp_path):
    paths = write_example(replace(cfg, n_rows=300, truth_n=2_000), tmp_path)
    data = paths["survey"].read_bytes()
    assert b"\r" not in data and data.endswith(b"\n")
    lines = data.decode("utf-8").split("\n")[:-1]
    assert lines[0].split(",") == export_columns(cfg)
    assert len(lines) == 301
    assert ",-99," in data.decode() or ",-99\n" in data.decode()
    truth_text = paths["truth"].read_text(encoding="utf-8")
    truth = json.loads(truth_text)
    assert truth_text == json.dumps(truth, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    floats = re.findall(r"-?\d+\.(\d+)", truth_text)
    assert floats and max(len(f) for f in floats) <= 6


def test_simulate_population_is_a_function_of_the_rng(cfg):
    a = simulate_population(500, cfg, np.random.default_rng(3))
    b = simulate_population(500, cfg, np.random.default_rng(3))
    c = simulate_population(500, cfg, np.random.default_rng(4))
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


# -------------------------------------------------------------------- columns and ranges


def test_columns_and_ranges(cfg, export):
    raw, man = export
    assert list(raw.columns) == export_columns(cfg)
    assert raw.columns[:5].tolist() == ["ResponseId", "RecordedDate", "Duration (in seconds)", "Age", "Gender"]
    assert raw.columns[-2:].tolist() == ["Breakup_12m", "PanicAttacks_month"]
    assert len(raw) == cfg.n_rows == 1500
    assert raw["ResponseId"].str.fullmatch(r"R_[0-9A-Za-z]{15}").all()
    dates = [datetime.fromisoformat(d) for d in raw["RecordedDate"]]
    assert all((d.year, d.month) == (2026, 3) for d in dates)
    assert dates == sorted(dates)
    assert set(raw["Gender"]) == {"Female", "Male", "Non-binary"}
    assert set(raw["Breakup_12m"]) == {"0", "1"}
    assert (raw["PanicAttacks_month"].astype(int) >= 0).all()
    planted = {(r, c) for r, c in zip(man["row"], man["column"]) if c}
    ages = raw["Age"].astype(int)
    bad_age = {i + 1 for i in np.flatnonzero(~ages.between(18, 75))}
    assert bad_age == {r for r, c in planted if c == "Age"}
    for block in cfg.items.values():
        inst = block.load()
        for n in inst.item_numbers:
            col = f"{block.prefix}_{n}"
            s = raw[col]
            ok = s.isin([str(v) for v in range(inst.min, inst.max + 1)])
            assert {i + 1 for i in np.flatnonzero(~ok)} == {r for r, c in planted if c == col}, col


def test_reverse_keys_come_from_the_instrument(cfg, big):
    ecr = load_instrument("ecr-r")
    for sub in ecr.subscales.values():
        anchor = next(i for i in sub.items if i not in sub.reverse)
        for i in sub.items:
            r = np.corrcoef(big[f"ecr_{anchor}"], big[f"ecr_{i}"])[0, 1]
            assert (r < 0) == (i in sub.reverse), (anchor, i, r)


def test_scales_are_realistic(cfg, big):
    sc = score_scales(big, cfg)
    assert 0.20 <= (sc["phq9_total"] >= 10).mean() <= 0.30
    assert sc["pdss_total"].median() < sc["pdss_total"].mean()  # right-skewed
    assert 3.0 < sc["ecr_anxiety"].mean() < 4.3 and 2.4 < sc["ecr_avoidance"].mean() < 3.4
    spi = big["duration"] / cfg.n_items
    assert 6 <= spi.median() <= 9 and spi.min() >= 1.5
    assert 30 <= big["age"].median() <= 36 and big["age"].between(18, 75).all()
    shares = big["gender"].value_counts(normalize=True)
    assert abs(shares["Female"] - 0.60) < 0.01 and abs(shares["Non-binary"] - 0.03) < 0.005


# ------------------------------------------------------------------------------- the mess


def test_manifest_shape(export):
    raw, man = export
    assert list(man.columns) == MANIFEST_COLUMNS
    assert set(man["kind"]) == set(MESS_KINDS)
    assert man["row"].between(1, len(raw)).all()
    assert (raw["ResponseId"].to_numpy()[man["row"].to_numpy() - 1] == man["ResponseId"].to_numpy()).all()


def test_cell_mess_matches_manifest(cfg, export):
    raw, man = export
    items = raw[_item_columns(cfg)]
    for kind, code in (("missing_code", "-99"), ("empty_cell", "")):
        r, c = np.nonzero((items == code).to_numpy())
        found = sorted(zip((r + 1).tolist(), items.columns[c].tolist()))
        listed = sorted(zip(man.loc[man["kind"] == kind, "row"], man.loc[man["kind"] == kind, "column"]))
        assert found == listed, kind
    n_cells = items.size
    assert 0.008 < (items == "-99").to_numpy().sum() / n_cells < 0.012
    assert 5 <= (man["kind"] == "empty_cell").sum() <= 20
    oor = man[man["kind"] == "out_of_range"]
    assert len(oor) == len(cfg.mess.out_of_range) == 6
    for row, col, val in zip(oor["row"], oor["column"], oor["value"]):
        assert raw.at[row - 1, col] == val
    assert sorted(oor["value"], key=int) == sorted((str(o.value) for o in cfg.mess.out_of_range), key=int)


def test_duplicates_match_manifest(export):
    raw, man = export
    dup_rows = set((np.flatnonzero(raw.duplicated(keep="first").to_numpy()) + 1).tolist())
    assert dup_rows == set(man.loc[man["kind"] == "duplicate_row", "row"])
    assert len(dup_rows) == 8
    unique_rows = raw.drop_duplicates(keep="first")
    coll_rows = set((unique_rows.index[unique_rows["ResponseId"].duplicated(keep="first")] + 1).tolist())
    assert coll_rows == set(man.loc[man["kind"] == "id_collision", "row"])
    assert len(coll_rows) == 4


def test_careless_match_manifest(cfg, export):
    raw, man = export
    kinds = man.groupby("row")["kind"].agg(set)
    rows_of = lambda k: {r for r, ks in kinds.items() if k in ks}  # noqa: E731
    spi = raw["Duration (in seconds)"].astype(int) / cfg.n_items
    assert set((np.flatnonzero((spi < 1.5).to_numpy()) + 1).tolist()) == rows_of("speeder")
    ecr = raw[[f"ECR_{i}" for i in range(1, 37)]]
    constant = set((np.flatnonzero((ecr.nunique(axis=1) == 1).to_numpy()) + 1).tolist())
    straight_speeders = set(man.loc[(man["kind"] == "speeder") & man["detail"].str.contains("every ECR"), "row"])
    assert constant == rows_of("straight_liner") | straight_speeders
    n_persons = cfg.n_rows - cfg.mess.n_duplicate_rows
    assert len(rows_of("straight_liner")) == round(0.015 * n_persons)
    assert len(rows_of("random_responder")) == round(0.015 * n_persons)
    assert len(rows_of("speeder")) == round(0.01 * n_persons)
    careless = rows_of("straight_liner") | rows_of("random_responder") | rows_of("speeder")
    assert 0.03 <= len(careless) / n_persons <= 0.05
    # careless rows carry no cell-level mess; row-level kinds are disjoint
    cell_rows = set(man.loc[man["column"] != "", "row"])
    assert not careless & cell_rows
    row_kinds = man.loc[man["column"] == "", ["row", "kind"]]
    assert not row_kinds["row"].duplicated().any()


# ------------------------------------------------------------------- population model


def test_implied_correlations_hit_the_published_values(cfg):
    imp = implied_latent_correlations(cfg)
    assert abs(imp["anxiety_depression"] - 0.40) < 0.01
    assert abs(imp["avoidance_depression"] - 0.27) < 0.01
    assert abs(imp["anxiety_avoidance"] - 0.30) < 0.01
    assert 0.27 <= imp["anxiety_panic"] <= 0.56


def test_latent_correlations_near_targets(cfg, big):
    s = latent_summary(big, cfg)
    lc = s["latent_correlations"]
    assert abs(lc["anxiety_depression"] - 0.40) < 0.03
    assert abs(lc["avoidance_depression"] - 0.27) < 0.03
    assert abs(lc["anxiety_avoidance"] - 0.30) < 0.03
    assert big["latent_depression"].std() == pytest.approx(1, abs=0.02)
    assert big["latent_panic"].std() == pytest.approx(1, abs=0.02)


def test_anxiety_by_loss_interaction_is_positive(cfg, big):
    paths = latent_summary(big, cfg)["latent_depression_paths"]
    assert paths["anxiety_x_breakup"] > 0.15
    assert paths["anxiety_x_breakup"] == pytest.approx(cfg.latent.depression.anxiety_x_breakup, abs=0.05)
    # and the loss effect is larger for high- than for low-anxiety respondents
    A, D, L = big["latent_anxiety"], big["latent_depression"], big["breakup_12m"] == 1
    hi, lo = A > 1, A < -1
    assert D[hi & L].mean() - D[hi & ~L].mean() > D[lo & L].mean() - D[lo & ~L].mean() + 0.3


def test_childhood_sad_panic_odds_ratio(cfg, big):
    odds = latent_summary(big, cfg)["childhood_sad_panic_or"]
    assert 2.5 < odds < 5


def test_population_truth_is_stable_across_seeds(cfg):
    a = population_truth(cfg, n=BIG_N, seed=1)
    b = population_truth(cfg, n=BIG_N, seed=2)
    assert a["models"]["depression"]["b"] != b["models"]["depression"]["b"]  # the seed is used
    for model in ("depression", "panic"):
        ba, bb = a["models"][model]["b"], b["models"][model]["b"]
        assert set(ba) == {"Intercept", "ecr_anxiety", "ecr_avoidance", "age", "gender[T.Male]",
                           "gender[T.Non-binary]"}
        assert abs(ba["ecr_anxiety"] - bb["ecr_anxiety"]) < 0.05, model
        assert abs(ba["ecr_avoidance"] - bb["ecr_avoidance"]) < 0.05, model
    assert a["models"]["depression"]["b"]["ecr_anxiety"] > a["models"]["depression"]["b"]["ecr_avoidance"] > 0
    assert a["models"]["depression_moderation"]["b"]["ecr_anxiety:loss"] > 0
    assert 2.5 < a["childhood_sad_panic_or"] < 5


def test_committed_example_matches_the_simulator(cfg, tmp_path):
    """data/example/* are exactly what the config produces (regenerate them when this fails)."""
    committed = ROOT / "data" / "example"
    if not (committed / "survey.csv").is_file():
        pytest.skip("data/example/survey.csv has not been generated")
    fresh = write_example(cfg, tmp_path)
    for key, path in fresh.items():
        assert (committed / path.name).read_bytes() == path.read_bytes(), path.name
    truth = json.loads((committed / "truth.json").read_text(encoding="utf-8"))
    man = pd.read_csv(committed / "manifest.csv", dtype=str, keep_default_na=False)
    assert truth["seed"] == cfg.seed and truth["n"] == cfg.truth_n
    assert truth["example"]["mess_counts"] == {k: int((man["kind"] == k).sum()) for k in MESS_KINDS}
