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
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Mapping, Sequence

import pandas as pd

from attachstats.errors import ModelError

__all__ = ["ParameterRow", "ParameterTable", "parse_syntax", "check_name", "build_model_syntax",
           "PARTABLE_COLUMNS", "GROUP_EQUAL_KINDS", "Modifier", "Statement", "ParTable", "parse_statements", "lavaanify",
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


# ---------------------------------------------------------------------------------------------
# Full lavaan model syntax → parameter table (lavaan's lavaanify() / parTable())
# ---------------------------------------------------------------------------------------------

#: Columns of :attr:`ParTable.rows`, as lavaan's ``parTable(fit)``.
PARTABLE_COLUMNS = ["id", "lhs", "op", "rhs", "user", "block", "group", "free", "ustart", "exo",
                    "label", "plabel"]
#: Kinds of parameters ``group_equal`` can hold equal across groups (lavaan ``group.equal``).
GROUP_EQUAL_KINDS = ("loadings", "intercepts", "means", "residuals", "residual.covariances",
                     "lv.variances", "lv.covariances", "regressions", "thresholds")

_OPS = (":=", "==", "=~", "~~", "<~", "<", ">", "~", "|")
_NUM_RE = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


@dataclass
class Modifier:
    """What a term's prefix says: a fixed value, a start value, a label (one per group or one for all)."""

    fixed: list[float | None] | None = None     # None entries: NA (free)
    start: list[float] | None = None
    label: list[str] | None = None


@dataclass
class Statement:
    """One parsed formula: ``lhs op rhs`` with the modifier of the term (or an expression for := == < >)."""

    lhs: str
    op: str
    rhs: str
    mod: Modifier | None
    text: str


@dataclass
class ParTable:
    """A parsed model: lavaan's parameter table plus the variable lists the engine needs.

    Attributes
    ----------
    rows : DataFrame
        Columns :data:`PARTABLE_COLUMNS` (lavaan ``parTable()``): one row per parameter and
        group, then the constraint (``==``) and defined (``:=``) rows with ``block`` 0.
        ``free`` numbers the free parameters 1, 2, … before equality constraints (0 = fixed);
        ``ustart`` is the fixed value or the user's starting value (NaN: none, or a fixed
        exogenous moment filled from the data); ``exo`` 1 marks moments of fixed exogenous
        observed variables (``fixed.x``).
    ov, lv : list of str
        Observed and latent variables in lavaan's order (indicators, dependent observed,
        exogenous observed; factors in order of definition).
    ov_x : list of str
        Observed exogenous variables whose moments are fixed at their sample values.
    ov_ind : list of str
        Observed indicators of factors.
    ov_ord : list of str
        Ordered (ordinal) observed variables (``ordered=`` or ``|`` statements).
    meanstructure : bool
    ngroups : int
    syntax : str
    """

    rows: pd.DataFrame
    ov: list[str]
    lv: list[str]
    ov_x: list[str]
    ov_ind: list[str]
    meanstructure: bool
    ngroups: int
    syntax: str
    name: str = "model"
    ov_ord: list[str] = field(default_factory=list)

    @property
    def params(self) -> pd.DataFrame:
        """The parameter rows (no ``==``/``:=``/``<``/``>`` rows)."""
        return self.rows[self.rows["block"] > 0]

    @property
    def constraints(self) -> pd.DataFrame:
        """The ``==``, ``<``, ``>`` and ``:=`` rows."""
        return self.rows[self.rows["block"] == 0]


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses and quotes."""
    out, depth, cur, quote = [], 0, [], None
    for ch in text:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return out


def _statements(syntax: str) -> list[str]:
    """Model text → statements: comments removed, ``;`` splits, a line ending (or the next one
    starting) with ``+`` or ``*`` or an operator continues on the next line."""
    lines = []
    for line in syntax.splitlines():
        line = re.split(r"[#!]", line, maxsplit=1)[0]
        lines += [s.strip() for s in line.split(";")]
    stmts: list[str] = []
    for s in lines:
        if not s:
            continue
        if stmts and (re.search(r"(\+|\*|=~|~~|~|==|:=)\s*$", stmts[-1]) or s[0] in "+*"):
            stmts[-1] = stmts[-1] + " " + s
        else:
            stmts.append(s)
    return stmts


def _number(tok: str) -> float | None:
    tok = tok.strip()
    if _NUM_RE.match(tok):
        return float(tok)
    return None


def _modifier_values(tok: str, stmt: str, name: str) -> Modifier:
    """One modifier token (before ``*``) → a :class:`Modifier`."""
    tok = tok.strip()

    def values(inner: str) -> list[str]:
        return [v.strip() for v in _split_top(inner, ",")]

    def num_or_na(v: str) -> float | None:
        if v == "NA":
            return None
        x = _number(v)
        if x is None:
            raise ModelError(f"model {name!r}: cannot read {v!r} as a number in {stmt!r}")
        return x

    m = re.match(r"^(start|label|equal|c)\s*\((.*)\)$", tok, flags=re.S)
    if m:
        fn, inner = m[1], m[2]
        vals = values(inner)
        if fn == "start":
            return Modifier(start=[num_or_na(v) for v in vals])
        if fn in ("label", "equal"):
            return Modifier(label=[v.strip("\"'") for v in vals])
        # c(...): numbers / NA → fixed per group; names → labels per group
        if all(v == "NA" or _number(v) is not None for v in vals):
            return Modifier(fixed=[num_or_na(v) for v in vals])
        if all(_NAME_RE.match(v.strip("\"'")) for v in vals):
            return Modifier(label=[v.strip("\"'") for v in vals])
        raise ModelError(f"model {name!r}: cannot read modifier {tok!r} in {stmt!r}")
    if tok == "NA":
        return Modifier(fixed=[None])
    x = _number(tok)
    if x is not None:
        return Modifier(fixed=[x])
    if _NAME_RE.match(tok.strip("\"'")):
        return Modifier(label=[tok.strip("\"'")])
    m = re.match(r"^(lower|upper|prior|efa|rv)\s*\(", tok)
    if m:
        raise ModelError(f"model {name!r}: the modifier {m[1]}() in {stmt!r} is not implemented")
    raise ModelError(f"model {name!r}: cannot read modifier {tok!r} in {stmt!r}")


def _merge(a: Modifier | None, b: Modifier) -> Modifier:
    if a is None:
        return b
    return Modifier(fixed=b.fixed if b.fixed is not None else a.fixed,
                    start=b.start if b.start is not None else a.start,
                    label=b.label if b.label is not None else a.label)


def parse_statements(syntax: str, name: str = "model") -> list[Statement]:
    """Model syntax → one :class:`Statement` per parameter formula (lavaan ``lavParseModelString``).

    Operators: ``=~`` (loadings), ``~`` (regressions; ``~ 1`` intercepts), ``~~``
    ((co)variances), ``|`` (thresholds ``x | t1 + t2`` of an ordered variable), ``:=``
    (defined parameters), ``==`` (equality constraints); ``<``/``>`` and ``<~`` raise
    :class:`ModelError` (not implemented). A term is ``mod*mod*name`` with
    modifiers: a number (fixed), ``NA`` (free), a name or ``label("a")`` / ``equal("a")``
    (label), ``start(0.5)`` (starting value), ``c(...)`` (one value or label per group).

    Examples
    --------
    >>> [(s.lhs, s.op, s.rhs) for s in parse_statements("f =~ x1 + a*x2\\nx1 ~ 1\\nd := a*2")]
    [('f', '=~', 'x1'), ('f', '=~', 'x2'), ('x1', '~1', ''), ('d', ':=', 'a*2')]
    """
    if not isinstance(syntax, str) or not syntax.strip():
        raise ModelError(f"model {name!r}: the model syntax is empty")
    out: list[Statement] = []
    for st in _statements(syntax):
        op = next((o for o in _OPS if o in st), None)
        if op is None:
            raise ModelError(f"model {name!r}: no operator (=~, ~, ~~, :=, ==) in {st!r}")
        lhs, rhs = (x.strip() for x in st.split(op, 1))
        if op in ("<~",):
            raise ModelError(f"model {name!r}: formative indicators ('<~') in {st!r} are not implemented")
        if op in ("<", ">"):
            raise ModelError(f"model {name!r}: inequality constraints ({op!r}) in {st!r} are not implemented")
        if op in (":=", "=="):
            if not lhs or not rhs:
                raise ModelError(f"model {name!r}: cannot read {st!r}")
            if op == ":=" and not _NAME_RE.match(lhs):
                raise ModelError(f"model {name!r}: a defined parameter needs a name on the left of := in {st!r}")
            out.append(Statement(lhs, op, rhs.replace(" ", ""), None, st))
            continue
        if not _NAME_RE.match(lhs):
            raise ModelError(f"model {name!r}: cannot read the variable name {lhs!r} in {st!r}")
        if not rhs:
            raise ModelError(f"model {name!r}: nothing on the right of {op!r} in {st!r}")
        for term in _split_top(rhs, "+"):
            parts = [p.strip() for p in _split_top(term, "*")]
            if any(not p for p in parts):
                raise ModelError(f"model {name!r}: cannot read {term.strip()!r} in {st!r}")
            var, mods = parts[-1], parts[:-1]
            mod = None
            for tok in mods:
                mod = _merge(mod, _modifier_values(tok, st, name))
            if var == "1" and op == "~":
                out.append(Statement(lhs, "~1", "", mod, st))
                continue
            if not _NAME_RE.match(var):
                raise ModelError(f"model {name!r}: cannot read the variable name {var!r} in {st!r}")
            if op == "|" and not re.match(r"^t\d+$", var):
                raise ModelError(f"model {name!r}: thresholds are named t1, t2, … (not {var!r}) in {st!r}")
            out.append(Statement(lhs, op, var, mod, st))
    return out


def _uniq(seq: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(seq))


def _vnames(stmts: list[Statement]) -> dict[str, list[str]]:
    """lavaan's variable lists (``lav_partable_vnames``) of the parsed statements."""
    p = [s for s in stmts if s.op not in (":=", "==")]
    lv = _uniq([s.lhs for s in p if s.op == "=~"])
    v_ind = _uniq([s.rhs for s in p if s.op == "=~"])
    eqs_y = _uniq([s.lhs for s in p if s.op == "~"])
    eqs_x = _uniq([s.rhs for s in p if s.op == "~"])
    ov_ind = [v for v in v_ind if v not in lv]
    ov_y_all = [v for v in eqs_y if v not in lv and v not in ov_ind]
    ov_x_all = [v for v in eqs_x if v not in lv and v not in ov_ind and v not in ov_y_all]
    tmp = ov_ind + ov_y_all + ov_x_all
    extra = _uniq([s.lhs for s in p if s.op == "~~" and s.lhs not in lv]
                  + [s.rhs for s in p if s.op == "~~" and s.rhs not in lv]
                  + [s.lhs for s in p if s.op in ("~1", "|") and s.lhs not in lv])
    ov = tmp + [v for v in extra if v not in tmp]
    in_user_cov = {s.lhs for s in p if s.op in ("~1", "~~")} | {s.rhs for s in p if s.op == "~~"}
    ov_x = [v for v in ov_x_all if v not in in_user_cov]
    ov_nox = [v for v in ov if v not in ov_x]
    lv_x = [f for f in lv if f not in v_ind and f not in eqs_y]
    ov_y = [v for v in ov if v in eqs_y and v not in v_ind and v not in eqs_x and v not in lv]
    lv_y = [f for f in lv if f in eqs_y and f not in v_ind and f not in eqs_x]
    ov_ord = [v for v in ov if v in {s.lhs for s in p if s.op == "|"}]
    return {"lv": lv, "ov": ov, "ov_ind": ov_ind, "ov_x": ov_x, "ov_nox": ov_nox, "lv_x": lv_x,
            "ov_y": ov_y, "lv_y": lv_y, "ov_ord": ov_ord}


def _group_equal_kind(op: str, lhs: str, rhs: str, lv: list[str]) -> str | None:
    if op == "=~":
        return "loadings"
    if op == "~":
        return "regressions"
    if op == "~1":
        return "means" if lhs in lv else "intercepts"
    if op == "~~":
        if lhs in lv:
            return "lv.variances" if lhs == rhs else "lv.covariances"
        return "residuals" if lhs == rhs else "residual.covariances"
    if op == "|":
        return "thresholds"
    return None


def _per_group(vals: list, g: int, ngroups: int, what: str, name: str) -> Any:
    """The modifier value for group g (1-based): one value for all groups, or one per group."""
    if len(vals) == 1:
        return vals[0]
    if len(vals) != ngroups:
        raise ModelError(f"model {name!r}: {what} has {len(vals)} values but the model has "
                         f"{ngroups} group(s)")
    return vals[g - 1]


def lavaanify(syntax: str, name: str = "model", *, ngroups: int = 1, meanstructure: bool | None = None,
              std_lv: bool = False, fixed_x: bool = True, missing: str = "listwise",
              group_equal: Sequence[str] = (), group_partial: Sequence[str] = (),
              orthogonal: bool = False, ordered: Mapping[str, int] | None = None) -> ParTable:
    """Model syntax → parameter table with lavaan ``sem()``/``cfa()``'s automatic settings.

    What the user did not write is added as lavaan does (``auto.var``, ``auto.fix.first``,
    ``auto.fix.single``, ``auto.cov.lv.x``, ``auto.cov.y``, ``int.ov.free``): residual
    variances of every observed variable that is not fixed exogenous and variances of every
    factor, free; the first loading of each factor fixed to 1 (unless ``std_lv``: then the
    factor variances are fixed to 1 and every loading is free); covariances among exogenous
    factors and among pure dependent variables (observed or latent: regressed on something,
    predicting nothing, indicating nothing), free; with ``fixed_x`` the variances and
    covariances (and means) of exogenous observed predictors are fixed at their sample values
    (``exo`` = 1; filled in when the model is fitted). With a mean structure (``~1`` in the
    syntax, several groups, or FIML) observed intercepts are free and latent means fixed to 0,
    except in groups 2, 3, … when intercepts are held equal and means are not.

    Equality: a label shared by several parameters, ``==`` statements, and ``group_equal``
    (kinds :data:`GROUP_EQUAL_KINDS`; the rows get the label of group 1's parameter, its
    ``plabel``) except the parameters named in ``group_partial`` (``"x3 ~ 1"``,
    ``"f =~ x2"``). As lavaan, every equality becomes an ``==`` row (``user`` 2 for the
    implicit ones).

    Parameters
    ----------
    syntax : str
        lavaan model syntax (see :func:`parse_statements`).
    name : str
        Model name for messages.
    ngroups : int
        Number of groups (the table repeats per group, ``block`` = ``group``).
    meanstructure : bool, optional
        Default: as lavaan (``~1`` in the syntax, ``ngroups > 1`` or ``missing="fiml"``).
    std_lv, fixed_x, orthogonal : bool
        lavaan's ``std.lv``, ``fixed.x``, ``orthogonal``.
    missing : {"listwise", "fiml"}
        Only decides the default mean structure here.
    ordered : mapping of str to int, optional
        Ordered (ordinal) observed variables and their number of thresholds (categories − 1),
        lavaan's ``ordered =``: as lavaan's delta parameterisation, free thresholds
        ``x | t1 …`` (first in the defaults), residual variances fixed to 1, scale rows
        ``x ~*~ x`` fixed to 1 (free in groups 2, … when thresholds are held equal),
        intercepts fixed to 0, and a mean structure. The table is lavaan's; estimating it
        needs an ordinal estimator (not in this module).
    group_equal, group_partial : sequence of str
        lavaan's ``group.equal``, ``group.partial``.

    Returns
    -------
    ParTable

    Raises
    ------
    ModelError
        Unreadable or unsupported syntax, unknown ``group_equal`` kinds, an unreadable
        ``group_partial`` entry, a modifier vector of the wrong length.

    Examples
    --------
    R: ``lavaan::lavaanify(model, auto = TRUE)`` / ``parTable(sem(model, data))``.

    >>> pt = lavaanify("f =~ x1 + a*x2 + a*x3")
    >>> pt.rows[["lhs", "op", "rhs", "free", "label"]].head(3).values.tolist()
    [['f', '=~', 'x1', 0, ''], ['f', '=~', 'x2', 1, 'a'], ['f', '=~', 'x3', 2, 'a']]
    >>> pt.constraints[["lhs", "op", "rhs", "user"]].values.tolist()
    [['.p2.', '==', '.p3.', 2]]
    """
    bad = [k for k in group_equal if k not in GROUP_EQUAL_KINDS]
    if bad:
        raise ModelError(f"model {name!r}: unknown group_equal kind(s) {', '.join(bad)}; "
                         f"known: {', '.join(GROUP_EQUAL_KINDS)}")
    stmts = parse_statements(syntax, name)
    par = [s for s in stmts if s.op not in (":=", "==")]
    cons = [s for s in stmts if s.op in (":=", "==")]
    if not par:
        raise ModelError(f"model {name!r}: no parameters (only := or == statements)")
    vn = _vnames(stmts)
    lv, ov = vn["lv"], vn["ov"]
    ordered = dict(ordered or {})
    unknown = [v for v in ordered if v not in ov]
    if unknown:
        raise ModelError(f"model {name!r}: ordered variable(s) {', '.join(unknown)} are not observed "
                         "variables of the model")
    ov_ord = [v for v in ov if v in ordered or v in vn["ov_ord"]]
    for v in vn["ov_ord"]:
        if v not in ordered:
            ordered[v] = sum(1 for s in par if s.op == "|" and s.lhs == v)
    clash = [v for v in vn["ov"] if v in lv]
    if clash:
        raise ModelError(f"model {name!r}: {', '.join(clash)} used as observed and latent")
    for s in par:
        if s.op == "=~" and s.rhs == s.lhs:
            raise ModelError(f"model {name!r}: factor {s.lhs!r} loads on itself in {s.text!r}")
    ov_x = vn["ov_x"] if fixed_x else []
    ov_nox = [v for v in ov if v not in ov_x]
    if meanstructure is None:
        meanstructure = (any(s.op == "~1" for s in par) or ngroups > 1 or missing == "fiml"
                         or bool(ov_ord))

    # user rows (duplicates ignored, as lavaan warns), then lavaan's defaults for what is left
    def key(lhs: str, op: str, rhs: str) -> tuple:
        return (op, *sorted((lhs, rhs))) if op == "~~" else (op, lhs, rhs)

    user: list[tuple[str, str, str, Modifier | None]] = []
    seen: set[tuple] = set()
    for s in par:
        k = key(s.lhs, s.op, s.rhs)
        if k in seen:
            continue
        seen.add(k)
        user.append((s.lhs, s.op, s.rhs, s.mod))
    lv_x = [f for f in vn["lv_x"]]
    lvov_y = vn["lv_y"] + vn["ov_y"]
    default: list[tuple[str, str, str]] = [(v, "|", f"t{k}") for v in ov_ord for k in range(1, int(ordered[v]) + 1)]
    default += [(v, "~~", v) for v in ov_nox] + [(f, "~~", f) for f in lv]
    if len(lv_x) > 1:
        default += [(a, "~~", b) for a, b in combinations(lv_x, 2)]
    if len(lvov_y) > 1:
        default += [(a, "~~", b) for a, b in combinations(lvov_y, 2)]
    nx = len(ov_x)
    default += [(ov_x[j], "~~", ov_x[i]) for j in range(nx) for i in range(j, nx)]
    default += [(v, "~*~", v) for v in ov_ord]
    if meanstructure:
        default += [(v, "~1", "") for v in ov] + [(f, "~1", "") for f in lv]
    default = [d for d in default if key(*d) not in seen]

    base = []      # (lhs, op, rhs, user, free(bool), ustart, exo, mod)
    for lhs, op, rhs, mod in user:
        base.append([lhs, op, rhs, 1, True, math.nan, 0, mod])
    for lhs, op, rhs in default:
        base.append([lhs, op, rhs, 0, True, math.nan, 0, None])
    ov_x_set, lv_set, ord_set = set(ov_x), set(lv), set(ov_ord)
    singles = {}
    for lhs, op, rhs, *_ in base:
        if op == "=~":
            singles.setdefault(lhs, []).append(rhs)
    rhs_count: dict[str, int] = {}
    for lhs, op, rhs, *_ in base:
        if op == "=~":
            rhs_count[rhs] = rhs_count.get(rhs, 0) + 1
    single_ind = {inds[0] for f, inds in singles.items() if len(inds) == 1 and inds[0] != f
                  and rhs_count.get(inds[0], 0) == 1}
    first_seen: set[str] = set()
    for r in base:
        lhs, op, rhs, usr = r[0], r[1], r[2], r[3]
        if op == "~~" and lhs == rhs and usr == 0 and lhs in single_ind:
            r[4], r[5] = False, 0.0                        # auto.fix.single
        if std_lv and op == "~~" and lhs == rhs and lhs in lv_set:
            r[4], r[5] = False, 1.0
        if not std_lv and op == "=~" and lhs not in first_seen:
            first_seen.add(lhs)
            r[4], r[5] = False, 1.0                        # auto.fix.first
        if orthogonal and op == "~~" and lhs != rhs and lhs in lv_set and rhs in lv_set and usr == 0:
            r[4], r[5] = False, 0.0
        if meanstructure and op == "~1" and usr == 0 and lhs in lv_set:
            r[4], r[5] = False, 0.0                        # int.lv.free = FALSE
        if op == "~~" and usr == 0 and lhs in ov_x_set and rhs in ov_x_set:
            r[4], r[5], r[6] = False, math.nan, 1          # fixed.x
        if op == "~1" and usr == 0 and lhs in ov_x_set:
            r[4], r[5], r[6] = False, math.nan, 1
        if lhs in ord_set and usr == 0 and ((op == "~~" and lhs == rhs) or op == "~*~"):
            r[4], r[5] = False, 1.0                        # delta parameterisation
        if lhs in ord_set and usr == 0 and op == "~1":
            r[4], r[5] = False, 0.0

    # repeat per group; lavaan frees latent means of groups 2.. when intercepts are equal
    rows = []
    for g in range(1, ngroups + 1):
        for lhs, op, rhs, usr, free, ustart, exo, mod in base:
            label = ""
            if (g > 1 and meanstructure and op == "~1" and lhs in lv_set and usr == 0
                    and ("intercepts" in group_equal or "thresholds" in group_equal)
                    and "means" not in group_equal):
                free, ustart = True, math.nan
            if g > 1 and op == "~*~" and usr == 0 and "thresholds" in group_equal:
                free, ustart = True, math.nan
            if (g > 1 and std_lv and "loadings" in group_equal and "lv.variances" not in group_equal
                    and op == "~~" and lhs == rhs and lhs in lv_set and usr == 0):
                free, ustart = True, math.nan
            if mod is not None:
                where = f"{lhs} {op} {rhs}"
                if mod.fixed is not None:
                    v = _per_group(mod.fixed, g, ngroups, f"modifier of {where}", name)
                    free, ustart = (True, math.nan) if v is None else (False, float(v))
                if mod.start is not None:
                    v = _per_group(mod.start, g, ngroups, f"start() of {where}", name)
                    ustart = math.nan if v is None else float(v)
                if mod.label is not None:
                    label = _per_group(mod.label, g, ngroups, f"label of {where}", name)
            rows.append({"lhs": lhs, "op": op, "rhs": rhs, "user": usr, "block": g, "group": g,
                         "free": free, "ustart": ustart, "exo": exo, "label": label})
    n = len(rows)
    for k, r in enumerate(rows):
        r["id"] = k + 1
        r["plabel"] = f".p{k + 1}."

    # equality: group.equal labels (group 1's plabel), then shared labels → == rows
    partial = set()
    for entry in group_partial:
        ps = parse_statements(entry, name)
        if len(ps) != 1:
            raise ModelError(f"model {name!r}: cannot read group_partial entry {entry!r}")
        partial.add(key(ps[0].lhs, ps[0].op, ps[0].rhs))
    eq_label = [r["label"] for r in rows]
    if ngroups > 1 and group_equal:
        ref: dict[tuple, dict] = {}
        for r in rows:
            k = key(r["lhs"], r["op"], r["rhs"])
            kind = _group_equal_kind(r["op"], r["lhs"], r["rhs"], lv)
            if kind not in group_equal or k in partial or not r["free"] or r["label"]:
                continue
            if r["group"] == 1:
                ref[k] = r
            elif k in ref:
                eq_label[r["id"] - 1] = ref[k]["plabel"]
                eq_label[ref[k]["id"] - 1] = ref[k]["plabel"]
    cons_rows = []
    for s in cons:
        cons_rows.append({"lhs": s.lhs, "op": s.op, "rhs": s.rhs, "user": 1})
    label_rows = {}
    for k, lab in enumerate(eq_label):
        if lab:
            label_rows.setdefault(lab, []).append(k)
    for lab, idx in label_rows.items():
        if len(idx) < 2:
            continue
        fixed = [k for k in idx if not rows[k]["free"]]
        if fixed:
            val = rows[fixed[0]]["ustart"]
            for k in idx:
                rows[k]["free"], rows[k]["ustart"] = False, val
            continue
        for k in idx[1:]:
            cons_rows.append({"lhs": rows[idx[0]]["plabel"], "op": "==", "rhs": rows[k]["plabel"], "user": 2})
        for k in idx:
            if not rows[k]["label"]:
                rows[k]["label"] = rows[idx[0]]["plabel"]
    nfree = 0
    for r in rows:
        if r["free"]:
            nfree += 1
            r["free"] = nfree
        else:
            r["free"] = 0
    for k, c in enumerate(cons_rows):
        rows.append({"id": n + k + 1, "lhs": c["lhs"], "op": c["op"], "rhs": c["rhs"], "user": c["user"],
                     "block": 0, "group": 0, "free": 0, "ustart": math.nan, "exo": 0,
                     "label": c["lhs"] if c["op"] == ":=" else "", "plabel": ""})
    table = pd.DataFrame(rows, columns=PARTABLE_COLUMNS)
    return ParTable(rows=table, ov=ov, lv=lv, ov_x=ov_x, ov_ind=vn["ov_ind"],
                    meanstructure=bool(meanstructure), ngroups=ngroups, syntax=syntax, name=name,
                    ov_ord=ov_ord)
