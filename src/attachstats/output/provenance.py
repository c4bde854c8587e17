"""Provenance: what produced a results folder (versions, configuration, inputs, seed).

No time stamps are written, so the file is byte-identical for identical inputs.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping

KEY_PACKAGES = ("attachstats", "numpy", "pandas", "scipy", "statsmodels", "semopy", "pingouin",
                "matplotlib", "seaborn", "snakemake", "pyarrow", "pyyaml", "jsonschema")


def sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of every installed distribution (key packages first)."""
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found[name.lower()] = dist.version
    ordered = {k: found[k] for k in KEY_PACKAGES if k in found}
    ordered.update({k: found[k] for k in sorted(found) if k not in ordered})
    return ordered


def git_commit(start: str | Path = ".") -> str:
    """The project's git commit (with ``-dirty`` when the work tree has changes), or ``unknown``."""
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=start, capture_output=True, text=True,
                             timeout=10)
        if rev.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=start,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return rev.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def collect_provenance(study: Mapping[str, Any], inputs: Mapping[str, str], seed: int) -> dict[str, Any]:
    """Everything needed to say how a results folder was made.

    Parameters
    ----------
    study : the resolved study configuration.
    inputs : label → file path of every input file (hashed with SHA-256).
    seed : the run's master seed.
    """
    return {
        "study": study.get("name"),
        "seed": seed,
        "inputs": {label: {"path": str(p), "sha256": sha256(p), "bytes": Path(p).stat().st_size}
                   for label, p in inputs.items()},
        "config": study,
        "python": sys.version.split()[0],
        "platform": platform.platform(terse=True),
        "git_commit": git_commit(),
        "packages": package_versions(),
    }


def write_json(obj: Any, path: str | Path) -> None:
    """Write JSON with sorted keys and a final newline (stable bytes)."""
    Path(path).write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
