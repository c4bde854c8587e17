"""Longitudinal latent-variable models: invariance across waves, latent change, RI-CLPM.

Each model is written as lavaan syntax by a generator (so the syntax can be printed, read
and refitted in R) and fitted by :func:`attachstats.stats.latent.api.sem` with the study's
estimator (ML or MLR) and missing-data treatment (``listwise`` or ``fiml``, which keeps the
people who left after wave 1 in the model). Variables at wave ``w`` are the linked data's
columns ``{variable}_{w}`` (:func:`attachstats.spec.waves.wave_column`).

**Longitudinal measurement invariance** (:func:`longitudinal_invariance_syntax`,
:func:`longitudinal_invariance`): one model for all waves, every factor measured at every
wave (factor ``{factor}_{w}``), all factors correlated, and the residuals of the same
indicator correlated across every pair of waves. The steps, as semTools'
``measEq.syntax(..., longFacNames = , long.equal = )`` writes them:

- ``configural``: the same pattern at every wave, nothing held equal;
- ``metric``: the loadings of each indicator equal across waves (``long.equal = "loadings"``);
- ``scalar``: loadings and intercepts equal (``c("loadings", "intercepts")``).

Identification ``marker`` (semTools ``ID.fac = "UL"`` for the loadings): each factor's first
loading is 1; latent means are 0 until the intercepts are held equal, then 0 at the first
wave and free at later ones. ``std.lv`` (``ID.fac = "std.lv"``): factor variances 1 at every
wave in the configural model, at the first wave only once the loadings are equal; means as
above. The two identifications give the same fit at every step (a test checks it).

The comparison of the steps is the between-group invariance comparison
(:func:`attachstats.stats.latent.comparison.compare_models`: Δχ² — the Satorra–Bentler
scaled difference under MLR —, ΔCFI, ΔRMSEA, ΔSRMR, ΔAIC, ΔBIC, each Δ = constrained −
less constrained).

**Latent change score model** (McArdle 2009; :func:`latent_change_syntax`): the later
wave's score is the earlier one plus a latent change ``delta``: ``post = 1·pre + 1·delta``
with ``delta`` having a mean (the average change), a variance (individual differences in
change) and a covariance with the initial level. With one observed score per wave the
model is saturated (df 0) and its mean change equals the observed mean difference; with
indicators per wave the levels are factors with scalar-invariant loadings and intercepts
(marker identification, level mean 0 at the first wave) and correlated same-item residuals,
and the change is in the marker indicator's units.

**Random-intercept cross-lagged panel model** (Hamaker, Kuiper & Grasman 2015;
:func:`riclpm_syntax`): each of two variables x, y at waves 1…T is its wave mean (free
intercepts) + a stable random intercept (``RI_x``, loadings 1 at every wave) + a within-
person deviation (``w{x}{t}``, the observed residual variance fixed at 0). The within parts
follow a first-order cross-lagged model (autoregressions ``w x_t ~ w x_{t−1}``, cross-lags
``w y_t ~ w x_{t−1}``), wave-1 within parts and later innovations correlated within wave,
the random intercepts correlated with each other and not with the wave-1 within parts. At
least three waves are needed (with two the model is not identified). ``constrained=True``
holds the lagged effects equal over time (labels ``a_x, a_y, c_xy, c_yx``).

Example
-------
>>> print(riclpm_syntax("x", "y", ["w1", "w2", "w3"]).splitlines()[0])
RI_x =~ 1*x_w1 + 1*x_w2 + 1*x_w3

R equivalent: ``lavaan::sem(syntax, data, meanstructure = TRUE, estimator = , missing = )``
with the syntax these functions write (the fixtures' R scripts in
``tests/fixtures/longitudinal`` fit the same models with semTools' and Mulder & Hamaker's
syntax).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

import pandas as pd

from attachstats.errors import ModelError
from attachstats.spec.waves import wave_column
from attachstats.stats.latent.api import SEMFit, sem
from attachstats.stats.latent.comparison import compare_models
from attachstats.stats.latent.fit_indices import FIT_STATISTICS

__all__ = ["LONGITUDINAL_STEPS", "LONG_INVARIANCE_COLUMNS", "LONG_LOADING_COLUMNS", "LATENT_CHANGE_COLUMNS",
           "RICLPM_COLUMNS", "longitudinal_invariance_syntax", "longitudinal_invariance", "parcel_items",
           "latent_change_syntax", "latent_change", "riclpm_syntax", "riclpm", "LongitudinalInvariance"]

#: The steps of longitudinal invariance and what each holds equal across waves.
LONGITUDINAL_STEPS = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts")}
#: Columns of :func:`longitudinal_invariance` (``longitudinal/invariance.csv``).
LONG_INVARIANCE_COLUMNS = ["step", "waves", "indicators", "identification", "estimator", *FIT_STATISTICS,
                           "chi2_diff", "df_diff", "p_diff", "delta_cfi", "delta_rmsea", "delta_srmr",
                           "delta_aic", "delta_bic"]
#: Columns of the loadings table of :func:`longitudinal_invariance`.
LONG_LOADING_COLUMNS = ["step", "factor", "wave", "indicator", "est", "se", "std"]
#: Columns of :func:`latent_change` (``longitudinal/latent_change.csv``).
LATENT_CHANGE_COLUMNS = ["score", "pre", "post", "indicators", "estimator", "n", "parameter", "est", "se", "z",
                         "p", "ci_lo", "ci_hi", "std", "chi2", "df", "cfi", "rmsea", "srmr"]
#: Columns of :func:`riclpm` (``longitudinal/riclpm.csv``).
RICLPM_COLUMNS = ["x", "y", "waves", "constrained", "estimator", "n", "parameter", "lhs", "op", "rhs", "from_wave",
                  "to_wave", "est", "se", "z", "p", "ci_lo", "ci_hi", "std", "chi2", "df", "cfi", "rmsea", "srmr"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def _check_names(names: Sequence[str], what: str) -> None:
    bad = [n for n in names if not _NAME.match(str(n))]
    if bad:
        raise ModelError(f"{what}: {', '.join(map(repr, bad))} cannot be a variable name in model syntax "
                         "(letters, digits, _ and . only, not starting with a digit)")


def _check_waves(waves: Sequence[str], need: int, what: str) -> list[str]:
    waves = [str(w) for w in waves]
    if len(set(waves)) != len(waves):
        raise ModelError(f"{what}: the waves {waves} repeat a name")
    if len(waves) < need:
        raise ModelError(f"{what} needs at least {need} waves, got {len(waves)} ({', '.join(waves) or 'none'})")
    _check_names(waves, what)
    return waves


def _label(*parts: str) -> str:
    return "_".join(re.sub(r"[^A-Za-z0-9_]", "_", p) for p in parts)


def longitudinal_invariance_syntax(factors: Mapping[str, Sequence[str]], waves: Sequence[str], step: str,
                                   identification: str = "marker") -> str:
    """lavaan syntax of one step of longitudinal measurement invariance.

    Parameters
    ----------
    factors : mapping
        Factor name → its indicators' names without the wave (``{"anxiety": ["ecr_2", "ecr_4"]}``);
        the indicator at wave ``w`` is ``{indicator}_{w}``, the factor ``{factor}_{w}``.
    waves : sequence of str
        The waves in order (the first is the reference wave).
    step : {"configural", "metric", "scalar"}
    identification : {"marker", "std.lv"}

    Returns
    -------
    str
        Model syntax for :func:`attachstats.stats.latent.api.sem` or ``lavaan::sem``; with
        ``std.lv`` fit it with ``std_lv=True`` (``std.lv = TRUE``), which frees the first
        loadings.

    Examples
    --------
    >>> s = longitudinal_invariance_syntax({"f": ["a", "b", "c"]}, ["w1", "w2"], "metric")
    >>> s.splitlines()[0]
    'f_w1 =~ 1*a_w1 + L_f_b*b_w1 + L_f_c*c_w1'

    R equivalent: ``semTools::measEq.syntax(config, data, longFacNames = , long.equal = )``.
    """
    if step not in LONGITUDINAL_STEPS:
        raise ModelError(f"longitudinal invariance: unknown step {step!r}; known: {', '.join(LONGITUDINAL_STEPS)}")
    if identification not in ("marker", "std.lv"):
        raise ModelError(f"longitudinal invariance: identification must be 'marker' or 'std.lv', "
                         f"got {identification!r}")
    waves = _check_waves(waves, 2, "longitudinal invariance")
    if not factors:
        raise ModelError("longitudinal invariance: no factor given")
    for f, items in factors.items():
        if len(items) < 2:
            raise ModelError(f"longitudinal invariance: factor {f!r} needs at least 2 indicators, got {len(items)}")
        _check_names([f, *items], "longitudinal invariance")
    equal = LONGITUDINAL_STEPS[step]
    marker = identification == "marker"
    lines: list[str] = []
    for w in waves:
        for f, items in factors.items():
            terms = []
            for k, it in enumerate(items):
                col = wave_column(it, w)
                if k == 0 and marker:
                    terms.append(f"1*{col}")
                elif "loadings" in equal:
                    terms.append(f"{_label('L', f, it)}*{col}")
                else:
                    terms.append(col)
            lines.append(f"{wave_column(f, w)} =~ " + " + ".join(terms))
    for k, w in enumerate(waves):
        for f, items in factors.items():
            fw = wave_column(f, w)
            if not marker and (k == 0 or "loadings" not in equal):
                lines.append(f"{fw} ~~ 1*{fw}")
            elif not marker:
                lines.append(f"{fw} ~~ NA*{fw}")
            lines.append(f"{fw} ~ 0*1" if k == 0 or "intercepts" not in equal else f"{fw} ~ NA*1")
            for it in items:
                lab = f"{_label('I', it)}*1" if "intercepts" in equal else "1"
                lines.append(f"{wave_column(it, w)} ~ {lab}")
    for items in factors.values():
        for it in items:
            for a in range(len(waves)):
                for b in range(a + 1, len(waves)):
                    lines.append(f"{wave_column(it, waves[a])} ~~ {wave_column(it, waves[b])}")
    return "\n".join(lines) + "\n"


def parcel_items(data: pd.DataFrame, factors: Mapping[str, Sequence[str]], waves: Sequence[str],
                 n_parcels: int = 3) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Parcels (item means) per factor and wave, the same items in a parcel at every wave.

    Item k (in the order given) of a factor goes to parcel ``k mod n_parcels`` (items spread
    evenly over the parcels: 18 items → parcels of 6); a parcel is the mean of its items that
    were answered at that wave (missing when none was). Returns the parcels as columns
    ``{factor}_p{j}_{w}`` and the mapping factor → parcel names (without the wave).
    R equivalent: ``rowMeans(data[, items_of_parcel], na.rm = TRUE)`` per wave.
    """
    if n_parcels < 2:
        raise ModelError(f"longitudinal invariance: parcels must be at least 2, got {n_parcels}")
    out = pd.DataFrame(index=data.index)
    names: dict[str, list[str]] = {}
    for f, items in factors.items():
        if len(items) < n_parcels:
            raise ModelError(f"longitudinal invariance: factor {f!r} has {len(items)} items, fewer than "
                             f"{n_parcels} parcels")
        names[f] = [f"{f}_p{j + 1}" for j in range(n_parcels)]
        for w in waves:
            for j in range(n_parcels):
                cols = [wave_column(it, w) for it in list(items)[j::n_parcels]]
                missing = [c for c in cols if c not in data.columns]
                if missing:
                    raise ModelError(f"longitudinal invariance: the linked data have no column(s) {', '.join(missing)}")
                out[wave_column(names[f][j], w)] = data[cols].astype(float).mean(axis=1, skipna=True)
    return out, names


