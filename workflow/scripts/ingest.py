from attachstats.runner import run_step
from attachstats.steps.ingest import ingest

run_step(snakemake, lambda sm: ingest(sm.output[0], sm.params.study))
