"""Outcome-model specifications: read a study file's ``outcome_models`` entry, check it.

A model is declared with column names only; nothing is evaluated as Python or formula code.
:func:`parse_outcome_model` turns one mapping of the study file into a :class:`ModelSpec`
and raises :class:`~attachstats.errors.ConfigError` naming the model and the key when the
specification is inconsistent (before any data is read). The keys (every one documented in
``config/README.md``):

``name``, ``outcome``, ``predictors``
    the outcome column and the focal predictors (column names; spaces and symbols allowed).
``covariates``
    further predictors (e.g. demographics); default none.
``interactions``
    lists of two or more variable names, e.g. ``[[ecr_anxiety, loss]]``; each variable must
    also be a predictor or covariate (main effects are always in the model). The product
    term is named ``a:b`` (for a categorical variable, ``gender[T.Male]:loss``).
``blocks``
    hierarchical entry: a list of blocks, each a list of variable names and interactions
    (an interaction written as a list, as under ``interactions``). Together the blocks must
    hold every predictor, covariate and interaction exactly once. Default: covariates, then
    predictors, then interactions (empty blocks left out).
``family``
    ``ols`` (default), ``logit``, ``poisson`` or ``negbin`` (negative binomial, θ by ML).
``robust``
    ``HC0``–``HC3`` or ``nonrobust``; default ``HC3`` for ``ols`` and ``nonrobust``
    (model-based standard errors, as ``summary(glm)``) for the other families.
``standardise``
    variables z-scored over the estimation sample before fitting (numeric ones only;
    the outcome only for ``ols``).
``centre``
    ``true`` (default): every continuous variable of an interaction (numeric, more than two
    distinct values, not already standardised) is mean-centred over the estimation sample
    before fitting, so that its partner's coefficient is the effect at the sample mean, not
    at an off-scale zero (Aiken & West, 1991); two-valued (0/1) variables and categorical
    dummies keep their coding. ``false`` fits the variables as they are. Probe values, J–N
    bounds and the slope curve are always reported in the variable's own units; the
    coefficient table records the value subtracted (column ``centre``).
``test_family``
    name of the multiple-testing family: Benjamini–Hochberg adjusts the p values of all
    non-intercept terms of all models that share the name (default: the model's name).
``cutoff``
    for ``logit``: the outcome is 1 when the column is ≥ ``cutoff``, else 0 (missing stays
    missing), e.g. PHQ-9 ≥ 10 for depression caseness.
``probe``
    ``{focal: x, moderator: w}`` for an ``ols`` model with the interaction x × w: simple
    slopes of x at w = mean − SD, mean, mean + SD and the Johnson–Neyman region.
``missing``
    ``{method: listwise}`` (default) or ``{method: mice, m: 20, iterations: 10}``: multiple
    imputation by chained equations, pooled with Rubin's rules.

Example
-------
>>> spec = parse_outcome_model({"name": "dep", "outcome": "phq9_total",
...                             "predictors": ["ecr_anxiety", "loss"],
...                             "covariates": ["age"],
...                             "interactions": [["ecr_anxiety", "loss"]]},
...                            known={"phq9_total", "ecr_anxiety", "loss", "age"})
>>> spec.family, spec.robust, [term_label(b) for b in spec.blocks[0]]
('ols', 'HC3', ['age'])
>>> [[term_label(t) for t in b] for b in spec.blocks]
[['age'], ['ecr_anxiety', 'loss'], ['ecr_anxiety:loss']]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from attachstats.errors import ConfigError

__all__ = ["ModelSpec", "MediationSpec", "SEMSpec", "parse_outcome_model", "parse_mediation_model",
           "parse_sem_model", "outcome_specs", "mediation_specs", "sem_specs", "study_specs", "term_label",
           "unique_names", "FAMILIES", "ROBUST_TYPES"]

FAMILIES = ("ols", "logit", "poisson", "negbin")
ROBUST_TYPES = ("HC0", "HC1", "HC2", "HC3", "nonrobust")
MISSING_METHODS = ("listwise", "mice")
#: Estimators and missing-data methods of a ``sem_models`` syntax entry.
SEM_ESTIMATORS = ("ML", "MLR", "WLSMV")
SEM_MISSING = ("listwise", "fiml")

def term_label(term: str | tuple[str, ...]) -> str:
    """The name of a term as written in tables: ``x`` or ``a:b`` (variable names only)."""
    return term if isinstance(term, str) else ":".join(term)


@dataclass(frozen=True)
class ModelSpec:
    """One checked outcome model (see the module docstring for every field)."""

    name: str
    outcome: str
    predictors: tuple[str, ...]
    covariates: tuple[str, ...] = ()
    interactions: tuple[tuple[str, ...], ...] = ()
    blocks: tuple[tuple[Any, ...], ...] = ()
    family: str = "ols"
    robust: str = "HC3"
    standardise: tuple[str, ...] = ()
    test_family: str = ""
    cutoff: float | None = None
    probe: tuple[str, str] | None = None
    missing: str = "listwise"
    imputations: int = 20
    iterations: int = 10
    centre: bool = True

    @property
    def variables(self) -> list[str]:
        """Every column the model reads: outcome first, then predictors and covariates."""
        return [self.outcome, *self.predictors, *self.covariates]

    @property
    def terms(self) -> list[str | tuple[str, ...]]:
        """Terms in design order: predictors, covariates, interactions (as declared)."""
        return [*self.predictors, *self.covariates, *self.interactions]


@dataclass(frozen=True)
class MediationSpec:
    """A simple mediation model x → mediator → outcome (see :mod:`attachstats.stats.regression.mediation`)."""

    name: str
    x: str
    mediator: str
    outcome: str
    covariates: tuple[str, ...] = ()
    robust: str = "HC3"
    bootstrap: int = 5000
    ci: float = 0.95

    @property
    def variables(self) -> list[str]:
        return [self.outcome, self.x, self.mediator, *self.covariates]


@dataclass(frozen=True)
class SEMSpec:
    """A latent regression (the factors of an instrument predict observed outcomes), or any
    model in lavaan syntax (``syntax``; then ``instrument`` is empty and ``outcomes`` too)."""

    name: str
    instrument: str
    outcomes: tuple[str, ...]
    syntax: str = ""
    std_lv: bool = False
    estimator: str = "ML"
    missing: str = "listwise"
    ordered: tuple[str, ...] | bool = ()

    @property
    def variables(self) -> list[str]:
        return list(self.outcomes)


def _fail(where: str, msg: str) -> None:
    raise ConfigError(f"{where}: {msg}")


def _names(value: Any, where: str, key: str, allow_empty: bool = True) -> tuple[str, ...]:
    if value is None:
        value = []
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        _fail(where, f"{key} must be a list of variable names, got {value!r}")
    bad = [v for v in value if not isinstance(v, str) or not v]
    if bad:
        _fail(where, f"{key} must hold variable names (non-empty strings), got {bad[0]!r}")
    if not allow_empty and not value:
        _fail(where, f"{key} needs at least one variable")
    dups = sorted({v for v in value if list(value).count(v) > 1})
    if dups:
        _fail(where, f"{key} lists {', '.join(map(repr, dups))} more than once")
    return tuple(value)


def _check_known(names: Iterable[str], known: set[str] | None, where: str, key: str) -> None:
    if known is None:
        return
    for v in names:
        if v not in known:
            import difflib

            close = difflib.get_close_matches(v, sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            _fail(where, f"{key}: unknown variable {v!r}{hint}; known scores and variables: "
                         f"{', '.join(sorted(known))}")


def _interaction(value: Any, where: str, key: str, mains: set[str]) -> tuple[str, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or len(value) < 2:
        _fail(where, f"{key} must be a list of two or more variable names, e.g. [ecr_anxiety, loss], "
                     f"got {value!r} (formula strings are not read)")
    names = _names(value, where, key)
    missing = [v for v in names if v not in mains]
    if missing:
        _fail(where, f"{key}: {', '.join(map(repr, missing))} must also be a predictor or covariate "
                     "(an interaction needs its main effects)")
    return names


def parse_outcome_model(m: Mapping[str, Any], known: set[str] | None = None,
                        categorical: set[str] | None = None, where: str | None = None) -> ModelSpec:
    """Check one ``outcome_models`` entry and return it as a :class:`ModelSpec`.

    Parameters
    ----------
    m : mapping
        The entry as read from the study file (schema defaults may or may not be filled).
    known : set of str, optional
        Every score and variable the study produces; a name outside it is an error.
    categorical : set of str, optional
        Variables declared ``type: categorical`` (they cannot be standardised, probed or
        used as a count/binary outcome).
    where : str, optional
        Prefix of error messages, e.g. ``"study 'example', outcome_models[2] (panic)"``.

    Raises
    ------
    attachstats.errors.ConfigError
        Naming the model and the key: unknown variables, a variable listed twice or both as
        outcome and predictor, an interaction without its main effects, blocks that do not
        cover every term exactly once, a family/robust/cutoff/probe/missing setting that
        does not fit the model.
    """
    if not isinstance(m, Mapping):
        raise ConfigError(f"{where or 'outcome model'}: must be a mapping, got {m!r}")
    name = m.get("name")
    where = where or f"outcome model {name!r}"
    if not isinstance(name, str) or not name:
        _fail(where, "name must be a non-empty string")
    categorical = categorical or set()
    outcome = m.get("outcome")
    if not isinstance(outcome, str) or not outcome:
        _fail(where, f"outcome must be one variable name, got {outcome!r}")
    predictors = _names(m.get("predictors"), where, "predictors", allow_empty=False)
    covariates = _names(m.get("covariates"), where, "covariates")
    _check_known([outcome], known, where, "outcome")
    _check_known(predictors, known, where, "predictors")
    _check_known(covariates, known, where, "covariates")
    both = [v for v in predictors if v in covariates]
    if both:
        _fail(where, f"{', '.join(map(repr, both))} is both a predictor and a covariate")
    if outcome in predictors or outcome in covariates:
        _fail(where, f"the outcome {outcome!r} is also listed as a predictor or covariate")
    mains = set(predictors) | set(covariates)

    raw_inter = m.get("interactions") or []
    if not isinstance(raw_inter, (list, tuple)):
        _fail(where, f"interactions must be a list of lists of variable names, got {raw_inter!r}")
    interactions = tuple(_interaction(v, where, f"interactions[{k}]", mains) for k, v in enumerate(raw_inter))
    seen: dict[frozenset, int] = {}
    for k, t in enumerate(interactions):
        key = frozenset(t)
        if key in seen:
            _fail(where, f"interactions[{k}] repeats interactions[{seen[key]}]")
        seen[key] = k

    family = m.get("family", "ols")
    if family not in FAMILIES:
        _fail(where, f"family must be one of {', '.join(FAMILIES)}, got {family!r}")
    robust = m.get("robust") or ("HC3" if family == "ols" else "nonrobust")
    if robust not in ROBUST_TYPES:
        _fail(where, f"robust must be one of {', '.join(ROBUST_TYPES)}, got {robust!r}")
    if outcome in categorical:
        _fail(where, f"the outcome {outcome!r} is categorical; outcomes must be numeric "
                     "(for a binary outcome give family: logit and a cutoff)")

    cutoff = m.get("cutoff")
    if cutoff is not None:
        if isinstance(cutoff, bool) or not isinstance(cutoff, (int, float)):
            _fail(where, f"cutoff must be a number, got {cutoff!r}")
        if family != "logit":
            _fail(where, f"cutoff makes a binary outcome, which needs family: logit (family is {family!r})")
        cutoff = float(cutoff)

    standardise = _names(m.get("standardise"), where, "standardise")
    model_vars = {outcome, *mains}
    for v in standardise:
        if v not in model_vars:
            _fail(where, f"standardise: {v!r} is not a variable of this model")
        if v in categorical:
            _fail(where, f"standardise: {v!r} is categorical and cannot be z-scored")
        if v == outcome and family != "ols":
            _fail(where, f"standardise: the outcome of a {family} model cannot be z-scored")

    centre = m.get("centre", True)
    if not isinstance(centre, bool):
        _fail(where, f"centre must be true or false, got {centre!r}")

    test_family = m.get("test_family") or name
    if not isinstance(test_family, str):
        _fail(where, f"test_family must be a name (string), got {test_family!r}")

    probe = m.get("probe")
    if probe is not None:
        if not isinstance(probe, Mapping) or set(probe) != {"focal", "moderator"}:
            _fail(where, f"probe must be {{focal: <variable>, moderator: <variable>}}, got {probe!r}")
        f, w = probe["focal"], probe["moderator"]
        if family != "ols":
            _fail(where, "probe (simple slopes, Johnson-Neyman) is implemented for family: ols only")
        if not any(set(t) == {f, w} for t in interactions):
            _fail(where, f"probe: the model has no interaction of {f!r} and {w!r}; add "
                         f"interactions: [[{f}, {w}]]")
        if sum(f in t for t in interactions) > 1:
            _fail(where, f"probe: the focal variable {f!r} is in more than one interaction, so its "
                         f"slope does not depend on {w!r} alone; probing such a model is not implemented")
        for v in (f, w):
            if v in categorical:
                _fail(where, f"probe: {v!r} is categorical; focal and moderator must be numeric "
                             "(code a two-level variable 0/1)")
        probe = (f, w)

    miss = m.get("missing") or {}
    if not isinstance(miss, Mapping):
        _fail(where, f"missing must be a mapping like {{method: mice, m: 20}}, got {miss!r}")
    method = miss.get("method", "listwise")
    if method not in MISSING_METHODS:
        _fail(where, f"missing.method must be one of {', '.join(MISSING_METHODS)}, got {method!r}")
    imputations = miss.get("m", 20)
    iterations = miss.get("iterations", 10)
    for key, val, lo in (("m", imputations, 2), ("iterations", iterations, 1)):
        if isinstance(val, bool) or not isinstance(val, int) or val < lo:
            _fail(where, f"missing.{key} must be an integer of at least {lo}, got {val!r}")
    if method == "mice" and probe is not None:
        _fail(where, "probe with missing.method: mice is not implemented; use listwise for a probed model")

    terms: list[Any] = [*predictors, *covariates, *interactions]
    raw_blocks = m.get("blocks")
    if raw_blocks is None:
        blocks = tuple(b for b in (covariates, predictors, interactions) if b)
    else:
        if not isinstance(raw_blocks, (list, tuple)) or not raw_blocks:
            _fail(where, f"blocks must be a non-empty list of lists, got {raw_blocks!r}")
        out = []
        for k, block in enumerate(raw_blocks):
            if isinstance(block, (str, bytes)) or not isinstance(block, (list, tuple)) or not block:
                _fail(where, f"blocks[{k}] must be a non-empty list of variable names and "
                             f"interactions, got {block!r}")
            items = []
            for item in block:
                if isinstance(item, str):
                    items.append(item)
                else:
                    items.append(_interaction(item, where, f"blocks[{k}]", mains))
            out.append(tuple(items))
        blocks = tuple(out)
        listed = [t if isinstance(t, str) else frozenset(t) for b in blocks for t in b]
        wanted = [t if isinstance(t, str) else frozenset(t) for t in terms]
        twice = [t for t in wanted if listed.count(t) > 1]
        absent = [t for t in wanted if t not in listed]
        extra = [t for t in listed if t not in wanted]
        for problem, what in ((twice, "more than once"), (absent, "in no block"), (extra, "not a term of the model")):
            if problem:
                labels = ", ".join(repr(p if isinstance(p, str) else ":".join(sorted(p))) for p in problem)
                _fail(where, f"blocks: {labels} {'is' if len(problem) == 1 else 'are'} {what}; the blocks "
                             "must list every predictor, covariate and interaction exactly once")
        # interactions in blocks as declared under `interactions` (same variable order)
        by_set = {frozenset(t): t for t in interactions}
        blocks = tuple(tuple(t if isinstance(t, str) else by_set[frozenset(t)] for t in b) for b in blocks)

    return ModelSpec(name=name, outcome=outcome, predictors=predictors, covariates=covariates,
                     interactions=interactions, blocks=blocks, family=family, robust=robust,
                     standardise=standardise, test_family=test_family, cutoff=cutoff, probe=probe,
                     missing=method, imputations=imputations, iterations=iterations, centre=centre)


def parse_mediation_model(m: Mapping[str, Any], known: set[str] | None = None,
                          categorical: set[str] | None = None, where: str | None = None) -> MediationSpec:
    """Check one ``mediation_models`` entry (keys ``name, x, mediator, outcome, covariates,
    robust, bootstrap, ci``) and return a :class:`MediationSpec`.

    Raises
    ------
    attachstats.errors.ConfigError
        Unknown or categorical x/mediator/outcome, a variable in two roles, fewer than 100
        bootstrap resamples, a CI level outside (0, 1).
    """
    name = m.get("name")
    where = where or f"mediation model {name!r}"
    if not isinstance(name, str) or not name:
        _fail(where, "name must be a non-empty string")
    categorical = categorical or set()
    roles = {}
    for key in ("x", "mediator", "outcome"):
        v = m.get(key)
        if not isinstance(v, str) or not v:
            _fail(where, f"{key} must be one variable name, got {v!r}")
        _check_known([v], known, where, key)
        if v in categorical:
            _fail(where, f"{key}: {v!r} is categorical; x, mediator and outcome must be numeric")
        roles[key] = v
    covariates = _names(m.get("covariates"), where, "covariates")
    _check_known(covariates, known, where, "covariates")
    used = [roles["x"], roles["mediator"], roles["outcome"], *covariates]
    dups = sorted({v for v in used if used.count(v) > 1})
    if dups:
        _fail(where, f"{', '.join(map(repr, dups))} has more than one role (x, mediator, outcome, covariates)")
    robust = m.get("robust", "HC3")
    if robust not in ROBUST_TYPES:
        _fail(where, f"robust must be one of {', '.join(ROBUST_TYPES)}, got {robust!r}")
    boot = m.get("bootstrap", 5000)
    if isinstance(boot, bool) or not isinstance(boot, int) or boot < 100:
        _fail(where, f"bootstrap must be an integer of at least 100 resamples, got {boot!r}")
    ci = m.get("ci", 0.95)
    if isinstance(ci, bool) or not isinstance(ci, (int, float)) or not 0 < ci < 1:
        _fail(where, f"ci must be a number between 0 and 1, got {ci!r}")
    return MediationSpec(name=name, x=roles["x"], mediator=roles["mediator"], outcome=roles["outcome"],
                         covariates=covariates, robust=robust, bootstrap=boot, ci=float(ci))


def parse_sem_model(m: Mapping[str, Any], instruments: Sequence[str], known: set[str] | None = None,
                    where: str | None = None) -> SEMSpec:
    """Check one ``sem_models`` entry (keys ``name, instrument, outcomes``, or ``name, syntax[, std_lv,
    estimator, missing, ordered]``).

    A ``syntax`` entry is checked for form here; its variables and model are checked when it
    is fitted (:func:`attachstats.stats.latent.syntax.lavaanify`), naming the model.

    Raises
    ------
    attachstats.errors.ConfigError
        The instrument is not a block of the study, or an outcome is unknown or repeated; an
        impossible estimator / missing / ordered combination (see :func:`_sem_options`).
    """
    name = m.get("name")
    where = where or f"SEM {name!r}"
    if not isinstance(name, str) or not name:
        _fail(where, "name must be a non-empty string")
    if "syntax" in m:
        syntax, std_lv = m.get("syntax"), m.get("std_lv", False)
        if not isinstance(syntax, str) or not syntax.strip():
            _fail(where, "syntax must be a non-empty string of lavaan model syntax")
        extra = [k for k in ("instrument", "outcomes") if k in m]
        if extra:
            _fail(where, f"give either syntax or instrument + outcomes, not both ({', '.join(extra)} "
                         "given with syntax)")
        if not isinstance(std_lv, bool):
            _fail(where, f"std_lv must be true or false, got {std_lv!r}")
        estimator, missing, ordered = _sem_options(m, where)
        return SEMSpec(name=name, instrument="", outcomes=(), syntax=syntax, std_lv=std_lv,
                       estimator=estimator, missing=missing, ordered=ordered)
    for key in ("estimator", "missing", "ordered"):
        if key in m:
            _fail(where, f"{key} applies to syntax models only (the instrument + outcomes latent regression "
                         "is fitted by ML with listwise deletion)")
    if m.get("std_lv"):
        _fail(where, "std_lv applies to syntax models only")
    if "instrument" not in m and "outcomes" not in m:
        _fail(where, "give either syntax (a model in lavaan syntax) or instrument + outcomes")
    inst = m.get("instrument")
    if inst not in instruments:
        _fail(where, f"instrument {inst!r} is not one of the study's instrument blocks "
                     f"({', '.join(instruments)})")
    outcomes = _names(m.get("outcomes"), where, "outcomes", allow_empty=False)
    _check_known(outcomes, known, where, "outcomes")
    return SEMSpec(name=name, instrument=inst, outcomes=outcomes)


def _sem_options(m: Mapping[str, Any], where: str) -> tuple[str, str, tuple[str, ...] | bool]:
    """``estimator``, ``missing`` and ``ordered`` of a syntax entry, checked together.

    ``ordered`` without an ``estimator`` means WLSMV (lavaan's default for ordered items);
    ordered items with ML or MLR, WLSMV with FIML and WLSMV without ordered items are refused.
    """
    est = m.get("estimator")
    missing = m.get("missing", "listwise")
    ordered = m.get("ordered", ())
    if est is not None and (not isinstance(est, str) or est.upper() not in SEM_ESTIMATORS):
        _fail(where, f"estimator must be one of {', '.join(SEM_ESTIMATORS)}, got {est!r}")
    if not isinstance(missing, str) or missing.lower() not in SEM_MISSING:
        _fail(where, f"missing must be one of {', '.join(SEM_MISSING)}, got {missing!r}")
    missing = missing.lower()
    if ordered is True:
        pass
    elif ordered is False or ordered is None:
        ordered = ()
    else:
        ordered = _names(ordered, where, "ordered")
    if est is None:
        est = "WLSMV" if ordered else "ML"
    est = est.upper()
    if ordered and est != "WLSMV":
        _fail(where, f"ordered items are fitted by WLSMV (polychoric correlations), not {est}: set "
                     "estimator: WLSMV or remove ordered")
    if est == "WLSMV" and not ordered:
        _fail(where, "estimator WLSMV needs ordered: the ordered items (a list of item columns, or true "
                     "for every indicator)")
    if est == "WLSMV" and missing == "fiml":
        _fail(where, "WLSMV cannot be combined with missing: fiml (full-information ML needs a likelihood; "
                     "WLSMV drops rows with a missing item): use missing: listwise, or estimator ML/MLR "
                     "with fiml")
    return est, missing, ordered


def unique_names(specs: Sequence[Any], where: str) -> None:
    """Raise if two models of a study share a name (tables are keyed by it)."""
    seen: set[str] = set()
    for s in specs:
        if s.name in seen:
            raise ConfigError(f"{where}: two models are named {s.name!r}; model names must be unique")
        seen.add(s.name)



def _categorical(study: Mapping[str, Any]) -> set[str]:
    return {v for v, d in study.get("variables", {}).items() if d.get("type") == "categorical"}


def outcome_specs(study: Mapping[str, Any], known: set[str] | None = None) -> list[ModelSpec]:
    """The study's ``outcome_models``, checked (reads ``name``, ``variables``, ``outcome_models``).

    >>> [s.name for s in outcome_specs({"name": "s", "outcome_models": [
    ...     {"name": "m", "outcome": "y", "predictors": ["x"]}]})]
    ['m']
    """
    name = study.get("name")
    return [parse_outcome_model(m, known, _categorical(study),
                                where=f"study {name!r}, outcome_models[{i}] ({m.get('name')})")
            for i, m in enumerate(study.get("outcome_models") or [])]


def mediation_specs(study: Mapping[str, Any], known: set[str] | None = None) -> list[MediationSpec]:
    """The study's ``mediation_models``, checked (reads ``name``, ``variables``, ``mediation_models``)."""
    name = study.get("name")
    return [parse_mediation_model(m, known, _categorical(study),
                                  where=f"study {name!r}, mediation_models[{i}] ({m.get('name')})")
            for i, m in enumerate(study.get("mediation_models") or [])]


def sem_specs(study: Mapping[str, Any], known: set[str] | None = None) -> list[SEMSpec]:
    """The study's ``sem_models``, checked (reads ``name``, ``instruments``, ``sem_models``)."""
    name = study.get("name")
    return [parse_sem_model(m, list(study.get("instruments", {})), known,
                            where=f"study {name!r}, sem_models[{i}] ({m.get('name')})")
            for i, m in enumerate(study.get("sem_models") or [])]


def study_specs(study: Mapping[str, Any], known: set[str] | None = None) -> tuple[list[ModelSpec], list[MediationSpec], list[SEMSpec]]:
    """Every outcome, mediation and SEM model of a study, checked, with names unique across the three.

    Parameters
    ----------
    study : mapping
        The study (schema-validated or not).
    known : set of str, optional
        Scores and variables the study produces (default: not checked).

    Raises
    ------
    attachstats.errors.ConfigError
        The first problem found, naming the study, the list and the entry.
    """
    outcome, mediation, sem = outcome_specs(study, known), mediation_specs(study, known), sem_specs(study, known)
    unique_names([*outcome, *mediation, *sem], f"study {study.get('name')!r}")
    return outcome, mediation, sem
