"""Result tables on disk: deterministic CSV writing and the matching reader.

CSV files keep full precision: every float is written as the shortest decimal that reads back
as the same double (Python's ``repr``: up to 17 significant digits), so an AIC of 4,748,373
keeps all its decimals and a CSV read back is the table that was written; ``\\n`` line
ends. The same inputs and seed give byte-identical files. Only empty cells are missing on
reading (a level called ``NA`` stays a string).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write a table as CSV: floats in full precision (shortest round-trip form), ``\\n`` line ends.

    R equivalent: ``write.csv(df, path, row.names = FALSE)`` after ``options(digits = 17)``.

    >>> import io
    >>> buf = io.StringIO(); write_csv(pd.DataFrame({"aic": [4748373.123456789]}), buf)
    >>> buf.getvalue()
    'aic\\n4748373.123456789\\n'
    """
    df.to_csv(path, index=False, lineterminator="\n")


def read_csv(path: str | Path) -> pd.DataFrame:
    """Read a table written by :func:`write_csv` (only empty cells are missing)."""
    return pd.read_csv(path, keep_default_na=False, na_values=[""])
