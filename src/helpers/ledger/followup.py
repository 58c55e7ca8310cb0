"""Potential follow-up of a study: its accrual window and data cut-off as printed in the ledger.

:func:`study_followup` reads the accrual window and the data cut-off (``design.csv``, else
``study.yaml``) and returns a :class:`FollowUp`: potential follow-up uniform on [min_fu, max_fu]
under uniform accrual. Used by the survival-median checks and by the synthetic-cohort simulator
(which must not depend on a checks module).
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date

import numpy as np

from ..core.dates import date_edge
from ..core.units import DAYS_PER_UNIT
from .load import Ledger


def _text(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return str(x).strip()


def span(start: date, end: date, unit: str = "months") -> float:
    """Time from ``start`` to ``end`` in ``unit`` (months of 365.25/12 days)."""
    if unit not in DAYS_PER_UNIT:
        raise ValueError(f"unknown time unit '{unit}' (one of {sorted(DAYS_PER_UNIT)})")
    return (end - start).days / DAYS_PER_UNIT[unit]


@dataclass(frozen=True)
class FollowUp:
    """Potential follow-up under uniform accrual: uniform on [min_fu, max_fu] (in ``unit``)."""

    accrual_start: str
    accrual_end: str
    cutoff: str
    unit: str
    min_fu: float
    max_fu: float
    note: str = ""

    @property
    def accrual_length(self) -> float:
        return self.max_fu - self.min_fu

    def share_beyond(self, t: float) -> float:
        """q(t): the share of patients whose potential follow-up is at least ``t``."""
        if self.accrual_length <= 0:
            return 1.0 if t <= self.min_fu else 0.0
        return float(np.clip((self.max_fu - t) / self.accrual_length, 0.0, 1.0))


def _design_value(ledger: Ledger, parameter: str):
    d = ledger.design
    if d.empty:
        return None
    rows = d[d["parameter"] == parameter]
    return None if rows.empty else rows.iloc[0]


def study_followup(ledger: Ledger) -> FollowUp | None:
    """Accrual window and data cut-off of a study (design.csv, else study.yaml), as potential
    follow-up. Month-only dates are read in the way most favourable to the paper: accrual from the
    first day of its first month to the first day of its last month, cut-off on the last day of its
    month. None when the ledger states no accrual window or no cut-off."""
    unit = str(ledger.meta.get("time_unit", "months"))
    acc = _design_value(ledger, "accrual")
    cut = _design_value(ledger, "data_cutoff")
    a0 = a1 = c = None
    if acc is not None and _text(acc["value_high"]):
        a0, a1 = acc["value"], acc["value_high"]
    elif isinstance(ledger.meta.get("accrual"), (list, tuple)) and len(ledger.meta["accrual"]) == 2:
        a0, a1 = (str(x) for x in ledger.meta["accrual"])
    if cut is not None:
        c = cut["value"]
    elif ledger.meta.get("data_cutoff"):
        c = str(ledger.meta["data_cutoff"])
    if not (a0 and a1 and c):
        return None
    start, end, cutoff = date_edge(a0, "first"), date_edge(a1, "first"), date_edge(c, "last")
    note = ""
    if cutoff < end:
        note = (f"the data cut-off {c} falls before the end of accrual {a1}; accrual is taken to "
                f"stop at the cut-off")
        end = cutoff
    return FollowUp(a0, a1, c, unit, min_fu=span(end, cutoff, unit), max_fu=span(start, cutoff, unit),
                    note=note)
