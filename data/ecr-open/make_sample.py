"""Regenerate sample.csv and source_rows.csv from the full open ECR file, byte for byte.

Usage (from the repository root):
    .venv/bin/python data/ecr-open/make_sample.py ../shared/data/ecr-openpsychometrics/data.csv

Draws 3,000 of the 51,491 data rows uniformly without replacement (numpy default_rng,
seed 20261128) and copies them unchanged, in their original order.
"""

import sys
from pathlib import Path

import numpy as np

SEED, N = 20261128, 3000


def main(source: str) -> None:
    lines = Path(source).read_text(encoding="utf-8").split("\n")
    header, rows = lines[0], [line for line in lines[1:] if line]
    idx = np.sort(np.random.default_rng(SEED).choice(len(rows), N, replace=False))
    here = Path(__file__).parent
    (here / "sample.csv").write_text("\n".join([header] + [rows[i] for i in idx]) + "\n", encoding="utf-8")
    (here / "source_rows.csv").write_text("sample_row,source_row\n" + "".join(
        f"{k},{i + 1}\n" for k, i in enumerate(idx, start=1)), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
