from attachstats.runner import run_step
from attachstats.steps.longitudinal import latent_change

run_step(snakemake, lambda sm: latent_change(sm.input.linked, sm.output, sm.params.study))
