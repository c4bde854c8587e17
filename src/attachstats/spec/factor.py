"""The factor analysis a study declares: its ``factor_analysis`` block with every default filled in.

:func:`settings` fills the defaults (see ``config/README.md``), :func:`check_factor_config`
makes the checks a schema cannot (names that must exist), and :func:`factor_structure` gives
the item columns of the analysed instrument by subscale. Default models, for any instrument
with two or more subscales:

- ``one_factor``: every item on one factor ``general`` (items in questionnaire order);
- ``two_factor``: one factor per subscale (anxiety, avoidance), correlated;
- ``two_factor_method``: ``two_factor`` plus a factor ``method`` on the reverse-keyed
  items, orthogonal to the substantive factors (included by default when the instrument
  has at least three reverse-keyed items, which its identification needs).
"""

from __future__ import annotations

from typing import Any, Mapping

from attachstats.errors import ConfigError
from attachstats.spec.instrument import instrument_of

__all__ = ["BUILTIN_MODELS", "EFA_DEFAULTS", "INVARIANCE_DEFAULTS", "factor_structure", "settings",
           "estimator_problem",
           "check_factor_config", "efa_cutoff"]

BUILTIN_MODELS = ("one_factor", "two_factor", "two_factor_method")
EFA_DEFAULTS = {"n_factors": "subscales", "extraction": "minres", "rotation": "oblimin",
                "cutoff": 0.3, "parallel_iterations": 20, "parallel_quantile": 0.95}
INVARIANCE_DEFAULTS = {"group": "gender", "steps": ["configural", "metric", "scalar"],
                       "min_group_n": 100}

def factor_structure(study: Mapping[str, Any]) -> tuple[str, dict[str, list[str]], list[str], list[str]]:
    """(instrument key, subscale -> keyed item columns, all items in order, reverse-keyed items)."""
    key = study["factor_analysis"]["instrument"]
    inst = instrument_of(study, key)
    by_sub = {name: [f"{key}_{n}" for n in sub.items] for name, sub in inst.subscales.items()}
    all_items = [f"{key}_{n}" for n in sorted({n for sub in inst.subscales.values() for n in sub.items})]
    reverse = [f"{key}_{n}" for n in sorted({n for sub in inst.subscales.values() for n in sub.reverse})]
    return key, by_sub, all_items, reverse


def settings(study: Mapping[str, Any]) -> dict[str, Any]:
    """The study's ``factor_analysis`` block with every default filled in."""
    fa = dict(study.get("factor_analysis") or {})
    if not fa:
        return {}
    _, by_sub, _, reverse = factor_structure(study)
    models = fa.get("models")
    if models is None:
        models = ["one_factor"]
        if len(by_sub) >= 2:
            models.append("two_factor")
            if len(reverse) >= 3:
                models.append("two_factor_method")
    names = [m if isinstance(m, str) else m["name"] for m in models]
    comparisons = fa.get("comparisons")
    if comparisons is None:
        comparisons = [[a, b] for a, b in (("one_factor", "two_factor"), ("two_factor", "two_factor_method"))
                       if a in names and b in names]
    path_model = fa.get("path_model") or ("two_factor" if "two_factor" in names else names[0])
    return {"instrument": fa["instrument"], "models": list(models), "model_names": names,
            "comparisons": [list(c) for c in comparisons], "estimator": fa.get("estimator", "ML"),
            "missing": fa.get("missing", "listwise"), "path_model": path_model,
            "efa": {**EFA_DEFAULTS, **(fa.get("efa") or {})},
            "invariance": {**INVARIANCE_DEFAULTS, **(fa.get("invariance") or {}),
                           "explicit": "group" in (fa.get("invariance") or {})},
            "cross_validation": {"split": 0.5, **(fa.get("cross_validation") or {})}}


def check_factor_config(study: Mapping[str, Any]) -> None:
    """Checks a schema cannot make (names that must exist); raises :class:`ConfigError`."""
    if not study.get("factor_analysis"):
        return
    name = study.get("name")
    where = f"study {name!r}, factor_analysis"
    s = settings(study)
    _, by_sub, _, reverse = factor_structure(study)
    names = s["model_names"]
    dup = sorted({m for m in names if names.count(m) > 1})
    if dup:
        raise ConfigError(f"{where}.models: model name(s) used twice: {', '.join(dup)}")
    if "two_factor" in names and len(by_sub) < 2:
        raise ConfigError(f"{where}.models: two_factor needs an instrument with two or more subscales")
    if "two_factor_method" in names and len(reverse) < 3:
        raise ConfigError(f"{where}.models: two_factor_method needs at least 3 reverse-keyed items to be "
                          f"identified; the instrument has {len(reverse)}")
    for m in s["models"]:
        if isinstance(m, str) and m not in BUILTIN_MODELS:
            raise ConfigError(f"{where}.models: unknown model {m!r}; built-in: {', '.join(BUILTIN_MODELS)} "
                              "(or give {name, syntax})")
    for pair in s["comparisons"]:
        bad = [m for m in pair if m not in names]
        if bad:
            raise ConfigError(f"{where}.comparisons: {', '.join(bad)} is not one of the models "
                              f"({', '.join(names)})")
    if s["path_model"] not in names:
        raise ConfigError(f"{where}.path_model: {s['path_model']!r} is not one of the models ({', '.join(names)})")
    inv = s["invariance"]
    if inv["explicit"] and inv["group"] not in study.get("variables", {}):
        raise ConfigError(f"{where}.invariance.group: {inv['group']!r} is not a declared variable "
                          f"(declared: {', '.join(study.get('variables', {})) or 'none'})")
    problem = estimator_problem(study)
    if problem:
        raise ConfigError(f"study {name!r}, {problem}")
    n_f = s["efa"]["n_factors"]
    if not (n_f in ("subscales", "parallel") or (isinstance(n_f, int) and n_f >= 1)):
        raise ConfigError(f"{where}.efa.n_factors: expected a positive integer, 'subscales' or 'parallel', "
                          f"got {n_f!r}")


def estimator_problem(study: Mapping[str, Any]) -> str | None:
    """Why the study's ``factor_analysis.estimator`` cannot be used, naming the key and the fix.

    ``estimator: WLSMV`` treats the items as ordered categories: the instrument must have
    integer responses (not ``response.type: continuous``) and ``missing`` must be
    ``listwise``. None when the estimator can be used (or there is no factor analysis).

    >>> estimator_problem({"name": "s"}) is None
    True
    """
    if not study.get("factor_analysis"):
        return None
    s = settings(study)
    if s["estimator"] != "WLSMV":
        return None
    key = s["instrument"]
    if instrument_of(study, key).continuous:
        return (f"factor_analysis.estimator: WLSMV treats the items of instrument {key!r} as ordered "
                "categories, but its response type is continuous; set factor_analysis.estimator: ML or MLR")
    if s["missing"] != "listwise":
        return (f"factor_analysis.missing: {s['missing']!r} is not available with estimator WLSMV (rows with a "
                "missing item are dropped and counted); set factor_analysis.missing: listwise, or estimator: ML "
                "for FIML")
    return None


def efa_cutoff(study: Mapping[str, Any]) -> float:
    """The EFA loading cut-off below which formatted tables and figures blank a loading
    (``factor_analysis.efa.cutoff``; the default without a factor analysis).

    >>> efa_cutoff({"name": "s"})
    0.3
    """
    return float(settings(study).get("efa", EFA_DEFAULTS)["cutoff"])

