from attachstats.runner import run_step
from attachstats.steps.report import provenance

run_step(snakemake, lambda sm: provenance(sm.input, sm.output[0], sm.params.study, sm.params.seed))
