"""Means and SDs (check family 5).

Scalar checks take printed values as text (so trailing zeros survive) and return a
:class:`helpers.core.findings.Result`; the ``*_map`` versions are made by
:func:`helpers.checks.mapping.make_map`; the registered checks (``grim_mean``, ``grimmer``,
``sd_feasible``, ``sd_range``, ``cutoff_share``) run on a study's ledger through a
:class:`~helpers.checks.registry.Context`.

* :func:`grim_mean_result` -- can a mean of ``n`` values recorded on a grid (``granularity``, e.g.
  whole years) print as reported? (Brown NJL, Heathers JAJ 2017, The GRIM test, Soc Psychol Personal
  Sci 8:363-369.) Not testable when ``granularity / n`` is at most one unit of the printed precision,
  or when no granularity is given (continuous data).
* :func:`grimmer_result` -- can the SD go with that mean? The sum of squares of integers is an
  integer of the same parity as their sum (Anaya J 2016, The GRIMMER test, PeerJ Preprints
  4:e2400; Allard A 2018, analytic GRIMMER). Not testable when the sums of squares the SD allows
  span two or more integers for every possible sum.
* :func:`sd_feasible_result` -- can data inside the inclusion limits [a, b] (e.g. the ages the study
  admitted) have that SD? The variance of data in [a, b] with mean M is at most (M - a)(b - M)
  (Bhatia R, Davis C 2000, A better bound on the variance, Am Math Monthly 107:353-357), times
  n/(n-1) for the sample SD.
* :func:`sd_range_result` -- the same bound with the printed minimum and maximum of the same
  variable in the same patients (a mean ± SD row linked to a median (range) row, or a mean ± SD row
  that prints its own range); the mean must also lie inside [min, max].
* :func:`cutoff_share_result` -- the share of patients beyond a cut-off the paper uses (level names
  such as ``<60`` or ``>=10cm`` in ``counts`` or ``hazard_ratios``, or ``cut`` in
  ``covariates.yaml``) that the printed mean and SD imply under normality, against any printed
  count of that level. Above Cantelli's one-sided bound (sigma^2 / (sigma^2 + t^2), no
  distributional assumption) the count is impossible; far from the normal share it is implausible
  under the assumption ``normal_distribution``; a cut-off outside a printed range leaves a level
  empty.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from fractions import Fraction
from functools import lru_cache
from typing import Sequence

import pandas as pd
from scipy.stats import binomtest, norm

from ..core.findings import Finding, Result, finding_from
from ..core.printed import parse_int, parse_printed
from ..core.rounding import RULES, Interval, check_rule, exact, interval
from ..core.text import slug
from ..ledger.load import Ledger
from ..ledger.select import records, with_prefix
from .mapping import make_map
from .registry import Example, register

__all__ = [
    "grim_mean_result", "grim_mean", "grim_mean_map", "grimmer_result", "grimmer", "grimmer_map",
    "max_sd", "sd_feasible_result", "sd_feasible", "sd_feasible_map", "sd_range_result",
    "sd_range", "sd_range_map", "range_pairs", "cutoff_share_result", "cutoff_share",
    "cutoff_result", "cutoff_table", "mean_table", "limits_for", "parse_cutoff", "name_score",
    "match_name",
]

MAX_CANDIDATES = 20000
# A printed count of a cut-off level is called implausible under normality when an exact binomial
# test of it against the share the normal distribution implies gives p below this value.
NORMAL_TOLERANCE = 0.001

GRIM_REF = ("Brown NJL, Heathers JAJ (2017) The GRIM test: a simple technique detects numerous "
            "anomalies in the reporting of results in psychology. Soc Psychol Personal Sci "
            "8:363-369")
GRIMMER_REF = ("Anaya J (2016) The GRIMMER test: a method for testing the validity of reported "
               "measures of variability. PeerJ Preprints 4:e2400v1; Brown NJL, Heathers JAJ (2017) "
               "Soc Psychol Personal Sci 8:363-369; Allard A (2018) Analytic-GRIMMER")
BHATIA_DAVIS_REF = ("Bhatia R, Davis C (2000) A better bound on the variance. Am Math Monthly "
                    "107:353-357")
CANTELLI_REF = ("Cantelli FP (1928) Sui confini della probabilita (one-sided Chebyshev "
                "inequality); normal approximation of the share beyond a cut-off")


# ------------------------------------------------------------------------------------------
# shared helpers
# ------------------------------------------------------------------------------------------

def _n(value) -> int:
    """A sample size from a cell or an argument (``"120"``, 120, 120.0)."""
    if isinstance(value, bool):
        raise TypeError("n is a whole number, not a truth value")
    if isinstance(value, float):
        if value != int(value):
            raise ValueError(f"n {value} is not a whole number")
        value = int(value)
    n = value if isinstance(value, int) else parse_int(value)
    if n is None or n <= 0:
        raise ValueError(f"n {value} is not a positive integer")
    return n


def _count(value) -> int:
    """A count (0 allowed) from a cell or an argument."""
    if isinstance(value, bool):
        raise TypeError("a count is a whole number, not a truth value")
    if isinstance(value, float):
        if value != int(value):
            raise ValueError(f"count {value} is not a whole number")
        return int(value)
    k = value if isinstance(value, int) else parse_int(value)
    if k is None or k < 0:
        raise ValueError(f"count {value} is not a non-negative integer")
    return k


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) \
        or str(value).strip() in ("", "nan", "None")


def _num(value) -> float:
    return float(value) if isinstance(value, (int, float)) else parse_printed(value).value


def _rests_on(res: Result, ctx) -> Result:
    """``res`` with the rounding assumption its flagged verdict rests on
    (:meth:`helpers.checks.policy.RoundingPolicy.qualify`)."""
    return ctx.policy.qualify(res)


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


# ------------------------------------------------------------------------------------------
# GRIM and GRIMMER
# ------------------------------------------------------------------------------------------

def _sums(iv: Interval, n: int, g: Fraction) -> list[int]:
    """Integers k with k*g/n inside ``iv`` (possible sums, in units of the grid ``g``)."""
    lo = math.floor(iv.low * n / g) - 1
    hi = math.ceil(iv.high * n / g) + 1
    if hi - lo > MAX_CANDIDATES:
        raise OverflowError("too many candidate sums")
    return [k for k in range(lo, hi + 1) if iv.contains(Fraction(k) * g / n)]


def _granularity(granularity) -> Fraction | None:
    if _blank(granularity):
        return None
    g = exact(str(granularity))
    if g <= 0:
        raise ValueError(f"granularity {granularity} is not positive")
    return g


def grim_mean_result(x: str, n, rule: str = "half_up", granularity="1") -> Result:
    """GRIM: whether a mean of ``n`` values on a grid can print as ``x``.

    Parameters
    ----------
    x : str
        The printed mean, as text (``"3.45"``).
    n : int
        The number of values.
    rule : str
        Rounding rule (:data:`helpers.core.rounding.RULES`).
    granularity : str or None
        The grid the values lie on (``"1"`` whole numbers, ``"0.5"`` halves); None or empty for
        continuous data (then ``not testable``).

    Returns
    -------
    Result
        ``consistent`` with an attainable sum; ``inconsistent`` when only another rounding rule
        gives ``x`` (``values["rule_dependent"]``); ``impossible`` when no sum under any rule does;
        ``not testable`` when the grid of attainable means is not coarser than the printed
        precision.

    Example
    -------
    >>> grim_mean_result("3.47", 20).verdict     # 69/20 = 3.45, 70/20 = 3.50
    'impossible'

    References: Brown & Heathers (2017).
    """
    check_rule(rule)
    n = _n(n)
    p = parse_printed(x)
    g = _granularity(granularity)
    if g is None:
        return Result("not testable", "rounding", "",
                      "continuous data (no granularity): every mean is attainable.")
    unit = Fraction(1, 10 ** p.decimals)
    if p.bound or g / n <= unit:
        return Result("not testable", "rounding", "",
                      f"with n = {n}, means of values on a grid of {g} are {float(g / n):.4g} "
                      f"apart, not coarser than the printed precision {float(unit):g}: every "
                      f"value is attainable.")
    ks = _sums(interval(p, rule), n, g)
    if ks:
        shown = f"sum {ks[0] * g} / {n} = {float(ks[0] * g / n):.4f}"
        return Result("consistent", "rounding", shown, f"{x} is attainable: {shown}.")
    others = [r for r in RULES if r != rule and _sums(interval(p, r), n, g)]
    if others:
        return Result("inconsistent", "rounding", "",
                      f"{x} is not a mean of {n} values on a grid of {g} under {rule}; it is under "
                      f"{' or '.join(others)}.", values={"rule_dependent": True, "rules": others})
    return Result("impossible", "rounding", "",
                  f"no sum of {n} values on a grid of {g} gives a mean that prints as {x} under "
                  f"any rounding rule.")


def grim_mean(x: str, n, rule: str = "half_up", granularity="1") -> str:
    """The verdict of :func:`grim_mean_result`."""
    return grim_mean_result(x, n, rule, granularity).verdict


def grimmer_result(x: str, sd: str, n, rule: str = "half_up", granularity="1") -> Result:
    """GRIMMER: whether the SD ``sd`` can go with a GRIM-consistent mean ``x`` of ``n`` values on
    a grid (``granularity``).

    Parameters
    ----------
    x, sd : str
        The printed mean and SD.
    n : int
        The number of values (>= 2).
    rule : str
        Rounding rule.
    granularity : str or None
        The grid of the values; None for continuous data (``not testable``).

    Returns
    -------
    Result
        ``impossible`` when no integer sum of squares of the parity of the sum gives the SD;
        ``not testable`` when GRIM already fails or cannot test the mean, or the SD allows too wide
        a range of sums of squares.

    Example
    -------
    >>> grimmer_result("3.45", "1.22", 20).verdict
    'impossible'

    References: Anaya (2016); Allard (2018).
    """
    check_rule(rule)
    n = _n(n)
    grim = grim_mean_result(x, n, rule, granularity)
    if grim.verdict != "consistent":
        return Result("not testable", "rounding", "",
                      f"GRIM on the mean is '{grim.verdict}', so the SD cannot be tested on top.")
    if n < 2:
        return Result("not testable", "rounding", "", "an SD needs n >= 2.")
    g = _granularity(granularity)
    mean_iv = interval(x, rule).scaled(1 / g)
    sd_iv = interval(sd, rule).scaled(1 / g)
    if sd_iv.low < 0:
        sd_iv = Interval(Fraction(0), sd_iv.high, True, sd_iv.high_closed)
    ks = _sums(mean_iv, n, Fraction(1))
    widths = []
    for k in ks:
        q = Interval(sd_iv.low ** 2 * (n - 1) + Fraction(k * k, n),
                     sd_iv.high ** 2 * (n - 1) + Fraction(k * k, n), sd_iv.low_closed,
                     sd_iv.high_closed)
        widths.append(q.high - q.low)
        for qq in range(math.floor(q.low), math.ceil(q.high) + 1):
            if qq % 2 == k % 2 and q.contains(qq):
                return Result("consistent", "rounding", f"sum of squares {qq * g * g}",
                              f"sum {k * g} and sum of squares {qq * g * g} give mean {x} and "
                              f"SD {sd} with n = {n}.")
    if min(widths) >= 2:
        return Result("not testable", "rounding", "",
                      "the SD allows a range of sums of squares wider than two integers.")
    return Result("impossible", "rounding", "",
                  f"no integer sum of squares (of the parity of the sum) gives SD {sd} with mean "
                  f"{x} and n = {n}.")


def grimmer(x: str, sd: str, n, rule: str = "half_up", granularity="1") -> str:
    """The verdict of :func:`grimmer_result`."""
    return grimmer_result(x, sd, n, rule, granularity).verdict


grim_mean_map = make_map(grim_mean_result,
                         columns={"x": "center", "n": "n", "granularity": "granularity"},
                         optional=("granularity",), constants=("rule",), name="grim_mean_map")
grimmer_map = make_map(grimmer_result,
                       columns={"x": "center", "sd": "sd", "n": "n", "granularity": "granularity"},
                       optional=("granularity",), constants=("rule",), name="grimmer_map")


def _mean_rows(ctx) -> pd.DataFrame:
    s = ctx.table("summaries")
    return s[s["statistic"].isin(["mean_sd", "mean"])] if len(s) else s


def _summaries_row(**kw) -> dict:
    row = {"population": "all", "statistic": "mean_sd", "granularity": ""}
    row.update({k: str(v) for k, v in kw.items()})
    return row


def on_grid(res: Result) -> Result:
    """A GRIM-type verdict rests on the data lying on the ledger's grid (whole years, whole
    cycles): a flagged one names that assumption, and is at most ``inconsistent``."""
    if not res.flagged:
        return res
    return Result("inconsistent", res.category, res.expected,
                  res.explanation + " (This holds if the raw values lie on the stated grid.)",
                  tuple(res.assumptions) + ("data_granularity",), res.values)


@register(
    "grim_mean", family="means",
    title="A printed mean of values on a grid (whole years, whole cycles) is attainable with n",
    reads=["summaries"], assumptions=["arithmetic", "rounding_rule_inferred", "data_granularity"],
    items=["4.8", "R:statistics"], reference=GRIM_REF, category="rounding",
    formula="exists integer k: round_rule(k·g/n, d) == mean (testable when g/n > 10^-d)",
    examples=[
        Example("pass", tables={"summaries": [_summaries_row(
            variable="Cycles", center="3.45", sd="1.23", n=20, granularity=1)]}),
        Example("flag", tables={"summaries": [_summaries_row(
            variable="Cycles", center="3.47", sd="1.20", n=20, granularity=1)]}),
    ])
def grim_mean_check(ctx) -> list[Finding]:
    """GRIM for every printed mean (``mean_sd`` and ``mean`` rows of ``summaries``).

    Parameters
    ----------
    ctx : Context
        Rows of ``summaries`` within scope; each row read under ``ctx.policy.rule_for(locator)``.
        ``granularity`` is optional: a row without one is continuous data (``not testable``).

    Returns
    -------
    list of Finding
        One per mean (:func:`grim_mean_result`); a verdict that holds only under the inferred
        rounding rule rests on ``rounding_rule_inferred``.

    Example
    -------
    Mean 3.47 of 20 whole numbers: 69/20 = 3.45 and 70/20 = 3.50 -> ``inconsistent`` (impossible
    if the values are whole numbers: the finding names ``data_granularity``).

    References: Brown & Heathers (2017).
    """
    out = []
    for r in records(_mean_rows(ctx)):
        n = parse_int(r["n"])
        res = on_grid(_rests_on(grim_mean_result(r["center"], n, ctx.policy.rule_for(r["locator"]),
                                                 r.get("granularity", "")), ctx))
        out.append(finding_from(ctx, item=f"{r['variable']} mean", result=res,
                                locators=[r["locator"]], printed=f"{r['printed']} (n = {n})",
                                quantity=r["quantity"]))
    return out


@register(
    "grimmer", family="means",
    title="A printed SD can go with its GRIM-consistent mean (integer sum of squares)",
    reads=["summaries"], assumptions=["arithmetic", "data_granularity"],
    items=["4.8", "R:statistics"], reference=GRIMMER_REF, category="rounding",
    formula="exists integer Q ≡ k (mod 2): sd² = (Q − k²/n)/(n − 1) within the printed SD",
    examples=[
        Example("pass", tables={"summaries": [_summaries_row(
            variable="Cycles", center="3.45", sd="1.23", n=20, granularity=1)]}),
        Example("flag", tables={"summaries": [_summaries_row(
            variable="Cycles", center="3.45", sd="1.22", n=20, granularity=1)]}),
    ])
def grimmer_check(ctx) -> list[Finding]:
    """GRIMMER for every printed mean ± SD of ``summaries``.

    Parameters
    ----------
    ctx : Context
        ``mean_sd`` rows of ``summaries`` within scope; the place rule from ``ctx.policy``.

    Returns
    -------
    list of Finding
        One per mean ± SD (:func:`grimmer_result`); rows without a granularity are continuous
        data (``not testable``).

    Example
    -------
    3.45 ± 1.22 with n = 20 whole numbers: no integer sum of squares of the parity of the sum 69
    gives SD 1.22 -> ``impossible``.

    References: Anaya (2016); Allard (2018).
    """
    out = []
    rows = _mean_rows(ctx)
    for r in records(rows[rows["statistic"] == "mean_sd"]):
        n = parse_int(r["n"])
        res = on_grid(grimmer_result(r["center"], r["sd"], n, ctx.policy.rule_for(r["locator"]),
                                     r.get("granularity", "")))
        out.append(finding_from(ctx, item=f"{r['variable']} SD", result=res,
                                locators=[r["locator"]], printed=f"{r['printed']} (n = {n})",
                                quantity=r["quantity"]))
    return out


def mean_table(ledger: Ledger, rule: str, prefix: str | Sequence[str] | None = None
               ) -> pd.DataFrame:
    """Every printed mean with what GRIM needs: n, the grid of the data (granularity), the step
    between attainable means (granularity / n) and one unit of the printed precision. GRIM has
    power only where the step is larger than the unit."""
    s = with_prefix(ledger.summaries, prefix)
    recs = []
    for r in records(s[s["statistic"].isin(["mean_sd", "mean"])]):
        n = parse_int(r["n"])
        g = _granularity(r.get("granularity", ""))
        unit = float(parse_printed(r["center"]).unit)
        recs.append({"variable": r["variable"], "locator": r["locator"], "printed": r["printed"],
                     "n": n, "granularity": None if g is None else float(g),
                     "step": None if g is None else float(g) / n, "unit": unit,
                     "verdict": grim_mean(r["center"], n, rule, r.get("granularity", ""))})
    return pd.DataFrame(recs, columns=["variable", "locator", "printed", "n", "granularity",
                                       "step", "unit", "verdict"])


# ------------------------------------------------------------------------------------------
# SD bounds inside a range (Bhatia-Davis)
# ------------------------------------------------------------------------------------------

def max_sd(mean: float, n: int, low: float, high: float) -> float:
    """The largest sample SD of ``n`` values in [low, high] with the given mean (Bhatia-Davis)."""
    var = max(0.0, (mean - low) * (high - mean))
    return math.sqrt(var * n / (n - 1)) if n > 1 else 0.0


def _bhatia_davis(x: str, n: int, low: float, high: float, rule: str) -> tuple[float, float]:
    """``(mean, bound)``: the largest Bhatia-Davis SD bound over the means that print as ``x`` and
    lie inside [low, high], and the mean that gives it; NaNs when no such mean exists."""
    m_iv = interval(x, rule)
    lo_m, hi_m = max(float(m_iv.low), low), min(float(m_iv.high), high)
    if lo_m > hi_m:
        return math.nan, math.nan
    best_m = min(max((low + high) / 2, lo_m), hi_m)
    return best_m, max_sd(best_m, n, low, high)


def sd_feasible_result(x: str, sd: str, n, low, high, rule: str = "half_up") -> Result:
    """Whether an SD is possible for ``n`` values inside the inclusion limits [low, high] with
    mean ``x`` (Bhatia & Davis 2000).

    Parameters
    ----------
    x, sd : str
        The printed mean and SD.
    n : int
        The number of values.
    low, high : float or str
        The inclusion limits (finite).
    rule : str
        Rounding rule of the printed mean and SD.

    Returns
    -------
    Result
        ``impossible`` when the smallest SD the printed value allows exceeds
        sqrt(n/(n-1)·(M-low)(high-M)) for every mean M that prints as ``x``; ``not testable`` when
        the mean lies outside the limits (the design check ``within_limits`` reports that).

    Example
    -------
    >>> sd_feasible_result("0.5", "0.9", 30, 0, 1).verdict      # at most 0.51
    'impossible'

    References: Bhatia & Davis (2000).
    """
    check_rule(rule)
    n, low, high = _n(n), _num(low), _num(high)
    best_m, bound = _bhatia_davis(x, n, low, high, rule)
    lim = f"[{low:g}, {high:g}]"
    if math.isnan(bound):
        return Result("not testable", "statistical", "",
                      f"the mean {x} lies outside the inclusion limits {lim} (see the design "
                      f"check within_limits).")
    expected = f"SD <= {bound:.2f}"
    s_low = float(interval(sd, rule).low)
    if s_low > bound:
        return Result("impossible", "statistical", expected,
                      f"{n} values inside the inclusion limits {lim} with mean {x} have an SD of "
                      f"at most {bound:.2f} (Bhatia-Davis, at the most favourable mean "
                      f"{best_m:g}); printed {sd}.", values={"bound": bound})
    return Result("consistent", "statistical", expected,
                  f"{n} values inside the inclusion limits {lim} with mean {x} can have an SD up "
                  f"to {bound:.2f} (Bhatia-Davis); printed {sd}.", values={"bound": bound})


def sd_feasible(x: str, sd: str, n, low, high, rule: str = "half_up") -> str:
    """The verdict of :func:`sd_feasible_result`."""
    return sd_feasible_result(x, sd, n, low, high, rule).verdict


sd_feasible_map = make_map(sd_feasible_result,
                           columns={"x": "center", "sd": "sd", "n": "n", "low": "limit_low",
                                    "high": "limit_high"},
                           constants=("rule",), values=("bound",), name="sd_feasible_map")


def sd_range_result(x: str, sd: str, n, minimum: str, maximum: str,
                    rule: str = "half_up") -> Result:
    """Whether a mean ± SD is possible for ``n`` values whose printed minimum and maximum are
    ``minimum`` and ``maximum`` (Bhatia & Davis 2000).

    Parameters
    ----------
    x, sd : str
        The printed mean and SD.
    n : int
        The number of values (the same patients as the range).
    minimum, maximum : str
        The printed range of the same variable.
    rule : str
        Rounding rule of the printed values.

    Returns
    -------
    Result
        ``impossible`` when the mean cannot lie inside [min, max], or when the smallest SD the
        printed value allows exceeds sqrt(n/(n-1)·(M-min)(max-M)) for every mean M, minimum and
        maximum that print as given; else ``consistent``.

    Example
    -------
    >>> sd_range_result("50.0", "30.0", 50, "40", "60").verdict    # at most 10.1
    'impossible'

    References: Bhatia & Davis (2000).
    """
    check_rule(rule)
    n = _n(n)
    lo_iv, hi_iv, m_iv = interval(minimum, rule), interval(maximum, rule), interval(x, rule)
    a, b = float(lo_iv.low), float(hi_iv.high)          # the widest range that prints so
    rng = f"[{minimum}, {maximum}]"
    if float(m_iv.high) < float(lo_iv.low) or float(m_iv.low) > float(hi_iv.high):
        return Result("impossible", "statistical", f"mean in {rng}",
                      f"the mean {x} lies outside the printed range {rng} of the same values: a "
                      f"mean lies between the smallest and the largest value.")
    if n < 2:
        return Result("not testable", "statistical", "", "an SD needs n >= 2.")
    best_m, bound = _bhatia_davis(x, n, a, b, rule)
    expected = f"SD <= {bound:.2f}"
    s_low = float(interval(sd, rule).low)
    if s_low > bound:
        return Result("impossible", "statistical", expected,
                      f"{n} values between the printed minimum {minimum} and maximum {maximum} "
                      f"with mean {x} have an SD of at most {bound:.2f} (Bhatia-Davis, at the most "
                      f"favourable mean {best_m:g}); printed {sd}.", values={"bound": bound})
    return Result("consistent", "statistical", expected,
                  f"{n} values between {minimum} and {maximum} with mean {x} can have an SD up to "
                  f"{bound:.2f} (Bhatia-Davis); printed {sd}.", values={"bound": bound})


def sd_range(x: str, sd: str, n, minimum: str, maximum: str, rule: str = "half_up") -> str:
    """The verdict of :func:`sd_range_result`."""
    return sd_range_result(x, sd, n, minimum, maximum, rule).verdict


sd_range_map = make_map(sd_range_result,
                        columns={"x": "center", "sd": "sd", "n": "n", "minimum": "low",
                                 "maximum": "high"},
                        constants=("rule",), values=("bound",), name="sd_range_map")


def range_pairs(summaries: pd.DataFrame) -> pd.DataFrame:
    """Each mean ± SD linked to a printed range of the same values.

    A ``mean_sd`` row is linked to a ``median_range`` row with the same ``variable`` and
    ``population``, or to its own ``low``/``high`` when it prints them. Rows printed more than once
    (the same values at several places) give one pair with all their locators.

    Returns
    -------
    DataFrame
        Columns ``variable``, ``population``, ``center``, ``sd``, ``n``, ``n_range``, ``low``,
        ``high``, ``mean_locators``, ``range_locators``, ``printed``, ``quantity``.
    """
    cols = ["variable", "population", "center", "sd", "n", "n_range", "low", "high",
            "mean_locators", "range_locators", "printed", "quantity"]
    if summaries is None or summaries.empty:
        return pd.DataFrame(columns=cols)
    s = summaries
    means = s[s["statistic"] == "mean_sd"]
    ranges = s[s["statistic"] == "median_range"]
    recs: dict[tuple, dict] = {}
    # the range rows of each (variable's slug, population), in order: looked up, not scanned
    by_name: dict[tuple, list[dict]] = {}
    for r in records(ranges):
        by_name.setdefault((slug(r["variable"]), str(r["population"])), []).append(r)
    for m in records(means):
        if str(m.get("low", "")).strip() and str(m.get("high", "")).strip():
            partners = [m]
        else:
            partners = by_name.get((slug(m["variable"]), str(m["population"])), [])
        for r in partners:
            key = (slug(m["variable"]), m["population"], m["center"], m["sd"], m["n"], r["low"],
                   r["high"], r["n"])
            rec = recs.setdefault(key, {
                "variable": m["variable"], "population": m["population"], "center": m["center"],
                "sd": m["sd"], "n": m["n"], "n_range": r["n"], "low": r["low"], "high": r["high"],
                "mean_locators": [], "range_locators": [],
                "printed": m["printed"] if r is m else f"{m['printed']}; {r['printed']}",
                "quantity": m["quantity"]})
            rec["mean_locators"].append(m["locator"])
            rec["range_locators"].append(r["locator"])
    out = []
    for rec in recs.values():
        rec["mean_locators"] = list(dict.fromkeys(rec["mean_locators"]))
        rec["range_locators"] = list(dict.fromkeys(rec["range_locators"]))
        out.append(rec)
    return pd.DataFrame(out, columns=cols)


@register(
    "sd_range", family="means",
    title="A mean ± SD is possible for values between the printed minimum and maximum",
    reads=["summaries"], assumptions=["arithmetic"], items=["4.8", "R:statistics"],
    reference=BHATIA_DAVIS_REF, category="statistical",
    formula="min <= mean <= max and SD <= sqrt(n/(n−1)·(mean − min)(max − mean))",
    examples=[
        Example("pass", tables={"summaries": [
            _summaries_row(variable="Weight", center="70.0", sd="12.0", n=50),
            _summaries_row(variable="Weight", statistic="median_range", center="69", low="45",
                           high="101", n=50)]}),
        Example("flag", tables={"summaries": [
            _summaries_row(variable="Weight", center="70.0", sd="30.0", n=50),
            _summaries_row(variable="Weight", statistic="median_range", center="69", low="60",
                           high="80", n=50)]}),
    ])
def sd_range_check(ctx) -> list[Finding]:
    """Every mean ± SD against a printed range of the same variable and population.

    Parameters
    ----------
    ctx : Context
        ``summaries`` rows within scope: a ``mean_sd`` row and a ``median_range`` row with the same
        ``variable`` and ``population`` (or a ``mean_sd`` row with its own ``low``/``high``); the
        place rule of the mean from ``ctx.policy``.

    Returns
    -------
    list of Finding
        One per linked pair (:func:`sd_range_result`); ``not testable`` when the two rows give
        different n (then they need not describe the same values).

    Example
    -------
    Weight 70.0 ± 30.0 with range 60-80, n = 50: the SD is at most 10.1 -> ``impossible``.

    References: Bhatia & Davis (2000).
    """
    out = []
    for p in records(range_pairs(ctx.table("summaries"))):
        n, n_range = parse_int(p["n"]), parse_int(p["n_range"])
        if n != n_range:
            res = Result("not testable", "statistical", "",
                         f"the mean ± SD (n = {n}) and the range (n = {n_range}) are of different "
                         f"numbers of patients.")
        else:
            res = sd_range_result(p["center"], p["sd"], n, p["low"], p["high"],
                                  ctx.policy.rule_for(p["mean_locators"][0]))
        out.append(finding_from(ctx, item=f"{p['variable']} SD within its printed range",
                                result=res,
                                locators=list(dict.fromkeys([*p["mean_locators"],
                                                             *p["range_locators"]])),
                                printed=f"{p['printed']} (n = {n})", quantity=p["quantity"]))
    return out


# ------------------------------------------------------------------------------------------
# inclusion limits and names
# ------------------------------------------------------------------------------------------

def _words(s: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", str(s).lower()) if w]


def _subsequence(short: str, word: str) -> bool:
    if not word.startswith(short[:1]):
        return False
    it = iter(word)
    return all(ch in it for ch in short)


def name_score(short: str, full: str) -> int:
    """How well a (possibly abbreviated) name matches a full name: 4 same words, 3 initials
    (``CRP`` ~ C-reactive protein), 2 a word's prefix (``ALB`` ~ Albumin), 1 letters in order
    inside one word (``PLT`` ~ platelet), 0 no match."""
    s, words = slug(short), _words(full)
    if not s or not words:
        return 0
    if s == slug(full):
        return 4
    compact = s.replace("_", "")
    if len(words) > 1 and compact == "".join(w[0] for w in words):
        return 3
    if len(compact) >= 3 and any(w.startswith(compact) for w in words):
        return 2
    if len(compact) >= 3 and any(_subsequence(compact, w) for w in words):
        return 1
    return 0


def match_name(short: str, candidates: Sequence[str]) -> str | None:
    """The candidate that ``short`` names (the single best :func:`name_score` above 0), or None."""
    scores = [(name_score(short, c), c) for c in dict.fromkeys(candidates)]
    best = max((s for s, _ in scores), default=0)
    winners = [c for s, c in scores if s == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


def limits_for(ledger: Ledger, variable: str) -> tuple[float, float, pd.Series] | None:
    """The inclusion limits ``(low, high, design row)`` stated for a summary variable, matched by
    name to a ``design.csv`` inclusion row; -inf/inf for an open side; None when none is stated."""
    d = ledger.design
    d = d[d["kind"] == "inclusion"] if len(d) else d
    if d.empty:
        return None
    hits = [p for p in d["parameter"] if slug(p) == slug(variable)]
    if not hits:
        return None
    row = d[d["parameter"] == hits[-1]].iloc[0]
    try:
        v = parse_printed(row["value"]).value
        comp = row["comparator"]
        if comp == "range" and str(row["value_high"]).strip():
            return v, parse_printed(row["value_high"]).value, row
    except ValueError:
        return None
    if comp in (">", ">="):
        return v, math.inf, row
    if comp in ("<", "<="):
        return -math.inf, v, row
    return None


@register(
    "sd_feasible", family="means",
    title="A mean ± SD is possible for values inside the inclusion limits (Bhatia-Davis)",
    reads=["summaries", "design"], needs_all=True, assumptions=["arithmetic"],
    items=["4.8", "4.1", "R:statistics"], reference=BHATIA_DAVIS_REF, category="statistical",
    formula="SD <= sqrt(n/(n−1)·(mean − a)(b − mean)) for inclusion limits [a, b]",
    examples=[
        Example("pass", tables={
            "summaries": [_summaries_row(variable="Age", center="44.0", sd="8.0", n=50)],
            "design": [{"kind": "inclusion", "parameter": "age", "value": "20",
                        "value_high": "70", "comparator": "range", "unit": "years"}]}),
        Example("flag", tables={
            "summaries": [_summaries_row(variable="Score", center="0.5", sd="0.9", n=30)],
            "design": [{"kind": "inclusion", "parameter": "score", "value": "0",
                        "value_high": "1", "comparator": "range"}]}),
    ])
def sd_feasible_check(ctx) -> list[Finding]:
    """Bhatia-Davis for every mean ± SD whose variable has two-sided inclusion limits.

    Parameters
    ----------
    ctx : Context
        ``mean_sd`` rows of ``summaries`` within scope; ``design`` rows of kind ``inclusion`` whose
        parameter names the variable, with comparator ``range``.

    Returns
    -------
    list of Finding
        One per mean ± SD with two-sided limits (:func:`sd_feasible_result`).

    Example
    -------
    A score limited to 0-1 with mean 0.5 ± 0.9 (n = 30): the SD is at most 0.51 ->
    ``impossible``.

    References: Bhatia & Davis (2000).
    """
    s = ctx.table("summaries")
    out = []
    limits: dict = {}         # variable -> its limits, looked up once
    for r in records(s[s["statistic"] == "mean_sd"]):
        if r["variable"] not in limits:
            limits[r["variable"]] = limits_for(ctx.ledger, r["variable"])
        lim = limits[r["variable"]]
        if lim is None or math.isinf(lim[0]) or math.isinf(lim[1]):
            continue
        low, high, row = lim
        res = sd_feasible_result(r["center"], r["sd"], parse_int(r["n"]), low, high,
                                 ctx.policy.rule_for(r["locator"]))
        out.append(finding_from(ctx, item=f"{r['variable']} SD within [{low:g}, {high:g}]",
                                result=res, locators=[r["locator"], row["locator"]],
                                printed=f"{r['printed']}; limits {row['printed']}",
                                quantity=r["quantity"]))
    return out


# ------------------------------------------------------------------------------------------
# shares beyond a cut-off
# ------------------------------------------------------------------------------------------

_CUT = re.compile(r"^\s*(<=|>=|<|>|≤|≥)\s*([0-9]+(?:\.[0-9]+)?)")


def parse_cutoff(level: str) -> tuple[str, float] | None:
    """``"<60"`` -> ("<", 60.0); ``">=4×10^9/L"`` -> (">=", 4.0); None if not a cut-off."""
    return _cutoff(str(level))


@lru_cache(maxsize=65536)
def _cutoff(level: str) -> tuple[str, float] | None:
    """:func:`parse_cutoff` of a level's text (a large ledger repeats its level names)."""
    m = _CUT.match(level)
    if not m:
        return None
    op = {"≤": "<=", "≥": ">="}.get(m.group(1), m.group(1))
    return op, float(m.group(2))


