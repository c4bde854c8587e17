from attachstats.runner import run_step
from attachstats.steps.report import figures

run_step(snakemake, lambda sm: figures(sm.input, sm.output, sm.params.study))
