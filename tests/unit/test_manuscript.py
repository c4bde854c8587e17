"""The manuscript (issue 13, items 3 and 4): content, guardrails and the reader's checks.

Built from the result tables of the two shipped studies (tests/fixtures/report), without
running the workflow: what the text says, that every number comes from a table, that tables
and figures are numbered in the order the text refers to them, that no machine name or
``p = 0`` reaches the text, and that the reporting guardrails hold.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from attachstats.output.report.guardrails import judge_fit, unstable_interval
from attachstats.output.report.manuscript import Bullets, Figure, Paragraph, Section, Table, build_manuscript
from attachstats.output.report.references import WORKS, Citations, instrument_work

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "report"


def load(study: str) -> tuple[dict, dict, dict]:
    folder = FIX / study
    prov = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    tables = {p.stem: pd.read_csv(p) for p in folder.glob("*.csv")}
    return dict(prov["config"]), tables, prov


def tiny_png(path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2), dpi=100)
    ax.plot([0, 1], [0, 1])
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


@pytest.fixture(scope="module")
def figures(tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("figs")
    return {name: str(tiny_png(d / f"{name}.png")) for name in ("flow", "path_diagram", "scree", "interaction",
                                                                 "mediation", "coefficients", "dimensions",
                                                                 "score_distributions")}


@pytest.fixture(scope="module")
def example(figures):
    study, tables, prov = load("example")
    return build_manuscript(study, tables, figures, prov), tables, study


@pytest.fixture(scope="module")
def ecr_open(figures):
    study, tables, prov = load("ecr-open")
    return build_manuscript(study, tables, figures, prov), tables, study


def texts(ms) -> list[str]:
    """Every sentence a reader sees outside the appendix: paragraphs, bullets, captions, table cells."""
    out = []

    def walk(s: Section) -> None:
        out.append(s.title)
        for b in s.blocks:
            if isinstance(b, Section):
                walk(b)
            elif isinstance(b, Paragraph):
                out.append(b.text)
            elif isinstance(b, Bullets):
                out.extend(b.items)
            elif isinstance(b, Figure):
                out.append(b.caption)
            elif isinstance(b, Table):
                out.extend([b.model.title, b.model.note, *b.model.columns, *(c for r in b.model.rows for c in r)])

    for s in ms.sections:
        walk(s)
    return out


def body(ms) -> str:
    return "\n".join(texts(ms))


def paragraphs(ms) -> str:
    return "\n".join(t for t in texts(ms))


def machine_names(tables: dict, study: dict) -> set[str]:
    names = set(tables["descriptives"]["variable"]) | set(tables["cfa_fit"]["model"])
    reg = tables.get("regressions", pd.DataFrame())
    if len(reg):
        names |= set(reg["model"]) | {t for t in reg["term"] if t != "(Intercept)"}
    for key in ("mediation", "sem_fit"):
        if len(tables.get(key, [])):
            names |= set(tables[key]["model"])
    names |= set(tables["efa_loadings"]["item"])
    names |= {"c_prime", "exp_b", "sr2", "MR1", "MR2", "two_factor_method"}
    return {n for n in names if "_" in n or "[" in n or ":" in n or re.fullmatch(r"MR\d", n)}


@pytest.mark.parametrize("which", ["example", "ecr_open"])
def test_no_machine_name_and_no_p_zero_in_the_text(which, request):
    ms, tables, study = request.getfixturevalue(which)
    text = body(ms)
    found = sorted(n for n in machine_names(tables, study) if re.search(rf"(?<![\w.]){re.escape(n)}(?![\w])", text))
    assert not found, found
    assert not re.search(r"p = 0(?![.\d])|p = \.000|p = 0\.000", text)
    assert "nan" not in text.lower().split() and "NA" not in text.split()
    assert max(len(s) for p in texts(ms) for s in re.split(r"(?<=[.;])\s", p)) < 700   # no machine-list sentence


@pytest.mark.parametrize("which", ["example", "ecr_open"])
def test_tables_and_figures_are_numbered_in_order_and_all_referenced(which, request):
    ms, _, _ = request.getfixturevalue(which)
    prose = " ".join(b.text for s in ms._all_sections() for b in s.blocks if isinstance(b, Paragraph))
    for kind, items in (("Table", ms.tables), ("Figure", ms.figures)):
        assert [t.number for t in items] == list(range(1, len(items) + 1))
        firsts = [prose.find(f"{kind} {t.number}") for t in items]
        assert all(i >= 0 for i in firsts), (kind, firsts)
        assert firsts == sorted(firsts), (kind, firsts)       # first referred to in numeric order
    assert ms.tables and ms.figures


@pytest.mark.parametrize("which", ["example", "ecr_open"])
def test_reference_list_holds_exactly_the_cited_works(which, request):
    ms, _, _ = request.getfixturevalue(which)
    text = body(ms)
    for entry in ms.references:
        surname = entry.split(",")[0].lstrip("*")
        year = re.search(r"\((\d{4})\)", entry).group(1)
        assert re.search(rf"{re.escape(surname)}[^()]{{0,60}}(, |\(){year}", text), entry
    for key, (cite, _) in WORKS.items():
        if cite in text or cite.replace(" & ", " and ").rsplit(", ", 1)[0] + " (" + cite[-4:] + ")" in text:
            assert any(e == WORKS[key][1] for e in ms.references), key
    assert ms.references == sorted(ms.references, key=lambda e: e.lower().lstrip("*"))


def test_loss_effect_reported_at_mean_anxiety(example):
    """The example study's guardrail: the loss effect at the sample mean of anxiety, said so."""
    ms, tables, _ = example
    text = body(ms)
    reg = tables["regressions"].set_index(["model", "term"])
    slopes = tables["simple_slopes"].set_index("at")
    loss = reg.loc[("depression_moderation", "loss")]
    assert loss["b"] == pytest.approx(slopes.loc["mean", "slope"], rel=1e-9)   # the coefficient is the mean slope
    assert loss["b"] > 0
    anx_mean = reg.loc[("depression_moderation", "ecr_anxiety"), "centre"]
    assert f"Attachment anxiety was centred at its mean ({anx_mean:.2f})" in text
    assert f"loss, b = {loss['b']:.2f}" in text
    assert "Mean-centred before fitting: Attachment anxiety (M = 3.70)" in text
    assert f"b = {slopes.loc['mean', 'slope']:.2f}, 95% CI [{slopes.loc['mean', 'ci_lo']:.2f}," in text
    assert f"at the mean ({slopes.loc['mean', 'moderator_value']:.2f})" in text


