"""Sampling error of printed rates (family 6): evidence for figures, not a check.

:func:`rate_ci_table` gives the exact (Clopper-Pearson) confidence interval of every printed rate
(:func:`helpers.core.stats.clopper_pearson`; Clopper CJ, Pearson ES 1934, Biometrika 26:404-413).
:func:`alternative_table` lists the rates printed with more than one value: the reference value
(printed most often, a table's first) with its count, and each other value, with where the other
value lies relative to the reference count's exact interval.

Neither is a check and neither produces findings. Two printed values of one rate describe the same
patients, so sampling error cannot explain, let alone excuse, their difference: the contradiction
itself is the finding of the appearances check (:mod:`helpers.checks.appearances`), whatever the
interval says. The interval only helps a reader see how far apart the two values are.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from ..core.rounding import counts_giving
from ..core.stats import clopper_pearson
from ..ledger.load import Ledger
from .appearances import cluster_values
from .policy import percent_rows

__all__ = ["clopper_pearson", "count_for", "rate_ci_table", "alternative_table"]


def count_for(x: str, n: int, rule: str, count: int | None = None) -> tuple[int | None, str]:
    """The count behind a printed percentage: the printed count, else the only integer that gives
    it; when several do (large n) the middle one; None when none does."""
    if count is not None:
        return count, "printed"
    ks = counts_giving(x, n, rule)
    if len(ks) == 1:
        return ks[0], "only count giving the percentage"
    if ks:
        return ks[len(ks) // 2], f"one of {len(ks)} counts giving the percentage"
    return None, "no count gives the percentage"


def rate_ci_table(ledger: Ledger, rule: str, level: float = 0.95,
                  prefix: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Every printed percentage with its count and its exact (Clopper-Pearson) interval, in %.

    Parameters
    ----------
    ledger : Ledger
    rule : str
        Rounding rule used to find the count of a percentage printed without one.
    level : float
        Confidence level of the intervals.
    prefix : str or sequence of str, optional
        Quantity prefixes to keep.

    Returns
    -------
    DataFrame
        ``quantity``, ``item``, ``locator``, ``printed``, ``percent``, ``count``, ``count_from``,
        ``n``, ``ci_low``, ``ci_high`` (None where no count gives the percentage).
    """
    recs = []
    for r in percent_rows(ledger, prefix).to_dict("records"):
        n = r["denominator"]
        k, how = (None, "no denominator") if not n else count_for(r["percent"], n, rule,
                                                                    r["count"])
        lo = hi = None
        if k is not None:
            lo, hi = clopper_pearson(k, n, level)
        recs.append({"quantity": r["quantity"], "item": r["item"], "locator": r["locator"],
                     "printed": r["printed"], "percent": float(r["percent"]), "count": k,
                     "count_from": how, "n": n,
                     "ci_low": None if lo is None else 100 * lo,
                     "ci_high": None if hi is None else 100 * hi})
    return pd.DataFrame(recs, columns=["quantity", "item", "locator", "printed", "percent",
                                       "count", "count_from", "n", "ci_low", "ci_high"])


def alternative_table(ledger: Ledger, rule: str, prefix: str | Sequence[str] | None = None,
                      level: float = 0.95) -> pd.DataFrame:
    """Rates printed with more than one value: the reference value (printed most often, a table's
    first) with its count, each other value, and the reference count's exact ``level`` interval
    (``ci_low``, ``ci_high`` in %) with ``inside`` telling whether the other value lies in it.

    Evidence for a figure only: no verdict (see the module docstring).
    """
    cols = ["quantity", "item", "reference", "reference_locators", "count", "count_from", "n",
            "alternative", "alternative_locators", "ci_low", "ci_high", "inside"]
    rows = percent_rows(ledger, prefix)
    recs = []
    for quantity, g in rows.groupby("quantity", sort=False):
        groups = cluster_values(list(g["percent"]), rule, False)
        if len(groups) < 2:
            continue
        groups.sort(key=lambda ix: (-len(ix), g["source"].iloc[ix[0]] != "table"))
        ref_rows = g.iloc[groups[0]]
        with_count = ref_rows[[c is not None for c in ref_rows["count"]]]
        base = with_count.iloc[0] if len(with_count) else ref_rows.iloc[0]
        n = base["denominator"]
        k, how = count_for(base["percent"], n, rule, base["count"]) if n else (None, "no n")
        lo = hi = None
        if k is not None:
            lo, hi = (100 * v for v in clopper_pearson(k, n, level))
        for ix in groups[1:]:
            alt = g.iloc[ix[0]]
            value = float(alt["percent"])
            recs.append({"quantity": quantity, "item": base["item"], "reference": base["percent"],
                         "reference_locators": "; ".join(dict.fromkeys(ref_rows["locator"])),
                         "count": k, "count_from": how, "n": n, "alternative": alt["percent"],
                         "alternative_locators": "; ".join(dict.fromkeys(g.iloc[ix]["locator"])),
                         "ci_low": lo, "ci_high": hi,
                         "inside": None if lo is None else bool(lo <= value <= hi)})
    return pd.DataFrame(recs, columns=cols)
