"""APA-style tables: one table model, four writers (Markdown, LaTeX, HTML, Word).

:func:`table_model` turns a result table (a DataFrame as written to CSV) into a
:class:`TableModel`: a title, column labels, formatted cells (APA number style, see
:func:`attachstats.output.numbers.format_value`), confidence-interval column pairs merged into one
bracketed column, and a note. The deliberate APA tables (a selection of columns per table, labels
instead of machine names) are built in :mod:`attachstats.output.tables`; the writers only lay a
model out. :func:`layout` decides, once for every writer, the column widths, the font size and
whether the table needs a landscape page: a table is set in portrait when its columns fit the
6.5-inch text width (US Letter or A4 with 1-inch margins, as APA asks), text columns wrapping when
needed; otherwise landscape (9 inches).

Example
-------
>>> import pandas as pd
>>> df = pd.DataFrame({"term": ["x"], "b": [0.5], "ci_lo": [0.1], "ci_hi": [0.9], "p": [0.0004]})
>>> m = table_model(df, "regressions")
>>> m.columns, m.rows
(['Term', 'b', '95% CI', 'p'], [['x', '0.50', '[0.10, 0.90]', '< .001']])
>>> layout(m).orientation
'portrait'
"""

from __future__ import annotations

import datetime
import html as _html
import io
import math
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from attachstats.output.labels import NOTES, PATH_LABELS, STAGE_LABELS, StudyLabels, column_label, title
from attachstats.output.numbers import ci_text, format_value

__all__ = ["CI_PAIRS", "TableModel", "Layout", "table_model", "layout", "split_columns", "add_docx_table", "save_stable_docx", "markdown", "latex", "html", "write_docx",
           "write_docx_tables", "LATEX_PACKAGES", "PORTRAIT_WIDTH_IN", "LANDSCAPE_WIDTH_IN"]

# (low column, high column) -> label of the merged "[lo, hi]" column
CI_PAIRS = [("ci_lo", "ci_hi", "95% CI"), ("alpha_ci_lo", "alpha_ci_hi", "α 95% CI"),
            ("rmsea_ci_lo", "rmsea_ci_hi", "RMSEA 90% CI"), ("std_ci_lo", "std_ci_hi", "95% CI (std.)"),
            ("cfa_std_ci_lo", "cfa_std_ci_hi", "95% CI (CFA)"), ("exp_ci_lo", "exp_ci_hi", "95% CI (exp)"),
            ("omega_total_ci_lo", "omega_total_ci_hi", "ω total 95% CI"),
            ("omega_h_ci_lo", "omega_h_ci_hi", "ωh 95% CI"),
            ("alpha_boot_ci_lo", "alpha_boot_ci_hi", "α bootstrap 95% CI")]
#: Text width of a portrait and a landscape page: US Letter with 1-inch margins (A4: 6.3 / 9.7).
PORTRAIT_WIDTH_IN = 6.5
LANDSCAPE_WIDTH_IN = 9.0
#: Packages the LaTeX tables need (``\usepackage{...}`` in the preamble).
LATEX_PACKAGES = ("booktabs", "tabularx", "rotating")
#: A LaTeX table measured wider than this share of its page may wrap its widest text column.
LATEX_SLACK = 0.9
# Text is measured in em of Times New Roman (the font of the Word tables; Liberation Serif has the
# same metrics): _text_width gives the width in em, a 10-pt em is 10/72 in. Cell padding: Word's
# default 0.08 in each side, plus a small reserve.
_PAD_IN = 0.2
_FONT = "Times New Roman"
#: (font size, wrap text columns) in order of preference; 8 pt only when 10 and 9 pt fit no page.
_TRIES = ((10, False), (9, False), (10, True), (9, True), (8, False), (8, True))
# A text column may wrap down to this width in em (numbers never wrap).
_MIN_WRAP_EM = 9.0


