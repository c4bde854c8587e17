"""Figures: vector output stays small however many points a scatter has; a figure without its
analysis is not drawn (see test_figures_review.py for the reviewer's checks)."""

import numpy as np
import pandas as pd


def test_large_scatters_are_rasterised_in_the_pdf(tmp_path):
    from attachstats.output.figures.common import save_png
    from attachstats.output.figures.data import dimensions_scatter

    rng = np.random.default_rng(2)
    sizes = {}
    for n in (200, 50_000):
        scores = pd.DataFrame({"x": rng.normal(4, 1, n), "y": rng.normal(4, 1, n)})
        save_png(dimensions_scatter(scores, "x", "y", midpoint=4.0), tmp_path / f"{n}.png", pdf=tmp_path / f"{n}.pdf")
        pdf = (tmp_path / f"{n}.pdf").read_bytes()
        sizes[n] = len(pdf)
        assert (b"/Subtype /Image" in pdf) == (n > 5_000)
    assert sizes[50_000] < 2_000_000       # one embedded image, not 50,000 vector markers


def test_every_figure_without_its_analysis_is_not_drawn():
    from attachstats.output.figures import data, factor, models, summary
    from attachstats.output.figures.common import NotDrawn

    empty = pd.DataFrame()
    figs = {"coefficients": models.coefficient_plot(pd.DataFrame({"term": []}), {}),
            "interaction": models.interaction_plot(empty, empty, empty, empty),
            "mediation": models.mediation_diagram(empty),
            "partial_regression": models.partial_regression_plot({}, empty, "x"),
            "scree": factor.scree_figure(empty, empty),
            "efa_loadings": factor.loading_heatmap(empty, 0.3),
            "correlation_heatmap": data.correlation_heatmap(pd.DataFrame({"var1": [], "var2": []})),
            "forest": summary.forest_plot(empty, empty)}
    for name, fig in figs.items():
        assert isinstance(fig, NotDrawn) and fig.reason.startswith(("no ", "fewer ")), name


def test_continuous_items_are_drawn_as_box_plots_on_their_range(tmp_path):
    from attachstats.output.figures.common import save_png
    from attachstats.output.figures.data import item_distributions

    rng = np.random.default_rng(3)
    keyed = pd.DataFrame({f"s_{i}": rng.uniform(0, 0.5, 80) for i in range(1, 5)})
    keyed.iloc[0, 0] = np.nan
    fig = item_distributions(keyed, 0, 0.5, "slider (0-0.5)", continuous=True)
    (ax,) = fig.axes
    assert ax.get_xlim() == (0.0, 0.5)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(keyed.columns)
    save_png(fig, tmp_path / "items.png")
    assert (tmp_path / "items.png").stat().st_size > 1000
