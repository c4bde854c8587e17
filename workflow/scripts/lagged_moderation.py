from attachstats.runner import run_step
from attachstats.steps.longitudinal import lagged_moderation

run_step(snakemake, lambda sm: lagged_moderation(sm.input.linked, sm.output, sm.params.study))