def _share(op: str, cut: float, mean: float, sd: float) -> float:
    """P(X op cut) for X ~ Normal(mean, sd)."""
    if sd <= 0:
        above = mean >= cut if op in (">=", ">") else mean < cut
        return 1.0 if above else 0.0
    z = (cut - mean) / sd
    return float(norm.sf(z)) if op in (">", ">=") else float(norm.cdf(z))


def _cantelli(op: str, cut: float, m_iv: Interval, s_iv: Interval) -> float:
    """The largest share beyond the cut-off any distribution with a mean and SD inside the printed
    intervals allows (Cantelli's inequality); 1 when the cut-off is on the near side of the mean."""
    sd = float(s_iv.high)
    t = cut - float(m_iv.high) if op in (">", ">=") else float(m_iv.low) - cut
    if t <= 0:
        return 1.0
    return sd * sd / (sd * sd + t * t)


def _normal_shares(op: str, cut: float, m_iv: Interval, s_iv: Interval) -> tuple[float, float]:
    """The smallest and largest normal share beyond the cut-off over the printed intervals."""
    ms = [float(m_iv.low), float(m_iv.high)]
    ss = [max(float(s_iv.low), 0.0), float(s_iv.high)]
    shares = [_share(op, cut, m, s) for m in ms for s in ss]
    return min(shares), max(shares)


