from attachstats.runner import run_step
from attachstats.steps.model import model_samples

run_step(snakemake, lambda sm: model_samples(sm.input.clean, sm.input.scores, sm.output[0], sm.params.study))
