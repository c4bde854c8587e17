# attachstats workflow: raw survey export -> validated data -> scores -> reliability ->
# CFA -> outcome models -> tables, figures, report, provenance. One study per config entry.
from pathlib import Path

from snakemake.utils import min_version, validate

from attachstats.study import read_yaml, resolve_study

min_version("9.0")


# The project's default configuration; --configfile / --config override it, and a run in
# another working directory (tests, `attachstats run --directory`) may have none.
if Path("config/config.yaml").exists():

    configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")

STUDIES = {}
for _path in config["studies"]:
    _study = read_yaml(_path)
    validate(_study, "workflow/schemas/study.schema.yaml")
    _study = resolve_study(_study, _path)
    if _study["name"] in STUDIES:
        raise ValueError(f"two study files use the name {_study['name']!r}: {_path} and "
                         f"{STUDIES[_study['name']]['study_file']}")
    STUDIES[_study["name"]] = _study

RESULTS = config["results_dir"]
SEED = config["seed"]


wildcard_constraints:
    study="|".join(STUDIES),


def study_of(wildcards):
    return STUDIES[wildcards.study]


include: "workflow/rules/ingest.smk"
include: "workflow/rules/validate.smk"
include: "workflow/rules/score.smk"
include: "workflow/rules/measure.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        expand(f"{RESULTS}/{{study}}/report.html", study=STUDIES),
        expand(f"{RESULTS}/{{study}}/provenance.json", study=STUDIES),
    default_target: True
