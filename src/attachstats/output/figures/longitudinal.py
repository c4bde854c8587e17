"""Figures of the longitudinal analyses: trajectories, reliable change, the lagged interaction.

Each function takes result tables (and, for the spaghetti plot, a sample of the linked
rows chosen by the figures step) and returns a matplotlib Figure at its printed size, or
:class:`~attachstats.output.figures.common.NotDrawn`. Nothing here computes a statistic:
the mean trajectory and its interval come from ``longitudinal/trajectory.csv``, the
reliable-change bands from ``longitudinal/change.csv``; the lagged interaction is the
cross-sectional interaction figure (:func:`attachstats.output.figures.models.interaction_plot`)
with the linked columns labelled by variable and wave (:func:`wave_labels`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from attachstats.output.figures.common import COLUMN_IN, NotDrawn, label, pyplot
from attachstats.output.figures.models import interaction_plot
from attachstats.output.labels import in_text

__all__ = ["wave_labels", "spaghetti_plot", "jacobson_truax_plot", "lagged_interaction_plot", "RELIABLE_ORDER"]

#: Categories of the Jacobson–Truax scatter, in legend order.
RELIABLE_ORDER = ("improved", "unchanged", "deteriorated")


def wave_labels(variables: Mapping[str, str], waves: Mapping[str, str]) -> dict[str, str]:
    """Labels of the linked columns ``{v}_{w}``: ``"<label of v> at <label of w>"``.

    >>> wave_labels({"ecr_anxiety": "Attachment anxiety"}, {"w1": "Wave 1"})["ecr_anxiety_w1"]
    'Attachment anxiety at Wave 1'
    """
    return {f"{v}_{w}": f"{lab} at {wl}" for v, lab in variables.items() for w, wl in waves.items()}


def spaghetti_plot(lines: pd.DataFrame, trajectory: pd.DataFrame, score: str, waves: Sequence[str],
                   labels: Mapping[str, str] | None = None, wave_names: Mapping[str, str] | None = None) -> Any:
    """Individual trajectories (faint) and the mean trajectory with its 95% CI.

    Parameters
    ----------
    lines : DataFrame
        ``id`` and ``{score}_{w}`` for a sample of respondents (missing waves leave gaps).
    trajectory : DataFrame
        ``longitudinal/trajectory.csv`` rows of ``score`` (``wave``, ``mean``, ``ci_lo``, ``ci_hi``, ``n``).
    """
    if trajectory.empty:
        return NotDrawn("no score measured at more than one wave")
    plt, pal = pyplot()
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 2.8), layout="constrained")
    x = np.arange(len(waves))
    for _, r in lines.iterrows():
        y = np.array([r.get(f"{score}_{w}", np.nan) for w in waves], dtype=float)
        ax.plot(x, y, color="grey", alpha=0.25, lw=0.5)
    t = trajectory.set_index("wave").loc[list(waves)]
    ax.fill_between(x, t["ci_lo"], t["ci_hi"], color=pal[0], alpha=0.3, lw=0, label="Mean (95% CI)")
    ax.plot(x, t["mean"], color=pal[0], lw=1.6, marker="o", ms=3.5)
    names = [label(w, wave_names) for w in waves]
    ax.set_xticks(x, [f"{n}\n(n = {int(k)})" for n, k in zip(names, t["n"])])
    ax.set_xlim(-0.2, len(waves) - 0.8)
    sl = label(score, labels)
    ax.set_ylabel(sl)
    ax.set_title(f"{sl} over the waves")
    ax.plot([], [], color="grey", alpha=0.5, lw=0.5, label=f"Individual respondents ({len(lines)} shown)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=1, frameon=False)
    return fig


def jacobson_truax_plot(persons: pd.DataFrame, change: Mapping[str, Any],
                        labels: Mapping[str, str] | None = None, wave_names: Mapping[str, str] | None = None) -> Any:
    """Pre against post scores: identity line, the reliable-change band (|RCI| ≤ 1.96 between
    the dotted lines ``post = pre ± 1.96·SE_diff``), the cut-off (if stated) on both axes,
    points coloured reliably improved / unchanged / deteriorated.

    Parameters
    ----------
    persons : DataFrame
        ``longitudinal/reliable_change_persons.csv`` rows of one score and pair of waves.
    change : mapping
        The matching row of ``longitudinal/change.csv`` (``se_diff``, ``rci_criterion``,
        ``cutoff``, ``pre``, ``post``, ``score``).
    """
    p = persons[persons["reliable"].notna() & (persons["reliable"].astype(str) != "")]
    if p.empty:
        return NotDrawn("no person with both scores")
    plt, pal = pyplot()
    fig, ax = plt.subplots(figsize=(COLUMN_IN, 3.6), layout="constrained")
    colours = {"improved": pal[2], "unchanged": "grey", "deteriorated": pal[3]}
    for cat in RELIABLE_ORDER:
        d = p[p["reliable"] == cat]
        ax.scatter(d["pre_score"], d["post_score"], s=7, alpha=0.7, color=colours[cat], lw=0,
                   label=f"Reliably {cat} (n = {len(d)})" if cat != "unchanged" else f"No reliable change (n = {len(d)})")
    lo = float(min(p["pre_score"].min(), p["post_score"].min()))
    hi = float(max(p["pre_score"].max(), p["post_score"].max()))
    pad = 0.04 * (hi - lo or 1)
    lo, hi = lo - pad, hi + pad
    g = np.array([lo, hi])
    band = float(change["rci_criterion"]) * float(change["se_diff"])
    ax.plot(g, g, color="black", lw=0.8, label="No change (post = pre)")
    ax.plot(g, g + band, color="black", lw=0.7, ls=":", label="Reliable change limits (|RCI| = 1.96)")
    ax.plot(g, g - band, color="black", lw=0.7, ls=":")
    cut = change.get("cutoff")
    if cut is not None and np.isfinite(float(cut)):
        ax.axhline(float(cut), color=pal[0], lw=0.7, ls="--", label=f"Cut-off ({float(cut):.2f})")
        ax.axvline(float(cut), color=pal[0], lw=0.7, ls="--")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    sl = label(change["score"], labels)
    ax.set_xlabel(f"{sl}, {label(change['pre'], wave_names)}")
    ax.set_ylabel(f"{sl}, {label(change['post'], wave_names)}")
    ax.set_title(f"Reliable change in {in_text(sl)}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=1, frameon=False)
    return fig


def lagged_interaction_plot(lines: pd.DataFrame, curve: pd.DataFrame, jn: pd.DataFrame, slopes: pd.DataFrame,
                            labels: Mapping[str, str] | None = None,
                            model_labels: Mapping[str, str] | None = None) -> Any:
    """The lagged interaction, drawn by the cross-sectional interaction figure (predicted
    outcome at ``to`` by the focal predictor at each moderator level; the focal slope across
    the moderator with the Johnson–Neyman region); ``labels`` should include
    :func:`wave_labels` so that axes read "Depression, wave 2"."""
    return interaction_plot(lines, curve, jn, slopes, labels, model_labels)
