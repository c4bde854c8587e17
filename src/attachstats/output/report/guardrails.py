"""Reporting guardrails: stated criteria the manuscript's text judges results against.

Nothing here estimates anything: each rule compares numbers already in a result table with
a criterion stated in the text, so that a reader sees the judgement and its basis.

- **Model fit** (:data:`FIT_CRITERIA`, :func:`judge_fit`): Hu and Bentler (1999), CFI ≥ .95,
  TLI ≥ .95, RMSEA ≤ .06, SRMR ≤ .08. A model meeting all four "fits well"; one missing
  some is said to miss them, index by index.
- **Unstable bootstrap intervals** (:func:`unstable_interval`): an interval of a coefficient
  bounded by 1 (reliability, loadings) is flagged when it is wider than
  :data:`BOOT_MAX_WIDTH` (.20), or when the estimate sits in the outer
  :data:`BOOT_EDGE` (10%) of the interval at either end. Either means the resampling
  distribution is wide or badly skewed (e.g. ω_h = .90 with 95% CI [.11, .93]: the
  hierarchical factor solution is not recovered in many resamples), so the point estimate
  should not be read on its own.
- **Invariance on a poor configural model** (:func:`configural_fits`): the steps compare
  each model with the configural one; when that misses the fit criteria, the differences
  are between poorly fitting models and say little about invariance.
- **Number of factors**: the manuscript sets the count retained against the parallel-analysis
  suggestion (Horn, 1965) and says why a different count was kept (the instrument's scoring
  key or the study file), never leaving the difference unexplained.

Example
-------
>>> judge_fit({"cfi": 0.77, "tli": 0.76, "rmsea": 0.085, "srmr": 0.087}).fits
False
>>> unstable_interval(0.90, 0.11, 0.93)
True
>>> unstable_interval(0.93, 0.925, 0.935)
False
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

__all__ = ["FIT_CRITERIA", "FitJudgement", "judge_fit", "BOOT_MAX_WIDTH", "BOOT_EDGE", "unstable_interval",
           "configural_fits"]

#: Index → (direction, cut-off, printed criterion), Hu & Bentler (1999).
FIT_CRITERIA = {"cfi": (">=", 0.95, "CFI ≥ .95"), "tli": (">=", 0.95, "TLI ≥ .95"),
                "rmsea": ("<=", 0.06, "RMSEA ≤ .06"), "srmr": ("<=", 0.08, "SRMR ≤ .08")}
#: A bootstrap interval of a bounded coefficient wider than this is flagged.
BOOT_MAX_WIDTH = 0.20
#: An estimate within this share of the interval's width from either end is flagged.
BOOT_EDGE = 0.10


@dataclass
class FitJudgement:
    """Which of the criteria a model meets (``met``) and misses (``missed``), by index name."""

    met: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        """True when every available criterion is met (and at least one is available)."""
        return bool(self.met) and not self.missed


def judge_fit(row: Mapping[str, float]) -> FitJudgement:
    """Judge a fit row (``cfi, tli, rmsea, srmr``) against :data:`FIT_CRITERIA`; missing indices are skipped.

    R equivalent: ``lavaan::fitMeasures(fit, c("cfi", "tli", "rmsea", "srmr"))`` compared by hand.
    """
    out = FitJudgement()
    for index, (direction, cut, _) in FIT_CRITERIA.items():
        v = row.get(index)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        ok = float(v) >= cut if direction == ">=" else float(v) <= cut
        (out.met if ok else out.missed).append(index)
    return out


def unstable_interval(estimate: float, lo: float, hi: float, max_width: float = BOOT_MAX_WIDTH,
                      edge: float = BOOT_EDGE) -> bool:
    """Whether a bootstrap interval of a coefficient bounded by 1 is too unstable to report bare.

    Flagged when ``hi - lo > max_width`` or when ``estimate`` lies within ``edge`` × width of
    either bound (or outside the interval). Missing values are never flagged.

    >>> unstable_interval(0.70, 0.68, 0.72), unstable_interval(0.85, 0.60, 0.86)
    (False, True)
    """
    vals = [estimate, lo, hi]
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in vals):
        return False
    estimate, lo, hi = map(float, vals)
    width = hi - lo
    if width > max_width:
        return True
    if width <= 0:
        return False
    position = (estimate - lo) / width
    return position < edge or position > 1 - edge


def configural_fits(row: Mapping[str, float]) -> bool:
    """Whether the configural model of an invariance sequence meets the fit criteria."""
    return judge_fit(row).fits
