from attachstats.runner import run_step
from attachstats.steps.describe import attachment_styles

run_step(snakemake, lambda sm: attachment_styles(sm.input.scores, sm.output, sm.params.study))
