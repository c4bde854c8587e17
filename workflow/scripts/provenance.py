from attachstats.output.provenance import collect_provenance, write_json
from attachstats.runner import run_step


def main(sm):
    inputs = {"data": sm.input.data, "study_file": sm.input.study_file}
    write_json(collect_provenance(sm.params.study, inputs, seed=sm.params.seed), sm.output[0])


run_step(snakemake, main)
