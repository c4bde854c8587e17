from attachstats.data.readers import ingest
from attachstats.runner import run_step


def main(sm):
    ingest(sm.params.study).to_parquet(sm.output[0], index=False)


run_step(snakemake, main)
