"""Modification indices (univariate score tests) of fixed parameters, as lavaan's ``modindices()``."""

from __future__ import annotations

import pandas as pd

from attachstats.stats.latent.estimation import ModelFit

__all__ = ["MODINDICES_COLUMNS", "modification_indices"]

MODINDICES_COLUMNS = ["lhs", "op", "rhs", "group", "mi", "epc", "sepc.lv", "sepc.all", "sepc.nox"]


def modification_indices(fitted: ModelFit) -> pd.DataFrame:
    raise NotImplementedError