@dataclass
class TableModel:
    """A formatted table: what every writer lays out.

    ``spans`` maps a row position to a text printed across the whole table at that position (a
    block heading such as "Step 2" or a fit line such as "R² = .15, ΔR² = .14"); the row in
    ``rows`` at that position is ignored by the writers and may be empty.
    """

    name: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    note: str = ""
    number: int | None = None
    extra: dict = field(default_factory=dict)
    spans: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Layout:
    """How a table is set: page orientation, font size (pt), column widths (inches), wrapping."""

    orientation: str
    font_pt: int
    widths: tuple[float, ...]
    wrapped: tuple[bool, ...]
    squeezed: bool = False

    @property
    def width(self) -> float:
        """Total width of the columns in inches."""
        return float(sum(self.widths))

    @property
    def page_width(self) -> float:
        """The text width of the page the table is set on, in inches."""
        return PORTRAIT_WIDTH_IN if self.orientation == "portrait" else LANDSCAPE_WIDTH_IN


def table_model(df: pd.DataFrame, name: str, number: int | None = None, note: str | None = None,
                labels: StudyLabels | None = None) -> TableModel:
    """Build the :class:`TableModel` of a result table (every column, in CSV order).

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
    labels : StudyLabels, optional
        The study's labels (:func:`attachstats.output.labels.study_labels`): cells of name
        columns (``model``, ``term``, ``variable``, ``item``, ``factor``, ...) print as labels.

    Returns
    -------
    TableModel
        Title, column labels, formatted cells and note, ready for a writer. The selected APA
        tables of :func:`attachstats.output.tables.apa_table_set` are preferred for reports.
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
            numeric.append(pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]))
            if labels is not None and c in _NAME_COLUMNS:
                getters.append(lambda r, c=c: _name_cell(labels, c, r[c]))
            else:
                getters.append(lambda r, c=c: format_value(_py(r[c]), c))
    rows = [[g(r) for g in getters] for r in df.to_dict("records")]
    return TableModel(name=name, title=title(name), columns=out_cols, rows=rows, numeric=numeric,
                      note=NOTES.get(name, "") if note is None else note, number=number)


# Columns holding machine names, and what kind of name.
_NAME_COLUMNS = {"model": "model", "restricted": "model", "general": "model", "cfa_model": "model",
                 "term": "term", "variable": "variable", "var1": "variable", "var2": "variable",
                 "outcome": "variable", "score": "variable", "scale": "variable", "item": "variable",
                 "x": "variable", "mediator": "variable", "focal": "variable", "moderator": "variable",
                 "factor": "factor", "factor1": "factor", "factor2": "factor", "efa_factor": "factor",
                 "primary": "factor", "lhs": "any", "rhs": "any", "group": "variable", "stage": "stage",
                 "path": "path"}


def _name_cell(labels: StudyLabels, column: str, value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    v = str(value)
    kind = _NAME_COLUMNS[column]
    if kind == "model":
        return labels.model(v)
    if kind == "term":
        return labels.term(v)
    if kind == "factor":
        return labels.factor(v)
    if kind == "stage":
        return STAGE_LABELS.get(v, labels.variable(v) if v in labels.variables else v.replace("_", " "))
    if kind == "path":
        return PATH_LABELS.get(v, v)
    if kind == "any":
        if v in labels.factors:
            return labels.factor(v)
        return labels.variable(v) if v in labels.variables else v
    return labels.variable(v) if (v in labels.variables or "_" in v) else v


def _py(v: object) -> object:
    return v.item() if hasattr(v, "item") else v


def _heading(m: TableModel) -> str:
    return f"Table {m.number}" if m.number is not None else "Table"


_NARROW = set(".,:;'!|ijlrtf()[]I ′")
_WIDE = set("MWmw—×→←↔%@ΔΣΩω")


def _text_width(s: str) -> float:
    """Width of a text in em of Times New Roman (an upper bound per character class)."""
    w = 0.0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        if ch in _NARROW:
            w += 0.33
        elif ch in _WIDE or unicodedata.east_asian_width(ch) in "WF":
            w += 0.95
        elif ch.isdigit():
            w += 0.5       # Times digits are exactly half an em
        elif ch in "−-+<>=±≥≤*–":
            w += 0.56
        elif ch.isupper():
            w += 0.72
        else:
            w += 0.5
    return w


def layout(m: TableModel) -> Layout:
    """Column widths, font size and orientation that make the table fit its page.

    Each column gets the width of its longest cell (header included). In order of preference:
    10 pt, 9 pt, 10 then 9 pt with the widest text columns wrapped (down to 9 em), first on a
    portrait page, then on a landscape one; then 8 pt (unwrapped, wrapped) portrait, then
    landscape; last, landscape at 8 pt with every column scaled down to the page (such a table
    is ``squeezed``: :func:`split_columns` splits it into parts instead). Block headings (``spans``) wrap across the table and are
    not measured.

    >>> m = TableModel("t", "T", ["Variable", "M"], [["Attachment anxiety", "3.71"]], [False, True])
    >>> lay = layout(m); (lay.orientation, lay.font_pt, round(lay.width, 2) <= PORTRAIT_WIDTH_IN)
    ('portrait', 10, True)
    """
    k = max(1, len(m.columns))
    chars = _natural_em(m)
    text_cols = [j for j in range(k) if not (j < len(m.numeric) and m.numeric[j])]
    portrait, landscape = ("portrait", PORTRAIT_WIDTH_IN), ("landscape", LANDSCAPE_WIDTH_IN)
    tries = [(page, pt, wrap) for page in (portrait, landscape) for pt, wrap in _TRIES[:4]]
    tries += [(page, pt, wrap) for page in (portrait, landscape) for pt, wrap in _TRIES[4:]]
    for (orientation, page), pt, wrap in tries:
        cw = pt / 72
        widths = [c * cw + _PAD_IN for c in chars]
        wrapped = [False] * k
        excess = sum(widths) - page
        if wrap:
            for j in sorted(text_cols, key=lambda j: -chars[j]):
                floor = _MIN_WRAP_EM * cw + _PAD_IN
                if excess <= 0 or widths[j] <= floor:
                    continue
                cut = min(widths[j] - floor, excess)
                widths[j] -= cut
                excess -= cut
                wrapped[j] = True
        if excess <= 1e-9:
            return Layout(orientation, pt, tuple(widths), tuple(wrapped))
    cw = 8 / 72
    widths = [c * cw + _PAD_IN for c in chars]
    scale = LANDSCAPE_WIDTH_IN / sum(widths)
    return Layout("landscape", 8, tuple(w * scale for w in widths), (True,) * k, squeezed=True)


def _natural_em(m: TableModel) -> list[float]:
    """Each column's width in em: its widest cell (a header may wrap at its spaces; a cell is
    measured whole); block-heading rows (``spans``) do not count."""
    k = max(1, len(m.columns))
    chars = [0.0] * k
    for i, row in enumerate([m.columns, *m.rows]):
        if i - 1 in m.spans:
            continue
        for j, cell in enumerate(row[:k]):
            w = max(_text_width(p) for p in str(cell).split(" ")) if i == 0 else _text_width(str(cell))
            chars[j] = max(chars[j], w)
    return chars


def split_columns(m: TableModel) -> list[TableModel]:
    """A table too wide for a landscape page as parts that fit, each repeating the leading text columns.

    Tables that fit (:func:`layout` does not have to squeeze them) come back unchanged as
    ``[m]``. Otherwise the leading non-numeric columns (at most two: the row names) start every
    part, the other columns are dealt out in order to parts as wide as a landscape page at 8 pt,
    and the titles say ``(part 1 of 2)``. Numbers are never squeezed into wrapping cells.

    >>> wide = TableModel("w", "W", ["Model"] + [f"c{i}" for i in range(40)],
    ...                   [["m"] + ["1,234.56"] * 40], [False] + [True] * 40)
    >>> parts = split_columns(wide)
    >>> len(parts) > 1 and all(not layout(p).squeezed for p in parts)
    True
    """
    if not layout(m).squeezed:
        return [m]
    em = _natural_em(m)
    k = len(m.columns)
    lead = []
    for j in range(min(2, k - 1)):
        if j < len(m.numeric) and m.numeric[j]:
            break
        lead.append(j)
    cw = 8 / 72
    lead_w = sum(min(em[j], _MIN_WRAP_EM * 1.5) * cw + _PAD_IN for j in lead)
    parts: list[list[int]] = [[]]
    used = lead_w
    for j in range(len(lead), k):
        w = em[j] * cw + _PAD_IN
        if parts[-1] and used + w > LANDSCAPE_WIDTH_IN:
            parts.append([])
            used = lead_w
        parts[-1].append(j)
        used += w
    out = []
    for i, cols in enumerate(parts, start=1):
        keep = lead + cols
        spans = dict(m.spans)
        out.append(TableModel(name=m.name, title=f"{m.title} (part {i} of {len(parts)})",
                              columns=[m.columns[j] for j in keep],
                              rows=[[row[j] if j < len(row) else "" for j in keep] for row in m.rows],
                              numeric=[m.numeric[j] for j in keep], note=m.note if i == len(parts) else "",
                              number=m.number, extra=dict(m.extra), spans=spans))
    return out


def markdown(m: TableModel) -> str:
    """GitHub-flavoured Markdown: bold table number, italic title, note below.

    Block headings (``spans``) are rows with the text in the first cell, in italics.
    """
    head = f"**{_heading(m)}**\n\n*{m.title}*\n\n"
    if not m.rows:
        return head + "(no rows)\n" + (f"\n*Note.* {m.note}\n" if m.note else "")

    def esc(s: str) -> str:
        return s.replace("|", "\\|")

    lines = ["| " + " | ".join(map(esc, m.columns)) + " |",
             "|" + "|".join("---:" if n else ":---" for n in m.numeric) + "|"]
    for i, row in enumerate(m.rows):
        if i in m.spans:
            lines.append("| " + " | ".join([f"*{esc(m.spans[i])}*"] + [""] * (len(m.columns) - 1)) + " |")
        else:
            lines.append("| " + " | ".join(map(esc, row)) + " |")
    return head + "\n".join(lines) + "\n" + (f"\n*Note.* {m.note}\n" if m.note else "")


_LATEX_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                  "<": r"$<$", ">": r"$>$", "χ": r"$\chi$", "²": r"$^2$", "³": r"$^3$", "α": r"$\alpha$",
                  "β": r"$\beta$", "–": "--", "—": "---", "τ": r"$\tau$", "−": r"$-$", "ω": r"$\omega$",
                  "Δ": r"$\Delta$", "θ": r"$\theta$", "λ": r"$\lambda$", "η": r"$\eta$", "ρ": r"$\rho$",
                  "σ": r"$\sigma$", "μ": r"$\mu$", "ψ": r"$\psi$", "ε": r"$\varepsilon$", "φ": r"$\phi$",
                  "γ": r"$\gamma$", "κ": r"$\kappa$", "×": r"$\times$", "→": r"$\rightarrow$",
                  "←": r"$\leftarrow$", "↔": r"$\leftrightarrow$", "≥": r"$\geq$", "≤": r"$\leq$",
                  "±": r"$\pm$", "·": r"$\cdot$", "′": r"$'$", "∞": r"$\infty$", "≈": r"$\approx$",
                  "’": "'", "‘": "`", "“": "``", "”": "''", "…": r"\dots{}", "°": r"$^\circ$",
                  "ä": r"\"a", "ö": r"\"o", "ü": r"\"u", "é": r"\'e", "è": r"\`e", "Ä": r"\"A", "Ö": r"\"O",
                  "Ü": r"\"U", "ß": r"\ss{}", "\u00a0": "~", "✓": r"$\checkmark$"}


#: Statistical symbols set in italics in column headers (APA; Greek letters and abbreviations such as
#: CFI, OR stay upright).
ITALIC_SYMBOLS = frozenset({"b", "B", "SE", "t", "z", "p", "M", "SD", "n", "k", "r", "F", "df", "R²", "sr²", "h²",
                            "u²", "f²", "N"})


def header_parts(header: str) -> list[tuple[str, bool]]:
    """A column header as (text, italic) pieces: statistical symbols in italics.

    >>> header_parts("p (BH)"), header_parts("95% CI")
    ([('p', True), (' (BH)', False)], [('95% CI', False)])
    """
    out: list[tuple[str, bool]] = []
    for k, word in enumerate(header.split(" ")):
        sep = " " if k else ""
        core = word.lstrip("Δ")
        italic = core in ITALIC_SYMBOLS
        if italic and core != word:
            pieces = [(sep + word[:len(word) - len(core)], False), (core, True)]
        else:
            pieces = [(sep + word, italic)] if not italic or not sep else [(sep, False), (word, True)]
        for text, it in pieces:
            if out and out[-1][1] == it:
                out[-1] = (out[-1][0] + text, it)
            elif text:
                out.append((text, it))
    return out


def _tex_header(header: str) -> str:
    return "".join(rf"\textit{{{_tex(t)}}}" if it else _tex(t) for t, it in header_parts(header))


def _tex(s: str) -> str:
    out = []
    for ch in s:
        if ch in _LATEX_ESCAPES:
            out.append(_LATEX_ESCAPES[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:   # anything else: its closest ASCII letters, else a question mark (the file stays ASCII)
            out.append(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode() or "?")
    return "".join(out).replace("$$", "")


def latex(m: TableModel) -> str:
    """A booktabs table that fits ``\\textwidth`` (needs the packages of :data:`LATEX_PACKAGES`).

    No vertical rules. A table that fits the text width of a portrait page is a ``tabular`` (at
    ``\\small`` or ``\\footnotesize`` when :func:`layout` chose 9 or 8 pt), one whose text columns
    must wrap a ``tabularx`` at ``\\textwidth`` with those columns as ``X``; a table that needs a
    landscape page is a ``sidewaystable`` (package rotating). Block headings span all columns in
    italics. The output is pure ASCII (Greek letters, the minus sign and arrows as math). A table
    too wide even for a landscape page is written as the parts of :func:`split_columns`.
    """
    lay = layout(m)
    if lay.squeezed:
        return "".join(latex(part) for part in split_columns(m))
    k = max(1, len(m.columns))
    size = {10: "", 9: r"\small", 8: r"\footnotesize"}[lay.font_pt]
    env = "table" if lay.orientation == "portrait" else "sidewaystable"
    flex = list(lay.wrapped)
    text_cols = [j for j in range(k) if not (j < len(m.numeric) and m.numeric[j])]
    if not any(flex) and text_cols and lay.width > LATEX_SLACK * lay.page_width:
        # measured for Times: near the page width, LaTeX's own (wider) fonts may overrun it, so the
        # widest text column may wrap (tabularx at \textwidth)
        flex[max(text_cols, key=lambda j: lay.widths[j])] = True
    wrapped = any(flex)
    spec = "".join(("X" if flex[j] else "l") if not (j < len(m.numeric) and m.numeric[j]) else "r"
                   for j in range(k))
    if wrapped:
        spec = spec.replace("X", r">{\raggedright\arraybackslash}X")
    tab_open = rf"\begin{{tabularx}}{{\textwidth}}{{{spec}}}" if wrapped else rf"\begin{{tabular}}{{{spec}}}"
    tab_close = r"\end{tabularx}" if wrapped else r"\end{tabular}"
    lines = [f"% {_heading(m)}: needs \\usepackage{{{','.join(LATEX_PACKAGES)}}}",
             rf"\begin{{{env}}}[htbp]", r"\centering"]
    if size:
        lines.append(size)
    if lay.font_pt == 8:            # the tightest tables: narrower gutters leave room for LaTeX's own fonts
        lines.append(r"\setlength{\tabcolsep}{4pt}")
    lines += [rf"\caption{{\textit{{{_tex(m.title)}}}}}", rf"\label{{tab:{m.name}}}", tab_open, r"\toprule",
              " & ".join(_tex_header(c) for c in m.columns) + r" \\", r"\midrule"]
    for i, row in enumerate(m.rows):
        if i in m.spans:
            if i > 0:
                lines.append(r"\addlinespace")
            lines.append(rf"\multicolumn{{{k}}}{{l}}{{\textit{{{_tex(m.spans[i])}}}}} \\")
        else:
            lines.append(" & ".join(_tex(c) for c in row) + r" \\")
    lines += [r"\bottomrule", tab_close]
    if m.note:
        lines.append(rf"\par\smallskip\parbox{{\linewidth}}{{\footnotesize\textit{{Note.}} {_tex(m.note)}}}")
    lines.append(rf"\end{{{env}}}")
    return "\n".join(lines) + "\n"


def html(m: TableModel) -> str:
    """An HTML table with the number and title as caption and the note below.

    Block headings span all columns (class ``span``); numeric cells have class ``num``.
    """
    esc = _html.escape
    if not m.rows:
        return f"<p><em>{esc(m.title)}</em>: no rows.</p>"
    head = "".join(f"<th>{esc(c)}</th>" for c in m.columns)
    body = []
    for i, row in enumerate(m.rows):
        if i in m.spans:
            body.append(f"<tr><td class=\"span\" colspan=\"{len(m.columns)}\"><em>{esc(m.spans[i])}</em></td></tr>")
        else:
            body.append("<tr>" + "".join(f"<td class=\"{'num' if n else 'txt'}\">{esc(v)}</td>"
                                         for v, n in zip(row, m.numeric)) + "</tr>")
    note = f"<p class=\"note\"><em>Note.</em> {esc(m.note)}</p>" if m.note else ""
    number = f"<strong>{esc(_heading(m))}.</strong> " if m.number is not None else ""
    return (f"<table><caption>{number}{esc(m.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>{note}")


def write_docx(m: TableModel, path: str | Path) -> None:
    """A Word document holding the table in APA layout (see :func:`write_docx_tables`)."""
    write_docx_tables([m], path)


def write_docx_tables(models: Sequence[TableModel], path: str | Path) -> None:
    """A Word document holding tables in APA layout, each in a section that fits it.

    Bold table number, italic title above, horizontal rules only (top, below the header,
    bottom), no vertical rules, note in an italics-led paragraph below. Column widths come
    from :func:`layout` (the longest cell of each column; text columns wrap only when the
    table would not fit otherwise); a table too wide for a portrait page gets a landscape
    section (US Letter, 1-inch margins). The core properties' dates are fixed so identical
    tables give identical files.
    """
    from docx import Document

    doc = Document()
    _base_style(doc)
    for k, m in enumerate(models):
        add_docx_table(doc, m, new_section=k > 0)
    fixed = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    props = doc.core_properties
    props.created = props.modified = fixed
    props.last_printed = fixed
    props.author = props.last_modified_by = "attachstats"
    props.revision = 1
    save_stable_docx(doc, path)


def _base_style(doc) -> None:
    """Times New Roman 12 pt for the document's Normal style (APA), no space after paragraphs."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    normal = doc.styles["Normal"]
    normal.font.name = _FONT
    normal.font.size = Pt(12)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), _FONT)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0


