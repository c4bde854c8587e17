"""Words for readers: table titles, column labels, table notes and the labels of a study.

Machine names stay in the result CSVs; this module maps them to what a formatted table, a
figure or a result sentence prints. Nothing here formats numbers (see
:mod:`attachstats.output.numbers`).

Two kinds of words live here:

- fixed words of the tables (:data:`TITLES`, :data:`LABELS`, :data:`NOTES`);
- the words of one study, built once by :func:`study_labels` from the study file (``label:``
  on variables and models, ``factor_analysis.factor_labels``) and the instrument files (full
  names, subscale labels such as "Attachment anxiety", item labels): a :class:`StudyLabels`
  that turns every variable, score, item, factor, model and model term into words
  (``gender[T.Male]`` -> "Gender (male vs female)", ``ecr_anxiety:loss`` -> "Attachment
  anxiety × Relationship loss", ``MR2`` -> the factor its loadings identify).

Example
-------
>>> study = {"name": "s", "variables": {"gender": {"column": "G", "type": "categorical",
...          "reference": "Female"}}, "instruments": {"ecr": {"instrument": "ecr-r", "columns": "E{n}"}}}
>>> lab = study_labels(study)
>>> lab.variable("ecr_anxiety"), lab.term("gender[T.Male]"), lab.term("ecr_anxiety:gender[T.Male]")
('Attachment anxiety', 'Gender (male vs female)', 'Attachment anxiety × Gender (male vs female)')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

import pandas as pd

from attachstats.spec.factor import factor_structure
from attachstats.spec.instrument import instrument_of

__all__ = ["TITLES", "LABELS", "TABLE_LABELS", "NOTES", "APA_CORRELATION_NOTE", "title", "column_label",
           "model_label", "StudyLabels", "study_labels", "efa_factor_names", "LABEL_KEYS", "CFA_MODEL_LABELS",
           "FACTOR_LABELS", "STAGE_LABELS", "PATH_LABELS", "family_column_label", "words", "split_interaction",
           "figure_labels", "term_text", "stage_label", "in_text"]

# Table name -> title printed above the table.
TITLES = {
    "flow": "Participant flow",
    "score_summary": "Scale scores",
    "reliability": "Internal consistency (Cronbach's alpha with Feldt and bootstrap 95% CIs; McDonald's omega)",
    "reliability_items": "Item statistics",
    "cfa_fit": "Confirmatory factor analysis: model fit",
    "cfa_loadings": "Confirmatory factor analysis: loadings",
    "cfa_factor_correlations": "Confirmatory factor analysis: latent correlations",
    "regressions": "Outcome models: coefficients (OLS: HC3 robust SEs by default; GLMs: b on the link scale, exp(b) = OR or IRR)",
    "regression_fit": "Outcome models: fit",
    "score_bands": "Severity bands (respondents per band)",
    "caseness": "Caseness and item flags",
    "attachment_styles": "Attachment categories (secondary; dimensions are the primary analysis)",
    "descriptives": "Descriptive statistics",
    "correlations": "Correlations (pairwise Pearson r, 95% CI by Fisher z)",
    "correlations_apa": "Means, standard deviations, reliabilities and correlations",
    "regression_blocks": "Outcome models: hierarchical entry (ΔR² with F test; GLMs: likelihood-ratio test)",
    "regression_diagnostics": "Outcome models: diagnostics (VIF, Breusch–Pagan, Cook's distance > 4/n)",
    "model_samples": "Rows used per model and why others were not",
    "simple_slopes": "Simple slopes (moderator at mean − SD, mean, mean + SD)",
    "johnson_neyman": "Johnson–Neyman region of significance",
    "slope_curve": "Slope of the focal predictor across the moderator",
    "mediation": "Mediation: paths and indirect effect (percentile bootstrap)",
    "sem_fit": "Structural equation models: model fit",
    "sem_parameters": "Structural equation models: parameters",
    "cfa_comparison": "Confirmatory factor analysis: nested model comparison",
    "efa_diagnostics": "Exploratory factor analysis: sampling adequacy, Bartlett's test, parallel analysis",
    "parallel_analysis": "Parallel analysis: observed and simulated eigenvalues",
    "efa_loadings": "Exploratory factor analysis: rotated loadings",
    "efa_factors": "Exploratory factor analysis: variance accounted for",
    "efa_factor_correlations": "Exploratory factor analysis: factor correlations",
    "invariance": "Measurement invariance",
    "cross_validation": "Cross-validation: EFA loadings (one part) and CFA loadings (other part)",
    "cross_validation_fit": "Cross-validation: congruence and fit of the held-out CFA",
}

# Column name -> printed label (APA symbols in italics are left to the writers' fonts).
LABELS = {
    "model": "Model", "outcome": "Outcome", "term": "Term", "family": "Family", "scale": "Scale",
    "item": "Item", "factor": "Factor", "factor1": "Factor 1", "factor2": "Factor 2", "stage": "Stage",
    "score": "Score", "instrument": "Instrument", "estimator": "Estimator", "study": "Study",
    "b": "b", "se": "SE", "beta": "β", "stat": "t", "p": "p", "p_adj": "p (BH)", "n": "n", "k": "k",
    "est": "Estimate", "std": "Std. estimate", "chi2": "χ²", "df": "df", "cfi": "CFI", "tli": "TLI",
    "rmsea": "RMSEA", "srmr": "SRMR", "aic": "AIC", "bic": "BIC", "alpha": "α", "std_alpha": "Std. α",
    "mean": "M", "sd": "SD", "r2": "R²", "adj_r2": "Adj. R²", "n_before": "n before",
    "n_excluded": "n excluded", "n_after": "n after", "r_drop": "Item–rest r",
    "alpha_if_deleted": "α if deleted", "missing_share": "Missing",
    "restricted": "Restricted", "general": "General", "chi2_diff": "Δχ²", "df_diff": "Δdf",
    "p_diff": "p (Δχ²)", "scaling_diff": "c_d", "delta_aic": "ΔAIC", "delta_bic": "ΔBIC",
    "delta_cfi": "ΔCFI", "delta_tli": "ΔTLI", "delta_rmsea": "ΔRMSEA", "delta_srmr": "ΔSRMR",
    "step": "Step", "group": "Group", "groups": "Groups", "note": "Note", "loglik": "log L",
    "npar": "Parameters", "h2": "h²", "u2": "u²", "complexity": "Complexity", "msa": "MSA",
    "primary": "Primary", "kmo": "KMO", "bartlett_chi2": "Bartlett χ²", "bartlett_df": "df",
    "bartlett_p": "p", "parallel_factors": "PA factors", "parallel_components": "PA components",
    "efa_factor": "EFA factor", "efa_loading": "EFA loading", "efa_max_other": "Largest other",
    "efa_h2": "EFA h²", "efa_primary_agrees": "Primary agrees", "cfa_std": "CFA std. loading",
    "congruence": "Congruence", "n_efa": "n (EFA)", "n_cfa": "n (CFA)", "cfa_model": "CFA model",
    "ss_loadings": "SS loadings", "proportion_var": "Proportion var.", "r": "r", "sr2": "sr²",
    "exp_b": "exp(b)", "f2": "f²", "pseudo_r2": "Pseudo-R²", "delta_r2": "ΔR²", "delta_pseudo_r2": "Δ pseudo-R²",
    "nagelkerke_r2": "Nagelkerke R²", "omega_total": "ω total", "omega_h": "ωh", "var1": "Variable 1",
    "var2": "Variable 2", "variable": "Variable", "kind": "Kind", "min": "Min", "max": "Max",
}
# Labels that differ in one table (the test statistic is not always t; in "regressions" the note
# says that GLM rows hold z).
TABLE_LABELS = {"regression_blocks": {"stat": "F / χ²"}, "sem_parameters": {"stat": "z"}}
# Table name -> note printed below the table.
NOTES = {
    "regressions": "b = unstandardised coefficient (GLMs: on the link scale; exp(b) = odds or incidence-rate "
                   "ratio); SE = heteroscedasticity-consistent (HC3) standard error for OLS unless the model's "
                   "robust key says otherwise, model-based for GLMs; the t column holds z for GLMs; β = standardised "
                   "coefficient; sr² = squared semipartial correlation; p (BH) = Benjamini–Hochberg adjusted "
                   "within the model's test family; CI = confidence interval.",
    "regression_blocks": "Blocks entered in order on the same rows. OLS: ΔR² with its F test; logit, Poisson, "
                         "negative binomial: likelihood-ratio χ² and change in McFadden's pseudo-R². "
                         "f2 = ΔR² / (1 − R²).",
    "mediation": "a: x → mediator; b: mediator → outcome given x; c: total effect; c′: direct effect; "
                 "indirect = a·b with a percentile bootstrap CI.",
    "cfa_fit": "Estimator as listed: ML on complete cases; MLR = ML with robust standard errors, "
               "Yuan–Bentler scaled χ² and robust CFI/TLI/RMSEA; FIML = ML using every answered item. "
               "CFI = comparative fit index; TLI = Tucker–Lewis index; "
               "RMSEA = root mean square error of approximation (90% CI); SRMR = standardised root mean "
               "square residual.",
    "cfa_comparison": "Likelihood-ratio tests of nested models (MLR: Satorra–Bentler 2001 scaled difference); "
                      "Δ = restricted − general.",
    "efa_loadings": "Pattern loadings after rotation; loadings below the study's cut-off are blank. h² = "
                    "communality; u² = uniqueness; complexity = Hofmann's index; MSA = KMO per item.",
    "invariance": "Multiple-group ML with mean structure; each step is compared with the previous one "
                  "(Δ = this step − previous).",
    "reliability": "α = Cronbach's alpha with Feldt 95% CI; M and SD of the item mean.",
    "flow": "Stages are applied in order; each respondent is excluded at the first stage they fail.",
}
# Note of the APA correlation matrix (printed by the callers below the table).
APA_CORRELATION_NOTE = ("M and SD of each variable; Cronbach's alpha of each scale score on the diagonal in "
                        "parentheses; below it Pearson's r with its 95% CI in brackets (Fisher z), pairwise n. "
                        "* p < .05, ** p < .01, *** p < .001.")


def title(name: str) -> str:
    """The title of table ``name`` (its name in sentence case when no title is defined)."""
    return TITLES.get(name, name.replace("_", " ").capitalize())


def column_label(column: str, table: str | None = None) -> str:
    """The printed label of ``column`` in ``table`` (the machine name when no label is defined)."""
    return TABLE_LABELS.get(table or "", {}).get(column, LABELS.get(column, column))


def model_label(model: str) -> str:
    """A model's machine name as printed in sentences: ``two_factor`` -> ``two-factor``."""
    return model.replace("_", "-")


