"""Results against the stated design (check family 7).

* :func:`within_limits` -- a summary of a variable with inclusion limits (e.g. an age range) must have
  its centre and its range inside the limits; mean ± SD outside the limits is reported but is not
  by itself impossible (skewed data; the SD bound is :func:`helpers.checks.means.sd_feasible`). A cut-off
  level lying wholly outside the limits cannot hold any patient.
* :func:`assessment_window` -- an inclusion rule "at least m tumour assessments", with imaging every
  w weeks, needs m*w weeks of follow-up before the data cut-off; a patient who started later could
  not qualify. Dates printed as months are read in the paper's favour (accrual ending on the first
  day of its month, the cut-off on the last).
* :func:`median_vs_life_expectancy` -- a median OS below the minimum life expectancy required for
  inclusion contradicts that requirement for half the cohort. (A median or CI limit beyond the
  longest possible follow-up is :func:`helpers.checks.survival.median_followup`.)
* :func:`stated_alpha`, :func:`significance_claim` -- the significance level the paper states
  against the other alphas it states and the p-values it calls significant. (The multivariable
  model against its selection rule is :func:`helpers.checks.hazard.check_model_selection`.)

Date arithmetic: months of 365.25/12 days, weeks of 7 days.
"""

from __future__ import annotations

import calendar
import math
import re
from datetime import date, timedelta
from typing import Sequence

import pandas as pd

from ..core.units import DAYS_PER_MONTH
from .arithmetic import Result, area_of, with_prefix
from ..core.errors import LedgerError
from ..core.findings import Finding
from ..ledger.load import Ledger
from .means import limits_for, parse_cutoff
from ..core.printed import parse_printed
from ..core.rounding import check_rule, interval

_DATE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


def _finding(ledger: Ledger, check: str, item: str, res: Result, locators, printed: str,
             quantity: str = "", area: str = "design") -> Finding:
    return Finding(study=ledger.study, area=area, check=check, item=item, verdict=res.verdict,
                   category=res.category, locators=tuple(dict.fromkeys(locators)),
                   printed=printed, expected=res.expected, explanation=res.explanation,
                   quantity=quantity)


def date_span(text: str) -> tuple[date, date]:
    """The first and last day a printed date can mean (``2022-10`` -> Oct 1 .. Oct 31)."""
    m = _DATE.match(str(text).strip())
    if not m:
        raise ValueError(f"'{text}' is not a YYYY-MM or YYYY-MM-DD date")
    y, mo = int(m.group(1)), int(m.group(2))
    if m.group(3):
        d = date(y, mo, int(m.group(3)))
        return d, d
    return date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1])


# ------------------------------------------------------------------------------------------
# summaries against inclusion limits
# ------------------------------------------------------------------------------------------

def within_limits_result(x: str, low: float, high: float, what: str = "value",
                         rule: str = "half_up") -> Result:
    """:func:`within_limits` with its explanation."""
    check_rule(rule)
    iv = interval(x, rule)
    lim = f"[{low:g}, {high:g}]"
    if float(iv.high) < low or float(iv.low) > high or (float(iv.high) == low and not iv.high_closed):
        return Result("impossible", "design", lim,
                      f"the {what} {x} lies outside the inclusion limits {lim}.")
    return Result("consistent", "design", lim, f"the {what} {x} lies inside {lim}.")


def within_limits(x: str, low: float, high: float, what: str = "value", rule: str = "half_up") -> str:
    """Whether a printed summary value (mean, median, min, max) can lie inside inclusion limits."""
    return within_limits_result(x, low, high, what, rule).verdict


def _level_region(op: str, cut: float) -> tuple[float, float, bool, bool]:
    return {"<": (-math.inf, cut, False, False), "<=": (-math.inf, cut, False, True),
            ">": (cut, math.inf, False, False), ">=": (cut, math.inf, True, False)}[op]


