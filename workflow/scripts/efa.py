from attachstats.runner import run_step
from attachstats.steps.measure import efa

run_step(snakemake, lambda sm: efa(sm.input.clean, sm.output, sm.params.study, sm.params.seed))
