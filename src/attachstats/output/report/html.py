"""The earlier HTML report of one study (figures embedded as data URIs): superseded.

The workflow's ``report.html`` and ``report.docx`` are now the manuscript
(:mod:`attachstats.output.report.manuscript`, laid out by :mod:`.manuscript_html` and
:mod:`.manuscript_docx`). The sentence builders here (:func:`results_text`,
:func:`findings_text`) and :func:`render_report` are kept only while other code and tests
still import them; new text belongs in the manuscript.
"""

from __future__ import annotations

import base64
import html
import struct
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from attachstats.output.labels import APA_CORRELATION_NOTE, model_label
from attachstats.output.numbers import format_value, p_text
from attachstats.output.provenance import KEY_PACKAGES
from attachstats.output.report.captions import caption_text
from attachstats.output.report.factor_text import factor_results_text
from attachstats.output.tables import apa_correlations, display_table, to_html
from attachstats.spec.factor import EFA_DEFAULTS

#: Data files this module reads (package data beside it), listed for the workflow's code
#: fingerprint (attachstats.fingerprint): editing the page template reruns the report.
RESOURCES = ["templates/report.html"]
TEMPLATE = RESOURCES[0]



def png_width_in(png: bytes) -> float | None:
    """The printed width (inches) of a PNG: its pixel width over its ``pHYs`` resolution
    (None without a ``pHYs`` chunk in metres)."""
    pos = png.find(b"pHYs")
    if len(png) < 24 or pos < 0 or len(png) < pos + 13 or png[pos + 12] != 1:
        return None
    width = struct.unpack(">I", png[16:20])[0]
    ppm = struct.unpack(">I", png[pos + 4:pos + 8])[0]
    return width / (ppm * 0.0254) if ppm else None


class _Figures(dict):
    """Figure name -> HTML; a figure the study does not have renders as nothing."""

    def __missing__(self, key: str) -> str:
        return ""


def embed_png(path: str | Path, name: str, caption: str) -> str:
    """A ``<figure>`` with the PNG embedded as a base64 data URI, shown at its printed width
    (:func:`png_width_in`), and ``caption`` (plain text) below."""
    raw = Path(path).read_bytes()
    data = base64.b64encode(raw).decode("ascii")
    cap = html.escape(caption)
    w = png_width_in(raw)
    style = f' style="width:{w:.2f}in;max-width:100%"' if w else ""
    return (f'<figure><img alt="{html.escape(name)}"{style} src="data:image/png;base64,{data}">'
            f"<figcaption>Figure: {cap}</figcaption></figure>")


