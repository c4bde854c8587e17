# attachstats workflow: raw survey export -> validated data -> scores -> reliability ->
# CFA -> outcome models -> tables, figures, report, provenance. One study per config entry.
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")


# The project's default configuration; --configfile / --config override it, and a run in
# another working directory (tests, `attachstats run --directory`) may have none.
if Path("config/config.yaml").exists():

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/validate.smk"
include: "workflow/rules/score.smk"
include: "workflow/rules/describe.smk"
include: "workflow/rules/measure.smk"
include: "workflow/rules/model.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/summary.smk"
include: "workflow/rules/power.smk"


rule all:
    input:
        expand(f"{RESULTS}/{{study}}/report.html", study=STUDIES),
        expand(f"{RESULTS}/{{study}}/report.docx", study=STUDIES),
        expand(f"{RESULTS}/{{study}}/provenance.json", study=STUDIES),
        rules.cross_study_summary.output,
    default_target: True
