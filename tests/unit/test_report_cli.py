import pandas as pd
import pytest

from attachstats.cli import build_parser, main


def tables(with_models: bool = True) -> dict:
    flow = pd.DataFrame({"stage": ["raw", "speeding", "analysed"], "n_before": [10, 10, 8],
                         "n_excluded": [0, 2, 0], "n_after": [10, 8, 8]})
    fit = pd.DataFrame([{"model": "two_factor", "estimator": "ML", "n": 8, "df": 593, "chi2": 1234.5678, "p": 0.0001,
                         "cfi": 0.95, "tli": 0.94, "rmsea": 0.051, "rmsea_ci_lo": 0.049, "rmsea_ci_hi": 0.053,
                         "srmr": 0.04, "aic": 100.0, "bic": 120.0}])
    reg = pd.DataFrame([{"model": "m", "outcome": "phq9_total", "family": "ols", "term": "ecr_anxiety", "b": 2.5,
                         "se": 0.25, "ci_lo": 2.0, "ci_hi": 3.0, "beta": 0.41, "sr2": 0.1, "stat": 10.0, "p": 0.0002,
                         "p_adj": float("nan"), "n": 8, "exp_b": float("nan"), "exp_ci_lo": float("nan"),
                         "exp_ci_hi": float("nan"), "centre": float("nan")}])
    return {"flow": flow, "cfa_fit": fit, "regressions": reg if with_models else reg.iloc[:0]}


STUDY = {"name": "s", "title": "S", "instruments": {},
         "outcome_models": [{"name": "m", "outcome": "phq9_total", "predictors": ["ecr_anxiety"]}]}


def text(tabs: dict, study: dict = STUDY) -> str:
    from attachstats.output.report.manuscript import build_manuscript

    ms = build_manuscript(study, tabs, {}, {"packages": {}, "seed": 1})
    return "\n".join(str(getattr(b, "text", "")) for s in ms._all_sections() for b in s.blocks
                     ).replace("\u00a0", " ")


def test_manuscript_numbers_come_from_tables():
    t = text(tables())
    assert ("The data file held 10 responses. Screening excluded 2: 2 respondents completing the survey too fast, "
            "leaving 8 respondents for analysis (10 − 2 = 8).") in t
    assert ("the two-factor model, χ²(593) = 1,234.57, p < .001, CFI = .95, TLI = .94, RMSEA = .051 [.049, .053], "
            "SRMR = .040") in t
    assert "Focal predictors: ecr anxiety, b = 2.50, 95% CI [2.00, 3.00], β = .41, p < .001" in t
    assert "declares no outcome models" in text(tables(False)) and "declares no outcome models" not in t


def test_cli_parser_and_missing_study(capsys):
    args = build_parser().parse_args(["run", "s.yaml", "--cores", "3"])
    assert (args.study, args.cores) == ("s.yaml", "3")
    assert main(["run", "does-not-exist.yaml"]) == 1
    assert "study file does-not-exist.yaml does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["frobnicate"])


def test_styles_sentence_says_dimensions_are_primary():
    styles = pd.DataFrame({"style": ["secure", "preoccupied", "dismissing", "fearful", "not classified"],
                           "n": [10, 0, 2, 1, 1], "share": [10 / 14, 0, 2 / 14, 1 / 14, 1 / 14],
                           "rule": ["above the scale midpoint (4)"] * 5})
    t = text({**tables(), "attachment_styles": styles})
    assert "respondents were also classified into attachment categories, high meaning above the scale midpoint" in t
    assert "secure 10 (71.4%), dismissing 2 (14.3%), fearful 1 (7.1%), and not classified 1 (7.1%)." in t
    assert "The dimensional scores remain the primary analysis" in t and "preoccupied" not in t
    assert "attachment categories" not in text(tables())        # no categories: no section, no placeholder


def test_version(capsys):
    from attachstats import __version__

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"attachstats {__version__}"


def test_a_target_after_the_separator_stays_a_target(tmp_path, monkeypatch):
    # Snakemake's --config takes every following word up to the next option: it must come last
    import attachstats.cli as cli

    study = tmp_path / "s.yaml"
    study.write_text("name: s\n")
    seen = {}
    monkeypatch.setattr(cli, "run_snakemake", lambda cmd, *rest: seen.setdefault("cmd", cmd) and 0)
    assert main(["run", str(study), "--", "--dry-run", "results/s/report.html"]) == 0
    cmd = seen["cmd"]
    config_at = cmd.index("--config")
    assert cmd.index("results/s/report.html") < config_at and cmd.index("--dry-run") < config_at
    assert [a.split("=")[0] for a in cmd[config_at + 1:]] == ["studies", "results_dir"]
