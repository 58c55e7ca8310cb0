"""One quantity, several values (check family 3).

The ledger enters every appearance of a number as its own row, and appearances of one quantity
share a ``quantity`` key. :func:`same_value` compares two printed values of a quantity: they agree
when some true value prints as both, each at its own precision and under its own place's rounding
rule (``41.70`` and ``41.7`` agree; ``45.0`` and ``37.5`` do not), after converting time units
(a median printed as ``255`` days and as ``8.4`` months agree when 255 days lies within what 8.4
months stands for; :mod:`helpers.core.units`). The registered check ``appearances`` compares each
numeric field of every table across the appearances of a quantity: counts and percentages, means
and SDs, survival medians and their CIs, hazard ratios with CI and p, design values. A
disagreement is a contradiction resting on the ledger's reading that the rows describe the same
quantity (``same_quantity``); one that another rounding rule would remove also rests on the
inferred rule. When a contradicting value equals the value printed for a sibling quantity (another
level of the same variable, e.g. "No" instead of "Yes"), the explanation says so: a swapped label
is the likeliest slip.

The comparison at the coarser precision follows the interval logic of the GRIM family (Brown &
Heathers 2017); see :mod:`helpers.core.rounding`.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Sequence

import pandas as pd

from ..core.findings import Finding, Result, finding_from
from ..core.printed import parse_printed
from ..core.rounding import RULES, check_rule, interval
from ..core.units import DAYS_PER_UNIT
from ..ledger.select import records, with_prefix
from .registry import Example, register

__all__ = ["FIELDS", "same_value", "same_value_result", "appearances_agree", "cluster_values",
           "appearance_table", "unit_factor"]

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
REFERENCE = ("Brown NJL, Heathers JAJ (2017) The GRIM test. Soc Psychol Personal Sci 8:363-369 "
             "(intervals of true values at the printed precision); INSPECT-SR item on internal "
             "inconsistencies between text, tables and abstract")


def unit_factor(unit: str | None) -> Fraction | None:
    """Days per ``unit`` for a time unit (days, weeks, months, years), else None."""
    key = str(unit or "").strip().lower()
    return Fraction(DAYS_PER_UNIT[key]) if key in DAYS_PER_UNIT else None


def _interval(value: str, rule: str, factor: Fraction | None):
    iv = interval(parse_printed(value), rule)
    return iv.scaled(factor) if factor is not None else iv


def same_value(a: str, b: str, rule: str = "half_up", exact: bool = False, *,
               rule_b: str | None = None, units: tuple[str | None, str | None] = (None, None)
               ) -> bool:
    """Whether two printed values can stand for the same true value.

    Parameters
    ----------
    a, b : str
        The printed values.
    rule : str
        The rounding rule of ``a`` (and of ``b`` unless ``rule_b`` is given).
    exact : bool
        Compare integers as printed (counts).
    rule_b : str, optional
        The rounding rule of ``b``'s place.
    units : (str, str)
        The units of ``a`` and ``b``; two different time units are converted to days first.

    Returns
    -------
    bool
        Some value prints as both (each at its own precision, under its rule). Dates
        (``YYYY-MM`` / ``YYYY-MM-DD``) agree when one is a prefix of the other.

    Example
    -------
    >>> same_value("41.70", "41.7"), same_value("45.0", "37.5")
    (True, False)
    >>> same_value("255", "8.4", units=("days", "months"))
    True
    """
    check_rule(rule)
    rule_b = check_rule(rule_b) if rule_b else rule
    a, b = str(a).strip(), str(b).strip()
    ma, mb = _DATE.match(a), _DATE.match(b)
    if ma or mb:
        return bool(ma and mb) and (a.startswith(b) or b.startswith(a))
    pa, pb = parse_printed(a), parse_printed(b)
    fa, fb = unit_factor(units[0]), unit_factor(units[1])
    convert = fa is not None and fb is not None and fa != fb
    if exact and not pa.bound and not pb.bound and not convert:
        return pa.value == pb.value
    if not convert:
        fa = fb = None
    return _interval(a, rule, fa).overlaps(_interval(b, rule_b, fb))


def _agree_any_rule(a: str, b: str, exact: bool, units) -> bool:
    return any(same_value(a, b, ra, exact, rule_b=rb, units=units) for ra in RULES for rb in RULES)


def cluster_values(values: list[str], rule: str | Sequence[str], exact: bool, *,
                   units: Sequence[str | None] | None = None, any_rule: bool = False
                   ) -> list[list[int]]:
    """Group indices of values into clusters of mutually agreeing values (first-come order).

    ``rule`` is one rule or one per value (each value's place); ``units`` one per value;
    ``any_rule`` lets each pair agree under any combination of rules.
    """
    rules = [rule] * len(values) if isinstance(rule, str) else list(rule)
    us = list(units) if units is not None else [None] * len(values)
    groups: list[list[int]] = []

    def agree(i, j):
        if any_rule:
            return _agree_any_rule(values[i], values[j], exact, (us[i], us[j]))
        return same_value(values[i], values[j], rules[i], exact, rule_b=rules[j],
                          units=(us[i], us[j]))

    for i in range(len(values)):
        for g in groups:
            if all(agree(i, j) for j in g):
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


def same_value_result(values: Sequence[str], rule: str = "half_up", exact: bool = False,
                      units: Sequence[str | None] | None = None) -> Result:
    """Whether all printed values of one quantity agree (pairwise :func:`same_value`).

    Parameters
    ----------
    values : sequence of str
        The printed values of one field of one quantity.
    rule : str
        The rounding rule.
    exact : bool
        Integers compared exactly.
    units : sequence of str, optional
        One unit per value (time units are converted).

    Returns
    -------
    Result
        ``consistent`` or ``inconsistent`` (contradiction; rests on ``same_quantity``).

    Example
    -------
    >>> same_value_result(["45.0", "45.0", "37.5"]).verdict
    'inconsistent'
    """
    values = list(values)
    groups = cluster_values(values, rule, exact, units=units)
    if len(groups) == 1:
        return Result("consistent", "contradiction", values[0] if values else "",
                      f"all {len(values)} appearances agree at the coarser printed precision.")
    shown = " vs ".join("/".join(dict.fromkeys(values[i] for i in g)) for g in groups)
    return Result("inconsistent", "contradiction", "one value",
                  f"the appearances print different values: {shown}.",
                  assumptions=("same_quantity",))


def appearances_agree(values: Sequence[str], rule: str = "half_up", exact: bool = False) -> str:
    """The verdict of :func:`same_value_result`."""
    return same_value_result(values, rule, exact).verdict


def appearance_table(ledger, prefix: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Every appearance of every quantity printed more than once: one row per appearance and
    numeric field (``table, quantity, row_id, locator, source, field, value, unit, printed``)."""
    recs = []
    for table, fields in FIELDS.items():
        df = ledger.tables.get(table)
        if df is None or df.empty:
            continue
        df = with_prefix(df, prefix)
        present = [f for f in fields if f in df.columns]
        has_unit = "unit" in df.columns
        for r in records(df):
            unit = str(r["unit"]).strip() if has_unit else ""
            for f in present:
                if str(r[f]).strip():
                    recs.append({"table": table, "quantity": r["quantity"], "row_id": r["row_id"],
                                 "locator": r["locator"], "source": r["source"], "field": f,
                                 "value": str(r[f]).strip(), "unit": unit,
                                 "printed": r["printed"]})
    df = pd.DataFrame(recs, columns=["table", "quantity", "row_id", "locator", "source", "field",
                                     "value", "unit", "printed"])
    if df.empty:
        return df
    n_rows = df.groupby("quantity")["row_id"].transform("nunique")
    return df[n_rows > 1].reset_index(drop=True)


def _siblings_printing(ledger, table: str, quantity: str, field: str, value: str,
                       rule: str) -> list[str]:
    """Sibling quantities (other levels of the same variable) that print ``value`` in ``field``."""
    keys = _SIBLING_KEY.get(table)
    df = ledger.tables.get(table)
    if not keys or df is None or df.empty:
        return []
    own = ledger.where(table, quantity=quantity)
    if own.empty:
        return []
    var_col, level_col = keys
    variable = own[var_col].iloc[0]
    sib = ledger.where(table, **{var_col: variable})
    sib = sib[sib["quantity"] != quantity]
    hits = []
    for s in records(sib):
        v = str(s[field]).strip()
        if v and same_value(v, value, rule, field in EXACT_FIELDS):
            hits.append(f"{variable}: {s[level_col]} ({s['locator']})")
    return list(dict.fromkeys(hits))


def _units_comparable(units: list[str]) -> bool:
    distinct = {u.strip().lower() for u in units}
    return len(distinct) <= 1 or all(unit_factor(u) is not None for u in distinct)


def _hr(quantity, locator, hr, lo, hi, p, source="table"):
    return {"model": "univariable", "endpoint": "PFS", "variable": "Sex", "level": "Female",
            "reference": "Male", "role": "estimate", "hr": hr, "ci_low": lo, "ci_high": hi,
            "ci_level": "95", "p": p, "quantity": quantity, "locator": locator, "source": source}


def _median(locator, center, unit, source="results"):
    return {"endpoint": "OS", "statistic": "median", "center": center, "unit": unit, "n": "80",
            "population": "all", "quantity": "survival.os.median", "locator": locator,
            "source": source}


@register(
    "appearances", family="appearances",
    title="Every appearance of one quantity prints the same value (units converted)",
    reads=list(FIELDS), assumptions=["same_quantity", "rounding_rule_inferred"], items=["4.10"],
    reference=REFERENCE, category="contradiction",
    formula="the intervals of true values of the appearances (each at its precision, rule and "
            "unit, converted to days) overlap",
    examples=[
        Example("pass", tables={
            "hazard_ratios": [_hr("cox.sex.female", "Table 3 / Sex: Female", "1.62", "1.36",
                                  "1.93", "0.004"),
                              _hr("cox.sex.female", "Results ¶3", "1.6", "1.4", "1.9", "0.004",
                                  "results")],
            "survival": [_median("Results ¶2", "8.4", "months"),
                         _median("Abstract", "255", "days", "abstract")]}),
        Example("flag", tables={
            "hazard_ratios": [_hr("cox.sex.female", "Table 3 / Sex: Female", "1.62", "1.36",
                                  "1.93", "0.004"),
                              _hr("cox.sex.female", "Results ¶3", "1.26", "1.36", "1.93",
                                  "0.004", "results")],
            "survival": [_median("Results ¶2", "8.4", "months"),
                         _median("Abstract", "290", "days", "abstract")]}),
    ])
def appearances_check(ctx) -> list[Finding]:
    """One finding per quantity printed more than once, comparing each numeric field across its
    appearances.

    Parameters
    ----------
    ctx : Context
        The rows of every table in :data:`FIELDS` within scope; each value read under its place's
        rule (``ctx.policy.rule_for``) and, for time units, converted to days.

    Returns
    -------
    list of Finding
        ``consistent`` when every field agrees (integers exactly, rounded values at the coarser
        precision); ``inconsistent`` (contradiction) otherwise, resting on ``same_quantity`` and,
        when another rounding rule would reconcile the values, on ``rounding_rule_inferred``. A
        field printed in units that cannot be converted is left out and named.

    Example
    -------
    An HR printed 1.62 in a table and 1.26 in the text; a median of 8.4 months printed as 290
    days (8.4 months is 254-257 days) -> ``inconsistent``.

    References: Brown & Heathers (2017); INSPECT-SR (internal inconsistencies).
    """
    ledger = ctx.ledger
    app = appearance_table(ledger, ctx.scope)
    out: list[Finding] = []
    if app.empty:
        return out
    # the groups of ``groupby("quantity", sort=False)`` and, within each, of ``groupby("field",
    # sort=False)`` (first appearance; rows in order), built in one pass over plain dicts
    by_quantity: dict[str, list[dict]] = {}
    for r in records(app):
        by_quantity.setdefault(r["quantity"], []).append(r)
    for quantity, g in by_quantity.items():
        table = g[0]["table"]
        locs = list(dict.fromkeys(r["locator"] for r in g))
        bad, expected, skipped = [], [], []
        rule_only = True
        swapped: dict[str, list[str]] = {}
        by_field: dict[str, list[dict]] = {}
        for r in g:
            by_field.setdefault(r["field"], []).append(r)
        for field, fg in by_field.items():
            values, units = [r["value"] for r in fg], [r["unit"] for r in fg]
            if not _units_comparable(units):
                skipped.append(f"{field} ({', '.join(dict.fromkeys(units))})")
                continue
            exact = field in EXACT_FIELDS
            rules = [ctx.policy.rule_for(r["locator"]) for r in fg]
            groups = cluster_values(values, rules, exact, units=units)
            if len(groups) == 1:
                continue
            if len(cluster_values(values, rules, exact, units=units, any_rule=True)) > 1:
                rule_only = False
            # the value printed most often (ties: the first printed in a table) is the reference
            groups.sort(key=lambda ix: (-len(ix), fg[ix[0]]["source"] != "table"))
            ref = values[groups[0][0]]
            show_unit = len(set(units)) > 1
            expected.append(f"{field} {ref}" + (f" {units[groups[0][0]]}" if show_unit else ""))
            parts = []
            for ix in groups:
                where = "; ".join(dict.fromkeys(fg[i]["locator"] for i in ix))
                shown = "/".join(dict.fromkeys(values[i] + (f" {units[i]}" if show_unit else "")
                                               for i in ix))
                parts.append(f"{shown} ({where})")
                if ix is not groups[0]:
                    for i in ix:
                        for sib in _siblings_printing(ledger, table, quantity, field, values[i],
                                                      rules[i]):
                            swapped.setdefault(sib, [])
                            if values[i] not in swapped[sib]:
                                swapped[sib].append(values[i])
            bad.append(f"{field}: " + " vs ".join(parts))
        rows, seen_ids = [], set()         # ``g.drop_duplicates("row_id")``
        for r in g:
            if r["row_id"] not in seen_ids:
                seen_ids.add(r["row_id"])
                rows.append(r)
        printed = " | ".join(f"{r['printed']} ({r['locator']})" for r in rows)
        notes = "".join(f" {', '.join(v)} is what {sib} prints: possibly swapped labels."
                        for sib, v in swapped.items())
        skip = (f" Not compared (units that do not convert): {'; '.join(skipped)}."
                if skipped else "")
        if bad:
            keys = ["same_quantity"] + (list(ctx.policy.assumptions) if rule_only else [])
            tail = (" Another rounding rule would reconcile them." if rule_only else "")
            res = Result("inconsistent", "contradiction", "; ".join(expected),
                         f"{len(rows)} appearances disagree: " + "; ".join(bad) + "." + notes
                         + tail + skip, assumptions=tuple(keys))
        elif skipped and len(skipped) == len(by_field):
            res = Result("not testable", "contradiction", "", skip.strip())
        else:
            res = Result("consistent", "contradiction", rows[0]["printed"],
                         f"all {len(rows)} appearances agree (at the coarser printed precision"
                         + (", units converted" if len({r["unit"] for r in g}) > 1 else "")
                         + ")."
                         + skip)
        out.append(finding_from(ctx, item=quantity, result=res, locators=locs, printed=printed,
                                quantity=quantity))
    return out
