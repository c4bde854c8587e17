"""The one number formatter of the formatted outputs (APA number style).

Every table writer and every result sentence formats numbers through this module: two
decimals; no leading zero for quantities bounded by 1 (p, r, beta, alpha, loadings, fit
indices); three decimals for p (``< .001`` below .001, never ``0``) and for small fit indices
and effect sizes; more decimals (up to four) for a small non-zero estimate or SE that would
print as ``0.00``; thousands separators for large values and counts (``n = 1,426``; none in
degrees of freedom, as APA 7 asks); counts as integers; the minus sign
U+2212 (never ``-0.00``). CSV files keep full
precision; nothing here computes a statistic.

Example
-------
>>> format_value(0.0234, "p"), format_value(-0.25, "std"), format_value(1995.0, "n_excluded")
('.023', '−.25', '1,995')
>>> format_value(1420, "df")
'1420'
>>> format_value(0.0004, "se"), format_value(-0.0001, "b"), format_value(-0.0004, "delta_cfi")
('0.0004', '−0.0001', '.000')
>>> p_text(0.0004), p_text(0.0234), p_text(float("nan"))
('p < .001', 'p = .023', 'p undefined')
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["MINUS", "minus", "BOUNDED", "P_COLUMNS", "THREE_DECIMALS", "INTEGER_COLUMNS", "is_missing", "format_value",
           "ci_text", "p_text", "significance_marks"]

#: The minus sign of formatted numbers (U+2212; LaTeX writers print it as ``$-$``). CSV files keep "-".
MINUS = "\u2212"

# Columns whose values cannot exceed 1 in absolute value: printed without a leading zero.
BOUNDED = frozenset({
    # p values, standardised coefficients, explained variance
    "p", "p_adj", "f_p", "beta", "r2", "adj_r2", "pseudo_r2", "nagelkerke_r2", "delta_r2", "delta_pseudo_r2",
    "sr2", "r", "std", "std_ci_lo", "std_ci_hi", "share", "share_significant",
    # reliability and item statistics
    "alpha", "alpha_ci_lo", "alpha_ci_hi", "std_alpha", "alpha_boot_ci_lo", "alpha_boot_ci_hi",
    "omega_total", "omega_h", "omega_total_ci_lo", "omega_total_ci_hi", "omega_h_ci_lo", "omega_h_ci_hi",
    "r_drop", "alpha_if_deleted", "missing_share", "mahalanobis_p",
    # fit indices and their changes
    "cfi", "tli", "rmsea", "rmsea_ci_lo", "rmsea_ci_hi", "srmr",
    "delta_cfi", "delta_tli", "delta_rmsea", "delta_srmr",
    # factor analysis
    "kmo", "msa", "h2", "u2", "congruence", "efa_loading", "efa_max_other", "efa_h2", "cfa_std",
    "cfa_std_ci_lo", "cfa_std_ci_hi", "proportion_var", "cumulative_var", "proportion_explained",
    "cumulative_proportion", "parallel_quantile", "cutoff",
})
# p values: three decimals, ``< .001`` for small p.
P_COLUMNS = frozenset({"p", "p_adj", "f_p", "mahalanobis_p", "p_diff", "bartlett_p"})
# Small quantities conventionally reported with three decimals: fit indices, their changes (the
# usual criteria are ΔCFI ≤ −.010, ΔRMSEA ≥ .015) and the small effect sizes of the outcome models.
THREE_DECIMALS = frozenset({"rmsea", "rmsea_ci_lo", "rmsea_ci_hi", "srmr", "sr2", "delta_r2", "delta_pseudo_r2",
                            "delta_cfi", "delta_tli", "delta_rmsea", "delta_srmr", "kmo", "congruence"})
# Counts (and other whole numbers) that a column with empty cells stores as float: printed as
# integers, without thousands separators. (This was once two sets, the second replacing the
# first, so that n_excluded, count, n_boot, imputations, block and the F test's df printed
# as 1,995.00.)
INTEGER_COLUMNS = frozenset({
    # sample sizes and exclusions
    "n", "n_excluded", "count", "n_efa", "n_cfa",
    # degrees of freedom and parameters
    "k", "df", "npar", "df1", "df2", "f_df1", "f_df2", "df_diff", "baseline_df", "bartlett_df",
    # resampling, imputation, hierarchical blocks, seeds
    "n_boot", "imputations", "block", "seed", "parallel_iterations",
    # factor counts
    "parallel_factors", "parallel_components", "n_factors", "factor",
})


#: Integer columns printed without digit grouping: degrees of freedom (APA 7, 6.38), parameter
#: and block counts, seeds. Other counts of 1,000 or more get commas (n = 1,426).
UNGROUPED_COLUMNS = frozenset({
    "k", "df", "npar", "df1", "df2", "f_df1", "f_df2", "df_diff", "baseline_df", "bartlett_df", "block", "seed",
    "parallel_factors", "parallel_components", "n_factors", "factor",
})


def is_missing(value: object) -> bool:
    """Whether a scalar cell is empty: ``None``, NaN, ``pd.NA`` or ``NaT``."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):   # not a scalar
        return False


