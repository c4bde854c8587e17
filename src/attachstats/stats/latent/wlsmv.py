"""The entry point for ordered items that ``attachstats.sem(..., estimator="WLSMV")`` calls.

:data:`ORDINAL_ESTIMATORS` maps an estimator name to a function with the signature

    f(syntax, data, *, ordered=None, estimator="WLSMV", std_lv=False, group=None,
      group_equal=(), group_partial=(), name="model") -> result

returning an :class:`~attachstats.stats.latent.ordinal.OrdinalCFAResult` (one group) or an
:class:`~attachstats.stats.latent.ordinal_invariance.OrdinalInvarianceResult` (several
groups); both have ``fit_measures()`` (lavaan's names) and ``parameters()`` (lavaan's
``parameterEstimates`` columns). With ``group``, ``group_equal`` must be one of the
invariance steps in semTools' ``measEq.syntax`` conventions (std.lv, Wu & Estabrook 2016,
delta): ``()``, ``("thresholds",)``, ``("thresholds", "loadings")``,
``("thresholds", "loadings", "intercepts")`` — not lavaan's own ``group.equal``
identification —, with ``group_partial`` (lavaan's ``group.partial``: loadings ``"f =~ x"``,
thresholds ``"x | t2"``, intercepts ``"x ~ 1"``) freeing some of them. Any other option
raises :class:`attachstats.errors.ModelError`.

Example
-------
>>> sorted(ORDINAL_ESTIMATORS)
['WLSMV']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from attachstats.errors import ModelError
from attachstats.stats.latent.ordinal import OrdinalCFAResult, fit_ordinal_cfa
from attachstats.stats.latent.ordinal_invariance import (
    INVARIANCE_STEPS,
    OrdinalInvarianceResult,
    fit_ordinal_invariance,
)

__all__ = ["ORDINAL_ESTIMATORS", "ordinal_sem", "sem_fitter"]


def ordinal_sem(syntax: str, data: pd.DataFrame, *, ordered: Sequence[str] | bool | None = None,
                estimator: str = "WLSMV", std_lv: bool = False, group: str | None = None,
                group_equal: Sequence[str] = (), group_partial: Sequence[str] = (), name: str = "model",
                **options: Any) -> OrdinalCFAResult | OrdinalInvarianceResult:
    """Fit a measurement model for ordered items by WLSMV, in one group or several.

    One group: :func:`~attachstats.stats.latent.ordinal.fit_ordinal_cfa`. Several groups
    (``group``): :func:`~attachstats.stats.latent.ordinal_invariance.fit_ordinal_invariance`
    with the step whose constraints are ``group_equal`` and the freed ``group_partial``
    (``std_lv`` is implied there).

    Raises
    ------
    ModelError
        An unsupported option or ``group_equal``, or from the fitting functions.

    Examples
    --------
    R: ``lavaan::cfa(syntax, data, ordered = ..., estimator = "WLSMV")``; with groups,
    ``cfa(as.character(semTools::measEq.syntax(...)), group = ...)``.
    """
    if options:
        raise ModelError(f"model {name!r}: option(s) {', '.join(sorted(options))} are not supported "
                         "with ordered items")
    if group is None:
        if tuple(group_equal) or tuple(group_partial):
            raise ModelError(f"model {name!r}: group_equal/group_partial needs a group")
        return fit_ordinal_cfa(syntax, data, ordered=ordered, name=name, std_lv=std_lv, estimator=estimator)
    if estimator.upper() != "WLSMV":
        raise ModelError(f"model {name!r}: ordinal estimator {estimator!r} is not implemented (available: WLSMV)")
    want = tuple(group_equal)
    step = next((st for st, eq in INVARIANCE_STEPS.items() if set(eq) == set(want) and len(eq) == len(want)), None)
    if step is None:
        raise ModelError(f"model {name!r}: group_equal {list(want)} is not an ordinal invariance step; use one of "
                         + ", ".join(str(list(eq)) for eq in INVARIANCE_STEPS.values())
                         + " (and group_partial to free some of them)")
    return fit_ordinal_invariance(syntax, data, group, step, ordered=None if ordered is True else ordered,
                                  name=name, group_partial=group_partial)


#: Estimator name → the function ``attachstats.sem`` calls for ordered items (see the module docstring).
ORDINAL_ESTIMATORS: dict[str, Callable[..., OrdinalCFAResult | OrdinalInvarianceResult]] = {"WLSMV": ordinal_sem}


def sem_fitter(syntax: str, data: pd.DataFrame, *, missing: str = "listwise",
               **options: Any) -> OrdinalCFAResult | OrdinalInvarianceResult:
    """:func:`ordinal_sem` with the full option set that ``attachstats.sem`` passes on.

    Options without an ordinal implementation are refused by name rather than ignored:
    ``missing="fiml"`` (rows with a missing item are dropped and counted, lavaan's listwise
    default).

    Examples
    --------
    R: ``lavaan::sem(model, data, ordered = TRUE)`` (estimator WLSMV).

    >>> sem_fitter("f =~ a + b", pd.DataFrame(), missing="fiml")
    Traceback (most recent call last):
    ...
    attachstats.errors.ModelError: model 'model': missing='fiml' is not implemented for ordered items; rows with a missing item are dropped and counted (missing='listwise')
    """
    name = options.get("name", "model")
    if str(missing).lower() not in ("listwise", "ml.x") and str(missing).lower() != "default":
        raise ModelError(f"model {name!r}: missing={missing!r} is not implemented for ordered items; "
                         "rows with a missing item are dropped and counted (missing='listwise')")
    return ordinal_sem(syntax, data, **options)
