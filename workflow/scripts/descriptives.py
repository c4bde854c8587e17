from attachstats.runner import run_step
from attachstats.steps.describe import descriptives

run_step(snakemake, lambda sm: descriptives(sm.input.scores, sm.input.reliability, sm.output, sm.params.study))
