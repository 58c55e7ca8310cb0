"""Arithmetic cross-checks of counts and percentages (check families 1, 2 and 4).

Family 1 -- percentage, count and denominator. :func:`percent_count` asks whether ``count/n``
prints as the reported percentage under a rounding rule, at the printed precision;
:func:`grim_percent` asks whether *any* integer count gives the percentage (the GRIM idea applied to
percentages: Brown & Heathers 2017). :func:`rule_table` and :func:`prevailing_rule` infer which
rule a study used and show rows that need another one.

Family 2 -- totals and bounds. :func:`level_sum` (levels of a variable add up to their denominator),
:func:`percent_sum` (rounded percentages of a partition can add up to 100), :func:`derived_rate`
(a rate such as ORR = CR + PR recomputed from its parts) and :func:`total_bounds` (patients with
at least one event lie between the largest event row and the sum of the rows).

Family 4 -- subgroups. :func:`recombine` (subgroup rates weighted by their sizes give the overall
rate) and :func:`fitting_denominators` (which subgroup sizes can produce all printed rates of a
subgroup).

Each check has the same shape as in the R package scrutiny (Jung 2023): a function on one reported
value (text, so trailing zeros survive), its n and the rounding rule, returning a verdict; a
``*_map`` version over a DataFrame returning a tidy table with a ``verdict`` column; and a
``*_findings`` version that runs on a study's ledger and returns :class:`helpers.core.findings.Finding`
records.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterable, Sequence

import pandas as pd

from ..core.errors import InputError, LedgerError
from ..core.findings import Finding
from ..ledger.load import Ledger
from ..core.printed import parse_int, parse_printed
from ..core.findings import area_of
from ..ledger.select import locator_family, with_prefix
from ..core.rounding import (RULES, Interval, check_rule, counts_giving, exact, format_exact,
                       grim_testable, infer_rule, interval, prints_as, rules_for)

# --------------------------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Result:
    """What a scalar check found: the verdict and the words that go into a Finding."""

    verdict: str
    category: str
    expected: str
    explanation: str


def _pct(x: Fraction, places: int = 3) -> str:
    return f"{float(x):.{places}f}"


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def resolve_rule(rounding: str, ledger: Ledger) -> str:
    """The rule to use: the study's prevailing rule for ``"auto"``, else the named rule."""
    if rounding == "auto":
        return prevailing_rule(ledger)
    return check_rule(rounding)


def _finding(ledger: Ledger, check: str, item: str, res: Result, locators, printed: str,
             quantity: str = "", area: str | None = None) -> Finding:
    return Finding(study=ledger.study, area=area or area_of(quantity), check=check, item=item,
                   verdict=res.verdict, category=res.category, locators=tuple(locators),
                   printed=printed, expected=res.expected, explanation=res.explanation,
                   quantity=quantity)


# --------------------------------------------------------------------------------------------
# Family 1: percentage <-> count <-> denominator
# --------------------------------------------------------------------------------------------

def percent_count_result(x: str, count: int, n: int, rule: str = "half_up",
                         count_label: str = "the printed") -> Result:
    """:func:`percent_count` with its explanation (``count_label`` names where the count comes
    from, e.g. "the printed" or "the parts' sum")."""
    check_rule(rule)
    p = parse_printed(x)
    if n <= 0 or count < 0 or count > n:
        raise ValueError(f"count {count} and n {n} do not make a proportion")
    if p.bound:
        return Result("not testable", "rounding", "",
                      f"{x} is a bound, not a value printed at a precision")
    value = Fraction(100 * count, n)
    shown = format_exact(value, p.decimals, rule)
    ok = rules_for(count, n, p)
    head = f"{count}/{n} = {_pct(value)}%, which prints as {shown} under {rule}"
    if rule in ok:
        return Result("consistent", "rounding", shown, head + ".")
    if ok:
        return Result("inconsistent", "rounding", shown,
                      f"{head}; the printed {x} needs {' or '.join(ok).replace('_', '-')} "
                      f"(a rule other than the one in force).")
    fitting = sorted({k for r in RULES for k in counts_giving(p, n, r)})
    if fitting:
        ks = ", ".join(str(k) for k in fitting)
        return Result("inconsistent", "arithmetic", shown,
                      f"{head}; {x}% of {n} is the count {ks} (under some rounding rule), "
                      f"not {count_label} {count}.")
    return Result("impossible", "rounding", shown,
                  f"{head}; no integer count out of {n} gives {x}% under any rounding rule.")


def percent_count(x: str, count: int, n: int, rule: str = "half_up") -> str:
    """Whether a printed percentage agrees with its count and denominator at the printed precision.

    ``consistent``: ``count/n`` prints as ``x`` under ``rule``; ``inconsistent`` (rounding): only
    under another rule; ``inconsistent`` (arithmetic): ``x`` belongs to another count;
    ``impossible``: no integer count out of ``n`` gives ``x``. (Brown & Heathers 2017, applied to
    percentages.)
    """
    return percent_count_result(x, count, n, rule).verdict


