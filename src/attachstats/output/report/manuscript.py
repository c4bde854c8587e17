"""The manuscript of one study: a draft results section as a document model.

:func:`build_manuscript` reads the result tables (as written to CSV) and the study, and
returns a :class:`Manuscript`: the main findings first, then Method (participants and
exclusions, measures with their reliabilities, screening rules with citations, analytic
strategy with estimators and software), Results (one APA paragraph per analysis), the
reference list of the works actually cited and the provenance appendix. Tables and figures
are numbered in the order the text first refers to them and placed after that paragraph;
an analysis the study does not have gets no section (one sentence says so where a reader
would look for it). The HTML and Word writers (:mod:`.html`, :mod:`.docx`) lay this model
out; nothing here computes a statistic, every number is read from a table and formatted
by :mod:`attachstats.output.numbers`. Judgements (fit, unstable intervals, invariance on a
poor configural model) follow the stated rules of :mod:`.guardrails`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from attachstats.errors import ConfigError
from attachstats.output.apa import TableModel
from attachstats.output.labels import study_labels, words
from attachstats.output.numbers import ci_text, format_value, is_missing, p_text
from attachstats.output.report.guardrails import FIT_CRITERIA, judge_fit, unstable_interval
from attachstats.output.report.names import Names, instrument_abbreviation, study_names
from attachstats.output.report.references import Citations, instrument_work
from attachstats.output.tables import apa_table_set
from attachstats.output.report.waves import TABLE_KEY as WAVES_TABLE, waves_participants
from attachstats.spec.factor import efa_cutoff
from attachstats.spec.instrument import instrument_of

__all__ = ["Paragraph", "Table", "Figure", "Section", "Manuscript", "build_manuscript", "num", "tidy_cell"]


# ---------------------------------------------------------------------------------------
# the document model
# ---------------------------------------------------------------------------------------

@dataclass
class Paragraph:
    """Running text (plain, no markup)."""

    text: str


@dataclass
class Bullets:
    """A list of short statements."""

    items: list[str]


@dataclass
class Table:
    """A numbered table: the formatted table model and whether it needs a landscape page."""

    key: str
    number: int
    model: TableModel


@dataclass
class Figure:
    """A numbered figure: PNG file and caption (what is shown, in words)."""

    key: str
    number: int
    path: str
    caption: str


@dataclass
class Section:
    """A titled section of blocks (paragraphs, bullets, tables, figures, subsections)."""

    title: str
    blocks: list[Any] = field(default_factory=list)
    level: int = 1


@dataclass
class Manuscript:
    """Everything the writers lay out, in reading order."""

    title: str
    sections: list[Section]
    references: list[str]
    appendix: Section

    @property
    def tables(self) -> list[Table]:
        return [b for s in self._all_sections() for b in s.blocks if isinstance(b, Table)]

    @property
    def figures(self) -> list[Figure]:
        return [b for s in self._all_sections() for b in s.blocks if isinstance(b, Figure)]

    def _all_sections(self) -> list[Section]:
        out: list[Section] = []

        def walk(s: Section) -> None:
            out.append(s)
            for b in s.blocks:
                if isinstance(b, Section):
                    walk(b)

        for s in self.sections:
            walk(s)
        return out


# ---------------------------------------------------------------------------------------
# numbers in sentences
# ---------------------------------------------------------------------------------------

def num(value: object, column: str = "b") -> str:
    """A number as printed in the text: APA style of ``column``, a true minus sign.

    >>> num(-2.394, "b"), num(0.0004, "p"), num(0.25, "beta")
    ('−2.39', '< .001', '.25')
    """
    if is_missing(value):
        return "NA"
    text = format_value(float(value), column) if not isinstance(value, str) else value
    return text.replace("-", "−") if text.startswith("-") else text


def _ci(lo: object, hi: object, column: str = "b") -> str:
    """``[lo, hi]`` with true minus signs and a no-break space, so an interval never wraps."""
    text = ci_text(lo, hi, column)
    return text.replace("[-", "[−").replace(", -", ", −").replace(", ", ",\u00a0")


def _p(p: object) -> str:
    return p_text(p)


def _join(parts: list[str], conj: str = "and") -> str:
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    if len(parts) == 2:
        return f"{parts[0]} {conj} {parts[1]}"
    return ", ".join(parts[:-1]) + f", {conj} {parts[-1]}"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


# ---------------------------------------------------------------------------------------
# the builder
# ---------------------------------------------------------------------------------------

class _Builder:
    """Collects sections, numbers tables and figures in order of first reference."""

    def __init__(self, tables: Mapping[str, pd.DataFrame], figures: Mapping[str, str | Path],
                 names: Names, cite: Citations, apa: list[TableModel] | None = None) -> None:
        self.t = tables
        self.fig_files = {k: str(v) for k, v in figures.items()}
        self.names = names
        self.cite = cite
        self._apa = list(apa or [])
        self._tables: dict[str, Table] = {}
        self._figures: dict[str, Figure] = {}
        self._pending: list[Any] = []

    def apa(self, name: str, model: str | None = None) -> TableModel | None:
        """The APA table (:func:`attachstats.output.tables.apa_table_set`) of result table
        ``name`` (for the per-model tables, the one of ``model``); None when there is none."""
        for m in self._apa:
            if model is None and m.name == name:
                return m
            if model is not None and m.extra.get("source") == name and m.extra.get("model") == model:
                return m
        return None

    def apa_table(self, key: str, name: str, model: str | None = None, note: str = "") -> str:
        """Register the APA table ``name`` (of ``model``) under ``key``, with ``note`` appended to
        its note; returns ``Table N`` ("" when the study has no such table)."""
        m = self.apa(name, model)
        if m is None:
            return ""
        if note and key not in self._tables:
            m = TableModel(name=m.name, title=m.title, columns=m.columns, rows=m.rows, numeric=m.numeric,
                           note=f"{m.note} {note}".strip(), extra=dict(m.extra), spans=dict(m.spans))
        return self.table(key, m)

    def table(self, key: str, model: TableModel) -> str:
        """Register a table (first reference numbers it) and return ``Table N``."""
        if key not in self._tables:
            model.number = len(self._tables) + 1
            self._tables[key] = Table(key=key, number=model.number, model=model)
            self._pending.append(self._tables[key])
        return f"Table {self._tables[key].number}"

    def figure(self, key: str, caption: str) -> str | None:
        """Register a figure if its file exists; ``Figure N`` or None."""
        if key not in self.fig_files or not Path(self.fig_files[key]).exists():
            return None
        if key not in self._figures:
            n = len(self._figures) + 1
            self._figures[key] = Figure(key=key, number=n, path=self.fig_files[key], caption=caption)
            self._pending.append(self._figures[key])
        return f"Figure {self._figures[key].number}"

    def para(self, section: Section, text: str) -> None:
        """Add a paragraph, then the tables and figures it referred to first."""
        if text:
            section.blocks.append(Paragraph(text))
        section.blocks.extend(self._pending)
        self._pending = []

    def get(self, name: str) -> pd.DataFrame:
        return self.t.get(name, pd.DataFrame())


def _text_table(name: str, title: str, columns: list[str], rows: list[list[str]], numeric: list[bool],
                note: str = "") -> TableModel:
    return TableModel(name=name, title=title, columns=columns, rows=rows, numeric=numeric, note=note)


# ---------------------------------------------------------------------------------------
# summary
# ---------------------------------------------------------------------------------------

def _best_cfa(fit: pd.DataFrame) -> tuple[pd.Series, str] | None:
    """The model with the lowest BIC, or (no likelihood, e.g. WLSMV) the highest CFI; and which."""
    if fit.empty:
        return None
    if "bic" in fit and fit["bic"].notna().any():
        return fit.loc[fit["bic"].astype(float).idxmin()], "had the lowest BIC"
    if "cfi" in fit and fit["cfi"].notna().any():
        return fit.loc[fit["cfi"].astype(float).idxmax()], "had the highest CFI"
    return fit.iloc[0], "was fitted"


def _fit_numbers(r: Mapping[str, Any]) -> str:
    return (f"CFI = {num(r['cfi'], 'cfi')}, TLI = {num(r['tli'], 'tli')}, RMSEA = {num(r['rmsea'], 'rmsea')}"
            f"{' ' + _ci(r.get('rmsea_ci_lo'), r.get('rmsea_ci_hi'), 'rmsea') if not is_missing(r.get('rmsea_ci_lo')) else ''}"
            f", SRMR = {num(r['srmr'], 'srmr')}")


def _summary(b: _Builder, study: Mapping[str, Any]) -> Section:
    s = Section("Main findings")
    items = []
    flow = b.get("flow")
    if len(flow):
        raw, analysed = int(flow["n_after"].iloc[0]), int(flow["n_after"].iloc[-1])
        items.append(f"{analysed:,} of {raw:,} respondents were analysed; {raw - analysed:,} were excluded by the "
                     "screening rules described under Method." if raw > analysed else
                     f"All {analysed:,} respondents were analysed; the screening rules described under Method "
                     "excluded none.")
    found = _best_cfa(b.get("cfa_fit"))
    if found is not None:
        best, why = found
        j = judge_fit(best)
        verdict = ("fit well by the criteria of " if j.fits else "missed the fit criteria of ")
        items.append(f"Of the factor models, the {b.names.cfa_model(best['model'])} {why} and "
                     f"{verdict}{b.cite.narrative('hu_bentler_1999')} ({_fit_numbers(best)}).")
    reg = b.get("regressions")
    fitt = b.get("regression_fit")
    for model, g in reg.groupby("model", sort=False) if len(reg) else []:
        fam = g["family"].iloc[0]
        if _is_sensitivity(model, fitt):
            continue
        sig = g[(g["term"] != "(Intercept)") & (g["p"].astype(float) < 0.05)]
        focal = [t for t in sig["term"] if t in _focal_terms(study, model) and ":" not in t]
        outcome = _outcome_text(study, model, b.names)
        if not focal:
            items.append(f"{_cap(b.names.model(model))} model ({outcome}): no focal predictor reached p < .05.")
            continue
        signs: dict[str, list[str]] = {"positively": [], "negatively": []}
        for t in focal:
            r = sig.set_index("term").loc[t]
            if fam == "ols":
                stat = f"b = {num(r['b'])}, β = {num(r['beta'], 'beta')}, {_p(r['p'])}"
            else:
                stat = f"{'OR' if fam == 'logit' else 'IRR'} = {num(r['exp_b'])}, {_p(r['p'])}"
            where = _conditional_at(b, g, _model_spec(study, model), t)
            signs["positively" if float(r["b"]) > 0 else "negatively"].append(
                f"{b.names.term(t)} ({where + '; ' if where else ''}{stat})")
        what = {"ols": outcome, "logit": f"the odds of {outcome}", "negbin": f"the rate of {outcome}",
                "poisson": f"the rate of {outcome}"}[fam]
        assoc = _join([f"{sign} with {_join(ts)}" for sign, ts in signs.items() if ts])
        verb = "were" if fam == "logit" else "was"
        items.append(f"{_cap(b.names.model(model))} model: {what} {verb} associated {assoc}.")
    slopes = b.get("simple_slopes")
    for model, g in slopes.groupby("model", sort=False) if len(slopes) else []:
        g = g.set_index("at")
        f, w = b.names.var(g["focal"].iloc[0]), b.names.var(g["moderator"].iloc[0])
        inter = reg[(reg["model"] == model) & reg["term"].str.contains(":", regex=False)] if len(reg) else reg
        istat = (f" (interaction b = {num(inter['b'].iloc[0])}, {_p(inter['p'].iloc[0])})" if len(inter) else "")
        items.append(f"The effect of {f} on {b.names.var(g['outcome'].iloc[0])} depended on {w}{istat}: "
                     f"b = {num(g.loc['-1 SD', 'slope'])} at −1 SD, {num(g.loc['mean', 'slope'])} at the mean and "
                     f"{num(g.loc['+1 SD', 'slope'])} at +1 SD of {w} ({b.names.model(model)} model).")
    med = b.get("mediation")
    for model, g in med.groupby("model", sort=False) if len(med) else []:
        i = g.set_index("path").loc["indirect"]
        items.append(f"Indirect effect of {b.names.var(i['x'])} on {b.names.var(i['outcome'])} through "
                     f"{b.names.var(i['mediator'])}: a·b = {num(i['estimate'])}, 95% CI "
                     f"{_ci(i['ci_lo'], i['ci_hi'])}.")
    if not len(reg) and not len(med) and not len(b.get("sem_fit")):
        items.append("The study declares no outcome, mediation or latent regression models, so only the "
                     "measurement results are reported.")
    s.blocks.append(Bullets(items))
    return s


def _is_sensitivity(model: str, fit: pd.DataFrame) -> bool:
    if fit.empty or "missing" not in fit:
        return False
    row = fit[fit["model"] == model]
    return bool(len(row)) and str(row["missing"].iloc[0]) == "mice"


def _model_spec(study: Mapping[str, Any], model: str) -> Mapping[str, Any]:
    for m in study.get("outcome_models") or []:
        if m.get("name") == model:
            return m
    return {}


def _focal_terms(study: Mapping[str, Any], model: str) -> set[str]:
    m = _model_spec(study, model)
    preds = set(m.get("predictors") or [])
    inter = {":".join(t) for t in m.get("interactions") or []}
    return preds | inter | {t for t in preds}


def _outcome_text(study: Mapping[str, Any], model: str, names: Names) -> str:
    m = _model_spec(study, model)
    outcome = names.var(m.get("outcome", ""))
    if m.get("cutoff") is not None:
        return f"{outcome} ≥ {format_value(float(m['cutoff']), 'b').rstrip('0').rstrip('.')}"
    return outcome


# ---------------------------------------------------------------------------------------
# method
# ---------------------------------------------------------------------------------------

STAGE_WORDS = {
    "empty_rows": ("empty row", "empty rows"),
    "missing_ids": ("response without an identifier", "responses without an identifier"),
    "duplicate_rows": ("duplicated row", "duplicated rows"),
    "duplicate_ids": ("repeated respondent identifier", "repeated respondent identifiers"),
    "longstring": ("respondent giving the same answer to too many items in a row (long-string)",
                   "respondents giving the same answer to too many items in a row (long-string)"),
    "speeding": ("respondent completing the survey too fast", "respondents completing the survey too fast"),
    "mahalanobis": ("multivariate outlier (Mahalanobis distance)", "multivariate outliers (Mahalanobis distance)"),
    "irv": ("respondent with too little response variability", "respondents with too little response variability"),
    "evenodd": ("inconsistent respondent (even–odd index)", "inconsistent respondents (even–odd index)"),
    "psychsyn": ("inconsistent respondent (psychometric synonyms)", "inconsistent respondents (psychometric synonyms)"),
    "out_of_range": ("respondent with out-of-range values", "respondents with out-of-range values"),
}


def _stage_text(stage: str, n: int) -> str:
    one, many = STAGE_WORDS.get(stage, (stage.replace("_", " "), stage.replace("_", " ")))
    return f"{n:,} {one if n == 1 else many}"


def _participants(b: _Builder, study: Mapping[str, Any], findings: pd.DataFrame | None) -> Section:
    s = Section("Participants", level=2)
    flow = b.get("flow")
    if flow.empty:
        return s
    raw, analysed = int(flow["n_after"].iloc[0]), int(flow["n_after"].iloc[-1])
    excl = [(r.stage, int(r.n_excluded)) for r in flow.itertuples() if int(r.n_excluded) > 0]
    total = sum(n for _, n in excl)
    fig = b.figure("flow", f"Participant flow: the {raw:,} raw responses, the respondents excluded at each "
                           f"screening stage (applied in order; each respondent counted at the first stage "
                           f"failed) and the {analysed:,} analysed.")
    ref = f" ({fig})" if fig else ""
    if excl:
        text = (f"The data file held {raw:,} responses. Screening excluded {total:,}{ref}: "
                + _join([_stage_text(st, n) for st, n in excl])
                + f", leaving {analysed:,} respondents for analysis ({raw:,} − {total:,} = {analysed:,}).")
    else:
        text = f"The data file held {raw:,} responses; none was excluded, so {analysed:,} were analysed{ref}."
    desc = b.get("descriptives")
    if len(desc) and "age" in set(desc["variable"]):
        a = desc.set_index("variable").loc["age"]
        text += (f" Their mean age was {num(a['mean'], 'mean')} years (SD = {num(a['sd'], 'sd')}, range "
                 f"{format_value(float(a['min']), 'n')}–{format_value(float(a['max']), 'n')}; n = {int(a['n']):,} "
                 "reporting).")
    if findings is not None and len(findings):
        text += " " + findings_text(findings)
    b.para(s, text)
    return s


#: Validation's cell rules in words, (one, several), and its actions (others: the name in words).
FINDING_RULES = {"missing_code": ("missing-value code", "missing-value codes"),
                 "out_of_range": ("value out of range", "values out of range"),
                 "unlisted_code": ("code not in the codebook", "codes not in the codebook"),
                 "na_like_text": ("NA-like text", "NA-like texts")}
FINDING_ACTIONS = {"set_missing": "set missing", "keep": "kept as data", "ignore": "left as found"}


def findings_text(findings: pd.DataFrame) -> str:
    """The sentence on validation's cell-level findings (``rule, action, cells, respondents,
    columns`` as :func:`attachstats.steps.report.cell_findings` counts them), naming each rule.

    >>> findings_text(pd.DataFrame({"rule": ["missing_code"], "action": ["set_missing"], "cells": [966],
    ...                             "respondents": [412], "columns": [40]}))
    'Within the analysed data, validation found 966 missing-value codes, set missing (412 respondents, 40 columns); every altered or noted cell is listed with its rule in validation/issues.csv.'
    """
    parts = [f"{int(r.cells):,} {FINDING_RULES.get(r.rule, (str(r.rule).replace('_', ' '),) * 2)[r.cells != 1]}, "
             f"{FINDING_ACTIONS.get(r.action, str(r.action).replace('_', ' '))} "
             f"({_count(int(r.respondents), 'respondent')}, {_count(int(r.columns), 'column')})"
             for r in findings.itertuples(index=False)]
    return ("Within the analysed data, validation found " + "; ".join(parts)
            + "; every altered or noted cell is listed with its rule in validation/issues.csv.")


def _sample_text(b: _Builder, model: str) -> str:
    """Rows a model did not use, and why (``model_samples``): ``; 7 rows left out (5 without
    PHQ-9 total, 2 without age)``; "" when it used every row or the table is absent."""
    samples = b.get("model_samples")
    if samples.empty or "model" not in samples:
        return ""
    g = samples[(samples["model"] == model) & (samples["reason"] != "used")]
    if g.empty:
        return ""
    by = {"missing": [], "imputed": []}
    for r in g.itertuples():
        by.setdefault(str(r.reason), []).append((int(r.n), b.names.var(str(r.variable))))
    out = []
    if by["missing"]:
        n = sum(k for k, _ in by["missing"])
        out.append(f"{_count(n, 'row')} without {by['missing'][0][1]} left out" if len(by["missing"]) == 1 else
                   f"{_count(n, 'row')} left out: {_join([f'{k:,} without {v}' for k, v in by['missing']])}")
    if by["imputed"]:
        out.append("values imputed for " + _join([f"{k:,} rows without {v}" for k, v in by["imputed"]]))
    for reason, rows in by.items():
        if reason not in ("missing", "imputed") and rows:
            out.append(f"{sum(k for k, _ in rows):,} rows {reason.replace('_', ' ')}")
    return "; " + "; ".join(out)


def _item_names(b: _Builder, study: Mapping[str, Any], items: str) -> str:
    """A list of item columns (``ecr_1, ecr_2``) as a reader names them (``ECR-R items 1 and 2``)."""
    cols = [c.strip() for c in items.split(",") if c.strip()]
    fa = study.get("factor_analysis") or {}
    key = fa.get("instrument")
    if key and all(re.fullmatch(rf"{re.escape(key)}_\d+", c) for c in cols):
        abbr = instrument_abbreviation(instrument_of(study, key).id)
        numbers = [c[len(key) + 1:] for c in cols]
        return f"{abbr} item{'s' if len(numbers) > 1 else ''} {_join(numbers)}"
    return _join([b.names.var(c) for c in cols])


def _efa_fit_text(d: Mapping[str, Any]) -> str:
    """The EFA solution's fit as ``psych::fa`` reports it ("" for diagnostics made before it was kept)."""
    if is_missing(d.get("chi2")) or is_missing(d.get("df")):
        return ""
    bits = [f"χ²({int(d['df'])}) = {num(d['chi2'], 'chi2')}" + (f", {_p(d['p'])}" if not is_missing(d.get("p")) else "")]
    if not is_missing(d.get("tli")):
        bits.append(f"TLI = {num(d['tli'], 'tli')}")
    if not is_missing(d.get("rmsea")):
        ci = _ci(d.get("rmsea_ci_lo"), d.get("rmsea_ci_hi"), "rmsea")
        bits.append(f"RMSEA = {num(d['rmsea'], 'rmsea')}" + (f", 90% CI {ci}" if ci else ""))
    if not is_missing(d.get("bic")):
        bits.append(f"BIC = {num(d['bic'], 'bic')}")
    return " The retained solution's fit, as psych::fa reports it: " + ", ".join(bits) + "."


