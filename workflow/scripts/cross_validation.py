from attachstats.runner import run_step
from attachstats.steps.measure import cross_validation

run_step(snakemake, lambda sm: cross_validation(sm.input.clean, sm.output, sm.params.study, sm.params.seed))
