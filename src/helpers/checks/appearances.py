"""One quantity, several values (check family 3).

The ledger enters every appearance of a number as its own row, and appearances of one quantity
share a ``quantity`` key. :func:`same_value` compares two printed values of a quantity: they agree
when some true value prints as both, each at its own precision (``41.70`` and ``41.7`` agree;
``45.0`` and ``37.5`` do not). :func:`appearance_findings` groups every table of a ledger by
quantity and compares each numeric field across the appearances; a disagreement is a
contradiction. When a contradicting value equals the value printed for a sibling quantity (another
level of the same variable, e.g. "No" instead of "Yes"), the explanation says so: a swapped label
is the likeliest slip.

The comparison at the coarser precision follows the interval logic of the GRIM family (Brown &
Heathers 2017); see :mod:`helpers.core.rounding`.
"""

from __future__ import annotations

import re
from typing import Sequence

import pandas as pd

from .arithmetic import Result, area_of, with_prefix
from ..core.findings import Finding
from ..ledger.load import Ledger
from ..core.printed import parse_printed
from ..core.rounding import check_rule, interval

# numeric fields compared across appearances, per ledger table; integers compare exactly
FIELDS: dict[str, tuple[str, ...]] = {
    "counts": ("count", "percent"),
    "summaries": ("center", "sd", "low", "high"),
    "survival": ("center", "ci_low", "ci_high"),
    "hazard_ratios": ("hr", "ci_low", "ci_high", "p"),
    "adverse_events": ("count", "percent"),
    "design": ("value", "value_high"),
}
EXACT_FIELDS = {"count"}
_DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")
# the field that names a row's level, per table, to look for swapped labels
_SIBLING_KEY = {"counts": ("variable", "level"), "adverse_events": ("event", "grade_band")}


def same_value(a: str, b: str, rule: str = "half_up", exact: bool = False) -> bool:
    """Whether two printed values can stand for the same true value: some value prints as both
    (each at its own precision, under ``rule``). ``exact`` compares integers as printed; dates
    (``YYYY-MM`` / ``YYYY-MM-DD``) agree when one is a prefix of the other."""
    check_rule(rule)
    a, b = str(a).strip(), str(b).strip()
    ma, mb = _DATE.match(a), _DATE.match(b)
    if ma or mb:
        return bool(ma and mb) and (a.startswith(b) or b.startswith(a))
    pa, pb = parse_printed(a), parse_printed(b)
    if exact and not pa.bound and not pb.bound:
        return pa.value == pb.value
    return interval(pa, rule).overlaps(interval(pb, rule))


def same_value_result(values: Sequence[str], rule: str = "half_up", exact: bool = False) -> Result:
    """:func:`appearances_agree` with its explanation."""
    groups = cluster_values(list(values), rule, exact)
    if len(groups) == 1:
        return Result("consistent", "contradiction", values[0] if values else "",
                      f"all {len(values)} appearances agree at the coarser printed precision.")
    shown = " vs ".join("/".join(dict.fromkeys(values[i] for i in g)) for g in groups)
    return Result("inconsistent", "contradiction", "one value",
                  f"the appearances print different values: {shown}.")


def appearances_agree(values: Sequence[str], rule: str = "half_up", exact: bool = False) -> str:
    """Whether all printed values of one quantity agree (pairwise :func:`same_value`)."""
    return same_value_result(values, rule, exact).verdict


def cluster_values(values: list[str], rule: str, exact: bool) -> list[list[int]]:
    """Group indices of values into clusters of mutually agreeing values (first-come order)."""
    groups: list[list[int]] = []
    for i, v in enumerate(values):
        for g in groups:
            if all(same_value(v, values[j], rule, exact) for j in g):
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


