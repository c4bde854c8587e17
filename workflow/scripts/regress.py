from attachstats.analysis import study_regressions
from attachstats.runner import run_step
from attachstats.tables import read_csv, write_csv


def main(sm):
    coefficients, fit = study_regressions(read_csv(sm.input[0]), sm.params.study)
    write_csv(coefficients, sm.output.coefficients)
    write_csv(fit, sm.output.fit)


run_step(snakemake, main)
