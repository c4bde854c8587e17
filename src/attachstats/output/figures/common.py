"""Shared figure machinery: journal sizes, the pyplot setup, labels, saving, the figure manifest.

Figures use matplotlib's Agg backend, constrained layout and seaborn's colour-blind-safe
``colorblind`` palette. A figure's size is its printed size (one column :data:`COLUMN_IN`,
the page :data:`PAGE_IN`): figures are saved at that size (no tight bounding box), so a
font size in points is the printed size, and no text is smaller than :data:`MIN_PT`.
Saved PNGs carry no software/time metadata and PDFs no creation date, so identical inputs
give byte-identical files.

A figure function returns ``None`` when the study has no such analysis: the figure is not
drawn and :func:`write_manifest` records why; the report lists only drawn figures.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

COLUMN_IN = 3.5  # one journal column, inches
PAGE_IN = 7.0    # full page width, inches
MIN_PT = 7.0     # smallest text at the printed size, points
RASTER_ABOVE = 5_000  # scatters with more points are drawn as an image inside the PDF
#: Columns of a figure manifest (one row per figure of a rule).
FIGURE_MANIFEST_COLUMNS = ["figure", "drawn", "reason"]


class NotDrawn:
    """A figure the study has no analysis for: ``reason`` says why (one sentence)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"NotDrawn({self.reason!r})"


def rasterize(n_points: int) -> bool:
    """Whether a scatter of ``n_points`` is rasterised in vector output: above
    :data:`RASTER_ABOVE` points the PDF embeds the markers as one image at the figure's
    resolution (small, fast to open), while axes, lines and text stay vector."""
    return n_points > RASTER_ABOVE


def pyplot() -> tuple[Any, list]:
    """matplotlib's pyplot (Agg backend, the house style set) and the colour-blind-safe palette."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    plt.rcParams.update({"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 7,
                         "legend.title_fontsize": 7, "xtick.labelsize": 7, "ytick.labelsize": 7,
                         "figure.titlesize": 9, "svg.hashsalt": "attachstats", "figure.dpi": 100,
                         "font.family": "DejaVu Sans", "axes.titleweight": "normal",
                         "figure.constrained_layout.h_pad": 0.04, "figure.constrained_layout.w_pad": 0.04})
    return plt, sns.color_palette("colorblind")


def label(name: str, labels: Mapping[str, str] | None) -> str:
    """The human label of ``name`` (the name itself when ``labels`` has none)."""
    return (labels or {}).get(name) or name


def save_png(fig: Any, path: str | Path, dpi: int = 300, pdf: str | Path | None = None) -> None:
    """Save a figure as PNG (and optionally PDF) at its printed size, without run-dependent
    metadata, then close it.

    PNG carries no ``Software`` entry; the PDF no creation date or producer, and its fonts
    are embedded as subsets (Type 42), so identical inputs give byte-identical files.
    """
    plt, _ = pyplot()
    fig.savefig(path, dpi=dpi, metadata={"Software": None})
    if pdf is not None:
        with plt.rc_context({"pdf.fonttype": 42}):
            fig.savefig(pdf, dpi=dpi, metadata={"CreationDate": None, "Producer": None, "Creator": None})
    plt.close(fig)


def not_drawn_file(reason: str, path: str | Path, pdf: str | Path | None = None) -> None:
    """The file a workflow output needs for a figure that is not drawn: a one-line note,
    never shown in the report (the manifest marks the figure as not drawn)."""
    plt, _ = pyplot()
    fig = plt.figure(figsize=(COLUMN_IN, 0.4))
    fig.text(0.5, 0.5, f"Not drawn: {reason}", ha="center", va="center", fontsize=MIN_PT)
    save_png(fig, path, pdf=pdf)


def save_all(figures: Mapping[str, Any], out: Mapping[str, str], manifest: str | Path | None = None) -> None:
    """Save each drawn figure as PNG (``out[name]``) and PDF (``out[name + "_pdf"]``); a
    :class:`NotDrawn` entry gets a note file; ``manifest`` (CSV, :data:`FIGURE_MANIFEST_COLUMNS`)
    records which figures were drawn and why the others were not."""
    rows = []
    for name, fig in figures.items():
        pdf = out.get(f"{name}_pdf")
        if isinstance(fig, NotDrawn):
            not_drawn_file(fig.reason, out[name], pdf)
            rows.append([name, "false", fig.reason])
        else:
            save_png(fig, out[name], pdf=pdf)
            rows.append([name, "true", ""])
    if manifest is not None:
        write_manifest(rows, manifest)


def write_manifest(rows: list[list[str]], path: str | Path) -> None:
    """Write a figure manifest (``figure, drawn, reason``) as CSV."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(FIGURE_MANIFEST_COLUMNS)
        w.writerows(rows)


def drawn_figures(manifests: list[str | Path]) -> set[str]:
    """The names of the figures the manifests mark as drawn."""
    out: set[str] = set()
    for p in manifests:
        with open(p, encoding="utf-8", newline="") as fh:
            out |= {r["figure"] for r in csv.DictReader(fh) if r["drawn"] == "true"}
    return out


def drawn_texts(fig: Any) -> list[Any]:
    """The Text artists that a draw of ``fig`` actually renders (non-empty, visible, and for
    tick labels only those of ticks in view), recorded while drawing."""
    from matplotlib.text import Text

    seen: list[Any] = []
    original = Text.draw

    def record(self: Any, renderer: Any) -> Any:
        if self.get_visible() and self.get_text().strip():
            seen.append(self)
        return original(self, renderer)

    Text.draw = record
    try:
        fig.canvas.draw()
    finally:
        Text.draw = original
    return list(dict.fromkeys(seen))


def text_sizes(fig: Any) -> list[tuple[str, float]]:
    """Every text ``fig`` renders with its size in points; at the saved size (the figure size,
    no tight bounding box) these are the printed sizes."""
    return [(t.get_text(), float(t.get_fontsize())) for t in drawn_texts(fig)]


def texts_outside(fig: Any, tolerance_px: float = 1.0) -> list[str]:
    """The rendered texts of ``fig`` that reach beyond the figure's edges (cut off when saved
    at the printed size); an empty list when every text fits."""
    texts = drawn_texts(fig)
    renderer = fig.canvas.get_renderer()
    W, H = fig.bbox.width, fig.bbox.height
    out = []
    for t in texts:
        bb = t.get_window_extent(renderer)
        if bb.x0 < -tolerance_px or bb.y0 < -tolerance_px or bb.x1 > W + tolerance_px or bb.y1 > H + tolerance_px:
            out.append(t.get_text())
    return out
