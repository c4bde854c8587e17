"""APA-style tables: one table model, four writers (Markdown, LaTeX, HTML, Word).

:func:`table_model` turns a result table (a DataFrame as written to CSV) into a
:class:`TableModel`: a title, column labels, formatted cells (APA number style, see
:func:`attachstats.output.numbers.format_value`), confidence-interval column pairs merged into one
bracketed column, and a note. The writers only lay that model out.

Example
-------
>>> import pandas as pd
>>> df = pd.DataFrame({"term": ["x"], "b": [0.5], "ci_lo": [0.1], "ci_hi": [0.9], "p": [0.0004]})
>>> m = table_model(df, "regressions")
>>> m.columns, m.rows
(['Term', 'b', '95% CI', 'p'], [['x', '0.50', '[0.10, 0.90]', '< .001']])
"""

from __future__ import annotations

import datetime
import html as _html
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from attachstats.output.labels import NOTES, column_label, title
from attachstats.output.numbers import ci_text, format_value

# (low column, high column) -> label of the merged "[lo, hi]" column
CI_PAIRS = [("ci_lo", "ci_hi", "95% CI"), ("alpha_ci_lo", "alpha_ci_hi", "α 95% CI"),
            ("rmsea_ci_lo", "rmsea_ci_hi", "RMSEA 90% CI"), ("std_ci_lo", "std_ci_hi", "95% CI (std.)"),
            ("cfa_std_ci_lo", "cfa_std_ci_hi", "95% CI (CFA)")]


