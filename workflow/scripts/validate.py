from attachstats.runner import run_step
from attachstats.steps.validate import validate

run_step(snakemake, lambda sm: validate(sm.input.ingested, sm.output, sm.params.study))
