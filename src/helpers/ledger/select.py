"""Selecting ledger rows: by quantity prefix, and the place a locator belongs to."""

from __future__ import annotations

from typing import Sequence

import pandas as pd


def locator_family(locator: str) -> str:
    """The place a locator belongs to: ``"Table 1 / Sex: Male"`` -> ``"Table 1"``."""
    return str(locator).split(" / ", 1)[0].strip()


def with_prefix(df: pd.DataFrame, prefix: str | Sequence[str] | None) -> pd.DataFrame:
    """Rows whose ``quantity`` starts with ``prefix`` (a string or several); all rows for None."""
    if prefix is None or df.empty:
        return df
    prefixes = (prefix,) if isinstance(prefix, str) else tuple(prefix)
    return df[df["quantity"].astype(str).str.startswith(prefixes)]


def records(df: pd.DataFrame) -> list[dict]:
    """The rows of ``df`` as dicts of plain values (column -> value), in order: what a per-row
    loop should iterate over instead of ``DataFrame.iterrows`` (which builds a Series per row,
    about a hundred times slower on a large ledger)."""
    cols = list(df.columns)
    return [dict(zip(cols, vals)) for vals in zip(*(df[c].tolist() for c in cols))] \
        if cols else [{} for _ in range(len(df))]
