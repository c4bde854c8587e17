from pathlib import Path

from attachstats.stats.descriptives import study_descriptives
from attachstats.runner import run_step
from attachstats.data.csvio import read_csv, write_csv
from attachstats.output.labels import APA_CORRELATION_NOTE
from attachstats.output.tables import apa_correlations, to_markdown


def main(sm):
    desc, corr = study_descriptives(read_csv(sm.input.scores), sm.params.study, read_csv(sm.input.reliability))
    write_csv(desc, sm.output.descriptives)
    write_csv(corr, sm.output.correlations)
    text = to_markdown(apa_correlations(desc, corr), "correlations_apa") + f"\n*Note.* {APA_CORRELATION_NOTE}\n"
    Path(sm.output.apa).write_text(text, encoding="utf-8")


run_step(snakemake, main)
