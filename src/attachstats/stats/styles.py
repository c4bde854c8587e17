"""Four attachment categories from the two dimensions (anxiety x avoidance).

Bartholomew & Horowitz (1991): secure (low anxiety, low avoidance), preoccupied (high, low),
dismissing (low, high), fearful (high, high). Three rules:

``midpoint`` (default)
    high = strictly above the midpoint of the response scale, ``(min + max) / 2`` (4 on a
    1-7 form, 3 on a 1-5 form); a score exactly at the midpoint counts as low.
``median``
    high = strictly above the sample median of that dimension (a median split).
``brennan``
    Brennan, Clark & Shaver's (1998) classification functions for mean scores on the
    7-point ECR: each category's linear function of avoidance and anxiety, the largest wins
    (ties go to the first of secure, fearful, preoccupied, dismissing). Refused for any form
    that is not mean-scored 1-7, because the coefficients were estimated on that metric.

Dimensional scores remain the primary analysis: categories discard information and cost
power (Fraley & Waller, 1998; taxometric evidence: Fraley et al., 2015).

Example
-------
>>> import pandas as pd
>>> s = pd.DataFrame({"anx": [2.0, 6.0, 2.0, 6.0], "avo": [2.0, 2.0, 6.0, 6.0]})
>>> classify(s["anx"], s["avo"], "midpoint", scale=(1, 7)).tolist()
['secure', 'preoccupied', 'dismissing', 'fearful']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attachstats.spec.styles import STYLES, check_rule

__all__ = ["BRENNAN_1998", "classify", "cut_points", "style_counts", "STYLE_COLUMNS"]

#: Brennan et al. (1998) classification functions: (avoidance weight, anxiety weight, constant).
#: Some copies print the secure constant as -1.5307833 (a typo) or 8.1776446 for fearful.
BRENNAN_1998 = {
    "secure": (3.2893296, 5.4725318, -11.5307833),
    "fearful": (7.2371075, 8.1776448, -32.3553266),
    "preoccupied": (3.9246754, 9.7102446, -28.4573220),
    "dismissing": (7.3654621, 4.9392039, -22.2281088),
}
_HIGH = {"secure": ("low", "low"), "preoccupied": ("high", "low"), "dismissing": ("low", "high"),
         "fearful": ("high", "high")}
#: Columns of the counts table (a public interface).
STYLE_COLUMNS = ["style", "anxiety", "avoidance", "n", "share", "rule", "anxiety_cut", "avoidance_cut"]


def classify(anxiety: pd.Series, avoidance: pd.Series, rule: str = "midpoint",
             scale: tuple[int, int] = (1, 7)) -> pd.Series:
    """Attachment category per respondent (string; missing where a dimension is missing).

    Parameters
    ----------
    anxiety, avoidance : Series
        Mean dimension scores, aligned.
    rule : {"midpoint", "median", "brennan"}
    scale : (min, max)
        Response range of the form (for the midpoint, and to refuse Brennan on other forms).
    """
    cuts = cut_points(anxiety, avoidance, rule, scale)
    ok = anxiety.notna() & avoidance.notna()
    out = pd.Series(pd.NA, index=anxiety.index, dtype="string")
    if rule == "brennan":
        names = list(BRENNAN_1998)
        f = np.column_stack([w_av * avoidance.to_numpy(float) + w_anx * anxiety.to_numpy(float) + c
                             for w_av, w_anx, c in BRENNAN_1998.values()])
        best = np.array(names, dtype=object)[np.argmax(np.where(np.isnan(f), -np.inf, f), axis=1)]
        out[ok] = best[ok.to_numpy()]
        return out
    hi_anx, hi_av = anxiety > cuts[0], avoidance > cuts[1]
    lookup = {(False, False): "secure", (True, False): "preoccupied", (False, True): "dismissing",
              (True, True): "fearful"}
    out[ok] = [lookup[(a, v)] for a, v in zip(hi_anx[ok], hi_av[ok])]
    return out


def cut_points(anxiety: pd.Series, avoidance: pd.Series, rule: str, scale: tuple[int, int]) -> tuple[float, float]:
    """The (anxiety, avoidance) cut values of a rule; NaN for ``brennan`` (no single cut).

    The rule and the form are checked by :func:`attachstats.spec.styles.check_rule`
    (a :class:`~attachstats.errors.ConfigError` for an unknown rule or Brennan on a form
    other than 1-7).
    """
    check_rule(rule, scale)
    lo, hi = scale
    if rule == "midpoint":
        m = (lo + hi) / 2.0
        return m, m
    if rule == "median":
        return float(anxiety.median()), float(avoidance.median())
    return float("nan"), float("nan")


def style_counts(anxiety: pd.Series, avoidance: pd.Series, rule: str = "midpoint",
                 scale: tuple[int, int] = (1, 7)) -> tuple[pd.Series, pd.DataFrame]:
    """Category per respondent and the counts table (columns :data:`STYLE_COLUMNS`).

    The counts table has one row per category (secure, preoccupied, dismissing, fearful) and
    a ``not classified`` row for respondents missing a dimension score, so ``n`` sums to the
    number of respondents.

    Example
    -------
    >>> s = pd.Series([2.0, 6.0, None])
    >>> style_counts(s, pd.Series([2.0, 2.0, 2.0]))[1]["n"].tolist()
    [1, 1, 0, 0, 1]
    """
    style = classify(anxiety, avoidance, rule, scale)
    cut_anx, cut_av = cut_points(anxiety, avoidance, rule, scale)
    rule_text = {"midpoint": f"above the scale midpoint ({(scale[0] + scale[1]) / 2:g})",
                 "median": "above the sample median", "brennan": "Brennan et al. (1998) classification functions"}
    total = len(style)
    rows = []
    for name in STYLES + ["not classified"]:
        n = int(style.isna().sum()) if name == "not classified" else int((style == name).sum())
        anx_lv, av_lv = _HIGH.get(name, ("", ""))
        rows.append({"style": name, "anxiety": anx_lv, "avoidance": av_lv, "n": n,
                     "share": n / total if total else float("nan"), "rule": rule_text[rule],
                     "anxiety_cut": cut_anx, "avoidance_cut": cut_av})
    return style, pd.DataFrame(rows, columns=STYLE_COLUMNS)
