"""The one factory that maps a scalar check over a DataFrame (the ``*_map`` functions of scrutiny).

A scalar check takes printed values as text (so trailing zeros survive) and returns a
:class:`helpers.core.findings.Result`. :func:`make_map` turns it into ``*_map(df, ...)``: the input
rows with ``verdict``, ``category``, ``expected``, ``explanation`` and ``assumptions`` columns
(plus one column per entry of ``Result.values`` that the check names in ``values``). A missing
column, or an empty or unparsable cell in a required column, stops with a message naming the row
(line = row position + 2, as in a CSV file with a header) and the column; an empty cell in an
optional column is passed as ``None`` and the scalar check decides (usually "not testable").

Example
-------
>>> from helpers.checks.arithmetic import percent_count_result          # doctest: +SKIP
>>> percent_count_map = make_map(percent_count_result,
...                              columns={"x": "percent", "count": "count", "n": "denominator"},
...                              constants=("rule",))                  # doctest: +SKIP
>>> percent_count_map(df, rule="half_up")                             # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
from typing import Callable, Sequence

import pandas as pd

from ..core.errors import InputError
from ..core.findings import Result
from ..core.printed import parse_printed

RESULT_COLUMNS = ("verdict", "category", "expected", "explanation", "assumptions")


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _parses(text: str) -> bool:
    try:
        parse_printed(text)
    except ValueError:
        return bool(re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", str(text).strip()))
    return True


def map_check(check: Callable[..., Result], df: pd.DataFrame, source: str = "data frame", *,
              columns: dict[str, str], optional: Sequence[str] = (), constants: dict | None = None,
              values: Sequence[str] = ()) -> pd.DataFrame:
    """``check`` applied to every row of ``df``.

    Parameters
    ----------
    check : callable returning :class:`Result`
        The scalar check.
    df : DataFrame
        One row per item.
    source : str
        What ``df`` is, for error messages (a file name).
    columns : dict
        Argument of ``check`` -> column of ``df``.
    optional : sequence of str
        Arguments whose empty cells are passed as ``None`` instead of stopping.
    constants : dict
        Arguments that are the same for every row (``{"rule": "half_up"}``).
    values : sequence of str
        Keys of ``Result.values`` to add as columns.

    Returns
    -------
    DataFrame
        ``df`` (index reset) with the result columns appended.
    """
    for arg, col in columns.items():
        if col not in df.columns and arg not in optional:
            raise InputError(source, "missing required column", field=col)
    const = dict(constants or {})
    recs = []
    for i, (_, row) in enumerate(df.iterrows()):
        kwargs = dict(const)
        for arg, col in columns.items():
            value = row[col] if col in df.columns else None
            if _blank(value):
                if arg in optional:
                    kwargs[arg] = None
                    continue
                raise InputError(source, "required field is empty", line=i + 2, field=col,
                                 row_id=str(row.get("row_id", "")) or None)
            kwargs[arg] = value.item() if hasattr(value, "item") else value
        try:
            res = check(**kwargs)
        except (ValueError, TypeError, ArithmeticError) as exc:
            bad = next((col for arg, col in columns.items() if isinstance(kwargs.get(arg), str)
                        and not _parses(kwargs[arg])), None)
            raise InputError(source, str(exc), line=i + 2, field=bad,
                             row_id=str(row.get("row_id", "")) or None) from None
        if not isinstance(res, Result):
            raise TypeError(f"{getattr(check, '__name__', check)} returned "
                            f"{type(res).__name__}, not Result")
        rec = {"verdict": res.verdict, "category": res.category, "expected": res.expected,
               "explanation": res.explanation, "assumptions": "; ".join(res.assumptions)}
        for key in values:
            rec[key] = res.values.get(key)
        recs.append(rec)
    out = pd.DataFrame(recs, columns=[*RESULT_COLUMNS, *values], index=range(len(df)))
    return pd.concat([df.reset_index(drop=True), out], axis=1)


def make_map(check: Callable[..., Result], *, columns: dict[str, str],
             optional: Sequence[str] = (), constants: Sequence[str] = (),
             values: Sequence[str] = (), name: str | None = None) -> Callable[..., pd.DataFrame]:
    """Make the ``*_map`` function of a scalar check (see :func:`map_check`).

    The returned function takes ``(df, *, source="data frame", **kwargs)``: ``kwargs`` either
    rename a column (``x="pct"``) or give a constant named in ``constants`` (``rule="truncate"``).
    """
    const_names = tuple(constants)

    def mapped(df: pd.DataFrame, *args, source: str = "data frame", **kwargs) -> pd.DataFrame:
        cols = dict(columns)
        const = {}
        for pos, value in zip(const_names, args):
            const[pos] = value
        for key, value in kwargs.items():
            if key in const_names:
                const[key] = value
            elif key in cols:
                cols[key] = value
            else:
                raise TypeError(f"{mapped.__name__}() got an unexpected argument '{key}'")
        return map_check(check, df, source, columns=cols, optional=optional, constants=const,
                         values=values)

    base = name or getattr(check, "__name__", "check").removesuffix("_result") + "_map"
    mapped.__name__ = mapped.__qualname__ = base
    mapped.__doc__ = (f"``{getattr(check, '__name__', 'check')}`` for every row of ``df`` "
                      f"(columns {dict(columns)}); see :func:`helpers.checks.mapping.map_check`.")
    return mapped