@dataclass
class LongitudinalInvariance:
    """The invariance steps across waves: the comparison table, loadings, fits and syntax."""

    table: pd.DataFrame
    loadings: pd.DataFrame
    fits: dict[str, SEMFit]
    syntax: dict[str, str]


def _columns_of(factors: Mapping[str, Sequence[str]], waves: Sequence[str]) -> list[str]:
    return [wave_column(it, w) for w in waves for items in factors.values() for it in items]


def _model_data(data: pd.DataFrame, columns: list[str], what: str) -> pd.DataFrame:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ModelError(f"{what}: the linked data have no column(s) {', '.join(missing)}")
    d = data[columns].apply(pd.to_numeric, errors="coerce").astype(float)
    return d[d.notna().any(axis=1)]         # people with nothing at any wave add nothing (FIML) — counted by caller


def longitudinal_invariance(data: pd.DataFrame, factors: Mapping[str, Sequence[str]], waves: Sequence[str],
                            estimator: str = "ML", missing: str = "listwise", identification: str = "marker",
                            steps: Sequence[str] = ("configural", "metric", "scalar"),
                            indicators: str = "items") -> LongitudinalInvariance:
    """Fit configural, metric and scalar invariance across waves and compare them.

    Parameters
    ----------
    data : DataFrame
        Linked wide data (columns ``{indicator}_{wave}``).
    factors, waves, identification
        As :func:`longitudinal_invariance_syntax`.
    estimator : {"ML", "MLR"}
    missing : {"listwise", "fiml"}
    steps : sequence of str
        In order; each is compared with the one before.
    indicators : str
        Description copied into the table (``items`` or ``3 parcels``).

    Returns
    -------
    LongitudinalInvariance
        ``table`` (:data:`LONG_INVARIANCE_COLUMNS`, one row per step; the Δ columns empty
        for the first), ``loadings`` (:data:`LONG_LOADING_COLUMNS`), the fits and syntax.

    Examples
    --------
    R: ``lavaan::cfa(semTools::measEq.syntax(..., longFacNames = , long.equal = ), data)``
    and ``semTools::compareFit``.
    """
    waves = _check_waves(waves, 2, "longitudinal invariance")
    cols = _columns_of(factors, waves)
    d = _model_data(data, cols, "longitudinal invariance")
    fits: dict[str, SEMFit] = {}
    syntax: dict[str, str] = {}
    for s in steps:
        syntax[s] = longitudinal_invariance_syntax(factors, waves, s, identification)
        fits[s] = sem(syntax[s], d, estimator=estimator, missing=missing, meanstructure=True,
                      std_lv=identification == "std.lv", name=s)
    rows = []
    fit_rows = {s: fits[s].fit_row() for s in steps}
    prev = None
    for s in steps:
        f = fit_rows[s]
        row = {"step": s, "waves": ", ".join(waves), "indicators": indicators, "identification": identification,
               "estimator": f["estimator"], **{k: f[k] for k in FIT_STATISTICS}}
        if prev is None:
            row.update({k: math.nan for k in LONG_INVARIANCE_COLUMNS[5 + len(FIT_STATISTICS):]})
        else:
            c = compare_models([fit_rows[prev], f], [(s, prev)]).iloc[0]
            row.update({"chi2_diff": c["chi2_diff"], "df_diff": c["df_diff"], "p_diff": c["p"],
                        **{f"delta_{k}": c[f"delta_{k}"] for k in ("cfi", "rmsea", "srmr", "aic", "bic")}})
        rows.append(row)
        prev = s
    lrows = []
    for s in steps:
        p = fits[s].parameters()
        p = p[p["op"] == "=~"]
        for r in p.to_dict("records"):
            f, w = _split_wave(r["lhs"], waves)
            lrows.append({"step": s, "factor": f, "wave": w, "indicator": _split_wave(r["rhs"], waves)[0],
                          "est": r["est"], "se": r["se"], "std": r["std.all"]})
    return LongitudinalInvariance(table=pd.DataFrame(rows, columns=LONG_INVARIANCE_COLUMNS),
                                  loadings=pd.DataFrame(lrows, columns=LONG_LOADING_COLUMNS), fits=fits,
                                  syntax=syntax)