def format_value(value: object, column: str) -> str:
    """Format one cell for humans (APA style) by the rules of its column.

    Parameters
    ----------
    value : object
        The cell as read from a result CSV (``int``, ``float``, ``bool``, ``str``, ``None`` or
        the NumPy scalar of one of them).
    column : str
        The machine name of the column (e.g. ``"p"``, ``"rmsea"``, ``"n_excluded"``): it selects
        the decimals, the leading zero and the integer style (see the column sets above).

    Returns
    -------
    str
        The formatted text; empty for a missing value.

    Examples
    --------
    >>> format_value(0.0004, "p"), format_value(0.0514, "rmsea"), format_value(197931.94, "chi2")
    ('< .001', '.051', '197,931.94')
    >>> format_value(0, "rmsea_ci_lo"), format_value(1, "cfi"), format_value(0, "p")
    ('.000', '1.00', '< .001')
    """
    if isinstance(value, np.generic):
        value = value.item()        # NumPy scalars (cells of a DataFrame row) as Python values
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) and column in P_COLUMNS | BOUNDED | THREE_DECIMALS:
        value = float(value)        # a whole number in a column of quantities (e.g. RMSEA 0 read back as int)
    if isinstance(value, int) or (hasattr(value, "is_integer") and column in INTEGER_COLUMNS
                                   and float(value).is_integer()):
        grouped = (column in INTEGER_COLUMNS or column.startswith("n_")) and column not in UNGROUPED_COLUMNS
        return minus(f"{int(value):,}" if grouped else f"{int(value)}")
    if isinstance(value, float):
        if math.isinf(value):
            return "∞" if value > 0 else f"{MINUS}∞"
        if column in P_COLUMNS:
            return "< .001" if value < 0.001 else f"{value:.3f}".replace("0.", ".", 1)
        decimals = 3 if column in THREE_DECIMALS else 2
        if column not in BOUNDED:
            # a small non-zero estimate or SE is not printed as 0.00: up to 4 decimals, then "< 0.0001"
            while decimals < 4 and value != 0 and round(abs(value), decimals) == 0:
                decimals += 1
            if value != 0 and round(abs(value), decimals) == 0:
                return f"< 0.{'0' * (decimals - 1)}1" if value > 0 else f"> {MINUS}0.{'0' * (decimals - 1)}1"
        text = f"{value:,.{decimals}f}"
        if column in BOUNDED and abs(value) <= 1:
            text = text.replace("0.", ".", 1)
        if text.startswith("-"):
            text = text[1:] if not text.strip("-.0,") else MINUS + text[1:]   # no "-.00"; a true minus sign
        return text
    return str(value)


def minus(text: str) -> str:
    """``text`` with a leading hyphen-minus replaced by the minus sign (U+2212).

    >>> minus("-0.25") == "\u22120.25", minus("12")
    (True, '12')
    """
    return MINUS + text[1:] if text.startswith("-") else text


def ci_text(lo: object, hi: object, column: str) -> str:
    """A confidence interval as ``[lo, hi]`` in the style of ``column``; empty if a bound is missing.

    >>> ci_text(0.26, 0.36, "r"), ci_text(float("nan"), 0.3, "r")
    ('[.26, .36]', '')
    """
    a, b = format_value(lo, column), format_value(hi, column)
    return f"[{a}, {b}]" if a and b else ""


def p_text(p: object) -> str:
    """A p value for a sentence: ``p = .023``, ``p < .001``, or ``p undefined`` when missing.

    Parameters
    ----------
    p : object
        The p value (a float, a NumPy float or a missing value).

    Returns
    -------
    str
        The p value with its relation sign, for running text.
    """
    if is_missing(p):
        return "p undefined"
    s = format_value(float(p), "p")
    return f"p {s}" if s.startswith("<") else f"p = {s}"


def significance_marks(p: object) -> str:
    """``*`` p < .05, ``**`` p < .01, ``***`` p < .001 (empty otherwise or when p is missing).

    >>> [significance_marks(p) for p in (0.2, 0.04, 0.009, 0.0009, None)]
    ['', '*', '**', '***', '']
    """
    if is_missing(p):
        return ""
    p = float(p)
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""
