"""Figure captions have one source, workflow/report/<figure>.rst, shared by both reports."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from attachstats.output.report import html as report_html
from attachstats.output.report.captions import caption_text

CAPTION_FILES = sorted((Path(__file__).parents[2] / "workflow" / "report").glob("*.rst"))
TEMPLATE = (Path(report_html.__file__).parent / "templates" / "report.html").read_text(encoding="utf-8")


def test_inline_markup_is_removed() -> None:
    assert caption_text("Reasons: ``validation/exclusions.csv``.\n") == "Reasons: validation/exclusions.csv."
    assert caption_text("a *b* **c** `d` :math:`e` `f <https://x.org>`_ ``g*h*``") == "a b c d e f g*h*"
    assert caption_text("one\n  two\n\n") == "one two" and caption_text("2 * 3 * 4") == "2 * 3 * 4"


def test_no_caption_dict_left_in_the_library() -> None:
    assert not hasattr(report_html, "CAPTIONS")


def _minimal_report(tmp_path: Path, captions: dict[str, str]) -> str:
    figures = sorted(set(re.findall(r"figures\.(\w+)", TEMPLATE)))
    png = tmp_path / "f.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    flow = pd.DataFrame({"stage": ["raw", "analysed"], "n_before": [3, 3], "n_excluded": [0, 0],
                         "n_after": [3, 3]})
    tables = {name: pd.DataFrame() for name in set(re.findall(r"tables\.(\w+)", TEMPLATE))}
    tables |= {"flow": flow}
    provenance = {"git_commit": "c", "inputs": {"data": {"path": "d.csv", "sha256": "0" * 64}},
                  "packages": {"attachstats": "0"}, "platform": "p", "python": "3", "seed": 1}
    return report_html.render_report({"name": "s", "title": "S", "study_file": "s.yaml"}, tables,
                                     {name: png for name in figures}, provenance, captions)


def test_report_captions_are_the_rst_caption_files(tmp_path: Path) -> None:
    rst = {p.stem: p.read_text(encoding="utf-8") for p in CAPTION_FILES}
    assert "flow" in rst and "``" in rst["flow"]
    page = _minimal_report(tmp_path, rst)
    shown = dict(re.findall(r'<img alt="(\w+)"[^>]*><figcaption>Figure: (.*?)</figcaption>', page))
    assert shown and set(shown) <= set(rst)
    for name, caption in shown.items():
        assert caption == report_html.html.escape(caption_text(rst[name])), name
    assert shown["flow"].endswith("Reasons per respondent: validation/exclusions.csv.")
    assert shown["coefficients"].startswith("Coefficients of the predictors")   # the .rst, not a stale copy
    assert "Covariates are not shown" in shown["coefficients"]


@pytest.mark.parametrize("path", CAPTION_FILES, ids=lambda p: p.stem)
def test_every_caption_file_is_plain_after_stripping(path: Path) -> None:
    text = caption_text(path.read_text(encoding="utf-8"))
    assert text and "``" not in text and "\n" not in text
