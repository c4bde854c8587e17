from attachstats.steps.model import study_mediation
from attachstats.runner import run_step
from attachstats.data.csvio import read_csv, write_csv


def main(sm):
    write_csv(study_mediation(read_csv(sm.input[0]), sm.params.study, sm.params.seed, sm.threads), sm.output[0])


run_step(snakemake, main)
