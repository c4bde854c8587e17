import pandas as pd

from attachstats.output.figures import study as figures
from attachstats.sim.power import summarise, true_coefficients
from attachstats.runner import run_step
from attachstats.data.csvio import read_csv, write_csv


def main(sm):
    spec = sm.params.spec
    reps = pd.concat([read_csv(p) for p in sm.input.chunks], ignore_index=True)
    table = summarise(reps, true_coefficients(spec), spec.alpha)
    write_csv(table, sm.output.table)
    figures.save_png(figures.power_curve(table, spec.alpha), sm.output.figure)


run_step(snakemake, main)
