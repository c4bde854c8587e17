from attachstats.runner import run_step
from attachstats.steps.report import figures_factor

run_step(snakemake, lambda sm: figures_factor(sm.input, sm.output, sm.params.study))
