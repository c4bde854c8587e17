from pathlib import Path

from attachstats.runner import run_step
from attachstats.tables import read_csv, to_markdown


def main(sm):
    for out in sm.output:
        name = Path(out).stem
        Path(out).write_text(to_markdown(read_csv(sm.input[name]), name), encoding="utf-8")


run_step(snakemake, main)
