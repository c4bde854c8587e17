"""Write workflow/envs/attachstats.yaml from requirements.lock (run by `make lock`)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = """\
# The one software environment of every rule (`snakemake --sdm conda`): Python and the
# versions pinned in requirements.lock, then attachstats itself from this checkout (`../..`
# is read from this folder). tests/unit/test_lint.py keeps the pins equal to requirements.lock;
# `make lock` rewrites both.
channels:
  - conda-forge
  - nodefaults
dependencies:
  - python=3.11
  - pip
  - pip:
"""


def main() -> None:
    lines = (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    pins = [x.strip() for x in lines if x.strip() and not x.startswith("#")]
    body = "".join(f"      - {p}\n" for p in pins) + "      - ../..\n"
    (ROOT / "workflow" / "envs" / "attachstats.yaml").write_text(HEADER + body, encoding="utf-8")


if __name__ == "__main__":
    main()
