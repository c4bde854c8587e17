"""Errors a user can cause, with messages that name the file, row, column or key.

The CLI and the workflow scripts print these without a traceback and exit non-zero.
"""

from __future__ import annotations


class AttachstatsError(Exception):
    """Base class of every error caused by the user's data or configuration."""


class ConfigError(AttachstatsError):
    """A study or instrument definition is wrong (names the file and the key)."""


class DataError(AttachstatsError):
    """The data does not meet what the study file promises.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    file, row, column, value : optional
        Where the problem is. ``row`` is the 1-based data row of the raw file
        (the header is row 0).
    """

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None, value: object = None) -> None:
        where = []
        if file is not None:
            where.append(f"file {file}")
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        if value is not None:
            where.append(f"value {value!r}")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)
        self.file, self.row, self.column, self.value = file, row, column, value


class ModelError(AttachstatsError):
    """A statistical model cannot be fitted as specified (names the model)."""