#: Study keys :func:`study_labels` reads (a rule passing a study part declares these).
LABEL_KEYS = ("variables", "instruments", "factor_analysis", "outcome_models", "mediation_models", "sem_models")
#: Built-in CFA models in words.
CFA_MODEL_LABELS = {"one_factor": "One factor", "two_factor": "Two correlated factors",
                    "two_factor_method": "Two factors + method factor"}
#: Factors of the built-in models that are not subscales.
FACTOR_LABELS = {"general": "General factor", "method": "Method factor (reverse-keyed items)"}
#: Screening stages of the participant flow (validation/flow.csv ``stage``).
STAGE_LABELS = {
    "raw": "Rows in the data file", "empty_rows": "Empty rows", "missing_ids": "Missing respondent ID",
    "duplicate_rows": "Duplicate rows", "duplicate_ids": "Duplicate respondent IDs",
    "speeding": "Speeding (too few seconds per item)", "longstring": "Long strings of identical answers",
    "mahalanobis": "Multivariate outliers (Mahalanobis distance)", "attention_checks": "Failed attention checks",
    "irv": "Low intra-individual response variability", "evenodd": "Low even–odd consistency",
    "psychsyn": "Psychometric synonyms inconsistent", "out_of_range": "Out-of-range answers",
    "analysed": "Analysed",
}
#: Paths of a simple mediation model (mediation.csv ``path``).
PATH_LABELS = {"a": "a (X → M)", "b": "b (M → Y, given X)", "c": "Total effect (c)",
               "c_prime": "Direct effect (c′)", "indirect": "Indirect effect (ab)"}
