from attachstats.runner import run_step
from attachstats.steps.measure import cfa

run_step(snakemake, lambda sm: cfa(sm.input.clean, sm.output, sm.params.study))
