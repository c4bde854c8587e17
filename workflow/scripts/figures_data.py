from attachstats.runner import run_step
from attachstats.steps.report import figures_data

run_step(snakemake, lambda sm: figures_data(sm.input, sm.output, sm.params.study))
