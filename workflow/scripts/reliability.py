import pandas as pd

from attachstats.steps.model import study_reliability
from attachstats.runner import run_step
from attachstats.data.csvio import write_csv


def main(sm):
    scales, items = study_reliability(pd.read_parquet(sm.input[0]), sm.params.study, seed=sm.params.seed,
                                      threads=sm.threads)
    write_csv(scales, sm.output.scales)
    write_csv(items, sm.output.item_table)


run_step(snakemake, main)
