"""Read-only views of a ledger for the notebooks: the printed numbers as a reviewer reads them.

Rows are selected by table and by the ``quantity`` prefixes documented in
``data/published/README.md`` (``baseline.``, ``response.``, ...), so the views work for any study.
"""

from __future__ import annotations

import pandas as pd

from .load import Ledger

_SHOW = ["row_id", "quantity", "source", "locator", "printed"]


def _with_prefix(df: pd.DataFrame, prefix: str) -> pd.DataFrame:
    return df[df["quantity"].str.startswith(prefix)]


def baseline_counts(ledger: Ledger) -> pd.DataFrame:
    df = _with_prefix(ledger.counts, "baseline.")
    return df[["variable", "level", "count", "percent", "denominator", "population", "locator",
               "source", "printed"]].reset_index(drop=True)


def baseline_summaries(ledger: Ledger) -> pd.DataFrame:
    df = _with_prefix(ledger.summaries, "baseline.")
    return df[["variable", "unit", "statistic", "center", "sd", "low", "high", "n", "locator",
               "source", "printed"]].reset_index(drop=True)


def response_counts(ledger: Ledger) -> pd.DataFrame:
    df = _with_prefix(ledger.counts, "response.")
    return df[["quantity", "level", "role", "count", "percent", "denominator", "population",
               "locator", "source", "printed"]].reset_index(drop=True)


def survival_medians(ledger: Ledger) -> pd.DataFrame:
    return ledger.survival[["quantity", "endpoint", "statistic", "center", "ci_low", "ci_high",
                            "ci_level", "unit", "n", "locator", "source"]].reset_index(drop=True)


def hazard_ratio_table(ledger: Ledger) -> pd.DataFrame:
    """Table 3 laid out as printed: one line per level, univariable and multivariable side by side."""
    hr = ledger.hazard_ratios
    if hr.empty:
        return pd.DataFrame()
    key = ["endpoint", "variable", "level", "reference"]
    cols = ["role", "hr", "ci_low", "ci_high", "p", "locator"]
    uni = hr[hr["model"] == "univariable"][key + cols]
    multi = hr[hr["model"] == "multivariable"][key + cols]
    wide = uni.merge(multi, on=key, how="outer", suffixes=("_uni", "_multi"), sort=False)
    return wide.fillna("").reset_index(drop=True)


def direction_statements(ledger: Ledger) -> pd.DataFrame:
    return ledger.statements[["kind", "endpoint", "variable", "level", "locator", "source",
                              "printed"]].reset_index(drop=True)


def adverse_event_table(ledger: Ledger) -> pd.DataFrame:
    return ledger.adverse_events[["event", "grade_band", "role", "count", "percent", "denominator",
                                  "locator", "source", "printed"]].reset_index(drop=True)


def estimates(ledger: Ledger) -> pd.DataFrame:
    """The printed HR estimates (role ``estimate``) of a ledger, in ledger order."""
    hr = ledger.hazard_ratios
    if hr.empty:
        return hr.copy()
    return hr[hr["role"] == "estimate"].reset_index(drop=True)


def row_label(row) -> str:
    """A hazard-ratio row as a reader names it: ``Age: <60 vs >=60 (univariable, PFS)``."""
    return f"{row['variable']}: {row['level']} vs {row['reference']} ({row['model']}, {row['endpoint']})"
