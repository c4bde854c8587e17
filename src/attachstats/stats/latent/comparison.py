"""Comparison of nested CFA models: likelihood-ratio test and differences in fit.

For a restricted model R nested in a more general model G (e.g. one factor in two; two
factors in two factors plus a method factor), fitted to the same rows with the same
estimator, :func:`compare_models` reports lavaan's ``lavTestLRT(G, R)``:

- ML and FIML: Δχ² = χ²_R − χ²_G on Δdf = df_R − df_G (the difference of the ML
  statistics, which equals 2·(logL_G − logL_R));
- MLR: the Satorra–Bentler (2001) scaled difference, lavaan's default for a scaled test:
  c_d = (df_R·c_R − df_G·c_G) / Δdf and Δχ² = (χ²_ML,R − χ²_ML,G) / c_d, with c the models'
  scaling factors; ``scaling_diff`` reports c_d (a negative c_d, possible in small samples,
  makes the test undefined: NaN);

WLSMV: no test (``chi2_diff``, ``p`` NaN; lavaan's ``satorra.2000`` difference test is not
implemented), the df and fit-index differences only;

and the differences of AIC, BIC, CFI, TLI, RMSEA and SRMR, each Δ = R − G (negative ΔCFI
or positive ΔAIC mean the restricted model fits worse). The p value of Δχ² is a
conventional reference only when R lies on the boundary of G (a correlation of 1, a method
factor variance of 0): such tests are conservative (Stoel et al., 2006).
"""

from __future__ import annotations

import math
from typing import Sequence

import pandas as pd

from attachstats.errors import ModelError
from attachstats.stats.latent.fit_indices import chi2_pvalue

__all__ = ["COMPARISON_COLUMNS", "compare_models"]

#: Columns of :func:`compare_models` (``tables/cfa_comparison.csv``).
COMPARISON_COLUMNS = ["restricted", "general", "estimator", "n", "chi2_diff", "df_diff", "p",
                      "scaling_diff", "delta_aic", "delta_bic", "delta_cfi", "delta_tli",
                      "delta_rmsea", "delta_srmr"]


def compare_models(fits: Sequence[dict], pairs: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """Likelihood-ratio tests and fit differences of nested pairs of fitted models.

    Parameters
    ----------
    fits : sequence of dict
        Fit dictionaries (``CFAResult.fit``, keys of
        :data:`attachstats.stats.latent.fit_indices.FIT_COLUMNS`).
    pairs : sequence of (restricted, general)
        Model names; the restricted model must have more degrees of freedom.

    Returns
    -------
    DataFrame
        Columns :data:`COMPARISON_COLUMNS`, one row per pair.

    Raises
    ------
    ModelError
        A name without a fit, models fitted with different estimators or to different
        numbers of rows, or a "restricted" model with no more df than the general one.

    Examples
    --------
    >>> a = dict(model="a", estimator="ML", n=100, chi2=30.0, df=10, chi2_ml=30.0,
    ...          scaling_factor=float("nan"), aic=1030.0, bic=1060.0, cfi=.9, tli=.88,
    ...          rmsea=.1, srmr=.06)
    >>> b = dict(a, model="b", chi2=12.0, df=9, chi2_ml=12.0, aic=1014.0, bic=1046.0, cfi=.99)
    >>> float(round(compare_models([a, b], [("a", "b")]).loc[0, "chi2_diff"], 6))
    18.0
    """
    by_name = {f["model"]: f for f in fits}
    rows = []
    for restricted, general in pairs:
        missing = [m for m in (restricted, general) if m not in by_name]
        if missing:
            raise ModelError(f"model comparison: no fitted model named {', '.join(missing)} "
                             f"(fitted: {', '.join(by_name)})")
        r, g = by_name[restricted], by_name[general]
        if r["estimator"] != g["estimator"] or r["n"] != g["n"]:
            raise ModelError(f"model comparison {restricted} vs {general}: fitted with different "
                             f"estimators or rows ({r['estimator']}, n = {r['n']}; "
                             f"{g['estimator']}, n = {g['n']})")
        ddf = r["df"] - g["df"]
        if ddf <= 0:
            raise ModelError(f"model comparison: {restricted!r} (df = {r['df']}) is not more "
                             f"restricted than {general!r} (df = {g['df']})")
        cd = math.nan
        if r["estimator"] == "MLR":
            cd = (r["df"] * r["scaling_factor"] - g["df"] * g["scaling_factor"]) / ddf
            dx = (r["chi2_ml"] - g["chi2_ml"]) / cd if cd > 0 else math.nan
        elif r["estimator"] == "WLSMV":
            dx = math.nan          # the DWLS difference test (Satorra 2000) is not implemented
        else:
            dx = r["chi2_ml"] - g["chi2_ml"]
        rows.append({"restricted": restricted, "general": general, "estimator": r["estimator"],
                     "n": r["n"], "chi2_diff": dx, "df_diff": ddf,
                     "p": chi2_pvalue(max(dx, 0.0), ddf) if math.isfinite(dx) else math.nan,
                     "scaling_diff": cd,
                     **{f"delta_{k}": r[k] - g[k] for k in ("aic", "bic", "cfi", "tli", "rmsea", "srmr")}})
    return pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