#: Column labels that depend on a model's family: the exponentiated coefficient and the test statistic.
_EXP_LABEL = {"logit": "OR", "poisson": "IRR", "negbin": "IRR"}
_EFA_FACTOR = re.compile(r"^(MR|ML|PA|PC|RC|TC|F)(\d+)$")
_DUMMY = re.compile(r"^(?P<var>.+)\[T\.(?P<level>.+)\]$")


def words(name: str) -> str:
    """A machine name in words when nothing better is known: ``panic_attacks`` -> ``Panic attacks``."""
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else text


def family_column_label(column: str, family: str) -> str:
    """The label of a column whose meaning depends on the model family.

    ``exp_b`` is ``OR`` for logit and ``IRR`` for Poisson and negative binomial models,
    ``exp_ci_lo``/``exp_ci_hi`` their CI; ``stat`` is ``t`` for OLS and ``z`` for the GLMs
    (Wald tests on the normal distribution, as ``summary(glm)``).

    >>> family_column_label("exp_b", "logit"), family_column_label("stat", "negbin"), family_column_label("stat", "ols")
    ('OR', 'z', 't')
    """
    if column == "exp_b":
        return _EXP_LABEL.get(family, "exp(b)")
    if column == "stat":
        return "t" if family == "ols" else "z"
    return column_label(column)


