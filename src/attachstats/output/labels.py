"""Words for readers: table titles, column labels, table notes and model labels.

Machine names stay in the result CSVs; this module maps them to what a formatted table or a
result sentence prints. Nothing here formats numbers (see :mod:`attachstats.output.numbers`).
"""

from __future__ import annotations

from typing import Any, Mapping

from attachstats.spec.instrument import instrument_of

__all__ = ["TITLES", "LABELS", "TABLE_LABELS", "NOTES", "APA_CORRELATION_NOTE", "title", "column_label",
           "model_label", "study_labels", "term_text", "STAGE_LABELS",
           "stage_label"]

# Table name -> title printed above the table.
TITLES = {
    "flow": "Participant flow",
    "score_summary": "Scale scores",
    "reliability": "Internal consistency (Cronbach's alpha with Feldt and bootstrap 95% CIs; McDonald's omega)",
    "reliability_items": "Item statistics",
    "cfa_fit": "Confirmatory factor analysis: model fit",
    "cfa_loadings": "Confirmatory factor analysis: loadings",
    "cfa_factor_correlations": "Confirmatory factor analysis: latent correlations",
    "regressions": "Outcome models: coefficients (OLS: HC3 robust SEs by default; GLMs: b on the link scale, exp_b = OR or IRR)",
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
    "sem_fit": "Latent regression (SEM, ML): model fit",
    "sem_parameters": "Latent regression (SEM, ML): parameters",
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
    "ss_loadings": "SS loadings", "proportion_var": "Proportion var.", "r": "r",
}
# Labels that differ in one table (the test statistic is not always t; in "regressions" the note
# says that GLM rows hold z).
TABLE_LABELS = {"regression_blocks": {"stat": "F / χ²"}, "sem_parameters": {"stat": "z"}}
# Table name -> note printed below the table.
NOTES = {
    "regressions": "b = unstandardised coefficient (GLMs: on the link scale; exp_b = odds or incidence-rate "
                   "ratio); SE = heteroscedasticity-consistent (HC3) standard error for OLS unless the model's "
                   "robust key says otherwise, model-based for GLMs; the t column holds z for GLMs; β = standardised "
                   "coefficient; sr2 = squared semipartial correlation; p (BH) = Benjamini–Hochberg adjusted "
                   "within the model's test family; CI = confidence interval.",
    "regression_blocks": "Blocks entered in order on the same rows. OLS: ΔR² with its F test; logit, Poisson, "
                         "negative binomial: likelihood-ratio χ² and change in McFadden's pseudo-R². "
                         "f2 = ΔR² / (1 − R²).",
    "mediation": "a: x → mediator; b: mediator → outcome given x; c: total effect; c_prime: direct effect; "
                 "indirect = a·b with a percentile bootstrap CI.",
    "cfa_fit": "Estimator as listed: ML on complete cases; MLR = ML with robust standard errors, "
               "Yuan–Bentler scaled χ² and robust CFI/TLI/RMSEA; FIML = ML using every answered item. "
               "CFI = comparative fit index; TLI = Tucker–Lewis index; "
               "RMSEA = root mean square error of approximation (90% CI); SRMR = standardised root mean "
               "square residual.",
    "cfa_comparison": "Likelihood-ratio tests of nested models (MLR: Satorra–Bentler 2001 scaled difference); "
                      "Δ = restricted − general.",
    "efa_loadings": "Pattern loadings after rotation; loadings below the study's cut-off are blank. h2 = "
                    "communality; u2 = uniqueness; complexity = Hofmann's index; msa = KMO per item.",
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


def study_labels(study: Mapping[str, Any]) -> dict[str, str]:
    """Human labels of a study's machine names, for figures: scores, items, factors, variables.

    Scores ``<key>_<subscale>`` read "<instrument id> <subscale>" (``ecr_anxiety`` ->
    "ECR-R anxiety", ``phq9_total`` -> "PHQ-9 total"); items ``<key>_<n>`` read
    "<instrument id> <n>"; a factor named after a subscale reads as that subscale
    ("Anxiety"); a variable reads as its ``label:`` if the study gives one, else its name in
    sentence case. Names without a label are left out (callers fall back to the name).

    >>> study_labels({"instruments": {}, "variables": {"age": {"column": "Age"}}})["age"]
    'Age'
    """
    out: dict[str, str] = {}
    for name, var in (study.get("variables") or {}).items():
        given = var.get("label") if isinstance(var, Mapping) else None
        out[name] = str(given) if given else name.replace("_", " ").capitalize()
    for key in study.get("instruments") or {}:
        inst = instrument_of(study, key)
        short = inst.id.upper()
        for sub in inst.subscales:
            out[f"{key}_{sub}"] = f"{short} {sub.replace('_', ' ')}"
            out.setdefault(sub, sub.replace("_", " ").capitalize())
        for n in range(1, inst.n_items + 1):
            out[f"{key}_{n}"] = f"{short} {n}"
    for key in ("general", "method"):
        out.setdefault(key, key.capitalize())
    return out


def term_text(term: str, labels: Mapping[str, str]) -> str:
    """A design term as printed in a figure: ``gender[T.Male]`` -> "Gender: Male",
    ``ecr_anxiety:loss`` -> "ECR-R anxiety × Loss" (labels from :func:`study_labels`).

    >>> term_text("gender[T.Male]:x", {"gender": "Gender"})
    'Gender: Male × x'
    """
    parts = []
    for piece in term.split(":"):
        if "[T." in piece and piece.endswith("]"):
            var, level = piece[:-1].split("[T.", 1)
            parts.append(f"{labels.get(var, var)}: {level}")
        else:
            parts.append(labels.get(piece, piece))
    return " × ".join(parts)


# Exclusion stage of the participant flow -> plain words (CONSORT-style flow diagram).
STAGE_LABELS = {
    "raw": "Responses assessed", "empty_rows": "Empty rows", "missing_ids": "No respondent ID",
    "duplicate_rows": "Duplicate rows", "duplicate_ids": "Duplicate respondent IDs",
    "speeding": "Completed too fast", "longstring": "Long runs of one answer",
    "mahalanobis": "Multivariate outlier (Mahalanobis)", "analysed": "Analysed",
}


def stage_label(stage: str) -> str:
    """A flow stage in plain words (the stage name in sentence case when none is defined).

    >>> stage_label("duplicate_ids"), stage_label("attention_check")
    ('Duplicate respondent IDs', 'Attention check')
    """
    return STAGE_LABELS.get(stage, stage.replace("_", " ").capitalize())
