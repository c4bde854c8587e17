from attachstats.runner import run_step
from attachstats.steps.score import score

run_step(snakemake, lambda sm: score(sm.input.clean, sm.output, sm.params.study))