def _measures(b: _Builder, study: Mapping[str, Any]) -> Section:
    s = Section("Measures", level=2)
    rel = b.get("reliability")
    rel = rel.set_index("scale") if len(rel) else rel
    for key in study.get("instruments") or {}:
        inst = instrument_of(study, key)
        abbr = instrument_abbreviation(inst.id)
        work = instrument_work(inst.source)
        cite = ""
        if work:
            b.cite.add(f"instrument:{inst.id}", work)
            cite = "; " + b.cite.names(f"instrument:{inst.id}")
        rng = f"{format_value(inst.min, 'n')} to {format_value(inst.max, 'n')}" if not inst.continuous else \
            f"{inst.min}–{inst.max}"
        subs = list(inst.subscales)
        how = "mean" if inst.scoring == "mean" else "sum"
        scored = (f"scored as the {how} of {'its items' if subs == ['total'] else 'the items of each subscale'}"
                  + ("" if subs == ["total"] else f" ({_join([sub.replace('_', ' ') for sub in subs])})"))
        rel_bits = []
        for sub in subs:
            score = f"{key}_{sub}"
            if len(rel) and score in rel.index:
                r = rel.loc[score]
                omega = f", ω = {num(r['omega_total'], 'omega_total')}" if not is_missing(r.get("omega_total")) else ""
                rel_bits.append(f"{'' if subs == ['total'] else sub.replace('_', ' ') + ' '}α = "
                                f"{num(r['alpha'], 'alpha')}{omega}")
        name = re.sub(r"\s*\(\d{4}\)$", "", inst.name).replace(" - ", " – ")
        text = (f"The {name} ({abbr}{cite}) has {inst.n_items} items answered from {rng}, {scored}."
                + (f" Internal consistency in this sample: {_join(rel_bits)}." if rel_bits else ""))
        b.para(s, text)
    covs = [v for v in (study.get("variables") or {})]
    if covs:
        parts = []
        for v, spec in (study.get("variables") or {}).items():
            ref = spec.get("reference") if isinstance(spec, Mapping) else None
            parts.append(b.names.var(v) + (f" (reference category: {ref})" if ref else ""))
        b.para(s, "Further variables: " + _join(parts) + ".")
    return s