def test_johnson_neyman_region_clipped_and_said(example):
    ms, tables, _ = example
    jn = tables["johnson_neyman"].iloc[0]
    text = body(ms)
    assert jn["region_observed"] == "above" and jn["lower"] < jn["moderator_min"]
    assert f"for attachment anxiety above {jn['upper']:.2f} (observed range 1.00 to 6.94)" in text
    assert f"The boundary at {jn['lower']:.2f} lies outside the observed range" in text
    assert f"below {jn['lower']:.2f}" not in text


def test_fit_judged_against_stated_criteria(example, ecr_open):
    ex, eo = body(example[0]), body(ecr_open[0])
    for text in (ex, eo):
        assert "CFI ≥ .95, TLI ≥ .95, RMSEA ≤ .06, SRMR ≤ .08" in text and "Hu and Bentler (1999)" in text
    assert "the two-factor model, χ²(593) = 577.44, p = .669" in ex and "met all four criteria" in ex
    assert "No model fitted well" in eo and "No model fitted well" not in ex
    assert judge_fit({"cfi": 0.96, "tli": 0.95, "rmsea": 0.061, "srmr": 0.05}).missed == ["rmsea"]


def test_number_of_factors_explained_against_parallel_analysis(example, ecr_open):
    eo = body(ecr_open[0])
    assert ("suggested 7 factors; the 2-factor solution was retained on theoretical grounds (the published "
            "scoring key of the ECR defines 2 subscales)") in eo
    assert "suggested 2 factors, the number retained" in body(example[0])


