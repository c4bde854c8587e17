"""Results paragraphs of the longitudinal analyses, from their result tables.

:func:`longitudinal_paragraphs` writes one paragraph per analysis the study ran —
invariance across waves, change with d_z/d_av and the reliable-change shares, the latent
change score model, the lagged moderation with its simple slopes and Johnson–Neyman region,
the RI-CLPM — as plain sentences (APA numbers by :mod:`attachstats.output.numbers`, names by
the study's labels). :func:`longitudinal_markdown` joins them under a heading; the
``longitudinal_text`` rule writes that to ``longitudinal/results.md`` and the manuscript
includes the file when it exists (:func:`manuscript_section`). Nothing here computes a statistic.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from attachstats.output.figures.longitudinal import wave_labels
from attachstats.output.labels import in_text
from attachstats.output.numbers import ci_text, format_value, is_missing, minus, p_text
from attachstats.output.apa import TableModel
from attachstats.output.report.manuscript import Figure, Manuscript, Paragraph, Section, Table

__all__ = ["longitudinal_paragraphs", "longitudinal_markdown", "manuscript_section", "add_to_manuscript",
           "invariance_table", "change_table", "HEADING", "FIGURE_CAPTIONS"]

#: Captions of the longitudinal figures in the manuscript (file stem → caption).
FIGURE_CAPTIONS = {
    "spaghetti": "Individual trajectories of a random sample of respondents (grey) and the mean with its 95% "
                 "confidence interval at each wave.",
    "jacobson_truax": "Scores at the two waves of the first change analysis: the identity line (no change) and the "
                      "limits of reliable change (|RCI| = 1.96){cutoff}, each respondent coloured by the reliable "
                      "change category.",
    "lagged_interaction": "The lagged interaction: the predicted outcome at the later wave by the focal predictor "
                          "at the moderator's mean and 1 SD below and above it (left) and the slope of the focal "
                          "predictor across the observed range of the moderator with the Johnson–Neyman region "
                          "(right).",
}

HEADING = "Change across waves"

#: How each paragraph of :func:`longitudinal_paragraphs` begins (the manuscript cites its
#: table and figures at the end of the paragraph that starts so).
INVARIANCE_OPENING = "Measurement invariance of the instrument across the waves"
LAGGED_OPENING = "Controlling for the earlier level of the outcome"
RICLPM_OPENING = "A random-intercept cross-lagged panel model"

#: Reliability methods of ``change.csv`` in words.
RELIABILITY_WORDS = {"alpha": "Cronbach's α", "omega": "McDonald's ω total"}


def _f(v: Any, column: str) -> str:
    return minus(format_value(v, column))


def _wave(w: str, waves: Mapping[str, str]) -> str:
    return waves.get(w, w)


def _invariance(t: pd.DataFrame, waves: Mapping[str, str]) -> str:
    if t.empty:
        return ""
    first = t.iloc[0]
    names = ", ".join(_wave(w.strip(), waves) for w in str(first["waves"]).split(","))
    parts = [f"{INVARIANCE_OPENING} ({names}; {first['indicators']}, "
             f"{first['estimator']}) was tested by comparing nested models."]
    for r in t.itertuples():
        s = (f"The {r.step} model fitted with χ²({int(r.df)}) = {_f(r.chi2, 'chi2')}, CFI = {_f(r.cfi, 'cfi')}, "
             f"RMSEA = {_f(r.rmsea, 'rmsea')}")
        if not is_missing(r.chi2_diff):
            s += (f"; against the previous step Δχ²({int(r.df_diff)}) = {_f(r.chi2_diff, 'chi2')}, "
                  f"{p_text(r.p_diff)}, ΔCFI = {_f(r.delta_cfi, 'delta_cfi')}, "
                  f"ΔRMSEA = {_f(r.delta_rmsea, 'delta_rmsea')}")
        parts.append(s + ".")
    return " ".join(parts)


def _change(c: pd.DataFrame, shares: pd.DataFrame, labels: Mapping[str, str], waves: Mapping[str, str]) -> str:
    out = []
    for r in c.itertuples():
        name = r.label or labels.get(r.score, r.score)
        s = (f"{name} changed from M = {_f(r.mean_pre, 'mean')} ({_wave(r.pre, waves)}) to "
             f"M = {_f(r.mean_post, 'mean')} ({_wave(r.post, waves)}), a mean change of {_f(r.mean_diff, 'b')} "
             f"{ci_text(r.diff_ci_lo, r.diff_ci_hi, 'b')}, t({int(r.df)}) = {_f(r.t, 't')}, {p_text(r.p)}, "
             f"n = {int(r.n)}; d_z = {_f(r.d_z, 'd')} {ci_text(r.d_z_ci_lo, r.d_z_ci_hi, 'd')}, "
             f"d_av = {_f(r.d_av, 'd')} {ci_text(r.d_av_ci_lo, r.d_av_ci_hi, 'd')}.")
        sh = shares[(shares["score"] == r.score) & (shares["pre"] == r.pre) & (shares["post"] == r.post)]
        rel = sh[sh["classification"] == "reliable"].set_index("category")
        if len(rel):
            s += (f" With a reliability of {_f(r.reliability, 'alpha')} ({_reliability_words(r.reliability_method, waves)}), "
                  f"the reliable change "
                  f"index (Jacobson & Truax, 1991) classified {_pct(rel, 'improved')} as reliably improved, "
                  f"{_pct(rel, 'unchanged')} as unchanged and {_pct(rel, 'deteriorated')} as reliably deteriorated.")
        clin = sh[sh["classification"] == "clinical"].set_index("category")
        if len(clin) and not is_missing(r.cutoff):
            s += (f" Against the cut-off of {_f(r.cutoff, 'mean')}, {_pct(clin, 'recovered')} recovered "
                  f"(reliable improvement and crossing the cut-off).")
        out.append(s)
        if r.n_dropped:
            out.append(f"{int(r.n_dropped)} respondents without both scores were not included in this comparison.")
    return " ".join(out)


def _reliability_words(method: Any, waves: Mapping[str, str]) -> str:
    """``alpha at w1`` → ``Cronbach's α at Wave 1 (baseline)``; ``stated`` → ``as stated in the study file``.

    >>> _reliability_words("omega at w1", {"w1": "Wave 1"})
    "McDonald's ω total at Wave 1"
    """
    kind, _, wave = str(method).partition(" at ")
    if kind == "stated":
        return "as stated in the study file"
    return f"{RELIABILITY_WORDS.get(kind, kind)}" + (f" at {_wave(wave, waves)}" if wave else "")


def _pct(t: pd.DataFrame, cat: str) -> str:
    if cat not in t.index:
        return "0 (0%)"
    row = t.loc[cat]
    return f"{int(row['n'])} ({100 * float(row['share']):.1f}%)"


def _latent_change(t: pd.DataFrame, labels: Mapping[str, str], waves: Mapping[str, str]) -> str:
    out = []
    for (score, pre, post), g in t.groupby(["score", "pre", "post"], sort=False):
        g = g.set_index("parameter")
        m = g.loc["mean_change"]
        s = (f"In a latent change score model of {in_text(labels.get(score, score))} ({m['indicators']}; "
             f"{_wave(pre, waves)} to {_wave(post, waves)}), the mean latent change was {_f(m['est'], 'b')} "
             f"{ci_text(m['ci_lo'], m['ci_hi'], 'b')}, {p_text(m['p'])}")
        if "var_change" in g.index:
            v = g.loc["var_change"]
            s += f"; people differed in change (variance {_f(v['est'], 'b')}, {p_text(v['p'])})"
        if "cov_level_change" in g.index:
            c = g.loc["cov_level_change"]
            s += f", and change correlated r = {_f(c['std'], 'r')} with the initial level"
        if int(m["df"]) > 0:
            s += f" (model fit χ²({int(m['df'])}) = {_f(m['chi2'], 'chi2')}, CFI = {_f(m['cfi'], 'cfi')}, RMSEA = {_f(m['rmsea'], 'rmsea')})"
        out.append(s + ".")
    return " ".join(out)


def _lagged(coef: pd.DataFrame, slopes: pd.DataFrame, jn: pd.DataFrame, fit: pd.DataFrame,
            labels: Mapping[str, str]) -> str:
    out = []
    for model, s in slopes.groupby("model", sort=False):
        focal, mod, outcome = s["focal"].iloc[0], s["moderator"].iloc[0], s["outcome"].iloc[0]
        c = coef[coef["model"] == model].set_index("term")
        inter = c.loc[f"{focal}:{mod}"] if f"{focal}:{mod}" in c.index else None
        fl, ml, ol = (in_text(labels.get(v, v)) for v in (focal, mod, outcome))
        n = fit.loc[fit["model"] == model, "n"]
        text = (f"Controlling for the earlier level of the outcome, {ol} was regressed on {fl}, {ml} and their "
                f"interaction (n = {int(n.iloc[0]) if len(n) else ''}, HC3 standard errors)")
        if inter is not None:
            text += (f": the {fl} × {ml} interaction was b = {_f(inter['b'], 'b')} "
                     f"{ci_text(inter['ci_lo'], inter['ci_hi'], 'b')}, {p_text(inter['p'])}")
        parts = []
        for r in s.itertuples():
            at = {"-1 SD": "1 SD below the mean", "mean": "the mean", "+1 SD": "1 SD above the mean"}[r.at]
            parts.append(f"b = {_f(r.slope, 'b')} {ci_text(r.ci_lo, r.ci_hi, 'b')}, {p_text(r.p)} at {at} "
                         f"({_f(r.moderator_value, 'mean')})")
        text += f". The simple slopes of {fl} were " + "; ".join(parts) + "."
        j = jn[jn["model"] == model]
        if len(j):
            j = j.iloc[0]
            region = j["region_observed"]
            where = {"everywhere": "across the whole observed range", "nowhere": "nowhere in the observed range",
                     "above": f"above {_f(j['lower_observed'], 'mean')}",
                     "below": f"below {_f(j['lower_observed'], 'mean')}",
                     "inside": f"between {_f(j['lower_observed'], 'mean')} and {_f(j['upper_observed'], 'mean')}",
                     "outside": f"below {_f(j['lower_observed'], 'mean')} and above {_f(j['upper_observed'], 'mean')}",
                     }.get(region, region)
            text += (f" By the Johnson–Neyman technique, within the observed range of {ml} "
                     f"({_f(j['moderator_min'], 'mean')} to {_f(j['moderator_max'], 'mean')}) the slope of {fl} "
                     f"was significant {where}.")
        out.append(text)
    return " ".join(out)


def _riclpm(t: pd.DataFrame, fit: pd.DataFrame, labels: Mapping[str, str], waves: Mapping[str, str]) -> str:
    out = []
    for (x, y), g in t.groupby(["x", "y"], sort=False):
        xl, yl = (in_text(labels.get(v, v)) for v in (x, y))
        first = g.iloc[0]
        s = (f"{RICLPM_OPENING} (Hamaker et al., 2015) of {xl} and {yl} over "
             f"{len(str(first['waves']).split(','))} waves (χ²({int(first['df'])}) = {_f(first['chi2'], 'chi2')}, "
             f"CFI = {_f(first['cfi'], 'cfi')}, RMSEA = {_f(first['rmsea'], 'rmsea')}) separated stable differences "
             f"between people from within-person change.")
        ri = g[g["parameter"] == "ri_cov"]
        neg = g[g["parameter"].isin(["ri_var_x", "ri_var_y"]) & (g["est"] < 0)]
        r_ri = float(ri["std"].iloc[0]) if len(ri) else float("nan")
        if len(neg):
            s += (" A random-intercept variance was estimated below zero (a Heywood case): the model does not "
                  "describe these data as specified, and its estimates should not be interpreted.")
        elif abs(r_ri) > 1:
            s += (f" The random intercepts were estimated to correlate r = {_f(r_ri, 'b')}, beyond ±1: an improper "
                  "solution (one variable's stable between-person part is too small to be separated from the "
                  "other's), so the model does not describe these data as specified and the estimates below "
                  "should not be interpreted.")
        elif len(ri):
            s += f" The random intercepts correlated r = {_f(r_ri, 'r')}."
        for par, text in (("crosslag_xy", f"{xl} on later {yl}"), ("crosslag_yx", f"{yl} on later {xl}")):
            rows = g[g["parameter"] == par]
            if len(rows):
                bits = [f"{_wave(r.from_wave, waves)} to {_wave(r.to_wave, waves)}: b = {_f(r.est, 'b')} "
                        f"{ci_text(r.ci_lo, r.ci_hi, 'b')}, {p_text(r.p)}" for r in rows.itertuples()]
                s += f" Within persons, the cross-lagged effects of {text} were " + "; ".join(bits) + "."
        out.append(s)
    return " ".join(out)


def longitudinal_paragraphs(tables: Mapping[str, pd.DataFrame], labels: Mapping[str, str] | None = None,
                            waves: Mapping[str, str] | None = None) -> list[str]:
    """One paragraph per analysis present in ``tables`` (keys as the ``longitudinal_text`` rule's
    inputs: ``invariance``, ``change``, ``reliable_change``, ``latent_change``, ``lagged_coefficients``,
    ``lagged_simple_slopes``, ``lagged_johnson_neyman``, ``lagged_fit``, ``riclpm``, ``riclpm_fit``).

    >>> longitudinal_paragraphs({})
    []
    """
    waves = dict(waves or {})
    labels = {**wave_labels(dict(labels or {}), waves), **dict(labels or {})}
    empty = pd.DataFrame()
    get = lambda k: tables.get(k, empty)  # noqa: E731
    paras = [
        _invariance(get("invariance"), waves) if len(get("invariance")) else "",
        _change(get("change"), get("reliable_change"), labels, waves) if len(get("change")) else "",
        _latent_change(get("latent_change"), labels, waves) if len(get("latent_change")) else "",
        _lagged(get("lagged_coefficients"), get("lagged_simple_slopes"), get("lagged_johnson_neyman"),
                get("lagged_fit"), labels) if len(get("lagged_simple_slopes")) else "",
        _riclpm(get("riclpm"), get("riclpm_fit"), labels, waves) if len(get("riclpm")) else "",
    ]
    return [p for p in paras if p]


def longitudinal_markdown(tables: Mapping[str, pd.DataFrame], labels: Mapping[str, str] | None = None,
                          waves: Mapping[str, str] | None = None) -> str:
    """The paragraphs under the heading :data:`HEADING` (Markdown); empty text when there are none."""
    paras = longitudinal_paragraphs(tables, labels, waves)
    return f"## {HEADING}\n\n" + "\n\n".join(paras) + "\n" if paras else ""


def manuscript_section(results_dir: str | Path) -> list[str]:
    """The paragraphs of ``<results_dir>/longitudinal/results.md`` (without its heading), or none
    when the study has no longitudinal analyses."""
    path = Path(results_dir) / "longitudinal" / "results.md"
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8").strip()
    return [p for p in text.split("\n\n") if p and not p.startswith("## ")]


def invariance_table(t: pd.DataFrame, waves: Mapping[str, str] | None = None) -> TableModel:
    """The invariance steps across waves as an APA table (fit and the comparison with the previous step)."""
    rows = []
    for r in t.itertuples():
        first = is_missing(r.chi2_diff)
        rows.append([str(r.step).capitalize(), _f(r.chi2, "chi2"), str(int(r.df)), _f(r.cfi, "cfi"),
                     _f(r.rmsea, "rmsea"), _f(r.srmr, "srmr"), "" if first else _f(r.chi2_diff, "chi2"),
                     "" if first else str(int(r.df_diff)), "" if first else _f(r.p_diff, "p"),
                     "" if first else _f(r.delta_cfi, "delta_cfi"), "" if first else _f(r.delta_rmsea, "delta_rmsea")])
    names = ", ".join(_wave(w.strip(), waves or {}) for w in str(t["waves"].iloc[0]).split(",")) if len(t) else ""
    note = (f"Waves: {names}; indicators: {t['indicators'].iloc[0]}; estimator {t['estimator'].iloc[0]}. "
            "The same indicator's residuals correlate across waves. Δ: against the previous step."
            if len(t) else "")
    return TableModel(name="longitudinal_invariance", title="Measurement invariance across waves",
                      columns=["Model", "χ²", "df", "CFI", "RMSEA", "SRMR", "Δχ²", "Δdf", "p", "ΔCFI", "ΔRMSEA"],
                      rows=rows, numeric=[False] + [True] * 10, note=note)


def change_table(c: pd.DataFrame, shares: pd.DataFrame, labels: Mapping[str, str] | None = None,
                 waves: Mapping[str, str] | None = None) -> TableModel:
    """Change between waves as an APA table: means, mean change, d_z, d_av, reliable change shares."""
    labels, waves = dict(labels or {}), dict(waves or {})
    rows = []
    for r in c.itertuples():
        sh = shares[(shares["score"] == r.score) & (shares["pre"] == r.pre) & (shares["post"] == r.post)
                    & (shares["classification"] == "reliable")].set_index("category")
        pct = [f"{100 * float(sh.loc[k, 'share']):.1f}" if k in sh.index else "" for k in
               ("improved", "unchanged", "deteriorated")]
        rows.append([r.label or labels.get(r.score, r.score), f"{_wave(r.pre, waves)} → {_wave(r.post, waves)}",
                     str(int(r.n)), _f(r.mean_pre, "mean"), _f(r.mean_post, "mean"),
                     f"{_f(r.mean_diff, 'b')} {ci_text(r.diff_ci_lo, r.diff_ci_hi, 'b')}",
                     f"{_f(r.d_z, 'd')} {ci_text(r.d_z_ci_lo, r.d_z_ci_hi, 'd')}",
                     f"{_f(r.d_av, 'd')} {ci_text(r.d_av_ci_lo, r.d_av_ci_hi, 'd')}", _f(r.reliability, "alpha"),
                     *pct])
    return TableModel(name="longitudinal_change", title="Change between waves",
                      columns=["Score", "Waves", "n", "M before", "M after", "Change [95% CI]", "d_z [95% CI]",
                               "d_av [95% CI]", "r_xx", "Improved %", "Unchanged %", "Deteriorated %"],
                      rows=rows, numeric=[False, False] + [True] * 10,
                      note="Change = later − earlier wave. Reliable change: |RCI| > 1.96 (Jacobson & Truax, 1991), "
                           "with the reliability r_xx shown; shares of the people with both scores.")


def add_to_manuscript(ms: Manuscript, files: str | Path | list | tuple | None,
                      labels: Mapping[str, str] | None = None, waves: Mapping[str, str] | None = None) -> Manuscript:
    """The hook of the ``report`` rule: the longitudinal results as a subsection :data:`HEADING`
    at the end of the Results — the paragraphs of ``longitudinal/results.md``, the invariance and
    change tables (from ``invariance.csv``, ``change.csv``, ``reliable_change.csv`` among
    ``files``) and the drawn figures (PNG files whose ``manifest.csv`` row says drawn), each
    cited at the end of the paragraph it belongs to. ``labels`` (variable → label) and ``waves``
    (wave name → label) name them. Nothing without ``results.md``."""
    waves = dict(waves or {})
    labels = {**wave_labels(dict(labels or {}), waves), **dict(labels or {})}
    files = [Path(f) for f in ([files] if isinstance(files, (str, Path)) else (files or []))]
    by_name = {f.name: f for f in files}
    md = by_name.get("results.md")
    if md is None or not md.is_file():
        return ms
    text = md.read_text(encoding="utf-8").strip()
    paras = [p for p in text.split("\n\n") if p and not p.startswith("## ")]
    if not paras:
        return ms
    results = next((s for s in ms.sections if s.title == "Results"), None)
    if results is None:
        results = Section("Results")
        ms.sections.append(results)
    sub = Section(HEADING, level=2)
    sub.blocks = [Paragraph(p) for p in paras]
    results.blocks.append(sub)           # attached first: the numbering below counts its blocks

    def read(name: str) -> pd.DataFrame:
        f = by_name.get(name)
        return pd.read_csv(f, keep_default_na=False, na_values=[""]) if f is not None and f.is_file() else pd.DataFrame()

    def cite(opening: str | None, sentence: str) -> None:
        """Append ``sentence`` to the paragraph beginning with ``opening`` (the change paragraph:
        ``None``, the first paragraph that begins with none of the other openings)."""
        others = (INVARIANCE_OPENING, LAGGED_OPENING, RICLPM_OPENING, "In a latent change score model")
        for block in sub.blocks:
            if isinstance(block, Paragraph) and (block.text.startswith(opening) if opening else
                                                 not block.text.startswith(others)):
                block.text += f" {sentence}"
                return
        sub.blocks.append(Paragraph(sentence))

    change = read("change.csv")
    placed: list[Any] = []
    if len(read("invariance.csv")):
        m = invariance_table(read("invariance.csv"), waves)
        m.number = len(ms.tables) + 1
        cite(INVARIANCE_OPENING, f"Table {m.number} gives the fit of each step.")
        placed.append(Table(key=m.name, number=m.number, model=m))
    if len(change):
        m = change_table(change, read("reliable_change.csv"), labels, waves)
        m.number = len(ms.tables) + len(placed) + 1
        cite(None, f"Table {m.number} summarises the change.")
        placed.append(Table(key=m.name, number=m.number, model=m))
    manifest = read("manifest.csv")
    drawn = set(manifest.loc[manifest["drawn"].astype(str).str.lower() == "true", "figure"]) if len(manifest) else set()
    cutoffs = [float(v) for v in change["cutoff"]] if "cutoff" in change else []
    cutoff = (f" and the cut-off ({_f(cutoffs[0], 'mean')})" if cutoffs and not is_missing(cutoffs[0]) else "")
    where = {"spaghetti": (None, "shows the individual and mean trajectories"),
             "jacobson_truax": (None, "each respondent's scores at the two waves with the limits of reliable change"),
             "lagged_interaction": (LAGGED_OPENING, "shows the interaction and its Johnson–Neyman region")}
    figures = len(ms.figures)
    for stem, caption in FIGURE_CAPTIONS.items():
        f = by_name.get(f"{stem}.png")
        if f is not None and f.is_file() and stem in drawn:
            figures += 1
            opening, what = where[stem]
            cite(opening, f"Figure {figures} {what if what.startswith('shows') else 'shows ' + what}.")
            placed.append(Figure(key=f"longitudinal_{stem}", number=figures, path=str(f),
                                 caption=caption.format(cutoff=cutoff)))
    sub.blocks.extend(placed)
    return ms
