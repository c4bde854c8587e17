from attachstats.runner import run_step
from attachstats.steps.power import power

run_step(snakemake, lambda sm: power(sm.input.chunks, sm.output, sm.params.spec))
