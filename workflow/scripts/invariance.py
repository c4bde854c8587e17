import pandas as pd

from attachstats.steps.measure import study_invariance
from attachstats.runner import run_step
from attachstats.data.csvio import write_csv


def main(sm):
    write_csv(study_invariance(pd.read_parquet(sm.input[0]), sm.params.study), sm.output[0])


run_step(snakemake, main)
