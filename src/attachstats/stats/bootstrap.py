"""Vectorised nonparametric bootstrap: resample sums and pairwise covariance matrices.

A bootstrap resample of ``n`` rows is a vector of row counts ``w`` (how often each row is
drawn when ``n`` rows are drawn with replacement, each with probability 1/n). Every statistic
used here is a function of weighted sums ``w @ Z`` of per-row quantities ``Z`` (products of
item responses, cross-products of a design matrix), so a resample costs a matrix product
instead of a Python loop over data frames, and no resample ever materialises its rows.

**How the counts are drawn.** The rows are cut into blocks of 256. For a batch of up to
1,000 resamples, the number of draws landing in each block is one multinomial draw
(``n`` draws over blocks with probabilities size/n); the draws inside a block are then
uniform on its rows (one random byte each for a full block), drawn by 16 generators
spawned from the given one, each for a run of blocks, so that runs can be filled on
several threads with the same result. This is exactly the
distribution of ``n`` independent uniform row draws, but it is generated block by block: the
counts of a block (256 rows × resamples), or of 16 blocks when there are several parts to
multiply, are gathered into one matrix, multiplied into the running sums at once (one BLAS
product per part) and discarded, so memory stays
``O(resamples × columns)`` whatever ``n`` is, and the time grows linearly in ``n`` and in
the number of resamples. The same generator state gives the same counts
(:func:`resample_counts` returns them as one matrix, for checks and small data).

**Exact sums for integer data.** Item responses are integers, and so are their products and
the counts; a float32 product of such matrices is exact while every partial sum stays below
2**24 (checked per chunk from the draws), and twice as fast as float64. Those sums are then
exact integers, whatever the blocking, order or number of threads; other data are summed
in float64.

The pairwise-complete covariances of every resample (:func:`pairwise_moments`) equal R's
``cov(x[idx, ], use = "pairwise")`` on the resampled rows; every row contributes
``k(k + 1)/2`` cross-products and each missing answer a few corrections.

Example
-------
>>> import numpy as np
>>> x = np.array([[1., 2.], [2., 1.], [3., 5.], [4., np.nan]])
>>> mom = pairwise_moments([x], 3, np.random.default_rng(0))
>>> mom[0].cov().shape
(3, 2, 2)
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np

from attachstats.stats.rng import named_rng
from attachstats.stats.threads import single_blas_thread

__all__ = ["resample_counts", "resample_sums", "Lines", "integer_bound", "pairwise_moments", "PairwiseMoments",
           "percentile_ci", "named_rng"]

_BLOCK = 256      # rows per block (a full block's draws are single random bytes)
_BATCH = 1000     # resamples per batch (bounds the block-count table to 1,000 x n/256)
_SEGMENTS = 16    # runs of blocks per batch, each with its own generator (units of parallel work)
_CHUNK = 16       # blocks whose counts go into one matrix product when there are several parts
_F32_EXACT = float(2 ** 24)   # float32 holds every integer below this exactly


@dataclass
class _Segment:
    """A run of row blocks of one batch of resamples, with its own generator."""

    r0: int                  # first resample of the batch
    starts: list[int]        # first row of each block
    sizes: list[int]         # rows in each block
    draws: np.ndarray        # (batch, blocks): draws landing in each block
    rng: np.random.Generator


def _segments(n: int, n_boot: int, rng: np.random.Generator) -> Iterator[_Segment]:
    """Cut the resampling into segments: batches of resamples × runs of row blocks.

    For each batch the draws per block are one multinomial draw from ``rng``; the draws
    inside the blocks of each of the :data:`_SEGMENTS` runs of blocks come from a generator
    spawned from ``rng``, so segments can be filled in any order (or in parallel) with the
    same result.
    """
    if n < 1:
        raise ValueError("a bootstrap needs at least one row")
    starts = np.arange(0, n, _BLOCK)
    sizes = np.minimum(starts + _BLOCK, n) - starts
    probs = sizes / n
    cuts = np.linspace(0, len(starts), min(_SEGMENTS, len(starts)) + 1).round().astype(int)
    for r0 in range(0, n_boot, _BATCH):
        b = min(_BATCH, n_boot - r0)
        per_block = rng.multinomial(n, probs, size=b)
        for (a, z), child in zip(zip(cuts[:-1], cuts[1:]), rng.spawn(len(cuts) - 1)):
            yield _Segment(r0, starts[a:z].tolist(), sizes[a:z].tolist(), per_block[:, a:z], child)


def _segment_counts(seg: _Segment) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(lo, counts)`` for each block of a segment: counts (int, block rows × batch),
    ``counts[i, r]`` the draws of the block's row i in resample r."""
    b = len(seg.draws)
    resample = np.arange(b, dtype=np.intp)
    for j, (lo, size) in enumerate(zip(seg.starts, seg.sizes)):
        c = seg.draws[:, j]
        bins = seg.rng.integers(0, size, int(c.sum()), dtype=np.uint8).astype(np.intp)   # the row in the block
        bins *= b
        bins += np.repeat(resample, c)                 # resample r's draws come r-th in each row's bins
        yield lo, np.bincount(bins, minlength=_BLOCK * b).reshape(_BLOCK, b)[:size]


