# Configuration checks and helpers shared by every rule file.
#
# The pattern that every rule follows, so that a new rule file gets honest reruns by copying it.
#   rule X in rules/F.smk runs scripts/X.py, which makes one call, attachstats.steps.F.X, through
#   attachstats.runner.run_step (log, one-line user errors, the timing line);
#   params:
#       study=study_part("key", ...),   # only the top-level study keys the step reads (a StudyPart,
#                                       # or a deferred placeholder the job resolves without the library)
#       code=code_of("F", "X"),         # fingerprint of the library code the step reaches
#       seed=SEED,                      # only for steps that draw random numbers
#   log: {RESULTS}/{study}/logs/X.log; benchmark: {RESULTS}/{study}/benchmarks/X.tsv;
#   threads and resources sized for about a million respondents (the cluster profile);
#   outputs kept, not temp(), where a later edit would otherwise remake them unchanged
#   (interim/ingested.parquet: a screening change does not reread the raw export).
# Editing a study key reruns the rules that list it; editing library code reruns the rules whose
# fingerprint covers it (FINGERPRINTS below keeps the parsed modules under .snakemake/attachstats/).
#
# With the attachstats library importable here (pip install, `make`, `attachstats run`),
# each study file is checked and resolved when the workflow is parsed. A plain Snakemake
# that cannot import it (jobs in the software environment, `--sdm conda`; this workflow used
# as a module) still parses and plans the workflow: studies are schema-checked here and
# resolved by each job (README, "Snakemake without the library").
import importlib.util
import sys
from pathlib import Path

import yaml
from snakemake.utils import validate

CONFIG_SCHEMA = workflow.source_path("../schemas/config.schema.yaml")
STUDY_SCHEMA = workflow.source_path("../schemas/study.schema.yaml")
#: Key of the placeholder a job turns into the resolved study (attachstats.runner).
DEFERRED = "attachstats_deferred"

try:
    from attachstats.errors import AttachstatsError, DataError
    from attachstats.fingerprint import SOURCE_ROOT, Fingerprints
    from attachstats.spec.study import StudyPart, check_schema, fill_defaults, read_yaml, resolve_study

    LIBRARY = True
except ModuleNotFoundError as exc:
    LIBRARY = False
    print(
        f"attachstats: the library is not importable by this Snakemake ({exc}); study files "
        "are resolved by each job",
        file=sys.stderr,
    )


def library_source():
    """The attachstats source folder beside this workflow (a checkout's src/attachstats, or
    the installed package around workflow/), or None (e.g. a module read from a URL)."""
    here = Path(str(workflow.current_basedir))
    for root in (here.parents[1] / "src" / "attachstats", here.parents[1]):
        if (root / "fingerprint.py").is_file() and (root / "__init__.py").is_file():
            return root
    return None


def source_constants(root, module_file, *names):
    """Literal constants of a library module, read from its source without importing it (the
    workflow's parse then needs neither the module's imports nor the library itself)."""
    import ast

    tree = ast.parse((root / module_file).read_text(encoding="utf-8"))
    found = {}
    for node in tree.body:
        for t in node.targets if isinstance(node, ast.Assign) else []:
            if getattr(t, "id", None) in names:
                found[t.id] = ast.literal_eval(node.value)
    missing = [n for n in names if n not in found]
    if missing:
        raise ValueError(f"{root / module_file} defines no constant {', '.join(missing)}")
    return [found[n] for n in names]


if LIBRARY:
    SOURCE = SOURCE_ROOT
    # the configuration as snakemake.utils.validate checks it (skipped where this workflow is a
    # module with skip_validation), with a one-line message, without its slower schema loading
    if not workflow.modifier.skip_validation:
        try:
            check_schema(
                config, CONFIG_SCHEMA, "the workflow configuration (config/config.yaml, --config, --configfile)"
            )
        except AttachstatsError as exc:
            sys.exit(f"attachstats: {type(exc).__name__}: {exc}")
        config.update(fill_defaults(config, CONFIG_SCHEMA))