@dataclass
class TableModel:
    """A formatted table: what every writer lays out."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    note: str = ""
    number: int | None = None
    extra: dict = field(default_factory=dict)


def table_model(df: pd.DataFrame, name: str, number: int | None = None, note: str | None = None) -> TableModel:
    """Build the :class:`TableModel` of a result table.

    Parameters
    ----------
    df : pandas.DataFrame
        The result table as written to CSV (machine column names, full precision).
    name : str
        The table's name (``regressions``, ``cfa_fit``, ...): selects title, labels and note.
    number : int, optional
        The table number printed above the title (``Table 2``).
    note : str, optional
        A note replacing the table's default note (``""`` for none).

    Returns
    -------
    TableModel
        Title, column labels, formatted cells and note, ready for a writer.
    """
    cols = list(df.columns)
    merged: dict[str, tuple[str, str, str]] = {}
    for lo, hi, label in CI_PAIRS:
        if lo in cols and hi in cols:
            merged[lo] = (lo, hi, label)
    out_cols, numeric, getters = [], [], []
    for c in cols:
        if any(c == hi for _, hi, _ in merged.values()):
            continue
        if c in merged:
            lo, hi, label = merged[c]
            out_cols.append(label)
            numeric.append(True)
            getters.append(lambda r, lo=lo, hi=hi: ci_text(_py(r[lo]), _py(r[hi]), lo))
        else:
            out_cols.append(column_label(c, name))
            numeric.append(pd.api.types.is_numeric_dtype(df[c]))
            getters.append(lambda r, c=c: format_value(_py(r[c]), c))
    rows = [[g(r) for g in getters] for r in df.to_dict("records")]
    return TableModel(name=name, title=title(name), columns=out_cols, rows=rows, numeric=numeric,
                      note=NOTES.get(name, "") if note is None else note, number=number)


def _py(v: object) -> object:
    return v.item() if hasattr(v, "item") else v


def _heading(m: TableModel) -> str:
    return f"Table {m.number}" if m.number is not None else "Table"


def markdown(m: TableModel) -> str:
    """GitHub-flavoured Markdown: bold table number, italic title, note below."""
    head = f"**{_heading(m)}**\n\n*{m.title}*\n\n"
    if not m.rows:
        return head + "(no rows)\n"
    def esc(s: str) -> str:
        return s.replace("|", "\\|")

    lines = ["| " + " | ".join(map(esc, m.columns)) + " |",
             "|" + "|".join("---:" if n else ":---" for n in m.numeric) + "|"]
    lines += ["| " + " | ".join(map(esc, row)) + " |" for row in m.rows]
    return head + "\n".join(lines) + "\n" + (f"\n*Note.* {m.note}\n" if m.note else "")


_LATEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "<": r"$<$", ">": r"$>$", "χ": r"$\chi$", "²": r"$^2$", "α": r"$\alpha$", "β": r"$\beta$",
                  "–": "--", "τ": r"$\tau$"}


def _tex(s: str) -> str:
    return "".join(_LATEX_ESCAPES.get(ch, ch) for ch in s)


def latex(m: TableModel) -> str:
    """A booktabs ``table`` environment (needs ``\\usepackage{booktabs}``); no vertical rules."""
    spec = "".join("r" if n else "l" for n in m.numeric) or "l"
    lines = [r"\begin{table}[htbp]", r"\centering", rf"\caption{{\textit{{{_tex(m.title)}}}}}",
             rf"\label{{tab:{m.name}}}", rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
             " & ".join(_tex(c) for c in m.columns) + r" \\", r"\midrule"]
    lines += [" & ".join(_tex(c) for c in row) + r" \\" for row in m.rows]
    lines += [r"\bottomrule", r"\end{tabular}"]
    if m.note:
        lines.append(rf"\par\smallskip\parbox{{\linewidth}}{{\footnotesize\textit{{Note.}} {_tex(m.note)}}}")
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"


def html(m: TableModel) -> str:
    """An HTML table with the title as caption and the note below."""
    esc = _html.escape
    if not m.rows:
        return f"<p><em>{esc(m.title)}</em>: no rows.</p>"
    head = "".join(f"<th>{esc(c)}</th>" for c in m.columns)
    body = "".join("<tr>" + "".join(f"<td class=\"{'num' if n else 'txt'}\">{esc(v)}</td>"
                                     for v, n in zip(row, m.numeric)) + "</tr>" for row in m.rows)
    note = f"<p class=\"note\"><em>Note.</em> {esc(m.note)}</p>" if m.note else ""
    return (f"<table><caption>{esc(m.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>{note}")


def write_docx(m: TableModel, path: str | Path) -> None:
    """A Word document holding the table in APA layout.

    Bold table number, italic title above, horizontal rules only (top, below the header,
    bottom), no vertical rules, note in italics-led paragraph below. The core properties'
    dates are fixed so identical tables give identical files.
    """
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc = Document()
    p = doc.add_paragraph()
    p.add_run(_heading(m)).bold = True
    p = doc.add_paragraph()
    p.add_run(m.title).italic = True
    table = doc.add_table(rows=1 + len(m.rows), cols=max(1, len(m.columns)))
    table.style = None
    # row by row: table.cell(i, j) rebuilds the whole cell grid on every call (quadratic time)
    for i, (tr, values) in enumerate(zip(table.rows, [m.columns, *m.rows])):
        for j, (cell, value) in enumerate(zip(tr.cells, values)):
            cell.text = value
            para = cell.paragraphs[0]
            if j < len(m.numeric) and m.numeric[j] and i > 0:
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            for run in para.runs:
                run.font.size = Pt(10)
            _cell_borders(cell, top=i == 0, bottom=i == 0 or i == len(table.rows) - 1)
    if m.note:
        p = doc.add_paragraph()
        p.add_run("Note. ").italic = True
        p.add_run(m.note)
    fixed = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    props = doc.core_properties
    props.created = props.modified = fixed
    props.last_printed = fixed
    props.author = props.last_modified_by = "attachstats"
    props.revision = 1
    _save_stable_zip(doc, path)


def _save_stable_zip(doc, path: str | Path) -> None:
    """Save a python-docx document with fixed zip-entry times (byte-identical reruns)."""
    buf = io.BytesIO()
    doc.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))


def _cell_borders(cell, top: bool, bottom: bool) -> None:
    """Horizontal rules on a cell (single lines), nothing vertical."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    for edge, on in (("top", top), ("bottom", bottom), ("left", False), ("right", False)):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single" if on else "nil")
        if on:
            el.set(qn("w:sz"), "8")
            el.set(qn("w:color"), "000000")
        borders.append(el)
    tc_pr.append(borders)
