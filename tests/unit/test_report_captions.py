"""Figure captions: ``snakemake --report`` reads workflow/report/<figure>.rst, the manuscript
writes its own captions beside the sentence that cites the figure; both say what is shown."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_manuscript import load, tiny_png  # noqa: E402

from attachstats.output.report.manuscript import build_manuscript  # noqa: E402
from attachstats.steps.report import FIGURE_GROUPS  # noqa: E402

REPORT = Path(__file__).parents[2] / "workflow" / "report"
FIGURES = [name for group in FIGURE_GROUPS.values() for name in group]


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_has_a_caption_file_for_snakemake_report(name: str) -> None:
    text = (REPORT / f"{name}.rst").read_text(encoding="utf-8").strip()
    assert len(text.split()) >= 8, name


def test_manuscript_captions_say_what_is_shown(tmp_path: Path) -> None:
    study, tables, prov = load("example")
    figures = {name: str(tiny_png(tmp_path / f"{name}.png")) for name in FIGURES}
    ms = build_manuscript(study, tables, figures, prov)
    captions = {f.key: f.caption for f in ms.figures}
    assert {"flow", "coefficients", "interaction", "mediation", "path_diagram"} <= set(captions)
    for key, caption in captions.items():
        assert caption.endswith(".") and len(caption.split()) >= 8 and "_" not in caption, key
    # the coefficient figure leaves out covariates and the lower-order terms of an interaction (as the .rst says)
    assert "Covariates are not shown" in captions["coefficients"]
    assert "Covariates are not shown" in (REPORT / "coefficients.rst").read_text(encoding="utf-8")
    assert "only its interaction term" in captions["coefficients"]
    assert captions["flow"].startswith(f"Participant flow: the {int(tables['flow']['n_after'].iloc[0]):,} raw")


def test_snakemake_report_lists_drawn_figures_only(tmp_path: Path) -> None:
    """The report rule links the drawn figures into figures/drawn, the one folder marked for
    ``snakemake --report`` (report/figure.rst picks each figure's caption by its name)."""
    from attachstats.steps.report import link_figures

    drawn = {"flow": tiny_png(tmp_path / "flow.png"), "scree": tiny_png(tmp_path / "scree.png")}
    link_figures(drawn, tmp_path / "drawn")
    link_figures(drawn, tmp_path / "drawn")                       # a rerun replaces the links
    assert sorted(p.name for p in (tmp_path / "drawn").iterdir()) == ["flow.png", "scree.png"]
    assert (tmp_path / "drawn" / "flow.png").read_bytes() == drawn["flow"].read_bytes()
    rules = (Path(__file__).parents[2] / "workflow" / "rules" / "report.smk").read_text(encoding="utf-8")
    assert rules.count("report(") == 1 and 'patterns=["{figure}.png"]' in rules
    assert "snakemake.params.captions[snakemake.wildcards.figure]" in (REPORT / "figure.rst").read_text()


def test_report_step_takes_snakemakes_named_outputs_and_links_the_drawn_figures(tmp_path: Path) -> None:
    """The report rule's outputs come as Snakemake's named list (html, docx, drawn), not a dict:
    the step found them by position once and failed with a third output."""
    import pandas as pd
    from snakemake.iocontainers import Namedlist

    from attachstats.steps.report import report

    fix = Path(__file__).parents[1] / "fixtures" / "report" / "example"
    inputs = {p.stem: str(p) for p in fix.glob("*.csv")}
    pd.DataFrame(columns=["row", "id", "column", "value", "rule", "action"]).to_csv(tmp_path / "issues.csv", index=False)
    manifest = tmp_path / "figures_data_manifest.csv"
    manifest.write_text("figure,drawn,reason\nflow,true,\ndimensions,false,no styles\n", encoding="utf-8")
    figs = [tiny_png(tmp_path / "flow.png"), tiny_png(tmp_path / "dimensions.png")]
    inputs |= {"figures": [str(p) for p in figs], "manifests": [str(manifest)],
               "provenance": str(fix / "provenance.json"), "issues": str(tmp_path / "issues.csv"), "formatted": []}
    out = Namedlist(fromdict={"html": str(tmp_path / "report.html"), "docx": str(tmp_path / "report.docx"),
                              "drawn": str(tmp_path / "drawn")})
    study, _, _ = load("example")
    report(inputs, ["flow", "dimensions"], out, study)
    assert (tmp_path / "report.html").stat().st_size > 10_000 and (tmp_path / "report.docx").is_file()
    assert sorted(p.name for p in (tmp_path / "drawn").iterdir()) == ["flow.png"]      # not the undrawn one
    assert 'id="figure-flow"' in (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="figure-dimensions"' not in (tmp_path / "report.html").read_text(encoding="utf-8")