def grim_percent_result(x: str, n: int, rule: str = "half_up") -> Result:
    """:func:`grim_percent` with its explanation."""
    check_rule(rule)
    p = parse_printed(x)
    if n <= 0:
        raise ValueError(f"n {n} is not a positive integer")
    if p.bound:
        return Result("not testable", "rounding", "", f"{x} is a bound")
    if not grim_testable(p, n):
        return Result("not testable", "rounding", "",
                      f"with n = {n} the attainable percentages are {_pct(Fraction(100, n))} "
                      f"points apart, finer than the printed precision: every {p.decimals}-decimal "
                      f"value is attainable.")
    ks = counts_giving(p, n, rule)
    if ks:
        shown = "; ".join(f"{k}/{n} = {_pct(Fraction(100 * k, n))}%" for k in ks)
        return Result("consistent", "rounding", shown, f"{x}% is attainable under {rule}: {shown}.")
    other = {r: counts_giving(p, n, r) for r in RULES if r != rule}
    other = {r: ks for r, ks in other.items() if ks}
    if other:
        r, ks = next(iter(other.items()))
        shown = f"{ks[0]}/{n} = {_pct(Fraction(100 * ks[0], n))}%"
        return Result("inconsistent", "rounding", shown,
                      f"no count out of {n} prints as {x} under {rule}; {shown} prints as {x} "
                      f"only under {' or '.join(other).replace('_', '-')}.")
    below = math.floor(p.value * n / 100)
    near = [k for k in (below, below + 1) if 0 <= k <= n]
    shown = "; ".join(f"{k}/{n} = {_pct(Fraction(100 * k, n))}%" for k in near)
    return Result("impossible", "rounding", shown,
                  f"no integer count out of {n} gives {x}% under any rounding rule "
                  f"(nearest: {shown}).")


def grim_percent(x: str, n: int, rule: str = "half_up") -> str:
    """Whether some integer count out of ``n`` gives the printed percentage ``x`` (GRIM for
    percentages; Brown & Heathers 2017). ``not testable`` when n is so large that every value at
    the printed precision is attainable (``100/n`` <= one unit of the last digit)."""
    return grim_percent_result(x, n, rule).verdict


def _require(df: pd.DataFrame, cols: Iterable[str], source: str) -> None:
    for c in cols:
        if c not in df.columns:
            raise InputError(source, "missing required column", field=c)


def _row_int(row, col: str, source: str, i: int, optional: bool = False) -> int | None:
    value = row[col]
    if _blank(value):
        if optional:
            return None
        raise InputError(source, "required field is empty", line=i + 2, field=col,
                         row_id=str(row.get("row_id", "")) or None)
    try:
        out = parse_int(value)
    except ValueError:
        raise InputError(source, f"'{value}' is not a whole number", line=i + 2, field=col,
                         row_id=str(row.get("row_id", "")) or None) from None
    return out


def _row_text(row, col: str, source: str, i: int) -> str:
    value = row[col]
    if _blank(value):
        raise InputError(source, "required field is empty", line=i + 2, field=col,
                         row_id=str(row.get("row_id", "")) or None)
    text = str(value).strip()
    try:
        parse_printed(text)
    except ValueError:
        raise InputError(source, f"'{text}' is not a number", line=i + 2, field=col,
                         row_id=str(row.get("row_id", "")) or None) from None
    return text


def map_check(check, df: pd.DataFrame, source: str = "data frame", *,
              constants: dict | None = None, **columns) -> pd.DataFrame:
    """Any scalar check mapped over a DataFrame (the ``*_map`` functions of scrutiny): ``columns``
    maps each argument of ``check`` to a column of ``df`` (``x="percent", n="denominator"``);
    ``constants`` gives arguments that are the same for every row (``{"rule": "half_up"}``).
    Returns ``df`` with a ``verdict`` column (and ``category``, ``expected``, ``explanation`` when
    the check has a ``*_result`` twin in its module). A missing column or a bad cell stops with a
    message naming the row (line = row position + 2, as in a CSV file) and the column."""
    import importlib

    module = importlib.import_module(check.__module__)
    detailed = getattr(module, check.__name__ + "_result", None)
    fn = detailed or check
    for c in columns.values():
        if c not in df.columns:
            raise InputError(source, "missing required column", field=c)
    col_args = dict(columns)
    const = dict(constants or {})
    recs = []
    for i, (_, row) in enumerate(df.iterrows()):
        kwargs = dict(const)
        for a, c in col_args.items():
            value = row[c]
            if _blank(value):
                raise InputError(source, "required field is empty", line=i + 2, field=c,
                                 row_id=str(row.get("row_id", "")) or None)
            kwargs[a] = value.item() if hasattr(value, "item") else value
        try:
            res = fn(**kwargs)
        except (ValueError, TypeError) as exc:
            bad = next((c for a, c in col_args.items() if isinstance(kwargs[a], str)
                        and not _parses(kwargs[a])), None)
            raise InputError(source, str(exc), line=i + 2, field=bad,
                             row_id=str(row.get("row_id", "")) or None) from None
        recs.append({"verdict": res.verdict, "category": res.category, "expected": res.expected,
                     "explanation": res.explanation} if isinstance(res, Result)
                    else {"verdict": res})
    cols = ["verdict", "category", "expected", "explanation"] if detailed else ["verdict"]
    return pd.concat([df.reset_index(drop=True), pd.DataFrame(recs, columns=cols)], axis=1)


