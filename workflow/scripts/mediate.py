from attachstats.runner import run_step
from attachstats.steps.model import mediate

run_step(snakemake, lambda sm: mediate(sm.input.scores, sm.output[0], sm.params.study, sm.params.seed, sm.threads))
