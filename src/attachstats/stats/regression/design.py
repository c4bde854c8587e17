"""Design matrices of regression models, shared by OLS, GLMs and the outcome models.

Models are specified by column names, never by formula strings: nothing from a config file
is evaluated as Python or patsy code. :func:`build_design` turns the columns into a design
matrix with pandas (R: ``model.matrix(lm(...))``), :func:`aliased_columns` finds the
columns R's ``lm`` would report as ``NA`` (aliased), and :data:`INTERCEPT` is the
intercept's name.

Design-matrix conventions (and their R names):

- the intercept is always included and is called ``(Intercept)``, as in R;
- a numeric (non-boolean) column enters as it is, under its own name (R writes names that
  are not syntactic in backticks, e.g. `` `anx score` ``; here it is just ``anx score``);
- a string, object, categorical or boolean column becomes treatment (dummy) contrasts.
  The reference is the first level: for string/object columns the first in Python's
  sorted order (code-point order, which equals R's ``factor()`` ordering in the C locale and
  for lower-case labels in any locale); for a pandas ``Categorical`` the first of its
  ``categories`` in their declared order, like R's factor levels; for booleans ``False``.
  Levels that do not occur in the estimation sample are dropped, as ``lm`` does. A dummy is
  named ``column[T.level]``; R's ``lm`` names the same coefficient ``columnlevel``
  (``gender[T.male]`` here is ``gendermale`` in R, ``flag[T.True]`` is ``flagTRUE``).

Rows with a missing value in the outcome or in any predictor are dropped (listwise
deletion, as ``lm``'s default ``na.action = na.omit``); their number is reported as
``n_missing``.
"""

from __future__ import annotations

import difflib
from typing import Any, Sequence

import numpy as np
import pandas as pd

from attachstats.errors import ModelError

__all__ = ["INTERCEPT", "SAMPLE_COLUMNS", "build_design", "aliased_columns", "complete_rows"]

#: Name of the intercept term (as in R).
INTERCEPT = "(Intercept)"
#: Columns of ``tables/model_samples.csv``.
SAMPLE_COLUMNS = ["model", "analysis", "reason", "variable", "n"]


def _available(data: pd.DataFrame) -> str:
    return ", ".join(repr(str(c)) for c in data.columns)


def _check_spec(data: Any, outcome: Any, predictors: Any, name: Any) -> list[str]:
    if not isinstance(name, str) or not name:
        raise ModelError(f"model name must be a non-empty string, got {name!r}")
    if not isinstance(data, pd.DataFrame):
        raise ModelError(f"model {name!r}: data must be a pandas DataFrame, "
                         f"got {type(data).__name__}")
    if not isinstance(outcome, str):
        raise ModelError(f"model {name!r}: outcome must be one column name, got {outcome!r}")
    if isinstance(predictors, (str, bytes, dict)) or not hasattr(predictors, "__iter__"):
        raise ModelError(f"model {name!r}: predictors must be a list of column names, "
                         f"got {predictors!r}")
    preds = list(predictors)
    bad = [p for p in preds if not isinstance(p, str)]
    if bad:
        raise ModelError(f"model {name!r}: predictors must be column names (strings), "
                         f"got {bad[0]!r}")
    dups = sorted({p for p in preds if preds.count(p) > 1})
    if dups:
        raise ModelError(f"model {name!r}: predictor(s) listed twice: "
                         f"{', '.join(map(repr, dups))}")
    if outcome in preds:
        raise ModelError(f"model {name!r}: the outcome {outcome!r} is also listed as a predictor")
    if INTERCEPT in preds:
        raise ModelError(f"model {name!r}: a predictor may not be named {INTERCEPT!r}")
    needed = [outcome] + preds
    missing = [c for c in needed if c not in data.columns]
    if missing:
        hints = []
        for c in missing:
            close = difflib.get_close_matches(c, [str(x) for x in data.columns], n=1)
            if close:
                hints.append(f"{c!r} -> did you mean {close[0]!r}?")
        hint = (" (" + "; ".join(hints) + ")") if hints else ""
        which = "column" if len(missing) == 1 else "columns"
        raise ModelError(f"model {name!r}: {which} {', '.join(map(repr, missing))} not in the "
                         f"data{hint}; available columns: {_available(data)}")
    repeated = [c for c in needed if isinstance(data[c], pd.DataFrame)]
    if repeated:
        raise ModelError(f"model {name!r}: the data has more than one column named "
                         f"{repeated[0]!r}")
    return preds