def _parses(text: str) -> bool:
    try:
        parse_printed(text)
    except ValueError:
        return bool(re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", str(text).strip()))
    return True


def percent_count_map(df: pd.DataFrame, rule: str = "half_up", *, x: str = "percent",
                      count: str = "count", n: str = "denominator",
                      source: str = "data frame") -> pd.DataFrame:
    """:func:`percent_count` for every row of ``df`` (percent as text, count, n): the input with
    ``verdict``, ``category``, ``expected``, ``rules`` and ``explanation`` columns. A bad cell stops
    with a message naming the row (line = row position + 2, as in a CSV) and the column."""
    _require(df, (x, count, n), source)
    out = []
    for i, (_, row) in enumerate(df.iterrows()):
        xv = _row_text(row, x, source, i)
        k = _row_int(row, count, source, i)
        nv = _row_int(row, n, source, i)
        if nv <= 0 or k > nv:
            raise InputError(source, f"count {k} and n {nv} do not make a proportion",
                             line=i + 2, field=count)
        res = percent_count_result(xv, k, nv, rule)
        out.append({"verdict": res.verdict, "category": res.category, "expected": res.expected,
                    "rules": ", ".join(rules_for(k, nv, xv)), "explanation": res.explanation})
    return pd.concat([df.reset_index(drop=True), pd.DataFrame(out, index=range(len(df)),
                                                              columns=["verdict", "category", "expected", "rules", "explanation"])], axis=1)


def grim_percent_map(df: pd.DataFrame, rule: str = "half_up", *, x: str = "percent",
                     n: str = "denominator", source: str = "data frame") -> pd.DataFrame:
    """:func:`grim_percent` for every row of ``df``: the input with a ``verdict`` column etc."""
    _require(df, (x, n), source)
    out = []
    for i, (_, row) in enumerate(df.iterrows()):
        xv = _row_text(row, x, source, i)
        nv = _row_int(row, n, source, i)
        if nv <= 0:
            raise InputError(source, f"n {nv} is not positive", line=i + 2, field=n)
        res = grim_percent_result(xv, nv, rule)
        out.append({"verdict": res.verdict, "category": res.category, "expected": res.expected,
                    "explanation": res.explanation})
    return pd.concat([df.reset_index(drop=True), pd.DataFrame(out, index=range(len(df)),
                                                              columns=["verdict", "category", "expected", "explanation"])], axis=1)


def percent_rows(ledger: Ledger, prefix: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Every printed percentage of the ledger (counts and adverse events) in one frame.

    Columns: ``table, row_id, line, quantity, source, locator, printed, item, count, percent,
    denominator, population, role, variable, level``; ``count`` is an int or None.
    """
    parts = []
    c = ledger.counts
    if len(c):
        suffix = ["" if pop == "all" else f" [{pop}]" for pop in c["population"]]
        part = c.assign(table="counts", item=c["variable"] + ": " + c["level"] + suffix)
        parts.append(part)
    a = ledger.adverse_events
    if len(a):
        part = a.assign(table="adverse_events", item=a["event"] + " " + a["grade_band"],
                        variable=a["event"], level=a["grade_band"], population="all")
        parts.append(part)
    cols = ["table", "row_id", "line", "quantity", "source", "locator", "printed", "item", "count",
            "percent", "denominator", "population", "role", "variable", "level"]
    if not parts:
        return pd.DataFrame(columns=cols)
    df = pd.concat(parts, ignore_index=True)
    df = with_prefix(df, prefix)
    df = df[df["percent"].astype(str).str.strip() != ""][cols].copy()
    df["count"] = pd.Series([parse_int(v) for v in df["count"]], index=df.index, dtype=object)
    df["denominator"] = pd.Series([parse_int(v) for v in df["denominator"]], index=df.index,
                                  dtype=object)
    return df.reset_index(drop=True)


def rule_table(ledger: Ledger, prefix: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Which rounding rules make each printed percentage consistent.

    One row per printed percentage with a boolean column per rule. With a count printed, the
    question is whether ``count/denominator`` prints as the percentage; without, whether any
    integer count does (rows where every value is attainable are marked ``testable = False``).
    ``needs`` names the rules a row is consistent under (empty: none).
    """
    df = percent_rows(ledger, prefix)
    records = []
    for _, r in df.iterrows():
        n, k, x = r["denominator"], r["count"], r["percent"]
        if k is not None:
            ok, testable = rules_for(k, n, x), True
        else:
            testable = grim_testable(x, n)
            ok = tuple(rule for rule in RULES if counts_giving(x, n, rule))
        records.append({"table": r["table"], "row_id": r["row_id"], "quantity": r["quantity"],
                        "family": locator_family(r["locator"]), "locator": r["locator"],
                        "item": r["item"], "printed": r["printed"],
                        "count": k, "percent": x, "denominator": n, "testable": testable,
                        **{rule: rule in ok for rule in RULES},
                        "needs": ", ".join(ok) if ok else "none"})
    cols = ["table", "row_id", "quantity", "family", "locator", "item", "printed", "count",
            "percent", "denominator", "testable", *RULES, "needs"]
    return pd.DataFrame(records, columns=cols)


def prevailing_rule(ledger: Ledger) -> str:
    """The study's prevailing rounding rule: the one under which most of its printed percentages
    are consistent (testable rows only; ties go to half-up, then half-even)."""
    table = rule_table(ledger)
    table = table[table["testable"].astype(bool)]
    return infer_rule([[r for r in RULES if row[r]] for _, row in table.iterrows()])


def rule_mix(table: pd.DataFrame) -> pd.DataFrame:
    """Per place in the paper (locator family): how many printed percentages each rule fits, and
    how many fit *only* one rule or none. A place whose rows need different rules mixes rules."""
    t = table[table["testable"].astype(bool)] if "testable" in table else table
    rows = []
    for fam, g in t.groupby("family", sort=False):
        row = {"family": fam, "rows": len(g)}
        for r in RULES:
            row[f"fit {r}"] = int(g[r].sum())
        only_round = int((~g["truncate"] & (g["half_up"] | g["half_even"])).sum())
        only_trunc = int((g["truncate"] & ~g["half_up"] & ~g["half_even"]).sum())
        row["only rounding to nearest"] = only_round
        row["only truncation"] = only_trunc
        row["fit none"] = int((~g[list(RULES)].any(axis=1)).sum())
        row["mixes rules"] = bool(only_round and only_trunc)
        rows.append(row)
    return pd.DataFrame(rows)


def percent_findings(ledger: Ledger, rule: str, prefix: str | Sequence[str] | None = None
                     ) -> list[Finding]:
    """Family 1 on a ledger: every printed percentage against its count and denominator
    (:func:`percent_count`), or, when no count is printed, against any integer count
    (:func:`grim_percent`)."""
    out = []
    for _, r in percent_rows(ledger, prefix).iterrows():
        if r["count"] is not None:
            res = percent_count_result(r["percent"], r["count"], r["denominator"], rule)
            check = "percent_count"
        else:
            res = grim_percent_result(r["percent"], r["denominator"], rule)
            check = "grim_percent"
        out.append(_finding(ledger, check, r["item"], res, [r["locator"]],
                            f"{r['printed']} (n = {r['denominator']})", r["quantity"]))
    return out


def equal_fractions_result(printed: Sequence[str]) -> Result:
    """:func:`equal_fractions` with its explanation."""
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
    """Whether equal fractions ``k/n`` printed at one precision are printed alike (whatever the
    rule, one fraction has one rounded value); different values mean the rows mix rules."""
    return equal_fractions_result(printed).verdict


def equal_fraction_findings(ledger: Ledger, prefix: str | Sequence[str] | None = None
                            ) -> list[Finding]:
    """Family 1 across rows: printed percentages of the same fraction (count / denominator) at the
    same precision, for different quantities (the same quantity printed twice is family 3)."""
    rows = percent_rows(ledger, prefix)
    rows = rows[[k is not None for k in rows["count"]]]
    out = []
    if rows.empty:
        return out
    rows = rows.assign(frac=[Fraction(k, n) for k, n in zip(rows["count"], rows["denominator"])],
                       decimals=[parse_printed(x).decimals for x in rows["percent"]])
    for (frac, d), g in rows.groupby(["frac", "decimals"], sort=False):
        if g["quantity"].nunique() < 2:
            continue
        res = equal_fractions_result(list(g["percent"]))
        k, n = int(g["count"].iloc[0]), int(g["denominator"].iloc[0])
        res = Result(res.verdict, res.category, res.expected,
                     f"{k}/{n} = {_pct(Fraction(100 * k, n))}%: " + res.explanation)
        printed = "; ".join(f"{i}: {p}" for i, p in zip(g["item"], g["printed"]))
        out.append(_finding(ledger, "equal_fractions", f"{k}/{n} printed {len(g)} times", res,
                            list(g["locator"]), printed, g["quantity"].iloc[0]))
    return out


# --------------------------------------------------------------------------------------------
# Family 2: totals and bounds
# --------------------------------------------------------------------------------------------

def level_sum_result(counts: Sequence[int], n: int, complete: bool = True) -> Result:
    """:func:`level_sum` with its explanation."""
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
    """Whether the counts of the levels of one variable add up to their denominator ``n``.
    With ``complete = False`` (not every level printed) only a sum above ``n`` is decisive."""
    return level_sum_result(counts, n, complete).verdict


def percent_sum_result(percents: Sequence[str], rule: str = "half_up", complete: bool = True,
                       exact_parts: Sequence[Fraction] = ()) -> Result:
    """:func:`percent_sum` with its explanation."""
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
        cat = "rounding" if others else "arithmetic"
        tail = (f"; it can under {' or '.join(others).replace('_', '-')}" if others else "")
        return Result("inconsistent", cat, "100",
                      f"{shown} = {_pct(printed_sum, 2)}: under {rule} the true values add up to "
                      f"somewhere in {iv.as_text(3)}, which excludes 100{tail}.")
    if iv.low > 100 or (iv.low == 100 and not iv.low_closed):
        return Result("inconsistent", "arithmetic", "<= 100",
                      f"{shown} = {_pct(printed_sum, 2)} exceeds 100 beyond rounding.")
    return Result("not testable", "arithmetic", "<= 100",
                  f"{shown} = {_pct(printed_sum, 2)}; not every level is printed here.")


def percent_sum(percents: Sequence[str], rule: str = "half_up", complete: bool = True) -> str:
    """Whether rounded percentages of a partition (all levels of a variable) can add up to 100:
    100 must lie in the sum of the intervals of true values each printed value stands for."""
    return percent_sum_result(percents, rule, complete).verdict


def _levels_of(ledger: Ledger) -> dict[tuple[str, str], list[str]]:
    """All level names of each (variable, population) printed anywhere (role = level)."""
    c = ledger.counts
    out: dict[tuple[str, str], list[str]] = {}
    for _, r in c[c["role"] == "level"].iterrows():
        key = (r["variable"], r["population"])
        out.setdefault(key, [])
        if r["level"] not in out[key]:
            out[key].append(r["level"])
    return out


def _level_groups(ledger: Ledger, prefix):
    """The groups of level rows that partition a denominator: same variable, population,
    denominator and locator family, at least two levels. Yields (key, rows, missing levels)."""
    c = with_prefix(ledger.counts, prefix)
    c = c[c["role"] == "level"]
    if c.empty:
        return
    all_levels = _levels_of(ledger)
    c = c.assign(family=[locator_family(x) for x in c["locator"]])
    for (var, pop, den, fam), g in c.groupby(["variable", "population", "denominator", "family"],
                                             sort=False):
        g = g.drop_duplicates("level")
        if len(g) < 2:
            continue
        missing = [lv for lv in all_levels[(var, pop)] if lv not in set(g["level"])]
        yield (var, pop, parse_int(den), fam), g, missing


def level_sum_table(ledger: Ledger, prefix: str | Sequence[str] | None = None) -> pd.DataFrame:
    """One row per group of levels (see :func:`level_sum_findings`): the levels, their counts,
    the sum and the denominator."""
    recs = []
    for (var, pop, n, fam), g, missing in _level_groups(ledger, prefix):
        counts = [parse_int(v) for v in g["count"]]
        recs.append({"variable": var, "family": fam, "population": pop, "denominator": n,
                     "levels": list(g["level"]), "counts": counts,
                     "sum": sum(counts) if all(k is not None for k in counts) else None,
                     "missing": missing})
    return pd.DataFrame(recs, columns=["variable", "family", "population", "denominator",
                                       "levels", "counts", "sum", "missing"])


def level_sum_findings(ledger: Ledger, rule: str, prefix: str | Sequence[str] | None = None
                       ) -> list[Finding]:
    """Family 2 on ``counts.csv``: the levels of a variable printed at one place (same variable,
    population, denominator and locator family) add up to their denominator; where not every count
    is printed, the percentages must be able to add up to 100."""
    out = []
    for (var, pop, n, fam), g, missing in _level_groups(ledger, prefix):
        complete = not missing
        counts = [parse_int(v) for v in g["count"]]
        locs = list(g["locator"])
        printed = "; ".join(f"{lv}: {p}" for lv, p in zip(g["level"], g["printed"]))
        item = f"{var} ({fam})"
        quantity = str(g["quantity"].iloc[0]).rsplit(".", 1)[0]
        if all(k is not None for k in counts):
            res = level_sum_result(counts, n, complete)
            if missing and res.verdict == "not testable":
                res = Result(res.verdict, res.category, res.expected,
                             res.explanation + f" Not printed here: {', '.join(missing)}.")
            out.append(_finding(ledger, "level_sum", item, res, locs, printed, quantity))
        else:
            pcts = [p for p, k in zip(g["percent"], counts) if str(p).strip()]
            exact_parts = [Fraction(100 * k, n) for p, k in zip(g["percent"], counts)
                           if not str(p).strip() and k is not None]
            if len(pcts) + len(exact_parts) < len(g):
                continue
            res = percent_sum_result(pcts, rule, complete, exact_parts)
            out.append(_finding(ledger, "percent_sum", item, res, locs, printed, quantity))
    return out


def derived_rate_result(x: str | None, parts: Sequence[int], n: int, rule: str = "half_up",
                        count: int | None = None) -> Result:
    """:func:`derived_rate` with its explanation."""
    check_rule(rule)
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
        return Result("consistent", "arithmetic", str(total), f"{terms} = {total} = {count}.")
    res = percent_count_result(x, total, n, rule, count_label="the parts' sum")
    text = f"parts {terms} = {total}; " + res.explanation
    category = "rounding" if res.verdict == "inconsistent" and res.category == "rounding" \
        else "arithmetic"
    return Result(res.verdict, category, res.expected, text)


def derived_rate(x: str | None, parts: Sequence[int], n: int, rule: str = "half_up",
                 count: int | None = None) -> str:
    """Whether a derived rate (e.g. ORR = CR + PR) equals the sum of its parts out of ``n`` at the
    printed precision (and, if a count is printed, whether the count is that sum)."""
    return derived_rate_result(x, parts, n, rule, count).verdict


def _part_count(ledger: Ledger, row, level: str, rule: str) -> tuple[int | None, list[str], str]:
    """The count of one part of a derived rate: from the same place if printed there, else from
    the other appearances of that level when they agree. Returns (count, locators, note)."""
    c = ledger.counts
    cand = c[(c["variable"] == row["variable"]) & (c["level"] == level)
             & (c["role"] == "level") & (c["population"] == row["population"])]
    if cand.empty:
        return None, [], f"level '{level}' is not printed for population '{row['population']}'"
    fam = locator_family(row["locator"])
    same = cand[[locator_family(x) == fam for x in cand["locator"]]]
    pool = same if len(same) else cand
    values = []
    for _, r in pool.iterrows():
        k = parse_int(r["count"])
        if k is None and str(r["percent"]).strip():
            ks = counts_giving(r["percent"], parse_int(r["denominator"]), rule)
            k = ks[0] if len(ks) == 1 else None
        if k is not None:
            values.append((k, r["locator"]))
    if not values:
        return None, [], f"no count of level '{level}' is printed"
    tally = Counter(k for k, _ in values)
    if len(tally) > 1:
        tables = [(k, loc) for k, loc in values if loc.startswith("Table")]
        k = tables[0][0] if tables else tally.most_common(1)[0][0]
        note = (f"level '{level}' is printed with different counts "
                f"({', '.join(str(v) for v in tally)}); {k} used")
    else:
        k, note = values[0][0], ""
    return k, [loc for v, loc in values if v == k], note


def derived_rate_findings(ledger: Ledger, rule: str, prefix: str | Sequence[str] | None = None
                          ) -> list[Finding]:
    """Family 2 for ``role = rate`` rows: each derived rate recomputed from the levels in its
    ``definition`` (parts from the same place when printed there, else from elsewhere)."""
    c = with_prefix(ledger.counts, prefix)
    out = []
    for _, r in c[c["role"] == "rate"].iterrows():
        levels = [s.strip() for s in str(r["definition"]).split("+") if s.strip()]
        parts, locs, notes = [], [r["locator"]], []
        for lv in levels:
            k, where, note = _part_count(ledger, r, lv, rule)
            if note:
                notes.append(note)
            if k is None:
                parts = None
                break
            parts.append(k)
            locs += [w for w in where if w not in locs]
        pop = "" if r["population"] == "all" else f" [{r['population']}]"
        item = (f"{r['variable']}: {r['level']} = {r['definition']}{pop} "
                f"({locator_family(r['locator'])})")
        printed = f"{r['printed']} (n = {r['denominator']})"
        if parts is None:
            res = Result("not testable", "arithmetic", "",
                         "cannot recompute: " + "; ".join(notes) + ".")
        else:
            pct = str(r["percent"]).strip() or None
            res = derived_rate_result(pct, parts, parse_int(r["denominator"]), rule, parse_int(r["count"]))
            if notes:
                res = Result(res.verdict, res.category, res.expected,
                             res.explanation + " Note: " + "; ".join(notes) + ".")
        out.append(_finding(ledger, "derived_rate", item, res, locs, printed, r["quantity"]))
    return out


_BANDS = {"<3": {1, 2}, "1-2": {1, 2}, ">=3": {3, 4, 5}, "3-4": {3, 4}, "3-5": {3, 4, 5},
          "5": {5}, "any": {1, 2, 3, 4, 5}, ">=1": {1, 2, 3, 4, 5}, "1-5": {1, 2, 3, 4, 5}}


def grades_of(band: str) -> set[int]:
    """The CTCAE grades a printed grade band covers (``"<3"`` -> {1, 2}, ``"any"`` -> 1..5)."""
    b = str(band).replace(" ", "").replace("≥", ">=").replace("≤", "<=").lower()
    if b in _BANDS:
        return set(_BANDS[b])
    m = re.fullmatch(r"(<=|>=|<|>)?(\d)(?:-(\d))?", b)
    if not m:
        raise ValueError(f"grade band '{band}' is not understood")
    op, a, z = m.group(1), int(m.group(2)), m.group(3)
    if z:
        return set(range(a, int(z) + 1))
    return {"<": set(range(1, a)), "<=": set(range(1, a + 1)), ">": set(range(a + 1, 6)),
            ">=": set(range(a, 6)), None: {a}}[op]


def total_bounds_result(total: int, per_event: Sequence[int], cells: Sequence[int], n: int,
                        upper: bool = True) -> Result:
    """:func:`total_bounds` with its explanation."""
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
    """Whether a count of patients with at least one event lies between the largest single event
    (``per_event``: patients with that event in the band) and, with ``upper``, the sum of the event
    rows (capped at ``n``). Below the largest row is impossible; above the sum needs events the table
    omits. The upper bound is meant for severe bands (grade >= 3), whose events a table lists."""
    return total_bounds_result(total, per_event, cells, n, upper).verdict


def _grades(ledger: Ledger, row) -> set[int]:
    """:func:`grades_of` for a ledger row; a band it cannot read stops naming file, line, field."""
    try:
        return grades_of(row["grade_band"])
    except ValueError as exc:
        raise LedgerError(ledger.file_of("adverse_events"), str(exc), line=int(row["line"]),
                          field="grade_band", row_id=row["row_id"]) from None


def cell_counts(ledger: Ledger, rule: str) -> dict[tuple[str, str], tuple[int, str]]:
    """(event, band) -> (count, locator) for every adverse-event row with a known count (a table
    row is preferred; a percentage alone gives the count when exactly one count fits)."""
    a = ledger.adverse_events
    a = a[a["role"] == "event"]
    out: dict[tuple[str, str], tuple[int, str]] = {}
    ordered = sorted(a.iterrows(), key=lambda t: t[1]["source"] != "table")
    for _, r in ordered:
        key = (r["event"], r["grade_band"])
        _grades(ledger, r)
        if key in out:
            continue
        k = parse_int(r["count"])
        if k is None and str(r["percent"]).strip():
            ks = counts_giving(r["percent"], parse_int(r["denominator"]), rule)
            k = ks[0] if len(ks) == 1 else None
        if k is not None:
            out[key] = (k, r["locator"])
    return out


def total_bounds_findings(ledger: Ledger, rule: str) -> list[Finding]:
    """Family 2 on ``adverse_events.csv``: each ``role = total`` row (patients with at least one
    event in a grade band) against the event rows. For an event, the patients with it in the band
    are the sum of its disjoint band cells inside the band (any grade = <3 + >=3, counting each
    patient at their worst grade, the CTCAE convention). The sum of the rows bounds a total from
    above only for a band short of all grades (any-grade events need not all be listed); nested
    totals must be ordered."""
    a = ledger.adverse_events
    cells = cell_counts(ledger, rule)
    out = []
    totals = a[a["role"] == "total"]
    for _, t in totals.iterrows():
        k = parse_int(t["count"])
        if k is None and str(t["percent"]).strip():
            ks = counts_giving(t["percent"], parse_int(t["denominator"]), rule)
            k = ks[0] if len(ks) == 1 else None
        band = _grades(ledger, t)
        item = f"patients with any event, grade {t['grade_band']}"
        if k is None:
            res = Result("not testable", "arithmetic", "", "no count printed or derivable.")
            out.append(_finding(ledger, "total_bounds", item, res, [t["locator"]], t["printed"],
                                t["quantity"]))
            continue
        per_event: dict[str, int] = {}
        inside: list[int] = []
        for (event, b), (cnt, _) in cells.items():
            g = grades_of(b)
            if g <= band:
                per_event[event] = per_event.get(event, 0) + cnt
                inside.append(cnt)
        if not per_event:
            res = Result("not testable", "arithmetic", "", "no event rows inside this band.")
        else:
            upper = band != set(range(1, 6))
            res = total_bounds_result(k, list(per_event.values()), inside, parse_int(t["denominator"]),
                                      upper)
            top = max(per_event, key=per_event.get)
            res = Result(res.verdict, res.category, res.expected,
                         res.explanation + f" Most frequent: {top}.")
        locs = [t["locator"], "Table rows of " + t["grade_band"]]
        out.append(_finding(ledger, "total_bounds", item, res, locs, t["printed"], t["quantity"]))
    # nested totals: a wider band cannot have fewer patients
    known = []
    for _, t in totals.iterrows():
        k = parse_int(t["count"])
        if k is not None:
            known.append((_grades(ledger, t), k, t))
    for g1, k1, t1 in known:
        for g2, k2, t2 in known:
            if g1 < g2:
                ok = k1 <= k2
                res = Result("consistent" if ok else "impossible", "arithmetic", f"<= {k2}",
                             f"grade {t1['grade_band']} ({k1}) is a subset of grade "
                             f"{t2['grade_band']} ({k2})" + ("." if ok else " but has more patients."))
                out.append(_finding(ledger, "nested_totals",
                                    f"grade {t1['grade_band']} within grade {t2['grade_band']}",
                                    res, [t1["locator"], t2["locator"]],
                                    f"{t1['printed']}; {t2['printed']}", t1["quantity"]))
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
    """:func:`recombine` with its explanation."""
    check_rule(rule)
    lows, highs, notes = [], [], []
    for x, size in parts:
        ks, attainable = _feasible_counts(x, size, rule)
        lows.append(min(ks))
        highs.append(max(ks))
        if not attainable:
            notes.append(f"{x}% of {size} is not attainable (between {min(ks)} and {max(ks)})")
    lo, hi = sum(lows), sum(highs)
    fits = [t for t in range(lo, hi + 1) if prints_as(t, n, overall, rule)]
    d = parse_printed(overall).decimals
    span = (f"{lo}/{n} = {format_exact(Fraction(100 * lo, n), d + 1, rule)}%" if lo == hi else
            f"{lo}-{hi} of {n} = {format_exact(Fraction(100 * lo, n), d + 1, rule)}-"
            f"{format_exact(Fraction(100 * hi, n), d + 1, rule)}%")
    terms = " + ".join(f"{x}% of {size}" for x, size in parts)
    note = (" (" + "; ".join(notes) + ")") if notes else ""
    if fits:
        return Result("consistent", "arithmetic", span,
                      f"{terms} gives {span}{note}, which prints as {overall}.")
    return Result("inconsistent", "arithmetic", span,
                  f"{terms} gives {span}{note}; the overall rate is printed as {overall}.")


def recombine(parts: Sequence[tuple[str, int]], overall: str, n: int, rule: str = "half_up") -> str:
    """Whether subgroup rates, each ``(printed percentage, subgroup size)``, recombine into the
    printed overall rate out of ``n``: the subgroup counts (integers printing as each rate) must
    add up to a count that prints as ``overall``."""
    return recombine_result(parts, overall, n, rule).verdict


def fitting_denominators(rates: Sequence[str], rule: str = "half_up", max_n: int = 1000,
                         min_n: int = 1) -> list[int]:
    """All denominators ``min_n..max_n`` for which every printed rate in ``rates`` is attainable
    (some integer count prints as it under ``rule``)."""
    check_rule(rule)
    out = []
    for d in range(min_n, max_n + 1):
        if all(counts_giving(x, d, rule) for x in rates):
            out.append(d)
    return out


def _population_size(ledger: Ledger, pop: str, row) -> tuple[int, pd.Series]:
    c = ledger.counts
    rows = c[c["quantity"] == pop]
    if rows.empty:
        raise LedgerError(ledger.file_of("counts"),
                          f"population '{pop}' is not the quantity of any row of counts.csv",
                          line=int(row["line"]), field="population", row_id=row["row_id"])
    with_count = rows[rows["count"].astype(str).str.strip() != ""]
    if with_count.empty:
        first = rows.iloc[0]
        raise LedgerError(ledger.file_of("counts"),
                          f"row giving the size of population '{pop}' prints no count",
                          line=int(first["line"]), field="count", row_id=first["row_id"])
    size = Counter(parse_int(v) for v in with_count["count"]).most_common(1)[0][0]
    return size, with_count.iloc[0]


def subgroup_rows(ledger: Ledger, prefix: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Rows of ``counts.csv`` that refer to a subgroup (``population`` not ``all``), with the
    subgroup size and the variable that defines the subgroup."""
    c = with_prefix(ledger.counts, prefix)
    c = c[c["population"] != "all"]
    recs = []
    for _, r in c.iterrows():
        size, size_row = _population_size(ledger, r["population"], r)
        recs.append({**r.to_dict(), "size": size, "size_variable": size_row["variable"],
                     "size_level": size_row["level"], "size_locator": size_row["locator"]})
    return pd.DataFrame(recs)


def subgroup_findings(ledger: Ledger, rule: str, prefix: str | Sequence[str] | None = None
                      ) -> list[Finding]:
    """Family 4: subgroup rates recombined into each printed overall rate (when the subgroups
    partition the cohort); see :func:`recombine`."""
    sub = subgroup_rows(ledger, prefix)
    out: list[Finding] = []
    if sub.empty:
        return out
    c = ledger.counts
    for (var, level, svar), g in sub.groupby(["variable", "level", "size_variable"], sort=False):
        g = g.drop_duplicates("population")
        g = g[g["percent"].astype(str).str.strip() != ""]
        if g.empty:
            continue
        overall = c[(c["variable"] == var) & (c["level"] == level) & (c["population"] == "all")
                    & (c["percent"].astype(str).str.strip() != "")]
        if overall.empty:
            continue
        n = parse_int(overall["denominator"].iloc[0])
        sizes = list(g["size"])
        item = f"{var}: {level} recombined over {svar}"
        parts = list(zip(g["percent"], sizes))
        sub_printed = " + ".join(f"{x}% of {s} ({lv})" for x, s, lv in
                                 zip(g["percent"], sizes, g["size_level"]))
        if sum(sizes) != n:
            res = Result("not testable", "arithmetic", "",
                         f"the subgroup sizes add up to {sum(sizes)}, not {n}: they do not "
                         f"partition the cohort.")
            out.append(_finding(ledger, "subgroup_recombination", item, res, list(g["locator"]),
                                sub_printed, g["quantity"].iloc[0]))
            continue
        for value, og in overall.groupby("percent", sort=False):
            res = recombine_result(parts, value, n, rule)
            locs = list(dict.fromkeys([*g["locator"], *g["size_locator"], *og["locator"]]))
            out.append(_finding(ledger, "subgroup_recombination", item, res, locs,
                                f"{sub_printed}; overall {value}%", og["quantity"].iloc[0]))
    return out


def denominator_table(ledger: Ledger, rule: str, prefix: str | Sequence[str] | None = None,
                      max_n: int | None = None) -> pd.DataFrame:
    """For each subgroup: its printed rates, its stated size and every size ``1..max_n`` (default
    N) that can produce all of those rates under ``rule``."""
    sub = subgroup_rows(ledger, prefix)
    if sub.empty:
        return pd.DataFrame(columns=["population", "size_variable", "size_level", "stated",
                                     "rates", "locators", "fitting", "stated_fits"])
    top = max_n or ledger.n
    recs = []
    for pop, g in sub.groupby("population", sort=False):
        rates = [x for x in dict.fromkeys(g["percent"]) if str(x).strip()]
        if not rates:
            continue
        fitting = fitting_denominators(rates, rule, top)
        stated = int(g["size"].iloc[0])
        recs.append({"population": pop, "size_variable": g["size_variable"].iloc[0],
                     "size_level": g["size_level"].iloc[0], "stated": stated,
                     "rates": rates, "items": list(g["level"]), "locators": list(g["locator"]),
                     "size_locator": g["size_locator"].iloc[0], "fitting": fitting,
                     "stated_fits": stated in fitting, "quantity": g["quantity"].iloc[0]})
    return pd.DataFrame(recs)


def denominator_findings(ledger: Ledger, rule: str, prefix: str | Sequence[str] | None = None,
                         show: int = 6, max_n: int | None = None) -> list[Finding]:
    """Family 4: whether each subgroup's stated size can produce all its printed rates; when not,
    the sizes that can (the smallest ``show``), and whether a fitting size of each subgroup of the
    same variable add up to N."""
    table = denominator_table(ledger, rule, prefix, max_n)
    out = []
    if table.empty:
        return out
    n = max_n or ledger.n
    for _, r in table.iterrows():
        rates = ", ".join(f"{x}%" for x in r["rates"])
        fit = r["fitting"]
        listed = ", ".join(str(d) for d in fit[:show]) + (" ..." if len(fit) > show else "")
        item = f"size of subgroup {r['size_level']} ({r['size_variable']})"
        printed = f"{rates} with stated n = {r['stated']}"
        if r["stated_fits"]:
            res = Result("consistent", "arithmetic", str(r["stated"]),
                         f"n = {r['stated']} produces all of {rates} under {rule}.")
        else:
            siblings = table[(table["size_variable"] == r["size_variable"])
                             & (table["population"] != r["population"])]
            pair_text = ""
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
                         f"no integer counts out of n = {r['stated']} give {rates} under {rule}; "
                         + found + pair_text)
        locs = list(dict.fromkeys([*r["locators"], r["size_locator"]]))
        out.append(_finding(ledger, "subgroup_denominators", item, res, locs, printed,
                            r["quantity"]))
    return out
