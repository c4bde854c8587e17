"""Model specifications in the study file: what is accepted, and clear errors for what is not."""

from __future__ import annotations

import pytest

from attachstats.errors import ConfigError
from attachstats.spec.models import (parse_mediation_model, parse_outcome_model, parse_sem_model, study_specs,
                                   term_label)
from attachstats.spec.study import resolve_study

from conftest import study_dict

KNOWN = {"phq9_total", "pdss_total", "ecr_anxiety", "ecr_avoidance", "age", "gender", "loss", "anx score"}
CAT = {"gender"}
BASE = {"name": "m", "outcome": "phq9_total", "predictors": ["ecr_anxiety", "loss"], "covariates": ["age"]}


def parse(**changes):
    return parse_outcome_model({**BASE, **changes}, KNOWN, CAT, where="outcome_models[0] (m)")


def test_defaults():
    s = parse()
    assert (s.family, s.robust, s.test_family, s.missing, s.cutoff, s.probe) == ("ols", "HC3", "m", "listwise",
                                                                               None, None)
    assert s.blocks == (("age",), ("ecr_anxiety", "loss"))
    assert parse(family="logit", cutoff=10).robust == "nonrobust"
    assert parse(family="negbin", outcome="pdss_total").robust == "nonrobust"


def test_interactions_blocks_and_names_with_spaces():
    s = parse(predictors=["anx score", "loss"], interactions=[["anx score", "loss"]],
              blocks=[["age"], ["anx score", "loss"], [["loss", "anx score"]]])
    assert s.interactions == (("anx score", "loss"),)
    assert [[term_label(t) for t in b] for b in s.blocks] == [["age"], ["anx score", "loss"], ["anx score:loss"]]
    assert [term_label(t) for t in s.terms] == ["anx score", "loss", "age", "anx score:loss"]


@pytest.mark.parametrize("changes, message", [
    ({"outcome": "phq9_totl"}, "outcome: unknown variable 'phq9_totl' \\(did you mean 'phq9_total'\\?\\)"),
    ({"predictors": ["ecr_anxiety", "ecr_anxeity"]}, "predictors: unknown variable 'ecr_anxeity'"),
    ({"covariates": ["agee"]}, "covariates: unknown variable 'agee'"),
    ({"predictors": []}, "predictors needs at least one variable"),
    ({"predictors": "ecr_anxiety + loss"}, "predictors must be a list of variable names"),
    ({"predictors": ["ecr_anxiety", "ecr_anxiety"]}, "lists 'ecr_anxiety' more than once"),
    ({"covariates": ["loss"]}, "'loss' is both a predictor and a covariate"),
    ({"covariates": ["phq9_total"]}, "outcome 'phq9_total' is also listed"),
    ({"interactions": ["ecr_anxiety*loss"]}, "formula strings are not read"),
    ({"interactions": [["ecr_anxiety", "gender"]]}, "'gender' must also be a predictor or covariate"),
    ({"interactions": [["ecr_anxiety", "loss"], ["loss", "ecr_anxiety"]]}, "interactions\\[1\\] repeats"),
    ({"family": "probit"}, "family must be one of ols, logit, poisson, negbin"),
    ({"robust": "HC4"}, "robust must be one of"),
    ({"cutoff": 10}, "cutoff makes a binary outcome, which needs family: logit"),
    ({"family": "logit", "cutoff": "ten"}, "cutoff must be a number"),
    ({"outcome": "gender"}, "is categorical; outcomes must be numeric"),
    ({"standardise": ["pdss_total"]}, "standardise: 'pdss_total' is not a variable of this model"),
    ({"covariates": ["gender"], "standardise": ["gender"]}, "'gender' is categorical and cannot be z-scored"),
    ({"family": "logit", "cutoff": 10, "standardise": ["phq9_total"]}, "outcome of a logit model cannot"),
    ({"probe": {"focal": "loss", "moderator": "ecr_anxiety"}}, "no interaction of 'loss' and 'ecr_anxiety'"),
    ({"probe": {"focal": "loss"}}, "probe must be \\{focal"),
    ({"interactions": [["ecr_anxiety", "loss"]], "family": "logit", "cutoff": 10,
      "probe": {"focal": "loss", "moderator": "ecr_anxiety"}}, "family: ols only"),
    ({"interactions": [["ecr_anxiety", "loss"], ["loss", "age"]],
      "probe": {"focal": "loss", "moderator": "ecr_anxiety"}}, "in more than one interaction"),
    ({"missing": {"method": "em"}}, "missing.method must be one of listwise, mice"),
    ({"missing": {"method": "mice", "m": 1}}, "missing.m must be an integer of at least 2"),
    ({"blocks": [["age"], ["ecr_anxiety"]]}, "'loss' is in no block"),
    ({"blocks": [["age", "loss"], ["ecr_anxiety", "loss"]]}, "'loss' is more than once"),
    ({"blocks": [["age"], ["ecr_anxiety", "loss", "pdss_total"]]}, "'pdss_total' is not a term of the model"),
    ({"blocks": "age"}, "blocks must be a non-empty list of lists"),
])
def test_bad_specifications_are_named(changes, message):
    with pytest.raises(ConfigError, match=message) as err:
        parse(**changes)
    assert str(err.value).startswith("outcome_models[0] (m): ")


