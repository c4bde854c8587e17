"""Figures as a journal's reviewer checks them: printed sizes, no text below 7 pt or cut off,
legends off the data, path-diagram labels on their arrows, interaction plots as
``interactions::interact_plot``, forest plots as ``metafor::forest``, no placeholders.

Every figure is drawn from small DataFrames (fast); the numbers behind the interaction lines
are checked against statsmodels, the forest weights against metafor (fixture made by
``tests/fixtures/meta/weights.R``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from attachstats.output.figures import data as data_figures
from attachstats.output.figures import factor as factor_figures
from attachstats.output.figures import models as model_figures
from attachstats.output.figures import summary as summary_figures
from attachstats.output.figures.common import (
    COLUMN_IN,
    MIN_PT,
    PAGE_IN,
    NotDrawn,
    drawn_figures,
    drawn_texts,
    save_all,
    save_png,
    text_sizes,
    texts_outside,
)
from attachstats.stats.meta import random_effects, random_effects_weights
from attachstats.stats.regression.prediction import interaction_lines

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RNG = np.random.default_rng(13)


# ---------------------------------------------------------------- small tables
def flow_table() -> pd.DataFrame:
    return pd.DataFrame({"stage": ["raw", "empty_rows", "duplicate_ids", "speeding", "mahalanobis", "analysed"],
                         "n_before": [500, 500, 500, 496, 480, 470], "n_excluded": [0, 0, 4, 16, 10, 0],
                         "n_after": [500, 500, 496, 480, 470, 470]})


def correlations_table(names: list[str]) -> pd.DataFrame:
    rows = [{"var1": a, "var2": b, "r": float(RNG.uniform(-0.6, 0.6))}
            for i, a in enumerate(names) for b in names[i + 1:]]
    return pd.DataFrame(rows)


def cfa_tables(n_items: int = 12, method: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    half = n_items // 2
    rows = []
    for k in range(1, n_items + 1):
        f = "anxiety" if k <= half else "avoidance"
        std = float(RNG.uniform(0.4, 0.85))
        rows.append({"model": "two_factor", "factor": f, "item": f"ecr_{k}", "est": 1.0, "se": 0.1, "std": std,
                     "std_ci_lo": std - 0.05, "std_ci_hi": std + 0.05})
    if method:
        for k in (2, 5, 9):
            rows.append({"model": "two_factor", "factor": "method", "item": f"ecr_{k}", "est": 0.5, "se": 0.1,
                         "std": 0.3, "std_ci_lo": 0.25, "std_ci_hi": 0.35})
    cors = [{"model": "two_factor", "factor1": "anxiety", "factor2": "avoidance", "est": 0.29, "se": 0.03,
             "ci_lo": 0.23, "ci_hi": 0.35}]
    if method:
        cors.append({"model": "two_factor", "factor1": "anxiety", "factor2": "method", "est": 0.0, "se": 0.0,
                     "ci_lo": 0.0, "ci_hi": 0.0})
    return pd.DataFrame(rows), pd.DataFrame(cors)


def probe_tables(focal_binary: bool = True, moderator_binary: bool = False) -> dict[str, pd.DataFrame]:
    """A fitted interaction y = 1 + 0.5x + 0.3w + 0.4xw + 0.2z + e with HC3-like covariance."""
    n = 120
    x = RNG.integers(0, 2, n).astype(float) if focal_binary else RNG.uniform(1, 7, n)
    w = RNG.integers(0, 2, n).astype(float) if moderator_binary else RNG.uniform(1, 7, n)
    z = RNG.normal(size=n)
    X = pd.DataFrame({"(Intercept)": 1.0, "x": x, "w": w, "z": z, "x:w": x * w})
    y = X.to_numpy() @ np.array([1.0, 0.5, 0.3, 0.2, 0.4]) + RNG.normal(size=n)
    import statsmodels.api as sm

    fit = sm.OLS(y, X).fit(cov_type="HC3")
    b, cov = fit.params, fit.cov_params()
    from attachstats.stats.regression.moderation import (
        johnson_neyman,
        simple_slopes,
        slope_curve,
    )

    args = (b, cov, "x", "w", "x:w", int(fit.df_resid))
    lines = interaction_lines(b, cov, X, "x", "w", "x:w", int(fit.df_resid), model="m", outcome="y")
    return {"lines": lines, "fit": fit, "X": X,
            "simple_slopes": simple_slopes(*args, design=X, model="m", outcome="y"),
            "johnson_neyman": johnson_neyman(*args, values=w, model="m", outcome="y"),
            "slope_curve": slope_curve(*args, values=w, model="m", outcome="y")}


def regression_table() -> pd.DataFrame:
    rows = []
    for model, family in (("dep", "ols"), ("case", "logit"), ("mod", "ols")):
        terms = ["(Intercept)", "anx", "avo", "age", "gender[T.Male]"] + (["anx:loss", "loss"] if model == "mod" else [])
        for t in terms:
            b = float(RNG.normal(0.3, 0.2))
            rows.append({"model": model, "outcome": "phq", "family": family, "term": t, "b": b, "se": 0.05,
                         "ci_lo": b - 0.1, "ci_hi": b + 0.1, "beta": b / 2, "p": 0.01,
                         "exp_b": np.exp(b) if family != "ols" else np.nan,
                         "exp_ci_lo": np.exp(b - 0.1) if family != "ols" else np.nan,
                         "exp_ci_hi": np.exp(b + 0.1) if family != "ols" else np.nan})
    return pd.DataFrame(rows)


def forest_tables(k: int = 3, effects: int = 3) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, pooled = [], []
    for e in range(effects):
        b = RNG.normal(0.5, 0.2, k)
        se = RNG.uniform(0.05, 0.2, k)
        res = random_effects(b, se)
        for s in range(k):
            rows.append({"study": f"study{s + 1}", "model": "dep", "outcome": "phq", "term": f"x{e}", "b": b[s],
                         "se": se[s], "ci_lo": b[s] - 1.96 * se[s], "ci_hi": b[s] + 1.96 * se[s]})
        pooled.append({"model": "dep", "outcome": "phq", "term": f"x{e}", **res.as_dict()})
    rows = pd.DataFrame(rows)
    pooled = pd.DataFrame(pooled)
    parts = [rows[rows["term"] == r.term].assign(weight=random_effects_weights(rows.loc[rows["term"] == r.term, "se"],
                                                                               r.tau2)) for r in pooled.itertuples()]
    return pd.concat(parts, ignore_index=True), pooled


def all_figures(only: tuple[str, ...] | None = None) -> dict[str, object]:
    """Every figure from small tables (``only``: just these)."""
    lo, cors = cfa_tables()
    lo_m, cors_m = cfa_tables(method=True)
    p = probe_tables()
    pc = probe_tables(focal_binary=False, moderator_binary=True)
    scores = pd.DataFrame({"a": RNG.normal(4, 1, 300), "b": RNG.normal(3, 1, 300)})
    styles = pd.Series(RNG.choice(["secure", "preoccupied", "dismissing", "fearful"], 300))
    keyed = pd.DataFrame({f"ecr_{k}": RNG.integers(1, 8, 200) for k in range(1, 13)}).astype(float)
    parallel = pd.DataFrame({"factor": range(1, 13), "observed": np.linspace(5, -0.3, 12),
                             "simulated_mean": np.linspace(0.4, -0.3, 12), "simulated_quantile": np.linspace(0.45, -0.25, 12)})
    diag = pd.DataFrame([{"parallel_quantile": 0.95, "parallel_factors": 2, "parallel_iterations": 20}])
    efa = pd.DataFrame({"item": [f"ecr_{k}" for k in range(1, 13)], "MR1": RNG.uniform(-0.2, 0.8, 12),
                        "MR2": RNG.uniform(-0.2, 0.8, 12), "h2": 0.4})
    med = pd.DataFrame({"model": "med", "path": ["a", "b", "c", "c_prime", "indirect"], "x": "sasi_total",
                        "mediator": "ecr_anxiety", "outcome": "pdss_total",
                        "estimate": [0.041, 0.826, 0.135, 0.101, 0.034], "ci_lo": [0.03, 0.6, 0.1, 0.07, 0.025],
                        "ci_hi": [0.05, 1.0, 0.16, 0.13, 0.045], "p": [1e-20, 1e-19, 1e-18, 1e-12, np.nan],
                        "n_boot": [0, 0, 0, 0, 5000], "n": 1426})
    reg = regression_table()
    rows, pooled = forest_tables()
    power = pd.DataFrame({"model": "dep", "term": np.repeat(["anx", "avo"], 4), "n": np.tile([100, 200, 400, 800], 2),
                          "power": np.tile([0.3, 0.5, 0.8, 0.97], 2), "power_mcse": 0.01})
    pts = {"dep": pd.DataFrame({"x_resid": RNG.normal(size=50), "y_resid": RNG.normal(size=50)})}
    makers = {
        "flow": lambda: data_figures.flow_figure(flow_table()),
        "score_distributions": lambda: data_figures.score_distributions(scores, ["a", "b"]),
        "dimensions": lambda: data_figures.dimensions_scatter(scores, "a", "b", 4.0, styles, rule="midpoint"),
        "item_distributions": lambda: data_figures.item_distributions(keyed, 1, 7, "ECR-R"),
        "correlation_heatmap": lambda: data_figures.correlation_heatmap(correlations_table(list("abcdef"))),
        "cfa_loadings": lambda: factor_figures.loadings_figure(lo, "two_factor"),
        "scree": lambda: factor_figures.scree_figure(parallel, diag),
        "efa_loadings": lambda: factor_figures.loading_heatmap(efa, 0.3),
        "path_diagram": lambda: factor_figures.path_diagram(lo, cors, "two_factor"),
        "path_diagram_method": lambda: factor_figures.path_diagram(lo_m, cors_m, "two_factor"),
        "coefficients": lambda: model_figures.coefficient_plot(reg, {"dep": ["anx", "avo"], "case": ["anx", "avo"],
                                                             "mod": ["anx:loss"]}),
        "interaction": lambda: model_figures.interaction_plot(p["lines"], p["slope_curve"], p["johnson_neyman"],
                                                      p["simple_slopes"]),
        "interaction_continuous": lambda: model_figures.interaction_plot(pc["lines"], pc["slope_curve"], pc["johnson_neyman"],
                                                                 pc["simple_slopes"]),
        "mediation": lambda: model_figures.mediation_diagram(med),
        "partial_regression": lambda: model_figures.partial_regression_plot(pts, reg.assign(term="anx"), "anx"),
        "forest": lambda: summary_figures.forest_plot(rows, pooled),
        "power_curve": lambda: summary_figures.power_curve(power),
    }
    return {k: v() for k, v in makers.items() if only is None or k in only}


@pytest.fixture(scope="module")
def figures():
    figs = all_figures()
    yield figs
    import matplotlib.pyplot as plt

    plt.close("all")


# ---------------------------------------------------------------- every figure
def test_figures_have_printed_widths_no_small_and_no_cut_off_text(figures):
    for name, fig in figures.items():
        assert not isinstance(fig, NotDrawn), name
        w, h = fig.get_size_inches()
        assert w in (COLUMN_IN, PAGE_IN), (name, w)
        assert 0.5 < h < 9.5, (name, h)
        sizes = text_sizes(fig)
        assert sizes, name
        small = [(t, s) for t, s in sizes if s < MIN_PT]
        assert not small, (name, small)
        assert texts_outside(fig) == [], name


def test_same_tables_give_byte_identical_files_at_the_printed_size(tmp_path):
    from PIL import Image

    global RNG
    files = []
    for run in range(2):
        RNG = np.random.default_rng(99)                 # the same tables in both runs
        figs = all_figures(("flow", "interaction", "forest"))
        for name in figs:
            size = figs[name].get_size_inches()
            png, pdf = tmp_path / f"{name}{run}.png", tmp_path / f"{name}{run}.pdf"
            save_png(figs[name], png, pdf=pdf)
            files.append((name, png.read_bytes(), pdf.read_bytes()))
            with Image.open(png) as im:
                assert abs(im.size[0] - size[0] * 300) < 1 and abs(im.size[1] - size[1] * 300) < 1
                assert "Software" not in im.info
        import matplotlib.pyplot as plt

        for f in figs.values():
            plt.close(f)
    half = len(files) // 2
    for (name, png0, pdf0), (_, png1, pdf1) in zip(files[:half], files[half:]):
        assert png0 == png1 and pdf0 == pdf1, name


def test_legends_do_not_cover_plotted_data(figures):
    """Every legend lies outside every axes' data area (so it cannot cover a point or line)."""
    checked = 0
    for name, fig in figures.items():
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        legends = [*fig.legends, *[ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]]
        for leg in legends:
            lb = leg.get_window_extent(r)
            for ax in fig.axes:
                if not ax.axison:
                    continue
                assert not lb.overlaps(ax.bbox), (name, leg.texts[0].get_text() if leg.texts else "")
                checked += 1
    assert checked >= 6


