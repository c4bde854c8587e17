"""Model syntax → parameter table: the measurement part of lavaan's model syntax.

lavaan's ``lavaanify()`` / ``lavParTable()`` turn model syntax into a parameter table with
one row per parameter; :func:`parse_syntax` does the same for the statements a CFA model
needs, with lavaan ``cfa()``'s defaults filled in:

- ``f =~ x1 + x2`` defines a factor; the first loading is fixed to 1 (marker), the others
  are free; the modifiers ``1*x1`` (fix at a number) and ``NA*x1`` (free) override that;
- ``a ~~ b`` between two factors or two items: a (co)variance, free unless fixed
  (``0*b``: orthogonal factors; ``f ~~ 1*f``: a fixed latent variance);
- then, for what the user did not write: residual variances of all items, latent variances
  and all latent covariances, free.

Labels, regressions, intercepts and higher-order factors raise
:class:`attachstats.errors.ModelError` naming the model. The writers
:func:`build_model_syntax`, :func:`method_factor_syntax` and :func:`fixed_variance_syntax`
produce syntax that :func:`parse_syntax` (and lavaan) reads.

Example
-------
>>> table = parse_syntax("f =~ x1 + x2 + x3", "m")
>>> table.observed, table.latent
(['x1', 'x2', 'x3'], ['f'])
>>> [r[:3] + r[6:] for r in table.rows][:2]
[('f', '=~', 'x1', 1.0), ('f', '=~', 'x2', None)]
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from itertools import combinations
from typing import Mapping, Sequence

from attachstats.errors import ModelError

__all__ = ["ParameterRow", "ParameterTable", "parse_syntax", "check_name", "build_model_syntax",
           "method_factor_syntax", "fixed_variance_syntax"]

_NAME = r"[A-Za-z_.][A-Za-z0-9_.]*"
_NAME_RE = re.compile(rf"^{_NAME}$")
_TERM_RE = re.compile(rf"^(?:(?P<mod>[^*\s]+)\s*\*\s*)?(?P<name>{_NAME})$")

#: One row of a parameter table: (lhs, op, rhs, matrix, i, j, fixed value or None if free).
#: ``matrix`` is ``"lambda"`` (loadings, item i on factor j), ``"psi"`` (latent
#: (co)variances) or ``"theta"`` (residual (co)variances); (i, j) index it.
ParameterRow = tuple[str, str, str, str, int, int, float | None]


@dataclass
class ParameterTable:
    """A parsed measurement model, as lavaan's parameter table.

    Attributes
    ----------
    observed : list of str
        Items, in order of first appearance (the rows of Λ, Θ).
    latent : list of str
        Factors, in order of definition (the columns of Λ, rows of Ψ).
    rows : list of :data:`ParameterRow`
        Loadings first, then the user's (co)variances, then lavaan's default ones
        (residual variances, latent variances, latent covariances).
    """

    observed: list[str]
    latent: list[str]
    rows: list[ParameterRow]


def check_name(name: object, what: str) -> None:
    """Raise :class:`ModelError` unless ``name`` is a valid lavaan variable name.

    Valid: letters, digits, ``_`` and ``.``, not starting with a digit. ``what`` names the
    role in the message (``"factor"``, ``"item"``, ``"outcome"``).

    Examples
    --------
    >>> check_name("ecr_1", "item")
    >>> check_name("1x", "item")
    Traceback (most recent call last):
    ...
    attachstats.errors.ModelError: item name '1x' is not a valid model name (letters, digits, '_' and '.', not starting with a digit)
    """
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise ModelError(f"{what} name {name!r} is not a valid model name (letters, digits, "
                         "'_' and '.', not starting with a digit)")


def build_model_syntax(factors: Mapping[str, Sequence[str]], correlated: bool = True) -> str:
    """lavaan-style measurement model syntax, one line per factor.

    Parameters
    ----------
    factors : mapping of str to list of str
        Factor name to its item columns, in order (the first item is the marker whose
        loading :func:`attachstats.stats.latent.cfa.fit_cfa` fixes to 1).
    correlated : bool, default True
        If False, every pair of factors gets a line ``f1 ~~ 0*f2`` (orthogonal factors).

    Returns
    -------
    str
        E.g. ``"anxiety =~ ecr_2 + ecr_4\\navoidance =~ ecr_1 + ecr_3"``; the same text is
        lavaan's model syntax (R: ``cfa(model = syntax, data = ...)``).

    Raises
    ------
    ModelError
        No factors, a factor without items, an item twice in a factor, a factor named as
        an item, or a name that is not a valid lavaan name (letters, digits, ``_`` and
        ``.``, not starting with a digit).

    Examples
    --------
    >>> build_model_syntax({"f1": ["x1", "x2"], "f2": ["x3", "x4"]}, correlated=False)
    'f1 =~ x1 + x2\\nf2 =~ x3 + x4\\nf1 ~~ 0*f2'
    """
    if not factors:
        raise ModelError("a factor model needs at least one factor")
    items_all = {i for items in factors.values() for i in items}
    lines = []
    for fac, items in factors.items():
        check_name(fac, "factor")
        if isinstance(items, str) or not list(items):
            raise ModelError(f"factor {fac!r} needs a list of at least one item")
        items = list(items)
        for it in items:
            check_name(it, "item")
        dup = sorted({i for i in items if items.count(i) > 1})
        if dup:
            raise ModelError(f"factor {fac!r} lists item(s) more than once: {', '.join(dup)}")
        if fac in items_all:
            raise ModelError(f"factor name {fac!r} is also the name of an item")
        lines.append(f"{fac} =~ " + " + ".join(items))
    if not correlated:
        lines += [f"{a} ~~ 0*{b}" for a, b in combinations(factors, 2)]
    return "\n".join(lines)


def method_factor_syntax(factors: Mapping[str, Sequence[str]], method_items: Sequence[str],
                         method: str = "method") -> str:
    """Correlated factors plus a method factor for the reverse-keyed items.

    The method factor loads on ``method_items`` and is orthogonal to every substantive
    factor, so it absorbs variance shared by the reverse-worded items beyond their trait (a
    "correlated traits, uncorrelated method" model). Each method item keeps its loading on
    its substantive factor.

    Identification: the method factor's variance is fixed to 1 and all its loadings are free
    (``NA*`` on the first). With a marker loading instead, a weak or absent method effect
    drives the method variance to 0 and the loadings to infinity (an empirically
    unidentified model); with the variance fixed, the loadings just come out near 0. The
    sign is fixed by the start values (first method item loads positively). At least
    three method items are required; the fit also checks that the information matrix is not
    singular. The text is lavaan syntax (R: ``cfa(model = syntax, ...)``).

    Raises
    ------
    ModelError
        Fewer than three method items, an item that belongs to no factor, or a method factor
        name already used.

    Examples
    --------
    >>> print(method_factor_syntax({"a": ["x1", "x2", "x3"], "b": ["x4", "x5", "x6"]},
    ...                            ["x2", "x4", "x6"]))
    a =~ x1 + x2 + x3
    b =~ x4 + x5 + x6
    method =~ NA*x2 + x4 + x6
    method ~~ 1*method
    a ~~ 0*method
    b ~~ 0*method
    """
    items = {i for its in factors.values() for i in its}
    method_items = list(method_items)
    if method in factors or method in items:
        raise ModelError(f"method factor name {method!r} is already a factor or item name")
    stray = [i for i in method_items if i not in items]
    if stray:
        raise ModelError(f"method factor: not an item of any factor: {', '.join(stray)}")
    if len(method_items) < 3:
        raise ModelError(f"a method factor needs at least 3 reverse-keyed items to be identified, "
                         f"got {len(method_items)} ({', '.join(method_items) or 'none'})")
    base = build_model_syntax(factors)
    lines = [base, f"{method} =~ NA*" + " + ".join(method_items), f"{method} ~~ 1*{method}"]
    lines += [f"{f} ~~ 0*{method}" for f in factors]
    return "\n".join(lines)


def fixed_variance_syntax(syntax: str) -> str:
    """The same model identified by fixed latent variances instead of marker loadings.

    Frees each factor's first loading (``NA*``, unless it already has a modifier) and adds
    ``f ~~ 1*f`` — lavaan's ``cfa(..., std.lv = TRUE)``. Other lines are kept.

    Examples
    --------
    >>> print(fixed_variance_syntax("f =~ x1 + x2 + x3"))
    f =~ NA*x1 + x2 + x3
    f ~~ 1*f
    """
    lines = []
    for line in syntax.splitlines():
        if "=~" in line:
            factor, rhs = (part.strip() for part in line.split("=~", 1))
            first, *rest = [t.strip() for t in rhs.split("+")]
            if "*" not in first:
                first = f"NA*{first}"
            lines += [f"{factor} =~ " + " + ".join([first, *rest]), f"{factor} ~~ 1*{factor}"]
        else:
            lines.append(line)
    return "\n".join(lines)


def _modifier(mod: str | None, stmt: str, name: str) -> float | None:
    """None = free (no modifier or ``NA``); a number = fixed at that value."""
    if mod is None or mod == "NA":
        return None
    try:
        val = float(mod)
    except ValueError:
        val = math.nan
    if not math.isfinite(val):
        raise ModelError(f"model {name!r}: unsupported modifier {mod!r} in {stmt!r}: only "
                         "numbers (fixed values) and NA (free) are supported, not labels")
    return val


def _terms(rhs: str, stmt: str, name: str) -> list[tuple[str, str | None]]:
    out = []
    for term in rhs.split("+"):
        m = _TERM_RE.match(term.strip())
        if not m:
            raise ModelError(f"model {name!r}: cannot read {term.strip()!r} in {stmt!r}")
        out.append((m["name"], m["mod"]))
    return out


def parse_syntax(syntax: str, name: str) -> ParameterTable:
    """Parse measurement-model syntax into a :class:`ParameterTable` (lavaan ``lavaanify()``).

    Parameters
    ----------
    syntax : str
        ``=~`` and ``~~`` statements, one per line or separated by ``;``; ``#`` and ``!``
        start comments (see the module docstring).
    name : str
        Model name, used in error messages.

    Returns
    -------
    ParameterTable

    Raises
    ------
    ModelError
        Empty syntax, a statement other than ``=~``/``~~``, an unreadable term, a label
        modifier, an item listed twice for a factor, a factor used as an indicator, or a
        covariance between a factor and an item or with an unknown name.
    """
    if not isinstance(syntax, str) or not syntax.strip():
        raise ModelError(f"model {name!r}: the model syntax is empty")
    stmts = []
    for line in syntax.splitlines():
        line = re.split(r"[#!]", line, maxsplit=1)[0]
        stmts += [s.strip() for s in line.split(";") if s.strip()]
    loads: dict[str, list[tuple[str, str | None]]] = {}
    covs: list[tuple[str, str, str | None, str]] = []
    for st in stmts:
        if "=~" in st:
            lhs, rhs = st.split("=~", 1)
            lhs = lhs.strip()
            if not _NAME_RE.match(lhs):
                raise ModelError(f"model {name!r}: cannot read factor name in {st!r}")
            loads.setdefault(lhs, []).extend(_terms(rhs, st, name))
        elif "~~" in st:
            lhs, rhs = st.split("~~", 1)
            lhs = lhs.strip()
            if not _NAME_RE.match(lhs):
                raise ModelError(f"model {name!r}: cannot read {st!r}")
            covs += [(lhs, v, mod, st) for v, mod in _terms(rhs, st, name)]
        else:
            raise ModelError(f"model {name!r}: unsupported statement {st!r} (a CFA model takes "
                             "'=~' and '~~' lines only)")
    if not loads:
        raise ModelError(f"model {name!r}: no factor is defined ('f =~ item + ...')")
    latent = list(loads)
    observed: list[str] = []
    for fac, terms in loads.items():
        seen = [t[0] for t in terms]
        dup = sorted({v for v in seen if seen.count(v) > 1})
        if dup:
            raise ModelError(f"model {name!r}: factor {fac!r} lists {', '.join(dup)} more than once")
        for v, _ in terms:
            if v in loads:
                raise ModelError(f"model {name!r}: {v!r} is a factor and an indicator of {fac!r}; "
                                 "higher-order factors are not supported")
            if v not in observed:
                observed.append(v)
    oi = {v: k for k, v in enumerate(observed)}
    li = {v: k for k, v in enumerate(latent)}

    rows: list[ParameterRow] = []
    for fac, terms in loads.items():
        for k, (v, mod) in enumerate(terms):
            st = f"{fac} =~ {v}"
            val = 1.0 if (k == 0 and mod is None) else _modifier(mod, st, name)
            rows.append((fac, "=~", v, "lambda", oi[v], li[fac], val))
    # (co)variances: user statements first, then lavaan's defaults for what is left
    cov: dict[tuple[str, int, int], tuple[str, str, float | None]] = {}
    for a, b, mod, st in covs:
        if a in li and b in li:
            mat, i, j = "psi", li[a], li[b]
        elif a in oi and b in oi:
            mat, i, j = "theta", oi[a], oi[b]
        else:
            bad = [v for v in (a, b) if v not in li and v not in oi]
            if bad:
                raise ModelError(f"model {name!r}: {', '.join(repr(v) for v in bad)} in {st!r} is "
                                 "neither a factor nor an indicator of one")
            raise ModelError(f"model {name!r}: {st!r} relates a factor to an item, which a "
                             "CFA model does not allow")
        key = (mat, min(i, j), max(i, j))
        cov[key] = (a, b, _modifier(mod, st, name))
    user = list(cov)
    for mat, i, j in user:
        a, b, val = cov[(mat, i, j)]
        rows.append((a, "~~", b, mat, i, j, val))
    for v, i in oi.items():
        if ("theta", i, i) not in cov:
            rows.append((v, "~~", v, "theta", i, i, None))
    for f, i in li.items():
        if ("psi", i, i) not in cov:
            rows.append((f, "~~", f, "psi", i, i, None))
    for (f, i), (g, j) in combinations(li.items(), 2):
        if ("psi", i, j) not in cov:
            rows.append((f, "~~", g, "psi", i, j, None))
    return ParameterTable(observed, latent, rows)
