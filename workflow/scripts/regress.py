from attachstats.steps.model import study_outcome_models
from attachstats.runner import run_step
from attachstats.data.csvio import read_csv, write_csv


def main(sm):
    tables = study_outcome_models(read_csv(sm.input[0]), sm.params.study, sm.params.seed, sm.threads)
    names = {"coefficients": "regressions", "fit": "regression_fit", "blocks": "regression_blocks",
             "diagnostics": "regression_diagnostics"}
    for key in sm.output.keys():
        write_csv(tables[names.get(key, key)], sm.output[key])


run_step(snakemake, main)