# ---------------------------------------------------------------- path diagram
def _segment_hits_box(p0, p1, box, pad: float = 0.0) -> bool:
    """Whether the segment p0-p1 passes through the rectangle ``box`` (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad
    ts = np.linspace(0, 1, 400)
    xs = p0[0] + (p1[0] - p0[0]) * ts
    ys = p0[1] + (p1[1] - p0[1]) * ts
    return bool(np.any((xs > x0) & (xs < x1) & (ys > y0) & (ys < y1)))


@pytest.mark.parametrize("method", [False, True])
def test_path_diagram_labels_sit_on_their_arrows_and_are_not_struck_through(method):
    from matplotlib.patches import FancyArrowPatch

    lo, cors = cfa_tables(n_items=18, method=method)
    fig = factor_figures.path_diagram(lo, cors, "two_factor")
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    ax = fig.axes[0]
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    loading_arrows = [a for a in arrows if a.get_arrowstyle().__class__.__name__ == "CurveFilledB"]
    assert len(loading_arrows) == len(lo)
    to_px = ax.transData.transform
    segs = [tuple(map(tuple, to_px(np.array(a._posA_posB)))) for a in loading_arrows]
    labels = [t for t in ax.texts if t.get_bbox_patch() is not None]
    loading_labels = labels[:len(lo)]
    boxes = [t.get_bbox_patch().get_window_extent(r) for t in loading_labels]
    for t, bb in zip(loading_labels, boxes):
        assert t.get_bbox_patch().get_facecolor()[:3] == (1.0, 1.0, 1.0)        # white background
        assert t.get_zorder() > loading_arrows[0].get_zorder()                  # drawn over the lines
    for i, bb in enumerate(boxes):                                               # no two labels overlap
        for bb2 in boxes[i + 1:]:
            assert not bb.overlaps(bb2)
    for i, (bb, seg) in enumerate(zip(boxes, segs)):
        own = _segment_hits_box(seg[0], seg[1], (bb.x0, bb.y0, bb.x1, bb.y1))
        assert own, i                                                             # on its own arrow
        for j, other in enumerate(segs):                                          # struck by no other
            if j != i:
                assert not _segment_hits_box(other[0], other[1], (bb.x0, bb.y0, bb.x1, bb.y1)), (i, j)
    texts = [t.get_text() for t in ax.texts]
    assert ".29" in texts                                                         # the free correlation
    curved = [a for a in arrows if "rad=" in str(a.get_connectionstyle().__dict__) or
              getattr(a.get_connectionstyle(), "rad", 0) != 0]
    assert len(curved) == 1                                                       # fixed-0 covariance not drawn
    if method:
        assert fig.get_size_inches()[0] == PAGE_IN


def test_path_layout_label_spacing_exceeds_label_height():
    lo, _ = cfa_tables(n_items=36)
    L = factor_figures.path_layout(lo)
    ys = sorted(y for _, y in L["items"].values())
    step = ys[1] - ys[0]
    assert step * (1 - L["t"]) > 7 / 72 * 1.2           # a 7-pt label with its box fits between arrows
    assert L["height"] < 9.0


# ---------------------------------------------------------------- interaction
def test_interaction_lines_match_statsmodels_predictions():
    p = probe_tables(focal_binary=False)
    fit, X, lines = p["fit"], p["X"], p["lines"]
    assert list(dict.fromkeys(lines["level"])) == ["-1 SD", "mean", "+1 SD"]
    assert lines["focal_value"].min() == pytest.approx(X["x"].min())
    assert lines["focal_value"].max() == pytest.approx(X["x"].max())
    means = X.mean()
    for row in lines.iloc[::17].itertuples():
        c = means.copy()
        c["x"], c["w"], c["x:w"] = row.focal_value, row.moderator_value, row.focal_value * row.moderator_value
        pred = fit.get_prediction(c.to_numpy()[None, :]).summary_frame(alpha=0.05)
        assert row.fitted == pytest.approx(pred["mean"].iloc[0], rel=1e-10)
        assert row.se == pytest.approx(pred["mean_se"].iloc[0], rel=1e-8)
        # statsmodels uses the normal quantile with a robust covariance; ours the t on df_resid
        from scipy import stats

        q = stats.t.ppf(0.975, fit.df_resid)
        assert row.ci_hi == pytest.approx(row.fitted + q * pred["mean_se"].iloc[0], rel=1e-8)


def test_binary_focal_lines_differ_by_the_simple_slopes():
    p = probe_tables(focal_binary=True)
    lines, slopes = p["lines"], p["simple_slopes"]
    assert sorted(lines["focal_value"].unique()) == [0.0, 1.0]
    for (lev, g), s in zip(lines.groupby("level", sort=False), slopes.itertuples()):
        g = g.sort_values("focal_value")
        assert g["fitted"].iloc[1] - g["fitted"].iloc[0] == pytest.approx(s.slope, rel=1e-10)
        assert g["fitted"].iloc[0] == pytest.approx(s.fitted_lo, rel=1e-10)


def test_interaction_plot_never_puts_a_binary_variable_on_a_continuous_axis(figures):
    fig = figures["interaction"]                       # binary focal, continuous moderator
    left, right = fig.axes[0], fig.axes[1]
    assert [t.get_text() for t in left.get_xticklabels()] == ["0", "1"]
    assert len(left.containers) == 3                   # points with 95% CI per moderator level
    leg = [t.get_text() for t in left.get_legend().get_texts()]
    assert leg[0].startswith("\u22121 SD") and leg[1].startswith("Mean") and leg[2].startswith("+1 SD")
    fig = figures["interaction_continuous"]            # continuous focal, binary moderator
    left = fig.axes[0]
    leg = [t.get_text() for t in left.get_legend().get_texts()]
    assert leg == ["w = 0", "w = 1"]                   # a line per level, not ±1 SD of a 0/1 variable
    bands = [c for c in left.collections if c.__class__.__name__ in ("PolyCollection", "FillBetweenPolyCollection")]
    assert len(bands) == 2                             # a 95% band per line
    right = fig.axes[1]                                # the slope at each moderator value, no J–N band
    assert [t.get_text() for t in right.get_xticklabels()] == ["0", "1"]
    assert not [c for c in right.collections if "Poly" in type(c).__name__]


def test_johnson_neyman_panel_is_clipped_to_the_observed_moderator_range():
    p = probe_tables()
    fig = model_figures.interaction_plot(p["lines"], p["slope_curve"], p["johnson_neyman"], p["simple_slopes"])
    ax = fig.axes[1]
    w = p["X"]["w"]
    assert ax.get_xlim() == pytest.approx((w.min(), w.max()))
    for c in ax.collections:
        for path in c.get_paths():
            xs = path.vertices[:, 0]
            assert xs.min() >= w.min() - 1e-9 and xs.max() <= w.max() + 1e-9


@pytest.mark.parametrize("row,text", [
    ({"region": "outside", "lower": 0.64, "upper": 2.36}, "for m above 2.36"),
    ({"region": "outside", "lower": 2.0, "upper": 5.0}, "for m below 2.00 or above 5.00"),
    ({"region": "outside", "lower": -3.0, "upper": 9.0}, "at no observed value"),
    ({"region": "outside", "lower": 8.0, "upper": 9.0}, "at every observed value"),
    ({"region": "inside", "lower": 0.0, "upper": 3.0}, "for m from 1.00 to 3.00"),
    ({"region": "inside", "lower": 8.0, "upper": 9.0}, "at no observed value"),
    ({"region": "everywhere", "lower": np.nan, "upper": np.nan}, "at every observed value"),
    ({"region": "nowhere", "lower": np.nan, "upper": np.nan}, "at no observed value"),
])
def test_johnson_neyman_region_is_stated_inside_the_observed_range(row, text):
    assert model_figures.jn_region_text({**row, "moderator_min": 1.0, "moderator_max": 7.0}, "m") == text


# ---------------------------------------------------------------- other figures
def test_coefficient_plot_shows_only_the_terms_asked_for(figures):
    labels = [t.get_text() for ax in figures["coefficients"].axes for t in ax.get_yticklabels()]
    assert labels and not any("age" in t or "Male" in t or t.endswith(": loss") for t in labels)
    assert any("anx:loss" in t or "anx × loss" in t for t in labels)
    assert figures["coefficients"].axes[1].get_xscale() == "log"


def test_correlation_heatmap_is_a_labelled_lower_triangle(figures):
    ax = figures["correlation_heatmap"].axes[0]
    values = [t.get_text() for t in ax.texts]
    assert len(values) == 15                                        # 6 variables: 6·5/2 cells
    assert [t.get_text() for t in ax.get_yticklabels()] == list("bcdef")
    assert [t.get_text() for t in ax.get_xticklabels()] == list("abcde")
    img = ax.images[0].get_array()
    assert np.ma.getmaskarray(img)[np.triu_indices(5, 1)].all()    # upper triangle empty
    assert all(v.startswith(("\u2212.", ".")) for v in values)           # true minus, no leading zero


def test_forest_plot_shows_weights_pool_and_heterogeneity(figures):
    rows, pooled = forest_tables(k=3, effects=1)
    fig = summary_figures.forest_plot(rows, pooled)
    texts = [t.get_text() for t in drawn_texts(fig)]
    assert "Weight" in texts and "100%" in texts and "RE model" in texts
    for w in rows["weight"]:
        assert f"{w:.1f}%" in texts
    r = pooled.iloc[0]
    het = next(t for t in texts if t.startswith("\u03c4\u00b2"))
    assert f"I\u00b2 = {r.i2:.0f}%" in het and f"Q(2) = {r.q:.2f}" in het and "p " in het
    assert fig.get_size_inches()[0] == COLUMN_IN
    short = summary_figures.forest_height([2] * 10)
    long = summary_figures.forest_height([20] * 10)
    assert short < 9 and long > short and summary_figures.forest_height([2, 2]) < 1.8


def test_a_forest_plot_of_many_effects_stays_one_page_and_says_what_is_left_out():
    rows, pooled = forest_tables(k=6, effects=14)
    fig = summary_figures.forest_plot(rows, pooled)
    assert fig.get_size_inches()[1] <= summary_figures.MAX_FOREST_IN + 0.01
    notes = [t for t in drawn_texts(fig) if "more pooled effect" in t.get_text()]
    assert len(notes) == 1 and texts_outside(fig) == []
    shown = int(notes[0].get_text().split()[0])
    assert 0 < shown < 14
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_random_effects_weights_match_metafor():
    ref = pd.read_csv(FIXTURES / "meta" / "weights.csv")
    for case, g in ref.groupby("case", sort=False):
        res = random_effects(g["yi"], g["sei"])
        assert res.tau2 == pytest.approx(g["tau2"].iloc[0], abs=1e-6)
        assert random_effects_weights(g["sei"], res.tau2) == pytest.approx(g["weight"].to_numpy(), abs=1e-3)


def test_flow_is_consort_style_with_plain_reasons(figures):
    texts = " ".join(t.get_text() for t in figures["flow"].axes[0].texts)
    flat = " ".join(texts.split())               # the reasons wrap inside their box
    assert "Assessed\n(n = 500)" in texts and "Analysed\n(n = 470)" in texts
    assert "Excluded (n = 30)" in texts and "Duplicate respondent IDs (n = 4)" in texts
    assert "Speeding (too few seconds per item) (n = 16)" in flat and "Empty rows" not in texts    # zero stages left out
    assert "_" not in texts


# ---------------------------------------------------------------- not drawn, manifest, report
def test_a_figure_without_its_analysis_is_not_drawn_and_the_report_leaves_it_out(tmp_path):
    empty = pd.DataFrame()
    nots = [model_figures.coefficient_plot(pd.DataFrame({"term": []}), {}),
            model_figures.interaction_plot(empty, empty, empty, empty),
            model_figures.mediation_diagram(empty),
            model_figures.partial_regression_plot({}, empty, "x"),
            factor_figures.scree_figure(empty, empty),
            factor_figures.loading_heatmap(empty, 0.3),
            factor_figures.path_diagram(cfa_tables()[0], cfa_tables()[1], ""),
            data_figures.correlation_heatmap(pd.DataFrame({"var1": [], "var2": []})),
            summary_figures.forest_plot(empty, empty)]
    assert all(isinstance(n, NotDrawn) and n.reason for n in nots)
    assert "''" not in " ".join(n.reason for n in nots)
    out = {"flow": str(tmp_path / "flow.png"), "flow_pdf": str(tmp_path / "flow.pdf"),
           "mediation": str(tmp_path / "mediation.png"), "mediation_pdf": str(tmp_path / "mediation.pdf")}
    save_all({"flow": data_figures.flow_figure(flow_table()), "mediation": nots[2]}, out, tmp_path / "m.csv")
    manifest = pd.read_csv(tmp_path / "m.csv")
    assert manifest.set_index("figure")["drawn"].to_dict() == {"flow": True, "mediation": False}
    assert drawn_figures([tmp_path / "m.csv"]) == {"flow"}
    from attachstats.output.report.manuscript import Figure, build_manuscript
    from attachstats.output.report.manuscript_html import _figure, png_size

    html = _figure(Figure("flow", 1, out["flow"], "Participant flow."))
    assert 'style="width: 3.50in"' in html
    w, _, dpi = png_size(out["flow"])
    assert w / dpi == pytest.approx(COLUMN_IN, abs=0.01)
    # the manuscript places a drawn figure and leaves out one that was not drawn (no file, no placeholder)
    drawn = {name: out[name] for name in drawn_figures([tmp_path / "m.csv"])}
    ms = build_manuscript({"name": "s", "instruments": {}}, {"flow": flow_table()}, drawn, {"packages": {}, "seed": 1})
    assert [f.key for f in ms.figures] == ["flow"]


# ---------------------------------------------------------------- the figures step
def small_study() -> tuple[dict, pd.DataFrame]:
    rng = np.random.default_rng(5)
    n = 200
    scores = pd.DataFrame({"id": [f"r{i}" for i in range(n)], "x": rng.uniform(1, 7, n),
                           "w": rng.integers(0, 2, n).astype(float), "age": rng.uniform(18, 70, n),
                           "gender": rng.choice(["Female", "Male"], n)})
    scores["y"] = 1 + 0.5 * scores["x"] + 0.3 * scores["w"] + 0.4 * scores["x"] * scores["w"] + rng.normal(size=n)
    study = {"name": "s", "instruments": {},
             "variables": {"age": {"column": "Age", "type": "numeric"},
                           "gender": {"column": "Gender", "type": "categorical", "reference": "Female"},
                           "w": {"column": "W", "type": "numeric", "label": "Recent loss"}},
             "outcome_models": [
                 {"name": "plain", "outcome": "y", "predictors": ["x"], "covariates": ["age", "gender"]},
                 {"name": "moderated", "outcome": "y", "predictors": ["x", "w"], "covariates": ["age"],
                  "interactions": [["x", "w"]], "probe": {"focal": "x", "moderator": "w"}}]}
    return study, scores


def test_the_coefficient_figure_shows_predictors_and_interactions_only():
    from attachstats.steps.report import coefficient_terms

    study, scores = small_study()
    terms = coefficient_terms(scores, study)
    assert terms["plain"] == ["x"]
    assert len(terms["moderated"]) == 1 and set(terms["moderated"][0].split(":")) == {"x", "w"}


def test_interaction_lines_of_the_step_match_the_regress_rules_simple_slopes():
    from attachstats.data.variables import with_reference_levels
    from attachstats.spec.models import outcome_specs
    from attachstats.stats.regression.outcomes import fit_outcome_models
    from attachstats.steps.report import study_interaction_lines

    study, scores = small_study()
    lines = study_interaction_lines(scores, study)
    tables = fit_outcome_models(with_reference_levels(scores, study), outcome_specs(study), seed=1)
    assert set(lines["model"]) == {"moderated"}
    assert list(dict.fromkeys(lines["level"])) == ["w = 0", "w = 1"]          # binary moderator: its levels
    assert lines["focal_value"].min() == pytest.approx(scores["x"].min())
    assert lines["focal_value"].max() == pytest.approx(scores["x"].max())
    coef = tables["regressions"].set_index(["model", "term"])["b"]
    inter = next(t for (m, t) in coef.index if m == "moderated" and ":" in t)
    for w, g in lines.groupby("moderator_value"):
        slope = np.polyfit(g["focal_value"], g["fitted"], 1)[0]
        assert slope == pytest.approx(coef["moderated", "x"] + coef["moderated", inter] * w, rel=1e-9)


def test_labels_for_figures():
    from attachstats.output.labels import figure_labels, stage_label, study_labels, term_text
    from attachstats.steps.summary import predictors_first

    study, _ = small_study()
    study["instruments"] = {"ecr": {"instrument": "ecr-r", "columns": "ECR_{n}"}}
    labels = figure_labels(study)
    # the tables' labels (one source), with items short enough for a box in a path diagram
    assert labels["ecr_anxiety"] == study_labels(study).variable("ecr_anxiety") == "Attachment anxiety"
    assert labels["ecr_7"] == "ECR-R 7"
    assert labels["w"] == "Recent loss" and labels["age"] == "Age"
    assert term_text("gender[T.Male]", labels) == "Gender: Male"
    assert term_text("ecr_anxiety:w", labels) == "Attachment anxiety × Recent loss"
    assert stage_label("speeding") == "Speeding (too few seconds per item)" and stage_label("odd_stage") == "Odd stage"
    m = pd.DataFrame({"model": ["d", "d", "d"], "term": ["age", "gender[T.M]", "anx:w"]})
    assert predictors_first(m, [["d", "anx"], ["d", "gender"]])["term"].tolist() == ["gender[T.M]", "anx:w", "age"]


def test_forest_rows_carry_the_weights_and_a_single_study_has_none():
    from attachstats.steps.summary import forest_rows

    rows, pooled = forest_tables(k=3, effects=2)
    coef = rows.drop(columns="weight")
    got = forest_rows(coef, pooled)
    assert got.groupby("term")["weight"].sum().round(9).tolist() == [100.0, 100.0]
    assert np.allclose(got["weight"], rows["weight"])
    empty = forest_rows(coef, pooled.iloc[:0])
    assert empty.empty and "weight" in empty
    assert isinstance(summary_figures.forest_plot(empty, pooled.iloc[:0]), NotDrawn)
