"""Results against the stated design (check family 7).

Registered checks (:mod:`helpers.checks.registry`):

* ``within_limits`` -- a summary of a variable with inclusion limits (e.g. an age range) must have
  its centre and its range inside the limits; mean ± SD reaching outside the limits is reported but
  is not by itself impossible (skewed data; the SD bound is the means check ``sd_feasible``).
* ``level_within_limits`` -- a cut-off level lying wholly outside the limits cannot hold anyone.
* ``assessment_window`` -- an inclusion rule "at least k tumour assessments", with imaging every w
  weeks, needs (k - 1)·w weeks of follow-up after the baseline assessment before the data cut-off:
  a patient who started later could not qualify. One explicit reading, in the paper's favour, gives
  both the verdict and the share of patients concerned (:class:`AssessmentReading`); the share
  rests on uniform accrual.
* ``survivor_selection`` -- the same rule means every included patient was alive and followed for
  at least (k - 1)·w: a median OS below that guaranteed time is impossible; any other printed
  median is a median among patients selected for surviving that long.
* ``median_vs_life_expectancy`` -- a required life expectancy of more than L against the median
  OS: a median at or close to L contradicts the requirement.
* ``stated_alpha``, ``significance_claim`` -- the significance level the study states
  (``ctx.alpha``; none stated: not testable) against the other alphas it states and the p-values it
  calls significant.

Date arithmetic: :mod:`helpers.core.dates` (printed precision kept), months of 365.25/12 days,
weeks of 7 days.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Sequence

import pandas as pd

from ..core.dates import date_span, parse_date
from ..core.errors import LedgerError
from ..core.findings import Finding, Result, finding_from
from ..core.printed import parse_printed
from ..core.rounding import check_rule, interval
from ..core.units import DAYS_PER_MONTH, DAYS_PER_UNIT
from ..ledger.load import Ledger
from ..ledger.select import records
from .means import limits_for, parse_cutoff
from .registry import Example, register

__all__ = [
    "date_span", "within_limits_result", "within_limits", "level_within_limits_result",
    "AssessmentReading", "assessment_reading", "assessment_window_result", "assessment_window",
    "survivor_selection_result", "median_vs_life_expectancy_result", "median_vs_life_expectancy",
    "stated_alpha_result", "stated_alpha", "significance_claim_result", "significance_claim",
    "design_row", "to_weeks",
]

LIMITS_REF = ("Mol BW et al. (2023) Checklist to assess Trustworthiness in RAndomised Controlled "
              "Trials (TRACT); Weibel S et al. (2023) INSPECT-SR item 'results do not fit the "
              "eligibility criteria'")
WINDOW_REF = ("Eisenhauer EA et al. (2009) New response evaluation criteria in solid tumours: "
              "revised RECIST guideline (version 1.1). Eur J Cancer 45:228-247 (baseline and "
              "follow-up assessments)")
SURVIVOR_REF = ("Suissa S (2008) Immortal time bias in pharmaco-epidemiology. Am J Epidemiol "
                "167:492-499; Anderson JR, Cain KC, Gelber RD (1983) Analysis of survival by tumor "
                "response. J Clin Oncol 1:710-719 (landmark analysis)")
ALPHA_REF = ("Wasserstein RL, Lazar NA (2016) The ASA statement on p-values: context, process, "
             "and purpose. Am Stat 70:129-133")

# How close to a required life expectancy L a median OS may be and still be "close to it": a
# median below (1 + LIFE_MARGIN)·L contradicts the requirement that every patient was expected to
# live more than L (in a cohort each of whom was expected to outlive L, half dead by ~L is not
# what the requirement leads one to expect).
LIFE_MARGIN = 0.25


def _design_row(**kw) -> dict:
    row = {"value_high": "", "comparator": "=", "unit": ""}
    row.update({k: str(v) for k, v in kw.items()})
    return row


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


# ------------------------------------------------------------------------------------------
# summaries against inclusion limits
# ------------------------------------------------------------------------------------------

def within_limits_result(x: str, low: float, high: float, what: str = "value",
                         rule: str = "half_up") -> Result:
    """Whether a printed summary value (mean, median, min, max) can lie inside inclusion limits.

    Parameters
    ----------
    x : str
        The printed value.
    low, high : float
        The inclusion limits (-inf/inf for an open side).
    what : str
        What ``x`` is, for the explanation (``"centre"``, ``"maximum"``).
    rule : str
        Rounding rule of ``x``.

    Returns
    -------
    Result
        ``impossible`` when no value that prints as ``x`` lies inside [low, high].

    Example
    -------
    >>> within_limits_result("80", 18, 75, "maximum").verdict
    'impossible'

    References: INSPECT-SR item 4.1.
    """
    check_rule(rule)
    iv = interval(x, rule)
    lim = f"[{low:g}, {high:g}]"
    if float(iv.high) < low or float(iv.low) > high or (float(iv.high) == low and not iv.high_closed) \
            or (float(iv.low) == high and not iv.low_closed):
        return Result("impossible", "design", lim,
                      f"the {what} {x} lies outside the inclusion limits {lim}.")
    return Result("consistent", "design", lim, f"the {what} {x} lies inside {lim}.")


def within_limits(x: str, low: float, high: float, what: str = "value", rule: str = "half_up") -> str:
    """The verdict of :func:`within_limits_result`."""
    return within_limits_result(x, low, high, what, rule).verdict


def _level_region(op: str, cut: float) -> tuple[float, float, bool, bool]:
    return {"<": (-math.inf, cut, False, False), "<=": (-math.inf, cut, False, True),
            ">": (cut, math.inf, False, False), ">=": (cut, math.inf, True, False)}[op]


def level_within_limits_result(level: str, low: float, high: float) -> Result:
    """Whether a cut-off level (``"<60"``, ``">=70"``) can hold patients inside the limits.

    Example
    -------
    >>> level_within_limits_result(">=80", 18, 75).verdict
    'impossible'
    """
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


_AGE_LIMITS = _design_row(kind="inclusion", parameter="age", value="20", value_high="70",
                          comparator="range", unit="years", locator="Methods / Inclusion (1)")


@register(
    "within_limits", family="design",
    title="Summaries (centre, range, quartiles) of a variable lie inside its inclusion limits",
    reads=["summaries", "design"], needs_all=True, assumptions=["arithmetic"],
    items=["4.1", "R:conduct"], reference=LIMITS_REF, category="design",
    formula="low <= value <= high for the centre, the minimum, the maximum and the quartiles",
    examples=[
        Example("pass", tables={"design": [_AGE_LIMITS], "summaries": [
            {"variable": "Age", "statistic": "median_range", "center": "45", "low": "21",
             "high": "69", "n": "40", "population": "all"}]}),
        Example("flag", tables={"design": [_AGE_LIMITS], "summaries": [
            {"variable": "Age", "statistic": "median_range", "center": "45", "low": "21",
             "high": "78", "n": "40", "population": "all"}]}),
    ])
def within_limits_check(ctx) -> list[Finding]:
    """Every summary of a variable with inclusion limits, against the limits.

    Parameters
    ----------
    ctx : Context
        ``summaries`` rows within scope; ``design`` rows of kind ``inclusion`` naming the variable;
        each summary read under ``ctx.policy.rule_for(locator)``.

    Returns
    -------
    list of Finding
        One per summary: ``impossible`` when its centre, minimum, maximum or a quartile lies
        outside the limits; a mean ± SD band reaching outside is described, not flagged.

    Example
    -------
    Inclusion ages 20-70 with a printed maximum age of 78 -> ``impossible``.

    References: INSPECT-SR item 4.1.
    """
    out = []
    limits: dict = {}         # variable -> its limits, looked up once
    for r in records(ctx.table("summaries")):
        if r["variable"] not in limits:
            limits[r["variable"]] = limits_for(ctx.ledger, r["variable"])
        lim = limits[r["variable"]]
        if lim is None:
            continue
        low, high, drow = lim
        rule = ctx.policy.rule_for(r["locator"])
        verdicts = [within_limits_result(r["center"], low, high, "centre", rule)]
        for col in ("low", "high"):
            if str(r[col]).strip():
                what = (("minimum" if col == "low" else "maximum")
                        if r["statistic"] == "median_range" else f"quartile ({col})")
                verdicts.append(within_limits_result(r[col], low, high, what, rule))
        bad = [v for v in verdicts if v.verdict != "consistent"]
        text = " ".join(_upper(v.explanation) for v in (bad or verdicts))
        if r["statistic"] == "mean_sd" and str(r["sd"]).strip():
            m, sd = parse_printed(r["center"]).value, parse_printed(r["sd"]).value
            band = f"mean ± SD = {m - sd:g} to {m + sd:g}"
            outside = m - sd < low or m + sd > high
            text += f" {band}" + (" reaches outside the limits (possible with skewed data)."
                                  if outside else " lies inside the limits.")
        res = Result(bad[0].verdict if bad else "consistent", "design", verdicts[0].expected, text)
        out.append(finding_from(ctx, item=f"{r['variable']} within inclusion limits", result=res,
                                locators=list(dict.fromkeys([r["locator"], drow["locator"]])),
                                printed=f"{r['printed']}; limits {drow['printed']}",
                                quantity=r["quantity"]))
    return out


@register(
    "level_within_limits", family="design",
    title="A cut-off level of a variable with inclusion limits can hold patients",
    reads=["design", "counts", "hazard_ratios"], assumptions=["arithmetic"],
    items=["4.1", "R:conduct"], reference=LIMITS_REF, category="design",
    formula="the level's region {x op cut} overlaps [low, high]",
    examples=[
        Example("pass", tables={"design": [_AGE_LIMITS], "counts": [
            {"variable": "Age", "level": ">=60", "role": "level", "count": "12",
             "denominator": "40", "population": "all"}]}),
        Example("flag", tables={"design": [_AGE_LIMITS], "counts": [
            {"variable": "Age", "level": ">=75", "role": "level", "count": "3",
             "denominator": "40", "population": "all"}]}),
    ])
def level_within_limits_check(ctx) -> list[Finding]:
    """Every cut-off level (``counts`` or ``hazard_ratios`` level names such as ``>=60``) of a
    variable with inclusion limits, against the limits.

    Parameters
    ----------
    ctx : Context
        ``counts`` and ``hazard_ratios`` rows within scope; ``design`` inclusion rows.

    Returns
    -------
    list of Finding
        One per distinct (variable, level): ``impossible`` when the level lies wholly outside the
        limits.

    Example
    -------
    Inclusion ages 20-70 and a level ``>=75`` -> ``impossible``.

    References: INSPECT-SR item 4.1.
    """
    levels: dict[tuple, list] = {}
    for table in ("counts", "hazard_ratios"):
        df = ctx.table(table)
        for r in records(df):
            if parse_cutoff(r["level"]):
                levels.setdefault((r["variable"], r["level"]), []).append(r)
    out = []
    limits: dict = {}         # variable -> its limits, looked up once
    for (var, level), rows in levels.items():
        if var not in limits:
            limits[var] = limits_for(ctx.ledger, var)
        lim = limits[var]
        if lim is None:
            continue
        low, high, drow = lim
        res = level_within_limits_result(level, low, high)
        out.append(finding_from(ctx, item=f"{var} level {level}", result=res,
                                locators=list(dict.fromkeys([*(r["locator"] for r in rows),
                                                             drow["locator"]])),
                                printed=f"{level}; limits {drow['printed']}",
                                quantity=rows[0]["quantity"]))
    return out


# ------------------------------------------------------------------------------------------
# the follow-up the required assessments need
# ------------------------------------------------------------------------------------------

def design_row(ledger: Ledger, *parameters: str) -> pd.Series | None:
    """The first design.csv row stating one of ``parameters`` (None when none is stated)."""
    d = ledger.design
    if d is None or d.empty:
        return None
    for p in parameters:
        hit = d[d["parameter"] == p]
        if len(hit):
            return hit.iloc[0]
    return None


def to_weeks(value: str, unit: str) -> float:
    """A printed duration in weeks (``unit`` days, weeks, months of 365.25/12 days or years)."""
    v = parse_printed(value).value
    u = str(unit).strip().lower()
    for name, days in DAYS_PER_UNIT.items():
        if u.startswith(name.rstrip("s")):
            return v * days / 7
    raise ValueError(f"unit '{unit}' is not days, weeks, months or years")


def _months(value: float, unit: str) -> float:
    return to_weeks(str(value), unit) * 7 / DAYS_PER_MONTH


@dataclass(frozen=True)
class AssessmentReading:
    """One explicit reading of "at least ``assessments`` tumour assessments, imaging every
    ``interval_low``-``interval_high`` weeks": the first assessment at baseline (time 0), the
    k-th after (k - 1) intervals. Every verdict and share of the assessment checks comes from it.

    ``accrual_start``/``accrual_end``/``cutoff`` are the printed dates (any precision); the
    window is read in the paper's favour: accrual from the first day of its start, ending on the
    first day of its end period, the cut-off on the last day of its period, the shortest interval.
    """

    assessments: int
    interval_low: float
    interval_high: float
    accrual_start: str = ""
    accrual_end: str = ""
    cutoff: str = ""

    @property
    def gaps(self) -> int:
        return max(self.assessments - 1, 0)

    @property
    def weeks_low(self) -> float:
        """The follow-up every included patient had at least: (k - 1)·w_low weeks."""
        return self.gaps * self.interval_low

    @property
    def weeks_high(self) -> float:
        return self.gaps * self.interval_high

    def months(self, weeks: float) -> float:
        return weeks * 7 / DAYS_PER_MONTH

    @property
    def has_window(self) -> bool:
        return bool(self.accrual_start and self.accrual_end and self.cutoff)

    @property
    def start(self) -> date:
        return parse_date(self.accrual_start).first

    @property
    def end(self) -> date:
        return parse_date(self.accrual_end).first

    @property
    def cutoff_day(self) -> date:
        return parse_date(self.cutoff).last

    @property
    def latest_start(self) -> date:
        """The latest start that leaves (k - 1)·w_low weeks before the cut-off."""
        return self.cutoff_day - timedelta(days=round(7 * self.weeks_low))

    @property
    def late_share(self) -> float:
        """Share of the accrual window after :attr:`latest_start` (uniform accrual)."""
        window = (self.end - self.start).days
        late = (self.end - max(self.latest_start, self.start)).days
        if late <= 0:
            return 0.0
        return min(1.0, late / window) if window > 0 else 1.0

    def interval_text(self) -> str:
        w = (f"{self.interval_low:g}" if self.interval_high == self.interval_low
             else f"{self.interval_low:g}-{self.interval_high:g}")
        return f"{self.assessments} assessments, imaging every {w} weeks"

    def guaranteed_text(self) -> str:
        if self.weeks_high == self.weeks_low:
            span = f"{self.weeks_low:g} weeks (about {self.months(self.weeks_low):.1f} months)"
        else:
            span = (f"{self.weeks_low:g} to {self.weeks_high:g} weeks (about "
                    f"{self.months(self.weeks_low):.1f} to {self.months(self.weeks_high):.1f} "
                    f"months)")
        later = "1 interval" if self.gaps == 1 else f"{self.gaps} intervals"
        return (f"{self.interval_text()}, the first at baseline: the last required one comes "
                f"{later} later, after {span}")


def assessment_reading(ledger: Ledger) -> AssessmentReading | None:
    """The :class:`AssessmentReading` of a ledger's ``design.csv`` (rows
    ``min_tumour_assessments``, ``imaging_interval``, ``accrual``, ``data_cutoff``); None when the
    number of assessments or the interval is not stated. An interval printed as a range
    (``value``-``value_high``) gives both ends.

    Raises :class:`~helpers.core.errors.LedgerError` naming the design row when a value or unit
    cannot be read.
    """
    need = design_row(ledger, "min_tumour_assessments")
    every = design_row(ledger, "imaging_interval")
    if need is None or every is None:
        return None
    accrual = design_row(ledger, "accrual")
    cutoff = design_row(ledger, "data_cutoff")
    row, field = every, "unit"
    try:
        low = to_weeks(every["value"], every["unit"])
        high = (to_weeks(every["value_high"], every["unit"])
                if str(every["value_high"]).strip() else low)
        row, field = need, "value"
        k = int(parse_printed(need["value"]).value)
        dates = ["", "", ""]
        if accrual is not None and str(accrual["value_high"]).strip() and cutoff is not None:
            row, field = accrual, "value"
            parse_date(accrual["value"])
            row, field = accrual, "value_high"
            parse_date(accrual["value_high"])
            row, field = cutoff, "value"
            parse_date(cutoff["value"])
            dates = [accrual["value"], accrual["value_high"], cutoff["value"]]
    except ValueError as exc:
        raise LedgerError(ledger.file_of("design"), str(exc), line=int(row["line"]), field=field,
                          row_id=row["row_id"]) from None
    return AssessmentReading(k, min(low, high), max(low, high), *dates)


def assessment_window_result(assessments: int, interval_weeks: float, accrual_start: str,
                             accrual_end: str, cutoff: str, n: int | None = None,
                             interval_high_weeks: float | None = None) -> Result:
    """Whether patients accrued until ``accrual_end`` could have had ``assessments`` imaging
    assessments ``interval_weeks`` apart (the first at baseline) by the data cut-off.

    Parameters
    ----------
    assessments : int
        The number of tumour assessments inclusion required (k).
    interval_weeks : float
        The imaging interval in weeks (the shortest, if a range; ``interval_high_weeks`` the
        longest).
    accrual_start, accrual_end, cutoff : str
        Printed dates (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``).
    n : int, optional
        The number of patients, for "about m of n" (under uniform accrual).

    Returns
    -------
    Result
        From one reading in the paper's favour (:class:`AssessmentReading`: accrual ending on the
        first day of its period, the cut-off on the last day of its period, the shortest interval,
        the first assessment at baseline): ``consistent`` when accrual ended by the latest start
        that leaves (k - 1)·w weeks; else ``inconsistent`` (design), with the share of the accrual
        window too late for the rule; the share and "about m of n" rest on ``uniform_accrual``.

    Example
    -------
    >>> assessment_window_result(3, 6, "2019-01", "2020-12", "2020-12").verdict
    'inconsistent'

    References: RECIST 1.1 (Eisenhauer et al. 2009).
    """
    high = interval_weeks if interval_high_weeks is None else interval_high_weeks
    rd = AssessmentReading(int(assessments), float(min(interval_weeks, high)),
                           float(max(interval_weeks, high)), str(accrual_start), str(accrual_end),
                           str(cutoff))
    return _window_result(rd, n)


def _window_result(rd: AssessmentReading, n: int | None) -> Result:
    latest = rd.latest_start.isoformat()
    head = (f"{rd.guaranteed_text()}. Read in the paper's favour (shortest interval, accrual "
            f"ending on {rd.end.isoformat()}, the first day of {rd.accrual_end}, the cut-off on "
            f"{rd.cutoff_day.isoformat()}, the last day of {rd.cutoff}), a patient must have "
            f"started by {latest} to have them by the cut-off")
    expected = f"accrual ended by {latest}"
    if rd.end <= rd.latest_start:
        return Result("consistent", "design", expected,
                      head + f"; accrual ended by {rd.end.isoformat()}.")
    share = rd.late_share
    late_weeks = (rd.end - max(rd.latest_start, rd.start)).days / 7
    est = (f" (about {share * n:.0f} of {n} patients, assuming patients were enrolled at an "
           f"even rate over the accrual window)" if n else
           " (assuming patients were enrolled at an even rate over the accrual window)")
    return Result("inconsistent", "design", expected,
                  head + f"; accrual ran until {rd.accrual_end}, so patients who started in its "
                  f"last {late_weeks:.0f} weeks, {100 * share:.0f}% of the accrual window{est}, "
                  f"could not have had the required assessments by the cut-off.",
                  assumptions=("uniform_accrual",),
                  values={"share": share, "latest_start": rd.latest_start})


def assessment_window(assessments: int, interval_weeks: float, accrual_start: str,
                      accrual_end: str, cutoff: str) -> str:
    """The verdict of :func:`assessment_window_result`."""
    return assessment_window_result(assessments, interval_weeks, accrual_start, accrual_end,
                                    cutoff).verdict


def _reading_locators(ledger: Ledger) -> tuple[list[str], str, str]:
    rows = [design_row(ledger, p) for p in ("min_tumour_assessments", "imaging_interval",
                                             "accrual", "data_cutoff")]
    rows = [r for r in rows if r is not None]
    return ([r["locator"] for r in rows], "; ".join(r["printed"] for r in rows),
            rows[0]["quantity"])


_WINDOW_ROWS = [
    _design_row(kind="inclusion", parameter="min_tumour_assessments", value="3",
                comparator=">=", quantity="design.min_tumour_assessments"),
    _design_row(kind="assessment", parameter="imaging_interval", value="6", unit="weeks",
                quantity="design.imaging_interval"),
    _design_row(kind="dates", parameter="accrual", value="2018-01", value_high="2019-06",
                comparator="range", quantity="design.accrual"),
]


@register(
    "assessment_window", family="design",
    title="Patients accrued until the end of accrual could have had the required tumour "
          "assessments by the data cut-off",
    reads=["design"], assumptions=["uniform_accrual"], items=["4.1", "R:conduct"],
    reference=WINDOW_REF, category="design",
    formula="accrual end <= cut-off − (k − 1)·w (favourable reading); share too late = "
            "(end − latest start)/(end − start) under uniform accrual",
    examples=[
        Example("pass", tables={"design": [*_WINDOW_ROWS, _design_row(
            kind="dates", parameter="data_cutoff", value="2020-06",
            quantity="design.data_cutoff")]}),
        Example("flag", tables={"design": [*_WINDOW_ROWS, _design_row(
            kind="dates", parameter="data_cutoff", value="2019-07",
            quantity="design.data_cutoff")]}),
    ])
def assessment_window_check(ctx) -> list[Finding]:
    """The required number of tumour assessments at the stated imaging interval against the
    accrual window and the data cut-off.

    Parameters
    ----------
    ctx : Context
        ``design`` rows ``min_tumour_assessments``, ``imaging_interval`` (a range gives both
        ends), ``accrual`` (with ``value_high``) and ``data_cutoff``; ``meta`` ``n``.

    Returns
    -------
    list of Finding
        One (:func:`assessment_window_result`), ``not testable`` without the accrual window or the
        cut-off; none when the paper states no such rule.

    Example
    -------
    3 assessments every 6 weeks (12 weeks after baseline), accrual to June 2019 and cut-off July
    2019 -> ``inconsistent``, with the share of late patients under uniform accrual.

    References: RECIST 1.1.
    """
    rd = assessment_reading(ctx.ledger)
    if rd is None:
        return []
    locs, printed, quantity = _reading_locators(ctx.ledger)
    if not rd.has_window:
        res = Result("not testable", "design", "",
                     "the accrual window or the data cut-off is not stated.")
    else:
        res = _window_result(rd, ctx.ledger.n)
    return [finding_from(ctx, item="required assessments before the cut-off", result=res,
                         locators=locs, printed=printed, quantity=quantity, area="design")]


# ------------------------------------------------------------------------------------------
# survivor selection: the follow-up the inclusion rule guarantees
# ------------------------------------------------------------------------------------------

def _is_os(endpoint: str) -> bool:
    e = str(endpoint).strip().lower()
    return e in ("os", "overall survival") or e.startswith("overall surv")


def survivor_selection_result(median: str, endpoint: str, unit: str, assessments: int,
                              interval_weeks: float, interval_high_weeks: float | None = None,
                              rule: str = "half_up") -> Result:
    """What an inclusion rule of ``assessments`` tumour assessments every ``interval_weeks``
    guarantees about a printed median of ``endpoint``.

    Parameters
    ----------
    median : str
        The printed median (``"9.5"``).
    endpoint : str
        ``OS`` (death is the event) or another time-to-event endpoint (PFS, TTP, ...).
    unit : str
        The median's unit (months, weeks, days, years).
    assessments : int
        Required number of assessments k (the first at baseline).
    interval_weeks, interval_high_weeks : float
        The imaging interval (a range gives both ends).
    rule : str
        Rounding rule of the median.

    Returns
    -------
    Result
        Every included patient was alive and followed for at least (k - 1)·w_low weeks. A median
        OS below that is ``impossible`` (arithmetic); any other median is ``inconsistent``
        (design) resting on ``text_interpretation`` (the rule applied to every analysed patient):
        it is a median among patients selected for surviving and staying under follow-up that
        long (immortal time). For PFS and other endpoints the rule guarantees follow-up, not
        freedom from the event, so a low median is not impossible.

    Example
    -------
    >>> survivor_selection_result("2.0", "OS", "months", 4, 6).verdict   # 18 weeks ~ 4.1 months
    'impossible'

    References: Suissa (2008); Anderson, Cain & Gelber (1983).
    """
    check_rule(rule)
    high = interval_weeks if interval_high_weeks is None else interval_high_weeks
    rd = AssessmentReading(int(assessments), float(min(interval_weeks, high)),
                           float(max(interval_weeks, high)))
    iv = interval(median, rule)
    scale = to_weeks("1", unit)
    med_hi_weeks = float(iv.high) * scale
    med_weeks = parse_printed(median).value * scale
    guaranteed = rd.weeks_low
    g_months = rd.months(guaranteed)
    expected = f"median >= {guaranteed:g} weeks" if _is_os(endpoint) else \
        f"conditional on {guaranteed:g} weeks of follow-up"
    head = (f"{rd.guaranteed_text()}. Every included patient was therefore alive and under "
            f"follow-up for at least {guaranteed:g} weeks (about {g_months:.1f} months)")
    if rd.gaps == 0:
        return Result("consistent" if _is_os(endpoint) else "not testable", "design", "",
                      f"{rd.interval_text()}: only the baseline assessment is required, so "
                      f"inclusion selects no survivors and the median {endpoint} {median} {unit} "
                      f"is not conditional on survival.")
    if _is_os(endpoint) and med_hi_weeks < guaranteed:
        return Result("impossible", "design", expected,
                      head + f"; the median OS {median} {unit} ({med_weeks:.1f} weeks) is below "
                      f"that time, yet no included patient can have died before it.")
    what = ("the median OS" if _is_os(endpoint) else f"the median {endpoint}")
    if _is_os(endpoint):
        tail = (f"; {what} {median} {unit} is thus a median among patients selected for "
                f"surviving at least {guaranteed:g} weeks: the time before is immortal time, and "
                f"the median overstates what an unselected cohort starting the same treatment "
                f"would show (a landmark analysis from {guaranteed:g} weeks would be needed).")
    else:
        below = med_weeks < guaranteed
        tail = (f"; {what} {median} {unit} is a median among patients selected for staying alive "
                f"and under follow-up that long"
                + (" (it lies below that time: the rule guarantees follow-up, not freedom from "
                   "progression, so this is possible only if many progressed before their last "
                   "required assessment)" if below else
                   ", which favours longer times (immortal time before the last required "
                   "assessment)") + ".")
    return Result("inconsistent", "design", expected, head + tail,
                  assumptions=("text_interpretation",),
                  values={"guaranteed_weeks": guaranteed})


_SURVIVAL_ROWS = [
    _design_row(kind="inclusion", parameter="min_tumour_assessments", value="4",
                comparator=">=", quantity="design.min_tumour_assessments"),
    _design_row(kind="assessment", parameter="imaging_interval", value="6", value_high="8",
                comparator="range", unit="weeks", quantity="design.imaging_interval"),
]


@register(
    "survivor_selection", family="design",
    title="Survival medians against the follow-up an inclusion rule of k tumour assessments "
          "guarantees (survivor selection)",
    reads=["design", "survival"], needs_all=True,
    assumptions=["arithmetic", "text_interpretation"], items=["4.1", "R:methods", "R:conduct"],
    reference=SURVIVOR_REF, category="design",
    formula="guaranteed time = (k − 1)·w_low (to (k − 1)·w_high); median OS < guaranteed time is "
            "impossible",
    examples=[
        Example("pass", tables={"design": [
            _design_row(kind="inclusion", parameter="min_tumour_assessments", value="1",
                        comparator=">=", quantity="design.min_tumour_assessments"),
            _design_row(kind="assessment", parameter="imaging_interval", value="8",
                        unit="weeks", quantity="design.imaging_interval")],
            "survival": [{"endpoint": "OS", "statistic": "median", "center": "14.0",
                          "unit": "months", "n": "60", "population": "all",
                          "quantity": "survival.os.median"}]},
            note="only the baseline assessment is required: no survivor selection"),
        Example("flag", tables={"design": _SURVIVAL_ROWS, "survival": [
            {"endpoint": "OS", "statistic": "median", "center": "3.0", "unit": "months",
             "n": "60", "population": "all", "quantity": "survival.os.median"}]}),
    ])
def survivor_selection_check(ctx) -> list[Finding]:
    """Each printed survival median against the follow-up that the inclusion rule "at least k
    tumour assessments" guarantees.

    Parameters
    ----------
    ctx : Context
        ``design`` rows ``min_tumour_assessments`` and ``imaging_interval``; ``survival`` rows of
        statistic ``median`` within scope (one finding per endpoint, population and value).

    Returns
    -------
    list of Finding
        Per median (:func:`survivor_selection_result`): the guaranteed time stated; a median OS
        below it ``impossible``; otherwise ``inconsistent`` (design) resting on
        ``text_interpretation``. A design stating one assessment (baseline only) guarantees
        nothing: ``consistent`` for an OS median (no selection), else ``not testable``.

    Example
    -------
    4 assessments every 6-8 weeks (18-24 weeks) and a median OS of 3.0 months -> ``impossible``.

    References: Suissa (2008); Anderson, Cain & Gelber (1983).
    """
    rd = assessment_reading(ctx.ledger)
    if rd is None:
        return []
    locs, printed, _ = _reading_locators(ctx.ledger)
    locs = locs[:2]
    printed = "; ".join(printed.split("; ")[:2])
    s = ctx.table("survival")
    s = s[s["statistic"] == "median"] if len(s) else s
    out = []
    for (endpoint, population, center), g in s.groupby(["endpoint", "population", "center"],
                                                      sort=False):
        r = g.iloc[0]
        try:
            res = survivor_selection_result(center, endpoint, r["unit"], rd.assessments,
                                            rd.interval_low, rd.interval_high,
                                            ctx.policy.rule_for(r["locator"]))
        except ValueError as exc:
            res = Result("not testable", "design", "", f"the median cannot be read: {exc}.")
        where = "" if str(population) == "all" else f" ({population})"
        out.append(finding_from(ctx, item=f"median {endpoint}{where} vs required assessments",
                                result=res, locators=list(dict.fromkeys([*g["locator"], *locs])),
                                printed=f"{r['printed']}; {printed}", quantity=r["quantity"],
                                area="design"))
    return out


# ------------------------------------------------------------------------------------------
# the life expectancy required for inclusion
# ------------------------------------------------------------------------------------------

def median_vs_life_expectancy_result(median: str, months: float, rule: str = "half_up",
                                     required: str | None = None,
                                     margin: float = LIFE_MARGIN) -> Result:
    """A printed median OS (months) against the life expectancy of more than ``months`` that
    inclusion required.

    Parameters
    ----------
    median : str
        The printed median OS in months.
    months : float
        The required life expectancy L in months.
    rule : str
        Rounding rule of the median.
    required : str, optional
        The requirement as printed, for the explanation.
    margin : float
        "Close to L": a median below (1 + margin)·L.

    Returns
    -------
    Result
        ``inconsistent`` (design), resting on ``text_interpretation`` (the requirement applied to
        every analysed patient), when the median is at most L or below (1 + margin)·L: in a cohort
        each of whom was expected to live more than L, about half were dead by about L. Else
        ``consistent``.

    Example
    -------
    >>> median_vs_life_expectancy_result("10.1", 12).verdict
    'inconsistent'

    References: INSPECT-SR item 4.1.
    """
    check_rule(rule)
    iv = interval(median, rule)
    req = required or f"more than {months:g} months"
    close = months * (1 + margin)
    expected = f">= {close:.3g} months"
    if float(iv.low) <= months:
        return Result("inconsistent", "design", expected,
                      f"median OS {median} months is not above the life expectancy required for "
                      f"inclusion ({req}): half the patients died by the time every patient was "
                      f"expected to outlive.", assumptions=("text_interpretation",))
    if float(iv.high) < close:
        return Result("inconsistent", "design", expected,
                      f"median OS {median} months is close to the life expectancy required for "
                      f"inclusion ({req}; within {100 * margin:.0f}%): in a cohort each of whom "
                      f"was expected to live more than {months:g} months, about half had died "
                      f"by {median} months.", assumptions=("text_interpretation",))
    return Result("consistent", "design", expected,
                  f"median OS {median} months is well above the life expectancy required for "
                  f"inclusion ({req}).")


def median_vs_life_expectancy(median: str, months: float) -> str:
    """The verdict of :func:`median_vs_life_expectancy_result`."""
    return median_vs_life_expectancy_result(median, months).verdict


_LIFE = _design_row(kind="inclusion", parameter="life_expectancy", value="6", comparator=">",
                    unit="months", quantity="design.life_expectancy")


@register(
    "median_vs_life_expectancy", family="design",
    title="The median OS against the life expectancy required for inclusion",
    reads=["design", "survival"], needs_all=True, assumptions=["text_interpretation"],
    items=["4.1", "R:conduct"], reference=LIMITS_REF, category="design",
    formula=f"median OS >= (1 + {LIFE_MARGIN:g})·L for a required life expectancy > L",
    examples=[
        Example("pass", tables={"design": [_LIFE], "survival": [
            {"endpoint": "OS", "statistic": "median", "center": "14.0", "unit": "months",
             "n": "60", "population": "all", "quantity": "survival.os.median"}]}),
        Example("flag", tables={"design": [_LIFE], "survival": [
            {"endpoint": "OS", "statistic": "median", "center": "6.4", "unit": "months",
             "n": "60", "population": "all", "quantity": "survival.os.median"}]}),
    ])
def median_vs_life_expectancy_check(ctx) -> list[Finding]:
    """Every printed median OS against a minimum life expectancy required for inclusion.

    Parameters
    ----------
    ctx : Context
        ``design`` row ``life_expectancy`` or ``min_life_expectancy`` (value and unit);
        ``survival`` median rows of endpoint OS within scope (one finding per population and
        value).

    Returns
    -------
    list of Finding
        Per median (:func:`median_vs_life_expectancy_result`); ``not testable`` when the units
        cannot be converted.

    Example
    -------
    Life expectancy > 6 months required and a median OS of 6.4 months -> ``inconsistent``.

    References: INSPECT-SR item 4.1.
    """
    life = design_row(ctx.ledger, "life_expectancy", "min_life_expectancy")
    if life is None:
        return []
    s = ctx.table("survival")
    s = s[(s["statistic"] == "median") & s["endpoint"].map(_is_os)] if len(s) else s
    out = []
    for (population, center), g in s.groupby(["population", "center"], sort=False):
        r = g.iloc[0]
        try:
            need = _months(parse_printed(life["value"]).value, life["unit"] or "months")
            med = _months(parse_printed(center).value, r["unit"])
            text = center if str(r["unit"]).lower().startswith("month") else f"{med:.1f}"
            res = median_vs_life_expectancy_result(text, need, ctx.policy.rule_for(r["locator"]),
                                                   required=life["printed"])
        except ValueError as exc:
            res = Result("not testable", "design", "", f"the units cannot be compared: {exc}.")
        where = "" if str(population) == "all" else f" ({population})"
        out.append(finding_from(ctx, item=f"median OS{where} vs required life expectancy",
                                result=res,
                                locators=list(dict.fromkeys([*g["locator"], life["locator"]])),
                                printed=f"{r['printed']}; {life['printed']}",
                                quantity=r["quantity"], area="design"))
    return out


# ------------------------------------------------------------------------------------------
# the significance level
# ------------------------------------------------------------------------------------------

_NO_ALPHA = "the study states no significance level (ctx.alpha is None)."


def stated_alpha_result(value: str, alpha: float | None) -> Result:
    """Whether another alpha the paper states (e.g. for its sample size) is its significance
    level ``alpha``.

    Example
    -------
    >>> stated_alpha_result("0.10", 0.05).verdict
    'inconsistent'
    """
    if alpha is None:
        return Result("not testable", "design", "", _NO_ALPHA)
    v = parse_printed(value).value
    if math.isclose(v, alpha):
        return Result("consistent", "design", f"{alpha:g}", f"{value} is the study's alpha.")
    return Result("inconsistent", "design", f"{alpha:g}",
                  f"{value} differs from the significance level {alpha:g} the study states: "
                  f"a power or sample-size statement at {value} does not hold for tests at "
                  f"{alpha:g}.")


def stated_alpha(value: str, alpha: float | None) -> str:
    """The verdict of :func:`stated_alpha_result`."""
    return stated_alpha_result(value, alpha).verdict


def significance_claim_result(p: str, alpha: float | None) -> Result:
    """Whether a p-value the paper calls significant is below its significance level.

    Example
    -------
    >>> significance_claim_result("0.08", 0.05).verdict
    'inconsistent'
    """
    if alpha is None:
        return Result("not testable", "design", "", _NO_ALPHA)
    pn = parse_printed(p)
    if pn.bound in (">", ">="):
        below = False
    elif pn.bound in ("<", "<="):
        below = pn.value <= alpha
    else:
        below = pn.value < alpha
    if below:
        return Result("consistent", "design", f"< {alpha:g}", f"p {p} is below alpha {alpha:g}.")
    return Result("inconsistent", "design", f"< {alpha:g}",
                  f"p {p} is called significant but is not below alpha {alpha:g}.")


def significance_claim(p: str, alpha: float | None) -> str:
    """The verdict of :func:`significance_claim_result`."""
    return significance_claim_result(p, alpha).verdict


@register(
    "stated_alpha", family="design",
    title="Every alpha the paper states is its significance level",
    reads=["design", "meta"], assumptions=["arithmetic"], items=["R:methods"],
    reference=ALPHA_REF, category="design",
    formula="stated alpha == the study's significance level",
    examples=[
        Example("pass", meta={"alpha": 0.05}, tables={"design": [_design_row(
            kind="analysis", parameter="sample_size_alpha", value="0.05")]}),
        Example("flag", meta={"alpha": 0.05}, tables={"design": [_design_row(
            kind="analysis", parameter="sample_size_alpha", value="0.10")]}),
    ])
def stated_alpha_check(ctx) -> list[Finding]:
    """The study's significance level against every other alpha in ``design.csv``.

    Parameters
    ----------
    ctx : Context
        ``design`` rows whose parameter contains ``alpha``; ``ctx.alpha`` (the level the study
        states, or the run's setting; None: ``not testable``).

    Returns
    -------
    list of Finding
        One per row (:func:`stated_alpha_result`).

    Example
    -------
    Significance level 0.05 and a sample size computed at alpha 0.10 -> ``inconsistent``.

    References: Wasserstein & Lazar (2016).
    """
    d = ctx.table("design")
    out = []
    for _, r in d[d["parameter"].str.contains("alpha")].iterrows():
        res = stated_alpha_result(r["value"], ctx.alpha)
        out.append(finding_from(ctx, item=f"{r['parameter']} vs study alpha", result=res,
                                locators=[r["locator"]], printed=r["printed"],
                                quantity=r["quantity"], area="design"))
    return out


@register(
    "significance_claim", family="design",
    title="A p-value the paper calls significant is below its significance level",
    reads=["design", "meta"], assumptions=["arithmetic"], items=["4.9", "R:statistics"],
    reference=ALPHA_REF, category="design",
    formula="p < alpha (a printed bound '<b' counts when b <= alpha)",
    examples=[
        Example("pass", meta={"alpha": 0.05}, tables={"design": [_design_row(
            kind="outcome", parameter="prognostic_p", value="0.001", comparator="<")]}),
        Example("flag", meta={"alpha": 0.05}, tables={"design": [_design_row(
            kind="outcome", parameter="prognostic_p", value="0.08")]}),
    ])
def significance_claim_check(ctx) -> list[Finding]:
    """p-values the paper calls significant against its significance level.

    Parameters
    ----------
    ctx : Context
        ``design`` rows of kind ``outcome`` whose parameter ends in ``_p`` (the comparator is the
        printed bound); ``ctx.alpha`` (None: ``not testable``).

    Returns
    -------
    list of Finding
        One per claim (:func:`significance_claim_result`).

    Example
    -------
    "significantly (p = 0.08)" at alpha 0.05 -> ``inconsistent``.

    References: Wasserstein & Lazar (2016).
    """
    d = ctx.table("design")
    claims = d[(d["kind"] == "outcome") & d["parameter"].str.endswith("_p")]
    out = []
    for _, r in claims.iterrows():
        text = (r["comparator"] if r["comparator"] in ("<", "<=", ">", ">=") else "") + r["value"]
        res = significance_claim_result(text, ctx.alpha)
        out.append(finding_from(ctx, item=r["parameter"], result=res, locators=[r["locator"]],
                                printed=r["printed"], quantity=r["quantity"], area="design"))
    return out
