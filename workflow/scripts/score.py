import pandas as pd

from attachstats.runner import run_step
from attachstats.data.scoring import band_table, caseness_table, score_study
from attachstats.data.csvio import write_csv


def main(sm):
    scores, summary = score_study(pd.read_parquet(sm.input[0]), sm.params.study)
    write_csv(scores, sm.output.scores)
    write_csv(summary, sm.output.summary)
    write_csv(band_table(scores, sm.params.study), sm.output.bands)
    write_csv(caseness_table(scores, sm.params.study), sm.output.caseness)


run_step(snakemake, main)
