from attachstats.runner import run_step
from attachstats.steps.measure import invariance

run_step(snakemake, lambda sm: invariance(sm.input.clean, sm.output[0], sm.params.study))