def _split_wave(name: str, waves: Sequence[str]) -> tuple[str, str]:
    for w in waves:
        if name.endswith("_" + w):
            return name[: -len(w) - 1], w
    return name, ""


def latent_change_syntax(pre: Sequence[str], post: Sequence[str], level: str = "level", change: str = "delta") -> str:
    """lavaan syntax of a latent change score model between two waves.

    Parameters
    ----------
    pre, post : sequence of str
        The columns measuring the score at the first and the second wave, in the same order:
        one each (an observed score: the model is saturated) or several (indicators of a
        factor per wave, held scalar invariant, same-indicator residuals correlated).
    level, change : str
        Names of the initial level and the latent change.

    Examples
    --------
    >>> print(latent_change_syntax(["x_w1"], ["x_w2"]))
    level_1 =~ 1*x_w1
    level_2 =~ 1*x_w2
    level_2 ~ 1*level_1
    delta =~ 1*level_2
    level_2 ~~ 0*level_2
    level_2 ~ 0*1
    level_1 ~ NA*1
    delta ~ NA*1
    level_1 ~~ NA*level_1
    delta ~~ NA*delta
    delta ~~ level_1
    x_w1 ~ 0*1
    x_w2 ~ 0*1
    x_w1 ~~ 0*x_w1
    x_w2 ~~ 0*x_w2
    <BLANKLINE>

    R equivalent: the same syntax in ``lavaan::sem(..., meanstructure = TRUE)`` (McArdle 2009).
    """
    if len(pre) != len(post) or not pre:
        raise ModelError(f"latent change: the pre and post indicators must pair up, got {len(pre)} and {len(post)}")
    _check_names([*pre, *post, level, change], "latent change")
    l1, l2 = f"{level}_1", f"{level}_2"
    single = len(pre) == 1
    if single:
        lines = [f"{l1} =~ 1*{pre[0]}", f"{l2} =~ 1*{post[0]}"]
    else:
        labs = [None] + [f"L{k + 1}" for k in range(1, len(pre))]
        lines = [f"{lv} =~ " + " + ".join(f"1*{c}" if labs[k] is None else f"{labs[k]}*{c}"
                                          for k, c in enumerate(cols))
                 for lv, cols in ((l1, pre), (l2, post))]
    lines += [f"{l2} ~ 1*{l1}", f"{change} =~ 1*{l2}", f"{l2} ~~ 0*{l2}", f"{l2} ~ 0*1"]
    lines += [f"{l1} ~ {'NA' if single else '0'}*1", f"{change} ~ NA*1", f"{l1} ~~ NA*{l1}",
              f"{change} ~~ NA*{change}", f"{change} ~~ {l1}"]
    if single:
        lines += [f"{pre[0]} ~ 0*1", f"{post[0]} ~ 0*1", f"{pre[0]} ~~ 0*{pre[0]}", f"{post[0]} ~~ 0*{post[0]}"]
    else:
        for k, (a, b) in enumerate(zip(pre, post)):
            lab = f"I{k + 1}*1"
            lines += [f"{a} ~ {lab}", f"{b} ~ {lab}", f"{a} ~~ {b}"]
    return "\n".join(lines) + "\n"