def level_within_limits_result(level: str, low: float, high: float) -> Result:
    """Whether a cut-off level (``"<60"``, ``">=70"``) can hold patients inside the limits."""
    cut = parse_cutoff(level)
    if cut is None:
        return Result("not testable", "design", "", f"'{level}' is not a cut-off level.")
    a, b, a_closed, b_closed = _level_region(*cut)
    lo, hi = max(a, low), min(b, high)
    empty = lo > hi or (lo == hi and not ((lo > a or a_closed) and (hi < b or b_closed)))
    lim = f"[{low:g}, {high:g}]"
    if empty:
        return Result("impossible", "design", lim,
                      f"level {level} lies outside the inclusion limits {lim}: no patient fits.")
    return Result("consistent", "design", lim, f"level {level} overlaps the inclusion limits {lim}.")


def limit_findings(ledger: Ledger, rule: str, prefix: str | Sequence[str] | None = None
                   ) -> list[Finding]:
    """Every summary (mean/median, range/IQR) of a variable with inclusion limits, and every
    cut-off level of such a variable (counts or hazard-ratio levels), against the limits."""
    out = []
    s = with_prefix(ledger.summaries, prefix)
    for _, r in s.iterrows():
        lim = limits_for(ledger, r["variable"])
        if lim is None:
            continue
        low, high, drow = lim
        verdicts = [within_limits_result(r["center"], low, high, "centre", rule)]
        for col in ("low", "high"):
            if str(r[col]).strip():
                verdicts.append(within_limits_result(r[col], low, high,
                                                     "minimum" if col == "low" else "maximum", rule)
                                if r["statistic"] == "median_range" else
                                within_limits_result(r[col], low, high, f"quartile ({col})", rule))
        bad = [v for v in verdicts if v.verdict != "consistent"]
        text = " ".join(v.explanation[0].upper() + v.explanation[1:] for v in (bad or verdicts))
        if r["statistic"] == "mean_sd" and str(r["sd"]).strip():
            m, sd = parse_printed(r["center"]).value, parse_printed(r["sd"]).value
            band = f"mean ± SD = {m - sd:g} to {m + sd:g}"
            outside = m - sd < low or m + sd > high
            text += f" {band}" + (" reaches outside the limits (possible with skewed data)."
                                  if outside else " lies inside the limits.")
        res = Result(bad[0].verdict if bad else "consistent", "design",
                     verdicts[0].expected, text)
        out.append(_finding(ledger, "within_limits", f"{r['variable']} within inclusion limits",
                            res, [r["locator"], drow["locator"]],
                            f"{r['printed']}; limits {drow['printed']}", r["quantity"],
                            area_of(r["quantity"])))
    levels = []
    for table in ("counts", "hazard_ratios"):
        df = ledger.tables.get(table)
        if df is None or df.empty:
            continue
        df = with_prefix(df, prefix)
        for _, r in df.iterrows():
            if parse_cutoff(r["level"]):
                levels.append((r["variable"], r["level"], r["locator"], r["quantity"]))
    seen = set()
    for var, level, loc, q in levels:
        if (var, level) in seen:
            continue
        seen.add((var, level))
        lim = limits_for(ledger, var)
        if lim is None:
            continue
        low, high, drow = lim
        res = level_within_limits_result(level, low, high)
        out.append(_finding(ledger, "level_within_limits", f"{var} level {level}", res,
                            [loc, drow["locator"]], f"{level}; limits {drow['printed']}", q,
                            area_of(q)))
    return out


# ------------------------------------------------------------------------------------------
# follow-up needed for the required assessments
# ------------------------------------------------------------------------------------------

def assessment_window_result(assessments: int, interval_weeks: float, accrual_start: str,
                             accrual_end: str, cutoff: str, n: int | None = None) -> Result:
    """:func:`assessment_window` with its explanation."""
    need = timedelta(days=7 * assessments * interval_weeks)
    start_first = date_span(accrual_start)[0]
    end_first, end_last = date_span(accrual_end)
    cut_last = date_span(cutoff)[1]
    latest_start = cut_last - need
    weeks = assessments * interval_weeks
    head = (f"{assessments} assessments every {interval_weeks:g} weeks need {weeks:g} weeks of "
            f"follow-up: a patient must have started by {latest_start.isoformat()} to have them by "
            f"the cut-off ({cut_last.isoformat()} at the latest)")
    if end_first <= latest_start:
        return Result("consistent", "design", f"start by {latest_start.isoformat()}",
                      head + f"; accrual ended by {end_last.isoformat()}.")
    late_days = (end_last - max(latest_start, start_first)).days
    window = (end_last - start_first).days
    share = min(1.0, late_days / window) if window > 0 else 1.0
    est = f"; about {share * n:.0f} of {n} patients under uniform accrual" if n else ""
    return Result("inconsistent", "design", f"start by {latest_start.isoformat()}",
                  head + f"; accrual ran until {accrual_end}, so patients who started in the last "
                  f"{late_days / 7:.0f} weeks of accrual ({100 * share:.0f}% of the window{est}) "
                  f"could not meet the requirement by the cut-off.")


