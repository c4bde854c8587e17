from attachstats.sim.power import run_chunk
from attachstats.runner import run_step
from attachstats.data.csvio import write_csv


def main(sm):
    write_csv(run_chunk(sm.params.spec, int(sm.wildcards.n), int(sm.wildcards.chunk)), sm.output[0])


run_step(snakemake, main)
