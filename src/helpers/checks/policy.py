"""The rounding policy: which rounding rule each printed number is read under, resolved once.

A printed percentage with *d* decimals stands for every true value that prints as it under the
paper's rounding rule: half up, half to even, or truncation. With ``rounding="auto"`` the rule is
inferred from the paper's own printed percentages (each tested under every rule against its count,
or, without a count, against any integer count); the **study rule** is the rule most of them fit.
A place in the paper (a table, the abstract) whose own testable values fit another rule strictly
better gets that rule (**place rule**). Any other value of ``rounding`` forces one rule everywhere.

A place whose values need different rules (some fit only rounding to nearest, others only
truncation) **mixes rules**; the policy lists such places (``mixed``), and the ``mixed_rounding``
check reports each once instead of flagging its cells one by one under the majority rule.

Every check, figure and patient-level comparison reads the rule from :class:`RoundingPolicy`
(``ctx.policy``), never by re-deriving it; a finding whose verdict depends on an inferred rule
names the assumption ``rounding_rule_inferred``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import pandas as pd

from ..core.findings import Result
from ..core.printed import parse_int
from ..core.rounding import RULES, check_rule, counts_giving, grim_testable, infer_rule, rules_for
from ..ledger.select import locator_family, with_prefix


def percent_rows(ledger, prefix: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Every printed percentage of the ledger (counts and adverse events) in one frame.

    Columns: ``table, row_id, line, quantity, source, locator, printed, item, count, percent,
    denominator, population, role, variable, level``; ``count`` is an int or None. The whole
    ledger's frame is built once per ledger; each call gets its own copy.
    """
    memo = getattr(ledger, "memo", None)
    full = memo(("percent_rows",), lambda: _percent_rows(ledger)) if memo \
        else _percent_rows(ledger)
    if prefix is None:
        return full.copy()
    return with_prefix(full, prefix).reset_index(drop=True).copy()


def _percent_rows(ledger) -> pd.DataFrame:
    parts = []
    c = ledger.counts
    if len(c):
        suffix = ["" if pop == "all" else f" [{pop}]" for pop in c["population"]]
        parts.append(c.assign(table="counts", item=c["variable"] + ": " + c["level"] + suffix))
    a = ledger.adverse_events
    if len(a):
        parts.append(a.assign(table="adverse_events", item=a["event"] + " " + a["grade_band"],
                              variable=a["event"], level=a["grade_band"], population="all"))
    cols = ["table", "row_id", "line", "quantity", "source", "locator", "printed", "item", "count",
            "percent", "denominator", "population", "role", "variable", "level"]
    if not parts:
        return pd.DataFrame(columns=cols)
    df = pd.concat(parts, ignore_index=True)
    df = df[df["percent"].astype(str).str.strip() != ""].reindex(columns=cols).copy()
    df["count"] = pd.Series([parse_int(v) for v in df["count"]], index=df.index, dtype=object)
    df["denominator"] = pd.Series([parse_int(v) for v in df["denominator"]], index=df.index,
                                  dtype=object)
    return df.reset_index(drop=True)


