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

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd

from attachstats.errors import ConfigError

__all__ = ["STYLES", "BRENNAN_1998", "StyleSpec", "classify", "style_spec", "study_styles", "STYLE_COLUMNS"]

STYLES = ["secure", "preoccupied", "dismissing", "fearful"]
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


@dataclass(frozen=True)
class StyleSpec:
    """Which scores to classify and how."""

    anxiety: str          # score column, e.g. ecr_anxiety
    avoidance: str        # score column, e.g. ecr_avoidance
    rule: str             # midpoint | median | brennan
    scale: tuple[int, int]


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
    """The (anxiety, avoidance) cut values of a rule; NaN for ``brennan`` (no single cut)."""
    lo, hi = scale
    if rule == "midpoint":
        m = (lo + hi) / 2.0
        return m, m
    if rule == "median":
        return float(anxiety.median()), float(avoidance.median())
    if rule == "brennan":
        if (lo, hi) != (1, 7):
            raise ConfigError(f"attachment_styles.rule 'brennan': Brennan et al.'s (1998) classification "
                              f"functions are for mean scores on the 7-point (1-7) ECR; this form runs {lo}-{hi}. "
                              "Use rule 'midpoint' or 'median'")
        return float("nan"), float("nan")
    raise ConfigError(f"attachment_styles.rule: unknown rule {rule!r} (expected midpoint, median or brennan)")


def style_spec(study: Mapping[str, Any]) -> StyleSpec | None:
    """The study's classification: its ``attachment_styles`` block, or else the first instrument
    block with ``anxiety`` and ``avoidance`` subscales under the midpoint rule; None if none."""
    from attachstats.spec.instrument import instrument_of

    cfg = dict(study.get("attachment_styles") or {})
    keys = [cfg["instrument"]] if "instrument" in cfg else list(study.get("instruments", {}))
    for key in keys:
        if key not in study.get("instruments", {}):
            raise ConfigError(f"study {study.get('name')!r}, attachment_styles.instrument: {key!r} is not one of "
                              f"the study's instrument blocks ({', '.join(study.get('instruments', {}))})")
        inst = instrument_of(study, key)
        if {"anxiety", "avoidance"} <= set(inst.subscales):
            rule = cfg.get("rule", "midpoint")
            if inst.scoring != "mean":
                raise ConfigError(f"study {study.get('name')!r}, attachment_styles: instrument block {key!r} is "
                                  "sum-scored; categories need mean scores")
            spec = StyleSpec(f"{key}_anxiety", f"{key}_avoidance", rule, (inst.min, inst.max))
            cut_points(pd.Series(dtype=float), pd.Series(dtype=float), rule, spec.scale)  # checks the rule now
            return spec
        if "instrument" in cfg:
            raise ConfigError(f"study {study.get('name')!r}, attachment_styles.instrument: block {key!r} "
                              f"({inst.id}) has no 'anxiety' and 'avoidance' subscales")
    return None


def study_styles(scores: pd.DataFrame, study: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Row-level categories (``id, attachment_style``) and the counts table of a study.

    The counts table has one row per category (secure, preoccupied, dismissing, fearful) and
    a ``not classified`` row for respondents missing a dimension score, so ``n`` sums to the
    number of analysed respondents. Without an anxiety/avoidance instrument both are empty.
    """
    spec = style_spec(study)
    if spec is None:
        return pd.DataFrame(columns=["id", "attachment_style"]), pd.DataFrame(columns=STYLE_COLUMNS)
    anx, av = scores[spec.anxiety], scores[spec.avoidance]
    style = classify(anx, av, spec.rule, spec.scale)
    cut_anx, cut_av = cut_points(anx, av, spec.rule, spec.scale)
    rule_text = {"midpoint": f"above the scale midpoint ({(spec.scale[0] + spec.scale[1]) / 2:g})",
                 "median": "above the sample median", "brennan": "Brennan et al. (1998) classification functions"}
    total = len(style)
    rows = []
    for name in STYLES + ["not classified"]:
        n = int(style.isna().sum()) if name == "not classified" else int((style == name).sum())
        anx_lv, av_lv = _HIGH.get(name, ("", ""))
        rows.append({"style": name, "anxiety": anx_lv, "avoidance": av_lv, "n": n,
                     "share": n / total if total else float("nan"), "rule": rule_text[spec.rule],
                     "anxiety_cut": cut_anx, "avoidance_cut": cut_av})
    return (pd.DataFrame({"id": scores["id"], "attachment_style": style}),
            pd.DataFrame(rows, columns=STYLE_COLUMNS))