def _screening(b: _Builder, study: Mapping[str, Any]) -> Section:
    s = Section("Data screening", level=2)
    scr = study.get("screening") or {}
    rules = []
    if scr.get("duplicate_rows", "exclude") == "exclude" or scr.get("duplicate_ids", "exclude") == "exclude":
        rules.append("duplicated rows and repeated respondent identifiers were excluded (the first kept)")
    oor = scr.get("out_of_range")
    if oor:
        rules.append("answers outside an item's response range were " + ("set missing" if oor == "set_missing"
                                                                         else str(oor).replace("_", " ")))
    spi = scr.get("min_seconds_per_item")
    if spi:
        rules.append(f"respondents faster than {format_value(float(spi), 'b').rstrip('0').rstrip('.')} seconds per "
                     f"item were excluded as speeders {b.cite.cite('huang_2012')}")
    ls = scr.get("longstring")
    if ls:
        rules.append(f"respondents giving the same answer to {ls.get('max_run')} or more consecutive items were "
                     f"excluded (long-string index; {b.cite.names('johnson_2005', 'meade_craig_2012')})")
    mh = scr.get("mahalanobis")
    if mh:
        act = "excluded" if mh.get("action", "exclude") == "exclude" else "flagged but kept"
        rules.append(f"multivariate outliers, Mahalanobis D² with p < {format_value(float(mh.get('alpha', 0.001)), 'p')}"
                     f", were {act} {b.cite.cite('mahalanobis_1936', 'meade_craig_2012')}")
    flags = []
    if scr.get("irv"):
        flags.append(f"intra-individual response variability {b.cite.cite('dunn_2018')}")
    if scr.get("evenodd"):
        flags.append(f"the even–odd consistency index {b.cite.cite('meade_craig_2012')}")
    if scr.get("psychsyn"):
        flags.append(f"psychometric synonyms {b.cite.cite('meade_craig_2012')}")
    for key in ("irv", "evenodd", "psychsyn"):
        cfg = scr.get(key)
        if isinstance(cfg, Mapping) and cfg.get("action", "flag") != "flag":
            rules.append(f"respondents failing the {key} screen were excluded")
    if flags:
        rules.append(f"{_join(flags)} {'was' if len(flags) == 1 else 'were'} computed and recorded as flags "
                     "without excluding anyone")
    if rules:
        text = ("Screening followed the study file, in this order: " + "; ".join(rules) + ". Screening rules follow "
                f"the recommendations for careless responding of {b.cite.narrative('curran_2016')}.")
        b.para(s, text)
    return s


