"""Declared variables in the analysis data: categorical variables with their reference level."""

from __future__ import annotations

from typing import Any, Mapping

import pandas as pd

from attachstats.errors import ConfigError

__all__ = ["with_reference_levels"]


def with_reference_levels(scores: pd.DataFrame, study: Mapping[str, Any]) -> pd.DataFrame:
    """Categorical variables as ordered categories with the configured reference level first."""
    out = scores.copy()
    for name, var in study.get("variables", {}).items():
        if var.get("type") == "categorical" and name in out.columns:
            levels = sorted(out[name].dropna().astype(str).unique())
            ref = var.get("reference")
            if ref is not None:
                if ref not in levels:
                    raise ConfigError(f"study {study['name']!r}, variables.{name}.reference: level {ref!r} "
                                      f"does not occur in the data (levels: {', '.join(levels)})")
                levels = [ref] + [lv for lv in levels if lv != ref]
            out[name] = pd.Categorical(out[name].astype("string"), categories=levels)
    return out
