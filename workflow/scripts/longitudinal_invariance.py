from attachstats.runner import run_step
from attachstats.steps.longitudinal import longitudinal_invariance

run_step(snakemake, lambda sm: longitudinal_invariance(sm.input.linked, sm.output, sm.params.study))
