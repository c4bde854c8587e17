from attachstats.runner import run_step
from attachstats.steps.longitudinal import longitudinal_figures

run_step(
    snakemake,
    lambda sm: longitudinal_figures(
        sm.input.linked, {k: v for k, v in sm.input.items() if k != "linked"}, sm.output, sm.params.study, sm.params.seed
    ),
)