def resample_counts(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """``(n_boot, n)`` counts: how often each of ``n`` rows is drawn in each resample.

    The same counts that :func:`resample_sums` uses for the same generator state; each row
    sums to ``n``. Memory is ``n_boot × n`` floats: meant for checks and small data.
    """
    out = np.zeros((n_boot, n))
    for seg in _segments(n, n_boot, rng):
        for lo, counts in _segment_counts(seg):
            out[seg.r0:seg.r0 + counts.shape[1], lo:lo + len(counts)] = counts.T
    return out


class Lines:
    """Lines of a Z matrix computed on demand, block by block, so that it is never held whole.

    ``make(a, b)`` returns lines ``a..b-1`` (an array with ``width`` columns) of a matrix with
    ``length`` lines. ``integer_bound``, when given, promises that every entry is an integer
    of absolute value at most that bound (see :func:`resample_sums`: such sums are exact).
    """

    def __init__(self, make: Callable[[int, int], np.ndarray], length: int, width: int,
                 integer_bound: float | None = None) -> None:
        self.make, self.length, self.width = make, int(length), int(width)
        self.integer_bound = None if integer_bound is None else float(integer_bound)

    def __len__(self) -> int:
        return self.length


def integer_bound(z: np.ndarray) -> float | None:
    """``max |z|`` when every entry of ``z`` is an integer (finite), else None."""
    z = np.asarray(z)
    if z.size == 0:
        return 0.0
    if not np.isfinite(z).all() or not (z == np.rint(z)).all():
        return None
    return float(np.abs(z).max())


def resample_sums(n: int, parts: Sequence[tuple[np.ndarray | None, np.ndarray | Lines]], n_boot: int,
                  rng: np.random.Generator, threads: int = 1) -> list[np.ndarray]:
    """Weighted column sums ``counts @ Z`` of every resample, without holding the counts.

    The counts of a block, or with several parts of :data:`_CHUNK` consecutive blocks (4,096
    rows; fewer Python-level products of small parts, while one part's counts stay in cache),
    are gathered into one matrix and multiplied into every part at once (one BLAS product per
    part and chunk, BLAS on one thread: the segments are the units of parallel work). When a part's Z holds only
    integers (an array, or :class:`Lines` with ``integer_bound``) and every partial sum of a
    chunk stays below 2**24, the product runs in float32, which is then exact (all partial
    sums are integers that float32 represents exactly), as is the float64 sum over chunks
    below 2**53: integer data (item responses) give exact sums, independent of blocking,
    order and thread count. Other parts are multiplied in float64.

    Parameters
    ----------
    n : int
        Rows resampled.
    parts : sequence of (rows, Z)
        ``rows`` are increasing row numbers in ``0..n-1`` (None: all rows) and ``Z`` holds one
        line per listed row, as an array or as :class:`Lines` computed block by block;
        several parts let rows of different kinds carry different columns.
    n_boot : int
    rng : numpy.random.Generator
    threads : int, default 1
        Segments of the work (see :func:`_segments`) filled in parallel; the result is the
        same on any number of threads.

    Returns
    -------
    list of ndarray
        One ``(n_boot, width)`` array per part: ``resample_counts(n, n_boot, rng)[:, rows] @ Z``.

    Examples
    --------
    >>> import numpy as np
    >>> z = np.arange(10.0)[:, None]
    >>> s = resample_sums(10, [(None, z)], 4, np.random.default_rng(1))[0]
    >>> w = resample_counts(10, 4, np.random.default_rng(1))
    >>> bool(np.allclose(s, w @ z))
    True
    """
    fixed = []
    for rows, z in parts:
        rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.intp)
        if len(rows) != len(z):
            raise ValueError("each part needs one line of Z per listed row")
        if isinstance(z, Lines):
            bound = z.integer_bound
        else:
            z = np.asarray(z, dtype=np.float64)
            bound = integer_bound(z)
        fixed.append((rows, z, np.searchsorted(rows, np.arange(0, n + _BLOCK, _BLOCK)), bound,
                      len(rows) == n))
    widths = [z.width if isinstance(z, Lines) else z.shape[1] for _, z, _, _, _ in fixed]
    counts_dtype = np.float32 if any(bound is not None for _, _, _, bound, _ in fixed) else np.float64
    chunk = 1 if len(fixed) == 1 else _CHUNK

    def segment_sums(seg: _Segment) -> list[np.ndarray]:
        b = len(seg.draws)
        acc = [np.zeros((b, w)) for w in widths]
        blocks = _segment_counts(seg)
        for c0 in range(0, len(seg.starts), chunk):
            c1 = min(c0 + chunk, len(seg.starts))
            lo, hi = seg.starts[c0], seg.starts[c1 - 1] + seg.sizes[c1 - 1]
            counts_t = np.empty((hi - lo, b), dtype=counts_dtype)      # rows × resamples; small integers: exact
            for _ in range(c0, c1):
                at, block = next(blocks)
                counts_t[at - lo:at - lo + len(block)] = block
            most = float(seg.draws[:, c0:c1].sum(axis=1).max())      # draws of one resample in the chunk
            counts64 = None
            j0, j1 = lo // _BLOCK, (hi - 1) // _BLOCK + 1
            for part_acc, (rows, z, bounds, bound, every_row) in zip(acc, fixed):
                a, e = bounds[j0], bounds[j1]
                if a == e:
                    continue
                zz = z.make(a, e) if isinstance(z, Lines) else z[a:e]
                exact32 = bound is not None and most * bound < _F32_EXACT
                if exact32 or counts_dtype == np.float64:
                    w = counts_t
                else:
                    if counts64 is None:
                        counts64 = counts_t.astype(np.float64)
                    w = counts64
                if not every_row:
                    w = w[rows[a:e] - lo]                   # the part's rows: contiguous lines
                part_acc += w.T @ (zz.astype(np.float32, copy=False) if exact32 else np.asarray(zz, dtype=np.float64))
        return acc

    segments = list(_segments(n, n_boot, rng))
    with single_blas_thread():
        if threads > 1:
            with ThreadPoolExecutor(threads) as pool:
                partial = list(pool.map(segment_sums, segments))
        else:
            partial = [segment_sums(seg) for seg in segments]
    out = [np.zeros((n_boot, w)) for w in widths]
    for seg, acc in zip(segments, partial):               # fixed order: the same sums on any thread count
        for total, part_acc in zip(out, acc):
            total[seg.r0:seg.r0 + len(part_acc)] += part_acc
    return out