def _levels(ledger: Ledger) -> list[tuple]:
    """Every cut-off level the paper uses: (variable, level, (op, cut), count, locator)."""
    out = []
    counts = ledger.counts
    for var, level, role, count, loc in zip(*(counts[c].tolist() for c in (
            "variable", "level", "role", "count", "locator"))) if len(counts) else ():
        cut = _cutoff(str(level))
        if cut and role == "level":
            out.append((var, level, cut, parse_int(count), loc))
    first_count: dict | None = None      # quantity -> the count of its first row of counts.csv
    for r in records(ledger.hazard_ratios):
        cut = _cutoff(str(r["level"]))
        if not cut:
            continue
        k = None
        lq = str(r.get("level_quantity", "")).strip()
        if lq and len(counts):
            if first_count is None:
                first_count = {}
                for q, cnt in zip(counts["quantity"].tolist(), counts["count"].tolist()):
                    first_count.setdefault(q, cnt)
            if lq in first_count and str(first_count[lq]).strip():
                k = parse_int(first_count[lq])
        if k is None and str(r.get("n_level", "")).strip():
            k = parse_int(r["n_level"])
        out.append((r["variable"], r["level"], cut, k, r["locator"]))
    for var, spec in (ledger.covariates.get("covariates", {}) or {}).items():
        if isinstance(spec, dict) and "cut" in spec:
            c = float(spec["cut"])
            out.append((var, str(spec["below"]), ("<", c), None, "covariates.yaml"))
            out.append((var, str(spec["above"]), (">=", c), None, "covariates.yaml"))
    return out


