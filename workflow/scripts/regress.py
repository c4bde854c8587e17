from attachstats.runner import run_step
from attachstats.steps.model import regress

run_step(snakemake, lambda sm: regress(sm.input.scores, sm.output, sm.params.study, sm.params.seed, sm.threads))