def rule_table(ledger, prefix: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Which rounding rules make each printed percentage consistent.

    One row per printed percentage with a boolean column per rule. With a count printed, the
    question is whether ``count/denominator`` prints as the percentage; without, whether any
    integer count does (rows where every value is attainable are marked ``testable = False``).
    ``needs`` names the rules a row is consistent under (empty: none).

    The whole ledger's table is computed once per ledger (while its tables stay the same; the
    policy, the mixed-rounding check and the figures all read it); each call gets its own copy,
    a ``prefix`` selecting its rows by quantity.
    """
    memo = getattr(ledger, "memo", None)
    rows = memo(("rule_table",), lambda: _rule_records(ledger)) if memo else _rule_records(ledger)
    if prefix is not None:
        prefixes = (prefix,) if isinstance(prefix, str) else tuple(prefix)
        rows = [r for r in rows if str(r["quantity"]).startswith(prefixes)]
    cols = ["table", "row_id", "quantity", "family", "locator", "item", "printed", "count",
            "percent", "denominator", "testable", *RULES, "needs"]
    # built from the records each time, so that the column types are those of the rows chosen
    return pd.DataFrame(rows, columns=cols)


def _rule_records(ledger) -> list[dict]:
    df = percent_rows(ledger)
    records = []
    cols_in = ["table", "row_id", "quantity", "locator", "item", "printed", "count", "percent",
               "denominator"]
    for tab, rid, qty, loc, item, printed, k, x, n in zip(*(df[c].tolist() for c in cols_in)):
        if k is not None:
            ok, testable = rules_for(k, n, x), True
        else:
            testable = grim_testable(x, n)
            ok = tuple(rule for rule in RULES if counts_giving(x, n, rule))
        records.append({"table": tab, "row_id": rid, "quantity": qty,
                        "family": locator_family(loc), "locator": loc,
                        "item": item, "printed": printed,
                        "count": k, "percent": x, "denominator": n, "testable": testable,
                        **{rule: rule in ok for rule in RULES},
                        "needs": ", ".join(ok) if ok else "none"})
    return records


def _infer(table: pd.DataFrame) -> str:
    t = table[table["testable"].astype(bool)] if len(table) else table
    flags = [t[r].tolist() for r in RULES]
    return infer_rule([[r for r, f in zip(RULES, fs) if f] for fs in zip(*flags)]
                      if flags and len(t) else [])


def prevailing_rule(ledger) -> str:
    """The study's prevailing rounding rule: the one under which most of its printed percentages
    are consistent (testable rows only; ties go to half-up, then half-even)."""
    return _infer(rule_table(ledger))


def only_nearest(table: pd.DataFrame) -> pd.Series:
    """Rows of a :func:`rule_table` that fit rounding to nearest (half up or half even) but not
    truncation."""
    return ~table["truncate"].astype(bool) & (table["half_up"].astype(bool)
                                              | table["half_even"].astype(bool))


def only_truncation(table: pd.DataFrame) -> pd.Series:
    """Rows of a :func:`rule_table` that fit truncation but neither rule of rounding to nearest."""
    return (table["truncate"].astype(bool) & ~table["half_up"].astype(bool)
            & ~table["half_even"].astype(bool))


def rule_mix(table: pd.DataFrame) -> pd.DataFrame:
    """Per place in the paper (locator family): how many printed percentages each rule fits, and
    how many fit *only* one rule or none. A place whose rows need different rules (some only
    rounding to nearest, some only truncation) mixes rules."""
    t = table[table["testable"].astype(bool)] if "testable" in table else table
    rows = []
    for fam, g in t.groupby("family", sort=False):
        row = {"family": fam, "rows": len(g)}
        for r in RULES:
            row[f"fit {r}"] = int(g[r].sum())
        only_round = int(only_nearest(g).sum())
        only_trunc = int(only_truncation(g).sum())
        row["only rounding to nearest"] = only_round
        row["only truncation"] = only_trunc
        row["fit none"] = int((~g[list(RULES)].astype(bool).any(axis=1)).sum())
        row["mixes rules"] = bool(only_round and only_trunc)
        rows.append(row)
    cols = ["family", "rows", *[f"fit {r}" for r in RULES], "only rounding to nearest",
            "only truncation", "fit none", "mixes rules"]
    return pd.DataFrame(rows, columns=cols)


@dataclass(frozen=True)
class RoundingPolicy:
    """The rule each printed number is read under (see the module docstring).

    Attributes
    ----------
    requested : str
        What the run asked for: ``auto`` or a rule name.
    rule : str
        The study rule.
    by_place : dict
        Locator family (``"Table 4"``) -> rule, for places whose own values fit another rule
        strictly better (only with ``auto``).
    inferred : bool
        True when the rule was inferred (``auto``): verdicts that depend on it rest on the
        assumption ``rounding_rule_inferred``.
    mixed : frozenset
        Places whose testable percentages mix rules (some fit only rounding to nearest, others
        only truncation), whatever was requested: the ``mixed_rounding`` check reports each once.
    """

    requested: str
    rule: str
    by_place: dict = field(default_factory=dict)
    inferred: bool = False
    mixed: frozenset = frozenset()

    def rule_for(self, locator: str | None = None) -> str:
        """The rule for a number printed at ``locator`` (its place's rule, else the study's)."""
        if locator:
            return self.by_place.get(locator_family(locator), self.rule)
        return self.rule

    def mixes(self, locator: str) -> bool:
        """Whether the place of ``locator`` prints its percentages under more than one rule."""
        return locator_family(locator) in self.mixed

    @property
    def assumptions(self) -> tuple[str, ...]:
        """What a verdict that depends on the rule rests on."""
        return ("rounding_rule_inferred",) if self.inferred else ()

    def qualify(self, res: Result, extra: Sequence[str] = ()) -> Result:
        """``res`` with what its flagged verdict rests on: this policy's assumptions when the
        verdict depends on the rule (``res.values["rule_dependent"]``), plus ``extra``. An
        ``impossible`` verdict holds under every rule and is returned as it is."""
        if res.verdict == "impossible" or not res.flagged:
            return res
        keys = set(res.assumptions) | set(extra)
        if res.values.get("rule_dependent"):
            keys |= set(self.assumptions)
        if keys == set(res.assumptions):
            return res
        return replace(res, assumptions=tuple(sorted(keys)))

    def describe(self) -> pd.DataFrame:
        rows = [{"place": "whole study", "rule": self.rule,
                 "how": "inferred from the printed percentages" if self.inferred else "requested"}]
        rows += [{"place": p, "rule": r, "how": "this place's own percentages fit it better"}
                 for p, r in sorted(self.by_place.items())]
        rows += [{"place": p, "rule": self.rule_for(p),
                  "how": "this place mixes rules (see the mixed-rounding finding)"}
                 for p in sorted(self.mixed)]
        return pd.DataFrame(rows, columns=["place", "rule", "how"])


def resolve_policy(ledger, rounding: str = "auto") -> RoundingPolicy:
    """Resolve ``rounding`` for ``ledger`` once: the study rule and any place rules.

    Parameters
    ----------
    ledger : Ledger
    rounding : str
        ``auto`` (infer) or one of :data:`helpers.core.rounding.RULES`.

    Returns
    -------
    RoundingPolicy

    Example
    -------
    >>> resolve_policy(ledger, "truncate").rule_for("Table 4")     # doctest: +SKIP
    'truncate'
    """
    if rounding not in (None, "auto"):
        check_rule(rounding)
    table = rule_table(ledger)
    mix = rule_mix(table)
    mixed = frozenset(mix.loc[mix["mixes rules"].astype(bool), "family"]) if len(mix) \
        else frozenset()
    if rounding not in (None, "auto"):
        return RoundingPolicy(requested=rounding, rule=check_rule(rounding), mixed=mixed)
    study_rule = _infer(table)
    by_place = {}
    testable = table[table["testable"].astype(bool)] if len(table) else table
    for place, g in testable.groupby("family", sort=True):
        best = _infer(g)
        if best != study_rule and int(g[best].sum()) > int(g[study_rule].sum()):
            by_place[place] = best
    return RoundingPolicy(requested="auto", rule=study_rule, by_place=by_place, inferred=True,
                          mixed=mixed)
