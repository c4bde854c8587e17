"""Result tables on disk: deterministic CSV writing and the matching reader.

CSV files keep full precision: 10 significant digits, ``\\n`` line ends, so that results are
byte-identical across runs and machines. Only empty cells are missing on reading (a level
called ``NA`` stays a string).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write a table as CSV with fixed formatting (``\\n`` line ends, 10 significant digits)."""
    df.to_csv(path, index=False, float_format="%.10g", lineterminator="\n")


def read_csv(path: str | Path) -> pd.DataFrame:
    """Read a table written by :func:`write_csv` (only empty cells are missing)."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""])