def test_invariance_flags_poor_configural_fit_and_the_estimator(ecr_open, example):
    eo, ex = body(ecr_open[0]), body(example[0])
    assert "the configural model fits poorly" in eo.lower() or "Because the configural model fits poorly" in eo
    assert "The study asked for MLR, but multiple-group MLR is not implemented" in eo
    inv = [t for t in ecr_open[0].tables if t.key == "invariance"][0]
    assert "The study asked for MLR; multiple-group MLR is not implemented, so ML was used" in inv.model.note
    assert "misses the fit criteria, so the Δ tests compare poorly fitting models" in inv.model.note
    assert "configural model fits poorly" not in ex and "consistent with invariance up to the scalar level" in ex


def test_unstable_bootstrap_interval_flagged(example, ecr_open):
    ex = body(example[0])
    rel = example[1]["reliability"].set_index("scale")
    lo, hi = rel.loc["ecr_anxiety", ["omega_h_ci_lo", "omega_h_ci_hi"]]
    assert unstable_interval(rel.loc["ecr_anxiety", "omega_h"], lo, hi)
    assert f"intervals of ωₕ for attachment anxiety (ωₕ = .90, 95% CI [.{round(lo * 100):02d}," in ex
    assert "and attachment avoidance (ωₕ = .93, 95% CI [.10, .93]) are unstable" in ex.replace("\u00a0", " ")
    assert "unstable" not in body(ecr_open[0])           # ωₕ .70 [.68, .72]
    table = [t for t in example[0].tables if t.key == "reliability"][0]
    omega_h = table.model.columns.index("ωh [95% CI]")
    flagged = [r[0] for r in table.model.rows if r[omega_h].split(" [")[0].endswith("ᵃ")]
    assert flagged == ["Attachment anxiety", "Attachment avoidance"] and "Unstable bootstrap interval" in table.model.note


def test_study_without_outcome_models_says_so_once(ecr_open):
    ms = ecr_open[0]
    text = body(ms)
    assert text.count("declares no outcome") == 2          # once in the findings, once in Results
    assert not [t for t in ms.tables if t.key.startswith("regression_")]
    assert "Focal predictors" not in text and "Indirect effect" not in text
    assert not [f for f in ms.figures if f.key in ("interaction", "mediation", "coefficients")]


def test_participants_counts_reconcile(example):
    flow = example[1]["flow"]
    raw, analysed = flow["n_after"].iloc[0], flow["n_after"].iloc[-1]
    text = body(example[0])
    assert f"({raw:,} − {flow['n_excluded'].sum():,} = {analysed:,})" in text
    for r in flow[flow["n_excluded"] > 0].itertuples():
        assert f"{r.n_excluded:,} " in text


def test_instrument_sources_become_apa_references():
    cite, entry = instrument_work("Fraley, R. C., Waller, N. G., & Brennan, K. A. (2000). An item response theoretical "
                                  "analysis. Journal of Personality and Social Psychology, 78(2), 350-365. Key: x.")
    assert cite == "Fraley et al., 2000" and entry.endswith("78(2), 350–365.") and "Key" not in entry
    c = Citations()
    with pytest.raises(KeyError):
        c.cite("no_such_work")
    assert c.narrative("hu_bentler_1999") == "Hu and Bentler (1999)" and len(c.reference_list()) == 1


@pytest.mark.parametrize("which", ["example", "ecr_open"])
def test_no_empty_section_and_every_table_is_an_apa_set_table(which, request):
    """A section holds text (no heading over nothing), and every numbered table is one of the
    APA table set's (one source for each formatted table), with labels in its first column."""
    from attachstats.output.labels import study_labels
    from attachstats.output.tables import apa_table_set

    ms, tables, study = request.getfixturevalue(which)

    def check(s: Section) -> None:
        assert any(isinstance(b, (Paragraph, Bullets)) for b in s.blocks) or any(
            isinstance(b, Section) for b in s.blocks), s.title
        for b in s.blocks:
            if isinstance(b, Section):
                check(b)

    for s in ms.sections:
        check(s)
    apa = {(m.title, tuple(m.columns)) for m in apa_table_set(tables, study_labels(study, tables.get("efa_loadings")))}
    for t in ms.tables:
        assert (t.model.title, tuple(t.model.columns)) in apa, t.model.title
        firsts = [r[0] for i, r in enumerate(t.model.rows) if r and r[0] and i not in t.model.spans]
        lower = [f for f in firsts if f[:1].islower() and len(f.split(" ")[0]) > 2]   # a, b: path symbols
        assert not lower, (t.model.title, lower)
