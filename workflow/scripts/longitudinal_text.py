from attachstats.runner import run_step
from attachstats.steps.longitudinal import longitudinal_text

run_step(snakemake, lambda sm: longitudinal_text(dict(sm.input.items()), sm.output[0], sm.params.study))
