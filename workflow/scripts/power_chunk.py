from attachstats.runner import run_step
from attachstats.steps.power import power_chunk

run_step(snakemake, lambda sm: power_chunk(sm.params.spec, sm.params.n, sm.params.chunk, sm.output[0]))