#: Tables with at most this many rows (header included) are kept on one page in Word.
KEEP_TOGETHER_ROWS = 26


def add_docx_table(doc, m: TableModel, new_section: bool = False) -> None:
    """Append one table (number, title, table, note) to a python-docx ``Document``.

    The current section is set to the orientation :func:`layout` asks for; with
    ``new_section``, or when the document already has content and the current section has the
    other orientation, a new section starts (on a new page) first. Other writers of Word
    documents (the report) call this to place a table among their paragraphs; after a
    landscape table they start a portrait section again for their text
    (``doc.add_section()`` and set its orientation).
    """
    from docx.enum.section import WD_ORIENT, WD_SECTION
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Inches, Pt

    lay = layout(m)
    if lay.squeezed:                 # too wide even for a landscape page: its parts, one after another
        parts = split_columns(m)
        if len(parts) > 1:
            for part in parts:
                add_docx_table(doc, part, new_section)
                new_section = False
            return
    landscape = lay.orientation == "landscape"
    current = doc.sections[-1]
    has_content = any(p.text for p in doc.paragraphs) or len(doc.tables) > 0
    if has_content and (current.orientation == WD_ORIENT.LANDSCAPE) != landscape:
        new_section = True
    section = doc.add_section(WD_SECTION.NEW_PAGE) if new_section else current
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (Inches(11), Inches(8.5)) if landscape else (Inches(8.5), Inches(11))
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Inches(1))
    if m.number is not None:
        p = doc.add_paragraph()
        p.add_run(_heading(m)).bold = True
        p.paragraph_format.keep_with_next = True
    p = doc.add_paragraph()
    p.add_run(m.title).italic = True
    p.paragraph_format.keep_with_next = True
    p.paragraph_format.space_before = Pt(12)
    p.paragraph_format.space_after = Pt(12)
    k = max(1, len(m.columns))
    table = doc.add_table(rows=1 + len(m.rows), cols=k)
    table.style = None
    table.autofit = False
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    _fixed_layout(table, lay.widths)
    for col, w in zip(table.columns, lay.widths):
        col.width = Inches(w)
    size = Pt(lay.font_pt)
    n_rows = len(table.rows)
    together = n_rows <= KEEP_TOGETHER_ROWS    # a short table is not split across pages; a long one repeats its header
    # row by row: table.cell(i, j) rebuilds the whole cell grid on every call (quadratic time)
    for i, (tr, values) in enumerate(zip(table.rows, [m.columns, *m.rows])):
        cells = tr.cells
        _no_split(tr)
        if i - 1 in m.spans:
            merged = cells[0].merge(cells[-1]) if k > 1 else cells[0]
            merged.text = ""
            para = merged.paragraphs[0]
            run = para.add_run(m.spans[i - 1])
            run.italic = True
            run.font.size = size
            para.paragraph_format.space_before = para.paragraph_format.space_after = Pt(1)
            para.paragraph_format.line_spacing = 1.0
            para.paragraph_format.keep_with_next = together and i < n_rows - 1
            _mark_size(para, lay.font_pt)   # as tall as a row of cells, whatever the document's Normal style
            _cell_borders(merged, top=False, bottom=i == n_rows - 1)
            continue
        for j, (cell, value) in enumerate(zip(cells, values)):
            cell.width = Inches(lay.widths[j])
            para = cell.paragraphs[0]
            if i == 0:
                for text, italic in header_parts(value):
                    para.add_run(text).italic = italic
            else:
                cell.text = value
                para = cell.paragraphs[0]
            para.paragraph_format.space_before = para.paragraph_format.space_after = Pt(1)
            para.paragraph_format.line_spacing = 1.0
            para.paragraph_format.keep_with_next = together and i < n_rows - 1
            if j < len(m.numeric) and m.numeric[j]:
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT if i > 0 else WD_ALIGN_PARAGRAPH.CENTER
            for run in para.runs:
                run.font.size = size
            _mark_size(para, lay.font_pt)   # an empty cell is as tall as a filled one
            _cell_borders(cell, top=i == 0, bottom=i == 0 or i == n_rows - 1)
        if i == 0:
            _repeat_header(tr)
    if m.note:
        p = doc.add_paragraph()
        p.paragraph_format.space_before = Pt(6)
        r = p.add_run("Note. ")
        r.italic = True
        r.font.size = size
        p.add_run(m.note).font.size = size


def _fixed_layout(table, widths: Sequence[float]) -> None:
    """The table's total width in twentieths of a point (with ``autofit = False``, a fixed layout)."""
    from docx.oxml.ns import qn
    from docx.shared import Inches

    tbl_w = table._tbl.tblPr.find(qn("w:tblW"))
    if tbl_w is not None:
        tbl_w.set(qn("w:type"), "dxa")
        tbl_w.set(qn("w:w"), str(int(round(sum(Inches(w) for w in widths) / 635))))


def _mark_size(para, pt: int) -> None:
    """The font size of a paragraph's mark (the height Word gives an empty paragraph)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p_pr = para._p.get_or_add_pPr()
    r_pr = p_pr.find(qn("w:rPr"))
    if r_pr is None:
        r_pr = OxmlElement("w:rPr")
        p_pr.append(r_pr)
    for tag in ("w:sz", "w:szCs"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), str(2 * pt))
        r_pr.append(el)


def _no_split(row) -> None:
    """A row is never broken across two pages."""
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _repeat_header(row) -> None:
    """Repeat the header row on every page a long table runs over."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def save_stable_docx(doc, path: str | Path) -> None:
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
