import pandas as pd

from attachstats.steps.model import study_sem
from attachstats.runner import run_step
from attachstats.data.csvio import read_csv, write_csv


def main(sm):
    fit, parameters = study_sem(pd.read_parquet(sm.input.clean), read_csv(sm.input.scores), sm.params.study)
    write_csv(fit, sm.output.fit)
    write_csv(parameters, sm.output.parameters)


run_step(snakemake, main)
