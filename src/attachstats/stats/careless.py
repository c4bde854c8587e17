"""Careless-responding indices, one value per respondent.

Each function takes a DataFrame of item responses (rows = respondents, columns = items in
the order they were presented) and returns a Series or DataFrame aligned to its index.

Example
-------
>>> import pandas as pd
>>> longstring(pd.DataFrame([[1, 1, 1, 2], [1, 2, 1, 2]]))["longstring_max"].tolist()
[3.0, 1.0]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attachstats.stats.pairwise import pairwise_corr_values


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


def _missing_patterns(miss: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(m, axis=0, return_inverse=True)`` of a boolean matrix, fast: with at most
    63 columns each row is one integer key (first column the highest bit), whose order is the
    rows' lexicographic order, so patterns and their numbering are those of ``np.unique``."""
    n, k = miss.shape
    if k > 63 or n == 0:
        patterns, which = np.unique(miss, axis=0, return_inverse=True)
        return patterns, which.ravel()
    weights = np.left_shift(np.uint64(1), np.arange(k - 1, -1, -1, dtype=np.uint64))
    keys = miss.astype(np.uint64) @ weights if k else np.zeros(n, dtype=np.uint64)
    uniq, which = np.unique(keys, return_inverse=True)
    patterns = (uniq[:, None] & weights[None, :]) != 0
    return patterns, which.ravel()


def em_mean_cov(x: np.ndarray, tol: float = 1e-10, max_iter: int = 1000) -> tuple[np.ndarray, np.ndarray, int]:
    """Maximum-likelihood mean and covariance of a multivariate normal from incomplete rows (EM).

    The EM algorithm of Dempster, Laird & Rubin (1977) as in Little & Rubin (2002, ch. 11):
    the E step fills each row's missing items with their regression on its answered items
    under the current estimate and adds the conditional covariance; the M step takes the
    mean and the (n-denominator) covariance of the filled data. Rows are grouped by their
    pattern of missing items (one solve per pattern and iteration). Rows without any answer
    are ignored. With complete data the estimate is the sample mean and the covariance with
    denominator n after one step. Consistent under data missing at random.

    Parameters
    ----------
    x : ndarray (n, k)
        Item responses; NaN = not answered.
    tol : float
        Convergence: largest change of any mean or covariance element, relative to 1 + |value|.
    max_iter : int
        Iterations at most (``ValueError`` if not converged).

    Returns
    -------
    mean : ndarray (k,)
    cov : ndarray (k, k)
        ML covariance (denominator n).
    n : int
        Rows used (at least one item answered).

    Notes
    -----
    R equivalent: ``norm::em.norm`` (``norm::getparam.norm``); ``lavaan``'s
    ``lavCor(x, missing = "ml", output = "sampstat")`` gives the same estimate.
    """
    x = np.asarray(x, dtype=float)
    miss = np.isnan(x)
    keep = ~miss.all(axis=1)
    x, miss = x[keep], miss[keep]
    n, k = x.shape
    if n == 0:
        raise ValueError("no row has any answered item")
    patterns, which = _missing_patterns(miss)
    full_rows = ~miss.any(axis=1)
    xf = x[full_rows]
    s1_full, s2_full = xf.sum(axis=0), xf.T @ xf
    order = np.argsort(which, kind="stable")            # rows of each pattern, in their order
    ends = np.cumsum(np.bincount(which, minlength=len(patterns)))
    groups = [(p, x[order[end - size:end]]) for p, end, size in
              zip(patterns, ends, np.diff(ends, prepend=0)) if p.any()]
    mu = np.nanmean(x, axis=0)
    with np.errstate(invalid="ignore"):
        var = np.nanvar(x, axis=0)
    sigma = np.diag(np.where(np.isfinite(var) & (var > 0), var, 1.0))
    mu = np.where(np.isfinite(mu), mu, 0.0)
    for it in range(1, max_iter + 1):
        s1, s2 = s1_full.copy(), s2_full.copy()
        for m, rows in groups:
            o = ~m
            filled = rows.copy()
            if o.any():
                beta = np.linalg.solve(sigma[np.ix_(o, o)], sigma[np.ix_(o, m)])     # (|o|, |m|)
                filled[:, m] = mu[m] + (rows[:, o] - mu[o]) @ beta
                cond = sigma[np.ix_(m, m)] - sigma[np.ix_(m, o)] @ beta
            else:
                filled[:, m] = mu[m]
                cond = sigma[np.ix_(m, m)]
            s1 += filled.sum(axis=0)
            s2 += filled.T @ filled
            s2[np.ix_(m, m)] += len(rows) * cond
        new_mu = s1 / n
        new_sigma = s2 / n - np.outer(new_mu, new_mu)
        change = max(np.max(np.abs(new_mu - mu) / (1 + np.abs(new_mu))),
                     np.max(np.abs(new_sigma - sigma) / (1 + np.abs(new_sigma))))
        mu, sigma = new_mu, (new_sigma + new_sigma.T) / 2
        if change < tol:
            return mu, sigma, n
    raise ValueError(f"EM estimate of the mean and covariance did not converge in {max_iter} iterations")


