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


def snakemake(work: Path, *args: str, library: bool = True, snakefile: Path = WORKFLOW,
              pythonpath: Path = ROOT / "src") -> subprocess.CompletedProcess:
    """Snakemake in ``work``; with ``library=False`` it cannot import attachstats (its jobs can,
    from ``pythonpath``, as jobs in the software environment would)."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(pythonpath)}
    cmd = [sys.executable, "-m", "snakemake"] if library else [sys.executable, str(work / "without_library.py")]
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


def test_without_the_library_the_jobs_resolve_the_study_and_reruns_stay_exact(work: Path) -> None:
    # a private copy of workflow/ and src/ (the source the workflow reads by path), so that a
    # shipped instrument file can be edited; the jobs import the library from the copy
    import shutil

    tree = work / "tree"
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(ROOT / "workflow", tree / "workflow", ignore=ignore)
    shutil.copytree(ROOT / "src", tree / "src", ignore=ignore)
    snakefile = tree / "workflow" / "Snakefile"
    env_run = snakemake(work, "--configfile", "config.yaml", "--until", "validate", library=False,
                        snakefile=snakefile, pythonpath=tree / "src")
    assert env_run.returncode == 0, env_run.stdout[-3000:] + env_run.stderr[-3000:]
    flow = (work / "results" / "mini" / "validation" / "flow.csv").read_text()
    assert flow.splitlines()[0].startswith("stage,")
    again = snakemake(work, "--configfile", "config.yaml", "--until", "validate", "--dry-run", library=False,
                      snakefile=snakefile, pythonpath=tree / "src")
    assert planned(again) == {}
    instrument = tree / "src" / "attachstats" / "spec" / "instruments" / "ecr-r.yaml"
    instrument.write_text(instrument.read_text() + "\n# an edit\n")
    edited = snakemake(work, "--configfile", "config.yaml", "--until", "validate", "--dry-run", library=False,
                       snakefile=snakefile, pythonpath=tree / "src")
    assert set(planned(edited)) == {"ingest", "validate"} and "Params have changed" in edited.stdout