def cutoff_table(ledger: Ledger) -> pd.DataFrame:
    """Every cut-off level the paper uses (``counts`` and hazard-ratio levels, ``covariates.yaml``
    cuts) matched to a printed summary of the same variable, with the share beyond the cut-off
    that the summary implies under normality and the printed count of that level when there is
    one."""
    cols = ["variable", "level", "op", "cut", "summary", "statistic", "printed_summary",
            "summary_locator", "level_locator", "n", "center", "sd", "low", "high",
            "implied_share", "implied_patients", "printed_count", "quantity"]
    summaries = ledger.summaries
    names = list(summaries["variable"]) if len(summaries) else []
    covs = ledger.covariates.get("covariates", {}) or {}
    chosen: dict[tuple, dict] = {}
    targets: dict = {}        # variable -> the summary it names (None: none), matched once
    srows: dict = {}          # summary variable -> its first summaries row
    shares: dict = {}         # (summary, op, cut) -> the normal share beyond the cut-off
    for var, level, (op, cut), k, loc in _levels(ledger):
        key = (var, level)
        if key in chosen:
            rec = chosen[key]
            rec["level_locators"].append(loc)
            if rec["printed_count"] is None and k is not None:
                rec["printed_count"] = k
            continue
        if var not in targets:
            target = match_name(var, names)
            if target is None and isinstance(covs.get(var), dict):
                target = match_name(str(covs[var].get("column", "")), names)
            targets[var] = target
        target = targets[var]
        if target is None:
            continue
        if target not in srows:
            srows[target] = summaries[summaries["variable"] == target].iloc[0]
        srow = srows[target]
        n = parse_int(srow["n"])
        rec = {"variable": var, "level": level, "op": op, "cut": cut, "summary": target,
               "statistic": srow["statistic"], "printed_summary": srow["printed"],
               "summary_locator": srow["locator"], "level_locators": [loc], "n": n,
               "center": srow["center"], "sd": srow["sd"], "low": srow["low"],
               "high": srow["high"], "implied_share": None, "implied_patients": None,
               "printed_count": k, "quantity": srow["quantity"]}
        if srow["statistic"] == "mean_sd":
            if (target, op, cut) not in shares:
                shares[(target, op, cut)] = _share(op, cut, parse_printed(srow["center"]).value,
                                                   parse_printed(srow["sd"]).value)
            share = shares[(target, op, cut)]
            rec["implied_share"] = 100 * share
            rec["implied_patients"] = share * n
        chosen[key] = rec
    recs = []
    for rec in chosen.values():
        rec["level_locator"] = "; ".join(dict.fromkeys(rec.pop("level_locators")))
        recs.append(rec)
    return pd.DataFrame(recs, columns=cols)


