from attachstats.runner import run_step
from attachstats.steps.longitudinal import longitudinal_change

run_step(snakemake, lambda sm: longitudinal_change(sm.input.linked, sm.output, sm.params.study))
