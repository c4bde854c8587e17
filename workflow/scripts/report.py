import json

from attachstats.output.report.html import render_report
from attachstats.runner import run_step
from attachstats.data.csvio import read_csv
from attachstats.spec.factor import EFA_DEFAULTS, settings


def main(sm):
    tables = {name: read_csv(path) for name, path in sm.input.items()
              if name not in ("formatted", "figures", "provenance")}
    figures = dict(zip(sm.params.figures, sm.input.figures))
    with open(sm.input.provenance, encoding="utf-8") as fh:
        provenance = json.load(fh)
    cutoff = settings(sm.params.study).get("efa", EFA_DEFAULTS)["cutoff"]
    html = render_report(sm.params.study, tables, figures, provenance, efa_cutoff=cutoff)
    with open(sm.output[0], "w", encoding="utf-8") as fh:
        fh.write(html)


run_step(snakemake, main)
