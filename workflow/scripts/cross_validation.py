import pandas as pd

from attachstats.steps.measure import study_cross_validation
from attachstats.runner import run_step
from attachstats.data.csvio import write_csv


def main(sm):
    items, fit = study_cross_validation(pd.read_parquet(sm.input[0]), sm.params.study, sm.params.seed)
    write_csv(items, sm.output.item_table)
    write_csv(fit, sm.output.fit)


run_step(snakemake, main)