def _strategy(b: _Builder, study: Mapping[str, Any], provenance: Mapping[str, Any]) -> Section:
    s = Section("Analytic strategy", level=2)
    rel = b.get("reliability")
    if len(rel):
        n_boot = int(rel["n_boot"].dropna().iloc[0]) if "n_boot" in rel and rel["n_boot"].notna().any() else 0
        b.para(s, f"Internal consistency was estimated as Cronbach's α {b.cite.cite('cronbach_1951')} with Feldt "
                  f"confidence intervals {b.cite.cite('feldt_1987')} and as McDonald's ω total and hierarchical "
                  f"{b.cite.cite('mcdonald_1999')}"
                  + (f", with percentile bootstrap intervals from {n_boot:,} resamples "
                     f"{b.cite.cite('efron_tibshirani_1993')}" if n_boot else "") + ".")
    fa = study.get("factor_analysis") or {}
    diag, fit = b.get("efa_diagnostics"), b.get("cfa_fit")
    if len(diag):
        d = diag.iloc[0]
        b.para(s, f"Factorability was checked with the Kaiser–Meyer–Olkin measure {b.cite.cite('kaiser_1974')} and "
                  f"Bartlett's test of sphericity {b.cite.cite('bartlett_1950')}; the number of factors was compared "
                  f"with parallel analysis ({b.cite.names('horn_1965')}; {int(d['parallel_iterations'])} simulated data "
                  f"sets, {float(d['parallel_quantile']) * 100:.0f}th percentile eigenvalues). The exploratory factor "
                  f"analysis used {d['extraction']} extraction with {d['rotation']} rotation.")
    if len(fit):
        est = str(fit["estimator"].iloc[0])
        if est == "MLR":
            est_text = ("maximum likelihood with robust standard errors and the Yuan–Bentler scaled test "
                        f"statistic (MLR; {b.cite.names('yuan_bentler_2000')}) on complete cases")
        elif est == "WLSMV":
            est_text = ("WLSMV with the items treated as ordered categories, on complete cases: diagonally weighted "
                        "least squares on polychoric correlations with robust standard errors and the mean- and "
                        f"variance-adjusted (scaled-shifted) χ² test ({b.cite.names('muthen_1997')}; "
                        f"{b.cite.names('flora_curran_2004')}); CFI, TLI and RMSEA were computed from the "
                        "scaled-shifted statistics")
        else:
            est_text = {"ML": "maximum likelihood (ML) on complete cases",
                        "FIML": "full-information maximum likelihood, using every answered item"}.get(est, est)
        comp = b.get("cfa_comparison")
        comp_text = ""
        if len(comp) and est == "WLSMV":
            comp_text = (" Nested models were compared by their differences in CFI, TLI, RMSEA and SRMR (a χ² "
                         "difference test for WLSMV is not computed).")
        elif len(comp):
            comp_text = (" Nested models were compared with likelihood-ratio tests" +
                         (f", scaled as {b.cite.narrative('satorra_bentler_2001')} proposed" if est == "MLR" else "")
                         + ", and with AIC and BIC.")
        crit = ", ".join(c[2] for c in FIT_CRITERIA.values())
        ordinal = _ordinal_suggestion(study, est)
        b.para(s, f"Confirmatory factor models were estimated by {est_text}.{ordinal} Fit was judged against the "
                  f"criteria of {b.cite.narrative('hu_bentler_1999')}: {crit}." + comp_text)
    inv = b.get("invariance")
    if len(inv) and str(inv["step"].iloc[0]) != "not tested":
        ordered = "estimator" in inv.columns and str(inv["estimator"].iloc[0]) == "WLSMV"
        sequence = (("configural, equal thresholds, metric (thresholds and loadings equal) and scalar (also the "
                     "intercepts of the latent responses equal), identified as "
                     f"{b.cite.narrative('wu_estabrook_2016')} proposed,") if ordered else
                    "configural, metric (equal loadings) and scalar (equal loadings and intercepts)")
        b.para(s, f"Measurement invariance across {b.names.var(str(inv['group'].iloc[0]))} was tested in the "
                  f"sequence {sequence} with multiple-group models; a drop in CFI of more than .010 "
                  f"{b.cite.cite('chen_2007')} was taken as evidence against the more restricted model. "
                  f"{_invariance_estimator(fa, inv)}")
    reg = b.get("regressions")
    if len(reg):
        fams = set(reg["family"])
        bits = []
        if "ols" in fams:
            bits.append(f"continuous outcomes by ordinary least squares with heteroscedasticity-consistent (HC3) "
                        f"standard errors {b.cite.cite('long_ervin_2000')}")
        if "logit" in fams:
            bits.append("binary outcomes (a score at or above its cut-off) by logistic regression, reported as odds "
                        "ratios (OR)")
        if "negbin" in fams:
            bits.append(f"counts by negative binomial regression {b.cite.cite('venables_ripley_2002')}, reported as "
                        "incidence-rate ratios (IRR)")
        if "poisson" in fams:
            bits.append("counts by Poisson regression, reported as incidence-rate ratios (IRR)")
        text = "Outcome models were fitted for " + _join(bits) + "."
        if reg["p_adj"].notna().any():
            text += (f" p values were also adjusted for the false discovery rate {b.cite.cite('benjamini_hochberg_1995')}"
                     " within each declared family of tests.")
        centred = reg[reg["centre"].notna()] if "centre" in reg else reg.iloc[0:0]
        if len(b.get("simple_slopes")) or len(centred):
            text += (" Continuous predictors that enter an interaction were mean-centred before fitting, so that "
                     "each lower-order coefficient is the effect at the sample mean of its partner "
                     f"{b.cite.cite('aiken_west_1991')}.")
        if len(b.get("simple_slopes")):
            text += (" Interactions were probed with simple slopes at the moderator's mean and ±1 SD and with the "
                     f"Johnson–Neyman technique {b.cite.cite('johnson_neyman_1936')}, whose region of significance "
                     "is reported within the observed range of the moderator only.")
        fitt = b.get("regression_fit")
        if len(fitt) and (fitt["missing"] == "mice").any():
            m = int(fitt.loc[fitt["missing"] == "mice", "imputations"].iloc[0])
            text += (f" As a sensitivity analysis, one model was refitted after multiple imputation by chained "
                     f"equations ({m} imputations; {b.cite.names('van_buuren_2011')}), pooled by Rubin's rules "
                     f"{b.cite.cite('rubin_1987', 'barnard_rubin_1999')}.")
        b.para(s, text)
    med = b.get("mediation")
    if len(med):
        nb = int(med.loc[med["path"] == "indirect", "n_boot"].iloc[0])
        b.para(s, f"Indirect effects were tested with percentile bootstrap confidence intervals ({nb:,} resamples; "
                  f"{b.cite.names('preacher_hayes_2008')}).")
    sem = b.get("sem_fit")
    if len(sem):
        b.para(s, "Latent regressions (factors of the measurement model predicting the outcome scores) were "
                  "estimated by maximum likelihood on complete cases and judged by the same fit criteria.")
    b.para(s, _software(provenance))
    return s


#: Items with at most this many response categories are better fitted as ordered (WLSMV).
ORDINAL_MAX_CATEGORIES = 7


def _categories(study: Mapping[str, Any]) -> int | None:
    """Response categories of the factor-analysed instrument (None: continuous or unknown)."""
    key = (study.get("factor_analysis") or {}).get("instrument")
    if not key:
        return None
    try:
        inst = instrument_of(study, key)
    except ConfigError:        # the report does not fail on an instrument it cannot resolve
        return None
    if inst.continuous:
        return None
    return int(inst.max) - int(inst.min) + 1


