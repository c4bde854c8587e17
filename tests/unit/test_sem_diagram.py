"""The SEM path diagram (figures/sem_diagram.png): layout, labels at their arrows, collapsed
indicators, printed text sizes, the defined effects in the note, and the figures step wiring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attachstats.output.figures.common import MIN_PT, NotDrawn, text_sizes, texts_outside
from attachstats.output.figures.sem import COLLAPSE_ABOVE, sem_diagram, sem_layout
from attachstats.output.numbers import format_value
from attachstats.stats.latent.api import pipeline_tables, sem
from attachstats.steps.report import sem_parameter_labels, study_model_labels

SYNTAX = ("x =~ " + " + ".join(f"x{j}" for j in range(1, 13)) + "\n"
          "m =~ m1 + m2 + m3 + m4\n"
          "y =~ y1 + y2 + y3\n"
          "m ~ a*x\ny ~ b*m + c*x\nm1 ~~ m2\nind := a*b")


@pytest.fixture(scope="module")
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(7)
    n = 500
    x = rng.normal(size=n)
    m = 0.5 * x + rng.normal(size=n)
    y = 0.4 * m + 0.2 * x + rng.normal(size=n)
    cols = {}
    for name, f, k in [("x", x, 12), ("m", m, 4), ("y", y, 3)]:
        for j in range(1, k + 1):
            cols[f"{name}{j}"] = 0.8 * f + rng.normal(scale=0.7, size=n)
    res = sem(SYNTAX, pd.DataFrame(cols), name="med")
    row, par = pipeline_tables(res, "med")
    return par, pd.DataFrame([row])


def _texts(fig) -> dict[str, list]:
    out: dict[str, list] = {}
    for ax in fig.axes:
        for t in ax.texts:
            out.setdefault(t.get_text(), []).append(t)
    return out


def _std(v: float) -> str:
    return format_value(float(v), "std").replace("-", "\u2212")


def test_layout_puts_causes_left_and_lifts_the_mediator(tables) -> None:
    par, _ = tables
    L = sem_layout(par)
    (xx, yx, kx), (xm, ym, _), (xy, yy, _) = L.nodes["x"], L.nodes["m"], L.nodes["y"]
    assert kx == "latent" and xx < xm < xy
    assert ym > yx == yy                                      # a·b above the line of c
    assert L.collapsed == {"x": [f"x{j}" for j in range(1, 13)]} and len(L.collapsed["x"]) > COLLAPSE_ABOVE
    assert "x1" not in L.nodes and L.nodes["x::items"][2] == "collapsed"
    assert L.side["m"] == 1 and L.side["y"] == -1             # the raised factor's items above it
    boxes = sorted((L.nodes[n][0] - L.size[n][0] / 2, L.nodes[n][0] + L.size[n][0] / 2)
                   for n, v in L.nodes.items() if v[2] in ("indicator", "collapsed") and L.owner.get(n) != "m")
    assert all(a[1] <= b[0] for a, b in zip(boxes, boxes[1:]))   # one row, no overlapping boxes


def test_estimates_sit_on_their_arrows_and_text_is_printable(tables) -> None:
    par, fit = tables
    labels = {("med", "m", "~", "x"): "a", ("med", "y", "~", "m"): "b", ("med", "y", "~", "x"): "c"}
    fig = sem_diagram(par, fit, parameter_labels=labels)
    assert min(s for _, s in text_sizes(fig)) >= MIN_PT
    assert texts_outside(fig) == []
    L = sem_layout(par[par["model"] == "med"])
    texts = _texts(fig)
    reg = par[par["op"] == "~"]
    for r in reg.itertuples():
        lab = labels[("med", r.lhs, "~", r.rhs)]
        want = f"{lab}: {_std(r.std)}" + ("*" if r.p < 0.05 else "")
        assert want in texts, want
        px, py = texts[want][0].get_position()
        (ax_, ay, _), (bx, by, _) = L.nodes[r.rhs], L.nodes[r.lhs]
        d = abs((bx - ax_) * (ay - py) - (ax_ - px) * (by - ay)) / np.hypot(bx - ax_, by - ay)
        assert d < 1e-6 and min(ax_, bx) < px < max(ax_, bx)    # on the line between the two factors
    for r in par[(par["op"] == "=~") & par["lhs"].isin(["m", "y"])].itertuples():
        assert any(t.startswith(_std(r.std)) for t in texts), r.rhs
    lo = par[(par["op"] == "=~") & (par["lhs"] == "x")]["std"]
    assert f"\u03bb {_std(lo.min())} to {_std(lo.max())}" in texts
    assert "12 items\n(x1 \u2026 x12)" in texts
    cov = par[(par["lhs"] == "m1") & (par["rhs"] == "m2")].iloc[0]
    assert any(t.startswith(_std(cov["std"])) for t in texts)   # the residual covariance is drawn
    arcs = [p for ax in fig.axes for p in ax.patches
            if type(getattr(p, "get_connectionstyle", lambda: None)()).__name__ == "Arc3"
            and p.get_connectionstyle().rad != 0]
    assert len(arcs) == 1                                      # m1 ~~ m2, curved
    note = " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
    ind = par[par["op"] == ":="].iloc[0]
    assert "ind = a*b: " + format_value(float(ind["est"]), "b") in note
    assert "12 indicators of x are drawn as one box" in note
    assert "n = 500" in note or "n = 500" in " ".join(t.get_text() for t in fig.texts)


def test_a_36_item_two_factor_model_stays_on_the_page() -> None:
    rng = np.random.default_rng(3)
    n = 400
    f = rng.normal(size=(n, 2))
    cols = {f"i{j}": 0.7 * f[:, 0 if j <= 18 else 1] + rng.normal(scale=0.7, size=n) for j in range(1, 37)}
    cols["out"] = f @ [0.3, 0.1] + rng.normal(size=n)
    syntax = ("anx =~ " + " + ".join(f"i{j}" for j in range(1, 19)) + "\navo =~ "
              + " + ".join(f"i{j}" for j in range(19, 37)) + "\nout ~ anx + avo")
    row, par = pipeline_tables(sem(syntax, pd.DataFrame(cols), name="big"), "big")
    fig = sem_diagram(par, pd.DataFrame([row]))
    w, h = fig.get_size_inches()
    assert w == 7.0 and h < 6
    assert texts_outside(fig) == [] and min(s for _, s in text_sizes(fig)) >= MIN_PT
    assert sum("18 items" in t for t in _texts(fig)) == 2


def test_no_model_no_diagram() -> None:
    assert isinstance(sem_diagram(pd.DataFrame(columns=["model", "lhs", "op", "rhs"]), pd.DataFrame()), NotDrawn)


def test_figures_step_reads_the_syntax_labels_and_model_labels() -> None:
    study = {"name": "s", "instruments": {"ecr": {"instrument": "ecr-r"}}, "sem_models": [
        {"name": "med", "label": "Latent mediation", "syntax": SYNTAX},
        {"name": "p", "instrument": "ecr", "outcomes": ["y"]}]}
    labels = sem_parameter_labels(study)
    assert labels == {("med", "m", "~", "x"): "a", ("med", "y", "~", "m"): "b", ("med", "y", "~", "x"): "c"}
    assert study_model_labels(study)["med"] == "Latent mediation"


def test_a_preset_sems_factors_take_their_subscale_labels_without_a_factor_analysis() -> None:
    from attachstats.output.labels import figure_labels

    lab = figure_labels({"name": "s", "instruments": {"ecr": {"instrument": "ecr-r", "columns": "ECR_{n}"}},
                         "sem_models": [{"name": "p", "instrument": "ecr", "outcomes": ["y"]}]})
    assert lab["anxiety"] == "Attachment anxiety" and lab["avoidance"] == "Attachment avoidance"