def assessment_window(assessments: int, interval_weeks: float, accrual_start: str,
                      accrual_end: str, cutoff: str) -> str:
    """Whether patients accrued until ``accrual_end`` could have had ``assessments`` imaging
    assessments ``interval_weeks`` apart by the data cut-off (read in the paper's favour: the
    shortest interval, accrual ending at the start of its month, cut-off at the end of its month)."""
    return assessment_window_result(assessments, interval_weeks, accrual_start, accrual_end,
                                    cutoff).verdict


def design_row(ledger: Ledger, *parameters: str) -> pd.Series | None:
    """The first design.csv row stating one of ``parameters`` (None when none is stated)."""
    d = ledger.design
    for p in parameters:
        hit = d[d["parameter"] == p]
        if len(hit):
            return hit.iloc[0]
    return None


def to_weeks(value: str, unit: str) -> float:
    """A printed duration in weeks (``unit`` weeks, days or months of 365.25/12 days)."""
    v = parse_printed(value).value
    u = str(unit).lower()
    if u.startswith("week"):
        return v
    if u.startswith("day"):
        return v / 7
    if u.startswith("month"):
        return v * DAYS_PER_MONTH / 7
    raise ValueError(f"unit '{unit}' is not weeks, days or months")


def assessment_findings(ledger: Ledger) -> list[Finding]:
    """The required number of tumour assessments at the stated imaging interval against the accrual
    window and the data cut-off (``design.csv`` rows ``min_tumour_assessments``,
    ``imaging_interval``, ``accrual``, ``data_cutoff``)."""
    need = design_row(ledger, "min_tumour_assessments")
    every = design_row(ledger, "imaging_interval")
    accrual = design_row(ledger, "accrual")
    cutoff = design_row(ledger, "data_cutoff")
    if need is None or every is None:
        return []
    locs = [r["locator"] for r in (need, every, accrual, cutoff) if r is not None]
    printed = "; ".join(r["printed"] for r in (need, every, accrual, cutoff) if r is not None)
    if accrual is None or cutoff is None or not str(accrual["value_high"]).strip():
        res = Result("not testable", "design", "", "the accrual window or the data cut-off is "
                                                   "not stated.")
    else:
        try:
            weeks = to_weeks(every["value"], every["unit"])
        except ValueError as exc:
            raise LedgerError(ledger.file_of("design"), str(exc), line=int(every["line"]),
                              field="unit", row_id=every["row_id"]) from None
        res = assessment_window_result(int(parse_printed(need["value"]).value), weeks,
                                       accrual["value"], accrual["value_high"], cutoff["value"],
                                       ledger.n)
    return [_finding(ledger, "assessment_window", "required assessments before the cut-off", res,
                     locs, printed, need["quantity"])]


def median_vs_life_expectancy_result(median: str, months: float) -> Result:
    """:func:`median_vs_life_expectancy` with its explanation."""
    m = parse_printed(median).value
    if m >= months:
        return Result("consistent", "design", f">= {months:g} months",
                      f"median OS {median} months is not below the life expectancy of {months:g} "
                      f"months required for inclusion.")
    return Result("inconsistent", "design", f">= {months:g} months",
                  f"median OS {median} months is below the life expectancy of {months:g} months "
                  f"required for inclusion: half the patients died before the time every patient "
                  f"was expected to live.")


def median_vs_life_expectancy(median: str, months: float) -> str:
    """Whether a median OS (months) is at least the life expectancy required for inclusion."""
    return median_vs_life_expectancy_result(median, months).verdict