class SingularItems(ValueError):
    """The items' covariance cannot be inverted; ``columns`` names the items involved."""

    def __init__(self, message: str, columns: list[str]) -> None:
        super().__init__(message)
        self.columns = columns


def redundant_items(items: pd.DataFrame, tol: float = 1e-8) -> dict[str, str]:
    """Items that make a Mahalanobis distance undefined, each with the reason.

    An item is redundant when it has fewer than two distinct answers (``constant``), when
    it correlates ±1 (within ``tol``) with an earlier item over the respondents who answered
    both (two identical items, an item and its reverse-keyed copy), or when, over the
    complete rows, it is an exact linear combination of earlier items (its residual
    variance given them is below ``tol`` times its variance).
    Items are checked in column order, so of two identical items the later one is named.
    Leaving these items out loses no information about how far a respondent is from the
    centroid: a constant item has no spread, and an exact combination of other items is
    determined by them.

    Returns
    -------
    dict
        Column → reason (``"constant: every answer is 4"``, ``"no answers"``,
        ``"identical to ecr_3"``, ``"an exact linear function of ecr_3"``,
        ``"an exact linear combination of ecr_1, ecr_2"``), in column order.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [4, 4, 4, 4], "c": [1, 2, 3, 4]})
    >>> redundant_items(df)
    {'b': 'constant: every answer is 4', 'c': 'identical to a'}
    """
    out: dict[str, str] = {}
    x = items.astype(float)
    candidates = []
    for col in x.columns:
        v = x[col].dropna().unique()
        if len(v) == 0:
            out[col] = "no answers"
        elif len(v) == 1:
            out[col] = f"constant: every answer is {_num(v[0])}"
        else:
            candidates.append(col)
    corr = pairwise_corr_values(x[candidates].to_numpy(dtype=float, na_value=np.nan))   # rows answering both
    pairwise: list[str] = []
    for j, col in enumerate(candidates):
        twin = next((candidates[i] for i in range(j) if candidates[i] in pairwise
                     and abs(corr[i, j]) >= 1 - tol), None)
        if twin is None:
            pairwise.append(col)
            continue
        both = x[col].notna() & x[twin].notna()
        same = bool((x.loc[both, col] == x.loc[both, twin]).all())
        out[col] = f"identical to {twin}" if same else f"an exact linear function of {twin}"
    complete = x[pairwise].dropna()
    if len(complete) > len(pairwise):             # combinations of several items: complete rows
        cov = complete.cov().to_numpy()
        kept: list[int] = []
        for j, col in enumerate(pairwise):
            if kept:
                c_sj = cov[kept, j]
                b = np.linalg.solve(cov[np.ix_(kept, kept)], c_sj)
                if cov[j, j] - c_sj @ b <= tol * cov[j, j]:
                    names = [pairwise[kept[i]] for i in np.flatnonzero(np.abs(b) > 1e-6 * np.abs(b).max())]
                    out[col] = "an exact linear combination of " + ", ".join(names)
                    continue
            kept.append(j)
    return {c: out[c] for c in items.columns if c in out}


def mahalanobis(items: pd.DataFrame, min_items: int | None = None) -> pd.DataFrame:
    """Mahalanobis distance D² of each response vector from the centroid, on its answered items.

    The mean μ and covariance Σ are estimated from every row with at least one answer by
    :func:`em_mean_cov` (multivariate-normal maximum likelihood under missing at random),
    with Σ rescaled by n / (n − 1); with complete data this is exactly the sample mean and
    R's ``cov(x)``, so D² equals ``stats::mahalanobis(x, colMeans(x), cov(x))`` and
    ``careless::mahad(x)``. A respondent who answered the items O gets
    ``D² = (x_O − μ_O)' Σ_OO⁻¹ (x_O − μ_O)`` and ``p`` the upper tail of a chi-square with
    |O| degrees of freedom (the distance's distribution under multivariate normality).
    Respondents with fewer than ``min_items`` answers get NaN (not screened).

    Parameters
    ----------
    items : DataFrame
        One column per item (no constant or redundant item: see :func:`redundant_items`).
    min_items : int, optional
        Fewest answered items a respondent needs to be screened (default: all, i.e. only
        complete rows are screened, as ``careless::mahad``; the estimate still uses all rows).

    Returns
    -------
    DataFrame
        ``mahalanobis_d2``, ``mahalanobis_p`` and ``mahalanobis_items`` (answered items =
        the chi-square df), aligned to ``items.index``. When there are no more usable rows
        than items, every D² is NaN.

    Raises
    ------
    SingularItems
        When the estimated covariance of the answered items cannot be inverted.
    """
    from scipy import stats       # imported here: scipy.stats costs ~0.7 s at start-up

    x = items.to_numpy(dtype=float)
    n_rows, k = x.shape
    answered = ~np.isnan(x)
    n_answered = answered.sum(axis=1)
    need = k if min_items is None else max(int(min_items), 1)
    d2 = np.full(n_rows, np.nan)
    usable = int((n_answered > 0).sum())
    if usable > k and k > 0:
        mu, sigma, n = em_mean_cov(x)
        sigma = sigma * n / (n - 1)
        if np.linalg.matrix_rank(sigma, tol=1e-10 * max(np.abs(np.diag(sigma)).max(), 1e-300)) < k:
            raise SingularItems("the estimated covariance of the items is singular (an item is constant or an "
                                "exact linear function of others)", list(items.columns))
        screened = n_answered >= need
        patterns, which = _missing_patterns(answered[screened])
        idx = np.flatnonzero(screened)[np.argsort(which, kind="stable")]    # rows of each pattern, in order
        ends = np.cumsum(np.bincount(which, minlength=len(patterns)))
        for o, end, size in zip(patterns, ends, np.diff(ends, prepend=0)):
            rows = idx[end - size:end]
            centred = x[np.ix_(rows, o)] - mu[o]
            try:
                sol = np.linalg.solve(sigma[np.ix_(o, o)], centred.T).T
            except np.linalg.LinAlgError:
                raise SingularItems("the estimated covariance of the answered items is singular",
                                    [c for c, a in zip(items.columns, o) if a]) from None
            d2[rows] = np.einsum("ij,ij->i", centred, sol)
    p = stats.chi2.sf(d2, df=np.maximum(n_answered, 1))
    return pd.DataFrame({"mahalanobis_d2": d2, "mahalanobis_p": p, "mahalanobis_items": n_answered},
                        index=items.index)


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