def appearance_table(ledger: Ledger, prefix: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Every appearance of every quantity printed more than once: one row per appearance and
    numeric field (``table, quantity, row_id, locator, source, field, value, printed``)."""
    recs = []
    for table, fields in FIELDS.items():
        df = with_prefix(ledger.tables.get(table, pd.DataFrame()), prefix)
        if df is None or df.empty:
            continue
        for _, r in df.iterrows():
            for f in fields:
                if f in df.columns and str(r[f]).strip():
                    recs.append({"table": table, "quantity": r["quantity"], "row_id": r["row_id"],
                                 "locator": r["locator"], "source": r["source"], "field": f,
                                 "value": str(r[f]).strip(), "printed": r["printed"]})
    df = pd.DataFrame(recs, columns=["table", "quantity", "row_id", "locator", "source", "field",
                                     "value", "printed"])
    if df.empty:
        return df
    n_rows = df.groupby("quantity")["row_id"].transform("nunique")
    return df[n_rows > 1].reset_index(drop=True)


def _siblings_printing(ledger: Ledger, table: str, quantity: str, field: str, value: str,
                       rule: str) -> list[str]:
    """Sibling quantities (other levels of the same variable) that print ``value`` in ``field``."""
    keys = _SIBLING_KEY.get(table)
    df = ledger.tables.get(table)
    if not keys or df is None or df.empty:
        return []
    own = df[df["quantity"] == quantity]
    if own.empty:
        return []
    var_col, level_col = keys
    variable = own[var_col].iloc[0]
    sib = df[(df[var_col] == variable) & (df["quantity"] != quantity)]
    hits = []
    for _, s in sib.iterrows():
        v = str(s[field]).strip()
        if v and same_value(v, value, rule, field in EXACT_FIELDS):
            hits.append(f"{variable}: {s[level_col]} ({s['locator']})")
    return list(dict.fromkeys(hits))


def appearance_findings(ledger: Ledger, rule: str, prefix: str | Sequence[str] | None = None
                        ) -> list[Finding]:
    """Family 3 on a ledger: one finding per quantity printed more than once, comparing each numeric
    field across its appearances (integers exactly, rounded values at the coarser precision)."""
    check_rule(rule)
    app = appearance_table(ledger, prefix)
    out: list[Finding] = []
    if app.empty:
        return out
    for quantity, g in app.groupby("quantity", sort=False):
        table = g["table"].iloc[0]
        locs = list(dict.fromkeys(g["locator"]))
        bad, expected = [], []
        swapped: dict[str, list[str]] = {}
        for field, fg in g.groupby("field", sort=False):
            values = list(fg["value"])
            groups = cluster_values(values, rule, field in EXACT_FIELDS)
            if len(groups) == 1:
                continue
            # the value printed most often (ties: the first printed in a table) is the reference
            groups.sort(key=lambda ix: (-len(ix), fg["source"].iloc[ix[0]] != "table"))
            ref = values[groups[0][0]]
            expected.append(f"{field} {ref}")
            parts = []
            for ix in groups:
                where = "; ".join(dict.fromkeys(fg["locator"].iloc[i] for i in ix))
                parts.append(f"{'/'.join(dict.fromkeys(values[i] for i in ix))} ({where})")
                if ix is not groups[0]:
                    for i in ix:
                        for sib in _siblings_printing(ledger, table, quantity, field, values[i],
                                                      rule):
                            swapped.setdefault(sib, [])
                            if values[i] not in swapped[sib]:
                                swapped[sib].append(values[i])
            bad.append(f"{field}: " + " vs ".join(parts))
        rows = g.drop_duplicates("row_id")
        printed = " | ".join(f"{p} ({loc})" for p, loc in zip(rows["printed"], rows["locator"]))
        notes = "".join(f" {', '.join(v)} is what {sib} prints: possibly swapped labels."
                        for sib, v in swapped.items())
        if bad:
            res = Result("inconsistent", "contradiction", "; ".join(expected),
                         f"{len(rows)} appearances disagree: " + "; ".join(bad) + "." + notes)
        else:
            res = Result("consistent", "contradiction", rows["printed"].iloc[0],
                         f"all {len(rows)} appearances agree (at the coarser printed precision).")
        out.append(Finding(study=ledger.study, area=area_of(quantity), check="appearances",
                           item=quantity, verdict=res.verdict, category=res.category,
                           locators=tuple(locs), printed=printed, expected=res.expected,
                           explanation=res.explanation, quantity=quantity))
    return out
