import pandas as pd

from attachstats.steps.measure import study_cfa
from attachstats.runner import run_step
from attachstats.data.csvio import write_csv


def main(sm):
    fit, loadings, correlations, comparison = study_cfa(pd.read_parquet(sm.input[0]), sm.params.study)
    write_csv(fit, sm.output.fit)
    write_csv(loadings, sm.output.loadings)
    write_csv(correlations, sm.output.correlations)
    write_csv(comparison, sm.output.comparison)


run_step(snakemake, main)