def _level(level: str) -> str:
    """A category level inside a sentence: ``Male`` -> ``male`` (codes and acronyms unchanged)."""
    return level[:1].lower() + level[1:] if len(level) > 1 and level[:1].isupper() and level[1:2].islower() else level


@dataclass(frozen=True)
class StudyLabels:
    """Every name of one study in words (see :func:`study_labels`).

    Attributes
    ----------
    variables : dict
        Machine name -> label for variables, scale scores and items (``ecr_anxiety`` ->
        "Attachment anxiety", ``ecr_9`` -> "9. seldom worries about partner leaving (R)").
    models : dict
        Model name -> label (outcome, mediation, SEM and CFA models).
    factors : dict
        Factor name -> label (CFA factors such as ``anxiety``, ``general``; EFA factors such as
        ``MR2`` when their loadings identify a subscale).
    instruments : dict
        Instrument block key -> full instrument name with its abbreviation.
    references : dict
        Categorical variable -> its reference level (for dummy terms).
    families : dict
        Outcome model -> family (``ols``, ``logit``, ``poisson``, ``negbin``).
    kinds : dict
        Machine name -> what it is (``variable``, ``score``, ``item``).
    outcomes : dict
        Outcome model -> its outcome in words (``Depressive symptoms ≥ 10`` for a logit model
        with ``cutoff: 10``).
    """

    variables: dict[str, str] = field(default_factory=dict)
    models: dict[str, str] = field(default_factory=dict)
    factors: dict[str, str] = field(default_factory=dict)
    instruments: dict[str, str] = field(default_factory=dict)
    references: dict[str, str] = field(default_factory=dict)
    families: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)

    def variable(self, name: str) -> str:
        """The label of a variable, score or item (the name in words when unknown)."""
        return self.variables.get(name) or words(name)

    def model(self, name: str) -> str:
        """The label of a model (the name in words when unknown)."""
        return self.models.get(name) or words(name)

    def factor(self, name: str) -> str:
        """The label of a factor: a subscale label, ``General factor``, or ``Factor 2`` for ``MR2``."""
        if name in self.factors:
            return self.factors[name]
        m = _EFA_FACTOR.match(str(name))
        return f"Factor {m.group(2)}" if m else self.variables.get(name) or words(name)

    def term(self, term: str) -> str:
        """The label of a model term: intercept, variable, dummy (level vs reference) or product.

        >>> StudyLabels(variables={"loss": "Relationship loss"}).term("(Intercept)")
        'Intercept'
        """
        term = str(term)
        if term in ("(Intercept)", "Intercept", "const"):
            return "Intercept"
        if term in self.variables:
            return self.variables[term]
        parts = split_interaction(term)
        if len(parts) > 1:
            return " × ".join(self.term(p) for p in parts)
        m = _DUMMY.match(term)
        if m:
            var, level = m.group("var"), m.group("level")
            ref = self.references.get(var)
            versus = f" vs {_level(ref)}" if ref else " vs reference"
            return f"{self.variable(var)} ({_level(level)}{versus})"
        return self.variable(term)

    def exp_label(self, model: str) -> str:
        """``OR`` or ``IRR`` for a GLM outcome model, ``exp(b)`` otherwise."""
        return _EXP_LABEL.get(self.families.get(model, ""), "exp(b)")

    def stat_label(self, model: str) -> str:
        """The test statistic of an outcome model's coefficients: ``t`` (OLS) or ``z`` (GLMs)."""
        return "t" if self.families.get(model, "ols") == "ols" else "z"

    def frame(self) -> pd.DataFrame:
        """Every machine name with its label: columns ``kind, name, label`` (the labels list)."""
        rows = [(self.kinds.get(k, "variable"), k, v) for k, v in self.variables.items()]
        rows += [("model", k, v) for k, v in self.models.items()]
        rows += [("factor", k, v) for k, v in self.factors.items()]
        rows += [("instrument", k, v) for k, v in self.instruments.items()]
        return pd.DataFrame(rows, columns=["kind", "name", "label"])

    def machine_names(self) -> set[str]:
        """Machine names a formatted table must not print (those that differ from their label)."""
        return {n for n, lab in [*self.variables.items(), *self.models.items(), *self.factors.items()]
                if n != lab}


