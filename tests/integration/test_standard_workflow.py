"""workflow/Snakefile as a standard Snakemake workflow: lint, a Snakemake that cannot import
the library, and use as a module of another workflow (dry runs: planning is what differs).

"Cannot import the library" is made exact: Snakemake runs under an import hook that refuses
every ``attachstats`` module, so nothing of the library is read except through the files
the workflow opens by path (README, "Snakemake without the library").
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, make_survey, study_dict

pytestmark = pytest.mark.integration
WORKFLOW = ROOT / "workflow" / "Snakefile"
WITHOUT_LIBRARY = """\
import sys


class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name == "attachstats" or name.startswith("attachstats."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Refuse())
from snakemake.cli import main

sys.argv[0] = "snakemake"
sys.exit(main())
"""


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    wd = tmp_path_factory.mktemp("standard")
    make_survey(150).to_csv(wd / "survey.csv", index=False)
    (wd / "mini.yaml").write_text(yaml.safe_dump(study_dict(), sort_keys=False))
    (wd / "config.yaml").write_text(yaml.safe_dump({"studies": ["mini.yaml"], "seed": 1}))
    (wd / "without_library.py").write_text(WITHOUT_LIBRARY)
    return wd


def snakemake(work: Path, *args: str, library: bool = True, snakefile: Path = WORKFLOW) -> subprocess.CompletedProcess:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    if library:
        env["PYTHONPATH"] = str(ROOT / "src")
        cmd = [sys.executable, "-m", "snakemake"]
    else:
        env.pop("PYTHONPATH", None)
        cmd = [sys.executable, str(work / "without_library.py")]
    return subprocess.run([*cmd, "-s", str(snakefile), "--directory", str(work), "--cores", "1", *args],
                          capture_output=True, text=True, env=env, timeout=300, cwd=work)


def planned(res: subprocess.CompletedProcess) -> dict[str, int]:
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", res.stdout, re.M)
            if m.group(1) != "total"}


def test_lint_is_clean(work: Path) -> None:
    for snakefile in (WORKFLOW, ROOT / "Snakefile"):
        res = snakemake(work, "--configfile", "config.yaml", "--lint", snakefile=snakefile)
        assert res.returncode == 0 and "Congratulations" in res.stdout + res.stderr, res.stdout + res.stderr


def test_a_snakemake_without_the_library_plans_the_same_jobs(work: Path) -> None:
    with_library = planned(snakemake(work, "--configfile", "config.yaml", "--dry-run"))
    res = snakemake(work, "--configfile", "config.yaml", "--dry-run", library=False)
    assert "the library is not importable by this Snakemake" in res.stderr
    assert planned(res) == with_library
    assert {"ingest", "cfa", "report", "provenance"} <= set(with_library)


def test_without_the_library_a_missing_data_file_is_still_named(work: Path, tmp_path: Path) -> None:
    study = study_dict("nowhere.csv")
    (work / "lost.yaml").write_text(yaml.safe_dump(study, sort_keys=False))
    res = snakemake(work, "--config", 'studies=["lost.yaml"]', "--dry-run", library=False)
    assert res.returncode != 0
    assert "data.path: the raw data file does not exist: nowhere.csv" in res.stderr
    assert "MissingInputException" not in res.stdout + res.stderr


@pytest.mark.parametrize("library", [True, False], ids=["library", "without-library"])
def test_usable_as_a_module(work: Path, library: bool) -> None:
    host = work / f"host-{library}.smk"
    host.write_text(f"""\
configfile: "config.yaml"


module attachstats:
    snakefile:
        "{WORKFLOW}"
    config:
        config


use rule * from attachstats as attachstats_*


rule host_all:
    input:
        rules.attachstats_all.input,
    default_target: True
""")
    jobs = planned(snakemake(work, "--dry-run", library=library, snakefile=host))
    assert {"attachstats_ingest", "attachstats_cfa", "attachstats_report", "host_all"} <= set(jobs)


def test_without_the_library_the_jobs_resolve_the_study_and_a_rerun_has_nothing_to_do(work: Path) -> None:
    # the jobs run where the library is (here the test's own environment): each resolves its study
    env_run = snakemake(work, "--configfile", "config.yaml", "--until", "validate", library=False)
    assert env_run.returncode == 0, env_run.stdout[-3000:] + env_run.stderr[-3000:]
    flow = (work / "results" / "mini" / "validation" / "flow.csv").read_text()
    assert flow.splitlines()[0].startswith("stage,")
    again = snakemake(work, "--configfile", "config.yaml", "--until", "validate", "--dry-run", library=False)
    assert planned(again) == {}
