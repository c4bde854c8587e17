import pandas as pd

from attachstats.steps.model import study_model_samples
from attachstats.runner import run_step
from attachstats.data.csvio import read_csv, write_csv


def main(sm):
    write_csv(study_model_samples(pd.read_parquet(sm.input.clean), read_csv(sm.input.scores), sm.params.study),
              sm.output[0])


run_step(snakemake, main)