def followup_findings(ledger: Ledger) -> list[Finding]:
    """The printed median OS against a minimum life expectancy required for inclusion
    (``design.csv`` row ``life_expectancy`` or ``min_life_expectancy``). Medians against the
    follow-up the accrual window allows: :func:`helpers.checks.survival.check_medians`."""
    out = []
    surv = ledger.survival
    surv = surv[(surv["statistic"] == "median")] if len(surv) else surv
    life = design_row(ledger, "life_expectancy", "min_life_expectancy")
    if life is not None and len(surv):
        os_rows = surv[surv["endpoint"] == "OS"]
        if len(os_rows):
            need = parse_printed(life["value"]).value
            unit = str(life["unit"]).lower()
            if unit.startswith("year"):
                need *= 12
            r = os_rows.iloc[0]
            res = median_vs_life_expectancy_result(r["center"], need)
            res = Result(res.verdict, res.category, res.expected,
                         res.explanation.replace(f"{need:g} months required",
                                                 f"{life['printed']} required"))
            out.append(_finding(ledger, "median_vs_life_expectancy", "median OS vs required life "
                                "expectancy", res, [r["locator"], life["locator"]],
                                f"{r['printed']}; {life['printed']}", r["quantity"], "design"))
    return out


# ------------------------------------------------------------------------------------------
# the significance level
# ------------------------------------------------------------------------------------------

def stated_alpha_result(value: str, alpha: float) -> Result:
    """:func:`stated_alpha` with its explanation."""
    v = parse_printed(value).value
    if math.isclose(v, alpha):
        return Result("consistent", "design", f"{alpha:g}", f"{value} is the study's alpha.")
    return Result("inconsistent", "design", f"{alpha:g}",
                  f"{value} differs from the significance level {alpha:g} the study states: "
                  f"a power or sample-size statement at {value} does not hold for tests at "
                  f"{alpha:g}.")


def stated_alpha(value: str, alpha: float) -> str:
    """Whether another alpha the paper states (e.g. for its sample size) is its significance level."""
    return stated_alpha_result(value, alpha).verdict


def significance_claim_result(p: str, alpha: float) -> Result:
    """:func:`significance_claim` with its explanation."""
    pn = parse_printed(p)
    below = pn.value < alpha if pn.bound in ("", "<=") else pn.value <= alpha
    if pn.bound in (">", ">="):
        below = False
    if below:
        return Result("consistent", "design", f"< {alpha:g}", f"p {p} is below alpha {alpha:g}.")
    return Result("inconsistent", "design", f"< {alpha:g}",
                  f"p {p} is called significant but is not below alpha {alpha:g}.")


def significance_claim(p: str, alpha: float) -> str:
    """Whether a p-value the paper calls significant is below its significance level."""
    return significance_claim_result(p, alpha).verdict


def alpha_findings(ledger: Ledger, alpha: float) -> list[Finding]:
    """The study's alpha against (1) every other alpha in ``design.csv`` and (2) p-values the paper
    calls significant (``design.csv`` rows of kind ``outcome`` whose parameter ends in ``_p``).
    ``alpha`` is the level in force (the notebook parameter). The multivariable model against the
    stated selection rule is :func:`helpers.checks.hazard.check_model_selection` (notebook 03)."""
    out = []
    d = ledger.design
    for _, r in d[d["parameter"].str.contains("alpha")].iterrows():
        res = stated_alpha_result(r["value"], ledger.alpha)
        item = f"{r['parameter']} vs study alpha"
        out.append(_finding(ledger, "stated_alpha", item, res, [r["locator"]], r["printed"],
                            r["quantity"]))
    claims = d[(d["kind"] == "outcome") & d["parameter"].str.endswith("_p")]
    for _, r in claims.iterrows():
        text = (r["comparator"] if r["comparator"] in ("<", "<=", ">", ">=") else "") + r["value"]
        res = significance_claim_result(text, alpha)
        out.append(_finding(ledger, "significance_claim", r["parameter"], res, [r["locator"]],
                            r["printed"], r["quantity"]))
    return out

