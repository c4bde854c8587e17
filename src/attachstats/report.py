"""The self-contained HTML report of one study (figures embedded as data URIs).

The report only formats what the result tables hold; the short result sentences are
filled in from those tables, never recomputed.
"""

from __future__ import annotations

import base64
import html
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from .provenance import KEY_PACKAGES
from .tables import APA_CORRELATION_NOTE, apa_correlations, format_value, to_html

CAPTIONS = {
    "flow": "Participant flow from raw responses to the analysed sample.",
    "score_distributions": "Distributions of the scale scores.",
    "dimensions": ("Attachment dimensions, one point per respondent, coloured by attachment category; dashed "
                   "lines at the cut values of the classification rule (the scale midpoint by default)."),
    "cfa_loadings": "Standardised CFA loadings with 95% confidence intervals.",
    "coefficients": "Standardised regression coefficients with 95% confidence intervals (HC3).",
}


def embed_png(path: str | Path, name: str) -> str:
    """An ``<figure>`` with the PNG embedded as a base64 data URI."""
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    cap = html.escape(CAPTIONS.get(name, name))
    return (f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{data}">'
            f"<figcaption>Figure: {cap}</figcaption></figure>")


def _p(v: float) -> str:
    s = format_value(float(v), "p")
    return f"p {s}" if s.startswith("<") else f"p = {s}"


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
            bits.append(f"{r.model.replace('_', '-')}: χ²({int(r.df)}) = {r.chi2:,.2f}, {_p(r.p)}, "
                        f"CFI = {format_value(r.cfi, 'cfi')}, TLI = {format_value(r.tli, 'tli')}, "
                        f"RMSEA = {format_value(r.rmsea, 'rmsea')} [{format_value(r.rmsea_ci_lo, 'rmsea')}, "
                        f"{format_value(r.rmsea_ci_hi, 'rmsea')}], SRMR = {format_value(r.srmr, 'srmr')}")
        text["cfa"] = "Model fit (ML, complete cases): " + "; ".join(bits) + "."
    else:
        text["cfa"] = "No factor models were specified for this study."
    reg = tables["regressions"]
    if len(reg):
        bits = []
        for r in reg[reg["term"] != "(Intercept)"].itertuples():
            bits.append(f"{r.outcome} on {r.term}: b = {r.b:.3f}, 95% CI [{r.ci_lo:.3f}, {r.ci_hi:.3f}], "
                        f"β = {format_value(r.beta, 'std')}, {_p(r.p)}")
        text["models"] = "Coefficients with HC3 robust standard errors: " + "; ".join(bits) + "."
    else:
        text["models"] = "This study declares no outcome models (outcome_models is empty), so none were fitted."
    text["styles"] = _styles_text(tables.get("attachment_styles"))
    text["correlations_note"] = APA_CORRELATION_NOTE
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


def render_report(study: Mapping[str, Any], tables: Mapping[str, pd.DataFrame],
                  figures: Mapping[str, str | Path], provenance: Mapping[str, Any]) -> str:
    """Render the HTML report of one study."""
    import jinja2

    template = (resources.files("attachstats") / "templates" / "report.html").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined)
    esc = {k: html.escape(v) for k, v in results_text(tables).items()}
    return env.from_string(template).render(
        study={k: (html.escape(str(v)) if isinstance(v, str) else v) for k, v in study.items()
               if k in ("name", "title", "study_file")} | {"title": html.escape(str(study.get("title") or ""))},
        tables={name: to_html(df, name) for name, df in tables.items()} | _apa_html(tables),
        figures={name: embed_png(p, name) for name, p in figures.items()},
        text=esc,
        provenance=provenance,
        key_packages=[(k, provenance["packages"][k]) for k in KEY_PACKAGES if k in provenance["packages"]],
    )