def results_text(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """Short result sentences with numbers taken from the tables."""
    flow = tables["flow"]
    raw, analysed = int(flow["n_after"].iloc[0]), int(flow["n_after"].iloc[-1])
    parts = [f"{r.stage.replace('_', ' ')} (n = {r.n_excluded})" for r in flow.itertuples() if r.n_excluded > 0]
    text = {"flow": f"Of {raw:,} raw responses, {analysed:,} were analysed; excluded: "
                    + (", ".join(parts) if parts else "none") + ". Every exclusion is listed with its reason "
                    "in validation/exclusions.csv."}
    fit = tables["cfa_fit"]
    if len(fit):
        bits = []
        for r in fit.itertuples():
            bits.append(f"{model_label(r.model)}: χ²({int(r.df)}) = {r.chi2:,.2f}, {p_text(r.p)}, "
                        f"CFI = {format_value(r.cfi, 'cfi')}, TLI = {format_value(r.tli, 'tli')}, "
                        f"RMSEA = {format_value(r.rmsea, 'rmsea')} [{format_value(r.rmsea_ci_lo, 'rmsea')}, "
                        f"{format_value(r.rmsea_ci_hi, 'rmsea')}], SRMR = {format_value(r.srmr, 'srmr')}")
        text["cfa"] = f"Model fit ({factor_results_text(tables)['cfa_estimator']}): " + "; ".join(bits) + "."
    else:
        text["cfa"] = "No factor models were specified for this study."
    reg = tables["regressions"]
    if len(reg):
        bits = []
        for r in reg[reg["term"] != "(Intercept)"].itertuples():
            family = getattr(r, "family", "ols")
            adj = getattr(r, "p_adj", float("nan"))
            adj_text = f", BH-adjusted {p_text(adj)}" if pd.notna(adj) else ""
            if family == "ols":
                bits.append(f"{r.outcome} on {r.term}: b = {r.b:.3f}, 95% CI [{r.ci_lo:.3f}, {r.ci_hi:.3f}], "
                            f"β = {format_value(r.beta, 'std')}, {p_text(r.p)}{adj_text}")
            else:
                ratio = "OR" if family == "logit" else "IRR"
                bits.append(f"{r.outcome} ({r.model}, {family}) on {r.term}: {ratio} = {r.exp_b:.3f}, 95% CI "
                            f"[{r.exp_ci_lo:.3f}, {r.exp_ci_hi:.3f}], {p_text(r.p)}{adj_text}")
        text["models"] = ("Coefficients (OLS: HC3 robust standard errors unless the study file says otherwise; "
                          "GLMs: model-based standard errors, Wald intervals): " + "; ".join(bits) + ".")
    else:
        text["models"] = "This study declares no outcome models (outcome_models is empty), so none were fitted."
    text["styles"] = _styles_text(tables.get("attachment_styles"))
    text["correlations_note"] = APA_CORRELATION_NOTE
    text.update(_model_texts(tables))
    text.update(factor_results_text(tables))
    return text


def _model_texts(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """Sentences on samples, probed interactions, mediation and SEM (empty tables say why)."""
    empty = pd.DataFrame()
    text = {}
    samples = tables.get("model_samples", empty)
    if len(samples):
        bits = []
        for model, g in samples.groupby("model", sort=False):
            used = int(g.loc[g["reason"] == "used", "n"].sum())
            other = g[g["reason"] != "used"]
            why = ", ".join(f"{int(r.n)} {r.reason} {r.variable}" for r in other.itertuples()) or "none excluded"
            bits.append(f"{model}: n = {used:,} ({why})")
        text["samples"] = ("Rows used per model (a row missing several variables is counted under the first): "
                           + "; ".join(bits) + ".")
    else:
        text["samples"] = "No outcome, mediation or SEM models, so no model samples."
    slopes, jn = tables.get("simple_slopes", empty), tables.get("johnson_neyman", empty)
    if len(slopes):
        bits = []
        for model, g in slopes.groupby("model", sort=False):
            focal, moderator = g["focal"].iloc[0], g["moderator"].iloc[0]
            parts = [f"at {moderator} {r.at} ({r.moderator_value:.2f}) b = {r.slope:.3f} [{r.ci_lo:.3f}, "
                     f"{r.ci_hi:.3f}], {p_text(r.p)}" for r in g.itertuples()]
            j = jn[jn["model"] == model]
            region = ""
            if len(j):
                r = j.iloc[0]
                where = {"outside": f"below {r.lower:.2f} and above {r.upper:.2f}",
                         "inside": f"between {r.lower:.2f} and {r.upper:.2f}", "everywhere": "at every value",
                         "nowhere": "at no value", "above": f"above {r.lower:.2f}", "below": f"below {r.lower:.2f}"}
                region = (f"; Johnson–Neyman: the slope of {focal} is significant (p < .05) for {moderator} "
                          f"{where[r.region]} (observed range {r.moderator_min:.2f} to {r.moderator_max:.2f}; "
                          f"{100 * r.share_significant:.0f}% of the sample lies in the region of significance)")
            bits.append(f"{model}, slope of {focal}: " + "; ".join(parts) + region)
        text["moderation"] = " ".join(b + "." for b in bits)
    else:
        text["moderation"] = "No interaction was probed (no outcome model has a probe entry)."
    med = tables.get("mediation", empty)
    if len(med):
        bits = []
        for model, g in med.groupby("model", sort=False):
            d = g.set_index("path")
            i = d.loc["indirect"]
            bits.append(f"{model} ({i['x']} → {i['mediator']} → {i['outcome']}, n = {int(i['n']):,}): "
                        f"a = {d.loc['a', 'estimate']:.3f}, b = {d.loc['b', 'estimate']:.3f}, "
                        f"c = {d.loc['c', 'estimate']:.3f}, c′ = {d.loc['c_prime', 'estimate']:.3f}; indirect effect "
                        f"a·b = {i['estimate']:.3f}, 95% percentile-bootstrap CI [{i['ci_lo']:.3f}, {i['ci_hi']:.3f}] "
                        f"({int(i['n_boot']):,} resamples)")
        text["mediation"] = "; ".join(bits) + "."
    else:
        text["mediation"] = "This study declares no mediation models (mediation_models is empty), so none were fitted."
    sem_fit, sem_par = tables.get("sem_fit", empty), tables.get("sem_parameters", empty)
    if len(sem_fit):
        bits = []
        for r in sem_fit.itertuples():
            reg = sem_par[(sem_par["model"] == r.model) & (sem_par["op"] == "~")]
            paths = ", ".join(f"{p.lhs} on {p.rhs}: b = {p.est:.3f} (standardised {format_value(float(p.std), 'std')}), "
                              f"{p_text(p.p)}" for p in reg.itertuples())
            bits.append(f"{r.model} (ML, n = {int(r.n):,} complete cases, listwise as lavaan's default): "
                        f"χ²({int(r.df)}) = {r.chi2:,.2f}, {p_text(r.p)}, CFI = {format_value(float(r.cfi), 'cfi')}, "
                        f"RMSEA = {format_value(float(r.rmsea), 'rmsea')}, SRMR = {format_value(float(r.srmr), 'srmr')}; "
                        f"{paths}")
        text["sem"] = "; ".join(bits) + "."
    else:
        text["sem"] = "This study declares no latent regression models (sem_models is empty), so none were fitted."
    return text


def _styles_text(styles: pd.DataFrame | None) -> str:
    """The categories' counts, with the note that dimensions are the primary analysis."""
    note = ("Dimensional anxiety and avoidance scores are the primary analysis: the categories below only "
            "describe the sample, because cutting continuous dimensions discards information and costs "
            "statistical power (Fraley & Waller, 1998), and taxometric studies find attachment to be dimensional, "
            "not categorical (Fraley et al., 2015).")
    if styles is None or styles.empty:
        return note + " This study has no instrument with anxiety and avoidance subscales, so no categories."
    parts = [f"{r.style} {r.n:,} ({float(r.share):.1%})"
             for r in styles.itertuples() if r.n > 0]
    return f"{note} Categories (high = {styles['rule'].iat[0]}): " + ", ".join(parts) + "."


def _apa_html(tables: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    if "descriptives" not in tables or "correlations" not in tables:
        return {}
    return {"correlations_apa": to_html(apa_correlations(tables["descriptives"], tables["correlations"]),
                                        "correlations_apa")}


#: How the report names validation's cell rules, (one, several), and actions (others: the machine
#: name, spaced).
FINDING_RULES = {"missing_code": ("missing-value code", "missing-value codes"),
                 "out_of_range": ("value out of range", "values out of range"),
                 "unlisted_code": ("code not in the codebook", "codes not in the codebook"),
                 "na_like_text": ("NA-like text", "NA-like texts")}
FINDING_ACTIONS = {"set_missing": "set missing", "keep": "kept as data", "ignore": "left as found"}


def findings_text(findings: pd.DataFrame | None) -> str:
    """One sentence on validation's cell-level findings, pointing to ``validation/issues.csv``.

    >>> findings_text(pd.DataFrame({"rule": ["missing_code"], "action": ["set_missing"], "cells": [966],
    ...                             "respondents": [412], "columns": [40]}))
    'Cell-level findings: 966 missing-value codes set missing (412 respondents, 40 columns). Every cell is listed with its rule in validation/issues.csv.'
    """
    if findings is None or findings.empty:
        return "Validation altered no cell (validation/issues.csv is empty)."
    parts = [f"{int(r.cells):,} {FINDING_RULES.get(r.rule, (str(r.rule).replace('_', ' '),) * 2)[r.cells != 1]} "
             f"{FINDING_ACTIONS.get(r.action, str(r.action).replace('_', ' '))} "
             f"({int(r.respondents):,} respondent{'s' if r.respondents != 1 else ''}, "
             f"{int(r.columns):,} column{'s' if r.columns != 1 else ''})"
             for r in findings.itertuples(index=False)]
    return ("Cell-level findings: " + "; ".join(parts)
            + ". Every cell is listed with its rule in validation/issues.csv.")


def render_report(study: Mapping[str, Any], tables: Mapping[str, pd.DataFrame],
                  figures: Mapping[str, str | Path], provenance: Mapping[str, Any],
                  captions: Mapping[str, str], *, efa_cutoff: float = EFA_DEFAULTS["cutoff"],
                  findings: pd.DataFrame | None = None) -> str:
    """Render the HTML report of one study.

    Parameters
    ----------
    study : Mapping
        The study (only ``name``, ``title`` and ``study_file`` are printed).
    tables : Mapping[str, pandas.DataFrame]
        Result table name -> the table as read from its CSV.
    figures : Mapping[str, str | Path]
        Figure name -> PNG file (embedded as a data URI).
    provenance : Mapping
        The study's ``provenance.json``.
    captions : Mapping[str, str]
        Figure name -> caption as reStructuredText: the text of the workflow's caption file
        ``workflow/report/<name>.rst`` (the one source of captions, shared with
        ``snakemake --report``); inline markup is removed (:func:`caption_text`). A figure
        without a caption is captioned with its name.
    efa_cutoff : float, default 0.3
        EFA loadings below this are blank in the EFA loadings table
        (``spec.factor.settings(study)["efa"]["cutoff"]``).
    findings : pandas.DataFrame, optional
        Validation's cell-level findings by rule and action (``rule, action, cells,
        respondents, columns``, see :func:`attachstats.steps.report.cell_findings`), stated
        in the data section (:func:`findings_text`).

    Returns
    -------
    str
        The self-contained HTML document.
    """
    import jinja2

    template = (resources.files("attachstats.output.report") / TEMPLATE).read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined)
    esc = {k: html.escape(v) for k, v in (results_text(tables) | {"cells": findings_text(findings)}).items()}
    return env.from_string(template).render(
        study={k: (html.escape(str(v)) if isinstance(v, str) else v) for k, v in study.items()
               if k in ("name", "title", "study_file")} | {"title": html.escape(str(study.get("title") or ""))},
        tables={name: to_html(display_table(df, name, cutoff=efa_cutoff), name) for name, df in tables.items()}
        | _apa_html(tables),
        figures=_Figures({name: embed_png(p, name, caption_text(captions.get(name, name)))
                          for name, p in figures.items()}),
        text=esc,
        provenance=provenance,
        key_packages=[(k, provenance["packages"][k]) for k in KEY_PACKAGES if k in provenance["packages"]],
    )