else:
    validate(config, "../schemas/config.schema.yaml")
    SOURCE = library_source()
    if SOURCE is None:
        sys.exit(
            "attachstats: this workflow needs the attachstats library, or its source beside the "
            "workflow (src/attachstats in a checkout), to read the figure groups; neither was found"
        )
    _spec = importlib.util.spec_from_file_location("attachstats_fingerprint", SOURCE / "fingerprint.py")
    _fingerprint = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_fingerprint)  # standard library only
    Fingerprints = _fingerprint.Fingerprints
FIGURE_GROUPS, GROUP_TABLES, COMBINED_TABLES, LABELS_FILE = source_constants(
    SOURCE, "steps/report.py", "FIGURE_GROUPS", "GROUP_TABLES", "COMBINED_TABLES", "LABELS_FILE"
)
(LABEL_KEYS,) = source_constants(SOURCE, "output/labels.py", "LABEL_KEYS")


def relative_if_possible(path):
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_study(path):
    """One study file: schema-checked, defaults filled; resolved when the library is here."""
    if LIBRARY:
        study = read_yaml(path)
        check_schema(study, STUDY_SCHEMA, path)  # one-line message
        # the schema's defaults, as snakemake.utils.validate fills them (tests/unit/test_init_check.py)
        return resolve_study(fill_defaults(study, STUDY_SCHEMA), path)
    with open(path, encoding="utf-8") as f:
        study = yaml.safe_load(f)
    validate(study, STUDY_SCHEMA)
    # the paths as attachstats.spec.study.resolve_study sets them; the rest is checked by the jobs
    study.setdefault("name", Path(path).stem)
    resolve_wave_files(study, path)  # longitudinal studies (waves.smk)
    data = Path(study["data"]["path"])
    if not data.is_absolute():
        data = Path(path).parent / data
    study["data"]["path"] = relative_if_possible(data)
    study["study_file"] = relative_if_possible(path)
    return study


def missing_data_message(study, key="data.path", file=None):
    return (
        f"study file {study['study_file']}: {key}: the raw data file does not exist: "
        f"{file or study['data']['path']} (a relative {key} is read from the study file's folder; "
        f"fix {key} or move the file there)"
    )


# --- longitudinal studies: the waves' files (rules in waves.smk) ----------------------------
def wave_names(study):
    """The study's wave names in order (none for a cross-sectional study)."""
    waves = study.get("waves") or []
    return [w["name"] for w in (waves["levels"] if isinstance(waves, dict) else waves)]


def wave_data_file(study, wave):
    """The raw file of one wave: its own file, or the long file."""
    waves = study["waves"]
    if isinstance(waves, dict):
        return study["data"]["path"]
    return next(w["path"] for w in waves if w["name"] == wave)


def data_files(study):
    """(study-file key, path) of every raw data file of the study."""
    waves = study.get("waves")
    if isinstance(waves, list):
        return [(f"waves[{k}].path ({w['name']})", w["path"]) for k, w in enumerate(waves)]
    return [("data.path", study["data"]["path"])]


def resolve_wave_files(study, path):
    """Without the library: wave paths relative to the study file, data = the first wave
    (as attachstats.spec.waves.resolve_waves does)."""
    if isinstance(study.get("waves"), list):
        for w in study["waves"]:
            p = Path(w["path"])
            w["path"] = relative_if_possible(p if p.is_absolute() else Path(path).parent / p)
        study["data"] = {k: v for k, v in study["waves"][0].items() if k not in ("name", "label")}
        study["data"]["path"] = str(Path(study["data"]["path"]).resolve())


def waves_report_inputs(wildcards):
    """The waves tables the report reads (a longitudinal study only; output/report/waves.py)."""
    if not wave_names(STUDIES[wildcards.study]):
        return {}
    return {f"waves_{f}": f"{RESULTS}/{wildcards.study}/waves/{f}.csv" for f in ("flow", "attrition")}


def wave_file_inputs(wildcards):
    """The later waves' own data files (the provenance record hashes every input file)."""
    study = STUDIES[wildcards.study]
    files = data_files(study) if isinstance(study.get("waves"), list) else []
    return {f"data_{w}": wave_data_file(study, w) for w in wave_names(study)[1:] if files}


