"""The workflow is cluster-ready: every rule sets threads, mem_mb and runtime, and a dry run
under the SLURM profile plans every job with them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, make_survey, study_dict

pytestmark = pytest.mark.integration
RULE_FILES = sorted((ROOT / "workflow" / "rules").glob("*.smk"))


def rule_blocks() -> dict[str, str]:
    blocks = {}
    for f in RULE_FILES:
        text = f.read_text()
        for m in re.finditer(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", text, flags=re.M | re.S):
            blocks[m.group(1)] = m.group(2)
    return blocks


def test_every_rule_sets_its_own_resources():
    blocks = rule_blocks()
    assert len(blocks) >= 15
    for name, body in blocks.items():
        assert re.search(r"^    threads: \d+", body, re.M), name
        assert re.search(r"mem_mb=\d+", body) and re.search(r"runtime=\d+", body), name


def test_dry_run_under_slurm_profile(tmp_path):
    make_survey(60).to_csv(tmp_path / "survey.csv", index=False)
    (tmp_path / "mini.yaml").write_text(yaml.safe_dump(study_dict(), sort_keys=False))
    power = yaml.safe_load((ROOT / "config" / "power.yaml").read_text())
    power["simulation"] = str(ROOT / "config" / "simulation" / "example.yaml")
    (tmp_path / "power.yaml").write_text(yaml.safe_dump(power))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"studies": [str(tmp_path / "mini.yaml")],
                                                          "power_config": str(tmp_path / "power.yaml")}))
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    res = subprocess.run([snakemake, "-s", str(ROOT / "Snakefile"), "--directory", str(tmp_path), "--configfile",
                          str(tmp_path / "config.yaml"), "--profile", str(ROOT / "workflow" / "profiles" / "slurm"),
                          "--dry-run", "all", "power"], capture_output=True, text=True, timeout=600)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    planned = re.findall(r"^(?:local)?rule (\w+):", out, flags=re.M)
    assert {"ingest", "validate", "cfa", "regress", "report", "power_chunk", "power"} <= set(planned)
    for m in re.finditer(r"^    resources: (.*)$", out, flags=re.M):
        assert "mem_mb=" in m.group(1) and "runtime=" in m.group(1)


def test_memory_requests_cover_the_measured_peaks_at_a_million_respondents():
    """The committed scale benchmark (benchmarks/latest/scale.json) measured each job's peak
    memory on 1,000,000 respondents; every rule asks for at least 1.25 times that."""
    import json

    bench = json.loads((ROOT / "benchmarks" / "latest" / "scale.json").read_text())
    run = max((r for r in bench["runs"] if r.get("dataset") == "example" and r.get("stages")), key=lambda r: r["n"])
    if run["n"] < 1_000_000:
        pytest.skip(f"benchmarks/latest/scale.json stops at {run['n']:,} respondents (run make bench)")
    blocks = rule_blocks()
    checked = 0
    for name, st in run["stages"].items():
        if name not in blocks:
            continue
        peak = max(st.get("max_rss_mb") or 0, st.get("peak_rss_sampled_mb") or 0)
        mem = int(re.search(r"mem_mb=(\d+)", blocks[name]).group(1))
        assert mem >= 1.25 * peak, f"{name}: mem_mb={mem}, measured peak {peak:.0f} MB"
        checked += 1
    assert checked >= 15
