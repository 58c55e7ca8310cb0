"""Sampling error of printed rates (check family 6).

:func:`rate_ci_table` gives the exact (Clopper-Pearson) confidence interval of every printed rate,
computed with ``statsmodels.stats.proportion.proportion_confint(method="beta")`` (Clopper CJ,
Pearson ES 1934, Biometrika 26:404-413).

When one rate is printed with two different values (see :mod:`helpers.checks.appearances`),
:func:`within_sampling_error` asks whether the other value could be sampling noise around the
reference count: is it inside the exact ``1 - alpha`` interval of ``k/n`` (equivalently, does an
exact binomial test of ``k`` out of ``n`` against the other value not reject at ``alpha``)? The two
values describe the same patients, so "could be noise" does not excuse a contradiction; it says
how far apart the two values are in units of sampling error (e.g. a value from an earlier data cut
of a similar cohort would typically lie inside).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

import pandas as pd
from scipy.stats import binomtest
from statsmodels.stats.proportion import proportion_confint

from .appearances import cluster_values
from .arithmetic import Result, area_of, percent_rows
from ..core.findings import Finding
from ..ledger.load import Ledger
from ..core.rounding import Interval, check_rule, counts_giving, interval


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) confidence interval of ``k/n`` as proportions, via statsmodels."""
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"count {k} and n {n} do not make a proportion")
    if not 0 < level < 1:
        raise ValueError(f"confidence level {level} is not in (0, 1)")
    lo, hi = proportion_confint(k, n, alpha=1 - level, method="beta")
    return float(lo), float(hi)


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
    """Every printed percentage with its count and its exact (Clopper-Pearson) interval, in %."""
    recs = []
    for _, r in percent_rows(ledger, prefix).iterrows():
        n = r["denominator"]
        k, how = count_for(r["percent"], n, rule, r["count"])
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


def within_sampling_error_result(x: str, k: int, n: int, alpha: float = 0.05,
                                 rule: str = "half_up") -> Result:
    """:func:`within_sampling_error` with its explanation."""
    check_rule(rule)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha {alpha} is not in (0, 1)")
    lo, hi = clopper_pearson(k, n, 1 - alpha)
    ci = Interval(Fraction(lo * 100), Fraction(hi * 100), True, True)
    alt = interval(x, rule)
    mid = float(Fraction(alt.low + alt.high) / 2) if alt.low != float("-inf") else float(alt.high)
    p = binomtest(k, n, min(max(mid / 100, 0.0), 1.0)).pvalue
    level = f"{100 * (1 - alpha):g}%"
    span = f"{100 * lo:.2f}-{100 * hi:.2f}%"
    head = (f"{k}/{n} = {100 * k / n:.2f}% has the exact {level} interval {span}; "
            f"exact binomial test of {k}/{n} against {x}%: p = {p:.2g}")
    if alt.overlaps(ci):
        return Result("consistent", "statistical", span,
                      f"{head}. {x}% lies inside: the difference is within sampling error at "
                      f"alpha = {alpha:g} (yet both describe the same patients).")
    return Result("inconsistent", "statistical", span,
                  f"{head}. {x}% lies outside: the difference is too large to be sampling error "
                  f"at alpha = {alpha:g}.")


def within_sampling_error(x: str, k: int, n: int, alpha: float = 0.05, rule: str = "half_up") -> str:
    """Whether a printed alternative value ``x`` (%) of a rate could be sampling noise around
    ``k/n``: ``x`` inside the exact Clopper-Pearson ``1 - alpha`` interval of ``k/n``."""
    return within_sampling_error_result(x, k, n, alpha, rule).verdict


def within_sampling_error_map(df: pd.DataFrame, alpha: float = 0.05, rule: str = "half_up", *,
                              x: str = "alternative", k: str = "count", n: str = "n") -> pd.DataFrame:
    """:func:`within_sampling_error` for every row of ``df``: adds ``verdict``, ``ci`` and
    ``explanation`` columns."""
    recs = []
    for _, r in df.iterrows():
        res = within_sampling_error_result(str(r[x]), int(r[k]), int(r[n]), alpha, rule)
        recs.append({"verdict": res.verdict, "ci": res.expected, "explanation": res.explanation})
    return pd.concat([df.reset_index(drop=True),
                      pd.DataFrame(recs, columns=["verdict", "ci", "explanation"])], axis=1)


def alternative_table(ledger: Ledger, rule: str, prefix: str | Sequence[str] | None = None
                      ) -> pd.DataFrame:
    """Rates printed with more than one value: the reference value (printed most often, a table's
    first) with its count, and each other value."""
    rows = percent_rows(ledger, prefix)
    recs = []
    for quantity, g in rows.groupby("quantity", sort=False):
        values = list(g["percent"])
        groups = cluster_values(values, rule, False)
        if len(groups) < 2:
            continue
        groups.sort(key=lambda ix: (-len(ix), g["source"].iloc[ix[0]] != "table"))
        ref_rows = g.iloc[groups[0]]
        with_count = ref_rows[[c is not None for c in ref_rows["count"]]]
        base = with_count.iloc[0] if len(with_count) else ref_rows.iloc[0]
        n = base["denominator"]
        k, how = count_for(base["percent"], n, rule, base["count"])
        for ix in groups[1:]:
            alt = g.iloc[ix[0]]
            recs.append({"quantity": quantity, "item": base["item"], "reference": base["percent"],
                         "reference_locators": "; ".join(dict.fromkeys(ref_rows["locator"])),
                         "count": k, "count_from": how, "n": n, "alternative": alt["percent"],
                         "alternative_locators": "; ".join(dict.fromkeys(g.iloc[ix]["locator"]))})
    return pd.DataFrame(recs, columns=["quantity", "item", "reference", "reference_locators",
                                       "count", "count_from", "n", "alternative",
                                       "alternative_locators"])


def alternative_findings(ledger: Ledger, rule: str, alpha: float,
                         prefix: str | Sequence[str] | None = None) -> list[Finding]:
    """Family 6 on a ledger: for every rate printed with two values, whether the other value lies
    within sampling error of the reference count (:func:`within_sampling_error`)."""
    out = []
    for _, r in alternative_table(ledger, rule, prefix).iterrows():
        if r["count"] is None or pd.isna(r["count"]):
            res = Result("not testable", "statistical", "", "no count gives the reference value.")
        else:
            res = within_sampling_error_result(r["alternative"], int(r["count"]), int(r["n"]),
                                               alpha, rule)
        out.append(Finding(study=ledger.study, area=area_of(r["quantity"]),
                           check="within_sampling_error", item=f"{r['item']}: {r['alternative']}% "
                           f"vs {r['reference']}%", verdict=res.verdict, category=res.category,
                           locators=(r["alternative_locators"], r["reference_locators"]),
                           printed=f"{r['alternative']}% vs {r['reference']}% "
                                   f"({r['count']}/{r['n']}, count {r['count_from']})",
                           expected=res.expected, explanation=res.explanation,
                           quantity=r["quantity"]))
    return out