def _ordinal_suggestion(study: Mapping[str, Any], est: str) -> str:
    """The sentence on treating the items as continuous, with the WLSMV suggestion when it applies.

    Given when the CFA used ML, MLR or FIML and the instrument's items have at most
    :data:`ORDINAL_MAX_CATEGORIES` response categories (integer responses); empty for WLSMV
    or continuous items.
    """
    k = _categories(study)
    if est not in ("ML", "MLR", "FIML") or k is None:
        return ""
    if k > ORDINAL_MAX_CATEGORIES:
        return f" The items ({k} response categories) were treated as continuous."
    return (f" The items were treated as continuous although they have only {k} response categories; "
            "estimation for ordered items (WLSMV on polychoric correlations) is available by setting "
            "factor_analysis.estimator: WLSMV in the study file.")


def _invariance_estimator(fa: Mapping[str, Any], inv: pd.DataFrame) -> str:
    asked = str(fa.get("estimator", "ML"))
    used = str(inv["estimator"].iloc[0]) if "estimator" in inv.columns else "ML"
    if asked != used:
        return (f"The study asked for {asked}, but multiple-group {asked} is not implemented in attachstats, so the "
                f"invariance models were estimated by {used} (normal-theory χ² and fit indices); their tests are not "
                "robust to non-normal items.")
    return f"The invariance models were estimated by {used}."


def _software(provenance: Mapping[str, Any]) -> str:
    pk = provenance.get("packages", {})
    core = [f"{name} {pk[k]}" for k, name in (("numpy", "NumPy"), ("scipy", "SciPy"), ("pandas", "pandas"),
                                               ("snakemake", "Snakemake"))
            if k in pk]
    return (f"All analyses were run with attachstats {pk.get('attachstats', '(version unknown)')} in Python "
            f"{provenance.get('python', '')} (" + ", ".join(core) + f"), with master seed {provenance.get('seed')}; "
            "its estimates are checked against R (lavaan, psych, semTools, sandwich, mice) in the package's tests.")


# ---------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------

def _descriptives(b: _Builder, sec: Section) -> None:
    desc, cor = b.get("descriptives"), b.get("correlations")
    if desc.empty or cor.empty:
        return
    ref = b.apa_table("correlations_apa", "correlations")
    fig = b.figure("score_distributions", "Distributions of the scale scores in the analysed sample (histograms).")
    first = cor.iloc[0]
    b.para(sec, f"{ref} gives the means, standard deviations, reliabilities and correlations of the scores and "
                f"numeric variables" + (f", and {fig} their distributions" if fig else "") + ". "
                f"{_cap(b.names.var(first['var1']))} and {b.names.var(first['var2'])} correlated "
                f"r = {num(first['r'], 'r')}, 95% CI {_ci(first['ci_lo'], first['ci_hi'], 'r')}.")


def tidy_cell(text: str) -> str:
    """A formatted cell as printed: true minus signs, unbreakable intervals and ``< .001``.

    >>> tidy_cell("-.04 [-.09, .01]"), tidy_cell("< .001")
    ('−.04 [−.09,\xa0.01]', '<\xa0.001')
    """
    text = re.sub(r"(?<![\w.])-(?=[\d.])", "−", text)
    text = re.sub(r"^([<>≤≥]) ", "\\1\u00a0", text)
    return re.sub(r"\[([^\]]*?), ", lambda m: f"[{m.group(1)},\u00a0", text)




def _reliability(b: _Builder, sec: Section) -> None:
    rel = b.get("reliability")
    if rel.empty:
        return
    flagged = [(r.scale, r.omega_h, r.omega_h_ci_lo, r.omega_h_ci_hi) for r in rel.itertuples()
               if "omega_h" in rel and unstable_interval(r.omega_h, r.omega_h_ci_lo, r.omega_h_ci_hi)]
    ref = b.apa_table("reliability", "reliability")
    lo_a = rel["alpha"].astype(float).idxmin()
    text = (f"Internal consistency ({ref}) ranged from α = {num(rel['alpha'].min(), 'alpha')} "
            f"({b.names.var(rel.loc[lo_a, 'scale'])}) to α = {num(rel['alpha'].max(), 'alpha')}.")
    if flagged:
        which = _join([f"{b.names.var(scale)} (ωₕ = {num(est, 'omega_h')}, 95% CI {_ci(lo, hi, 'omega_h')})"
                       for scale, est, lo, hi in flagged])
        one = len(flagged) == 1
        text += (f" The bootstrap interval{'' if one else 's'} of ωₕ for {which} {'is' if one else 'are'} unstable: "
                 "in many resamples the general factor was not recovered, so the point estimate"
                 f"{'' if one else 's'} should not be read on {'its' if one else 'their'} own.")
    b.para(sec, text)


def _cfa(b: _Builder, sec: Section, study: Mapping[str, Any]) -> None:
    fit = b.get("cfa_fit")
    if fit.empty:
        return
    ref = b.apa_table("cfa_fit", "cfa_fit")
    bits = []
    for r in fit.to_dict("records"):
        j = judge_fit(r)
        if j.fits:
            verdict = "met all four criteria"
        elif not j.met:
            verdict = "met none of the criteria"
        else:
            verdict = ("missed " + _join([FIT_CRITERIA[k][2].split()[0] for k in j.missed]) + " but met "
                       + _join([FIT_CRITERIA[k][2].split()[0] for k in j.met]))
        bits.append(f"the {b.names.cfa_model(r['model'])}, χ²({int(r['df'])}) = {num(r['chi2'], 'chi2')}, "
                    f"{_p(r['p'])}, {_fit_numbers(r)}, {verdict}")
    fig = b.figure("path_diagram", f"Path diagram of the {b.names.cfa_model(_path_model(study, fit))}: "
                                   "standardised loadings on the arrows from each factor to its items, latent "
                                   "correlations on the curved arrows (residual variances not drawn).")
    text = (f"{ref} gives the fit of the confirmatory factor models"
            + (f" ({fig} shows the loadings)" if fig else "") + ". Judged against the criteria of "
            + b.cite.narrative("hu_bentler_1999") + ", " + "; ".join(bits) + ".")
    if not any(judge_fit(r).fits for r in fit.to_dict("records")):
        text += (" No model fitted well, so the loadings and the analyses built on these factors describe an "
                 "imperfect measurement model; the misfit should be examined (e.g., residual correlations, "
                 "method variance of reverse-keyed items) before the structure is taken as confirmed.")
    comp = b.get("cfa_comparison")
    cbits = []
    for r in comp.to_dict("records") if len(comp) else []:
        kind = "scaled Δχ²" if r.get("estimator") == "MLR" else "Δχ²"
        if r.get("estimator") == "WLSMV":
            test = f"Δdf = {int(r['df_diff'])}"
        else:
            test = (f"{kind}({int(r['df_diff'])}) = {num(r['chi2_diff'], 'chi2')}, {_p(r['p'])}"
                    if not is_missing(r.get("chi2_diff")) else
                    f"{kind} undefined (negative scaling correction of the difference test)")
        bic = ""
        if not is_missing(r.get("delta_bic")):
            better = "the more general model" if float(r["delta_bic"]) > 0 else "the more restricted model"
            bic = f", ΔBIC = {num(r['delta_bic'], 'bic')} (BIC favours {better})"
        cbits.append(f"the {b.names.cfa_model(r['general'])} against the {b.names.cfa_model(r['restricted'])}: "
                     f"{test}, ΔCFI = {num(r['delta_cfi'], 'delta_cfi')}{bic}")
    if cbits:
        cref = b.apa_table("cfa_comparison", "cfa_comparison")
        text += f" Nested comparisons ({cref}): " + "; ".join(cbits) + "."
    b.para(sec, text)


def _path_model(study: Mapping[str, Any], fit: pd.DataFrame) -> str:
    fa = study.get("factor_analysis") or {}
    pm = fa.get("path_model") if isinstance(fa, Mapping) else None
    return pm or ("two_factor" if (fit["model"] == "two_factor").any() else str(fit["model"].iloc[0]))