def _estimates(r: Mapping) -> dict:
    return {"est": r["est"], "se": r["se"], "z": r["z"], "p": r["pvalue"], "ci_lo": r["ci.lower"],
            "ci_hi": r["ci.upper"], "std": r["std.all"]}


def _fit_summary(fit: SEMFit) -> dict:
    f = fit.fit_row()
    return {"estimator": f["estimator"], "n": f["n"], "chi2": f["chi2"], "df": f["df"], "cfi": f["cfi"],
            "rmsea": f["rmsea"], "srmr": f["srmr"]}


def latent_change(data: pd.DataFrame, pre: Sequence[str], post: Sequence[str], score: str = "",
                  pre_wave: str = "", post_wave: str = "", estimator: str = "ML",
                  missing: str = "listwise") -> tuple[pd.DataFrame, SEMFit, str]:
    """Fit :func:`latent_change_syntax` and report the change parameters.

    Returns
    -------
    table : DataFrame
        Columns :data:`LATENT_CHANGE_COLUMNS`, rows ``parameter`` = ``mean_level`` (mean at
        the first wave: observed score only; 0 by identification with indicators),
        ``mean_change``, ``var_level``, ``var_change``, ``cov_level_change`` (``std`` of this
        row: the correlation of level and change).
    fit : SEMFit
    syntax : str

    R equivalent: ``lavaan::sem(syntax, data, meanstructure = TRUE)`` +
    ``parameterEstimates(fit, standardized = TRUE)``.
    """
    syntax = latent_change_syntax(pre, post)
    d = _model_data(data, [*pre, *post], "latent change")
    fit = sem(syntax, d, estimator=estimator, missing=missing, meanstructure=True, name="latent_change")
    p = fit.parameters()
    key = {("level_1", "~1", ""): "mean_level", ("delta", "~1", ""): "mean_change",
           ("level_1", "~~", "level_1"): "var_level", ("delta", "~~", "delta"): "var_change",
           ("delta", "~~", "level_1"): "cov_level_change", ("level_1", "~~", "delta"): "cov_level_change"}
    base = {"score": score, "pre": pre_wave, "post": post_wave,
            "indicators": "score" if len(pre) == 1 else f"{len(pre)} indicators", **_fit_summary(fit)}
    rows = []
    for r in p.to_dict("records"):
        name = key.get((r["lhs"], r["op"], r["rhs"]))
        if name is None or (name == "mean_level" and len(pre) > 1):
            continue
        rows.append({**base, "parameter": name, **_estimates(r)})
    order = ["mean_level", "mean_change", "var_level", "var_change", "cov_level_change"]
    table = pd.DataFrame(rows, columns=LATENT_CHANGE_COLUMNS)
    table = table.set_index("parameter").loc[[o for o in order if o in set(table["parameter"])]].reset_index()
    return table[LATENT_CHANGE_COLUMNS], fit, syntax