def split_interaction(term: str) -> list[str]:
    """``a:b`` -> ``[a, b]``; a colon inside a dummy's brackets (``g[T.a:b]``) does not split."""
    parts, depth, cur = [], 0, ""
    for ch in term:
        depth += ch == "["
        depth -= ch == "]"
        if ch == ":" and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return [*parts, cur]


def _abbreviation(instrument_id: str) -> str:
    return instrument_id.upper()


def _part(study: Mapping[str, Any], key: str) -> Any:
    """``study[key]`` or None; a study part (``StudyPart``) that does not declare ``key`` gives None."""
    declared = getattr(study, "declared", None)
    if declared is not None and key not in declared:
        return None
    return study.get(key)


def study_labels(study: Mapping[str, Any], efa_loadings: pd.DataFrame | None = None) -> StudyLabels:
    """The labels of one study, built once and used by every table, figure and sentence.

    Parameters
    ----------
    study : mapping
        The resolved study, or a study part: a part labels what the keys it declares allow
        (declare :data:`LABEL_KEYS` for every label; without ``variables``, for example,
        variables are put in words).
    efa_loadings : pandas.DataFrame, optional
        ``tables/efa_loadings.csv``; when given, each EFA factor (``MR1``, ...) whose primary
        items are mostly one subscale's, and that subscale's mostly its, is named after it
        (see :func:`efa_factor_names`).

    Returns
    -------
    StudyLabels
        Scores: the subscale's ``label`` from the instrument file (``Attachment anxiety``),
        else ``<ABBREVIATION> <subscale>`` (``PHQ-9 total``); when two blocks give the same
        label, each gets its instrument's abbreviation (``Attachment anxiety (ECR-S)``), or its
        block key in words when both blocks use the same instrument (``(Ecr mother)``).
        Items: ``<n>. <item label>`` with ``(R)`` for reverse-keyed items. Variables and
        models: their ``label:`` key, else the name in words. Factors:
        ``factor_analysis.factor_labels``, else the subscale label, ``General factor`` or
        ``Method factor (reverse-keyed items)``.

    Notes
    -----
    R equivalent: none built in; papaja and apaTables leave labels to the user (``apa.cor.table``
    prints column names, ``papaja::apa_table`` takes ``col.names`` by hand).
    """
    variables: dict[str, str] = {}
    kinds: dict[str, str] = {}
    references: dict[str, str] = {}
    for name, var in (_part(study, "variables") or {}).items():
        variables[name] = str(var.get("label") or words(name))
        kinds[name] = "variable"
        if var.get("reference") is not None:
            references[name] = str(var["reference"])
    instruments: dict[str, str] = {}
    score_labels: dict[str, tuple[str, str, str]] = {}      # score -> (label, abbreviation, block key)
    subscale_labels: dict[str, dict[str, str]] = {}
    for key in (_part(study, "instruments") or {}):
        inst = instrument_of(study, key)
        abbr = _abbreviation(inst.id)
        instruments[key] = f"{inst.name} ({abbr})" if inst.name != inst.id else abbr
        subscale_labels[key] = {}
        for sub in inst.subscales.values():
            label = sub.label or f"{abbr} {sub.name.replace('_', ' ')}"
            score_labels[f"{key}_{sub.name}"] = (label, abbr, key)
            subscale_labels[key][sub.name] = label
        for item in inst.items:
            col = f"{key}_{item.number}"
            variables[col] = f"{item.number}. {item.label}" + (" (R)" if item.keyed < 0 else "")
            kinds[col] = "item"
    counts = pd.Series([lab for lab, _, _ in score_labels.values()], dtype=object).value_counts()
    with_abbr = pd.Series([f"{lab} ({abbr})" for lab, abbr, _ in score_labels.values()], dtype=object).value_counts()
    for score, (label, abbr, key) in score_labels.items():
        if counts.get(label, 0) > 1:      # two blocks measure the same construct: say which
            label = f"{label} ({abbr})" if with_abbr.get(f"{label} ({abbr})", 0) == 1 else f"{label} ({words(key)})"
        variables.setdefault(score, label)
        kinds.setdefault(score, "score")
    models: dict[str, str] = {}
    families: dict[str, str] = {}
    outcomes: dict[str, str] = {}
    for group in ("outcome_models", "mediation_models", "sem_models"):
        for m in _part(study, group) or []:
            models[m["name"]] = str(m.get("label") or words(m["name"]))
            if group == "outcome_models":
                families[m["name"]] = m.get("family", "ols")
                cut = m.get("cutoff")
                outcome = variables.get(m["outcome"]) or score_labels.get(m["outcome"], (words(m["outcome"]),))[0]
                outcomes[m["name"]] = (f"{outcome} ≥ {cut:g} (1) vs below (0)" if cut is not None and
                                       m.get("family") == "logit" else outcome)
    factors: dict[str, str] = dict(FACTOR_LABELS)
    fa = _part(study, "factor_analysis") or {}
    if fa and _part(study, "instruments"):
        key = fa["instrument"]
        factors.update(subscale_labels.get(key, {}))
        for m in fa.get("models") or []:
            name = m if isinstance(m, str) else m["name"]
            models[name] = (CFA_MODEL_LABELS.get(name, words(name)) if isinstance(m, str)
                            else str(m.get("label") or words(name)))
        if efa_loadings is not None:
            factors.update(efa_factor_names(efa_loadings, study))
        factors.update({str(k): str(v) for k, v in (fa.get("factor_labels") or {}).items()})
    for m in _part(study, "sem_models") or []:          # a preset SEM's factors: its instrument's subscales
        for k, v in subscale_labels.get(m.get("instrument"), {}).items():
            factors.setdefault(k, v)
    for k in CFA_MODEL_LABELS:
        models.setdefault(k, CFA_MODEL_LABELS[k])
    return StudyLabels(variables=variables, models=models, factors=factors, instruments=instruments,
                       references=references, families=families, kinds=kinds, outcomes=outcomes)


