from attachstats.runner import run_step
from attachstats.steps.waves import attrition

run_step(snakemake, lambda sm: attrition(sm.input.linked, sm.output[0], sm.params.study))
