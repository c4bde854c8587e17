from attachstats.stats import crossstudy
from attachstats.output.figures import study as figures
from attachstats.runner import run_step
from attachstats.data.csvio import read_csv, write_csv


def main(sm):
    tables = {}
    for key, path in sm.input.items():
        study, name = key.split("__", 1)
        tables.setdefault(study, {})[name] = read_csv(path)
    coefficients = crossstudy.stacked(tables, "regressions")
    meta = crossstudy.pool_coefficients(coefficients)
    write_csv(crossstudy.study_overview(tables), sm.output.studies)
    write_csv(crossstudy.stacked(tables, "reliability"), sm.output.reliability)
    write_csv(coefficients, sm.output.coefficients)
    write_csv(meta, sm.output.meta)
    figures.save_png(figures.forest_plot(coefficients, meta), sm.output.forest)


run_step(snakemake, main)