def cutoff_result(row: pd.Series, rule: str) -> Result:
    """Whether a cut-off level can hold the patients it is said to hold, given the printed summary
    of that variable (one row of :func:`cutoff_table`)."""
    op, cut, n = row["op"], float(row["cut"]), int(row["n"])
    where = f"{row['variable']} {row['level']}"
    if row["statistic"] == "median_range" and str(row["low"]).strip():
        lo, hi = parse_printed(row["low"]).value, parse_printed(row["high"]).value
        empty = ((op == ">=" and cut > hi) or (op == ">" and cut >= hi)
                 or (op == "<" and cut <= lo) or (op == "<=" and cut < lo))
        k = row["printed_count"]
        if empty and (k is None or pd.isna(k) or int(k) > 0):
            return Result("impossible", "statistical", "0 patients",
                          f"the printed range {lo:g}-{hi:g} leaves no patient in {where}"
                          + ("" if k is None or pd.isna(k) else f"; printed {int(k)}") + ".")
    if row["statistic"] != "mean_sd":
        return Result("not testable", "statistical", "",
                      f"the summary ({row['printed_summary']}) does not imply a share in {where}.")
    implied = f"{row['implied_share']:.1f}% (~{row['implied_patients']:.0f} of {n})"
    m_iv, s_iv = interval(row["center"], rule), interval(row["sd"], rule)
    bound = _cantelli(op, cut, m_iv, s_iv)
    head = (f"mean {row['center']}, SD {row['sd']} imply {implied} in {where} under normality; "
            f"no distribution allows more than {100 * bound:.1f}% (Cantelli)")
    k = row["printed_count"]
    if k is None or pd.isna(k):
        return Result("not testable", "statistical", implied,
                      head + "; no count of this level is printed to compare.")
    k = int(k)
    share = k / n
    tail = f"; printed {k} of {n} ({100 * share:.1f}%)"
    if share > bound:
        return Result("impossible", "statistical", implied,
                      head + tail + ": more than any distribution with that mean and SD allows.")
    lo_s, hi_s = _normal_shares(op, cut, m_iv, s_iv)
    if lo_s <= share <= hi_s:
        p = 1.0
    else:
        p = float(binomtest(k, n, min(max(lo_s if share < lo_s else hi_s, 1e-12),
                                      1 - 1e-12)).pvalue)
    if p < NORMAL_TOLERANCE:
        return Result("implausible", "statistical", implied,
                      head + tail + f": far from the normal share (exact binomial p = {p:.2g} "
                      f"< {NORMAL_TOLERANCE:g}), possible only if the variable is far from normal.",
                      assumptions=("normal_distribution",), values={"p": p})
    return Result("consistent", "statistical", implied, head + tail + ".", values={"p": p})


