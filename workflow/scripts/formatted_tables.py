from attachstats.runner import run_step
from attachstats.steps.report import formatted_tables

run_step(snakemake, lambda sm: formatted_tables(sm.input, sm.output, sm.params.study))
