"""A real SLURM run of the power analysis through the cluster profile (slow; skipped unless a
SLURM cluster answers on this machine: tests/cluster/start_local_slurm.sh starts a one-node
one from Debian's slurm-wlm). Every replication chunk is a separate SLURM job; the power
table must be byte-identical to a local run with the same seed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, make_survey, study_dict

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def slurm_is_up() -> bool:
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return False
    res = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=30)
    return res.returncode == 0 and any(s.strip() in ("idle", "mixed") for s in res.stdout.split())


@pytest.mark.skipif(not slurm_is_up(), reason="no SLURM cluster answers here (see tests/cluster/start_local_slurm.sh)")
def test_power_analysis_runs_through_slurm_and_matches_a_local_run(tmp_path):
    power = yaml.safe_load((ROOT / "config" / "power.yaml").read_text())
    power.update(simulation=str(ROOT / "config" / "simulation" / "example.yaml"), sample_sizes=[60, 120],
                 replications=20, chunk_size=10, truth_n=20_000)
    power["models"] = power["models"][:1]
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    tables = {}
    for how, extra in (("slurm", ["--profile", str(ROOT / "workflow" / "profiles" / "slurm"),
                                  "--slurm-status-command", "squeue", "--latency-wait", "10", "--jobs", "4"]),
                       ("local", ["--cores", "1"])):
        work = tmp_path / how
        work.mkdir()
        (work / "power.yaml").write_text(yaml.safe_dump(power))
        make_survey(60).to_csv(work / "survey.csv", index=False)       # a study must be listed; not run here
        (work / "mini.yaml").write_text(yaml.safe_dump(study_dict(), sort_keys=False))
        (work / "config.yaml").write_text(yaml.safe_dump({"studies": [str(work / "mini.yaml")],
                                                          "power_config": str(work / "power.yaml")}))
        res = subprocess.run([snakemake, "-s", str(ROOT / "Snakefile"), "--directory", str(work), "--configfile",
                              str(work / "config.yaml"), *extra, "power"], capture_output=True, text=True,
                             timeout=1800)
        out = res.stdout + res.stderr
        assert res.returncode == 0, out[-4000:]
        if how == "slurm":
            submitted = [line for line in out.splitlines() if "submitted" in line.lower() and "slurm" in line.lower()]
            assert len(submitted) >= 4, out[-4000:]           # 2 sizes x 2 chunks, each its own SLURM job
        tables[how] = (work / "results" / "power" / "power.csv").read_bytes()
    assert tables["slurm"] == tables["local"]