def wave_inputs(kind):
    """The per-wave files of one kind, in wave order (an input function of link_waves)."""
    return lambda w: [
        f"{RESULTS}/{w.study}/{WAVE_FILES[kind].format(wave=name)}" for name in wave_names(STUDIES[w.study])
    ]


WAVE_FILES = {
    "clean": "interim/waves/{wave}/clean.parquet",
    "scores": "waves/{wave}/scores/scores.csv",
    "exclusions": "waves/{wave}/validation/exclusions.csv",
    "flow": "waves/{wave}/validation/flow.csv",
}


def wave_targets():
    """The waves outputs of every longitudinal study (part of rule all)."""
    out = []
    for name, study in STUDIES.items():
        if wave_names(study):
            out += [f"{RESULTS}/{name}/waves/{f}.csv" for f in ("linked", "flow", "unmatched_ids", "attrition")]
    return out


def load_studies(paths):
    """Every study file, by name (names must be unique; each data file must exist)."""
    studies = {}
    for path in paths:
        study = load_study(path)
        if study["name"] in studies:
            first = studies[study["name"]]["study_file"]
            raise ValueError(f"two study files use the name {study['name']!r}: {path} and {first}")
        for key, file in data_files(study):
            if not Path(file).is_file():
                message = missing_data_message(study, key, file)
                if LIBRARY:
                    raise DataError(message)
                sys.exit(f"attachstats: DataError: {message}")
        studies[study["name"]] = study
    return studies


if LIBRARY:
    try:
        STUDIES = load_studies(config["studies"])
    except AttachstatsError as exc:  # a wrong study file: its message, no Python traceback
        sys.exit(f"attachstats: {type(exc).__name__}: {exc}")
else:
    STUDIES = load_studies(config["studies"])
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
# Figures in the order the report rule passes them (the manuscript places each with its analysis);
# drawn by the rules of FIGURE_GROUPS.
FIGURES = ["flow", "score_distributions", "dimensions", "cfa_loadings", "coefficients"]
FIGURES += ["interaction", "mediation", "sem_diagram", "partial_regression"]
FIGURES += ["scree", "efa_loadings", "path_diagram"]
FIGURES += ["item_distributions", "correlation_heatmap"]
assert sorted(FIGURES) == sorted(f for group in FIGURE_GROUPS.values() for f in group)
# Caption of each figure in `snakemake --report` (workflow/report/<figure>.rst; report/figure.rst picks one;
# a workflow read from a URL has no local caption files, and its report shows the figures without).
CAPTION_FOLDER = Path(str(workflow.current_basedir)).parent / "report"
FIGURE_CAPTIONS = {
    name: (
        (CAPTION_FOLDER / f"{name}.rst").read_text(encoding="utf-8")
        if (CAPTION_FOLDER / f"{name}.rst").is_file()
        else ""
    )
    for name in FIGURES
}


wildcard_constraints:
    study="|".join(STUDIES),


def shipped_instruments(study):
    """SHA-256 of each shipped instrument file the study uses, read by path (so that editing one
    reruns its rules, as the resolved study's checksums do when the library is importable)."""
    import hashlib

    return {
        key: hashlib.sha256((SOURCE / "spec" / "instruments" / f"{block['instrument']}.yaml").read_bytes()).hexdigest()
        for key, block in study.get("instruments", {}).items()
        if not block.get("definition") and (SOURCE / "spec" / "instruments" / f"{block['instrument']}.yaml").is_file()
    }


def deferred(study, keys):
    """What a job resolves itself when this Snakemake cannot: the declared settings (so params
    stay narrow), the checksums of the shipped instruments they use, and where to read the
    study (attachstats.runner.resolve_deferred)."""
    part = {k: study[k] for k in ("name", *keys) if k in study} if keys is not None else dict(study)
    part[DEFERRED] = {"study_file": study["study_file"], "keys": keys}
    if keys is None or "instruments" in keys:
        part[DEFERRED]["instrument_sha256"] = shipped_instruments(study)
    return part


def study_of(wildcards):
    """The whole resolved study (only the provenance record takes all of it)."""
    study = STUDIES[wildcards.study]
    return study if LIBRARY else deferred(study, None)


