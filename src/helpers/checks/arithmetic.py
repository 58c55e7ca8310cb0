"""Arithmetic cross-checks of counts and percentages (check families 1, 2 and 4).

Family 1 -- percentage, count and denominator. :func:`percent_count_result` asks whether
``count/n`` prints as the reported percentage under a rounding rule, at the printed precision;
:func:`grim_percent_result` asks whether *any* integer count gives the percentage (the GRIM idea
applied to percentages: Brown & Heathers 2017); :func:`equal_fractions_result` whether one fraction
printed twice at one precision is printed alike. Which rule a study (and each place in it) used is
the rounding policy's business (:mod:`helpers.checks.policy`); the registered check
``mixed_rounding`` reports, once per place, a place whose percentages need different rules.

Family 2 -- totals and bounds. :func:`level_sum_result` (levels of a variable add up to their
denominator), :func:`percent_sum_result` (rounded percentages of a partition can add up to 100),
:func:`derived_rate_result` (a rate such as ORR = CR + PR, or a subtotal such as ECOG 0-1 = 0 + 1,
recomputed from its parts), :func:`total_bounds_result` (patients with at least one event lie
between the largest event row and the sum of the disjoint rows) and the nesting of grade bands
(a grade >= 3 count cannot exceed the any-grade count of the same event).

Family 4 -- subgroups. :func:`recombine_result` (subgroup rates weighted by their sizes give the
overall rate) and :func:`fitting_denominators` (which subgroup sizes can produce all printed rates
of a subgroup).

Each check has the shape of the R package scrutiny (Jung 2023): a scalar function on printed values
(text, so trailing zeros survive) returning a :class:`helpers.core.findings.Result`; a ``*_map``
version over a DataFrame made by :func:`helpers.checks.mapping.make_map`; and a registered check
(:mod:`helpers.checks.registry`) that runs on a study's ledger through a
:class:`~helpers.checks.registry.Context` and returns :class:`~helpers.core.findings.Finding`
records. A verdict that holds under every rounding rule rests on arithmetic alone; one that holds
only under the rule the policy inferred names ``rounding_rule_inferred``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import replace
from fractions import Fraction
from functools import lru_cache
from typing import Iterable, Sequence

import pandas as pd

from ..core.errors import LedgerError
from ..core.findings import Finding, Result, area_of, finding_from
from ..core.printed import parse_int, parse_printed
from ..core.rounding import (RULES, Interval, check_rule, counts_giving, exact, format_exact,
                             grim_testable, interval, is_tie, prints_as, rules_for)
from ..ledger.select import locator_family, records, with_prefix
from .mapping import make_map
from .policy import only_nearest, only_truncation, percent_rows, rule_table
from .registry import Example, register

__all__ = [
    "percent_count_result", "percent_count", "percent_count_map", "grim_percent_result",
    "grim_percent", "grim_percent_map", "equal_fractions_result", "equal_fractions",
    "level_sum_result", "level_sum", "percent_sum_result", "percent_sum", "derived_rate_result",
    "derived_rate", "total_bounds_result", "total_bounds", "nested_band_result", "grades_of",
    "recombine_result", "recombine", "fitting_denominators", "level_sum_table", "cell_counts",
    "subgroup_rows", "denominator_table", "mixed_rounding_table",
    # re-exported for the modules that read them from here
    "Result", "area_of", "with_prefix", "percent_rows",
]

ROUNDING_REF = ("Brown NJL, Heathers JAJ (2017) The GRIM test: a simple technique detects numerous "
                "anomalies in the reporting of results in psychology. Soc Psychol Personal Sci "
                "8:363-369; Jung L (2023) scrutiny: error detection in science (R package)")
SUM_REF = ("Carlisle JB (2017) Data fabrication and other reasons for non-random sampling in 5087 "
           "randomised, controlled trials. Anaesthesia 72:944-952 (internal consistency of "
           "tables); Jung L (2023) scrutiny (R package)")
AE_REF = ("National Cancer Institute (2017) Common Terminology Criteria for Adverse Events v5.0: "
          "each patient counted once, at the worst grade, per event")


# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------

def _pct(x: Fraction, places: int = 3) -> str:
    return f"{float(x):.{places}f}"


def _int(value) -> int | None:
    if isinstance(value, bool):
        raise TypeError("a count is a whole number, not a truth value")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value != int(value):
            raise ValueError(f"{value} is not a whole number")
        return int(value)
    return parse_int(value)


def _rules(rules: Iterable[str]) -> str:
    return " or ".join(rules).replace("_", "-")


def _rests_on(res: Result, ctx, extra: Sequence[str] = ()) -> Result:
    """``res`` with the assumptions its flagged verdict rests on (:meth:`RoundingPolicy.qualify`)."""
    return ctx.policy.qualify(res, extra)


def _with_note(res: Result, note: str) -> Result:
    return replace(res, explanation=res.explanation + note) if note else res


def _percent_ok(x: str) -> bool:
    return str(x).strip() != "" and str(x).strip().lower() != "nan"


# --------------------------------------------------------------------------------------------
# Family 1: percentage <-> count <-> denominator
# --------------------------------------------------------------------------------------------

def percent_count_result(x: str, count: int, n: int, rule: str = "half_up",
                         count_label: str = "the printed") -> Result:
    """Whether a printed percentage agrees with its count and denominator, with the reasons.

    Parameters
    ----------
    x : str
        The percentage as printed (``"12.40"``: the trailing zero sets the precision).
    count, n : int
        The printed count and its denominator.
    rule : str
        The rounding rule in force (:data:`helpers.core.rounding.RULES`).
    count_label : str
        Where the count comes from, for the explanation ("the printed", "the parts' sum").

    Returns
    -------
    Result
        ``consistent``: ``count/n`` prints as ``x`` under ``rule``; ``inconsistent`` (rounding):
        only under another rule (``values["rule_dependent"]``); ``inconsistent`` (contradiction):
        ``x`` belongs to another count under every rule (the printed count and the printed
        percentage cannot both be right); ``impossible``: no integer count out of ``n``
        gives ``x`` under any rule. ``values["rules"]`` lists the rules ``x`` fits.

    Example
    -------
    >>> percent_count_result("66.7", 2, 3).verdict
    'consistent'
    >>> percent_count_result("66.6", 2, 3, "half_up").values["rules"]
    ('truncate',)

    References: Brown & Heathers (2017), applied to percentages; Jung (2023).
    """
    check_rule(rule)
    count, n = _int(count), _int(n)
    p = parse_printed(x)
    if n is None or count is None or n <= 0 or count < 0 or count > n:
        raise ValueError(f"count {count} and n {n} do not make a proportion")
    if p.bound:
        return Result("not testable", "rounding", "",
                      f"{x} is a bound, not a value printed at a precision")
    value = Fraction(100 * count, n)
    shown = format_exact(value, p.decimals, rule)
    ok = rules_for(count, n, p)
    head = f"{count}/{n} = {_pct(value)}%, which prints as {shown} under {rule}"
    if rule in ok:
        return Result("consistent", "rounding", shown, head + ".", values={"rules": ok})
    if ok:
        return Result("inconsistent", "rounding", shown,
                      f"{head}; the printed {x} needs {_rules(ok)} (a rule other than the one in "
                      f"force).", values={"rules": ok, "rule_dependent": True})
    fitting = sorted({k for r in RULES for k in counts_giving(p, n, r)})
    if fitting:
        ks = ", ".join(str(k) for k in fitting)
        return Result("inconsistent", "contradiction", shown,
                      f"{head}; {x}% of {n} is the count {ks} (under some rounding rule), "
                      f"not {count_label} {count}.", values={"rules": ok})
    return Result("impossible", "rounding", shown,
                  f"{head}; no integer count out of {n} gives {x}% under any rounding rule.",
                  values={"rules": ok})


def percent_count(x: str, count: int, n: int, rule: str = "half_up") -> str:
    """The verdict of :func:`percent_count_result`."""
    return percent_count_result(x, count, n, rule).verdict


def grim_percent_result(x: str, n: int, rule: str = "half_up") -> Result:
    """Whether some integer count out of ``n`` gives the printed percentage ``x``.

    Parameters
    ----------
    x : str
        The percentage as printed.
    n : int
        Its denominator.
    rule : str
        The rounding rule in force.

    Returns
    -------
    Result
        ``not testable`` when ``100/n`` is no coarser than one unit of the last printed digit
        (every value is attainable); ``consistent`` when a count prints as ``x`` under ``rule``;
        ``inconsistent`` (rounding) when only another rule gives one; ``impossible`` when none does.

    Example
    -------
    >>> grim_percent_result("55.56", 40).verdict
    'impossible'

    References: Brown & Heathers (2017) (GRIM), applied to percentages.
    """
    check_rule(rule)
    n = _int(n)
    p = parse_printed(x)
    if n is None or n <= 0:
        raise ValueError(f"n {n} is not a positive integer")
    if p.bound:
        return Result("not testable", "rounding", "", f"{x} is a bound")
    if not grim_testable(p, n):
        return Result("not testable", "rounding", "",
                      f"with n = {n} the attainable percentages are {_pct(Fraction(100, n))} "
                      f"points apart, finer than the printed precision: every {p.decimals}-decimal "
                      f"value is attainable.")
    ok = tuple(r for r in RULES if counts_giving(p, n, r))
    ks = counts_giving(p, n, rule)
    if ks:
        shown = "; ".join(f"{k}/{n} = {_pct(Fraction(100 * k, n))}%" for k in ks)
        return Result("consistent", "rounding", shown, f"{x}% is attainable under {rule}: {shown}.",
                      values={"rules": ok})
    if ok:
        k0 = counts_giving(p, n, ok[0])[0]
        shown = f"{k0}/{n} = {_pct(Fraction(100 * k0, n))}%"
        return Result("inconsistent", "rounding", shown,
                      f"no count out of {n} prints as {x} under {rule}; {shown} prints as {x} "
                      f"only under {_rules(ok)}.", values={"rules": ok, "rule_dependent": True})
    below = math.floor(p.value * n / 100)
    near = [k for k in (below, below + 1) if 0 <= k <= n]
    shown = "; ".join(f"{k}/{n} = {_pct(Fraction(100 * k, n))}%" for k in near)
    return Result("impossible", "rounding", shown,
                  f"no integer count out of {n} gives {x}% under any rounding rule "
                  f"(nearest: {shown}).", values={"rules": ok})


def grim_percent(x: str, n: int, rule: str = "half_up") -> str:
    """The verdict of :func:`grim_percent_result`."""
    return grim_percent_result(x, n, rule).verdict


percent_count_map = make_map(percent_count_result,
                             columns={"x": "percent", "count": "count", "n": "denominator"},
                             constants=("rule",), values=("rules",))
grim_percent_map = make_map(grim_percent_result, columns={"x": "percent", "n": "denominator"},
                            constants=("rule",))


def mixed_rounding_table(ledger, scope: Sequence[str] | None = None) -> pd.DataFrame:
    """Per place (locator family) with a testable percentage in ``scope``: the rows of the whole
    place that fit *only* rounding to nearest, *only* truncation, and whether the place mixes
    them (both kinds present). Reads :func:`helpers.checks.policy.rule_table`."""
    table = rule_table(ledger)
    cols = ["family", "rows", "only_nearest", "only_truncate", "mixes", "quantity"]
    if table.empty:
        return pd.DataFrame(columns=cols)
    t = table[table["testable"].astype(bool)]
    in_scope = set(with_prefix(t, scope)["family"]) if scope else set(t["family"])
    recs = []
    for fam, g in t.groupby("family", sort=False):
        if fam not in in_scope:
            continue
        nearest, trunc = g[only_nearest(g)], g[only_truncation(g)]
        recs.append({"family": fam, "rows": g, "only_nearest": nearest, "only_truncate": trunc,
                     "mixes": bool(len(nearest) and len(trunc)),
                     "quantity": str(g["quantity"].iloc[0])})
    return pd.DataFrame(recs, columns=cols)


def _mixed_places(ctx) -> frozenset:
    """The places whose cells fitting another rule are reported once by ``mixed_rounding`` (only
    when the rule was inferred: a requested rule judges every cell under it)."""
    return ctx.policy.mixed if ctx.policy.inferred else frozenset()


def _cell_text(r) -> str:
    k = "" if r["count"] is None or (isinstance(r["count"], float) and math.isnan(r["count"])) \
        else f"{int(r['count'])}/"
    return f"{r['item']} {k}{r['denominator']} = {r['percent']}%"


def _percent_findings(ctx, with_count: bool) -> list[Finding]:
    mixed = _mixed_places(ctx)
    out = []
    for r in records(percent_rows(ctx.ledger, ctx.scope)):
        has_count = r["count"] is not None
        if has_count != with_count:
            continue
        printed = f"{r['printed']} (n = {r['denominator']})"
        if r["denominator"] is None or r["denominator"] <= 0:
            res = Result("not testable", "rounding", "", "no denominator is printed or stated.")
        else:
            rule = ctx.policy.rule_for(r["locator"])
            res = (percent_count_result(r["percent"], r["count"], r["denominator"], rule)
                   if has_count else grim_percent_result(r["percent"], r["denominator"], rule))
            place = locator_family(r["locator"])
            if res.values.get("rule_dependent") and place in mixed:
                res = Result("consistent", "rounding", res.expected,
                             res.explanation + f" {place} prints its percentages under more than "
                             f"one rule; this value fits {_rules(res.values['rules'])}, which "
                             f"{place} also uses: reported once, in the mixed-rounding finding "
                             f"for {place}.", values=res.values)
            res = _rests_on(res, ctx)
        out.append(finding_from(ctx, item=r["item"], result=res, locators=[r["locator"]],
                                printed=printed, quantity=r["quantity"]))
    return out


def _counts_row(**kw) -> dict:
    row = {"role": "level", "population": "all", "definition": "", "count": "", "percent": ""}
    row.update({k: str(v) for k, v in kw.items()})
    return row


@register(
    "percent_count", family="arithmetic",
    title="A printed percentage agrees with the count and denominator printed beside it",
    reads=["counts", "adverse_events"], assumptions=["arithmetic", "rounding_rule_inferred"],
    items=["4.9"], reference=ROUNDING_REF, category="rounding",
    formula="round_rule(100·k/n, d) == x, at the printed precision d, under the place's rule",
    examples=[
        Example("pass", tables={"counts": [_counts_row(variable="Sex", level="Male", count=7,
                                                       percent="70.0", denominator=10)]}),
        Example("flag", tables={"counts": [_counts_row(variable="Sex", level="Male", count=7,
                                                       percent="70.1", denominator=10)]}),
    ])
def percent_count_check(ctx) -> list[Finding]:
    """Every printed percentage that has its count beside it, against ``count/denominator``.

    Parameters
    ----------
    ctx : Context
        The ledger (rows of ``counts`` and ``adverse_events`` within ``ctx.scope``) and the
        rounding policy: each row is read under ``ctx.policy.rule_for(locator)``.

    Returns
    -------
    list of Finding
        One per row (:func:`percent_count_result`). A value that fits only a rule other than its
        place's rule is ``inconsistent`` (rounding) and rests on ``rounding_rule_inferred`` when the
        rule was inferred; at a place that mixes rules (see ``mixed_rounding``) it is reported once
        there instead. Fitting no rule rests on arithmetic alone.

    Example
    -------
    7 of 10 printed as 70.1 %: no count out of 10 gives 70.1 % -> ``impossible``.

    References: Brown & Heathers (2017); Jung (2023).
    """
    return _percent_findings(ctx, with_count=True)


@register(
    "grim_percent", family="arithmetic",
    title="Some integer count out of the denominator gives a percentage printed without count",
    reads=["counts", "adverse_events"], assumptions=["arithmetic", "rounding_rule_inferred"],
    items=["4.9"], reference=ROUNDING_REF, category="rounding",
    formula="exists k in 0..n: round_rule(100·k/n, d) == x (testable when 100/n > 10^-d)",
    examples=[
        Example("pass", tables={"counts": [_counts_row(variable="Best response", level="PR",
                                                       percent="30.0", denominator=40)]}),
        Example("flag", tables={"counts": [_counts_row(variable="Best response", level="PR",
                                                       percent="55.56", denominator=40)]}),
    ])
def grim_percent_check(ctx) -> list[Finding]:
    """Every printed percentage without a count, against every integer count out of its
    denominator (GRIM for percentages).

    Parameters
    ----------
    ctx : Context
        Rows of ``counts`` and ``adverse_events`` within scope; the place rule from ``ctx.policy``.

    Returns
    -------
    list of Finding
        One per row (:func:`grim_percent_result`); ``not testable`` when the denominator is so
        large that every value at the printed precision is attainable.

    Example
    -------
    55.56 % of 40: the attainable values are 2.5 points apart (55.00, 57.50) -> ``impossible``.

    References: Brown & Heathers (2017).
    """
    return _percent_findings(ctx, with_count=False)


@register(
    "mixed_rounding", family="arithmetic",
    title="One place in the paper prints its percentages under one rounding rule",
    reads=["counts", "adverse_events"], assumptions=["arithmetic"], items=["4.9"],
    reference=ROUNDING_REF, category="rounding",
    formula="a place mixes rules when some of its values fit only round-to-nearest and others "
            "fit only truncation",
    examples=[
        Example("pass", tables={"counts": [
            _counts_row(variable="Sex", level="Male", count=2, percent="66.7", denominator=3,
                        locator="Table 1 / Sex: Male"),
            _counts_row(variable="Sex", level="Female", count=1, percent="33.3", denominator=3,
                        locator="Table 1 / Sex: Female")]}),
        Example("flag", tables={"counts": [
            _counts_row(variable="Sex", level="Male", count=2, percent="66.7", denominator=3,
                        locator="Table 1 / Sex: Male"),
            _counts_row(variable="Stage", level="I", count=1, percent="16.6", denominator=6,
                        locator="Table 1 / Stage: I")]}),
    ])
def mixed_rounding_check(ctx) -> list[Finding]:
    """One finding per place (locator family): do its testable percentages need different rules?

    Parameters
    ----------
    ctx : Context
        Every place with a testable percentage within ``ctx.scope``; the place's rows are read in
        the whole ledger (:func:`mixed_rounding_table`).

    Returns
    -------
    list of Finding
        ``inconsistent`` (rounding, so minor) when some values fit only rounding to nearest and
        others only truncation: no single rule reproduces the place. That rests on arithmetic
        alone (each value is tested under every rule). ``consistent`` otherwise.

    Example
    -------
    2/3 printed 66.7 (only rounding to nearest) and 1/6 printed 16.6 (only truncation) in
    one table -> ``inconsistent``.

    References: Brown & Heathers (2017); Jung (2023) on testing each rule separately.
    """
    out = []
    for m in records(mixed_rounding_table(ctx.ledger, ctx.scope)):
        fam, g = m["family"], m["rows"]
        near, trunc = m["only_nearest"], m["only_truncate"]
        if m["mixes"]:
            shown_near = "; ".join(_cell_text(r) for r in records(near))
            shown_trunc = "; ".join(_cell_text(r) for r in records(trunc))
            res = Result("inconsistent", "rounding", "one rule for every percentage",
                         f"of {len(g)} testable percentages in {fam}, {len(near)} fit only "
                         f"rounding to nearest ({shown_near}) and {len(trunc)} only truncation "
                         f"({shown_trunc}): no single rounding rule reproduces this place.")
            rows = pd.concat([near, trunc])
        else:
            fits = [r for r in RULES if bool(g[r].all())]
            how = (f"all fit {_rules(fits)}" if fits else
                   "none needs truncation where another needs rounding to nearest")
            res = Result("consistent", "rounding", "one rule for every percentage",
                         f"{len(g)} testable percentages in {fam}: {how}.")
            rows = g
        printed = "; ".join(f"{r['item']}: {r['printed']}" for r in records(rows))
        out.append(finding_from(ctx, item=f"rounding rule in {fam}", result=res,
                                locators=list(dict.fromkeys(rows["locator"])), printed=printed,
                                quantity=m["quantity"]))
    return out


def equal_fractions_result(printed: Sequence[str]) -> Result:
    """Whether equal fractions ``k/n`` printed at one precision are printed alike.

    Parameters
    ----------
    printed : sequence of str
        The printed percentages of one fraction.

    Returns
    -------
    Result
        ``consistent`` when all are the same text; ``inconsistent`` (rounding) when they differ at
        one precision (whatever the rule, one fraction has one rounded value: arithmetic alone);
        ``not testable`` at different precisions.

    Example
    -------
    >>> equal_fractions_result(["31.82", "31.81"]).verdict
    'inconsistent'
    """
    decimals = {parse_printed(x).decimals for x in printed}
    if len(decimals) > 1:
        return Result("not testable", "rounding", "", "printed at different precisions.")
    values = list(dict.fromkeys(printed))
    if len(values) == 1:
        return Result("consistent", "rounding", values[0],
                      f"the same fraction is printed as {values[0]} every time.")
    return Result("inconsistent", "rounding", " or ".join(values),
                  f"the same fraction is printed as {' and '.join(values)} at the same precision: "
                  f"no single rounding rule gives both.")


def equal_fractions(printed: Sequence[str]) -> str:
    """The verdict of :func:`equal_fractions_result`."""
    return equal_fractions_result(printed).verdict


@register(
    "equal_fractions", family="arithmetic",
    title="The same fraction printed for different quantities is printed alike",
    reads=["counts", "adverse_events"], assumptions=["arithmetic"], items=["4.9"],
    reference=ROUNDING_REF, category="rounding",
    formula="k1/n1 == k2/n2 at the same precision -> the same printed value",
    examples=[
        Example("pass", tables={"counts": [
            _counts_row(variable="Sex", level="Female", count=5, percent="41.7", denominator=12,
                        quantity="baseline.sex.female"),
            _counts_row(variable="Smoking", level="Yes", count=5, percent="41.7", denominator=12,
                        quantity="baseline.smoking.yes")]}),
        Example("flag", tables={"counts": [
            _counts_row(variable="Sex", level="Female", count=5, percent="41.7", denominator=12,
                        quantity="baseline.sex.female"),
            _counts_row(variable="Smoking", level="Yes", count=5, percent="41.6", denominator=12,
                        quantity="baseline.smoking.yes")]}),
    ])
def equal_fractions_check(ctx) -> list[Finding]:
    """Printed percentages of the same fraction (count / denominator) at the same precision, for
    different quantities (the same quantity printed twice is the ``appearances`` check).

    Parameters
    ----------
    ctx : Context
        Rows of ``counts`` and ``adverse_events`` within scope that print a count.

    Returns
    -------
    list of Finding
        One per fraction printed for two or more quantities (:func:`equal_fractions_result`).

    Example
    -------
    5/12 printed 41.7 for one row and 41.6 for another -> ``inconsistent``.

    References: Brown & Heathers (2017).
    """
    rows = percent_rows(ctx.ledger, ctx.scope)
    rows = rows[[bool(k is not None and n) for k, n in zip(rows["count"], rows["denominator"])]]
    out = []
    if rows.empty:
        return out
    # the groups of ``groupby(["frac", "decimals"], sort=False)`` (first appearance; rows in
    # order), built in one pass over plain dicts
    groups: dict[tuple, list[dict]] = {}
    for r in records(rows):
        key = (Fraction(r["count"], r["denominator"]), parse_printed(r["percent"]).decimals)
        groups.setdefault(key, []).append(r)
    for g in groups.values():
        if len({r["quantity"] for r in g}) < 2:
            continue
        res = equal_fractions_result([r["percent"] for r in g])
        k, n = int(g[0]["count"]), int(g[0]["denominator"])
        res = replace(res, explanation=f"{k}/{n} = {_pct(Fraction(100 * k, n))}%: "
                      + res.explanation)
        printed = "; ".join(f"{r['item']}: {r['printed']}" for r in g)
        out.append(finding_from(ctx, item=f"{k}/{n} printed {len(g)} times", result=res,
                                locators=[r["locator"] for r in g], printed=printed,
                                quantity=g[0]["quantity"]))
    return out


# --------------------------------------------------------------------------------------------
# Family 2: totals and bounds
# --------------------------------------------------------------------------------------------

def level_sum_result(counts: Sequence[int], n: int, complete: bool = True) -> Result:
    """Whether the counts of the levels of one variable add up to their denominator ``n``.

    Parameters
    ----------
    counts : sequence of int
        The printed counts of the levels.
    n : int
        The denominator they partition.
    complete : bool
        Whether every level of the variable is printed; without, only a sum above ``n`` decides.

    Returns
    -------
    Result
        Arithmetic alone: ``consistent`` when the sum is ``n``, ``inconsistent`` when it is above
        (or, with every level printed, below), else ``not testable``.

    Example
    -------
    >>> level_sum_result([70, 50], 120).verdict
    'consistent'
    """
    counts = [_int(k) for k in counts]
    n = _int(n)
    s = sum(counts)
    terms = " + ".join(str(c) for c in counts)
    if s == n:
        return Result("consistent", "arithmetic", str(n), f"{terms} = {s} = {n}.")
    if s > n:
        return Result("inconsistent", "arithmetic", str(n),
                      f"{terms} = {s}, more than the {n} patients the levels partition.")
    if complete:
        return Result("inconsistent", "arithmetic", str(n),
                      f"{terms} = {s}, {n - s} short of {n} although every level is printed.")
    return Result("not testable", "arithmetic", str(n),
                  f"{terms} = {s} <= {n}; not every level is printed here, so the rest may be "
                  f"in the missing levels.")


def level_sum(counts: Sequence[int], n: int, complete: bool = True) -> str:
    """The verdict of :func:`level_sum_result`."""
    return level_sum_result(counts, n, complete).verdict


def percent_sum_result(percents: Sequence[str], rule: str = "half_up", complete: bool = True,
                       exact_parts: Sequence[Fraction] = ()) -> Result:
    """Whether rounded percentages of a partition can add up to 100.

    Parameters
    ----------
    percents : sequence of str
        The printed percentages of the levels.
    rule : str
        The rounding rule in force.
    complete : bool
        Whether every level is printed (else only a sum beyond 100 decides).
    exact_parts : sequence of Fraction
        Parts known exactly (a level printed as a count only).

    Returns
    -------
    Result
        100 must lie in the sum of the intervals of true values each printed value stands for.
        An ``inconsistent`` that another rule would resolve is category rounding and
        ``values["rule_dependent"]``; one that no rule resolves is arithmetic.

    Example
    -------
    >>> percent_sum_result(["54.6", "45.3"], "truncate").verdict
    'consistent'
    """
    check_rule(rule)
    extra = sum(exact_parts, Fraction(0))

    def total(r: str) -> Interval:
        iv = Interval(extra, extra, True, True)
        for x in percents:
            iv = iv + interval(x, r)
        return iv

    shown = " + ".join(percents) + (" (+ exact parts)" if exact_parts else "")
    printed_sum = sum((exact(x) for x in percents), Fraction(0)) + extra
    iv = total(rule)
    if complete:
        if iv.contains(100):
            return Result("consistent", "arithmetic", "100",
                          f"{shown} = {_pct(printed_sum, 2)}; the true values can add up to 100 "
                          f"under {rule} (sum lies in {iv.as_text(3)}).")
        others = [r for r in RULES if r != rule and total(r).contains(100)]
        tail = f"; it can under {_rules(others)}" if others else ""
        return Result("inconsistent", "rounding" if others else "arithmetic", "100",
                      f"{shown} = {_pct(printed_sum, 2)}: under {rule} the true values add up to "
                      f"somewhere in {iv.as_text(3)}, which excludes 100{tail}.",
                      values={"rule_dependent": bool(others)})
    lows = [total(r) for r in RULES]
    if all(t.low > 100 or (t.low == 100 and not t.low_closed) for t in lows):
        return Result("inconsistent", "arithmetic", "<= 100",
                      f"{shown} = {_pct(printed_sum, 2)} exceeds 100 beyond rounding.")
    if iv.low > 100 or (iv.low == 100 and not iv.low_closed):
        return Result("inconsistent", "rounding", "<= 100",
                      f"{shown} = {_pct(printed_sum, 2)} exceeds 100 under {rule}.",
                      values={"rule_dependent": True})
    return Result("not testable", "arithmetic", "<= 100",
                  f"{shown} = {_pct(printed_sum, 2)}; not every level is printed here.")


def percent_sum(percents: Sequence[str], rule: str = "half_up", complete: bool = True) -> str:
    """The verdict of :func:`percent_sum_result`."""
    return percent_sum_result(percents, rule, complete).verdict


def _levels_of(ledger) -> dict[tuple[str, str], list[str]]:
    """All level names of each (variable, population) printed anywhere (role = level)."""
    return ledger.memo(("levels_of",), lambda: _levels_of_counts(ledger.counts)) \
        if hasattr(ledger, "memo") else _levels_of_counts(ledger.counts)


def _levels_of_counts(c: pd.DataFrame) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    seen: set = set()
    c = c[c["role"] == "level"]
    for var, pop, level in zip(c["variable"].tolist(), c["population"].tolist(),
                               c["level"].tolist()):
        levels = out.setdefault((var, pop), [])
        if (var, pop, level) not in seen:
            seen.add((var, pop, level))
            levels.append(level)
    return out


def _level_groups(ledger, prefix):
    """The groups of level rows that partition a denominator: same variable, population,
    denominator and locator family, at least two levels. Yields (key, rows, missing levels), the
    rows as a list of dicts (column -> value), in ledger order."""
    c = with_prefix(ledger.counts, prefix)
    c = c[c["role"] == "level"]
    if c.empty:
        return
    all_levels = _levels_of(ledger)
    rows = records(c)
    # the groups of ``groupby([...], sort=False)`` (first appearance; rows in order), each with
    # the first row of each level, built in one pass (a per-group drop_duplicates, or a
    # DataFrame per group, is quadratic in practice on a large ledger)
    groups: dict[tuple, dict] = {}
    for pos, r in enumerate(rows):
        key = (r["variable"], r["population"], r["denominator"], locator_family(r["locator"]))
        firsts = groups.setdefault(key, {})
        firsts.setdefault(r["level"], pos)
    for (var, pop, den, fam), firsts in groups.items():
        if len(firsts) < 2 or parse_int(den) is None:
            continue
        g = [rows[pos] for pos in firsts.values()]
        missing = [lv for lv in all_levels[(var, pop)] if lv not in firsts]
        yield (var, pop, parse_int(den), fam), g, missing


def level_sum_table(ledger, prefix: str | Sequence[str] | None = None) -> pd.DataFrame:
    """One row per group of levels (same variable, population, denominator and place): the
    levels, their counts, the sum and the denominator (for the level-sum figure)."""
    recs = []
    for (var, pop, n, fam), g, missing in _level_groups(ledger, prefix):
        counts = [parse_int(r["count"]) for r in g]
        recs.append({"variable": var, "family": fam, "population": pop, "denominator": n,
                     "levels": [r["level"] for r in g], "counts": counts,
                     "sum": sum(counts) if all(k is not None for k in counts) else None,
                     "missing": missing})
    return pd.DataFrame(recs, columns=["variable", "family", "population", "denominator",
                                       "levels", "counts", "sum", "missing"])


def _level_findings(ctx, want: str) -> list[Finding]:
    out = []
    for (var, pop, n, fam), g, missing in _level_groups(ctx.ledger, ctx.scope):
        complete = not missing
        counts = [parse_int(r["count"]) for r in g]
        locs = [r["locator"] for r in g]
        printed = "; ".join(f"{r['level']}: {r['printed']}" for r in g)
        item = f"{var} ({fam})" + ("" if pop == "all" else f" [{pop}]")
        quantity = str(g[0]["quantity"]).rsplit(".", 1)[0]
        if all(k is not None for k in counts):
            if want != "level_sum":
                continue
            res = level_sum_result(counts, n, complete)
            if missing and res.verdict == "not testable":
                res = _with_note(res, f" Not printed here: {', '.join(missing)}.")
        else:
            if want != "percent_sum":
                continue
            percents = [r["percent"] for r in g]
            pcts = [str(p) for p, k in zip(percents, counts) if _percent_ok(p)]
            exact_parts = [Fraction(100 * k, n) for p, k in zip(percents, counts)
                           if not _percent_ok(p) and k is not None]
            if len(pcts) + len(exact_parts) < len(g):
                res = Result("not testable", "arithmetic", "100",
                             "some level prints neither a count nor a percentage.")
            else:
                res = _rests_on(percent_sum_result(pcts, ctx.policy.rule_for(fam), complete,
                                                   exact_parts), ctx)
        out.append(finding_from(ctx, item=item, result=res, locators=locs, printed=printed,
                                quantity=quantity))
    return out


_LEVELS_PASS = [_counts_row(variable="Smoking", level="Yes", count=7, percent="63.6",
                            denominator=11, quantity="baseline.smoking.yes",
                            locator="Table 1 / Smoking: Yes"),
                _counts_row(variable="Smoking", level="No", count=4, percent="36.4",
                            denominator=11, quantity="baseline.smoking.no",
                            locator="Table 1 / Smoking: No")]


@register(
    "level_sum", family="arithmetic",
    title="The counts of a variable's levels add up to their denominator",
    reads=["counts"], assumptions=["arithmetic"], items=["4.6", "4.9"], reference=SUM_REF,
    category="arithmetic", formula="sum of k_level == n (every level printed); <= n otherwise",
    examples=[
        Example("pass", tables={"counts": _LEVELS_PASS}),
        Example("flag", tables={"counts": [_LEVELS_PASS[0], {**_LEVELS_PASS[1], "count": "3",
                                                             "percent": "27.3"}]}),
    ])
def level_sum_check(ctx) -> list[Finding]:
    """The levels of a variable printed at one place (same variable, population, denominator and
    locator family) add up to their denominator.

    Parameters
    ----------
    ctx : Context
        ``counts`` rows with role ``level`` within scope.

    Returns
    -------
    list of Finding
        One per group whose every level prints a count (:func:`level_sum_result`; arithmetic
        alone). Groups with a level printed without count are ``percent_sum``'s.

    Example
    -------
    Smoking Yes 7 + No 3 of 11 with both levels printed -> ``inconsistent``.

    References: Carlisle (2017); Jung (2023).
    """
    return _level_findings(ctx, "level_sum")


@register(
    "percent_sum", family="arithmetic",
    title="The rounded percentages of a variable's levels can add up to 100",
    reads=["counts"], assumptions=["arithmetic", "rounding_rule_inferred"], items=["4.9"],
    reference=SUM_REF, category="arithmetic",
    formula="100 in the sum of the intervals of true values of the printed percentages",
    examples=[
        Example("pass", tables={"counts": [{**r, "count": ""} for r in _LEVELS_PASS]}),
        Example("flag", tables={"counts": [{**_LEVELS_PASS[0], "count": ""},
                                           {**_LEVELS_PASS[1], "count": "",
                                            "percent": "26.4"}]}),
    ])
def percent_sum_check(ctx) -> list[Finding]:
    """Where a level of a partition prints no count, its percentages must be able to add up to
    100 at the printed precision under the place's rounding rule.

    Parameters
    ----------
    ctx : Context
        ``counts`` rows with role ``level`` within scope; the place rule from ``ctx.policy``.

    Returns
    -------
    list of Finding
        One per group (:func:`percent_sum_result`). A sum another rule would allow rests on
        ``rounding_rule_inferred``; one no rule allows on arithmetic alone.

    Example
    -------
    63.6 + 26.4 = 90.0 for the two levels of one variable -> ``inconsistent``.

    References: Carlisle (2017); Jung (2023).
    """
    return _level_findings(ctx, "percent_sum")


def derived_rate_result(x: str | None, parts: Sequence[int], n: int, rule: str = "half_up",
                        count: int | None = None) -> Result:
    """Whether a derived rate (ORR = CR + PR, ECOG 0-1 = 0 + 1) is the sum of its parts.

    Parameters
    ----------
    x : str or None
        The printed rate (None when only a count is printed).
    parts : sequence of int
        The counts of the parts.
    n : int
        The denominator of the rate.
    rule : str
        The rounding rule in force.
    count : int, optional
        The printed count of the rate.

    Returns
    -------
    Result
        ``inconsistent`` (arithmetic) when the printed count is not the parts' sum or the sum
        exceeds ``n``; otherwise :func:`percent_count_result` of the rate against the sum
        (``impossible`` when no count out of ``n`` gives it, rounding when only another rule does).

    Example
    -------
    >>> derived_rate_result("37.5", [6, 48], 120).verdict
    'inconsistent'
    """
    check_rule(rule)
    parts = [_int(k) for k in parts]
    n, count = _int(n), _int(count) if count is not None else None
    total = sum(parts)
    terms = " + ".join(str(k) for k in parts)
    if count is not None and count != total:
        return Result("inconsistent", "arithmetic", str(total),
                      f"the parts add up to {terms} = {total}, not the printed count {count}.")
    if total > n:
        return Result("inconsistent", "arithmetic", f"{terms} = {total}",
                      f"the parts add up to {terms} = {total}, more than the {n} patients the rate "
                      f"refers to.")
    if x is None:
        if count is None:
            return Result("not testable", "arithmetic", str(total),
                          "neither a count nor a percentage is printed for the rate.")
        return Result("consistent", "arithmetic", str(total), f"{terms} = {total} = {count}.")
    res = percent_count_result(x, total, n, rule, count_label="the parts' sum")
    category = "rounding" if res.verdict in ("inconsistent", "impossible") and \
        res.category == "rounding" else "arithmetic"
    return replace(res, category=category, explanation=f"parts {terms} = {total}; "
                   + res.explanation)


def derived_rate(x: str | None, parts: Sequence[int], n: int, rule: str = "half_up",
                 count: int | None = None) -> str:
    """The verdict of :func:`derived_rate_result`."""
    return derived_rate_result(x, parts, n, rule, count).verdict


def _part_count(ctx, row, level: str) -> tuple[int | None, list[str], str, bool]:
    """The count of one part of a derived rate: from the same place if printed there, else from
    the other appearances of that level when they agree. Returns (count, locators, note, derived)
    where ``derived`` says the count was read off a percentage (under the place's rule)."""
    cand = ctx.ledger.where("counts", variable=row["variable"], level=level,
                  population=row["population"])
    levels = cand[cand["role"] == "level"]
    cand = levels if len(levels) else cand[cand["role"] == "rate"]
    if cand.empty:
        return None, [], f"level '{level}' is not printed for population '{row['population']}'", \
            False
    fam = locator_family(row["locator"])
    same = cand[[locator_family(x) == fam for x in cand["locator"]]]
    pool = same if len(same) else cand
    values = []
    for r in records(pool):
        k, derived = parse_int(r["count"]), False
        den = parse_int(r["denominator"])
        if k is None and _percent_ok(r["percent"]) and den:
            ks = counts_giving(r["percent"], den, ctx.policy.rule_for(r["locator"]))
            k, derived = (ks[0], True) if len(ks) == 1 else (None, False)
        if k is not None:
            values.append((k, r["locator"], derived))
    if not values:
        return None, [], f"no count of level '{level}' is printed", False
    tally = Counter(k for k, _, _ in values)
    if len(tally) > 1:
        tables = [(k, loc) for k, loc, _ in values if loc.startswith("Table")]
        k = tables[0][0] if tables else tally.most_common(1)[0][0]
        note = (f"level '{level}' is printed with different counts "
                f"({', '.join(str(v) for v in tally)}); {k} used")
    else:
        k, note = values[0][0], ""
    derived = all(d for v, _, d in values if v == k)
    return k, [loc for v, loc, _ in values if v == k], note, derived


@register(
    "derived_rate", family="arithmetic",
    title="A derived rate or subtotal (ORR = CR+PR, ECOG 0-1 = 0+1) is the sum of its parts",
    reads=["counts"], assumptions=["arithmetic", "rounding_rule_inferred", "same_quantity"],
    items=["4.9", "4.10"], reference=SUM_REF, category="arithmetic",
    formula="k_rate == sum of k_part; round_rule(100·sum/n, d) == x_rate",
    examples=[
        Example("pass", tables={"counts": [
            _counts_row(variable="ECOG", level="0", quantity="baseline.ecog.0", count=3, percent="30.0", denominator=10),
            _counts_row(variable="ECOG", level="1", quantity="baseline.ecog.1", count=4, percent="40.0", denominator=10),
            _counts_row(variable="ECOG", level="0-1", role="rate", definition="0+1",
                        quantity="baseline.ecog.0_1",
                        percent="70.0", denominator=10)]}, scope=("baseline.",)),
        Example("flag", tables={"counts": [
            _counts_row(variable="ECOG", level="0", quantity="baseline.ecog.0", count=3, percent="30.0", denominator=10),
            _counts_row(variable="ECOG", level="1", quantity="baseline.ecog.1", count=4, percent="40.0", denominator=10),
            _counts_row(variable="ECOG", level="0-1", role="rate", definition="0+1",
                        quantity="baseline.ecog.0_1",
                        percent="80.0", denominator=10)]}, scope=("baseline.",)),
    ])
def derived_rate_check(ctx) -> list[Finding]:
    """Every ``counts`` row with role ``rate`` and a ``definition``, whatever its prefix (response
    rates, baseline subtotals), recomputed from the levels its definition names.

    Parameters
    ----------
    ctx : Context
        ``counts`` rows with role ``rate`` within scope; the parts are read from the whole ledger
        (same variable and population; the same place first, else other places).

    Returns
    -------
    list of Finding
        One per rate (:func:`derived_rate_result`); ``not testable`` when a part is not printed.
        A verdict on parts taken from another place rests on ``same_quantity``; one on parts read
        off percentages, or on a value only another rule gives, on ``rounding_rule_inferred``.

    Example
    -------
    ECOG 0 = 3 and 1 = 4 of 10, ECOG 0-1 printed 80.0 % -> ``inconsistent``.

    References: Carlisle (2017); Jung (2023).
    """
    c = ctx.table("counts")
    out = []
    for r in records(c[c["role"] == "rate"]):
        pop = "" if r["population"] == "all" else f" [{r['population']}]"
        definition = str(r.get("definition", "")).strip()
        item = (f"{r['variable']}: {r['level']} = {definition or '?'}{pop} "
                f"({locator_family(r['locator'])})")
        printed = f"{r['printed']} (n = {r['denominator']})"
        levels = [s.strip() for s in definition.split("+") if s.strip()]
        n = parse_int(r["denominator"])
        parts, locs, notes, elsewhere, derived = [], [r["locator"]], [], False, False
        fam = locator_family(r["locator"])
        if not levels:
            parts, notes = None, ["the ledger gives no definition of the rate"]
        for lv in levels:
            k, where, note, from_pct = _part_count(ctx, r, lv)
            if note:
                notes.append(note)
            if k is None:
                parts = None
                break
            parts.append(k)
            derived |= from_pct
            elsewhere |= any(locator_family(w) != fam for w in where)
            locs += [w for w in where if w not in locs]
        if parts is None or not n:
            res = Result("not testable", "arithmetic", "",
                         "cannot recompute: " + ("; ".join(notes) or "no denominator") + ".")
        else:
            pct = str(r["percent"]).strip() if _percent_ok(r["percent"]) else None
            res = derived_rate_result(pct, parts, n, ctx.policy.rule_for(r["locator"]),
                                      parse_int(r["count"]))
            if notes:
                res = _with_note(res, " Note: " + "; ".join(notes) + ".")
            extra = (["same_quantity"] if elsewhere else []) + \
                (list(ctx.policy.assumptions) if derived else [])
            res = _rests_on(res, ctx, extra)
        out.append(finding_from(ctx, item=item, result=res, locators=locs, printed=printed,
                                quantity=r["quantity"]))
    return out


_BANDS = {"<3": {1, 2}, "1-2": {1, 2}, ">=3": {3, 4, 5}, "3-4": {3, 4}, "3-5": {3, 4, 5},
          "5": {5}, "any": {1, 2, 3, 4, 5}, ">=1": {1, 2, 3, 4, 5}, "1-5": {1, 2, 3, 4, 5}}
ALL_GRADES = frozenset(range(1, 6))


def grades_of(band: str) -> set[int]:
    """The CTCAE grades a printed grade band covers (``"<3"`` -> {1, 2}, ``"any"`` -> 1..5).

    Example
    -------
    >>> sorted(grades_of("3-4"))
    [3, 4]
    """
    return set(_grades_of(str(band)))


@lru_cache(maxsize=4096)
def _grades_of(band: str) -> frozenset:
    """:func:`grades_of` of a band's text, parsed once per distinct text (a large adverse-event
    table repeats a handful of bands); raises ValueError for a band it cannot read."""
    b = band.replace(" ", "").replace("≥", ">=").replace("≤", "<=").lower()
    if b in _BANDS:
        return frozenset(_BANDS[b])
    m = re.fullmatch(r"(<=|>=|<|>)?(\d)(?:-(\d))?", b)
    if not m:
        raise ValueError(f"grade band '{band}' is not understood")
    op, a, z = m.group(1), int(m.group(2)), m.group(3)
    if z:
        return frozenset(range(a, int(z) + 1))
    return frozenset({"<": set(range(1, a)), "<=": set(range(1, a + 1)),
                      ">": set(range(a + 1, 6)), ">=": set(range(a, 6)), None: {a}}[op])


def total_bounds_result(total: int, per_event: Sequence[int], cells: Sequence[int], n: int,
                        upper: bool = True) -> Result:
    """Whether a count of patients with at least one event lies within what the event rows allow.

    Parameters
    ----------
    total : int
        Patients with at least one event in the band.
    per_event : sequence of int
        For each event, the patients with it in the band (sum of its *disjoint* band cells).
    cells : sequence of int
        The disjoint event cells inside the band (their sum bounds the total from above).
    n : int
        Patients at risk.
    upper : bool
        Whether the sum of the rows bounds the total (for bands short of all grades, whose events a
        table lists; any-grade events need not all be listed).

    Returns
    -------
    Result
        ``impossible`` below the largest single event (arithmetic alone); ``inconsistent`` above the
        sum of the rows (possible only if the table omits events); else ``consistent``.

    Example
    -------
    >>> total_bounds_result(4, [7, 5], [7, 5, 1], 120).verdict
    'impossible'
    """
    total, n = _int(total), _int(n)
    low = max(per_event) if per_event else 0
    high = min(n, sum(cells)) if upper else n
    bounds = f"[{low}, {high}]"
    if total < low:
        return Result("impossible", "arithmetic", bounds,
                      f"{total} patients with at least one event, fewer than the {low} patients "
                      f"with the most frequent single event.")
    if total > high:
        return Result("inconsistent", "arithmetic", bounds,
                      f"{total} patients with at least one event, more than the {sum(cells)} "
                      f"event rows add up to (possible only if the table omits events).")
    tail = (f"the sum of the rows ({sum(cells)}, capped at n = {n})" if upper else
            f"n = {n} (no upper bound from the rows: the table need not list every event of "
            f"any grade)")
    return Result("consistent", "arithmetic", bounds,
                  f"{total} lies between the most frequent event ({low}) and {tail}.")


def total_bounds(total: int, per_event: Sequence[int], cells: Sequence[int], n: int,
                 upper: bool = True) -> str:
    """The verdict of :func:`total_bounds_result`."""
    return total_bounds_result(total, per_event, cells, n, upper).verdict


def _grades(ledger, row) -> set[int]:
    """:func:`grades_of` for a ledger row; a band it cannot read stops naming file, line, field."""
    try:
        return grades_of(row["grade_band"])
    except ValueError as exc:
        raise LedgerError(ledger.file_of("adverse_events"), str(exc), line=int(row["line"]),
                          field="grade_band", row_id=row["row_id"]) from None


def _row_count(row, rule: str) -> int | None:
    """A row's printed count, or the one count its percentage allows under ``rule``."""
    k = parse_int(row["count"])
    den = parse_int(row["denominator"])
    if k is None and _percent_ok(row["percent"]) and den:
        ks = counts_giving(row["percent"], den, rule)
        k = ks[0] if len(ks) == 1 else None
    return k


def cell_counts(ledger, rule: str | None = None, policy=None
                ) -> dict[tuple[str, str], tuple[int, str]]:
    """(event, band) -> (count, locator) for every adverse-event row with a known count (a table
    row is preferred; a percentage alone gives the count when exactly one count fits, under the
    policy's rule for its place, or ``rule``)."""
    a = ledger.adverse_events
    a = a[a["role"] == "event"]
    out: dict[tuple[str, str], tuple[int, str]] = {}
    ordered = sorted(records(a), key=lambda r: r["source"] != "table")
    for r in ordered:
        key = (r["event"], r["grade_band"])
        _grades(ledger, r)
        if key in out:
            continue
        k = _row_count(r, policy.rule_for(r["locator"]) if policy else (rule or "half_up"))
        if k is not None:
            out[key] = (k, r["locator"])
    return out


def disjoint_cells(bands: dict[str, int], within: set[int]) -> dict[str, int]:
    """Of one event's band cells (band -> count), the disjoint ones inside ``within`` that are
    summed: the widest band first (``any`` contains ``<3`` and ``>=3``, which are then not added
    to it), then narrower bands that overlap none already taken.

    Example
    -------
    >>> disjoint_cells({"<3": 5, ">=3": 2, "any": 7}, set(range(1, 6)))
    {'any': 7}
    """
    taken: dict[str, int] = {}
    covered: set[int] = set()
    inside = [(b, k) for b, k in bands.items() if _grades_of(str(b)) <= within]
    for b, k in sorted(inside, key=lambda t: (-len(_grades_of(str(t[0]))), t[0])):
        g = _grades_of(str(b))
        if g & covered:
            continue
        taken[b] = k
        covered |= g
    return taken


_AE = [{"event": "Nausea", "grade_band": "<3", "role": "event", "count": "5", "percent": "",
        "denominator": "20", "quantity": "ae.nausea.lt3", "locator": "Table 4 / Nausea: <3"},
       {"event": "Nausea", "grade_band": ">=3", "role": "event", "count": "2", "percent": "",
        "denominator": "20", "quantity": "ae.nausea.ge3", "locator": "Table 4 / Nausea: >=3"},
       {"event": "Nausea", "grade_band": "any", "role": "event", "count": "7", "percent": "",
        "denominator": "20", "quantity": "ae.nausea.any", "locator": "Table 4 / Nausea: any"},
       {"event": "Rash", "grade_band": ">=3", "role": "event", "count": "1", "percent": "",
        "denominator": "20", "quantity": "ae.rash.ge3", "locator": "Table 4 / Rash: >=3"}]


def _ae_total(band: str, count: int, qty: str) -> dict:
    return {"event": "ANY", "grade_band": band, "role": "total", "count": str(count),
            "percent": "", "denominator": "20", "quantity": qty, "locator": "Results ¶4"}


@register(
    "total_bounds", family="arithmetic",
    title="Patients with any adverse event lie between the largest event and the sum of the rows",
    reads=["adverse_events"], assumptions=["arithmetic", "rounding_rule_inferred"],
    items=["4.6", "4.9"], reference=AE_REF, category="arithmetic",
    formula="max_e k_e <= total <= min(n, sum of disjoint cells) (upper bound for bands short of "
            "all grades)",
    examples=[
        Example("pass", tables={"adverse_events": [*_AE, _ae_total(">=3", 3, "ae.any.ge3"),
                                                   _ae_total("any", 7, "ae.any.any")]}),
        Example("flag", tables={"adverse_events": [*_AE, _ae_total(">=3", 1, "ae.any.ge3")]}),
    ])
def total_bounds_check(ctx) -> list[Finding]:
    """Each ``role = total`` row of ``adverse_events`` (patients with at least one event in a
    grade band) against the event rows.

    Parameters
    ----------
    ctx : Context
        The totals within scope; the event cells of the whole ledger.

    Returns
    -------
    list of Finding
        One per total (:func:`total_bounds_result`). For an event, the patients with it in the
        band are the sum of its *disjoint* cells inside the band (:func:`disjoint_cells`: an
        ``any`` cell contains the ``<3`` and ``>=3`` cells and is never added to them). The sum
        of the rows bounds a total only for a band short of all grades. A count read off a
        percentage rests on ``rounding_rule_inferred``.

    Example
    -------
    Nausea >= 3 in 2 patients, yet 1 patient with any grade >= 3 event -> ``impossible``.

    References: CTCAE v5.0 (one count per patient and event, at the worst grade).
    """
    ledger = ctx.ledger
    cells = cell_counts(ledger, policy=ctx.policy)
    by_event: dict[str, dict[str, int]] = {}
    for (event, band), (cnt, _) in cells.items():
        by_event.setdefault(event, {})[band] = cnt
    a = ctx.table("adverse_events")
    out = []
    # the event cells inside a band do not depend on the total: computed once per band
    inside_band: dict[frozenset, tuple[dict, list]] = {}
    for t in records(a[a["role"] == "total"]):
        k = parse_int(t["count"])
        derived = k is None
        if k is None:
            k = _row_count(t, ctx.policy.rule_for(t["locator"]))
        band = _grades(ledger, t)
        item = f"patients with any event, grade {t['grade_band']}"
        n = parse_int(t["denominator"])
        if k is None or not n:
            res = Result("not testable", "arithmetic", "", "no count printed or derivable.")
        else:
            key = frozenset(band)
            if key not in inside_band:
                per_event, inside = {}, []
                for event, bands in by_event.items():
                    use = disjoint_cells(bands, band)
                    if use:
                        per_event[event] = sum(use.values())
                        inside += list(use.values())
                inside_band[key] = (per_event, inside)
            per_event, inside = inside_band[key]
            if not per_event:
                res = Result("not testable", "arithmetic", "", "no event rows inside this band.")
            else:
                res = total_bounds_result(k, list(per_event.values()), inside, n,
                                          upper=band != set(ALL_GRADES))
                top = max(per_event, key=per_event.get)
                res = _with_note(res, f" Most frequent: {top}.")
                if derived:
                    res = _rests_on(res, ctx, ctx.policy.assumptions)
        out.append(finding_from(ctx, item=item, result=res,
                                locators=[t["locator"], "Table rows of " + t["grade_band"]],
                                printed=t["printed"], quantity=t["quantity"]))
    return out


def nested_band_result(narrow: str, k_narrow: int, wide: str, k_wide: int) -> Result:
    """Whether a narrower grade band of one event (or of all events) has no more patients than a
    wider band containing it (``>=3`` within ``any``, ``5`` within ``>=3``).

    Parameters
    ----------
    narrow, wide : str
        The two grade bands (the first's grades a proper subset of the second's).
    k_narrow, k_wide : int
        Their counts.

    Returns
    -------
    Result
        ``impossible`` (arithmetic alone) when the narrow band has more patients, else
        ``consistent``.

    Example
    -------
    >>> nested_band_result(">=3", 9, "any", 7).verdict
    'impossible'
    """
    if not grades_of(narrow) < grades_of(wide):
        raise ValueError(f"grade band '{narrow}' is not inside '{wide}'")
    k_narrow, k_wide = _int(k_narrow), _int(k_wide)
    ok = k_narrow <= k_wide
    return Result("consistent" if ok else "impossible", "arithmetic", f"<= {k_wide}",
                  f"grade {narrow} ({k_narrow}) is a subset of grade {wide} ({k_wide})"
                  + ("." if ok else " but has more patients."))


@register(
    "nested_bands", family="arithmetic",
    title="A grade >= 3 count (or 3-4, 5) does not exceed the wider band of the same event",
    reads=["adverse_events"], assumptions=["arithmetic"], items=["4.9"], reference=AE_REF,
    category="arithmetic", formula="bands g1 ⊂ g2 of one event and denominator: k(g1) <= k(g2)",
    examples=[
        Example("pass", tables={"adverse_events": _AE}),
        Example("flag", tables={"adverse_events": [*_AE[:2], {**_AE[2], "count": "1"}]}),
    ])
def nested_bands_check(ctx) -> list[Finding]:
    """For one event (``role = event``) or for all events (``role = total``), at one denominator,
    every pair of printed bands where one is inside the other: the narrower band cannot have
    more patients.

    Parameters
    ----------
    ctx : Context
        ``adverse_events`` rows within scope with a printed count.

    Returns
    -------
    list of Finding
        One per nested pair (:func:`nested_band_result`), arithmetic alone.

    Example
    -------
    Nausea grade >= 3 in 2 patients but any grade in 1 -> ``impossible``.

    References: CTCAE v5.0.
    """
    a = ctx.table("adverse_events")
    rows = []
    # the rows of each (event, role, denominator), in ledger order: a row is paired only with
    # the rows of its own group (a pairing over all rows is quadratic in the table)
    groups: dict[tuple, list] = {}
    for r in records(a):
        k = parse_int(r["count"])
        if k is not None:
            row = (r["event"], r["role"], r["denominator"], _grades(ctx.ledger, r), k, r)
            rows.append(row)
            groups.setdefault(row[:3], []).append(row)
    out = []
    seen = set()
    for ev, role, den, g1, k1, r1 in rows:
        for ev2, role2, den2, g2, k2, r2 in groups[(ev, role, den)]:
            if (ev, role, den) != (ev2, role2, den2) or not g1 < g2:
                continue
            key = (ev, role, den, r1["grade_band"], r2["grade_band"], k1, k2)
            if key in seen:
                continue
            seen.add(key)
            res = nested_band_result(r1["grade_band"], k1, r2["grade_band"], k2)
            who = "patients with any event" if role == "total" else ev
            out.append(finding_from(
                ctx, item=f"{who}: grade {r1['grade_band']} within grade {r2['grade_band']}",
                result=res, locators=list(dict.fromkeys([r1["locator"], r2["locator"]])),
                printed=f"{r1['printed']}; {r2['printed']}", quantity=r1["quantity"]))
    return out


# --------------------------------------------------------------------------------------------
# Family 4: subgroups
# --------------------------------------------------------------------------------------------

def _feasible_counts(x: str, n: int, rule: str) -> tuple[list[int], bool]:
    """Counts out of ``n`` giving ``x``% under ``rule``; when none does, the two counts bracketing
    it (second value False)."""
    ks = counts_giving(x, n, rule)
    if ks:
        return ks, True
    v = parse_printed(x).value * n / 100
    return sorted({max(0, math.floor(v)), min(n, math.ceil(v))}), False


def recombine_result(parts: Sequence[tuple[str, int]], overall: str, n: int,
                     rule: str = "half_up") -> Result:
    """Whether subgroup rates recombine into the printed overall rate.

    Parameters
    ----------
    parts : sequence of (str, int)
        Each subgroup's printed percentage and its size (the subgroups partition the ``n``).
    overall : str
        The printed overall percentage.
    n : int
        The overall denominator.
    rule : str
        The rounding rule in force.

    Returns
    -------
    Result
        ``consistent`` when integer subgroup counts printing as the subgroup rates add up to a
        count printing as ``overall``; else ``inconsistent`` (``values["rule_dependent"]`` when
        another rule would recombine them).

    Example
    -------
    >>> recombine_result([("52.5", 80), ("30.0", 40)], "45.0", 120).verdict
    'consistent'
    """
    check_rule(rule)
    n = _int(n)

    def span_of(r):
        lows, highs, notes = [], [], []
        for x, size in parts:
            ks, attainable = _feasible_counts(x, _int(size), r)
            lows.append(min(ks))
            highs.append(max(ks))
            if not attainable:
                notes.append(f"{x}% of {size} is not attainable (between {min(ks)} and {max(ks)})")
        lo, hi = sum(lows), sum(highs)
        return lo, hi, notes, [t for t in range(lo, hi + 1) if prints_as(t, n, overall, r)]

    lo, hi, notes, fits = span_of(rule)
    d = parse_printed(overall).decimals
    span = (f"{lo}/{n} = {format_exact(Fraction(100 * lo, n), d + 1, rule)}%" if lo == hi else
            f"{lo}-{hi} of {n} = {format_exact(Fraction(100 * lo, n), d + 1, rule)}-"
            f"{format_exact(Fraction(100 * hi, n), d + 1, rule)}%")
    terms = " + ".join(f"{x}% of {size}" for x, size in parts)
    note = (" (" + "; ".join(notes) + ")") if notes else ""
    if fits:
        return Result("consistent", "arithmetic", span,
                      f"{terms} gives {span}{note}, which prints as {overall}.")
    others = [r for r in RULES if r != rule and span_of(r)[3]]
    tail = f"; under {_rules(others)} they recombine" if others else ""
    return Result("inconsistent", "arithmetic", span,
                  f"{terms} gives {span}{note}; the overall rate is printed as {overall}{tail}.",
                  values={"rule_dependent": bool(others)})


def recombine(parts: Sequence[tuple[str, int]], overall: str, n: int, rule: str = "half_up") -> str:
    """The verdict of :func:`recombine_result`."""
    return recombine_result(parts, overall, n, rule).verdict


def _fits(rate: str, count: int | None, d: int, rule: str) -> bool:
    """Whether denominator ``d`` can give ``rate``: with its count printed, ``count/d`` must print
    as the rate (the count decides: no search over counts); without, some count must."""
    if count is not None:
        return count <= d and prints_as(count, d, rate, rule)
    return bool(counts_giving(rate, d, rule))


def fitting_denominators(rates: Sequence[str], rule: str = "half_up", max_n: int = 1000,
                         min_n: int = 1, counts: Sequence[int | None] | None = None) -> list[int]:
    """All denominators ``min_n..max_n`` that can give every printed rate under ``rule``.

    Parameters
    ----------
    rates : sequence of str
        The printed percentages of one subgroup.
    rule : str
        The rounding rule in force.
    max_n, min_n : int
        The range searched.
    counts : sequence of int or None, optional
        The count printed beside each rate (None where none is): a printed count decides, so the
        denominator must make ``count/d`` print as the rate.

    Returns
    -------
    list of int

    Example
    -------
    >>> fitting_denominators(["30.0", "55.56"], "half_up", 120)
    [90]
    """
    check_rule(rule)
    ks = list(counts) if counts is not None else [None] * len(rates)
    return [d for d in range(min_n, max_n + 1)
            if all(_fits(x, _int(k) if k is not None else None, d, rule)
                   for x, k in zip(rates, ks))]


def _population_size(ledger, pop: str, row) -> tuple[int | None, pd.Series | None]:
    rows = ledger.where("counts", quantity=pop)
    if rows.empty:
        raise LedgerError(ledger.file_of("counts"),
                          f"population '{pop}' is not the quantity of any row of counts.csv",
                          line=int(row["line"]), field="population", row_id=row["row_id"])
    with_count = rows[rows["count"].astype(str).str.strip() != ""]
    if with_count.empty:
        return None, rows.iloc[0]
    size = Counter(parse_int(v) for v in with_count["count"]).most_common(1)[0][0]
    return size, with_count.iloc[0]


def subgroup_rows(ledger, prefix: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Rows of ``counts.csv`` that refer to a subgroup (``population`` not ``all``), with the
    subgroup size (None when its row prints no count) and the row that gives it."""
    c = with_prefix(ledger.counts, prefix)
    c = c[c["population"] != "all"]
    recs = []
    sizes: dict = {}          # population -> its size and size row, looked up once
    for r in records(c):
        pop = r["population"]
        if pop not in sizes:
            sizes[pop] = _population_size(ledger, pop, r)
        size, s = sizes[pop]
        recs.append({**r, "size": size, "size_variable": s["variable"],
                     "size_level": s["level"], "size_locator": s["locator"],
                     "size_role": s["role"], "size_population": s["population"]})
    return pd.DataFrame(recs)


def _is_partition(sizes: pd.DataFrame) -> bool:
    """Whether subgroups' size rows are marked as a partition by the ledger: the same variable,
    role ``level`` and the same population (the levels of one variable at one place partition
    their population)."""
    return (sizes["size_role"].eq("level").all() and sizes["size_variable"].nunique() == 1
            and sizes["size_population"].nunique() == 1)


@register(
    "subgroup_recombination", family="arithmetic",
    title="Subgroup rates weighted by the subgroup sizes give the printed overall rate",
    reads=["counts"], assumptions=["arithmetic", "rounding_rule_inferred"], items=["4.6", "4.10"],
    reference=SUM_REF, category="arithmetic",
    formula="sum over subgroups of k_g (round_rule(100·k_g/n_g) == x_g) prints as x_overall of N",
    examples=[
        Example("pass", tables={"counts": [
            _counts_row(variable="Line", level="First", count=80, percent="66.7",
                        denominator=120, quantity="baseline.line.first"),
            _counts_row(variable="Line", level="Later", count=40, percent="33.3",
                        denominator=120, quantity="baseline.line.later"),
            _counts_row(variable="Best response", level="ORR", role="rate", definition="CR+PR",
                        percent="52.5", denominator=80, population="baseline.line.first",
                        quantity="response.orr.first"),
            _counts_row(variable="Best response", level="ORR", role="rate", definition="CR+PR",
                        percent="30.0", denominator=40, population="baseline.line.later",
                        quantity="response.orr.later"),
            _counts_row(variable="Best response", level="ORR", role="rate", definition="CR+PR",
                        percent="45.0", denominator=120, quantity="response.orr")]}),
        Example("flag", tables={"counts": [
            _counts_row(variable="Line", level="First", count=80, percent="66.7",
                        denominator=120, quantity="baseline.line.first"),
            _counts_row(variable="Line", level="Later", count=40, percent="33.3",
                        denominator=120, quantity="baseline.line.later"),
            _counts_row(variable="Best response", level="ORR", role="rate", definition="CR+PR",
                        percent="52.5", denominator=80, population="baseline.line.first",
                        quantity="response.orr.first"),
            _counts_row(variable="Best response", level="ORR", role="rate", definition="CR+PR",
                        percent="30.0", denominator=40, population="baseline.line.later",
                        quantity="response.orr.later"),
            _counts_row(variable="Best response", level="ORR", role="rate", definition="CR+PR",
                        percent="37.5", denominator=120, quantity="response.orr")]}),
    ])
def subgroup_recombination_check(ctx) -> list[Finding]:
    """Subgroup rates recombined into each printed overall rate, where the ledger marks the
    subgroups as a partition (their size rows: one variable, role ``level``, one population) and
    their sizes add up to the overall denominator.

    Parameters
    ----------
    ctx : Context
        Subgroup rows of ``counts`` (``population`` not ``all``) within scope.

    Returns
    -------
    list of Finding
        One per overall value (:func:`recombine_result`); ``not testable`` when the subgroups do
        not partition the cohort (they may overlap or leave patients out). A disagreement another
        rule would resolve rests on ``rounding_rule_inferred``.

    Example
    -------
    52.5 % of 80 and 30.0 % of 40 give 54/120 = 45.0 %, not the printed 37.5 % -> ``inconsistent``.

    References: Carlisle (2017).
    """
    sub = subgroup_rows(ctx.ledger, ctx.scope)
    out: list[Finding] = []
    if sub.empty:
        return out
    for (var, level, svar), g in sub.groupby(["variable", "level", "size_variable"], sort=False):
        g = g.drop_duplicates("population")
        g = g[[_percent_ok(x) for x in g["percent"]]]
        if g.empty:
            continue
        overall = ctx.ledger.where("counts", variable=var, level=level, population="all")
        overall = overall[overall["percent"].map(_percent_ok)] if len(overall) else overall
        if overall.empty:
            continue
        n = parse_int(overall["denominator"].iloc[0])
        item = f"{var}: {level} recombined over {svar}"
        sizes = list(g["size"])
        sub_printed = " + ".join(f"{x}% of {s} ({lv})" for x, s, lv in
                                 zip(g["percent"], sizes, g["size_level"]))
        why = ""
        if any(s is None for s in sizes):
            why = "a subgroup's size row prints no count."
        elif not _is_partition(g):
            why = ("the ledger does not mark the subgroups as a partition (one variable, role "
                   "level, one population): they may overlap or leave patients out.")
        elif sum(sizes) != n:
            why = (f"the subgroup sizes add up to {sum(sizes)}, not {n}: they do not partition "
                   f"the cohort.")
        if why:
            out.append(finding_from(ctx, item=item, result=Result("not testable", "arithmetic",
                                                                  "", why),
                                    locators=list(g["locator"]), printed=sub_printed,
                                    quantity=g["quantity"].iloc[0]))
            continue
        parts = list(zip(g["percent"], sizes))
        for value, og in overall.groupby("percent", sort=False):
            res = recombine_result(parts, value, n, ctx.policy.rule_for(og["locator"].iloc[0]))
            res = _rests_on(res, ctx)
            locs = list(dict.fromkeys([*g["locator"], *g["size_locator"], *og["locator"]]))
            out.append(finding_from(ctx, item=item, result=res, locators=locs,
                                    printed=f"{sub_printed}; overall {value}%",
                                    quantity=og["quantity"].iloc[0]))
    return out


def denominator_table(ledger, rule: str | None = None, prefix: str | Sequence[str] | None = None,
                      max_n: int | None = None, policy=None) -> pd.DataFrame:
    """For each subgroup: its printed rates (and the counts printed beside them), its stated size,
    every size ``1..max_n`` (default N) that can produce all of them under the rule (the policy's
    rule for each rate's place, else ``rule``), and whether the stated size fits under that rule
    (``stated_fits``) or only under another (``fits_rules``)."""
    sub = subgroup_rows(ledger, prefix)
    cols = ["population", "size_variable", "size_level", "stated", "rates", "counts", "items",
            "locators", "size_locator", "fitting", "stated_fits", "fits_rules", "partition_key",
            "quantity"]
    if sub.empty:
        return pd.DataFrame(columns=cols)
    top = max_n or ledger.n
    recs = []
    for pop, g in sub.groupby("population", sort=False):
        g = g[[_percent_ok(x) for x in g["percent"]]].drop_duplicates("percent")
        if g.empty or g["size"].iloc[0] is None:
            continue
        rates = list(g["percent"])
        counts = [parse_int(k) for k in g["count"]]
        rules = [policy.rule_for(loc) if policy else check_rule(rule or "half_up")
                 for loc in g["locator"]]
        stated = int(g["size"].iloc[0])
        fitting = [d for d in range(1, top + 1)
                   if all(_fits(x, k, d, r) for x, k, r in zip(rates, counts, rules))]
        fits_rules = tuple(r for r in RULES
                           if all(_fits(x, k, stated, r) for x, k in zip(rates, counts)))
        s = g.iloc[0]
        key = ((s["size_variable"], s["size_population"]) if s["size_role"] == "level" else None)
        recs.append({"population": pop, "size_variable": s["size_variable"],
                     "size_level": s["size_level"], "stated": stated, "rates": rates,
                     "counts": counts, "items": list(g["level"]), "locators": list(g["locator"]),
                     "size_locator": s["size_locator"], "fitting": fitting,
                     "stated_fits": all(_fits(x, k, stated, r)
                                        for x, k, r in zip(rates, counts, rules)),
                     "fits_rules": fits_rules, "partition_key": key, "quantity": s["quantity"]})
    return pd.DataFrame(recs, columns=cols)


def _ties(rates: Sequence[str], counts: Sequence[int | None], n: int) -> str:
    """The first count/n among those that print as a rate under some rule that is an exact tie."""
    for x, k in zip(rates, counts):
        d = parse_printed(x).decimals
        ks = [k] if k is not None else sorted({j for r in RULES for j in counts_giving(x, n, r)})
        for j in ks:
            if j is not None and j <= n and is_tie(j, n, d):
                return f"{j}/{n} = {_pct(Fraction(100 * j, n), d + 1)}%"
    return ""


_SUB = [_counts_row(variable="Line", level="First", count=80, percent="66.7", denominator=120,
                    quantity="baseline.line.first"),
        _counts_row(variable="Line", level="Later", count=40, percent="33.3", denominator=120,
                    quantity="baseline.line.later"),
        _counts_row(variable="Best response", level="ORR", role="rate", definition="CR+PR",
                    percent="30.0", denominator=40, population="baseline.line.later",
                    quantity="response.orr.later")]


@register(
    "subgroup_denominators", family="arithmetic",
    title="A subgroup's stated size can produce every rate printed for it",
    reads=["counts"], assumptions=["arithmetic", "rounding_rule_inferred"], items=["4.6", "4.9"],
    reference=ROUNDING_REF, category="arithmetic",
    formula="for each rate x (count k if printed) of subgroup g: exists k (or the printed k) with "
            "round_rule(100·k/n_g, d) == x",
    examples=[
        Example("pass", tables={"counts": _SUB}),
        Example("flag", tables={"counts": [*_SUB[:2], {**_SUB[2], "percent": "55.56"}]}),
    ])
def subgroup_denominators_check(ctx) -> list[Finding]:
    """Whether each subgroup's stated size can produce all its printed rates; when not, the sizes
    that can.

    Parameters
    ----------
    ctx : Context
        Subgroup rows of ``counts`` within scope; each rate read under its place's rule.

    Returns
    -------
    list of Finding
        One per subgroup. A count printed beside a rate decides (``count/n`` must print as it; no
        search over counts). ``impossible`` only when no rule lets the stated size give a rate
        (arithmetic alone); a size that fits only under another rule (an exact tie, k/n = x.5 at
        the printed precision) is ``inconsistent`` (rounding) and rests on
        ``rounding_rule_inferred``. Sibling sizes adding up to N are proposed only for subgroups
        the ledger marks as a partition (size rows of one variable, role level, one population).

    Example
    -------
    55.56 % of a stated 40 (attainable only with 90, 99, ...) -> ``impossible``.

    References: Brown & Heathers (2017).
    """
    table = denominator_table(ctx.ledger, prefix=ctx.scope, policy=ctx.policy)
    out = []
    if table.empty:
        return out
    n, show = ctx.ledger.n, int(ctx.settings.extra.get("show_denominators", 6))
    for r in records(table):
        rates = ", ".join(f"{x}%" if k is None else f"{k} ({x}%)"
                          for x, k in zip(r["rates"], r["counts"]))
        fit = r["fitting"]
        listed = ", ".join(str(d) for d in fit[:show]) + (" ..." if len(fit) > show else "")
        item = f"size of subgroup {r['size_level']} ({r['size_variable']})"
        printed = f"{rates} with stated n = {r['stated']}"
        rule = ctx.policy.rule_for(r["locators"][0])
        if r["stated_fits"]:
            res = Result("consistent", "arithmetic", str(r["stated"]),
                         f"n = {r['stated']} produces all of {rates} under {rule}.")
        elif r["fits_rules"] or all(any(_fits(x, k, r["stated"], q) for q in RULES)
                                    for x, k in zip(r["rates"], r["counts"])):
            how = (f"under {_rules(r['fits_rules'])} it produces all of them"
                   if r["fits_rules"] else "each is produced under some rule, not all under one")
            tie = _ties(r["rates"], r["counts"], r["stated"])
            res = Result("inconsistent", "rounding", str(r["stated"]),
                         f"n = {r['stated']} does not produce all of {rates} under {rule}; "
                         f"{how}: a question of the rounding rule"
                         + (f" ({tie} lies exactly halfway at the printed precision)" if tie
                            else "") + ", not of the size.", values={"rule_dependent": True})
        else:
            pair_text = ""
            siblings = (table[(table["partition_key"] == r["partition_key"])
                              & (table["population"] != r["population"])]
                        if r["partition_key"] is not None else table.iloc[0:0])
            if len(siblings):
                pairs = [(d1, d2, s["size_level"]) for _, s in siblings.iterrows()
                         for d1 in fit for d2 in s["fitting"] if d1 + d2 == n]
                sums = sorted({d1 + d2 for _, s in siblings.iterrows()
                               for d1 in fit[:show] for d2 in s["fitting"][:show]})
                if pairs:
                    pair_text = " Pairs adding up to N = {}: {}.".format(
                        n, ", ".join(f"{d1} + {d2} ({lv})" for d1, d2, lv in pairs[:show]))
                else:
                    pair_text = (f" No fitting size of {r['size_level']} plus a fitting size of "
                                 f"{', '.join(siblings['size_level'])} makes N = {n} "
                                 f"(smallest sums: {', '.join(map(str, sums[:show]))}).")
            found = (f"sizes 1-{n} that produce all of them: {listed} ({len(fit)} in all)."
                     if fit else f"no size 1-{n} produces all of them.")
            res = Result("impossible", "arithmetic", listed or "none",
                         f"no integer counts out of n = {r['stated']} give {rates} under any "
                         f"rounding rule; under {rule}, " + found + pair_text)
        res = _rests_on(res, ctx)
        locs = list(dict.fromkeys([*r["locators"], r["size_locator"]]))
        out.append(finding_from(ctx, item=item, result=res, locators=locs, printed=printed,
                                quantity=r["quantity"]))
    return out
