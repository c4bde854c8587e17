from attachstats.runner import run_step
from attachstats.steps.waves import validate_wave

run_step(snakemake, lambda sm: validate_wave(sm.input.ingested, sm.output, sm.params.study, sm.wildcards.wave))
