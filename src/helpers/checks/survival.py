"""Checks on printed survival medians (Kaplan-Meier) and their confidence intervals.

What a printed median m with CI (L, U) from N patients requires:

1. :func:`median_in_ci`      L <= m <= U (within rounding).
2. :func:`median_followup`   follow-up long enough to observe it. With uniform accrual over a
   window of A time units ending c time units before the data cut-off, a patient's potential
   follow-up F is uniform on [c, c + A]. The Kaplan-Meier curve is only defined up to the last
   observed time, so the median and a finite upper CI limit need m <= c + A and U <= c + A
   (``impossible`` otherwise). The share of patients who could be followed beyond m is
   q(m) = P(F >= m) = clip((c + A - m) / A, 0, 1).
   "More than half the patients have an event before the median" holds only without censoring.
   With censoring, Efron's (1967) redistribute-to-the-right view of the Kaplan-Meier estimator
   gives every patient still at risk at t a mass of at least 1/N, so S(m) <= 1/2 needs at most
   N/2 patients still at risk at m. Under administrative censoring the q(m) N patients who could
   be followed beyond m are either still at risk at m or have had an event, so at least
   N (q(m) - 1/2) events occur before the median. In expectation (F(m) = 1/2, censoring
   survivor G(t) >= q(m) on [0, m]) the number of events before the median lies between
   N q(m) / 2 and N / 2. When q(m) < 1/2 the median is an extrapolation from a minority that
   could be followed that long.
3. :func:`median_ci_events`  how many events the CI width implies. Under an exponential model
   the MLE of the median is ln 2 / lambda-hat with SE(log median) = 1 / sqrt(d) (d events); the
   printed CI gives SE = (ln U - ln L) / (2 z), hence d = 1 / SE^2 (about 2.08 / SE^2 for a
   Kaplan-Meier CI of exponential data without censoring, whose SE is about 1.44 / sqrt(d)).
   This is evidence, not proof: a Kaplan-Meier CI has no model-free lower width (events that
   cluster around the median make it narrow), so a CI implying more events than patients is
   ``not testable`` rather than flagged; CIs too wide or too narrow for data like the paper's are
   judged by the Monte Carlo of notebook 03.

Whether the last patients enrolled could have had the tumour assessments the inclusion rule
requires before the cut-off is :func:`helpers.checks.design.assessment_window`.

Kaplan-Meier (1958) JASA 53:457; Brookmeyer & Crowley (1982) Biometrics 38:29 for CIs of the
median; Efron (1967) Proc 5th Berkeley Symp 4:831 for the redistribute-to-the-right algorithm.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..core.findings import Finding
from .hazard import HRResult, printed_box, rule_of
from ..ledger.followup import FollowUp, study_followup
from ..ledger.load import Ledger
from ..core.printed import parse_printed, z_for_level

AREA = "survival"


# A check's outcome on one printed median: the same record as a hazard-ratio check's.
SurvResult = HRResult


def _text(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    return str(x).strip()


# --------------------------------------------------------------------------- 1. median in CI


def not_reached(text) -> bool:
    """True for a median or CI limit printed as not reached (``NR``, ``not reached``)."""
    return _text(text).lower() in ("nr", "not reached", "n.r.", "ne", "not estimable")


def median_in_ci(center: str, ci_low: str, ci_high: str, *, rounding: str = "auto") -> SurvResult:
    """Does the printed median lie inside its printed CI (within rounding)?"""
    if not (_text(center) and _text(ci_low) and _text(ci_high)):
        return SurvResult("not testable", "", "no CI printed here.")
    if not_reached(center) or not_reached(ci_low):
        return SurvResult("not testable", "", "the median (or its lower limit) was not reached.")
    if not_reached(ci_high):
        m1, m2 = printed_box(center, rounding)
        l1, _ = printed_box(ci_low, rounding)
        ok = l1 <= m2
        return SurvResult("consistent" if ok else "impossible", f"{ci_low} <= median",
                          f"the median {center} lies {'inside' if ok else 'below'} its CI "
                          f"({ci_low}-not reached).")
    m1, m2 = printed_box(center, rounding)
    l1, _ = printed_box(ci_low, rounding)
    _, u2 = printed_box(ci_high, rounding)
    if l1 <= m2 and m1 <= u2:
        return SurvResult("consistent", f"{ci_low} <= median <= {ci_high}",
                          f"the median {center} lies inside its CI ({ci_low}-{ci_high}).")
    return SurvResult("impossible", f"{ci_low} <= median <= {ci_high}",
                      f"the median {center} lies outside its own CI ({ci_low}-{ci_high}).")


# --------------------------------------------------------------------------- 2. follow-up


def median_followup(center: str, n: int, followup: FollowUp | None, *, ci_high: str = "",
                    rounding: str = "auto") -> SurvResult:
    """Could the median (and the upper CI limit) be observed with this accrual and cut-off?

    ``impossible`` when the median or a printed upper limit exceeds the longest potential
    follow-up; otherwise ``consistent``, with q(m) and the events the median requires as evidence
    (module docstring, rule 2).
    """
    if followup is None:
        return SurvResult("not testable", "", "the ledger states no accrual window or cut-off.")
    if not_reached(center):
        return SurvResult("not testable", "", "the median was not reached: the follow-up ends "
                          "before half the patients had an event, which any window allows.")
    m1, _ = printed_box(center, rounding, low=0.0)
    q = followup.share_beyond(m1)
    values = {"max_fu": followup.max_fu, "min_fu": followup.min_fu, "q": q,
              "events_floor": max(0.0, n * (q - 0.5)), "events_expected_low": n * q / 2,
              "events_expected_high": n / 2}
    expected = (f"median <= longest follow-up {followup.max_fu:.1f} {followup.unit}; "
                f">= {values['events_floor']:.0f} events before it (q = {q:.2f})")
    if m1 > followup.max_fu:
        return SurvResult("impossible", expected,
                          f"the median {center} {followup.unit} is beyond the longest possible "
                          f"follow-up ({followup.max_fu:.1f} {followup.unit}, accrual from "
                          f"{followup.accrual_start} to cut-off {followup.cutoff}).", values)
    if _text(ci_high) and not not_reached(ci_high):
        u1, _ = printed_box(ci_high, rounding, low=0.0)
        if u1 > followup.max_fu:
            return SurvResult("impossible", expected,
                              f"the upper CI limit {ci_high} {followup.unit} is beyond the longest "
                              f"possible follow-up ({followup.max_fu:.1f} {followup.unit}); a "
                              f"Kaplan-Meier CI cannot end after the last observation.", values)
    half = ("more than half" if q > 0.5 else "fewer than half")
    return SurvResult(
        "consistent", expected,
        f"{half} of the patients ({q:.0%}) could be followed beyond {center} {followup.unit} "
        f"(potential follow-up {followup.min_fu:.1f}-{followup.max_fu:.1f} {followup.unit}); the "
        f"median needs at least {values['events_floor']:.0f} events before it, "
        f"{values['events_expected_low']:.0f}-{values['events_expected_high']:.0f} expected.",
        values)


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
                     rounding: str = "auto") -> SurvResult:
    """How many events does the CI width imply, and is that feasible with N patients?

    Exponential model: SE(log median) = 1/sqrt(d), so d = 1/SE^2 with
    SE = (ln U - ln L) / (2 z) over the rounding boxes. ``consistent`` when the implied events fit
    in the cohort; otherwise ``not testable``: the bound is a model's, and Kaplan-Meier CIs of real
    data can be narrower (the R reference analysis of the NCCTG lung data is: its printed CI implies
    more events than patients). The number is evidence for the Monte Carlo of notebook 03, which
    judges widths against data simulated like the paper's.
    """
    if not (_text(ci_low) and _text(ci_high)):
        return SurvResult("not testable", "", "no CI printed here.")
    if any(not_reached(x) for x in (center, ci_low, ci_high)):
        return SurvResult("not testable", "", "a limit or the median was not reached.")
    z = z_for_level(ci_level)
    lo_v, hi_v, med_v = (parse_printed(x).value for x in (ci_low, ci_high, center))
    if lo_v <= 0 or hi_v <= lo_v or med_v <= 0:
        return SurvResult("not testable", "", "a CI limit of 0 (or a CI of no width) gives no "
                          "standard error on the log scale.")
    l1, l2 = printed_box(ci_low, rounding, low=1e-300)
    u1, u2 = printed_box(ci_high, rounding, low=1e-300)
    se_max = (math.log(u2) - math.log(l1)) / (2 * z)
    se_min = max(0.0, math.log(u1) - math.log(l2)) / (2 * z)
    d_min = math.inf if se_max == 0 else 1 / se_max ** 2
    d_max = math.inf if se_min == 0 else 1 / se_min ** 2
    med = parse_printed(center).value
    d_exp = expected_events(med, n, followup)
    values = {"se_min": se_min, "se_max": se_max, "events_implied_low": d_min,
              "events_implied_high": d_max, "events_expected": d_exp,
              "events_implied_km": 2.08 / ((math.log(parse_printed(ci_high).value)
                                            - math.log(parse_printed(ci_low).value)) / (2 * z)) ** 2}
    expected = f"{d_min:.0f}-{d_max:.0f} events implied (exponential); <= {n} possible"
    if d_min > n:
        return SurvResult("not testable", expected,
                          f"even the widest CI rounding to ({ci_low}-{ci_high}) implies at least "
                          f"{d_min:.0f} events under an exponential model, more than the {n} "
                          f"patients; but a Kaplan-Meier CI is that narrow whenever the events "
                          f"cluster around the median (a rising hazard; real data do this), so the "
                          f"width alone cannot decide.", values)
    return SurvResult(
        "consistent", expected,
        f"the CI implies about {d_min:.0f}-{d_max:.0f} events under an exponential model "
        f"(a Kaplan-Meier CI that wide: about {values['events_implied_km']:.0f}); with a median of "
        f"{center} and the stated follow-up about {d_exp:.0f} events are expected among {n} "
        f"patients.", values)


# --------------------------------------------------------------------------- map versions


def _map(df: pd.DataFrame, fn) -> pd.DataFrame:
    out = df.copy().reset_index(drop=True)
    res = [fn(r) for _, r in out.iterrows()]
    out["verdict"] = [r.verdict for r in res]
    out["expected"] = [r.expected for r in res]
    out["explanation"] = [r.explanation for r in res]
    for k in sorted({k for r in res for k in r.values}):
        out[k] = [r.values.get(k, np.nan) for r in res]
    return out


def _g(r, c):
    return _text(r[c]) if c in r.index else ""


def median_in_ci_map(df: pd.DataFrame, rounding: str = "auto") -> pd.DataFrame:
    """:func:`median_in_ci` on each row (columns ``center``, ``ci_low``, ``ci_high``)."""
    return _map(df, lambda r: median_in_ci(_g(r, "center"), _g(r, "ci_low"), _g(r, "ci_high"),
                                           rounding=rounding))


def median_followup_map(df: pd.DataFrame, followup: FollowUp | None,
                        rounding: str = "auto") -> pd.DataFrame:
    """:func:`median_followup` on each row (columns ``center``, ``n``, optional ``ci_high``)."""
    return _map(df, lambda r: median_followup(_g(r, "center"), int(_g(r, "n")), followup,
                                              ci_high=_g(r, "ci_high"), rounding=rounding))


def median_ci_events_map(df: pd.DataFrame, followup: FollowUp | None = None,
                         rounding: str = "auto") -> pd.DataFrame:
    """:func:`median_ci_events` on each row (columns ``center``, ``ci_low``, ``ci_high``, ``n``,
    optional ``ci_level``)."""
    return _map(df, lambda r: median_ci_events(_g(r, "center"), _g(r, "ci_low"), _g(r, "ci_high"),
                                               int(_g(r, "n")), followup=followup,
                                               ci_level=_g(r, "ci_level") or "95",
                                               rounding=rounding))


# --------------------------------------------------------------------------- the ledger


def medians(ledger: Ledger) -> pd.DataFrame:
    """The printed medians (statistic ``median``) of a ledger."""
    s = ledger.survival
    if s.empty:
        return s.copy()
    return s[s["statistic"] == "median"].reset_index(drop=True)


def _finding(ledger, row, check, res, category="statistical") -> Finding:
    return Finding(study=ledger.study, area=AREA, check=check,
                   item=f"median {row['endpoint']} ({row['population']})", verdict=res.verdict,
                   category=category, locators=tuple(row["locators"]), printed=row["printed"],
                   expected=res.expected, explanation=res.explanation, quantity=row["quantity"],
                   assumptions=res.assumptions)


def distinct_medians(ledger: Ledger) -> pd.DataFrame:
    """One line per distinct printed median (quantity, value, CI, N), with all its locators:
    appearances that print the same numbers are checked once."""
    m = medians(ledger)
    if m.empty:
        return m.assign(locators=[])
    key = ["quantity", "endpoint", "population", "center", "ci_low", "ci_high", "ci_level", "n"]
    rows = []
    for _, g in m.groupby(key, sort=False):
        first = g.iloc[0].copy()
        first["locators"] = list(dict.fromkeys(g["locator"]))
        rows.append(first)
    return pd.DataFrame(rows).reset_index(drop=True)


def printed_median_table(ledger: Ledger) -> pd.DataFrame:
    """One printed median per endpoint for the whole cohort (the appearance with a CI if any), as
    numbers: ``endpoint``, ``median``, ``ci_low``, ``ci_high`` (NaN when no CI is printed)."""
    m = medians(ledger)
    if m.empty:
        return pd.DataFrame(columns=["endpoint", "median", "ci_low", "ci_high"])
    m = m[m["population"] == "all"].assign(_ci=lambda d: (d["ci_low"] == "").astype(int))
    m = m.sort_values("_ci", kind="mergesort").drop_duplicates("endpoint")
    num = lambda t: parse_printed(t).value if _text(t) and not not_reached(t) else np.nan  # noqa: E731
    return pd.DataFrame({"endpoint": m["endpoint"], "median": [num(x) for x in m["center"]],
                         "ci_low": [num(x) for x in m["ci_low"]],
                         "ci_high": [num(x) for x in m["ci_high"]]}).reset_index(drop=True)


def check_medians(ledger: Ledger, rounding: str = "auto") -> list[Finding]:
    """Checks 1-3 on every distinct printed median of the ledger (without a CI: check 2 only)."""
    fu = study_followup(ledger)
    out = []
    dm = distinct_medians(ledger)
    for _, g in dm.groupby(["quantity", "center", "n"], sort=False):
        # Follow-up: once per printed median value, with its CI where one is printed.
        g = g.assign(_ci=(g["ci_high"] != "")).sort_values("_ci", ascending=False, kind="mergesort")
        row = g.iloc[0].copy()
        row["locators"] = list(dict.fromkeys(loc for locs in g["locators"] for loc in locs))
        out.append(_finding(ledger, row, "median_followup",
                            median_followup(row["center"], int(row["n"]), fu,
                                            ci_high=row["ci_high"], rounding=rule_of(rounding, row)),
                            category="design"))
    for _, row in dm.iterrows():
        n = int(row["n"])
        has_ci = bool(_text(row["ci_low"]) and _text(row["ci_high"]))
        if has_ci:
            out.append(_finding(ledger, row, "median_in_ci",
                                median_in_ci(row["center"], row["ci_low"], row["ci_high"],
                                             rounding=rule_of(rounding, row))))
            out.append(_finding(ledger, row, "median_ci_events",
                                median_ci_events(row["center"], row["ci_low"], row["ci_high"], n,
                                                 followup=fu, ci_level=row["ci_level"] or "95",
                                                 rounding=rule_of(rounding, row))))
    return out


# --------------------------------------------------------------------------- landmarks

from ..core.units import DAYS_PER_UNIT  # noqa: E402


def landmark_vs_median(median: str, median_unit: str, rate: str, landmark: str,
                       landmark_unit: str, *, rounding: str = "half_up") -> SurvResult:
    """Does a landmark survival rate S(t) agree with the median m of the same curve?

    S(t) > 50% means the curve is above one half at t, so m > t; S(t) < 50% means m < t (the
    Kaplan-Meier median is the first time S drops to 0.5 or below). A rate whose rounding box
    contains 50 is not testable. A median not reached means S(t) >= 50% at every observed t.
    """
    if not all(_text(x) for x in (median, rate, landmark)):
        return SurvResult("not testable", "", "the median, the rate or its landmark is not printed.")
    if median_unit not in DAYS_PER_UNIT or landmark_unit not in DAYS_PER_UNIT:
        return SurvResult("not testable", "", "time units that cannot be compared.")
    t = parse_printed(landmark).value * DAYS_PER_UNIT[landmark_unit] / DAYS_PER_UNIT[median_unit]
    r1, r2 = printed_box(rate, rounding, low=0.0, high=100.0)
    expected = f"S({landmark} {landmark_unit}) {'>' if r1 > 50 else '<'} 50% <=> median vs {t:.3g} {median_unit}"
    if r1 <= 50 <= r2:
        return SurvResult("not testable", "", f"the rate {rate}% may be 50%: the median may be "
                          f"{landmark} {landmark_unit}.")
    if not_reached(median):
        if r2 < 50:
            return SurvResult("impossible", expected, f"S({landmark} {landmark_unit}) = {rate}% is "
                              "below one half, so the median was reached, but it is printed as not "
                              "reached.")
        return SurvResult("consistent", expected, "a median not reached and a rate above one half.")
    m1, m2 = printed_box(median, rounding, low=0.0)
    if r1 > 50 and m2 <= t:
        return SurvResult("impossible", expected,
                          f"S({landmark} {landmark_unit}) = {rate}% is above one half, so the "
                          f"median must exceed {landmark} {landmark_unit}, but it is printed as "
                          f"{median} {median_unit}.")
    if r2 < 50 and m1 > t:
        return SurvResult("impossible", expected,
                          f"S({landmark} {landmark_unit}) = {rate}% is below one half, so the "
                          f"median must be at most {landmark} {landmark_unit}, but it is printed as "
                          f"{median} {median_unit}.")
    return SurvResult("consistent", expected,
                      f"S({landmark} {landmark_unit}) = {rate}% and the median {median} "
                      f"{median_unit} are on the same side of one half.")


def _landmarks(ledger) -> pd.DataFrame:
    s = ledger.survival
    if s.empty or "landmark" not in s.columns:
        return s.iloc[0:0]
    return s[(s["statistic"] == "rate") & (s["landmark"].astype(str).str.strip() != "")]


def check_landmarks(ledger, rounding="half_up") -> list[Finding]:
    """Every landmark rate against every median of the same endpoint and population."""
    out = []
    meds = medians(ledger)
    for _, r in _landmarks(ledger).iterrows():
        same = meds[(meds["endpoint"] == r["endpoint"]) & (meds["population"] == r["population"])]
        for _, m in same.drop_duplicates(["center", "unit"]).iterrows():
            res = landmark_vs_median(m["center"], m["unit"], r["center"], r["landmark"],
                                     _text(r.get("landmark_unit")) or m["unit"],
                                     rounding=rule_of(rounding, r))
            row = r.copy()
            row["locators"] = [r["locator"], m["locator"]]
            row["printed"] = f"{r['printed']} | median {m['printed']}"
            out.append(_finding(ledger, row, "landmark_vs_median", res))
    return out


def check_landmarks_followup(ledger, rounding="half_up") -> list[Finding]:
    """A landmark rate must lie within the longest potential follow-up."""
    fu = study_followup(ledger)
    out = []
    for _, r in _landmarks(ledger).iterrows():
        unit = _text(r.get("landmark_unit")) or (fu.unit if fu else "")
        row = r.copy()
        row["locators"] = [r["locator"]]
        if fu is None or unit not in DAYS_PER_UNIT:
            res = SurvResult("not testable", "", "no accrual window and cut-off, or no time unit.")
        else:
            t = parse_printed(r["landmark"]).value * DAYS_PER_UNIT[unit] / DAYS_PER_UNIT[fu.unit]
            expected = f"landmark <= longest follow-up {fu.max_fu:.1f} {fu.unit}"
            if t > fu.max_fu:
                res = SurvResult("impossible", expected,
                                 f"the landmark {r['landmark']} {unit} lies beyond the longest "
                                 f"possible follow-up ({fu.max_fu:.1f} {fu.unit}).")
            else:
                res = SurvResult("consistent", expected,
                                 f"the landmark {r['landmark']} {unit} lies within the follow-up.")
        out.append(_finding(ledger, row, "landmark_within_followup", res, category="design"))
    return out


# --------------------------------------------------------------------------- the registry

from .hazard import honest  # noqa: E402
from .registry import Example, register  # noqa: E402

_KM = ("Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. "
       "J Am Stat Assoc 1958;53:457-481")


def _median(center, lo="", hi="", quantity="survival.os.median", **kw):
    return {"quantity": quantity, "endpoint": "OS", "statistic": "median", "center": center,
            "ci_low": lo, "ci_high": hi, "ci_level": "95" if lo else "", "unit": "months",
            "n": "100", "population": "all", "source": "results", "locator": "Results ¶1", **kw}


_DATES = [{"quantity": "design.accrual", "kind": "dates", "parameter": "accrual", "value": "2018-01",
           "value_high": "2019-12", "comparator": "range", "source": "methods", "locator": "Methods ¶1"},
          {"quantity": "design.data_cutoff", "kind": "dates", "parameter": "data_cutoff",
           "value": "2021-12", "comparator": "=", "source": "methods", "locator": "Methods ¶2"}]


@register(
    "median_in_ci", family="survival", title="Each printed median lies inside its own CI",
    reads=["survival"], assumptions=["arithmetic", "rounding_rule_inferred"], items=["4.9"],
    reference=_KM, category="statistical", formula="L <= median <= U",
    examples=[Example("pass", tables={"survival": [_median("12.0", "10.1", "14.2")]}),
              Example("flag", tables={"survival": [_median("16.0", "10.1", "14.2")]})])
def median_in_ci_check(ctx) -> list[Finding]:
    """:func:`median_in_ci` on every distinct printed median with a CI."""
    return [f for f in honest(ctx, check_medians) if f.check == "median_in_ci"]


@register(
    "median_followup", family="survival",
    title="Each median (and its upper limit) could be observed within the accrual and cut-off",
    reads=["survival"], assumptions=["arithmetic", "rounding_rule_inferred"], items=["4.1", "4.9"],
    reference=_KM + "; a Kaplan-Meier curve ends at the last observation", category="design",
    formula="median <= longest potential follow-up (cut-off - accrual start)",
    examples=[Example("pass", meta={"time_unit": "months"}, tables={"survival": [_median("12.0")], "design": _DATES}),
              Example("flag", meta={"time_unit": "months"}, tables={"survival": [_median("60.0")], "design": _DATES})])
def median_followup_check(ctx) -> list[Finding]:
    """:func:`median_followup` once per printed median value. (:func:`median_ci_events` is
    evidence for notebook 03's Monte Carlo, not a check: a width alone cannot decide.)"""
    return [f for f in honest(ctx, check_medians) if f.check == "median_followup"]


@register(
    "landmark_vs_median", family="survival",
    title="Landmark survival rates agree with the median of the same curve",
    reads=["survival"], assumptions=["arithmetic", "rounding_rule_inferred"], items=["4.9", "4.10"],
    reference=_KM + "; S(t) > 1/2 at t means the median exceeds t", category="statistical",
    formula="S(t) > 50% => median > t; S(t) < 50% => median < t",
    examples=[Example("pass", tables={"survival": [_median("12.0"), _median(
                  "62", quantity="survival.os.rate_1y", statistic="rate", unit="percent",
                  landmark="1", landmark_unit="years")]}),
              Example("flag", tables={"survival": [_median("8.0"), _median(
                  "62", quantity="survival.os.rate_1y", statistic="rate", unit="percent",
                  landmark="1", landmark_unit="years")]})])
def landmark_vs_median_check(ctx) -> list[Finding]:
    """:func:`landmark_vs_median` on every landmark rate and median of one endpoint."""
    return honest(ctx, check_landmarks)


@register(
    "landmark_within_followup", family="survival",
    title="Each landmark survival rate lies within the follow-up",
    reads=["survival"], assumptions=["arithmetic"], items=["4.1"], reference=_KM,
    category="design", formula="landmark <= cut-off - accrual start",
    examples=[Example("pass", meta={"time_unit": "months"}, tables={"survival": [_median(
                  "62", quantity="survival.os.rate_1y", statistic="rate", unit="percent",
                  landmark="1", landmark_unit="years")], "design": _DATES}),
              Example("flag", meta={"time_unit": "months"}, tables={"survival": [_median(
                  "40", quantity="survival.os.rate_5y", statistic="rate", unit="percent",
                  landmark="5", landmark_unit="years")], "design": _DATES})])
def landmark_within_followup_check(ctx) -> list[Finding]:
    """:func:`check_landmarks_followup`."""
    return check_landmarks_followup(ctx.ledger, ctx.policy)
