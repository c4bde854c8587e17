from attachstats.runner import run_step
from attachstats.steps.model import sem

run_step(snakemake, lambda sm: sem(sm.input.clean, sm.input.scores, sm.output, sm.params.study))
