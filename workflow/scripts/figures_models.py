from attachstats.runner import run_step
from attachstats.steps.report import figures_models

run_step(snakemake, lambda sm: figures_models(sm.input, sm.output, sm.params.study))