def _efa(b: _Builder, sec: Section, study: Mapping[str, Any]) -> None:
    diag = b.get("efa_diagnostics")
    if diag.empty:
        return
    d = diag.iloc[0]
    pa, k = int(d["parallel_factors"]), int(d["n_factors"])
    fig = b.figure("scree", "Parallel analysis: eigenvalues of the observed item correlations (reduced matrix) "
                            "against the mean and upper percentile of eigenvalues of simulated data of the same size.")
    tref = b.apa_table("efa_loadings", "efa_loadings")
    fa = study.get("factor_analysis") or {}
    inst = instrument_of(study, fa["instrument"]) if fa.get("instrument") else None
    n_sub = len(inst.subscales) if inst else k
    text = (f"The items were factorable (KMO = {num(d['kmo'], 'kmo')}; Bartlett's χ²({int(d['bartlett_df'])}) = "
            f"{num(d['bartlett_chi2'], 'chi2')}, {_p(d['bartlett_p'])}; n = {int(d['n']):,}). ")
    pa_text = f"Parallel analysis ({b.cite.names('horn_1965')}" + (f"; {fig})" if fig else ")")
    if pa == k:
        text += f"{pa_text} suggested {_count(pa, 'factor')}, the number retained."
    else:
        why = (f"the published scoring key of the {instrument_abbreviation(inst.id)} defines {_count(n_sub, 'subscale')}"
               if inst and n_sub == k else "the study file sets this number")
        text += (f"{pa_text} suggested {_count(pa, 'factor')}; the {k}-factor solution was retained on theoretical "
                 f"grounds ({why}), not on the parallel analysis.")
        if pa > k:
            fit = b.get("cfa_fit")
            misfit = len(fit) and not any(judge_fit(r).fits for r in fit.to_dict("records"))
            text += (" The further factors it suggests may reflect method variance (e.g., of reverse-keyed items) "
                     "or narrow item clusters" + (", and the misfit of the confirmatory models points the same way."
                                                  if misfit else "."))
    text += _efa_fit_text(d)
    if tref:
        text += f" {tref} gives the rotated loadings."
    cors = b.get("efa_factor_correlations")
    if len(cors):
        text += " Factor correlations: " + _join([f"r = {num(r.r, 'r')} between {b.names.factor(r.factor1)} and "
                                                  f"{b.names.factor(r.factor2)}" for r in cors.itertuples()]) + "."
    if not bool(d["converged"]):
        text += " Warning: the extraction or rotation did not converge."
    if isinstance(d.get("heywood"), str) and d["heywood"].strip():
        text += (f" Warning: an ultra-Heywood case (communality of 1 or more) for {_item_names(b, study, d['heywood'])}"
                 "; the solution is improper and should be examined, e.g. with fewer factors or another extraction.")
    b.para(sec, text)
    cv = b.get("cross_validation_fit")
    if len(cv):
        r = cv.iloc[0]
        j = judge_fit(r)
        cong = _join([f"{num(x.congruence, 'congruence')} for {b.names.factor(x.factor)}" for x in cv.itertuples()])
        b.para(sec, f"In a random split-half cross-validation, the exploratory loadings of one half (n = "
                    f"{int(r['n_efa']):,}) and the confirmatory loadings of the {b.names.cfa_model(r['cfa_model'])} "
                    f"in the other (n = {int(r['n_cfa']):,}) agreed with Tucker congruence coefficients of {cong} "
                    f"{b.cite.cite('lorenzo_seva_2006')}; the held-out confirmatory model had {_fit_numbers(r)} and "
                    f"{'met' if j.fits else 'missed'} the fit criteria.")


def _invariance(b: _Builder, sec: Section, study: Mapping[str, Any]) -> None:
    inv = b.get("invariance")
    if inv.empty:
        return
    group = b.names.var(str(inv["group"].iloc[0])) if "group" in inv else "groups"
    if str(inv["step"].iloc[0]) == "not tested":
        b.para(sec, f"Measurement invariance was not tested: {inv['note'].iloc[0]}.")
        return
    fa = study.get("factor_analysis") or {}
    asked = str(fa.get("estimator", "ML"))
    used = str(inv["estimator"].iloc[0]) if "estimator" in inv.columns else "ML"
    conf = inv.iloc[0]
    j = judge_fit(conf)
    extra = (f"The study asked for {asked}; multiple-group {asked} is not implemented, so {used} was used."
             if asked != used else "")
    ref = b.apa_table("invariance", "invariance", note=extra)
    bits = []
    for r in inv.iloc[1:].to_dict("records"):
        if is_missing(r.get("chi2_diff")):
            test = f"Δdf = {int(r['df_diff'])}"
        else:
            kind = "scaled-shifted Δχ²" if used == "WLSMV" else "Δχ²"
            test = (f"{kind}({int(r['df_diff'])}) = {num(r['chi2_diff'], 'chi2')}"
                    + (f", {_p(r['p_diff'])}" if not is_missing(r.get("p_diff")) else ""))
        bits.append(f"{r['step']}: {test}, ΔCFI = {num(r['delta_cfi'], 'delta_cfi')}")
    text = (f"{ref} gives the invariance sequence across {group} ({conf['groups']}). The configural model had "
            f"{_fit_numbers(conf)}, which {'meets' if j.fits else 'misses'} the fit criteria.")
    if bits:
        text += " Then " + "; ".join(bits) + "."
    if not j.fits:
        text += (" Because the configural model fits poorly, these comparisons are between misspecified models: "
                 "a small ΔCFI does not show that the measurement model is equivalent across groups, and the "
                 "invariance steps should not be interpreted until the configural misfit is resolved.")
    else:
        worst = inv.iloc[1:]["delta_cfi"].astype(float)
        if len(worst):
            failed = inv.iloc[1:][worst < -0.010]
            text += (" No step lowered CFI by more than .010, consistent with invariance up to the "
                     f"{inv['step'].iloc[-1]} level." if failed.empty else
                     f" The {failed['step'].iloc[0]} step lowered CFI by more than .010, so invariance holds only "
                     "up to the step before it.")
    if asked != used:
        text += f" These models were estimated by {used}, not the {asked} the study asked for (see Method)."
    note_groups = inv["note"].iloc[0] if "note" in inv else ""
    if isinstance(note_groups, str) and note_groups:
        text += f" Groups {note_groups}."
    b.para(sec, text)


def _models(b: _Builder, sec: Section, study: Mapping[str, Any]) -> None:
    reg = b.get("regressions")
    fitt = b.get("regression_fit")
    fit_by = {r["model"]: r for r in fitt.to_dict("records")} if len(fitt) else {}
    fig = b.figure("coefficients", "Coefficients of the predictors of each outcome model with 95% confidence "
                                   "intervals: standardised coefficients (β) of the OLS models, odds and incidence-rate "
                                   "ratios of the logistic and count models (log scale). Covariates are not shown; a "
                                   "model with an interaction shows only its interaction term (its lower-order "
                                   "coefficients are conditional effects, given with the probed interaction).")
    if fig:
        k = reg["model"].nunique()
        which = "the outcome model" if k == 1 else ("both outcome models" if k == 2 else f"all {k} outcome models")
        b.para(sec, f"{fig} shows the coefficients of {which} side by side; each model is described below with its "
                    "own table.")
    for model, g in reg.groupby("model", sort=False):
        fam = g["family"].iloc[0]
        ref = b.apa_table(f"regression_{model}", "regressions", model)
        f = fit_by.get(model, {})
        outcome = _outcome_text(study, model, b.names)
        fam_word = {"ols": "an OLS regression", "logit": "a logistic regression",
                    "negbin": "a negative binomial regression", "poisson": "a Poisson regression"}[fam]
        preds = [t for t in g["term"] if t != "(Intercept)"]
        mains = list(dict.fromkeys(_variable_of(t) for t in preds if ":" not in t))
        inters = [b.names.term(t) for t in preds if ":" in t]
        head = (f"In the {b.names.model(model)} model ({ref}), {outcome} was regressed on "
                f"{_join([b.names.var(v) for v in mains] + (['the interaction ' + _join(inters)] if inters else []))}"
                + f" by {fam_word} (n = {int(g['n'].iloc[0]):,}{_sample_text(b, model)}")
        if str(f.get("missing")) == "mice":
            head += f"; {int(f['imputations'])} multiple imputations, pooled"
        head += ")."
        if fam == "ols" and not is_missing(f.get("r2")):
            head += f" The predictors explained R² = {num(f['r2'], 'r2')} of the variance"
            if not is_missing(f.get("f")):
                head += (f", F({int(f['f_df1'])}, {int(f['f_df2'])}) = {num(f['f'], 'f')}, {_p(f['f_p'])}")
            head += "."
        elif fam != "ols" and not is_missing(f.get("pseudo_r2")):
            head += f" McFadden's pseudo-R² was {num(f['pseudo_r2'], 'pseudo_r2')}."
        focal = _focal_terms(study, model)
        rows = g.set_index("term")
        bits = []
        for t in [t for t in preds if t in focal]:
            r = rows.loc[t]
            adj = f", BH-adjusted {_p(r['p_adj'])}" if not is_missing(r.get("p_adj")) else ""
            if fam == "ols":
                bits.append(f"{b.names.term(t)}, b = {num(r['b'])}, 95% CI {_ci(r['ci_lo'], r['ci_hi'])}, "
                            f"β = {num(r['beta'], 'beta')}, {_p(r['p'])}{adj}")
            else:
                ratio = "OR" if fam == "logit" else "IRR"
                bits.append(f"{b.names.term(t)}, {ratio} = {num(r['exp_b'])}, 95% CI "
                            f"{_ci(r['exp_ci_lo'], r['exp_ci_hi'])}, {_p(r['p'])}{adj}")
        if bits:
            head += " Focal predictors: " + "; ".join(bits) + "."
        head += _conditional_text(b, g, _model_spec(study, model))
        b.para(sec, head)
        _moderation(b, sec, only=model)


