"""`snakemake power`: chunks are separate jobs; results identical on 1 or 2 cores and any chunk size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT

pytestmark = pytest.mark.integration
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


def run_power(wd: Path, cores: int, chunk: int) -> pd.DataFrame:
    res = subprocess.run([SNAKEMAKE, "-s", str(ROOT / "Snakefile"), "--directory", str(wd), "--configfile",
                          str(wd / "config.yaml"), "--cores", str(cores), "power", "--config",
                          f"power_chunk_size={chunk}"], capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    n_chunk_files = len(list((wd / "results" / "power" / "chunks").glob("*.csv")))
    table = pd.read_csv(wd / "results" / "power" / "power.csv")
    (wd / "results").rename(wd / f"results_c{cores}_k{chunk}")
    return table, n_chunk_files


def test_power_is_identical_across_cores_and_chunks(tmp_path):
    power = {"simulation": str(ROOT / "config" / "simulation" / "example.yaml"), "sample_sizes": [60, 120],
             "replications": 6, "chunk_size": 3, "truth_n": 20000, "terms": ["ecr_anxiety", "ecr_avoidance"],
             "models": [{"name": "depression", "outcome": "phq9_total",
                         "predictors": ["ecr_anxiety", "ecr_avoidance", "age", "gender"]}]}
    (tmp_path / "power.yaml").write_text(yaml.safe_dump(power))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({
        "studies": [str(ROOT / "config" / "studies" / "example.yaml")], "seed": 3,
        "power_config": str(tmp_path / "power.yaml")}))
    one, files_one = run_power(tmp_path, cores=1, chunk=3)
    two, files_two = run_power(tmp_path, cores=2, chunk=2)
    assert (files_one, files_two) == (4, 6)
    pd.testing.assert_frame_equal(one, two)
    assert set(one["n"]) == {60, 120} and (one["replications"] == 6).all()
    assert ((one["power"] >= 0) & (one["power"] <= 1)).all()
