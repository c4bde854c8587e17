from pathlib import Path

from attachstats.output.apa import latex, markdown, table_model, write_docx
from attachstats.runner import run_step
from attachstats.data.csvio import read_csv
from attachstats.output.tables import display_table
from attachstats.spec.factor import EFA_DEFAULTS, settings


def main(sm):
    names = list(dict.fromkeys(Path(out).stem for out in sm.output))
    cutoff = settings(sm.params.study).get("efa", EFA_DEFAULTS)["cutoff"]
    for number, name in enumerate(names, start=1):
        model = table_model(display_table(read_csv(sm.input[name]), name, cutoff=cutoff), name, number)
        folder = Path(sm.output[0]).parent
        (folder / f"{name}.md").write_text(markdown(model), encoding="utf-8")
        (folder / f"{name}.tex").write_text(latex(model), encoding="utf-8")
        write_docx(model, folder / f"{name}.docx")


run_step(snakemake, main)