def study_part(*keys):
    """A params function: only the study settings a rule reads (attachstats.spec.study.StudyPart).

    Snakemake reruns a rule when its params change, so each rule lists exactly the top-level
    study keys its step reads; reading any other key fails loudly in the step.
    """
    if not LIBRARY:
        return lambda wildcards: deferred(STUDIES[wildcards.study], list(keys))
    return lambda wildcards: StudyPart(STUDIES[wildcards.study], keys)


def studies_part(*keys):
    """Params across studies (the summary): study name -> only the settings read (see study_part)."""
    if not LIBRARY:
        return {name: deferred(study, list(keys)) for name, study in STUDIES.items()}
    return {name: StudyPart(study, keys) for name, study in STUDIES.items()}


#: One reader of the library's source for every rule's fingerprint; what it learns from parsing
#: each module is kept under .snakemake/ (keyed by the file's content), so a rerun parses only
#: the modules that changed.
FINGERPRINTS = Fingerprints(cache=Path(".snakemake") / "attachstats" / "code-fingerprints.json")


def code_of(stage, rule_name):
    """The code fingerprint of attachstats.steps.<stage>.<rule_name> (attachstats.fingerprint):
    editing library code or a template the step uses reruns the rule."""
    return FINGERPRINTS.of(f"attachstats.steps.{stage}", rule_name)


def table_inputs(wildcards):
    return {name: f"{RESULTS}/{wildcards.study}/{path}" for name, path in TABLES.items()}


# ---- Longitudinal analyses (rules in longitudinal.smk) ----

LONGITUDINAL = f"{RESULTS}/{{study}}/longitudinal"
LINKED = f"{RESULTS}/{{study}}/waves/linked.csv"
#: Study keys every longitudinal rule reads (labels need variables and instruments; messages the file).
LONGITUDINAL_KEYS = ("study_file", "variables", "instruments", "waves", "longitudinal")
#: Output name -> file of the longitudinal tables (the text and figures rules read them all).
LONGITUDINAL_TABLES = {
    "invariance": "invariance.csv",
    "invariance_loadings": "invariance_loadings.csv",
    "change": "change.csv",
    "reliable_change": "reliable_change.csv",
    "reliable_change_persons": "reliable_change_persons.csv",
    "trajectory": "trajectory.csv",
    "latent_change": "latent_change.csv",
    "latent_change_fit": "latent_change_fit.csv",
    "lagged_coefficients": "lagged_moderation.csv",
    "lagged_fit": "lagged_fit.csv",
    "lagged_simple_slopes": "lagged_simple_slopes.csv",
    "lagged_johnson_neyman": "lagged_johnson_neyman.csv",
    "lagged_slope_curve": "lagged_slope_curve.csv",
    "lagged_lines": "lagged_lines.csv",
    "lagged_samples": "lagged_samples.csv",
    "riclpm": "riclpm.csv",
    "riclpm_fit": "riclpm_fit.csv",
}
LONGITUDINAL_FIGURES = ["spaghetti", "jacobson_truax", "lagged_interaction"]


def longitudinal_tables(*names):
    return {name: f"{LONGITUDINAL}/{LONGITUDINAL_TABLES[name]}" for name in names}


def longitudinal_targets(study):
    """Every output of the longitudinal rules of one study; empty without `longitudinal:`."""
    if not STUDIES[study].get("longitudinal"):
        return []
    base = f"{RESULTS}/{study}/longitudinal"
    out = [f"{base}/{path}" for path in LONGITUDINAL_TABLES.values()]
    out += [f"{base}/figures/{name}.png" for name in LONGITUDINAL_FIGURES]
    return out + [f"{base}/results.md"]


def longitudinal_report_inputs(study):
    """What the report adds for a panel study: the paragraphs, two tables, the figures; [] otherwise."""
    if not STUDIES[study].get("longitudinal"):
        return []
    base = f"{RESULTS}/{study}/longitudinal"
    out = [f"{base}/results.md", f"{base}/invariance.csv", f"{base}/change.csv", f"{base}/reliable_change.csv"]
    return out + [f"{base}/figures/manifest.csv"] + [f"{base}/figures/{name}.png" for name in LONGITUDINAL_FIGURES]
