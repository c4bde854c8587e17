import json
from pathlib import Path

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
    # captions: the Snakemake report's caption files, workflow/report/<figure>.rst (one source)
    folder = Path(sm.scriptdir).parent / "report"
    captions = {name: (folder / f"{name}.rst").read_text(encoding="utf-8") for name in figures
                if (folder / f"{name}.rst").is_file()}
    cutoff = settings(sm.params.study).get("efa", EFA_DEFAULTS)["cutoff"]
    html = render_report(sm.params.study, tables, figures, provenance, captions, efa_cutoff=cutoff)
    with open(sm.output[0], "w", encoding="utf-8") as fh:
        fh.write(html)


run_step(snakemake, main)