def cutoff_share_result(level: str, mean: str, sd: str, n, count=None,
                        rule: str = "half_up") -> Result:
    """Whether ``count`` of ``n`` patients can lie in a cut-off level (``">=60"``) of a variable
    with the printed mean and SD.

    Parameters
    ----------
    level : str
        The level name, starting with a comparison (``"<60"``, ``">=10cm"``).
    mean, sd : str
        The printed mean and SD of the variable.
    n : int
        The number of patients.
    count : int or None
        The printed count of the level; None: ``not testable``.
    rule : str
        Rounding rule of the mean and SD.

    Returns
    -------
    Result
        ``impossible`` above Cantelli's bound (arithmetic); ``implausible`` (assumption
        ``normal_distribution``) when an exact binomial test of the count against the normal share
        gives p < :data:`NORMAL_TOLERANCE`; else ``consistent``. The implied share is in
        ``expected``.

    Example
    -------
    >>> cutoff_share_result(">=60", "45.0", "5.0", 50, count=40).verdict   # Cantelli: <= 10 %
    'impossible'

    References: Cantelli's inequality; normal approximation.
    """
    cut = parse_cutoff(level)
    if cut is None:
        raise ValueError(f"level '{level}' is not a cut-off such as '<60' or '>=10'")
    n = _n(n)
    k = None if _blank(count) else _count(count)
    share = _share(cut[0], cut[1], parse_printed(mean).value, parse_printed(sd).value)
    row = pd.Series({"op": cut[0], "cut": cut[1], "n": n, "variable": "value", "level": level,
                     "statistic": "mean_sd", "printed_summary": f"{mean} ± {sd}", "center": mean,
                     "sd": sd, "low": "", "high": "", "implied_share": 100 * share,
                     "implied_patients": share * n, "printed_count": k})
    return cutoff_result(row, rule)