def test_mediation_and_sem_specifications():
    med = parse_mediation_model({"name": "med", "x": "age", "mediator": "ecr_anxiety", "outcome": "pdss_total"},
                                KNOWN, CAT)
    assert (med.bootstrap, med.ci, med.robust) == (5000, 0.95, "HC3")
    for bad, message in [({"x": "gender"}, "categorical"), ({"mediator": "age"}, "more than one role"),
                         ({"bootstrap": 10}, "at least 100"), ({"ci": 95}, "between 0 and 1"),
                         ({"outcome": "pdss"}, "unknown variable 'pdss'")]:
        with pytest.raises(ConfigError, match=message):
            parse_mediation_model({"name": "med", "x": "age", "mediator": "ecr_anxiety", "outcome": "pdss_total",
                                   **bad}, KNOWN, CAT)
    sem = parse_sem_model({"name": "s", "instrument": "ecr", "outcomes": ["phq9_total"]}, ["ecr"], KNOWN)
    assert sem.outcomes == ("phq9_total",)
    with pytest.raises(ConfigError, match="instrument 'ecr2' is not one of"):
        parse_sem_model({"name": "s", "instrument": "ecr2", "outcomes": ["phq9_total"]}, ["ecr"], KNOWN)


def test_study_checks_models_before_anything_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ok = study_dict(outcome_models=[{"name": "dep", "outcome": "phq9_total", "predictors": ["ecr_anxiety"],
                                     "covariates": ["age", "gender"], "interactions": [["ecr_anxiety", "gender"]]}])
    s = resolve_study(ok, tmp_path / "s.yaml")
    specs, med, sem = study_specs(s)
    assert [x.name for x in specs] == ["dep"] and med == [] and sem == []
    dup = study_dict(outcome_models=[{"name": "dep", "outcome": "phq9_total", "predictors": ["age"]}],
                     mediation_models=[{"name": "dep", "x": "age", "mediator": "ecr_anxiety", "outcome": "phq9_total"}])
    with pytest.raises(ConfigError, match="two models are named 'dep'"):
        resolve_study(dup, tmp_path / "s.yaml")
    bad = study_dict(sem_models=[{"name": "s", "instrument": "ecr", "outcomes": ["pdss_total"]}])
    with pytest.raises(ConfigError, match="study 'mini', sem_models\\[0\\] \\(s\\): outcomes: unknown variable"):
        resolve_study(bad, tmp_path / "s.yaml")
