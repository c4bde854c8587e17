"""The manuscript as one self-contained HTML page (figures embedded as data URIs).

Lays out a :class:`~attachstats.output.report.manuscript.Manuscript`: numbered tables with
their title above and note below, numbered figures with captions, the reference list in
hanging-indent style and the provenance appendix. The page is sized for reading and for
print (A4/Letter): text and tables fit the column, tables wrap their cells instead of
scrolling, figures are shown at their printed size or the column width if smaller.
"""

from __future__ import annotations

import base64
import html
import re
import struct
from pathlib import Path

from attachstats.output.apa import TableModel, header_parts
from attachstats.output.report.manuscript import Bullets, Figure, Manuscript, Paragraph, Section, Table, tidy_cell

__all__ = ["manuscript_html", "png_size"]

CSS = """
body { font-family: "Times New Roman", Times, serif; font-size: 12pt; line-height: 1.5; color: #111;
       max-width: 46em; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.5em; text-align: center; margin-bottom: .2em; }
h2 { font-size: 1.2em; text-align: center; margin-top: 2em; }
h3 { font-size: 1.05em; margin-top: 1.5em; }
p.sub { text-align: center; color: #444; margin-top: 0; }
p { text-align: left; }
table.apa { border-collapse: collapse; margin: .3em 0 .2em 0; font-size: 9.5pt; line-height: 1.25;
            max-width: 100%; table-layout: auto; }
table.apa th, table.apa td { padding: .15em .4em; vertical-align: top; }
table.apa td.txt { overflow-wrap: anywhere; }
table.apa.wide { font-size: 8.5pt; }
table.apa thead th { border-top: 1.5px solid #000; border-bottom: 1px solid #000; text-align: center;
                     font-weight: normal; }
table.apa tbody tr:last-child td { border-bottom: 1.5px solid #000; }
table.apa td.num { text-align: right; white-space: nowrap; }
table.apa td.txt { text-align: left; }
table.apa td.span { text-align: left; padding-top: .3em; }
div.table { margin: 1.2em 0; page-break-inside: avoid; }
div.table .label { font-weight: bold; margin: 0; }
div.table .title { font-style: italic; margin: 0 0 .3em 0; }
div.table .note { font-size: 9.5pt; line-height: 1.3; margin-top: .3em; }
figure { margin: 1.2em 0; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 10.5pt; margin-top: .3em; }
ol.refs { list-style: none; padding-left: 0; }
ol.refs li { padding-left: 2em; text-indent: -2em; margin-bottom: .4em; overflow-wrap: anywhere; }
section.appendix table.apa td { font-size: 8.5pt; }
@media print { body { max-width: none; margin: 0; font-size: 11pt; } }
"""


def png_size(path: str | Path) -> tuple[int, int, float]:
    """Width and height in pixels and dots per inch of a PNG (its ``pHYs`` chunk; 72 if absent)."""
    data = Path(path).read_bytes()
    w, h = struct.unpack(">II", data[16:24])
    dpi = 72.0
    i = data.find(b"pHYs")
    if i > 0:
        ppux, _, unit = struct.unpack(">IIB", data[i + 4:i + 13])
        if unit == 1 and ppux:
            dpi = ppux * 0.0254
    return w, h, dpi


def _glue(text: str) -> str:
    """No line break between a statistic's sign and its value (``b =\u00a01.36``)."""
    return re.sub(r" ([=<>≤≥]) ", "\u00a0\\1\u00a0", text)


def _inline(text: str) -> str:
    """Escape, then ``*x*`` as italics (reference entries mark journal titles so)."""
    return re.sub(r"\*(.+?)\*", r"<em>\1</em>", html.escape(text))


def _table(t: Table | TableModel, number: int | None = None) -> str:
    m = t.model if isinstance(t, Table) else t
    n = t.number if isinstance(t, Table) else number
    esc = html.escape
    head = "".join("<th>" + "".join(f"<em>{esc(t)}</em>" if it else esc(t) for t, it in header_parts(c)) + "</th>"
                   for c in m.columns)
    body = "".join(
        (f'<tr><td class="span" colspan="{len(m.columns)}"><em>{esc(tidy_cell(m.spans[i]))}</em></td></tr>'
         if i in m.spans else
         "<tr>" + "".join(f"<td class=\"{'num' if k else 'txt'}\">{esc(tidy_cell(v)).replace(chr(10), '<br>')}</td>"
                          for v, k in zip(row, m.numeric)) + "</tr>")
        for i, row in enumerate(m.rows))
    wide = " wide" if len(m.columns) > 8 else ""
    label = f'<p class="label">Table {n}</p>' if n else ""
    note = f'<p class="note"><em>Note.</em> {esc(m.note)}</p>' if m.note else ""
    return (f'<div class="table" id="table-{esc(m.name)}">{label}<p class="title">{esc(m.title)}</p>'
            f'<table class="apa{wide}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}</div>')


def _figure(f: Figure) -> str:
    data = base64.b64encode(Path(f.path).read_bytes()).decode("ascii")
    w, _, dpi = png_size(f.path)
    width_in = w / dpi
    return (f'<figure id="figure-{html.escape(f.key)}"><img alt="Figure {f.number}" '
            f'style="width: {width_in:.2f}in" src="data:image/png;base64,{data}">'
            f"<figcaption><strong>Figure {f.number}.</strong> {html.escape(f.caption)}</figcaption></figure>")


def _section(s: Section, depth: int) -> str:
    tag = f"h{min(depth + 1, 4)}"
    out = [f"<section><{tag}>{html.escape(s.title)}</{tag}>"]
    for b in s.blocks:
        if isinstance(b, Section):
            out.append(_section(b, depth + 1))
        elif isinstance(b, Paragraph):
            out.append(f"<p>{html.escape(_glue(b.text))}</p>")
        elif isinstance(b, Bullets):
            out.append("<ul>" + "".join(f"<li>{html.escape(_glue(i))}</li>" for i in b.items) + "</ul>")
        elif isinstance(b, Table):
            out.append(_table(b))
        elif isinstance(b, Figure):
            out.append(_figure(b))
    out.append("</section>")
    return "".join(out)


def manuscript_html(ms: Manuscript, subtitle: str = "") -> str:
    """The manuscript as a complete HTML document (UTF-8, no external resources).

    Parameters
    ----------
    ms : Manuscript
        From :func:`attachstats.output.report.manuscript.build_manuscript`.
    subtitle : str
        A line under the title (e.g. the study file).

    Returns
    -------
    str
        The page.
    """
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{html.escape(ms.title)}</title><style>{CSS}</style></head><body>",
             f"<header><h1>{html.escape(ms.title)}</h1>"
             + (f'<p class="sub">{html.escape(subtitle)}</p>' if subtitle else "") + "</header><main>"]
    parts += [_section(s, 1) for s in ms.sections]
    if ms.references:
        parts.append('<section><h2>References</h2><ol class="refs">'
                     + "".join(f"<li>{_inline(r)}</li>" for r in ms.references) + "</ol></section>")
    app = ms.appendix
    parts.append('<section class="appendix"><h2>' + html.escape(app.title) + "</h2>")
    for b in app.blocks:
        if isinstance(b, Paragraph):
            parts.append(f"<p>{html.escape(b.text)}</p>")
        elif isinstance(b, Table):
            parts.append(_table(b.model))
    parts.append("</section></main></body></html>")
    return "\n".join(parts) + "\n"
