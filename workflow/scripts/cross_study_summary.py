from attachstats.runner import run_step
from attachstats.steps.summary import cross_study_summary

run_step(snakemake, lambda sm: cross_study_summary(sm.input, sm.output, sm.params.studies))
