from attachstats.runner import run_step
from attachstats.steps.waves import score_wave

run_step(snakemake, lambda sm: score_wave(sm.input.clean, sm.output, sm.params.study, sm.wildcards.wave))
