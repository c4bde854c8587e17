from attachstats.stats.styles import study_styles
from attachstats.runner import run_step
from attachstats.data.csvio import read_csv, write_csv


def main(sm):
    rows, table = study_styles(read_csv(sm.input[0]), sm.params.study)
    write_csv(table, sm.output.table)
    write_csv(rows, sm.output.rows)


run_step(snakemake, main)