def _conditional_text(b: _Builder, g: pd.DataFrame, spec: Mapping[str, Any]) -> str:
    """What each lower-order coefficient of an interaction means: the effect at the partner's
    mean when the partner was centred, else at the partner's zero (its reference group)."""
    centres = {t: c for t, c in zip(g["term"], g["centre"]) if not is_missing(c)} if "centre" in g else {}
    inters = [tuple(t) for t in spec.get("interactions") or []]
    if not inters:
        return ""
    cats = {v for v, s in (b.names.references or {}).items()}
    bits = []
    for t in inters:
        for x in t:
            partners = [v for v in t if v != x]
            where = []
            for y in partners:
                if y in centres:
                    where.append(f"the mean of {b.names.var(y)} ({num(centres[y], 'mean')})")
                elif y in cats:
                    where.append(f"the reference group of {b.names.var(y)} ({b.names.references[y]})")
                else:
                    where.append(f"{b.names.var(y)} = 0")
            bits.append(f"the coefficient of {b.names.var(x)} is its effect at {_join(where)}")
    lead = (" " + _cap(_join([f"{b.names.var(v)} was centred at its mean ({num(c, 'mean')})"
                              for v, c in centres.items()])) + ":") if centres else " Without centring,"
    return f"{lead} {'; '.join(bits)}."


def _conditional_at(b: _Builder, g: pd.DataFrame, spec: Mapping[str, Any], term: str) -> str:
    """Where a lower-order coefficient of an interaction holds (``at the mean of attachment
    anxiety``); "" for a term in no interaction."""
    centres = {t for t, c in zip(g["term"], g["centre"]) if not is_missing(c)} if "centre" in g else set()
    where = []
    for inter in spec.get("interactions") or []:
        if term not in inter:
            continue
        for y in inter:
            if y == term:
                continue
            if y in centres:
                where.append(f"at the mean of {b.names.var(y)}")
            elif y in (b.names.references or {}):
                where.append(f"in the reference group of {b.names.var(y)}")
            else:
                where.append(f"at {b.names.var(y)} = 0")
    return _join(where)


def _variable_of(term: str) -> str:
    """The study variable of a design column (``gender[T.Male]`` → ``gender``)."""
    return term.split("[T.")[0] if term.endswith("]") and "[T." in term else term


def _moderation(b: _Builder, sec: Section, only: str | None = None) -> None:
    """The probe paragraphs (all models, or the model ``only``), each with its table and figure."""
    slopes, jn = b.get("simple_slopes"), b.get("johnson_neyman")
    if slopes.empty:
        return
    for model, g in slopes.groupby("model", sort=False):
        if only is not None and model != only:
            continue
        f, w = b.names.var(g["focal"].iloc[0]), b.names.var(g["moderator"].iloc[0])
        tref = b.apa_table(f"simple_slopes_{model}", "simple_slopes", model)
        fig = b.figure("interaction", f"The slope of {f} on {b.names.var(g['outcome'].iloc[0])} across the observed "
                                      f"range of {w}, with its pointwise 95% confidence band; the Johnson–Neyman "
                                      "region of significance is marked within the observed range.")
        where = {"-1 SD": "1 SD below the mean", "mean": "at the mean", "+1 SD": "1 SD above the mean"}
        parts = [f"b = {num(sl)}, 95% CI {_ci(lo, hi)}, {_p(p)}, {where.get(at, at)} ({num(v, 'mean')})"
                 for at, v, sl, lo, hi, p in zip(g["at"], g["moderator_value"], g["slope"], g["ci_lo"], g["ci_hi"],
                                                 g["p"])]
        text = (f"Probing the interaction ({tref}" + (f", {fig}" if fig else "")
                + f"), the effect of {f} across {w} was " + "; ".join(parts[:-1]) + f"; and {parts[-1]}.")
        j = jn[jn["model"] == model]
        if len(j):
            text += " " + _jn_text(j.iloc[0], f, w)
        b.para(sec, text)


def _jn_text(r: pd.Series, focal: str, moderator: str) -> str:
    """The Johnson–Neyman region, clipped to the observed range (columns of stats.regression.moderation)."""
    lo, hi = num(r["moderator_min"], "mean"), num(r["moderator_max"], "mean")
    region = str(r.get("region_observed", r["region"]))
    a, c = r.get("lower_observed", r["lower"]), r.get("upper_observed", r["upper"])
    where = {"everywhere": f"at every observed value of {moderator} ({lo} to {hi})",
             "nowhere": f"at no observed value of {moderator} ({lo} to {hi})",
             "above": f"for {moderator} above {num(a, 'mean')} (observed range {lo} to {hi})",
             "below": f"for {moderator} below {num(a, 'mean')} (observed range {lo} to {hi})",
             "inside": f"for {moderator} between {num(a, 'mean')} and {num(c, 'mean')} (observed range {lo} to {hi})",
             "outside": f"for {moderator} below {num(a, 'mean')} and above {num(c, 'mean')} (observed range {lo} to "
                        f"{hi})"}[region]
    text = (f"By the Johnson–Neyman technique, the effect of {focal} was significant (p < .05) {where}; "
            f"{float(r['share_significant']) * 100:.0f}% of the sample lies in this region.")
    outside = []
    for bound in (r["lower"], r["upper"]):
        if not is_missing(bound) and not (float(r["moderator_min"]) <= float(bound) <= float(r["moderator_max"])):
            outside.append(num(bound, "mean"))
    if outside:
        text += (f" The boundary at {_join(outside)} lies outside the observed range, so no region is reported "
                 "there.")
    return text


def _mediation(b: _Builder, sec: Section) -> None:
    med = b.get("mediation")
    if med.empty:
        return
    for model, g in med.groupby("model", sort=False):
        d = g.set_index("path")
        i = d.loc["indirect"]
        x, m, y = b.names.var(i["x"]), b.names.var(i["mediator"]), b.names.var(i["outcome"])
        fig = b.figure("mediation", f"Mediation of the effect of {x} on {y} through {m}: unstandardised paths a and "
                                    "b, the direct effect c′ and the total effect c, and the indirect effect a·b with "
                                    "its percentile bootstrap 95% CI.")
        def path(p: str, d: pd.DataFrame = d) -> str:
            return f"{num(d.loc[p, 'estimate'])}, 95% CI {_ci(d.loc[p, 'ci_lo'], d.loc[p, 'ci_hi'])}, {_p(d.loc[p, 'p'])}"

        tref = b.apa_table(f"mediation_{model}", "mediation", model)
        refs = "; ".join(r for r in (tref, fig) if r)
        text = (f"In the {b.names.model(model)} model (" + (f"{refs}; " if refs else "") + f"n = {int(i['n']):,}{_sample_text(b, model)}), "
                f"{x} predicted {m} (a = {path('a')}), and {m} predicted {y} controlling for {x} "
                f"(b = {path('b')}). The total effect was c = {path('c')} and the direct effect c′ = {path('c_prime')}. "
                f"The indirect effect was a·b = {num(i['estimate'])}, 95% percentile bootstrap CI "
                f"{_ci(i['ci_lo'], i['ci_hi'])} ({int(i['n_boot']):,} resamples)"
                + (", which excludes zero." if float(i["ci_lo"]) > 0 or float(i["ci_hi"]) < 0 else
                   ", which includes zero."))
        b.para(sec, text)


