# Configuration checks and helpers shared by every rule file.
from snakemake.utils import validate

import sys

from attachstats.errors import AttachstatsError
from attachstats.fingerprint import code_fingerprint
from attachstats.spec.study import StudyPart, check_schema, read_yaml, resolve_study
from attachstats.steps.report import FIGURE_GROUPS, GROUP_TABLES


validate(config, "../schemas/config.schema.yaml")


def load_studies(paths):
    """Validate each study file against the schema and resolve it; names must be unique."""
    studies = {}
    for path in paths:
        study = read_yaml(path)
        check_schema(study, workflow.source_path("../schemas/study.schema.yaml"), path)  # one-line message
        validate(study, "../schemas/study.schema.yaml")  # fills the schema's defaults
        study = resolve_study(study, path)
        if study["name"] in studies:
            raise ValueError(f"two study files use the name {study['name']!r}: {path} and "
                             f"{studies[study['name']]['study_file']}")
        studies[study["name"]] = study
    return studies


try:
    STUDIES = load_studies(config["studies"])
except AttachstatsError as exc:  # a wrong study file: its message, no Python traceback
    sys.exit(f"attachstats: {type(exc).__name__}: {exc}")
RESULTS = config["results_dir"]
SEED = config["seed"]

TABLES = {
    "flow": "validation/flow.csv",
    "score_summary": "tables/score_summary.csv",
    "reliability": "tables/reliability.csv",
    "reliability_items": "tables/reliability_items.csv",
    "cfa_fit": "tables/cfa_fit.csv",
    "cfa_loadings": "tables/cfa_loadings.csv",
    "cfa_factor_correlations": "tables/cfa_factor_correlations.csv",
    "cfa_comparison": "tables/cfa_comparison.csv",
    "efa_diagnostics": "tables/efa_diagnostics.csv",
    "parallel_analysis": "tables/parallel_analysis.csv",
    "efa_loadings": "tables/efa_loadings.csv",
    "efa_factors": "tables/efa_factors.csv",
    "efa_factor_correlations": "tables/efa_factor_correlations.csv",
    "invariance": "tables/invariance.csv",
    "cross_validation": "tables/cross_validation.csv",
    "cross_validation_fit": "tables/cross_validation_fit.csv",
    "regressions": "tables/regressions.csv",
    "regression_fit": "tables/regression_fit.csv",
    "score_bands": "tables/score_bands.csv",
    "caseness": "tables/caseness.csv",
    "attachment_styles": "tables/attachment_styles.csv",
    "descriptives": "tables/descriptives.csv",
    "correlations": "tables/correlations.csv",
    "regression_blocks": "tables/regression_blocks.csv",
    "regression_diagnostics": "tables/regression_diagnostics.csv",
    "model_samples": "tables/model_samples.csv",
    "simple_slopes": "tables/simple_slopes.csv",
    "johnson_neyman": "tables/johnson_neyman.csv",
    "slope_curve": "tables/slope_curve.csv",
    "mediation": "tables/mediation.csv",
    "sem_fit": "tables/sem_fit.csv",
    "sem_parameters": "tables/sem_parameters.csv",
}
# Figures in the report's order (the template places them); drawn by the rules of FIGURE_GROUPS.
FIGURES = ["flow", "score_distributions", "dimensions", "cfa_loadings", "coefficients"]
FIGURES += ["interaction", "mediation", "partial_regression"]
FIGURES += ["scree", "efa_loadings", "path_diagram"]
FIGURES += ["item_distributions", "correlation_heatmap"]
assert sorted(FIGURES) == sorted(f for group in FIGURE_GROUPS.values() for f in group)


wildcard_constraints:
    study="|".join(STUDIES),


def study_of(wildcards):
    """The whole resolved study (only the provenance record takes all of it)."""
    return STUDIES[wildcards.study]


def study_part(*keys):
    """A params function: only the study settings a rule reads (attachstats.spec.study.StudyPart).

    Snakemake reruns a rule when its params change, so each rule lists exactly the top-level
    study keys its step reads; reading any other key fails loudly in the step.
    """
    return lambda wildcards: StudyPart(STUDIES[wildcards.study], keys)


def code_of(stage, rule_name):
    """The code fingerprint of attachstats.steps.<stage>.<rule_name> (attachstats.fingerprint):
    editing library code or a template the step uses reruns the rule."""
    return code_fingerprint(f"attachstats.steps.{stage}", rule_name)


def table_inputs(wildcards):
    return {name: f"{RESULTS}/{wildcards.study}/{path}" for name, path in TABLES.items()}
