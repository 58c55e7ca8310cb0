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
