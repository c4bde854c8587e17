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


def longstring(items: pd.DataFrame) -> pd.DataFrame:
    """Longest and mean run of identical consecutive answers (Johnson, 2005).

    Missing answers break a run and do not form runs themselves. Rows without any answer
    get NaN. Vectorised over respondents (one pass over the items), so a million rows take
    about a second.
    """
    x = items.to_numpy(dtype=float)
    n, k = x.shape
    answered = ~np.isnan(x)
    cur = np.zeros(n)
    best = np.zeros(n)
    starts = np.zeros(n)          # number of runs = answered cells that start a run
    prev = np.full(n, np.nan)
    for j in range(k):
        v, ok = x[:, j], answered[:, j]
        cont = ok & (v == prev)
        cur = np.where(cont, cur + 1, np.where(ok, 1.0, 0.0))
        starts += ok & ~cont
        best = np.maximum(best, cur)
        prev = v
    total = answered.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_run = np.where(total > 0, total / starts, np.nan)
    return pd.DataFrame({"longstring_max": np.where(total > 0, best, np.nan), "longstring_mean": mean_run},
                        index=items.index)


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
        cov = centred.T @ centred / (len(xc) - 1)
        sol = np.linalg.solve(cov, centred.T).T
        d2[complete] = np.einsum("ij,ij->i", centred, sol)
    from scipy import stats       # imported here: scipy.stats costs ~0.7 s at start-up

    p = stats.chi2.sf(d2, df=x.shape[1])
    return pd.DataFrame({"mahalanobis_d2": d2, "mahalanobis_p": p}, index=items.index)


def seconds_per_item(duration: pd.Series, n_items: int) -> pd.Series:
    """Completion time divided by the number of items answered in the survey."""
    return (pd.to_numeric(duration, errors="coerce") / float(n_items)).rename("seconds_per_item")


def irv(items: pd.DataFrame) -> pd.Series:
    """Intra-individual response variability (Dunn et al., 2018).

    The standard deviation (n − 1 denominator) of a respondent's answers across items,
    ignoring missing answers; very low values suggest straight-lining, very high values
    random answering. Rows with fewer than two answers get NaN.
    """
    return items.astype(float).std(axis=1, ddof=1, skipna=True).rename("irv")


def evenodd(items: pd.DataFrame, scales: list[int], spearman_brown: bool = False) -> pd.Series:
    """Even-odd consistency (Johnson, 2005).

    ``items`` holds the keyed items of several unidimensional scales side by side;
    ``scales`` gives the number of consecutive columns of each scale. Within every scale
    the mean of the odd-numbered and of the even-numbered items is taken (1st, 3rd, …
    versus 2nd, 4th, … column of the scale); the index is the correlation, across scales,
    between a respondent's odd-half and even-half means (higher = more consistent). With
    ``spearman_brown`` the correlation is stepped up to full length, ``2r / (1 + r)``.
    Respondents with fewer than three scales with both halves, or with no variance in a
    half, get NaN.
    """
    if sum(scales) != items.shape[1]:
        raise ValueError(f"scales add up to {sum(scales)} items but {items.shape[1]} columns were given")
    x = items.to_numpy(dtype=float)
    odd_means, even_means = [], []
    start = 0
    for k in scales:
        block = x[:, start:start + k]
        odd_means.append(_row_mean(block[:, 0::2]))
        even_means.append(_row_mean(block[:, 1::2]))
        start += k
    o, e = np.column_stack(odd_means), np.column_stack(even_means)
    r = _rowwise_corr(o, e, min_pairs=3)
    if spearman_brown:
        r = 2 * r / (1 + r)
    return pd.Series(r, index=items.index, name="evenodd")


def psychsyn(items: pd.DataFrame, critval: float = 0.60, antonyms: bool = False) -> pd.Series:
    """Psychometric synonyms (or antonyms) consistency (Meade & Craig, 2012).

    Item pairs whose correlation across the sample (pairwise complete) exceeds ``critval``
    (or, for antonyms, lies below ``-critval``) are the synonyms; a respondent's index is the
    correlation between their answers to the first and to the second items of those pairs.
    Respondents with fewer than three usable pairs, or no variance, get NaN.
    """
    x = items.to_numpy(dtype=float)
    corr = items.astype(float).corr().to_numpy()
    iu = np.triu_indices_from(corr, k=1)
    values = corr[iu]
    keep = values < -critval if antonyms else values > critval
    first, second = iu[0][keep], iu[1][keep]
    if len(first) == 0:
        return pd.Series(np.nan, index=items.index, name="psychsyn")
    return pd.Series(_rowwise_corr(x[:, first], x[:, second], min_pairs=3), index=items.index, name="psychsyn")


def _row_mean(x: np.ndarray) -> np.ndarray:
    """Mean of the non-missing values of each row (NaN where none)."""
    n = (~np.isnan(x)).sum(axis=1)
    with np.errstate(all="ignore"):
        return np.where(n > 0, np.nansum(x, axis=1) / n, np.nan)


def _rowwise_corr(a: np.ndarray, b: np.ndarray, min_pairs: int) -> np.ndarray:
    """Pearson correlation of a[i] with b[i] for every row, over pairs where both exist."""
    ok = ~(np.isnan(a) | np.isnan(b))
    n = ok.sum(axis=1)
    a0, b0 = np.where(ok, a, 0.0), np.where(ok, b, 0.0)
    with np.errstate(all="ignore"):
        ma, mb = a0.sum(axis=1) / n, b0.sum(axis=1) / n
        da, db = np.where(ok, a - ma[:, None], 0.0), np.where(ok, b - mb[:, None], 0.0)
        r = (da * db).sum(axis=1) / np.sqrt((da**2).sum(axis=1) * (db**2).sum(axis=1))
    r[(n < min_pairs) | ~np.isfinite(r)] = np.nan
    return r


def attention_failures(answers: pd.DataFrame, expected: list[float]) -> pd.Series:
    """Number of instructed items answered other than instructed (a missing answer fails)."""
    x = answers.to_numpy(dtype=float)
    fail = ~(x == np.asarray(expected, dtype=float)[None, :])
    return pd.Series(fail.sum(axis=1), index=answers.index, name="attention_failures")
