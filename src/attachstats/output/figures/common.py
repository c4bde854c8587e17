"""Shared figure machinery: journal sizes, the pyplot setup, rasterising, saving, placeholders.

Figures use matplotlib's Agg backend and seaborn's colour-blind-safe ``colorblind`` palette.
Saved PNGs carry no software/time metadata and PDFs no creation date, so identical inputs
give byte-identical files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLUMN_IN = 3.5  # one journal column, inches
PAGE_IN = 7.0    # full page width, inches
RASTER_ABOVE = 5_000  # scatters with more points are drawn as an image inside the PDF


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

    plt.rcParams.update({"font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "legend.fontsize": 7,
                         "xtick.labelsize": 7, "ytick.labelsize": 7, "svg.hashsalt": "attachstats",
                         "figure.dpi": 100})
    return plt, sns.color_palette("colorblind")


def save_png(fig: Any, path: str | Path, dpi: int = 300, pdf: str | Path | None = None) -> None:
    """Save a figure as PNG (and optionally PDF) without run-dependent metadata, then close it.

    PNG carries no ``Software`` entry; the PDF no creation date or producer, and its fonts
    are embedded as subsets (Type 42), so identical inputs give byte-identical files.
    """
    plt, _ = pyplot()
    fig.savefig(path, dpi=dpi, metadata={"Software": None}, bbox_inches="tight")
    if pdf is not None:
        with plt.rc_context({"pdf.fonttype": 42}):
            fig.savefig(pdf, dpi=dpi, metadata={"CreationDate": None, "Producer": None, "Creator": None},
                        bbox_inches="tight")
    plt.close(fig)


def placeholder(text: str) -> Any:
    """A small figure holding one sentence, for a figure whose analysis the study does not have
    (the workflow's outputs stay fixed)."""
    plt, _ = pyplot()
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 1.0))
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True)
    ax.set_axis_off()
    return fig
