"""Path diagram of any structural equation model (``sem_models``: a preset latent regression or
a model in lavaan syntax), in the manner of ``semPlot::semPaths(fit, "std")``.

The figure reads the ``sem_parameters`` and ``sem_fit`` tables only (plus, optionally, the
parameter labels of the syntax, ``a``/``b``/``c``); nothing is fitted or re-derived here
beyond layout. Layout (:func:`sem_layout`): the structural variables (factors, and observed
variables in regressions) in columns by their depth in the regression graph (exogenous on the
left), a mediator whose column an effect skips raised above that effect's line; each factor's
indicators in a row above (factors in the upper half) or below it; a factor with more than
:data:`COLLAPSE_ABOVE` indicators gets one box for all of them, labelled with their number
and first and last item, its arrow with the range of the standardised loadings, and the note
says so. Sizes in inches at the printed size; no text under
:data:`~attachstats.output.figures.common.MIN_PT`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from attachstats.output.figures.common import MIN_PT, PAGE_IN, NotDrawn, pyplot
from attachstats.output.labels import in_text, words
from attachstats.output.numbers import format_value

__all__ = ["COLLAPSE_ABOVE", "SemLayout", "sem_layout", "sem_diagram"]

#: A factor with more indicators than this gets one box for all of them.
COLLAPSE_ABOVE = 8
_CHAR_IN = 0.058          # width of one 7-pt DejaVu Sans character, inches (approximately)
_ROW_GAP = 1.15           # vertical distance of structural variables in one column
_IND_OFFSET = 0.9         # factor centre -> its indicator row
_IND_H = 0.22             # indicator box height
_LV_W, _LV_H = 1.35, 0.52  # factor ellipse
_OV_W, _OV_H = 1.25, 0.42  # observed structural variable box
_MARGIN = 0.12


def _num(value: float, column: str = "std") -> str:
    return format_value(float(value), column).replace("-", "\u2212")


@dataclass
class SemLayout:
    """Positions (inches) of one model's diagram.

    ``nodes``: name -> (x, y, kind) with kind ``latent`` | ``observed`` | ``indicator`` |
    ``collapsed`` (the one box of a factor's many indicators, named ``<factor>::items``);
    ``owner``: indicator box -> its factor; ``size``: name -> (width, height); ``side``: factor -> +1 (indicators above) or −1;
    ``collapsed``: factor -> its indicators; ``ylim``: (bottom, top).
    """

    nodes: dict[str, tuple[float, float, str]] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)
    size: dict[str, tuple[float, float]] = field(default_factory=dict)
    side: dict[str, int] = field(default_factory=dict)
    collapsed: dict[str, list[str]] = field(default_factory=dict)
    ylim: tuple[float, float] = (0.0, 1.0)


def _depths(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest path from an exogenous variable along ``edges`` (from, to); cycles are cut."""
    depth = {n: 0 for n in nodes}
    for _ in range(len(nodes)):
        changed = False
        for a, b in edges:
            if a in depth and b in depth and depth[b] < depth[a] + 1 <= len(nodes):
                depth[b] = depth[a] + 1
                changed = True
        if not changed:
            break
    return depth


def _box_width(text: str) -> float:
    return max(0.42, _CHAR_IN * max(len(t) for t in text.split("\n")) + 0.1)


def sem_layout(params: pd.DataFrame, labels: Mapping[str, str] | None = None,
               width: float = PAGE_IN) -> SemLayout:
    """The layout of one model from its ``sem_parameters`` rows (see the module docstring).

    >>> p = pd.DataFrame({"lhs": ["f", "f", "f", "y"], "op": ["=~", "=~", "=~", "~"],
    ...                   "rhs": ["x1", "x2", "x3", "f"]})
    >>> L = sem_layout(p)
    >>> L.nodes["f"][2], L.nodes["y"][0] > L.nodes["f"][0], L.side["f"]
    ('latent', True, -1)
    """
    labels = labels or {}
    load = params[params["op"] == "=~"]
    latent = list(dict.fromkeys(load["lhs"]))
    reg = params[params["op"] == "~"]
    structural = list(dict.fromkeys([*latent, *reg["rhs"], *reg["lhs"],
                                     *[v for v in load["rhs"] if v in set(reg["lhs"]) | set(reg["rhs"])]]))
    structural = [v for v in structural if v in latent or v in set(reg["lhs"]) | set(reg["rhs"])]
    indicators = {f: [v for v in load.loc[load["lhs"] == f, "rhs"] if v not in structural] for f in latent}
    edges = [(r.rhs, r.lhs) for r in reg.itertuples()] + [(r.lhs, r.rhs) for r in load.itertuples()
                                                            if r.rhs in structural]
    depth = _depths(structural, edges)
    ncol = max(depth.values(), default=0) + 1
    cols = {d: [v for v in structural if depth[v] == d] for d in range(ncol)}
    x_of = {d: (width / 2 if ncol == 1 else 1.1 + d * (width - 2.2) / (ncol - 1)) for d in range(ncol)}
    L = SemLayout()
    for d, members in cols.items():
        m = len(members)
        raise_ = 0.0
        if m == 1 and any(depth[a] < d < depth[b] for a, b in edges if a in depth and b in depth):
            raise_ = _ROW_GAP                      # a mediator: lifted off the line of the effect it carries
        for k, v in enumerate(members):
            y = ((m - 1) / 2 - k) * _ROW_GAP * (1.6 if any(indicators.get(u) for u in members) else 1) + raise_
            kind = "latent" if v in latent else "observed"
            L.nodes[v] = (x_of[d], y, kind)
            L.size[v] = (_LV_W, _LV_H) if kind == "latent" else (_OV_W, _OV_H)
    ys = [y for _, y, _ in L.nodes.values()]
    mid = float(np.median(ys)) if ys else 0.0
    rows: dict[int, list[tuple[str, list[str], list[float]]]] = {1: [], -1: []}
    for f in latent:
        items = indicators[f]
        if not items:
            continue
        side = 1 if L.nodes[f][1] > mid else -1
        L.side[f] = side
        if len(items) > COLLAPSE_ABOVE:
            name = f"{f}::items"
            L.collapsed[f] = items
            first, last = labels.get(items[0], items[0]), labels.get(items[-1], items[-1])
            text = f"{len(items)} items\n({first} \u2026 {last})"
            boxes = [(name, _box_width(text), text)]
        else:
            boxes = [(it, _box_width(labels.get(it, it)), labels.get(it, it)) for it in items]
        rows[side].append((f, [b[0] for b in boxes], [b[1] for b in boxes]))
        for name, w, text in boxes:
            L.size[name] = (w, _IND_H * (2 if "\n" in text else 1))
    gap = 0.06
    for side, groups in rows.items():
        # every group centred under its factor, then pushed apart left to right and back inside
        groups.sort(key=lambda g: L.nodes[g[0]][0])
        totals = [sum(w) + gap * (len(w) - 1) for _, _, w in groups]
        lefts = [L.nodes[f][0] - t / 2 for (f, _, _), t in zip(groups, totals)]
        for k in range(len(groups)):                         # left to right: no overlap, inside the left edge
            lefts[k] = max(lefts[k], _MARGIN, lefts[k - 1] + totals[k - 1] + 0.2 if k else _MARGIN)
        for k in reversed(range(len(groups))):               # right to left: inside the right edge
            bound = width - _MARGIN if k == len(groups) - 1 else lefts[k + 1] - 0.2
            lefts[k] = min(lefts[k], bound - totals[k])
        placed = [(f, n, w, left) for (f, n, w), left in zip(groups, lefts)]
        for f, names, widths, left in placed:
            x = left
            fy = L.nodes[f][1]
            for name, w in zip(names, widths):
                kind = "collapsed" if name.endswith("::items") else "indicator"
                L.nodes[name] = (x + w / 2, fy + side * _IND_OFFSET, kind)
                L.owner[name] = f
                x += w + gap
    tops = [y + L.size[n][1] / 2 for n, (_, y, _) in L.nodes.items()]
    bottoms = [y - L.size[n][1] / 2 for n, (_, y, _) in L.nodes.items()]
    L.ylim = (min(bottoms, default=0) - 0.18, max(tops, default=1) + 0.18)
    return L


def _edge_point(L: SemLayout, name: str, toward: tuple[float, float]) -> tuple[float, float]:
    """Where the line from ``name``'s centre towards ``toward`` leaves its ellipse or box."""
    x, y, kind = L.nodes[name]
    w, h = L.size[name]
    dx, dy = toward[0] - x, toward[1] - y
    if dx == 0 and dy == 0:
        return x, y
    if kind == "latent":
        t = 1 / np.sqrt((dx / (w / 2)) ** 2 + (dy / (h / 2)) ** 2)
    else:
        t = min(w / 2 / abs(dx) if dx else np.inf, h / 2 / abs(dy) if dy else np.inf)
    return x + t * dx, y + t * dy


def _covariances(p: pd.DataFrame) -> pd.DataFrame:
    """Free covariances between two different variables (drawn as curved two-headed arrows)."""
    return p[(p["op"] == "~~") & (p["lhs"] != p["rhs"]) & p["free"].astype(bool)]


def _arc(L: SemLayout, u: str, v: str, bulge: float = 0.22) -> tuple[tuple[float, float], tuple[float, float], float]:
    """End points and ``arc3`` curvature of a covariance arrow between ``u`` and ``v``: between
    two indicators of one row, from their outer edges bulging away from the factor; between
    variables of one column, from their sides bulging outwards (left in the first column,
    right otherwise); else between the facing edges, gently bent."""
    (xu, yu, ku), (xv, yv, kv) = L.nodes[u], L.nodes[v]
    if ku == kv == "indicator" and abs(yu - yv) < 1e-9:
        side = L.side[L.owner[u]]
        a = (xu, yu + side * L.size[u][1] / 2)
        b = (xv, yv + side * L.size[v][1] / 2)
        if a[0] > b[0]:
            a, b = b, a
        chord = max(b[0] - a[0], 1e-6)
        return a, b, -side * min(0.8, 2 * bulge / chord)
    if abs(xu - xv) < 1e-9:
        left = xu < PAGE_IN / 2
        s = -1 if left else 1
        a = (xu + s * L.size[u][0] / 2, yu)
        b = (xv + s * L.size[v][0] / 2, yv)
        if a[1] > b[1]:
            a, b = b, a
        chord = max(b[1] - a[1], 1e-6)
        return a, b, s * min(0.8, 2 * bulge / chord)
    a, b = _edge_point(L, u, (xv, yv)), _edge_point(L, v, (xu, yu))
    return a, b, 0.2


def _star(p: float) -> str:
    return "*" if np.isfinite(p) and p < 0.05 else ""


def _note(model_params: pd.DataFrame, L: SemLayout, labels: Mapping[str, str], skipped: int) -> str:
    bits = ["Standardised estimates (std.all) at the arrows; * p < .05; residual variances not drawn."]
    defined = model_params[model_params["op"] == ":="]
    if len(defined):
        eff = [f"{r.lhs} = {r.rhs}: {_num(r.est, 'b')}, 95% CI [{_num(r.ci_lo, 'b')}, {_num(r.ci_hi, 'b')}], "
               f"p {_num(r.p, 'p') if _num(r.p, 'p').startswith('<') else '= ' + _num(r.p, 'p')}"
               + (f", standardised {_num(r.std)}" if np.isfinite(r.std) else "")
               for r in defined.itertuples()]
        bits.append("Defined effects (unstandardised, delta-method CI): " + "; ".join(eff) + ".")
    for f, items in L.collapsed.items():
        bits.append(f"The {len(items)} indicators of {in_text(labels.get(f) or words(f))} are drawn as one box; its "
                    "arrow gives the range of their standardised loadings.")
    if skipped:
        bits.append(f"{skipped} residual covariance(s) among collapsed indicators not drawn.")
    return " ".join(bits)


def sem_diagram(parameters: pd.DataFrame, fit: pd.DataFrame, labels: Mapping[str, str] | None = None,
                model_labels: Mapping[str, str] | None = None,
                parameter_labels: Mapping[tuple[str, str, str, str], str] | None = None) -> Any:
    """Path diagram of every model of ``sem_parameters`` (one panel each), as ``semPaths(fit, "std")``.

    Factors are ellipses, observed variables boxes; loadings and regressions single-headed
    arrows with their standardised estimates (``std``) in a white box on the arrow (a
    labelled parameter reads ``a: .33``); free covariances between different variables
    (residual covariances, factor covariances) curved two-headed arrows labelled at their
    apex. The panel title gives n, χ² and fit; the note under it the defined effects (``:=``)
    with their intervals and which indicators were collapsed.

    Parameters
    ----------
    parameters, fit : DataFrame
        ``tables/sem_parameters.csv`` and ``tables/sem_fit.csv``.
    labels, model_labels : mapping, optional
        Variable/factor and model labels (:func:`attachstats.output.labels.figure_labels`);
        a factor without one is its name in words.
    parameter_labels : mapping, optional
        ``(model, lhs, op, rhs)`` -> the parameter's label in the model syntax.

    R equivalent: ``semPlot::semPaths(fit, what = "std", layout = "tree2", rotation = 2)``.
    """
    if parameters.empty:
        return NotDrawn("no structural equation model (sem_models) in this study")
    plt, pal = pyplot()
    from matplotlib.patches import Ellipse, FancyArrowPatch, Rectangle

    labels = dict(labels or {})
    plabels = parameter_labels or {}
    models = list(dict.fromkeys(parameters["model"]))
    W = PAGE_IN
    panels = []
    for model in models:
        p = parameters[(parameters["model"] == model) & (parameters["op"].isin(["=~", "~", "~~", ":="]))]
        if "group" in p.columns and p["group"].notna().any():
            first = p["group"].dropna().iloc[0]
            p = p[(p["group"] == first) | (p["op"] == ":=")]
        L = sem_layout(p, labels, W)
        panels.append((model, p, L))
    title_h, line_h = 0.42, 0.135
    notes = {}
    for model, p, L in panels:
        cov = _covariances(p)
        skipped = int(sum(1 for r in cov.itertuples() if r.lhs not in L.nodes or r.rhs not in L.nodes))
        notes[model] = textwrap.fill(_note(p, L, labels, skipped), 112)
    heights = [(L.ylim[1] - L.ylim[0]) + title_h + line_h * (notes[m].count("\n") + 1) + 0.12
               for m, _, L in panels]
    H = sum(heights)
    fig = plt.figure(figsize=(W, H))
    top = H
    lab_box = {"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none"}
    for (model, p, L), h in zip(panels, heights):
        note_h = line_h * (notes[model].count("\n") + 1) + 0.12
        body = L.ylim[1] - L.ylim[0]
        ax = fig.add_axes((0, (top - title_h - body) / H, 1, body / H))
        ax.set_xlim(0, W)
        ax.set_ylim(*L.ylim)
        ax.set_axis_off()
        name = (model_labels or {}).get(model) or words(model)
        f = fit[fit["model"] == model]
        head = name
        if len(f):
            r = f.iloc[0]
            head += (f" ({r['estimator']}, n = {int(r['n']):,}; \u03c7\u00b2({int(r['df'])}) = "
                     f"{_num(r['chi2'], 'chi2')}, CFI = {_num(r['cfi'], 'cfi')}, RMSEA = {_num(r['rmsea'], 'rmsea')})")
        fig.text(0.5, (top - title_h / 2) / H, textwrap.fill(head, 100), ha="center", va="center", fontsize=8)
        fig.text(0.01, (top - title_h - body - note_h / 2) / H, notes[model], ha="left", va="center",
                 fontsize=MIN_PT)
        top -= h
        colour = {f: pal[j % len(pal)] for j, f in enumerate(n for n, v in L.nodes.items() if v[2] == "latent")}
        for n, (x, y, kind) in L.nodes.items():
            w, hh = L.size[n]
            if kind == "latent":
                ax.add_patch(Ellipse((x, y), w, hh, fc="white", ec=colour[n], lw=1.0, zorder=3))
                text = textwrap.fill(labels.get(n) or words(n), 18)
            else:
                ax.add_patch(Rectangle((x - w / 2, y - hh / 2), w, hh, fc="white", ec="black", lw=0.6, zorder=3))
                if kind == "collapsed":
                    items = L.collapsed[n[:-len("::items")]]
                    text = (f"{len(items)} items\n({labels.get(items[0], items[0])} \u2026 "
                            f"{labels.get(items[-1], items[-1])})")
                elif kind == "observed":
                    text = textwrap.fill(labels.get(n) or words(n), 20)
                else:
                    text = labels.get(n, n)
            ax.text(x, y, text, ha="center", va="center", fontsize=MIN_PT, zorder=4, multialignment="center")

        def arrow(a: str, b: str, value: str, t: float, col: Any, lw: float = 0.7) -> None:
            xa, ya, _ = L.nodes[a]
            xb, yb, _ = L.nodes[b]
            p0, p1 = _edge_point(L, a, (xb, yb)), _edge_point(L, b, (xa, ya))
            ax.add_patch(FancyArrowPatch(p0, p1, arrowstyle="-|>", mutation_scale=7, lw=lw, color=col,
                                         shrinkA=0, shrinkB=0, zorder=1))
            lx, ly = p1[0] + (p0[0] - p1[0]) * t, p1[1] + (p0[1] - p1[1]) * t
            ax.text(lx, ly, value, fontsize=MIN_PT, ha="center", va="center", bbox=lab_box, zorder=2)

        def tag(r: Any) -> str:
            lab = plabels.get((model, r.lhs, r.op, r.rhs), "")
            return f"{lab}: " if lab else ""

        load = p[p["op"] == "=~"]
        for f, items in L.collapsed.items():
            sub = load[(load["lhs"] == f) & load["rhs"].isin(items)]
            lo, hi = float(sub["std"].min()), float(sub["std"].max())
            arrow(f, f"{f}::items", f"\u03bb {_num(lo)} to {_num(hi)}", 0.4, colour[f])
        for r in load.itertuples():
            if r.rhs in L.nodes and L.nodes[r.rhs][2] != "collapsed":
                arrow(r.lhs, r.rhs, f"{tag(r)}{_num(r.std)}{_star(r.p)}",
                      0.35 if L.nodes[r.rhs][2] == "indicator" else 0.5, colour.get(r.lhs, "black"))
        for r in p[p["op"] == "~"].itertuples():
            if r.rhs in L.nodes and r.lhs in L.nodes:
                arrow(r.rhs, r.lhs, f"{tag(r)}{_num(r.std)}{_star(r.p)}", 0.5, "black", lw=0.9)
        for r in _covariances(p).itertuples():
            if r.lhs not in L.nodes or r.rhs not in L.nodes:
                continue                                     # among collapsed indicators: said in the note
            a, b, rad = _arc(L, r.lhs, r.rhs)
            ax.add_patch(FancyArrowPatch(a, b, arrowstyle="<|-|>", mutation_scale=6, lw=0.6, color="grey",
                                         connectionstyle=f"arc3,rad={rad}", zorder=1))
            # apex of the quadratic Bezier: midpoint + rad/2 times the chord turned by -90 degrees
            mx, my = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
            cx, cy = b[0] - a[0], b[1] - a[1]
            ax.text(mx + rad / 2 * cy, my - rad / 2 * cx, f"{tag(r)}{_num(r.std)}{_star(r.p)}", fontsize=MIN_PT,
                    ha="center", va="center", bbox=lab_box, zorder=2)
    return fig