@dataclass
class PairwiseMoments:
    """Per-resample sums over the drawn rows answering both items i and j, each ``(B, k, k)``.

    ``cnt[b, i, j]`` rows, ``si[b, i, j]`` sum of item i, ``sii[b, i, j]`` sum of its
    squares, ``sij[b, i, j]`` sum of the products (items centred at their full-sample means).
    """

    cnt: np.ndarray
    si: np.ndarray
    sii: np.ndarray
    sij: np.ndarray

    def cov(self) -> np.ndarray:
        """Pairwise-complete covariance matrices (divisor N − 1; NaN below two rows)."""
        sj = self.si.transpose(0, 2, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            cov = (self.sij - self.si * sj / self.cnt) / (self.cnt - 1.0)
        cov[self.cnt < 2] = np.nan
        return cov

    def corr(self) -> np.ndarray:
        """Pairwise-complete correlations (R's ``cor(use = "pairwise")``): each uses the
        means and variances of the rows answering both items."""
        sj, sjj = self.si.transpose(0, 2, 1), self.sii.transpose(0, 2, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (self.sij - self.si * sj / self.cnt) / np.sqrt((self.sii - self.si * self.si / self.cnt)
                                                               * (sjj - sj * sj / self.cnt))
        r[self.cnt < 2] = np.nan
        idx = np.arange(r.shape[1])
        r[:, idx, idx] = 1.0
        return r


def _moment_parts(x: np.ndarray) -> tuple[Lines, list[tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """The all-rows lines, the per-item missing-answer parts of one item matrix (see
    :func:`pairwise_moments`; the all-rows lines are computed block by block) and the centre
    still to be subtracted from the sums (see :func:`_centre_moments`).

    Integer answers (item responses) are left as they are, so that every line is an integer
    and the resampled sums are exact (:func:`resample_sums`); the full-sample means are
    subtracted afterwards. Other answers are centred at their means before the products,
    which keeps the sums well conditioned.
    """
    n, k = x.shape
    with np.errstate(invalid="ignore"):
        centre = np.nan_to_num(np.nanmean(x, axis=0)) if n else np.zeros(k)
    u = np.isnan(x)
    x0 = np.where(u, 0.0, x)
    bound = integer_bound(x0)
    if bound is None:
        x0 = np.where(u, 0.0, x - centre)
        later = np.zeros(k)
        lines_dtype = np.float64
    else:
        later = centre
        lines_dtype = np.float32 if bound * bound < _F32_EXACT else np.float64   # products exact either way
    iu = np.triu_indices(k)

    x0_lines = x0.astype(lines_dtype)

    def lines(a: int, b: int) -> np.ndarray:
        xb = x0_lines[a:b]
        return np.column_stack([np.ones(b - a, dtype=lines_dtype), xb, xb[:, iu[0]] * xb[:, iu[1]]])

    missing = []
    for j in range(k):
        rows = np.flatnonzero(u[:, j])
        missing.append((rows, np.column_stack([x0[rows], x0[rows] ** 2, u[rows]]).astype(np.float64)))
    every = Lines(lines, n, 1 + k + len(iu[0]), None if bound is None else max(1.0, bound * bound))
    return every, missing, later


def _moments_from_sums(sums: list[np.ndarray], k: int, centre: np.ndarray) -> PairwiseMoments:
    every = sums[0]
    n_boot = len(every)
    iu = np.triu_indices(k)
    total, lin = every[:, :1, None], every[:, 1:1 + k]
    prod = np.zeros((n_boot, k, k))
    prod[:, iu[0], iu[1]] = every[:, 1 + k:]
    prod[:, iu[1], iu[0]] = every[:, 1 + k:]
    sq = np.diagonal(prod, axis1=1, axis2=2)
    # [b, i, j]: sums over the drawn rows missing item j (the part of column j)
    lin_j = np.stack([p[:, :k] for p in sums[1:]], axis=2)
    sq_j = np.stack([p[:, k:2 * k] for p in sums[1:]], axis=2)
    both_missing = np.stack([p[:, 2 * k:] for p in sums[1:]], axis=2)
    miss = np.diagonal(both_missing, axis1=1, axis2=2)    # drawn rows missing item i
    cnt = total - miss[:, :, None] - miss[:, None, :] + both_missing
    mom = PairwiseMoments(cnt=cnt, si=lin[:, :, None] - lin_j, sii=sq[:, :, None] - sq_j, sij=prod)
    return _centre_moments(mom, centre) if np.any(centre) else mom


def _centre_moments(mom: PairwiseMoments, c: np.ndarray) -> PairwiseMoments:
    """The sums of ``x - c`` from those of ``x`` over the same rows (``cnt`` each pair):
    ``Σ(x_i - c_i) = s_i - c_i N``, ``Σ(x_i - c_i)² = s_ii - 2 c_i s_i + c_i² N`` and
    ``Σ(x_i - c_i)(x_j - c_j) = s_ij - c_j s_i - c_i s_j + c_i c_j N``."""
    ci, cj = c[None, :, None], c[None, None, :]
    sj = mom.si.transpose(0, 2, 1)                     # [b, i, j]: sum of item j over the same rows
    return PairwiseMoments(cnt=mom.cnt, si=mom.si - ci * mom.cnt,
                           sii=mom.sii - 2.0 * ci * mom.si + ci * ci * mom.cnt,
                           sij=mom.sij - cj * mom.si - ci * sj + ci * cj * mom.cnt)


def pairwise_moments(xs: Sequence[np.ndarray], n_boot: int, rng: np.random.Generator,
                     threads: int = 1) -> list[PairwiseMoments]:
    """Pairwise-complete moments of ``n_boot`` resamples of the rows, for several item sets.

    With ``x0`` the items with 0 for a missing answer and ``u`` the missing-answer
    indicator, every pairwise sum is a sum over all rows minus a sum over the rows missing
    item j, e.g. ``Σ x0_i (1 − u_j) = Σ x0_i − Σ_{u_j = 1} x0_i`` and
    ``Σ (1 − u_i)(1 − u_j) = N − Σ u_i − Σ u_j + Σ_{u_j = 1} u_i`` (``Σ u_j`` being the
    ``i = j`` term of the last sum). So all rows carry ``1 + k + k(k + 1)/2`` columns and each
    missing answer ``3k`` more: the cost follows the number of rows and of missing answers,
    not of rows with any missing answer times k². Integer answers enter as they are, so the
    sums are exact integers (see :func:`resample_sums`), and the full-sample means are
    subtracted from them afterwards (:func:`_centre_moments`); other answers are centred
    before the products.

    Parameters
    ----------
    xs : sequence of ndarray (n, k_s)
        Item matrices on the same ``n`` rows (NaN = missing), e.g. the scales of a study;
        all of them are computed on the same resamples of the rows.
    n_boot : int
    rng : numpy.random.Generator
        The counts are those of ``resample_counts(n, n_boot, rng)``.
    threads : int, default 1
        Threads for :func:`resample_sums` (same result on any number).

    Returns
    -------
    list of PairwiseMoments
        One per item matrix.
    """
    n = len(xs[0])
    if any(len(x) != n for x in xs):
        raise ValueError("every item matrix needs the same rows")
    per_set = [_moment_parts(np.asarray(x, dtype=np.float64)) for x in xs]
    # one set of all-rows lines for every item matrix (one large product per block)
    widths = np.cumsum([0] + [every.width for every, _, _ in per_set])
    bounds = [every.integer_bound for every, _, _ in per_set]
    every = Lines(lambda a, b: np.column_stack([e.make(a, b) for e, _, _ in per_set]), n, int(widths[-1]),
                  None if None in bounds else max(bounds))
    sums = resample_sums(n, [(None, every)] + [part for _, missing, _ in per_set for part in missing], n_boot, rng,
                         threads)
    out, at = [], 1
    for s, (x, (_, missing, centre)) in enumerate(zip(xs, per_set)):
        own = [sums[0][:, widths[s]:widths[s + 1]]] + sums[at:at + len(missing)]
        out.append(_moments_from_sums(own, x.shape[1], centre))
        at += len(missing)
    return out


def percentile_ci(values: np.ndarray, ci: float = 0.95, max_failed: float = 0.05) -> tuple[float, float]:
    """Percentile interval (R's ``quantile`` type 7) of the finite bootstrap values.

    Returns NaNs when more than ``max_failed`` of the resamples gave no value.
    """
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    if v.size == 0 or ok.mean() < 1.0 - max_failed:
        return float("nan"), float("nan")
    lo, hi = np.quantile(v[ok], [(1.0 - ci) / 2.0, (1.0 + ci) / 2.0])
    return float(lo), float(hi)