def _is_categorical(s: pd.Series) -> bool:
    dt = s.dtype
    return (isinstance(dt, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dt)
            or pd.api.types.is_string_dtype(dt) or pd.api.types.is_object_dtype(dt))


def _levels(s: pd.Series, name: str, column: str) -> list[Any]:
    """Levels of a categorical predictor in the estimation sample, reference first."""
    observed = pd.unique(s.dropna())
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(observed)
        return [c for c in s.cat.categories if c in present]
    values = list(observed)
    try:
        return sorted(values)
    except TypeError:
        kinds = sorted({type(v).__name__ for v in values})
        raise ModelError(f"model {name!r}: column {column!r} mixes value types "
                         f"({', '.join(kinds)}); convert it to one type (e.g. strings)") from None


def build_design(data: pd.DataFrame, outcome: str, predictors: Sequence[str],
                 name: str) -> tuple[pd.Series, pd.DataFrame, int]:
    """Build the outcome vector and design matrix of a linear model from column names.

    Parameters
    ----------
    data : pandas.DataFrame
        The data; column names may contain spaces or symbols.
    outcome : str
        Numeric outcome column.
    predictors : list of str
        Predictor columns; numeric columns enter as they are, string/object/categorical/
        boolean columns as treatment dummies (see the module docstring).
    name : str
        Model name, used in error messages.

    Returns
    -------
    y : pandas.Series
        Outcome on the complete rows (float).
    X : pandas.DataFrame
        Design matrix on the same rows: ``(Intercept)``, then the predictors in the given
        order, a categorical one as ``column[T.level]`` dummies in level order.
    n_missing : int
        Rows dropped for a missing outcome or predictor.

    ``X.attrs["groups"]`` maps each predictor to its design columns (one for a numeric
    predictor, the dummies of a categorical one).

    Raises
    ------
    attachstats.errors.ModelError
        A column is absent (the message names it and lists the available ones), the
        outcome is not numeric, a column has an unsupported type or infinite values, a
        categorical predictor has fewer than two levels among the complete rows, or a
        column is a linear combination of the others.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, None],
    ...                    "anx score": [0.5, 1.5, 1.0, 2.0],
    ...                    "gender": ["male", "female", "other", "male"]})
    >>> y, X, n_missing = build_design(df, "y", ["anx score", "gender"], "m1")
    >>> list(X.columns), n_missing
    (['(Intercept)', 'anx score', 'gender[T.male]', 'gender[T.other]'], 1)
    """
    preds = _check_spec(data, outcome, predictors, name)
    ys = data[outcome]
    if not (pd.api.types.is_numeric_dtype(ys.dtype) or pd.api.types.is_bool_dtype(ys.dtype)):
        raise ModelError(f"model {name!r}: the outcome {outcome!r} must be numeric, "
                         f"found dtype {ys.dtype}")
    kinds: dict[str, str] = {}
    for p in preds:
        s = data[p]
        if _is_categorical(s):
            kinds[p] = "categorical"
        elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_complex_dtype(s.dtype):
            kinds[p] = "numeric"
        else:
            raise ModelError(f"model {name!r}: predictor {p!r} has dtype {s.dtype}, which is "
                             "neither numeric nor categorical; convert it first")
    used = data[[outcome] + preds]
    complete = used.notna().all(axis=1).to_numpy()
    n_missing = int((~complete).sum())
    rows = data.index[complete]

    y = pd.Series(ys.to_numpy(dtype="float64", na_value=np.nan)[complete], index=rows,
                  name=outcome)
    cols: dict[str, np.ndarray] = {INTERCEPT: np.ones(int(complete.sum()))}
    groups: dict[str, list[str]] = {}
    for col, kind in [(outcome, "numeric")] + [(p, kinds[p]) for p in preds]:
        before = len(cols)
        if kind == "numeric":
            v = data[col].to_numpy(dtype="float64", na_value=np.nan)[complete]
            if np.isinf(v).any():
                raise ModelError(f"model {name!r}: column {col!r} holds infinite values")
            if col != outcome:
                if col in cols:
                    raise ModelError(f"model {name!r}: two terms would both be named {col!r}; "
                                     "rename a column")
                cols[col] = v
                groups[col] = [col]
            continue
        s = data[col][complete]
        levels = _levels(s, name, col)
        if len(levels) < 2:
            only = f" (only {levels[0]!r})" if levels else ""
            raise ModelError(f"model {name!r}: categorical predictor {col!r} has fewer than "
                             f"two levels among the {int(complete.sum())} complete rows{only}")
        values = s.to_numpy(dtype=object)
        for lev in levels[1:]:
            term = f"{col}[T.{lev}]"
            if term in cols:
                raise ModelError(f"model {name!r}: two terms would both be named {term!r}; "
                                 "rename a column")
            cols[term] = np.asarray(values == lev, dtype="float64")
        groups[col] = list(cols)[before:]
    X = pd.DataFrame(cols, index=rows)
    X.attrs["groups"] = groups
    return y, X, n_missing


