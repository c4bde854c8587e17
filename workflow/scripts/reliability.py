from attachstats.runner import run_step
from attachstats.steps.score import reliability

run_step(snakemake, lambda sm: reliability(sm.input.clean, sm.output, sm.params.study, sm.params.seed, sm.threads))