def riclpm_syntax(x: str, y: str, waves: Sequence[str], constrained: bool = False) -> str:
    """lavaan syntax of the RI-CLPM for ``x`` and ``y`` over ``waves`` (Hamaker et al. 2015).

    Within-person parts are named ``w{x}_{wave}``/``w{y}_{wave}``; random intercepts
    ``RI_{x}``/``RI_{y}``. With ``constrained`` the autoregressions and cross-lags carry the
    labels ``a_x``, ``a_y``, ``c_xy`` (x → later y) and ``c_yx`` and are equal over time.

    R equivalent: the lavaan code of Mulder & Hamaker (2021), ``lavaan(RICLPM, data,
    meanstructure = TRUE, int.ov.free = TRUE)``.
    """
    waves = _check_waves(waves, 3, "the RI-CLPM")
    _check_names([x, y], "the RI-CLPM")
    if x == y:
        raise ModelError(f"the RI-CLPM needs two different variables, got {x!r} twice")
    wx = [wave_column(f"w{x}", w) for w in waves]
    wy = [wave_column(f"w{y}", w) for w in waves]
    ox = [wave_column(x, w) for w in waves]
    oy = [wave_column(y, w) for w in waves]
    lines = [f"RI_{x} =~ " + " + ".join(f"1*{c}" for c in ox), f"RI_{y} =~ " + " + ".join(f"1*{c}" for c in oy)]
    lines += [f"{a} =~ 1*{b}" for a, b in zip(wx + wy, ox + oy)]
    for t in range(1, len(waves)):
        ax, ay, cxy, cyx = (("a_x*", "a_y*", "c_xy*", "c_yx*") if constrained else ("", "", "", ""))
        lines.append(f"{wx[t]} ~ {ax}{wx[t - 1]} + {cyx}{wy[t - 1]}")
        lines.append(f"{wy[t]} ~ {cxy}{wx[t - 1]} + {ay}{wy[t - 1]}")
    lines += [f"{a} ~~ {b}" for a, b in zip(wx, wy)]
    lines += [f"{a} ~~ {a}" for a in wx + wy]
    lines += [f"RI_{x} ~~ RI_{x}", f"RI_{y} ~~ RI_{y}", f"RI_{x} ~~ RI_{y}"]
    lines += [f"RI_{v} ~~ 0*{a}" for v in (x, y) for a in (wx[0], wy[0])]
    lines += [f"{c} ~~ 0*{c}" for c in ox + oy]
    lines += [f"{c} ~ 1" for c in ox + oy]
    return "\n".join(lines) + "\n"


