import pandas as pd

from attachstats.steps.measure import study_efa
from attachstats.runner import run_step
from attachstats.data.csvio import write_csv


def main(sm):
    tables = study_efa(pd.read_parquet(sm.input[0]), sm.params.study, sm.params.seed)
    for name, table in tables.items():
        write_csv(table, sm.output[name])


run_step(snakemake, main)