def aliased_columns(X: np.ndarray) -> list[int]:
    """Columns that are linear combinations of earlier columns (R's NA coefficients).

    As R's ``lm`` (LINPACK ``dqrdc2`` with ``tol = 1e-7``): in a QR decomposition of the
    columns scaled to unit length, in their order, a column whose remaining part ``|R_jj|``
    is below 1e-7 adds no new direction. One QR of the design, whatever its length.

    Parameters
    ----------
    X : ndarray (n, p)
        Design matrix, columns in model order.

    Returns
    -------
    list of int
        Positions of the aliased columns (empty when the design has full rank).

    Examples
    --------
    >>> aliased_columns(np.array([[1., 1., 2.], [1., 2., 3.], [1., 3., 4.]]))
    [2]
    """
    scale = np.linalg.norm(X, axis=0)
    scale[scale == 0] = 1.0
    r = np.linalg.qr(X / scale, mode="r")
    return [j for j in range(X.shape[1]) if abs(r[j, j]) < 1e-7]


def complete_rows(data: pd.DataFrame, variables: Sequence[str], model: str, analysis: str) -> tuple[np.ndarray, pd.DataFrame]:
    """Rows complete on ``variables`` and why the others are not.

    Returns
    -------
    mask : numpy.ndarray of bool
        True for rows with every variable present.
    samples : pandas.DataFrame
        Columns :data:`SAMPLE_COLUMNS`: one ``used`` row (``n`` = rows kept) and one
        ``missing`` row per variable that is the first missing one (in ``variables``
        order) of some excluded row; the ``n`` add up to ``len(data)``.

    R: ``complete.cases(data[variables])`` with the exclusions counted.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1.0, None, 3.0], "x": [None, None, 2.0]})
    >>> mask, samples = complete_rows(df, ["y", "x"], "m1", "outcome_model")
    >>> mask.tolist(), samples["n"].tolist()
    ([False, False, True], [1, 1, 1])
    """
    missing = [v for v in variables if v not in data.columns]
    if missing:
        raise ModelError(f"model {model!r}: column(s) {', '.join(map(repr, missing))} not in the data; "
                         f"available: {', '.join(map(repr, map(str, data.columns)))}")
    na = data[list(variables)].isna().to_numpy()
    mask = ~na.any(axis=1)
    rows = [{"model": model, "analysis": analysis, "reason": "used", "variable": "", "n": int(mask.sum())}]
    first = np.where(na.any(axis=1), na.argmax(axis=1), -1)
    for j, v in enumerate(variables):
        k = int((first == j).sum())
        if k:
            rows.append({"model": model, "analysis": analysis, "reason": "missing", "variable": v, "n": k})
    return mask, pd.DataFrame(rows, columns=SAMPLE_COLUMNS)