def riclpm(data: pd.DataFrame, x: str, y: str, waves: Sequence[str], constrained: bool = False,
           estimator: str = "ML", missing: str = "listwise") -> tuple[pd.DataFrame, SEMFit, str]:
    """Fit the RI-CLPM and report its structural parameters.

    Returns
    -------
    table : DataFrame
        Columns :data:`RICLPM_COLUMNS`; ``parameter`` is ``autoregression_x``,
        ``autoregression_y``, ``crosslag_xy`` (x at ``from_wave`` → y at ``to_wave``),
        ``crosslag_yx``, ``within_cov`` (wave-1 covariance, later: of the innovations),
        ``ri_var_x``, ``ri_var_y``, ``ri_cov`` (``std``: their correlation).
    fit : SEMFit
    syntax : str

    R equivalent: ``lavaan::sem(riclpm_syntax(...), data, meanstructure = TRUE)`` +
    ``parameterEstimates(fit, standardized = TRUE)``.
    """
    syntax = riclpm_syntax(x, y, waves, constrained)
    d = _model_data(data, [wave_column(v, w) for w in waves for v in (x, y)], "the RI-CLPM")
    fit = sem(syntax, d, estimator=estimator, missing=missing, meanstructure=True, name="riclpm")
    p = fit.parameters()
    base = {"x": x, "y": y, "waves": ", ".join(waves), "constrained": bool(constrained), **_fit_summary(fit)}
    wav = {wave_column(f"w{v}", w): (v, w) for w in waves for v in (x, y)}
    rows = []
    for r in p.to_dict("records"):
        lhs, op, rhs = r["lhs"], r["op"], r["rhs"]
        name, fw, tw = None, "", ""
        if op == "~" and lhs in wav and rhs in wav:
            (vl, tw), (vr, fw) = wav[lhs], wav[rhs]
            name = (f"autoregression_{'x' if vl == x else 'y'}" if vl == vr
                    else ("crosslag_xy" if vr == x else "crosslag_yx"))
        elif op == "~~" and lhs in wav and rhs in wav and lhs != rhs:
            name, tw = "within_cov", wav[lhs][1]
        elif op == "~~" and lhs.startswith("RI_") and rhs.startswith("RI_"):
            name = "ri_cov" if lhs != rhs else ("ri_var_x" if lhs == f"RI_{x}" else "ri_var_y")
        if name is None:
            continue
        rows.append({**base, "parameter": name, "lhs": lhs, "op": op, "rhs": rhs, "from_wave": fw,
                     "to_wave": tw, **_estimates(r)})
    return pd.DataFrame(rows, columns=RICLPM_COLUMNS), fit, syntax
