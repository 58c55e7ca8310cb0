"""Checks on printed survival medians (helpers.checks.survival): pass on honest Kaplan-Meier output,
flag impossible medians and CIs."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from conftest import TINY_ROOT
from helpers.checks import survival as sc
from helpers.ledger import followup
from helpers.ledger.load import load_ledger


def _followup(min_fu: float, max_fu: float) -> followup.FollowUp:
    return followup.FollowUp("2020-01", "2021-12", "2022-06", "months", min_fu, max_fu)


@pytest.fixture(scope="module")
def honest_medians() -> pd.DataFrame:
    """Kaplan-Meier medians of simulated exponential data with uniform accrual, printed at 1 decimal."""
    rng = np.random.default_rng(11)
    rows = []
    for n, median, acc, extra in [(300, 8.0, 24, 6), (150, 12.0, 30, 12), (500, 5.0, 18, 3)]:
        t = rng.exponential(median / np.log(2), n)
        fu = rng.uniform(extra, extra + acc, n)
        kmf = KaplanMeierFitter().fit(np.minimum(t, fu), t <= fu)
        ci = median_survival_times(kmf.confidence_interval_).to_numpy()[0]
        rows.append({"center": f"{kmf.median_survival_time_:.1f}", "ci_low": f"{ci[0]:.1f}",
                     "ci_high": f"{ci[1]:.1f}", "n": n, "fu": _followup(extra, extra + acc)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- must pass


def test_honest_medians_pass(honest_medians):
    assert (sc.median_in_ci_map(honest_medians)["verdict"] == "consistent").all()
    for _, r in honest_medians.iterrows():
        assert sc.median_followup(r["center"], r["n"], r["fu"], ci_high=r["ci_high"]).verdict == "consistent"
        res = sc.median_ci_events(r["center"], r["ci_low"], r["ci_high"], r["n"], followup=r["fu"])
        assert res.verdict == "consistent"
        # a Kaplan-Meier CI is wider than the exponential one: it implies fewer events than occur
        assert res.values["events_implied_low"] <= r["n"]


def test_event_floor_before_the_median_holds_in_simulation():
    """At least N (q - 1/2) events precede a Kaplan-Meier median under administrative censoring."""
    rng = np.random.default_rng(5)
    for _ in range(20):
        n = int(rng.integers(50, 400))
        t = rng.exponential(rng.uniform(2, 20), n)
        fu = rng.uniform(0, rng.uniform(5, 40), n)
        time, event = np.minimum(t, fu), t <= fu
        m = KaplanMeierFitter().fit(time, event).median_survival_time_
        if not np.isfinite(m):
            continue
        q = np.mean(fu >= m)
        assert event[time <= m].sum() >= n * (q - 0.5) - 1e-9


# --------------------------------------------------------------------------- must flag


def test_median_outside_its_ci_is_impossible():
    assert sc.median_in_ci("9.5", "6.3", "9.2").verdict == "impossible"
    assert sc.median_in_ci("9.2", "6.3", "9.2").verdict == "consistent"


def test_median_beyond_follow_up_is_impossible():
    fu = _followup(2.0, 14.0)
    res = sc.median_followup("15.0", 100, fu)
    assert res.verdict == "impossible" and "beyond the longest" in res.explanation
    res = sc.median_followup("10.0", 100, fu, ci_high="16.0")
    assert res.verdict == "impossible" and "upper CI limit" in res.explanation
    ok = sc.median_followup("8.0", 100, fu)
    assert ok.verdict == "consistent"
    q = (14.0 - 7.95) / 12.0          # 7.95: the smallest value printing as 8.0
    assert ok.values["q"] == pytest.approx(q)
    assert ok.values["events_floor"] == pytest.approx(100 * (q - 0.5))


def test_ci_narrower_than_the_exponential_allows_is_not_testable_not_flagged():
    # evidence only: no model-free bound on a Kaplan-Meier CI width (module docstring, rule 3)
    res = sc.median_ci_events("10.0", "9.9", "10.1", 100)
    assert res.verdict == "not testable" and res.values["events_implied_low"] > 100
    res = sc.median_ci_events("10.0", "8.0", "12.4", 100)
    assert res.verdict == "consistent" and res.values["events_implied_high"] < 100


def test_dates_and_bad_dates():
    assert followup.date_edge("2022-10", "last") == date(2022, 10, 31)
    assert followup.date_edge("2020-06", "first") == date(2020, 6, 1)
    assert followup.span(date(2020, 1, 1), date(2021, 1, 1), "years") == pytest.approx(366 / 365.25)
    with pytest.raises(ValueError, match="not a YYYY, YYYY-MM or YYYY-MM-DD date"):
        followup.date_edge("October 2022")


# --------------------------------------------------------------------------- ledgers


def test_tiny_ledger():
    led = load_ledger("tiny", root=TINY_ROOT)
    fu = followup.study_followup(led)
    start, end = followup.date_edge("2019-01", "first"), followup.date_edge("2020-12", "first")
    assert fu.max_fu - fu.min_fu == pytest.approx(followup.span(start, end))
    findings = sc.check_medians(led)
    assert {f.check for f in findings} == {"median_in_ci", "median_followup", "median_ci_events"}
    for f in findings:
        if f.check == "median_ci_events":
            # flagged exactly when even the widest printed CI implies more events than patients
            row = sc.distinct_medians(led).iloc[0]
            res = sc.median_ci_events(row["center"], row["ci_low"], row["ci_high"], int(row["n"]))
            assert (f.verdict == "not testable") == (res.values["events_implied_low"] > int(row["n"]))
        else:
            assert f.verdict == "consistent", f.explanation


def test_real_ledger_checks_each_median_once():
    # (the cut-off against the required assessments: tests/test_design_checks.py)
    led = load_ledger("cao2024")
    findings = sc.check_medians(led)
    med = led.survival[led.survival["statistic"] == "median"]
    follow = [f for f in findings if f.check == "median_followup"]
    assert len(follow) == med.groupby(["quantity", "center"]).ngroups
    # every appearance of a median is cited by its follow-up finding
    assert set(med["locator"]) == {loc for f in follow for loc in f.locators}


def test_map_versions_return_a_verdict_per_row():
    df = pd.DataFrame({"center": ["8.0", "30.0"], "ci_low": ["6.0", "20.0"], "ci_high": ["10.0", "40.0"],
                       "n": [200, 200]})
    fu = _followup(1.0, 25.0)
    follow = sc.median_followup_map(df, fu)
    assert list(follow["verdict"]) == ["consistent", "impossible"]
    events = sc.median_ci_events_map(df, fu)
    assert list(events["verdict"]) == ["consistent", "consistent"]
    assert (events["events_implied_low"] <= events["events_implied_high"]).all()
