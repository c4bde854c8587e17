"""Careless-responding indices, one value per respondent.

Each function takes a DataFrame of item responses (rows = respondents, columns = items in
the order they were presented) and returns a Series or DataFrame aligned to its index.

Example
-------
>>> import pandas as pd
>>> longstring(pd.DataFrame([[1, 1, 1, 2], [1, 2, 1, 2]]))["longstring_max"].tolist()
[3, 1]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def longstring(items: pd.DataFrame) -> pd.DataFrame:
    """Longest and mean run of identical consecutive answers (Johnson, 2005).

    Missing answers break a run and do not form runs themselves. Rows without any answer
    get NaN.
    """
    x = items.to_numpy(dtype=float)
    n, k = x.shape
    max_run = np.full(n, np.nan)
    mean_run = np.full(n, np.nan)
    for i in range(n):  # k is small (tens of items); runs are inherently sequential
        row = x[i]
        runs: list[int] = []
        cur = 0
        prev = np.nan
        for v in row:
            if np.isnan(v):
                if cur:
                    runs.append(cur)
                cur, prev = 0, np.nan
            elif v == prev:
                cur += 1
            else:
                if cur:
                    runs.append(cur)
                cur, prev = 1, v
        if cur:
            runs.append(cur)
        if runs:
            max_run[i] = max(runs)
            mean_run[i] = float(np.mean(runs))
    return pd.DataFrame({"longstring_max": max_run, "longstring_mean": mean_run}, index=items.index)


def mahalanobis(items: pd.DataFrame) -> pd.DataFrame:
    """Mahalanobis distance D² of each complete response vector from the sample centroid.

    Uses the mean and the (n − 1) covariance of the complete rows, as R's
    ``stats::mahalanobis(x, colMeans(x), cov(x))``; ``p`` is the upper tail of a
    chi-square with k degrees of freedom. Rows with a missing item get NaN.
    """
    x = items.to_numpy(dtype=float)
    complete = ~np.isnan(x).any(axis=1)
    d2 = np.full(len(x), np.nan)
    if complete.sum() > x.shape[1]:
        xc = x[complete]
        centred = xc - xc.mean(axis=0)
        cov = np.cov(xc, rowvar=False)
        sol = np.linalg.solve(cov, centred.T).T
        d2[complete] = np.einsum("ij,ij->i", centred, sol)
    p = stats.chi2.sf(d2, df=x.shape[1])
    return pd.DataFrame({"mahalanobis_d2": d2, "mahalanobis_p": p}, index=items.index)


def seconds_per_item(duration: pd.Series, n_items: int) -> pd.Series:
    """Completion time divided by the number of items answered in the survey."""
    return (pd.to_numeric(duration, errors="coerce") / float(n_items)).rename("seconds_per_item")
