from attachstats.runner import run_step
from attachstats.steps.report import report

run_step(snakemake, lambda sm: report(sm.input, sm.params.figures, sm.output, sm.params.study))