#: How a ``sem_fit`` estimator reads in the SEM paragraph, and what its sample is.
SEM_ESTIMATOR_TEXT = {"ML": "ML", "MLR": "MLR: robust standard errors, Yuan–Bentler scaled χ²",
                      "WLSMV": "WLSMV: ordered items, polychoric correlations, scaled-shifted χ²"}


def _sem_estimator(est: str, n: int) -> str:
    """``(MLR: ..., n = 944 complete cases)``: the estimator and sample of a SEM paragraph."""
    base, _, miss = str(est).partition("/")
    text = SEM_ESTIMATOR_TEXT.get(base, base)
    if miss == "FIML":
        return f"{text}, full-information ML with missing values, n = {n:,} cases"
    return f"{text}, n = {n:,} complete cases"


def _sem(b: _Builder, sec: Section) -> None:
    fit, par = b.get("sem_fit"), b.get("sem_parameters")
    if fit.empty:
        return
    fig = b.figure("sem_diagram", "Path diagram of the structural equation model" + ("s" if len(fit) > 1 else "")
                   + ": factors as ellipses, observed variables as boxes, standardised estimates at the arrows "
                   "(* p < .05), covariances as curved arrows; defined effects are listed under each diagram.")
    for r in fit.to_dict("records"):
        j = judge_fit(r)
        mp = par[par["model"] == r["model"]]
        latent = set(mp.loc[mp["op"] == "=~", "lhs"])
        name = lambda v: b.names.factor(v) if v in latent else b.names.var(v)    # noqa: E731
        reg = mp[mp["op"] == "~"]
        paths = _join([f"{name(p.lhs)} on {name(p.rhs)}, b = {num(p.est)} (standardised "
                       f"{num(float(p.std), 'std')}), {_p(p.p)}" for p in reg.itertuples()])
        defined = mp[mp["op"] == ":="]
        effects = _join([f"{b.names.var(p.lhs)} = {num(p.est)}, 95% CI {_ci(p.ci_lo, p.ci_hi)}, {_p(p.p)}"
                         for p in defined.itertuples()])
        kind = "latent regression" if len(reg) else "measurement model"
        b.para(sec, f"In the {b.names.model(r['model'])} {kind} ({_sem_estimator(r.get('estimator', 'ML'), int(r['n']))}"
                    f"{_sample_text(b, r['model'])}" + (f"; {fig}" if fig else "") + f"), "
                    f"χ²({int(r['df'])}) = {num(r['chi2'], 'chi2')}, {_p(r['p'])}, {_fit_numbers(r)}, which "
                    f"{'meets' if j.fits else 'misses'} the fit criteria."
                    + (f" Paths: {paths}." if paths else "")
                    + (f" Defined effects (delta-method standard errors): {effects}." if effects else ""))
        fig = None                                   # the figure is cited once, with the first model


def _styles(b: _Builder, sec: Section) -> None:
    st = b.get("attachment_styles")
    if st.empty:
        return
    parts = [f"{r.style} {int(r.n):,} ({float(r.share) * 100:.1f}%)" for r in st.itertuples() if int(r.n) > 0]
    fig = b.figure("dimensions", "Attachment anxiety against avoidance, one point per respondent, coloured by "
                                 "attachment category; dashed lines at the cut values of the classification rule.")
    b.para(sec, "For description only, respondents were also classified into attachment categories"
                + (f" ({fig})" if fig else "") + f", high meaning {st['rule'].iat[0]}: {_join(parts)}. The dimensional scores remain the primary analysis, because "
                "cutting continuous dimensions discards information and power "
                f"{b.cite.cite('fraley_waller_1998')} and adult attachment is dimensional rather than categorical "
                f"{b.cite.cite('fraley_2015')}.")


# ---------------------------------------------------------------------------------------
# appendix
# ---------------------------------------------------------------------------------------

def _appendix(provenance: Mapping[str, Any], study: Mapping[str, Any]) -> Section:
    s = Section("Appendix: provenance")
    pk = provenance.get("packages", {})
    s.blocks.append(Paragraph(f"Study {study.get('name')!s}, study file {study.get('study_file', '')}. Produced by "
                              f"attachstats {pk.get('attachstats', '')} at commit {provenance.get('git_commit', '')}, "
                              f"Python {provenance.get('python', '')} on {provenance.get('platform', '')}, master seed "
                              f"{provenance.get('seed')}. The same inputs and seed give byte-identical results."))
    rows = [[words(label), str(info.get("path", "")), f"{int(info.get('bytes', 0)):,}",
             f"{str(info.get('sha256', ''))[:32]} {str(info.get('sha256', ''))[32:]}"]
            for label, info in (provenance.get("inputs") or {}).items()]
    if rows:
        s.blocks.append(Table(key="inputs", number=0, model=_text_table(
            "inputs", "Input files", ["Input", "Path", "Bytes", "SHA-256"], rows, [False, False, True, False])))
    keys = ["numpy", "scipy", "pandas", "matplotlib", "snakemake", "python-docx", "pyarrow"]
    s.blocks.append(Paragraph("Package versions: " + ", ".join(f"{k} {pk[k]}" for k in keys if k in pk)
                              + ". The full list is in provenance.json; every result table, with full precision and "
                                "machine names, is in tables/*.csv, the figures in figures/, and every excluded "
                                "respondent and altered cell in validation/exclusions.csv and validation/issues.csv."))
    return s


# ---------------------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------------------

def build_manuscript(study: Mapping[str, Any], tables: Mapping[str, pd.DataFrame],
                     figures: Mapping[str, str | Path], provenance: Mapping[str, Any],
                     findings: pd.DataFrame | None = None) -> Manuscript:
    """The manuscript of one study from its result tables.

    Parameters
    ----------
    study : Mapping
        The study settings: ``name``, ``title``, ``study_file``, ``instruments``,
        ``variables``, ``screening``, ``factor_analysis``, ``outcome_models``.
    tables : Mapping[str, pandas.DataFrame]
        Result tables by name, as read from their CSV files (a missing or empty table
        means the analysis is absent and gets no paragraph).
    figures : Mapping[str, str | Path]
        Figure name → PNG file; a figure is placed only with the analysis it shows.
    provenance : Mapping
        The study's ``provenance.json``.
    findings : pandas.DataFrame, optional
        Validation's cell-level findings by rule (``rule, action, cells, respondents, columns``).

    Returns
    -------
    Manuscript
        Sections in reading order; tables and figures numbered by first reference.

    R equivalent: a papaja (R Markdown) manuscript written by hand around apaTables output.
    """
    labels = study_labels(study, tables.get("efa_loadings"))
    names = study_names(study, labels)
    cite = Citations()
    apa = apa_table_set(tables, labels, cutoff=efa_cutoff(study))
    b = _Builder(tables, figures, names, cite, apa)
    summary = _summary(b, study)
    method = Section("Method")
    participants = _participants(b, study, findings)
    waves_text, waves_table = waves_participants(b.get("waves_flow"), b.get("waves_attrition"), names.term)
    if waves_text:   # a longitudinal study: retention, unmatched ids and attrition (output/report/waves.py)
        b.para(participants, waves_text.replace("{table}", f"({b.table(WAVES_TABLE, waves_table)})"))
    for part in (participants, _measures(b, study), _screening(b, study),
                 _strategy(b, study, provenance)):
        if part.blocks:
            method.blocks.append(part)
    results = Section("Results")
    desc = Section("Descriptive statistics and reliability", level=2)
    _descriptives(b, desc)
    _reliability(b, desc)
    fac = Section("Factor structure", level=2)
    _cfa(b, fac, study)
    _efa(b, fac, study)
    _invariance(b, fac, study)
    out = Section("Outcome models", level=2)
    reg = b.get("regressions")
    if len(reg):
        _models(b, out, study)
    elif not len(b.get("mediation")) and not len(b.get("sem_fit")):
        b.para(out, "The study declares no outcome models, so no regression, moderation or mediation results are "
                    "reported.")
    _mediation(b, out)
    _sem(b, out)
    sty = Section("Attachment categories", level=2)
    _styles(b, sty)
    for part in (desc, fac, out, sty):
        if part.blocks:
            results.blocks.append(part)
    sections = [s for s in (summary, method, results) if s.blocks]
    return Manuscript(title=str(study.get("title") or study.get("name")), sections=sections,
                      references=cite.reference_list(), appendix=_appendix(provenance, study))