def evenodd(items: pd.DataFrame, scales: list[int], spearman_brown: bool = False,
            ranges: list[tuple[float, float]] | None = None) -> pd.Series:
    """Even-odd consistency (Johnson, 2005).

    ``items`` holds the keyed items of several unidimensional scales side by side;
    ``scales`` gives the number of consecutive columns of each scale. Within every scale
    the mean of the odd-numbered and of the even-numbered items is taken (1st, 3rd, …
    versus 2nd, 4th, … column of the scale); the index is the correlation, across scales,
    between a respondent's odd-half and even-half means (higher = more consistent). With
    ``spearman_brown`` the correlation is stepped up to full length, ``2r / (1 + r)``.
    Respondents with fewer than three scales with both halves, or with no variance in a
    half, get NaN.

    Scales answered on different response formats (1–7 next to 0–3) must be put on one
    metric first, or the differences between the formats' midpoints correlate the halves
    of any respondent, random ones included: ``ranges`` gives each scale's response range
    ``(min, max)``, and its answers are rescaled to ``(x − min) / (max − min)`` (percent of
    maximum possible, on 0–1) before the halves are averaged.

    Parameters
    ----------
    items : DataFrame
        Keyed item answers, scale after scale.
    scales : list of int
        Number of items of each scale, in column order.
    spearman_brown : bool
        Step the correlation up to full length (``careless::evenodd`` always does).
    ranges : list of (float, float), optional
        Response range of each scale; without it the answers are used as they are.

    Returns
    -------
    Series ``evenodd`` aligned to ``items.index``.

    Notes
    -----
    R equivalent: ``-careless::evenodd(x, factors = scales)`` (careless ≥ 1.2 returns the
    negated, Spearman–Brown-corrected coefficient so that higher means more careless; set
    ``spearman_brown=True`` and rescale ``x`` as above to reproduce it).

    Examples
    --------
    >>> df = pd.DataFrame([[1, 1, 7, 7, 0, 0], [1, 7, 1, 7, 3, 0]])
    >>> evenodd(df, [2, 2, 2], ranges=[(1, 7), (1, 7), (0, 3)]).round(3).tolist()
    [1.0, -1.0]
    """
    if sum(scales) != items.shape[1]:
        raise ValueError(f"scales add up to {sum(scales)} items but {items.shape[1]} columns were given")
    if ranges is not None and len(ranges) != len(scales):
        raise ValueError(f"{len(ranges)} response ranges given for {len(scales)} scales")
    x = items.to_numpy(dtype=float)
    odd_means, even_means = [], []
    start = 0
    for s, k in enumerate(scales):
        block = x[:, start:start + k]
        if ranges is not None:
            lo, hi = ranges[s]
            block = (block - lo) / (hi - lo)
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
    corr = pairwise_corr_values(x)                  # pairwise complete, as pandas' / R's cor
    iu = np.triu_indices_from(corr, k=1)
    values = corr[iu]
    keep = values < -critval if antonyms else values > critval
    first, second = iu[0][keep], iu[1][keep]
    if len(first) == 0:
        return pd.Series(np.nan, index=items.index, name="psychsyn")
    return pd.Series(_rowwise_corr(x[:, first], x[:, second], min_pairs=3), index=items.index, name="psychsyn")


def _num(v: float) -> str:
    """A number as text, integers without a decimal point."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


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