def cutoff_share(level: str, mean: str, sd: str, n, count=None, rule: str = "half_up") -> str:
    """The verdict of :func:`cutoff_share_result`."""
    return cutoff_share_result(level, mean, sd, n, count, rule).verdict


_RANK = {"impossible": 0, "implausible": 1, "inconsistent": 2, "consistent": 3, "not testable": 4}


@register(
    "cutoff_share", family="means",
    title="A printed count beyond a cut-off is possible (Cantelli) and plausible (normality) for "
          "the printed mean and SD",
    reads=["summaries", "counts", "hazard_ratios"], assumptions=["arithmetic",
                                                                 "normal_distribution"],
    items=["4.8", "4.3", "R:statistics"], reference=CANTELLI_REF, category="statistical",
    formula="share beyond t <= sd²/(sd² + (t − mean)²) (Cantelli); under normality "
            "share ≈ Φ((mean − t)/sd)",
    examples=[
        Example("pass", tables={
            "summaries": [_summaries_row(variable="Age", center="45.0", sd="5.0", n=50)],
            "counts": [{"variable": "Age", "level": ">=50", "role": "level", "count": "8",
                        "percent": "16.0", "denominator": "50", "population": "all"}]}),
        Example("flag", tables={
            "summaries": [_summaries_row(variable="Age", center="45.0", sd="5.0", n=50)],
            "counts": [{"variable": "Age", "level": ">=60", "role": "level", "count": "40",
                        "percent": "80.0", "denominator": "50", "population": "all"}]}),
    ])
