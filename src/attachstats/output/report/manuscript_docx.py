"""The manuscript as one Word document (``report.docx``), laid out as an APA draft.

Times New Roman 12 pt on Letter pages with 1-inch margins; numbered tables with the number in
bold and the title in italics above, horizontal rules only, the note below; each table's
column widths come from its content (:func:`column_widths`) and a table too wide for the
portrait text width even at 8 pt gets a landscape section of its own; figures at their
printed size or the text width if smaller, caption below; references with a hanging indent.
Core properties and zip-entry times are fixed, so the same manuscript gives the same bytes.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from pathlib import Path

from attachstats.output.apa import TableModel
from attachstats.output.report.manuscript import Bullets, Figure, Manuscript, Paragraph, Section, Table, tidy_cell
from attachstats.output.report.manuscript_html import png_size

__all__ = ["write_manuscript_docx", "column_widths", "PORTRAIT_WIDTH", "LANDSCAPE_WIDTH"]

#: Text width in inches: Letter with 1-inch margins, portrait and landscape.
PORTRAIT_WIDTH = 6.5
LANDSCAPE_WIDTH = 9.0
#: Average character width of Times New Roman as a share of the font size (digits are .5 em).
CHAR_EM = 0.5
#: Left + right cell padding in inches (Word's default cell margins are 0.08 in each side).
CELL_PAD = 0.18


def _char_em(ch: str) -> float:
    """Approximate advance width of a Times New Roman character in em (capitals are wider)."""
    if ch.isupper() or ch in "mwMW%—χ²×":
        return 0.72
    if ch in " .,;:!|' []()ijlft":
        return 0.3
    return CHAR_EM


def _text_width(text: str, pt: float) -> float:
    return sum(_char_em(ch) for ch in text) * pt / 72.0


def column_widths(m: TableModel, pt: float, available: float) -> tuple[list[float], bool]:
    """Column widths (inches) that fit ``available``, and whether they fit at all.

    Each column's natural width is its longest cell on one line; its minimum is its longest
    word (cells wrap at spaces). Columns start at their natural width; when the sum is too
    wide, every column gets its minimum plus a share of what is left in proportion to what it
    lacks. ``fits`` is False when even the minimums exceed ``available``.

    >>> from attachstats.output.apa import TableModel
    >>> m = TableModel("t", "T", ["Predictor", "b"], [["ECR-R anxiety", "1.36"]], [False, True])
    >>> [round(w, 2) for w in column_widths(m, 10, 6.5)[0]]
    [1.12, 0.43]
    """
    cells = [m.columns, *m.rows]
    natural, minimum = [], []
    for j in range(len(m.columns)):
        col = [r[j] for r in cells if j < len(r)]
        natural.append(max(_text_width(line, pt) for c in col for line in c.split("\n")) + CELL_PAD)
        minimum.append(max(_text_width(w, pt) for c in col for w in (re.split(r"[ \n]", c) or [""])) + CELL_PAD)
    if sum(natural) <= available:
        return natural, True
    if sum(minimum) > available:
        return minimum, False
    spare = available - sum(minimum)
    lack = [n - mn for n, mn in zip(natural, minimum)]
    total = sum(lack) or 1.0
    return [mn + spare * lk / total for mn, lk in zip(minimum, lack)], True


def _layout(m: TableModel) -> tuple[float, list[float], bool]:
    """Font size, widths and orientation (True = landscape) of a table."""
    for pt in (10.0, 9.0, 8.0):
        widths, fits = column_widths(m, pt, PORTRAIT_WIDTH)
        if fits:
            return pt, widths, False
    for pt in (9.0, 8.0):
        widths, fits = column_widths(m, pt, LANDSCAPE_WIDTH)
        if fits:
            return pt, widths, True
    widths, _ = column_widths(m, 7.0, LANDSCAPE_WIDTH)
    scale = min(1.0, LANDSCAPE_WIDTH / sum(widths))
    return 7.0, [w * scale for w in widths], True


def _borders(cell, top: bool, bottom: bool) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    pr = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    for edge, on in (("top", top), ("left", False), ("bottom", bottom), ("right", False)):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single" if on else "nil")
        if on:
            el.set(qn("w:sz"), "8")
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "000000")
        borders.append(el)
    pr.append(borders)


def _row_properties(row, header: bool) -> None:
    """A row never splits across pages; the header row repeats on every page of the table."""
    from docx.oxml import OxmlElement

    pr = row._tr.get_or_add_trPr()
    pr.append(OxmlElement("w:cantSplit"))
    if header:
        pr.append(OxmlElement("w:tblHeader"))


def _fixed_layout(table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    pr.append(layout)


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
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Inches, Pt

    m = TableModel(name=m.name, title=m.title, columns=m.columns, rows=[[tidy_cell(c) for c in r] for r in m.rows],
                   numeric=m.numeric, note=m.note, number=m.number)
    pt, widths, landscape = _layout(m)
    if landscape:
        _orient(doc, True)
    if number:
        p = doc.add_paragraph()
        p.paragraph_format.keep_with_next = True
        p.paragraph_format.space_after = Pt(0)
        p.add_run(f"Table {number}").bold = True
    p = doc.add_paragraph()
    p.paragraph_format.keep_with_next = True
    p.add_run(m.title).italic = True
    table = doc.add_table(rows=1 + len(m.rows), cols=max(1, len(m.columns)))
    table.style = None
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    _fixed_layout(table)
    for j, w in enumerate(widths):
        table.columns[j].width = Inches(w)
    last = len(m.rows)
    together = last <= 25          # short tables stay on one page; long ones repeat their header
    for i, (tr, values) in enumerate(zip(table.rows, [m.columns, *m.rows])):
        _row_properties(tr, header=i == 0)
        for j, (cell, value) in enumerate(zip(tr.cells, values)):
            cell.width = Inches(widths[j])
            para = cell.paragraphs[0]
            para.paragraph_format.space_after = Pt(0)
            para.paragraph_format.line_spacing = 1.0
            para.paragraph_format.keep_with_next = together and i < last
            run = para.add_run(value)
            run.font.size = Pt(pt)
            if i == 0:
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif m.numeric[j]:
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _borders(cell, top=i == 0, bottom=i == 0 or i == last)
    if m.note:
        p = doc.add_paragraph()
        p.paragraph_format.space_before = Pt(3)
        p.add_run("Note. ").italic = True
        run = p.add_run(m.note)
        run.font.size = Pt(10)
        p.runs[0].font.size = Pt(10)
    else:
        doc.add_paragraph()
    if landscape:
        _orient(doc, False)


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
    buf = io.BytesIO()
    doc.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
