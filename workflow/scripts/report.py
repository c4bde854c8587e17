import json

from attachstats.output.report.html import render_report
from attachstats.runner import run_step
from attachstats.data.csvio import read_csv


def main(sm):
    tables = {name: read_csv(path) for name, path in sm.input.items()
              if name not in ("formatted", "figures", "provenance")}
    figures = dict(zip(sm.params.figures, sm.input.figures))
    with open(sm.input.provenance, encoding="utf-8") as fh:
        provenance = json.load(fh)
    html = render_report(sm.params.study, tables, figures, provenance)
    with open(sm.output[0], "w", encoding="utf-8") as fh:
        fh.write(html)


run_step(snakemake, main)