def cutoff_share_check(ctx) -> list[Finding]:
    """For every cut-off the paper uses on a variable it also summarises (one finding per variable
    and cut-off, covering the levels on both sides).

    Parameters
    ----------
    ctx : Context
        ``summaries`` (the variable's mean ± SD or median (range)), cut-off levels from ``counts``
        (with their counts), ``hazard_ratios`` (counts via ``level_quantity`` or ``n_level``) and
        ``covariates.yaml``; the summary's place rule from ``ctx.policy``.

    Returns
    -------
    list of Finding
        The worst verdict over the levels (:func:`cutoff_result`): ``impossible`` above Cantelli's
        bound or in a level outside the printed range (arithmetic); ``implausible`` far from the
        normal share (``normal_distribution``); ``not testable`` without a printed count.

    Example
    -------
    Age 45.0 ± 5.0 (n = 50) with 40 patients aged >= 60: Cantelli allows at most 10 % ->
    ``impossible``.

    References: Cantelli's inequality.
    """
    table = cutoff_table(ctx.ledger)
    out = []
    for (var, cut), g in table.groupby(["variable", "cut"], sort=False):
        first = g.iloc[0]
        rule = ctx.policy.rule_for(first["summary_locator"])
        results = [cutoff_result(r, rule) for r in records(g)]
        worst = min(results, key=lambda r: _RANK[r.verdict])
        tested = [r for r in results if r.verdict != "not testable"]
        res = Result(worst.verdict if tested else "not testable", "statistical",
                     "; ".join(f"{lv}: {r.expected}" for lv, r in zip(g["level"], results)
                               if r.expected),
                     " ".join(_upper(r.explanation) for r in results),
                     assumptions=worst.assumptions if tested else ())
        locs = [first["summary_locator"]]
        for loc in g["level_locator"]:
            locs.extend(x for x in str(loc).split("; ") if x)
        out.append(finding_from(ctx, item=f"{var} cut at {cut:g}", result=res,
                                locators=list(dict.fromkeys(locs)),
                                printed=f"{first['printed_summary']}; levels "
                                        + ", ".join(g["level"]),
                                quantity=first["quantity"]))
    return out
