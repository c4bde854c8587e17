from attachstats.runner import run_step
from attachstats.steps.waves import link_waves

run_step(snakemake, lambda sm: link_waves({k: list(sm.input[k]) for k in ("clean", "scores", "exclusions", "flow")},
                                           sm.output, sm.params.study))
