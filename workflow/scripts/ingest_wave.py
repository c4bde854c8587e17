from attachstats.runner import run_step
from attachstats.steps.waves import ingest_wave

run_step(snakemake, lambda sm: ingest_wave(sm.output[0], sm.params.study, sm.wildcards.wave))
