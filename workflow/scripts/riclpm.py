from attachstats.runner import run_step
from attachstats.steps.longitudinal import riclpm

run_step(snakemake, lambda sm: riclpm(sm.input.linked, sm.output, sm.params.study))
