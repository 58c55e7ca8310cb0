"""Checks on printed survival medians and landmark rates (Kaplan-Meier) and their CIs.

What a printed median m with CI (L, U) from N patients requires:

1. :func:`median_in_ci`      L <= m <= U (within rounding). A median "not reached" (``NR``) lies
   beyond every observed time, so its upper limit is also not reached; a finite lower limit is
   possible, a finite upper limit is not.
2. :func:`median_followup`   follow-up long enough to observe it. With accrual over a window of A
   time units ending c time units before the data cut-off, a patient's potential follow-up F lies
   in [c, c + A]. The Kaplan-Meier curve is only defined up to the last observed time, so the
   median and a finite CI limit need m <= c + A and U <= c + A (``impossible`` otherwise:
   arithmetic on the printed dates). Under uniform accrual the share of patients who could be
   followed beyond m is q(m) = P(F >= m) = clip((c + A - m) / A, 0, 1), and at least
   N (q(m) - 1/2) events precede the median (Efron's 1967 redistribute-to-the-right view of the
   Kaplan-Meier estimator: S(m) <= 1/2 needs at most N/2 patients still at risk at m). A median
   not reached is consistent with any follow-up.
3. :func:`median_ci_events`  how many events the CI width implies. Under an exponential model
   SE(log median) = 1 / sqrt(d); the printed CI gives SE = (ln U - ln L) / (2 z), hence
   d = 1 / SE^2. A Kaplan-Meier CI has no model-free lower width (events that cluster around the
   median make it narrow: R's CI for the NCCTG lung data implies 1.15 N events), so only a CI
   implying more than twice the cohort's patients is flagged, as ``implausible``.
4. :func:`landmark_vs_median` a landmark rate S(t) and the median of the same curve agree:
   the median is inf{s: S(s) <= 1/2}, so S(t) > 50% means m > t and S(t) < 50% means m <= t.
   A rate whose rounding interval holds 50% is not testable.
5. :func:`landmark_within_followup` a landmark t lies within the longest potential follow-up.

Kaplan-Meier (1958) JASA 53:457; Brookmeyer & Crowley (1982) Biometrics 38:29 for CIs of the
median; Efron (1967) Proc 5th Berkeley Symp 4:831 for the redistribute-to-the-right algorithm.
Whether the last patients enrolled could have had the tumour assessments the inclusion rule
requires before the cut-off is :func:`helpers.checks.design.assessment_window`.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from ..core.findings import Finding, Result, finding_from
from ..core.printed import parse_printed, z_for_level
from ..core.units import DAYS_PER_UNIT
from ..ledger.followup import FollowUp, study_followup
from ..ledger.load import Ledger
from .hazard import printed_box, under_policy
from .mapping import make_map
from .registry import Context, Example, Settings, register

__all__ = ["median_in_ci", "median_followup", "expected_events", "median_ci_events",
           "landmark_vs_median", "landmark_within_followup", "median_in_ci_map",
           "median_followup_map", "median_ci_events_map", "landmark_vs_median_map", "medians",
           "rates", "distinct_rates", "not_reached", "distinct_medians", "printed_median_table", "check_medians", "is_nr",
           "to_unit"]

AREA = "survival"
KM_REF = ("Kaplan EL, Meier P (1958) JASA 53:457-481; Brookmeyer R, Crowley J (1982) "
          "Biometrics 38:29-41 (CI of the median)")
FOLLOWUP_REF = ("Kaplan & Meier (1958); Efron B (1967) The two sample problem with censored "
                "data, Proc 5th Berkeley Symp 4:831-853 (redistribute to the right)")
EVENTS_REF = ("Collett D (2015) Modelling Survival Data in Medical Research, 3rd ed., ch. 5 "
              "(exponential model: SE(log median) = 1/sqrt(d)); Brookmeyer & Crowley (1982)")
EVENTS_FACTOR = 2.0        # flag only a CI implying more than this many times N events
NR_WORDS = ("nr", "not reached", "n.r.", "ne", "not estimable", "na")


def _text(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return str(x).strip()


def is_nr(text) -> bool:
    """Whether a printed median or limit says "not reached" (``NR``)."""
    return _text(text).lower() in NR_WORDS


not_reached = is_nr       # the name the loader's vocabulary uses


def _number(text) -> bool:
    try:
        parse_printed(_text(text))
        return True
    except ValueError:
        return False


def to_unit(value: float, unit: str, target: str) -> float:
    """``value`` in time ``unit`` expressed in ``target`` (months of 365.25/12 days)."""
    u, t = _text(unit).lower() or target, _text(target).lower()
    if u not in DAYS_PER_UNIT or t not in DAYS_PER_UNIT:
        raise ValueError(f"unknown time unit '{unit}' or '{target}' (one of {sorted(DAYS_PER_UNIT)})")
    return value * DAYS_PER_UNIT[u] / DAYS_PER_UNIT[t]


def _untestable(why: str, category: str = "statistical") -> Result:
    return Result("not testable", category, "", why)


# --------------------------------------------------------------------------- 1. median in CI


def median_in_ci(center: str, ci_low: str, ci_high: str, *, rule="auto") -> Result:
    """Does the printed median lie inside its printed CI (within rounding)?

    Parameters
    ----------
    center, ci_low, ci_high : str
        As printed; ``NR`` (not reached) is allowed for each.
    rule : str or sequence of str
        The rounding rule of the place (``ctx.policy.rule_for(locator)``); ``auto``: every rule.

    Returns
    -------
    Result
        ``impossible`` (arithmetic: every interval method holds its estimate) when the median
        lies outside its CI for every value within rounding, when a reached median has a lower
        limit not reached, or when a median not reached has a finite upper limit (the upper
        limit of a median not reached is itself not reached); ``consistent`` otherwise;
        ``not testable`` without a CI.

    Example
    -------
    >>> median_in_ci("9.5", "6.3", "9.2").verdict
    'impossible'
    >>> median_in_ci("NR", "14.2", "NR").verdict
    'consistent'

    References: Brookmeyer & Crowley (1982).
    """
    if not (_text(center) and _text(ci_low) and _text(ci_high)):
        return _untestable("no CI printed here.")
    bad = [t for t in (center, ci_low, ci_high) if not is_nr(t) and not _number(t)]
    if bad:
        return _untestable(f"not a number: {', '.join(map(str, bad))}")
    expected = f"{ci_low} <= median <= {ci_high}"
    m_nr, l_nr, u_nr = is_nr(center), is_nr(ci_low), is_nr(ci_high)
    if m_nr:
        if not u_nr:
            return Result("impossible", "statistical", f"upper limit NR",
                          f"the median is not reached but its upper CI limit {ci_high} is: the "
                          f"upper limit of a median not reached is itself not reached.", ())
        return Result("consistent", "statistical", expected,
                      f"a median not reached with CI ({ci_low}-{ci_high}).", ())
    if l_nr:
        return Result("impossible", "statistical", expected,
                      f"the median {center} is reached but its lower CI limit is printed as not "
                      f"reached: the lower limit cannot exceed the median.", ())
    m1, m2 = printed_box(center, rule)
    l1, _ = printed_box(ci_low, rule)
    u2 = math.inf if u_nr else printed_box(ci_high, rule)[1]
    if l1 <= m2 and m1 <= u2:
        return Result("consistent", "statistical", expected,
                      f"the median {center} lies inside its CI ({ci_low}-{ci_high}).", ())
    return Result("impossible", "statistical", expected,
                  f"the median {center} lies outside its own CI ({ci_low}-{ci_high}), for every "
                  f"value within rounding.", ())


# --------------------------------------------------------------------------- 2. follow-up


def median_followup(center: str, n: int, followup: FollowUp | None, *, ci_high: str = "",
                    ci_low: str = "", rule="auto") -> Result:
    """Could the median (and its CI limits) be observed with this accrual and cut-off?

    Parameters
    ----------
    center : str
        The printed median (``NR``: not reached).
    n : int
        Patients behind it.
    followup : FollowUp or None
        Potential follow-up (:func:`helpers.ledger.followup.study_followup`).
    ci_high, ci_low : str
        Printed limits, if any.
    rule : str or sequence of str
        The rounding rule of the place; ``auto``: every rule.

    Returns
    -------
    Result
        ``impossible`` (arithmetic on the printed dates) when the median or a finite CI limit
        exceeds the longest potential follow-up; ``consistent`` otherwise, with q(m) and the
        events the median requires as evidence (module docstring, rule 2); for a median not
        reached ``consistent`` (any follow-up can leave a median unreached), unless a finite
        lower limit lies beyond the follow-up. ``not testable`` without accrual and cut-off.

    Example
    -------
    A median of 15.0 months with at most 14 months of follow-up -> ``impossible``.

    References: Kaplan & Meier (1958); Efron (1967).
    """
    if followup is None:
        return _untestable("the ledger states no accrual window or cut-off.", "design")
    n = int(n) if _text(n) else 0
    unit, max_fu = followup.unit, followup.max_fu
    window = (f"potential follow-up {followup.min_fu:.1f}-{max_fu:.1f} {unit}, accrual from "
              f"{followup.accrual_start} to cut-off {followup.cutoff}")
    if not _text(center) or (not is_nr(center) and not _number(center)):
        return _untestable(f"no median printed ('{center}').", "design")
    limits = [(name, t) for name, t in (("lower", ci_low), ("upper", ci_high))
              if _text(t) and not is_nr(t) and _number(t)]
    for name, t in limits:
        t1, _ = printed_box(t, rule, low=0.0)
        if t1 > max_fu:
            return Result("impossible", "design", f"CI limits <= {max_fu:.1f} {unit}",
                          f"the {name} CI limit {t} {unit} is beyond the longest possible "
                          f"follow-up ({window}); a Kaplan-Meier CI cannot end after the last "
                          f"observation.", (), {"max_fu": max_fu, "min_fu": followup.min_fu})
    if is_nr(center):
        return Result("consistent", "design", "no constraint (median not reached)",
                      f"the median is not reached within a {window}: any follow-up can leave the "
                      f"curve above 50%.", (), {"max_fu": max_fu, "min_fu": followup.min_fu})
    m1, _ = printed_box(center, rule, low=0.0)
    q = followup.share_beyond(m1)
    values = {"max_fu": max_fu, "min_fu": followup.min_fu, "q": q,
              "events_floor": max(0.0, n * (q - 0.5)), "events_expected_low": n * q / 2,
              "events_expected_high": n / 2}
    expected = (f"median <= longest follow-up {max_fu:.1f} {unit}; "
                f">= {values['events_floor']:.0f} events before it (q = {q:.2f})")
    if m1 > max_fu:
        return Result("impossible", "design", expected,
                      f"the median {center} {unit} is beyond the longest possible follow-up "
                      f"({window}).", (), values)
    half = ("more than half" if q > 0.5 else "fewer than half")
    return Result(
        "consistent", "design", expected,
        f"{half} of the patients ({q:.0%}) could be followed beyond {center} {unit} ({window}; "
        f"uniform accrual); the median needs at least {values['events_floor']:.0f} events before "
        f"it, {values['events_expected_low']:.0f}-{values['events_expected_high']:.0f} expected.",
        (), values)


# --------------------------------------------------------------------------- 3. CI width


def expected_events(median: float, n: int, followup: FollowUp | None) -> float:
    """Expected number of events by the cut-off for an exponential time with this median and
    potential follow-up uniform on [min_fu, max_fu]: N E_F[1 - exp(-lambda F)]."""
    lam = math.log(2) / median
    if followup is None:
        return float(n)
    a, b = followup.min_fu, followup.max_fu
    if b - a <= 1e-12:
        return n * (1 - math.exp(-lam * a))
    mean_surv = (math.exp(-lam * a) - math.exp(-lam * b)) / (lam * (b - a))
    return n * (1 - mean_surv)


def median_ci_events(center: str, ci_low: str, ci_high: str, n: int, *,
                     followup: FollowUp | None = None, ci_level: str | None = "95",
                     rule="auto") -> Result:
    """How many events does the CI width imply, and is that feasible with N patients?

    Parameters
    ----------
    center, ci_low, ci_high : str
        As printed (``NR`` makes the width not testable).
    n : int
        Patients behind the median.
    followup : FollowUp, optional
        Potential follow-up, for the events expected by the cut-off.
    ci_level : str, optional
        CI level in percent (95 when empty).
    rule : str or sequence of str
        The rounding rule of the place; ``auto``: every rule.

    Returns
    -------
    Result
        Exponential model: d = 1/SE^2, SE = (ln U - ln L)/(2z) over the rounding boxes.
        ``consistent`` when even the narrowest reading implies no more events than patients.
        When the widest CI rounding to the printed limits still implies more than
        ``EVENTS_FACTOR`` x N events, ``implausible``, resting on ``group_sizes_assumed`` (the
        event count is not printed and is taken as favourably as the model allows: a Kaplan-Meier
        CI is that narrow only if the events cluster very tightly around the median). Between N
        and twice N: ``not testable`` (real data do this: module docstring, rule 3).

    Example
    -------
    >>> median_ci_events("10.0", "9.9", "10.1", 100).verdict
    'implausible'

    References: Collett (2015) ch. 5; Brookmeyer & Crowley (1982).
    """
    if not (_text(ci_low) and _text(ci_high)):
        return _untestable("no CI printed here.")
    if any(is_nr(t) for t in (center, ci_low, ci_high)):
        return _untestable("a median or limit not reached: the width is not defined.")
    if not all(_number(t) for t in (center, ci_low, ci_high)):
        return _untestable("a median or limit is not a number.")
    n = int(n)
    level = _text(ci_level) or "95"
    z = z_for_level(level)
    l1, l2 = printed_box(ci_low, rule, low=1e-300)
    u1, u2 = printed_box(ci_high, rule, low=1e-300)
    se_max = max(0.0, math.log(u2) - math.log(l1)) / (2 * z)
    se_min = max(0.0, math.log(u1) - math.log(l2)) / (2 * z)
    d_min = math.inf if se_max == 0 else 1 / se_max ** 2
    d_max = math.inf if se_min == 0 else 1 / se_min ** 2
    med = parse_printed(center).value
    d_exp = expected_events(med, n, followup) if med > 0 else float(n)
    L, U = parse_printed(ci_low).value, parse_printed(ci_high).value
    se_pt = (math.log(U) - math.log(L)) / (2 * z) if U > L > 0 else 0.0
    values = {"se_min": se_min, "se_max": se_max, "events_implied_low": d_min,
              "events_implied_high": d_max, "events_expected": d_exp,
              "events_implied_km": 2.08 / se_pt ** 2 if se_pt > 0 else math.inf}
    expected = f"{d_min:.0f}-{d_max:.0f} events implied (exponential); <= {n} possible"
    if d_min > EVENTS_FACTOR * n:
        return Result("implausible", "statistical", expected,
                      f"even the widest CI rounding to ({ci_low}-{ci_high}) implies at least "
                      f"{d_min:.0f} events under an exponential model, more than "
                      f"{EVENTS_FACTOR:g} times the {n} patients; a Kaplan-Meier CI is that "
                      f"narrow only if the events cluster tightly around the median.",
                      ("group_sizes_assumed",), values)
    if d_min > n:
        return Result("not testable", "statistical", expected,
                      f"the widest CI rounding to ({ci_low}-{ci_high}) implies at least "
                      f"{d_min:.0f} events under an exponential model, more than the {n} "
                      f"patients; but a Kaplan-Meier CI is that narrow whenever the events "
                      f"cluster around the median (a rising hazard; real data do this), so the "
                      f"width alone cannot decide.", (), values)
    return Result(
        "consistent", "statistical", expected,
        f"the CI implies about {d_min:.0f}-{d_max:.0f} events under an exponential model "
        f"(a Kaplan-Meier CI that wide: about {values['events_implied_km']:.0f}); with a median of "
        f"{center} and the stated follow-up about {d_exp:.0f} events are expected among {n} "
        f"patients.", (), values)


# --------------------------------------------------------------------------- 4-5. landmarks


def landmark_vs_median(rate: str, landmark, median: str, *, landmark_unit: str = "months",
                       median_unit: str = "months", rule="auto") -> Result:
    """Do a landmark survival rate S(t) and the median of the same curve agree?

    Parameters
    ----------
    rate : str
        S(t) as printed, in percent.
    landmark : str or float
        The landmark time t (a definition, not a rounded value: "1-year").
    median : str
        The printed median (``NR``: not reached).
    landmark_unit, median_unit : str
        Time units (days, weeks, months, years).
    rule : str or sequence of str
        The rounding rule of the place; ``auto``: every rule.

    Returns
    -------
    Result
        The median is inf{s: S(s) <= 1/2}. S(t) > 50% (every value within rounding) needs
        m > t; S(t) < 50% needs m <= t (a median not reached needs S > 50% at every observed
        time). A contradiction is ``inconsistent``, resting on ``same_quantity`` (the ledger's
        reading that rate and median are read off one Kaplan-Meier curve of the same patients:
        a crude proportion or another population would break the link). ``not testable`` when
        the rate's rounding interval holds 50%.

    Example
    -------
    >>> landmark_vs_median("75", "5", "52", landmark_unit="years").verdict
    'inconsistent'

    References: Kaplan & Meier (1958).
    """
    landmark_unit = _text(landmark_unit) or "months"
    median_unit = _text(median_unit) or landmark_unit
    if not (_text(rate) and _text(landmark) and _text(median)):
        return _untestable("rate, landmark or median not printed.")
    if not (_number(rate) and _number(landmark)) or (not is_nr(median) and not _number(median)):
        return _untestable("rate, landmark or median is not a number.")
    t = to_unit(parse_printed(_text(landmark)).value, landmark_unit, median_unit)
    s1, s2 = printed_box(rate, rule, low=0.0, high=100.0)
    tt = f"{_text(landmark)} {landmark_unit} ({t:.3g} {median_unit})"
    values = {"landmark": t, "rate_low": s1, "rate_high": s2}
    if s1 <= 50 <= s2:
        return _untestable(f"the rate {rate}% may be 50%: it does not say on which side of "
                           f"{tt} the median lies.")
    above = s1 > 50
    expected = f"median {'>' if above else '<='} {tt}"
    if is_nr(median):
        if above:
            return Result("consistent", "statistical", expected,
                          f"S({tt}) = {rate}% > 50%, as a median not reached requires.", (), values)
        return Result("inconsistent", "statistical", expected,
                      f"S({tt}) = {rate}% < 50%, so the curve has crossed 50% by then and the "
                      f"median is reached, yet it is printed as not reached.",
                      ("same_quantity",), values)
    m1, m2 = printed_box(median, rule, low=0.0)
    tol = 1e-9 * max(1.0, t)
    ok = (m2 > t - tol) if above else (m1 <= t + tol)
    if ok:
        return Result("consistent", "statistical", expected,
                      f"S({tt}) = {rate}% {'>' if above else '<'} 50% and the median {median} "
                      f"{median_unit} lies {'beyond' if above else 'before'} it.", (), values)
    return Result("inconsistent", "statistical", expected,
                  f"S({tt}) = {rate}% is {'above' if above else 'below'} 50%, so the median must "
                  f"lie {'after' if above else 'at or before'} {tt}; the printed median is "
                  f"{median} {median_unit}.", ("same_quantity",), values)


def landmark_within_followup(landmark, followup: FollowUp | None, *,
                             landmark_unit: str = "months", rule="auto") -> Result:
    """Does a landmark time lie within the longest potential follow-up?

    Parameters
    ----------
    landmark : str or float
        The landmark time.
    followup : FollowUp or None
        Potential follow-up from the accrual window and the cut-off.
    landmark_unit : str
        Its time unit.
    rule : str or sequence of str
        Unused (the landmark is a definition, not a rounded value); kept for :func:`under_policy`.

    Returns
    -------
    Result
        ``impossible`` (arithmetic on the printed dates) when t exceeds the longest potential
        follow-up: no patient could be observed at t, so S(t) has no Kaplan-Meier estimate;
        ``consistent`` otherwise (with the share of patients who could be followed to t);
        ``not testable`` without dates or landmark.

    Example
    -------
    A 3-year rate in a study whose first patient was enrolled 2 years before the cut-off ->
    ``impossible``.

    References: Kaplan & Meier (1958).
    """
    if followup is None:
        return _untestable("the ledger states no accrual window or cut-off.", "design")
    landmark_unit = _text(landmark_unit) or followup.unit
    if not _text(landmark) or not _number(landmark):
        return _untestable("no landmark time printed.", "design")
    t = to_unit(parse_printed(_text(landmark)).value, landmark_unit, followup.unit)
    q = followup.share_beyond(t)
    values = {"landmark": t, "max_fu": followup.max_fu, "q": q}
    expected = f"landmark <= {followup.max_fu:.1f} {followup.unit}"
    window = (f"accrual from {followup.accrual_start} to cut-off {followup.cutoff}: at most "
              f"{followup.max_fu:.1f} {followup.unit}")
    if t > followup.max_fu + 1e-9:
        return Result("impossible", "design", expected,
                      f"the landmark {_text(landmark)} {landmark_unit} ({t:.1f} {followup.unit}) "
                      f"is beyond the longest possible follow-up ({window}); no patient could be "
                      f"observed that long.", (), values)
    return Result("consistent", "design", expected,
                  f"the landmark {_text(landmark)} {landmark_unit} lies within the follow-up "
                  f"({window}); {q:.0%} of the patients could be followed that long under "
                  f"uniform accrual.", (), values)


# --------------------------------------------------------------------------- map versions

median_in_ci_map = make_map(
    median_in_ci, columns={"center": "center", "ci_low": "ci_low", "ci_high": "ci_high"},
    optional=("ci_low", "ci_high"), constants=("rule",), name="median_in_ci_map")
median_followup_map = make_map(
    median_followup, columns={"center": "center", "n": "n", "ci_high": "ci_high",
                              "ci_low": "ci_low"},
    optional=("ci_high", "ci_low"), constants=("followup", "rule"),
    values=("q", "events_floor", "max_fu"), name="median_followup_map")
median_ci_events_map = make_map(
    median_ci_events, columns={"center": "center", "ci_low": "ci_low", "ci_high": "ci_high",
                               "n": "n", "ci_level": "ci_level"},
    optional=("ci_low", "ci_high", "ci_level"), constants=("followup", "rule"),
    values=("events_implied_low", "events_implied_high", "events_expected"),
    name="median_ci_events_map")
landmark_vs_median_map = make_map(
    landmark_vs_median, columns={"rate": "rate", "landmark": "landmark", "median": "median",
                                 "landmark_unit": "landmark_unit", "median_unit": "median_unit"},
    optional=("landmark_unit", "median_unit"), constants=("rule",), name="landmark_vs_median_map")


# --------------------------------------------------------------------------- the ledger


def _survival(source) -> pd.DataFrame:
    if isinstance(source, Context):
        return source.table("survival")
    if isinstance(source, pd.DataFrame):
        return source
    return source.survival


def medians(source) -> pd.DataFrame:
    """The printed medians (statistic ``median``) of a ledger, a context (within its scope) or a
    survival frame."""
    s = _survival(source)
    if s.empty or "statistic" not in s.columns:
        return s.copy()
    return s[s["statistic"] == "median"].reset_index(drop=True)


def rates(source) -> pd.DataFrame:
    """The printed landmark rates (statistic ``rate``)."""
    s = _survival(source)
    if s.empty or "statistic" not in s.columns:
        return s.iloc[0:0].copy()
    return s[s["statistic"] == "rate"].reset_index(drop=True)


def distinct_rates(source) -> pd.DataFrame:
    """One line per distinct printed landmark rate, with all its locators (``locators``)."""
    r = rates(source)
    if r.empty:
        return r.assign(locators=[])
    key = [c for c in ("quantity", "endpoint", "population", "center", "landmark",
                       "landmark_unit", "n") if c in r.columns]
    rows = []
    for _, g in r.groupby(key, sort=False, dropna=False):
        first = g.iloc[0].copy()
        first["locators"] = list(dict.fromkeys(g["locator"]))
        rows.append(first)
    return pd.DataFrame(rows).reset_index(drop=True)


def distinct_medians(source) -> pd.DataFrame:
    """One line per distinct printed median (quantity, value, CI, N), with all its locators:
    appearances that print the same numbers are checked once."""
    m = medians(source)
    if m.empty:
        return m.assign(locators=[])
    key = ["quantity", "endpoint", "population", "center", "ci_low", "ci_high", "ci_level", "n"]
    rows = []
    for _, g in m.groupby(key, sort=False, dropna=False):
        first = g.iloc[0].copy()
        first["locators"] = list(dict.fromkeys(g["locator"]))
        rows.append(first)
    return pd.DataFrame(rows).reset_index(drop=True)


def printed_median_table(ledger: Ledger) -> pd.DataFrame:
    """One printed median per endpoint for the whole cohort (the appearance with a CI if any), as
    numbers: ``endpoint``, ``median``, ``ci_low``, ``ci_high`` (NaN when no CI is printed or a
    value is not reached)."""
    m = medians(ledger)
    if m.empty:
        return pd.DataFrame(columns=["endpoint", "median", "ci_low", "ci_high"])
    m = m[m["population"] == "all"].assign(_ci=lambda d: (d["ci_low"] == "").astype(int))
    m = m.sort_values("_ci", kind="mergesort").drop_duplicates("endpoint")
    num = lambda t: parse_printed(t).value if _text(t) and _number(t) else np.nan  # noqa: E731
    return pd.DataFrame({"endpoint": m["endpoint"], "median": [num(x) for x in m["center"]],
                         "ci_low": [num(x) for x in m["ci_low"]],
                         "ci_high": [num(x) for x in m["ci_high"]]}).reset_index(drop=True)


def _finding(ctx: Context, row, res: Result, item: str | None = None, locators=None,
             printed: str | None = None) -> Finding:
    locs = locators if locators is not None else row.get("locators", [row["locator"]])
    return finding_from(ctx, item=item or f"median {row['endpoint']} ({row['population']})",
                        result=res, locators=tuple(locs),
                        printed=printed if printed is not None else row["printed"],
                        quantity=row["quantity"], area=AREA)


def _n(row) -> int:
    t = _text(row.get("n"))
    return int(t) if t.isdigit() else 0


def _has_ci(row) -> bool:
    return bool(_text(row.get("ci_low")) and _text(row.get("ci_high")))


def _median_row(**kw) -> dict:
    row = {"endpoint": "PFS", "statistic": "median", "unit": "months", "n": "200",
           "population": "all", "ci_level": "95", "quantity": "survival.pfs.median",
           "locator": "Results ¶2"}
    row.update(kw)
    return row


def _rate_row(**kw) -> dict:
    row = {"endpoint": "OS", "statistic": "rate", "unit": "percent", "n": "200",
           "population": "all", "landmark": "1", "landmark_unit": "years",
           "quantity": "survival.os.rate_1y", "locator": "Results ¶3"}
    row.update(kw)
    return row


_DATES = {"accrual": ["2019-01", "2020-12"], "data_cutoff": "2022-06", "time_unit": "months"}


@register(
    "median_in_ci", family="survival",
    title="A printed survival median lies inside its own CI",
    reads=["survival"], assumptions=["arithmetic", "rounding_rule_inferred"],
    items=["4.9", "R:statistics"], reference=KM_REF, category="statistical",
    formula="L <= m <= U within rounding; NR median needs an NR upper limit",
    examples=[
        Example("pass", tables={"survival": [_median_row(center="8.0", ci_low="7.1",
                                                          ci_high="9.2")]}),
        Example("flag", tables={"survival": [_median_row(center="9.5", ci_low="6.3",
                                                          ci_high="9.2")]}),
    ])
def median_in_ci_check(ctx: Context) -> list[Finding]:
    """Every distinct printed median with a CI: does the median lie inside it?

    Parameters
    ----------
    ctx : Context
        Rows of ``survival`` (statistic ``median``) within scope, read under the place's rule.

    Returns
    -------
    list of Finding
        One per distinct median with a CI (:func:`median_in_ci`).

    Example
    -------
    9.5 months (95% CI 6.3-9.2) -> ``impossible``.

    References: Brookmeyer & Crowley (1982).
    """
    out = []
    for _, row in distinct_medians(ctx).iterrows():
        if _has_ci(row):
            res = under_policy(median_in_ci, ctx, row["locator"], row["center"], row["ci_low"],
                               row["ci_high"])
            out.append(_finding(ctx, row, res))
    return out


@register(
    "median_followup", family="survival",
    title="A printed survival median (and its CI) lies within the possible follow-up",
    reads=["survival"], assumptions=["arithmetic", "rounding_rule_inferred"],
    items=["4.9", "2.5", "R:conduct"], reference=FOLLOWUP_REF, category="design",
    formula="m <= max follow-up = cut-off - start of accrual; U <= max follow-up",
    examples=[
        Example("pass", tables={"survival": [_median_row(center="8.0", ci_low="7.1",
                                                          ci_high="9.2")]}, meta=_DATES),
        Example("flag", tables={"survival": [_median_row(center="48.0", ci_low="40.1",
                                                          ci_high="55.0")]}, meta=_DATES),
    ])
def median_followup_check(ctx: Context) -> list[Finding]:
    """Every printed median value: could the follow-up the dates allow observe it?

    Parameters
    ----------
    ctx : Context
        Rows of ``survival`` (statistic ``median``) within scope; accrual and cut-off from
        design.csv or study.yaml (:func:`helpers.ledger.followup.study_followup`).

    Returns
    -------
    list of Finding
        One per printed median value (with its CI where one is printed; all its appearances
        cited) (:func:`median_followup`); ``not testable`` without dates; a median not reached is
        ``consistent`` unless a finite limit lies beyond the follow-up.

    Example
    -------
    Accrual 2019-01 to 2020-12, cut-off 2022-06 (at most 41 months): a median of 48.0 months ->
    ``impossible``.

    References: Kaplan & Meier (1958); Efron (1967).
    """
    fu = study_followup(ctx.ledger)
    out = []
    dm = distinct_medians(ctx)
    if dm.empty:
        return out
    for _, g in dm.groupby(["quantity", "center", "n"], sort=False, dropna=False):
        g = g.assign(_ci=(g["ci_high"].astype(str) != "")).sort_values(
            "_ci", ascending=False, kind="mergesort")
        row = g.iloc[0].copy()
        locs = list(dict.fromkeys(loc for locs in g["locators"] for loc in locs))
        res = under_policy(median_followup, ctx, row["locator"], row["center"], _n(row), fu,
                           ci_high=row["ci_high"], ci_low=row["ci_low"])
        out.append(_finding(ctx, row, res, locators=locs))
    return out


@register(
    "median_ci_events", family="survival",
    title="The width of a median's CI implies a feasible number of events",
    reads=["survival"], assumptions=["arithmetic", "group_sizes_assumed"],
    items=["4.9", "4.6", "R:statistics"], reference=EVENTS_REF, category="statistical",
    formula="d = 1/SE^2, SE = (ln U - ln L)/(2z); flag when d > 2N for the widest CI",
    examples=[
        Example("pass", tables={"survival": [_median_row(center="8.0", ci_low="6.0",
                                                          ci_high="10.5")]}),
        Example("flag", tables={"survival": [_median_row(center="8.0", ci_low="7.9",
                                                          ci_high="8.1")]}),
    ])
def median_ci_events_check(ctx: Context) -> list[Finding]:
    """Every distinct printed median with a CI: how many events does the width imply?

    Parameters
    ----------
    ctx : Context
        Rows of ``survival`` (statistic ``median``) within scope; follow-up from the dates.

    Returns
    -------
    list of Finding
        One per distinct median with a CI (:func:`median_ci_events`): ``implausible`` only when
        even the widest reading implies more than twice the patients as events.

    Example
    -------
    8.0 months (7.9-8.1) from 200 patients: about 9 800 events implied -> ``implausible``.

    References: Collett (2015) ch. 5.
    """
    fu = study_followup(ctx.ledger)
    out = []
    for _, row in distinct_medians(ctx).iterrows():
        if _has_ci(row) and _n(row) > 0:
            res = under_policy(median_ci_events, ctx, row["locator"], row["center"],
                               row["ci_low"], row["ci_high"], _n(row), followup=fu,
                               ci_level=row["ci_level"])
            out.append(_finding(ctx, row, res))
    return out


def _time_unit(row, ctx) -> str:
    for cand in (row.get("landmark_unit"), row.get("unit"), ctx.ledger.meta.get("time_unit")):
        t = _text(cand).lower()
        if t in DAYS_PER_UNIT:
            return t
    return "months"


def _rate_item(row) -> str:
    return (f"{_text(row.get('landmark'))}-{_text(row.get('landmark_unit')) or 'unit'} "
            f"{row['endpoint']} rate ({row['population']})")


@register(
    "landmark_vs_median", family="survival",
    title="A landmark survival rate and the median of the same curve agree",
    reads=["survival"], assumptions=["arithmetic", "same_quantity", "rounding_rule_inferred"],
    items=["4.9", "4.10", "R:statistics"], reference=KM_REF, category="statistical",
    formula="S(t) > 50% => m > t; S(t) < 50% => m <= t",
    examples=[
        Example("pass", tables={"survival": [
            _median_row(endpoint="OS", center="18.0", quantity="survival.os.median"),
            _rate_row(center="62.5")]}),
        Example("flag", tables={"survival": [
            _median_row(endpoint="OS", center="9.0", quantity="survival.os.median"),
            _rate_row(center="62.5")]}),
    ])
def landmark_vs_median_check(ctx: Context) -> list[Finding]:
    """Every printed landmark rate against each printed median of the same endpoint and
    population.

    Parameters
    ----------
    ctx : Context
        Rows of ``survival`` within scope: ``rate`` rows (center in percent, ``landmark`` and
        ``landmark_unit``) and ``median`` rows (the medians of the whole ledger are used, so a
        rate in scope meets its median wherever it is printed).

    Returns
    -------
    list of Finding
        One per rate and distinct median value (:func:`landmark_vs_median`); ``not testable``
        when no median of the endpoint is printed, the N differ, or the landmark is missing.

    Example
    -------
    1-year OS 62.5% with a median OS of 9.0 months -> ``inconsistent``.

    References: Kaplan & Meier (1958).
    """
    out = []
    meds = distinct_medians(ctx.ledger)
    for _, r in distinct_rates(ctx).iterrows():
        own = list(r["locators"])
        unit = _time_unit(r, ctx)
        same = meds[(meds["endpoint"] == r["endpoint"]) & (meds["population"] == r["population"])] \
            if not meds.empty else meds
        if not _text(r.get("landmark")):
            out.append(_finding(ctx, r, _untestable("no landmark time recorded for the rate."),
                                item=_rate_item(r), locators=own))
            continue
        if same.empty:
            out.append(_finding(ctx, r, _untestable(f"no median {r['endpoint']} printed for "
                                                    f"this population."),
                                item=_rate_item(r), locators=own))
            continue
        for _, g in same.groupby(["center", "n"], sort=False, dropna=False):
            m = g.iloc[0]
            locs = list(dict.fromkeys([*own, *(loc for ls in g["locators"] for loc in ls)]))
            printed = f"{r['printed']} | median {m['printed']}"
            if _n(r) and _n(m) and _n(r) != _n(m):
                res = _untestable(f"the rate is from {_n(r)} patients, the median from {_n(m)}.")
            else:
                res = under_policy(landmark_vs_median, ctx, r["locator"], r["center"],
                                   r.get("landmark"), m["center"], landmark_unit=unit,
                                   median_unit=_text(m["unit"]) or unit)
            out.append(_finding(ctx, r, res, item=_rate_item(r), locators=locs, printed=printed))
    return out


@register(
    "landmark_within_followup", family="survival",
    title="A landmark survival rate lies within the possible follow-up",
    reads=["survival"], assumptions=["arithmetic"],
    items=["4.9", "2.5", "R:conduct"], reference=FOLLOWUP_REF, category="design",
    formula="t <= max follow-up = cut-off - start of accrual",
    examples=[
        Example("pass", tables={"survival": [_rate_row(center="62.5")]}, meta=_DATES),
        Example("flag", tables={"survival": [_rate_row(center="40.0", landmark="5")]},
                meta=_DATES),
    ])
def landmark_within_followup_check(ctx: Context) -> list[Finding]:
    """Every printed landmark rate: could any patient be followed to its landmark?

    Parameters
    ----------
    ctx : Context
        Rows of ``survival`` (statistic ``rate``) within scope; accrual and cut-off.

    Returns
    -------
    list of Finding
        One per rate (:func:`landmark_within_followup`).

    Example
    -------
    A 5-year rate with at most 41 months of follow-up -> ``impossible``.

    References: Kaplan & Meier (1958).
    """
    fu = study_followup(ctx.ledger)
    out = []
    for _, r in distinct_rates(ctx).iterrows():
        res = landmark_within_followup(r.get("landmark"), fu, landmark_unit=_time_unit(r, ctx))
        out.append(_finding(ctx, r, res, item=_rate_item(r), locators=list(r["locators"])))
    return out


# --------------------------------------------------------------------------- wrapper


def check_medians(ledger: Ledger, rounding="auto") -> list[Finding]:
    """The registered survival checks on a whole ledger (medians and landmark rates)."""
    from .registry import checks
    ctx = Context(ledger, Settings(rounding=rounding if isinstance(rounding, str) else "auto"))
    out = []
    for check in checks("survival"):
        if check.applicable(ctx) is None:
            out.extend(check.run(ctx))
    return out
