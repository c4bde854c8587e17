import pandas as pd

from attachstats.runner import run_step
from attachstats.tables import write_csv
from attachstats.validate import validate_and_screen


def main(sm):
    res = validate_and_screen(pd.read_parquet(sm.input[0]), sm.params.study)
    res.data.to_parquet(sm.output.data, index=False)
    write_csv(res.exclusions, sm.output.exclusions)
    write_csv(res.flow, sm.output.flow)
    write_csv(res.issues, sm.output.issues)
    write_csv(res.careless, sm.output.careless)


run_step(snakemake, main)