def efa_factor_names(efa_loadings: pd.DataFrame, study: Mapping[str, Any]) -> dict[str, str]:
    """EFA factors named after the subscale their loadings identify.

    A factor (``MR1``, ...) is named after subscale S when more than half of the items with
    their largest loading on it (``primary``) belong to S and more than half of S's items
    load mainly on it, and no other factor qualifies for S; other factors stay ``Factor k``
    (the caller's default).

    Parameters
    ----------
    efa_loadings : pandas.DataFrame
        ``tables/efa_loadings.csv`` (columns ``item``, the factors, ..., ``primary``).
    study : mapping
        The study (its ``factor_analysis.instrument`` gives the subscales).

    Returns
    -------
    dict
        Factor name -> subscale label, for the factors that are identified.
    """
    if efa_loadings is None or efa_loadings.empty or "primary" not in efa_loadings or not _part(study, "factor_analysis"):
        return {}
    key, by_sub, _, _ = factor_structure(study)
    inst = instrument_of(study, key)
    label = {s.name: s.label or f"{_abbreviation(inst.id)} {s.name}" for s in inst.subscales.values()}
    primary = dict(zip(efa_loadings["item"].astype(str), efa_loadings["primary"].astype(str)))
    claims: dict[str, list[str]] = {}
    for sub, items in by_sub.items():
        on = [primary[i] for i in items if i in primary]
        for fac in set(on):
            of_factor = [i for i, f in primary.items() if f == fac]
            share_sub = on.count(fac) / len(items)
            share_fac = sum(i in items for i in of_factor) / len(of_factor)
            if share_sub > 0.5 and share_fac > 0.5:
                claims.setdefault(fac, []).append(sub)
    subs_claimed = pd.Series([s for subs in claims.values() for s in subs]).value_counts()
    return {fac: label[subs[0]] for fac, subs in claims.items()
            if len(subs) == 1 and subs_claimed[subs[0]] == 1}


