"""Change between two measurements of the same people (pre/post therapy, or any two waves).

:func:`paired_change` gives the mean change with its t test and the two standardised mean
differences of Lakens (2013), each with a 95% CI:

- ``d_z`` = mean difference / SD of the differences; its CI comes from the noncentral t
  distribution: the limits of the noncentrality parameter λ for which the observed paired
  t is the 97.5th and the 2.5th percentile, divided by √n (what ``MBESS::ci.sm`` and
  ``effectsize::cohens_d(paired = TRUE)`` compute);
- ``d_av`` = mean difference / average of the two SDs ``(SD_pre + SD_post) / 2``; its CI
  is the Algina & Keselman (2003) approximation Lakens (2013) points to: the same λ limits,
  rescaled to the d_av metric, ``λ · SD_diff / (√n · (SD_pre + SD_post) / 2)``, i.e. the
  ratio of the SDs is treated as known. Its coverage is near 95% but not exact (checked by
  simulation in the tests).

The difference is always ``post − pre``. ``pingouin.ttest(post, pre, paired=True)`` gives
the same t, df and p, but it rounds its CI to two decimals and its ``cohen_d`` for paired
data is ``mean diff / √((SD_pre² + SD_post²) / 2)`` (the root of the mean variance), which
is neither d_z nor Lakens' d_av, so this module computes everything with SciPy (a test
keeps pingouin as a cross-check of t and p).

:func:`reliable_change` is the Jacobson & Truax (1991) reliable change index per person,
``RCI = (post − pre) / SE_diff`` with ``SE_diff = SD_pre · √2 · √(1 − r_xx)``, classified
as reliably improved / unchanged / deteriorated at |RCI| > 1.96, and, against a cut-off
(:func:`clinical_cutoff` gives Jacobson & Truax's criteria a, b and c), as recovered /
improved / unchanged / deteriorated.

Pairs with a missing side are dropped and counted (``n_dropped``); in the per-person table
of :func:`reliable_change` they stay, with the reason.

Example
-------
>>> res = paired_change([5.1, 4.2, 6.0, 3.8, 4.9], [4.0, 4.4, 4.8, 3.1, 4.6])
>>> round(res.mean_diff, 2), round(res.t, 4), round(res.d_z, 4)
(-0.62, -2.3882, -1.068)

R: ``t.test(post, pre, paired = TRUE)``; d_z, d_av and their CIs as in
``tests/fixtures/change/make_change_fixtures.R``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from attachstats.errors import DataError

__all__ = ["PairedChange", "ReliableChange", "paired_change", "reliable_change",
           "clinical_cutoff", "RCI_CRITERION"]

#: |RCI| above this is reliable change (two-sided 5%, Jacobson & Truax 1991).
RCI_CRITERION = 1.96

_DIRECTIONS = ("decrease", "increase")


def _as_pairs(pre: Sequence[float] | pd.Series, post: Sequence[float] | pd.Series,
              ) -> tuple[pd.Series, pd.Series]:
    """Both sides as float Series on the index of ``pre`` (positional pairing), checked."""
    x = pre if isinstance(pre, pd.Series) else pd.Series(list(pre))
    y = post if isinstance(post, pd.Series) else pd.Series(list(post))
    if len(x) != len(y):
        raise DataError(f"pre and post must have the same length (one entry per person); "
                        f"got {len(x)} pre and {len(y)} post scores")
    y = pd.Series(y.to_numpy(), index=x.index)
    out = []
    for name, s in (("pre", x), ("post", y)):
        try:
            s = pd.to_numeric(s, errors="raise").astype("float64")
        except (ValueError, TypeError):
            bad = next(((k, v) for k, v in s.items()
                        if pd.notna(v) and pd.isna(pd.to_numeric(v, errors="coerce"))), (None, None))
            raise DataError(f"{name} scores must be numbers (entry {bad[0]!r})", value=bad[1]) from None
        inf = np.isinf(s.to_numpy())
        if inf.any():
            raise DataError(f"{name} scores must be finite (entry {s.index[inf][0]!r})",
                            value=float(s[inf].iloc[0]))
        out.append(s)
    return out[0], out[1]


def _level_limits(t: float, df: float, level: float) -> tuple[float, float]:
    """Noncentrality limits λ_lo < λ_hi with P(T ≤ t | λ_lo) = 1 − α/2, P(T ≤ t | λ_hi) = α/2."""
    from scipy import optimize, stats     # heavy: imported where it is used

    a = (1 - level) / 2

    def f(ncp: float, p: float) -> float:
        return float(stats.nct.cdf(t, df, ncp)) - p

    w = 6 + abs(t) / 2
    for _ in range(20):   # widen until the roots are bracketed
        f_lo, f_hi = f(t - w, 1 - a), f(t + w, a)
        if f_lo > 0 and f_hi < 0:
            try:
                lo = optimize.brentq(f, t - w, t + w, args=(1 - a,), xtol=1e-13)
                hi = optimize.brentq(f, t - w, t + w, args=(a,), xtol=1e-13)
            except ValueError:   # the noncentral t returned NaN inside the bracket
                break
            return lo, hi
        if np.isnan(f_lo) or np.isnan(f_hi):
            break
        w *= 2
    raise DataError(f"the noncentral-t limits of d_z cannot be computed for t = {t:.6g} on "
                    f"{df:g} df: the pre/post differences are (almost) constant")


@dataclass(frozen=True)
class PairedChange:
    """Mean change ``post − pre`` with its t test and standardised effects (one row)."""

    n: int
    n_dropped: int
    mean_pre: float
    mean_post: float
    sd_pre: float
    sd_post: float
    r_pre_post: float
    mean_diff: float
    sd_diff: float
    diff_ci_lo: float
    diff_ci_hi: float
    t: float
    df: int
    p: float
    d_z: float
    d_z_ci_lo: float
    d_z_ci_hi: float
    d_av: float
    d_av_ci_lo: float
    d_av_ci_hi: float
    level: float

    def as_dict(self) -> dict[str, float]:
        """The fields as a dict (column → value)."""
        return asdict(self)

    def to_frame(self) -> pd.DataFrame:
        """One-row DataFrame with the fields as columns, in order."""
        return pd.DataFrame([self.as_dict()])


def paired_change(pre: Sequence[float] | pd.Series, post: Sequence[float] | pd.Series,
                  level: float = 0.95) -> PairedChange:
    """Mean change between two measurements of the same people, with d_z and d_av.

    Parameters
    ----------
    pre, post : sequence of float or pandas.Series
        The two scores of each person, paired by position (same length). A pair with
        a missing side is dropped and counted in ``n_dropped``.
    level : float
        Confidence level of every interval (default 0.95).

    Returns
    -------
    PairedChange
        ``n`` complete pairs, means and SDs of both sides, their correlation, the mean
        difference ``post − pre`` with its t-based CI, ``t``, ``df = n − 1``, two-sided
        ``p``, ``d_z`` with its noncentral-t CI and ``d_av`` with the Algina–Keselman CI
        (see the module docstring).

    Raises
    ------
    attachstats.errors.DataError
        Different lengths, non-numeric or infinite scores, fewer than 2 complete pairs,
        or differences without variance (t and d_z undefined).

    Examples
    --------
    >>> res = paired_change([5.1, 4.2, 6.0, 3.8, 4.9], [4.0, 4.4, 4.8, 3.1, 4.6])
    >>> round(res.d_av, 4), round(res.d_z_ci_lo, 4)
    (-0.8138, -2.1624)

    R equivalent: ``t.test(post, pre, paired = TRUE)``; ``d_z`` and its CI as
    ``MBESS::ci.sm(ncp = t, N = n)`` divided by √n; ``d_av`` as Lakens (2013).
    """
    if not 0 < level < 1:
        raise DataError(f"the confidence level must lie strictly between 0 and 1, got {level}")
    x, y = _as_pairs(pre, post)
    ok = x.notna() & y.notna()
    n_dropped = int((~ok).sum())
    xv, yv = x[ok].to_numpy(), y[ok].to_numpy()
    n = len(xv)
    if n < 2:
        raise DataError(f"paired change needs at least 2 complete pre/post pairs, got {n} "
                        f"({n_dropped} pairs with a missing side dropped)")
    d = yv - xv
    sd_diff = float(np.std(d, ddof=1))
    mean_diff = float(d.mean())
    if not sd_diff > 1e-12 * max(1.0, abs(mean_diff)):
        raise DataError(f"the {n} pre/post differences have no variance (all equal "
                        f"{mean_diff:g}); t and d_z are undefined")
    sd_pre, sd_post = float(np.std(xv, ddof=1)), float(np.std(yv, ddof=1))
    r = float(np.corrcoef(xv, yv)[0, 1]) if sd_pre > 0 and sd_post > 0 else float("nan")
    df = n - 1
    se = sd_diff / np.sqrt(n)
    t = mean_diff / se
    from scipy import stats

    p = float(2 * stats.t.sf(abs(t), df))
    q = float(stats.t.ppf(1 - (1 - level) / 2, df))
    lam_lo, lam_hi = _level_limits(t, df, level)
    sd_av = (sd_pre + sd_post) / 2
    d_z = mean_diff / sd_diff
    scale = sd_diff / sd_av   # d_z metric → d_av metric (Algina & Keselman 2003)
    return PairedChange(
        n=n, n_dropped=n_dropped, mean_pre=float(xv.mean()), mean_post=float(yv.mean()),
        sd_pre=sd_pre, sd_post=sd_post, r_pre_post=r, mean_diff=mean_diff, sd_diff=sd_diff,
        diff_ci_lo=float(mean_diff - q * se), diff_ci_hi=float(mean_diff + q * se), t=float(t),
        df=df, p=p, d_z=d_z, d_z_ci_lo=float(lam_lo / np.sqrt(n)),
        d_z_ci_hi=float(lam_hi / np.sqrt(n)), d_av=mean_diff / sd_av,
        d_av_ci_lo=float(lam_lo / np.sqrt(n) * scale), d_av_ci_hi=float(lam_hi / np.sqrt(n) * scale),
        level=level)


def _check_direction(direction: str) -> None:
    if direction not in _DIRECTIONS:
        raise DataError(f"direction must be 'decrease' (lower scores are better, e.g. attachment "
                        f"anxiety) or 'increase' (higher scores are better), got {direction!r}")


def clinical_cutoff(criterion: str, *, mean_clinical: float | None = None,
                    sd_clinical: float | None = None, mean_functional: float | None = None,
                    sd_functional: float | None = None, direction: str = "decrease") -> float:
    """Jacobson & Truax (1991) cut-off between the dysfunctional and the functional range.

    Parameters
    ----------
    criterion : {"a", "b", "c"}
        ``a``: 2 SD beyond the clinical mean in the direction of improvement (needs the
        clinical population); ``b``: within 2 SD of the functional mean (needs the
        functional population); ``c``: ``(SD_clin·M_func + SD_func·M_clin) / (SD_clin + SD_func)``,
        the point equally far (in SDs) from both means (needs both).
    mean_clinical, sd_clinical, mean_functional, sd_functional : float
        The populations' means and SDs, as stated in the study (norms or published values).
    direction : {"decrease", "increase"}
        Which change is improvement: ``"decrease"`` when lower scores are better.

    Returns
    -------
    float
        The cut-off; a post score beyond it (below it for ``"decrease"``) is functional.

    Examples
    --------
    >>> clinical_cutoff("c", mean_clinical=4.8, sd_clinical=0.9, mean_functional=3.2, sd_functional=1.1)
    4.08

    R equivalent: the formulas written out (``tests/fixtures/change/make_change_fixtures.R``);
    ``clinicalsignificance::clinical_significance(..., method = "JT")`` uses the same ones.
    """
    _check_direction(direction)
    sign = -1.0 if direction == "decrease" else 1.0   # improvement moves scores this way

    def need(*pairs: tuple[str, float | None]) -> None:
        for name, v in pairs:
            if v is None or not np.isfinite(v):
                raise DataError(f"criterion {criterion!r} needs {name} (a finite number), got {v!r}")
        for name, v in pairs:
            if name.startswith("sd_") and not v > 0:
                raise DataError(f"{name} must be positive, got {v!r}")

    if criterion == "a":
        need(("mean_clinical", mean_clinical), ("sd_clinical", sd_clinical))
        return float(mean_clinical + sign * 2 * sd_clinical)
    if criterion == "b":
        need(("mean_functional", mean_functional), ("sd_functional", sd_functional))
        return float(mean_functional - sign * 2 * sd_functional)
    if criterion == "c":
        need(("mean_clinical", mean_clinical), ("sd_clinical", sd_clinical),
             ("mean_functional", mean_functional), ("sd_functional", sd_functional))
        return float((sd_clinical * mean_functional + sd_functional * mean_clinical)
                     / (sd_clinical + sd_functional))
    raise DataError(f"the Jacobson–Truax criterion must be 'a', 'b' or 'c', got {criterion!r}")


@dataclass(frozen=True)
class ReliableChange:
    """Reliable (and clinically significant) change per person, with counts and shares.

    ``persons`` has one row per input pair (the index of ``pre``): ``pre``, ``post``,
    ``diff``, ``rci``, ``reliable`` (improved / unchanged / deteriorated), ``clinical``
    (recovered / improved / unchanged / deteriorated, only with a cut-off), ``dropped``
    (the reason a pair has no category, else empty). ``summary`` has one row per
    ``(classification, category)`` with ``n`` and ``share`` of the ``n`` complete pairs.
    """

    persons: pd.DataFrame
    summary: pd.DataFrame
    n: int
    n_dropped: int
    reliability: float
    sd_pre: float
    se_diff: float
    criterion: float
    direction: str
    cutoff: float | None


def reliable_change(pre: Sequence[float] | pd.Series, post: Sequence[float] | pd.Series,
                    reliability: float, sd_pre: float | None = None, cutoff: float | None = None,
                    direction: str = "decrease") -> ReliableChange:
    """Jacobson & Truax (1991) reliable change index and clinically significant change.

    Parameters
    ----------
    pre, post : sequence of float or pandas.Series
        The two scores of each person, paired by position (same length); a pair with a
        missing side gets no category and is counted in ``n_dropped``.
    reliability : float
        Reliability ``r_xx`` of the score, strictly between 0 and 1 (e.g. Cronbach's alpha
        of the pre scores from :func:`attachstats.stats.reliability.cronbach_alpha`, or a
        test–retest coefficient).
    sd_pre : float, optional
        SD of the pre scores in the reference population; default the SD (n − 1) of the
        pre scores of the complete pairs.
    cutoff : float, optional
        Cut-off between dysfunctional and functional scores (a value, or one of
        :func:`clinical_cutoff`). A person *recovered* when they improved reliably and
        crossed it: pre on the dysfunctional side (at or above it for ``"decrease"``),
        post on the functional side (below it). Reliable improvers who did not cross it
        count as *improved*. Without a cut-off the ``clinical`` column is empty.
    direction : {"decrease", "increase"}
        Which sign of change is improvement; ``"decrease"`` when lower scores are better
        (attachment anxiety and avoidance).

    Returns
    -------
    ReliableChange
        ``SE_diff = SD_pre·√2·√(1 − r_xx)``, ``RCI = (post − pre) / SE_diff``, reliable when
        ``|RCI| > 1.96``; the per-person table, the counts and shares.

    Raises
    ------
    attachstats.errors.DataError
        Different lengths, non-numeric scores, reliability outside (0, 1), a zero or
        negative SD, no complete pair (fewer than 2 when the SD is estimated from them).

    Examples
    --------
    >>> res = reliable_change([5.1, 4.2, 6.0, 3.8, 4.9], [4.0, 4.4, 4.8, 3.1, 4.6],
    ...                       reliability=0.85, cutoff=4.0)
    >>> round(res.se_diff, 4), list(res.persons["clinical"])
    (0.4664, ['improved', 'unchanged', 'improved', 'unchanged', 'unchanged'])

    R equivalent: the formulas written out in
    ``tests/fixtures/change/make_change_fixtures.R`` (what
    ``clinicalsignificance::clinical_significance(..., method = "JT")`` computes).
    """
    _check_direction(direction)
    try:
        r_xx = float(reliability)
    except (TypeError, ValueError):
        raise DataError("the reliability must be a number strictly between 0 and 1",
                        value=reliability) from None
    if not 0 < r_xx < 1:
        raise DataError("the reliability must lie strictly between 0 and 1 (SE_diff is 0 at 1 "
                        "and undefined outside)", value=reliability)
    if cutoff is not None and not np.isfinite(cutoff):
        raise DataError("the cut-off must be a finite number", value=cutoff)
    x, y = _as_pairs(pre, post)
    ok = x.notna() & y.notna()
    n = int(ok.sum())
    n_dropped = int((~ok).sum())
    if sd_pre is None:
        if n < 2:
            raise DataError(f"reliable change needs at least 2 complete pre/post pairs to "
                            f"estimate SD_pre, got {n}; pass sd_pre (a reference SD) instead")
        sd = float(np.std(x[ok].to_numpy(), ddof=1))
        if not sd > 0:
            raise DataError(f"the {n} pre scores have no variance (SD 0); SE_diff would be 0 — "
                            f"pass sd_pre (a reference SD)")
    else:
        sd = float(sd_pre)
        if not (np.isfinite(sd) and sd > 0):
            raise DataError("sd_pre must be a positive number", value=sd_pre)
        if n < 1:
            raise DataError("reliable change needs at least 1 complete pre/post pair, got 0")
    se_diff = sd * np.sqrt(2) * np.sqrt(1 - r_xx)
    diff = y - x
    rci = diff / se_diff
    better = -rci if direction == "decrease" else rci   # positive = improvement
    reliable = pd.Series(pd.NA, index=x.index, dtype="object")
    reliable[ok] = np.where(better[ok] > RCI_CRITERION, "improved",
                            np.where(better[ok] < -RCI_CRITERION, "deteriorated", "unchanged"))
    clinical = pd.Series(pd.NA, index=x.index, dtype="object")
    if cutoff is not None:
        if direction == "decrease":
            crossed = (x >= cutoff) & (y < cutoff)
        else:
            crossed = (x <= cutoff) & (y > cutoff)
        clinical[ok] = np.where((reliable[ok] == "improved") & crossed[ok], "recovered", reliable[ok])
    dropped = np.select([x.isna() & y.isna(), x.isna(), y.isna()],
                        ["pre and post missing", "pre missing", "post missing"], default="")
    persons = pd.DataFrame({"pre": x, "post": y, "diff": diff, "rci": rci, "reliable": reliable,
                            "clinical": clinical, "dropped": dropped}, index=x.index)
    rows = []
    for classification, cats in (("reliable", ("improved", "unchanged", "deteriorated")),
                                 ("clinical", ("recovered", "improved", "unchanged", "deteriorated"))):
        if classification == "clinical" and cutoff is None:
            continue
        for c in cats:
            k = int((persons[classification] == c).sum())
            rows.append({"classification": classification, "category": c, "n": k,
                         "share": k / n if n else float("nan")})
    summary = pd.DataFrame(rows, columns=["classification", "category", "n", "share"])
    return ReliableChange(persons=persons, summary=summary, n=n, n_dropped=n_dropped,
                          reliability=r_xx, sd_pre=sd, se_diff=float(se_diff),
                          criterion=RCI_CRITERION, direction=direction,
                          cutoff=None if cutoff is None else float(cutoff))
