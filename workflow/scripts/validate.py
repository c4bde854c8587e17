import pandas as pd

from attachstats.runner import run_step
from attachstats.data.csvio import write_csv
from attachstats.data.validate import validate_and_screen
from attachstats.output.report.validation import validation_report


def main(sm):
    res = validate_and_screen(pd.read_parquet(sm.input[0]), sm.params.study)
    res.data.to_parquet(sm.output.data, index=False)
    write_csv(res.exclusions, sm.output.exclusions)
    write_csv(res.flow, sm.output.flow)
    write_csv(res.issues, sm.output.issues)
    write_csv(res.careless, sm.output.careless)
    with open(sm.output.report, "w", encoding="utf-8") as fh:
        fh.write(validation_report(sm.params.study, res.flow, res.exclusions, res.issues, res.careless))


run_step(snakemake, main)