def figure_labels(study: Mapping[str, Any], efa_loadings: pd.DataFrame | None = None) -> dict[str, str]:
    """Machine name -> label for figures: :func:`study_labels`' variables, scores and factors,
    with items short (``ECR-R 7``: an item's full text does not fit a box in a path diagram).

    >>> figure_labels({"instruments": {}, "variables": {"age": {"column": "Age"}}})["age"]
    'Age'
    """
    lab = study_labels(study, efa_loadings)
    out = dict(lab.variables)
    for key in (_part(study, "instruments") or {}):
        abbr = _abbreviation(instrument_of(study, key).id)
        for col, kind in lab.kinds.items():
            if kind == "item" and col.startswith(f"{key}_"):
                out[col] = f"{abbr} {col[len(key) + 1:]}"
    out.update(lab.factors)
    return out


def term_text(term: str, labels: Mapping[str, str]) -> str:
    """A design term as printed in a figure: ``gender[T.Male]`` -> "Gender: Male",
    ``ecr_anxiety:loss`` -> "Attachment anxiety × Loss" (labels from :func:`figure_labels`).

    >>> term_text("gender[T.Male]:x", {"gender": "Gender"})
    'Gender: Male × x'
    """
    parts = []
    for piece in split_interaction(term):
        m = _DUMMY.match(piece)
        if m:
            parts.append(f"{labels.get(m.group('var'), m.group('var'))}: {m.group('level')}")
        else:
            parts.append(labels.get(piece, piece))
    return " × ".join(parts)


def stage_label(stage: str) -> str:
    """A flow stage in plain words (:data:`STAGE_LABELS`; the name in words when none is defined).

    >>> stage_label("duplicate_ids"), stage_label("attention_check")
    ('Duplicate respondent IDs', 'Attention check')
    """
    return STAGE_LABELS.get(stage, words(stage))


def in_text(label: str) -> str:
    """A label as it reads inside a sentence: the first letter lower-cased unless the first
    word is an abbreviation (``Attachment anxiety`` → ``attachment anxiety``, ``PHQ-9 total``
    stays).

    >>> in_text("Attachment anxiety"), in_text("PHQ-9 total"), in_text("Age")
    ('attachment anxiety', 'PHQ-9 total', 'age')
    """
    first = label.split(" ", 1)[0]
    if not label or sum(ch.isupper() for ch in first) > 1:
        return label
    return label[0].lower() + label[1:]
