import pandas as pd

from attachstats.output.figures import study as figures
from attachstats.output.figures.factor import factor_figures
from attachstats.runner import run_step
from attachstats.data.csvio import read_csv


def main(sm):
    names = ("flow", "cfa_loadings", "regressions", "score_summary", "attachment_styles", "simple_slopes",
             "slope_curve", "johnson_neyman", "mediation")
    tables = {name: read_csv(sm.input[name]) for name in names}
    made = figures.study_figures(read_csv(sm.input.scores), tables, sm.params.study, read_csv(sm.input.styles))
    factor_tables = {name: read_csv(sm.input[name]) for name in ("parallel_analysis", "efa_diagnostics",
                                                                 "efa_loadings", "cfa_loadings",
                                                                 "cfa_factor_correlations")}
    made.update(factor_figures(factor_tables, sm.params.study))
    made.update(figures.data_figures(pd.read_parquet(sm.input.clean), read_csv(sm.input.correlations),
                                     sm.params.study))
    for name, fig in made.items():
        figures.save_png(fig, sm.output[name], pdf=sm.output[f"{name}_pdf"])


run_step(snakemake, main)
