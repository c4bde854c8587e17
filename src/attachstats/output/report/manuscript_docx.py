"""The manuscript as one Word document (``report.docx``), laid out as an APA draft.

Times New Roman 12 pt on Letter pages with 1-inch margins; numbered tables as the APA table
writer lays them out (:func:`attachstats.output.apa.add_docx_table`: number in bold and the
title in italics above, horizontal rules only, the note below, column widths from content, a
landscape section for a table too wide for a portrait page); figures at their
printed size or the text width if smaller, caption below; references with a hanging indent.
Core properties and zip-entry times are fixed, so the same manuscript gives the same bytes.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from attachstats.output.apa import PORTRAIT_WIDTH_IN, TableModel, add_docx_table, save_stable_docx
from attachstats.output.report.manuscript import Bullets, Figure, Manuscript, Paragraph, Section, Table, tidy_cell
from attachstats.output.report.manuscript_html import png_size

__all__ = ["write_manuscript_docx", "PORTRAIT_WIDTH"]

#: Text width in inches of a portrait page (Letter with 1-inch margins).
PORTRAIT_WIDTH = PORTRAIT_WIDTH_IN


def _runs(par, text: str, size=None) -> None:
    """Text with ``*italic*`` spans as runs."""
    for k, piece in enumerate(re.split(r"\*(.+?)\*", text)):
        if piece:
            run = par.add_run(piece)
            run.italic = k % 2 == 1
            if size is not None:
                run.font.size = size


def _orient(doc, landscape: bool) -> None:
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.shared import Inches

    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    sec.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = (Inches(11), Inches(8.5)) if landscape else (Inches(8.5), Inches(11))
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Inches(1))


def _table(doc, m: TableModel, number: int | None) -> None:
    """One table laid out by the APA Word writer (:func:`attachstats.output.apa.add_docx_table`:
    widths from content, portrait or a landscape section); the text after a landscape table
    continues on a portrait page."""
    from docx.enum.section import WD_ORIENT

    shown = TableModel(name=m.name, title=m.title, columns=m.columns, rows=[[tidy_cell(c) for c in r] for r in m.rows],
                       numeric=m.numeric, note=m.note, number=number, extra=dict(m.extra),
                       spans={i: tidy_cell(t) for i, t in m.spans.items()})
    add_docx_table(doc, shown)
    if doc.sections[-1].orientation == WD_ORIENT.LANDSCAPE:
        _orient(doc, False)
    else:
        doc.add_paragraph()


def _figure(doc, f: Figure) -> None:
    from docx.shared import Inches, Pt

    w, _, dpi = png_size(f.path)
    width = min(w / dpi, PORTRAIT_WIDTH)
    doc.add_picture(f.path, width=Inches(width))
    doc.paragraphs[-1].paragraph_format.keep_with_next = True
    p = doc.add_paragraph()
    p.paragraph_format.space_after = Pt(12)
    p.add_run(f"Figure {f.number}. ").bold = True
    p.add_run(f.caption)


def glue(text: str) -> str:
    """No line break between a statistic's sign and its value (``b =\u00a01.36``, ``p <\u00a0.001``)."""
    return re.sub(r" ([=<>≤≥]) ", "\u00a0\\1\u00a0", text)


def _blocks(doc, s: Section, depth: int) -> None:
    doc.add_heading(s.title, level=min(depth, 3))
    for b in s.blocks:
        if isinstance(b, Section):
            _blocks(doc, b, depth + 1)
        elif isinstance(b, Paragraph):
            doc.add_paragraph(glue(b.text))
        elif isinstance(b, Bullets):
            for item in b.items:
                doc.add_paragraph(glue(item), style="List Bullet")
        elif isinstance(b, Table):
            _table(doc, b.model, b.number)
        elif isinstance(b, Figure):
            _figure(doc, b)


def _styles(doc) -> None:
    from docx.shared import Pt, RGBColor

    from docx.oxml.ns import qn

    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(12)
    for name, size in (("Title", 16), ("Heading 1", 14), ("Heading 2", 12), ("Heading 3", 12)):
        st = doc.styles[name]
        st.font.name = "Times New Roman"
        st.font.size = Pt(size)
        st.font.bold = True
        st.font.italic = name == "Heading 3"
        st.font.color.rgb = RGBColor(0, 0, 0)
        fonts = st.element.rPr.find(qn("w:rFonts"))
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            if fonts is not None and fonts.get(qn(attr)) is not None:
                del fonts.attrib[qn(attr)]


def write_manuscript_docx(ms: Manuscript, path: str | Path, subtitle: str = "") -> None:
    """Write the manuscript as a Word document.

    Parameters
    ----------
    ms : Manuscript
        From :func:`attachstats.output.report.manuscript.build_manuscript`.
    path : str or Path
        The ``.docx`` file to write.
    subtitle : str
        A line under the title.
    """
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Inches

    doc = Document()
    _styles(doc)
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Inches(8.5), Inches(11)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Inches(1))
    title = doc.add_heading(ms.title, level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if subtitle:
        doc.add_paragraph(subtitle).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for s in ms.sections:
        _blocks(doc, s, 1)
    if ms.references:
        doc.add_heading("References", level=1)
        for r in ms.references:
            p = doc.add_paragraph()
            p.paragraph_format.left_indent = Inches(0.5)
            p.paragraph_format.first_line_indent = Inches(-0.5)
            _runs(p, r)
    doc.add_heading(ms.appendix.title, level=1)
    for b in ms.appendix.blocks:
        if isinstance(b, Paragraph):
            doc.add_paragraph(b.text)
        elif isinstance(b, Table):
            _table(doc, b.model, None)
    fixed = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    props = doc.core_properties
    props.created = props.modified = props.last_printed = fixed
    props.author = props.last_modified_by = "attachstats"
    props.title = ms.title
    props.revision = 1
    save_stable_docx(doc, path)
