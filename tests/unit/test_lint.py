"""Repository hygiene the Snakemake workflow catalog and users rely on.

ruff and snakefmt are pinned in requirements.lock (`make test` installs them); the software
environment of the rules repeats the pins of requirements.lock; the wheel's package list
names every package under src/; the licence file and pyproject agree.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import ROOT


def _tool(name: str) -> str:
    exe = Path(sys.executable).with_name(name)
    found = str(exe) if exe.exists() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (it is pinned in requirements.lock; `make test` installs it)")
    return found


def test_ruff_is_clean() -> None:
    res = subprocess.run([_tool("ruff"), "check", "src", "workflow", ".ci", "benchmarks"], cwd=ROOT,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_snakefmt_is_clean() -> None:
    res = subprocess.run([_tool("snakefmt"), "--check", "workflow", "Snakefile"], cwd=ROOT,
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_software_environment_pins_requirements_lock() -> None:
    env = yaml.safe_load((ROOT / "workflow" / "envs" / "attachstats.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    lock = [x.strip() for x in (ROOT / "requirements.lock").read_text().splitlines()
            if x.strip() and not x.startswith("#")]
    assert pip[:-1] == lock and pip[-1] == "../..", "run `python .ci/env_from_lock.py`"
    assert (ROOT / "workflow" / "envs" / pip[-1] / "pyproject.toml").is_file()   # the package itself
    python = [d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python=")]
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert python == [f"python={requires.removeprefix('>=')}"]     # the oldest Python the package supports


def test_every_rule_declares_the_environment() -> None:
    for f in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        text = f.read_text()
        assert text.count("    script:") == text.count('        "../envs/attachstats.yaml"'), f.name


def test_wheel_lists_every_package() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(meta["tool"]["setuptools"]["packages"])
    src = ROOT / "src"
    found = {".".join(p.parent.relative_to(src).parts) for p in src.rglob("__init__.py")}
    assert listed == found | {"attachstats.workflow"}
    assert meta["tool"]["setuptools"]["package-dir"]["attachstats.workflow"] == "workflow"


def test_licence_file_matches_pyproject() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["license"] == "MIT" and meta["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
