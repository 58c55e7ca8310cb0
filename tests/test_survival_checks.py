"""Checks on printed survival medians and landmark rates (helpers.checks.survival): pass on honest
Kaplan-Meier output, flag impossible medians, CIs and landmarks, handle medians not reached. All
numbers are simulated here or made up."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from conftest import TINY_ROOT
from helpers.checks import registry
from helpers.checks import survival as sc
from helpers.checks.registry import Context
from helpers.core.findings import VERDICTS
from helpers.ledger import followup
from helpers.ledger.load import ledger_from_tables, load_ledger

DATES = {"accrual": ["2019-01", "2020-12"], "data_cutoff": "2022-06", "time_unit": "months"}


def _followup(min_fu: float, max_fu: float) -> followup.FollowUp:
    return followup.FollowUp("2020-01", "2021-12", "2022-06", "months", min_fu, max_fu)


def _median(**kw) -> dict:
    row = {"endpoint": "OS", "statistic": "median", "unit": "months", "n": "120",
           "population": "all", "ci_level": "95", "quantity": "survival.os.median",
           "locator": "Results ¶2"}
    row.update(kw)
    return row


def _rate(**kw) -> dict:
    row = {"endpoint": "OS", "statistic": "rate", "unit": "percent", "n": "120",
           "population": "all", "landmark": "12", "landmark_unit": "months",
           "quantity": "survival.os.rate_12m", "locator": "Results ¶3"}
    row.update(kw)
    return row


def _ctx(rows, meta=DATES) -> Context:
    return Context(ledger_from_tables("toy", meta, {"survival": rows}))


def _run(name, ctx):
    run = registry.run_check(name, ctx, isolate=False)
    assert run.status == "ran", run.reason
    return run.findings


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
        s12 = float(kmf.survival_function_at_times(12.0).iloc[0])
        rows.append({"center": f"{kmf.median_survival_time_:.1f}", "ci_low": f"{ci[0]:.1f}",
                     "ci_high": f"{ci[1]:.1f}", "n": n, "fu": _followup(extra, extra + acc),
                     "rate12": f"{100 * s12:.1f}"})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- must pass


def test_honest_medians_pass(honest_medians):
    assert (sc.median_in_ci_map(honest_medians)["verdict"] == "consistent").all()
    for _, r in honest_medians.iterrows():
        assert sc.median_followup(r["center"], r["n"], r["fu"], ci_high=r["ci_high"]).verdict == "consistent"
        res = sc.median_ci_events(r["center"], r["ci_low"], r["ci_high"], r["n"], followup=r["fu"])
        assert res.verdict == "consistent"
        assert res.values["events_implied_low"] <= r["n"]
        # the landmark rate of the same curve agrees with its median
        lm = sc.landmark_vs_median(r["rate12"], "12", r["center"])
        assert lm.verdict in ("consistent", "not testable"), lm.explanation
        assert sc.landmark_within_followup("12", r["fu"]).verdict == "consistent"


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


def test_landmark_rule_holds_in_simulation():
    """S(t) > 1/2 at a landmark t means the Kaplan-Meier median lies beyond t, and conversely."""
    rng = np.random.default_rng(9)
    for _ in range(30):
        n = int(rng.integers(30, 300))
        t = rng.weibull(rng.uniform(0.6, 2.5), n) * rng.uniform(3, 30)
        c = rng.uniform(0, rng.uniform(10, 60), n)
        kmf = KaplanMeierFitter().fit(np.minimum(t, c), t <= c)
        m = kmf.median_survival_time_
        for lm in rng.uniform(0.5, 40, 5):
            s = float(kmf.survival_function_at_times(lm).iloc[0])
            if s > 0.5:
                assert m > lm
            elif s < 0.5:
                assert m <= lm


# --------------------------------------------------------------------------- must flag


def test_median_outside_its_ci_is_impossible():
    assert sc.median_in_ci("9.5", "6.3", "9.2").verdict == "impossible"
    assert sc.median_in_ci("9.2", "6.3", "9.2").verdict == "consistent"


def test_median_beyond_follow_up_is_impossible():
    fu = _followup(2.0, 14.0)
    res = sc.median_followup("15.0", 100, fu)
    assert res.verdict == "impossible" and "beyond the longest" in res.explanation
    assert res.assumptions == ()
    res = sc.median_followup("10.0", 100, fu, ci_high="16.0")
    assert res.verdict == "impossible" and "upper CI limit" in res.explanation
    ok = sc.median_followup("8.0", 100, fu)
    assert ok.verdict == "consistent"
    q = (14.0 - 7.95) / 12.0          # 7.95: the smallest value printing as 8.0
    assert ok.values["q"] == pytest.approx(q)
    assert ok.values["events_floor"] == pytest.approx(100 * (q - 0.5))


def test_ci_width_flags_only_far_beyond_the_cohort():
    # evidence only: no model-free bound on a Kaplan-Meier CI width (module docstring, rule 3)
    narrow = sc.median_ci_events("10.0", "9.9", "10.1", 100)
    assert narrow.verdict == "implausible" and narrow.assumptions == ("group_sizes_assumed",)
    assert narrow.values["events_implied_low"] > 2 * 100
    between = sc.median_ci_events("10.0", "8.6", "11.6", 100)      # 1 < implied / N < 2
    assert between.verdict == "not testable"
    assert 100 < between.values["events_implied_low"] < 200
    res = sc.median_ci_events("10.0", "8.0", "12.4", 100)
    assert res.verdict == "consistent" and res.values["events_implied_high"] < 100


def test_landmark_rate_against_the_median():
    # S(12 months) = 62.5% needs a median beyond 12 months
    assert sc.landmark_vs_median("62.5", "12", "18.0").verdict == "consistent"
    bad = sc.landmark_vs_median("62.5", "12", "9.0")
    assert bad.verdict == "inconsistent" and bad.assumptions == ("same_quantity",)
    # S(2 years) = 30% needs a median at or before 24 months; units are converted
    assert sc.landmark_vs_median("30", "2", "20.0", landmark_unit="years").verdict == "consistent"
    assert sc.landmark_vs_median("30", "2", "30.0", landmark_unit="years").verdict == "inconsistent"
    # printed 50 (or 50.2 rounded to an integer reading) does not say on which side
    assert sc.landmark_vs_median("50", "12", "30.0").verdict == "not testable"
    # the median at the landmark itself: S(t) < 50% allows m = t
    assert sc.landmark_vs_median("45", "12", "12.0").verdict == "consistent"


def test_landmark_beyond_follow_up_is_impossible():
    fu = _followup(18.0, 41.0)
    res = sc.landmark_within_followup("5", fu, landmark_unit="years")
    assert res.verdict == "impossible" and res.assumptions == ()
    assert sc.landmark_within_followup("36", fu).verdict == "consistent"
    assert sc.landmark_within_followup("36", None).verdict == "not testable"


# --------------------------------------------------------------------------- medians not reached


def test_median_not_reached():
    assert sc.median_in_ci("NR", "14.2", "NR").verdict == "consistent"
    assert sc.median_in_ci("20.5", "14.2", "NR").verdict == "consistent"
    finite = sc.median_in_ci("NR", "14.2", "30.0")
    assert finite.verdict == "impossible" and "not reached" in finite.explanation
    fu = _followup(6.0, 30.0)
    assert sc.median_followup("NR", 100, fu, ci_high="NR").verdict == "consistent"
    assert sc.median_followup("NR", 100, None).verdict == "not testable"
    # a finite lower limit beyond the follow-up is not possible either
    assert sc.median_followup("NR", 100, fu, ci_low="35.0", ci_high="NR").verdict == "impossible"
    assert sc.median_ci_events("NR", "14.2", "NR", 100).verdict == "not testable"
    assert sc.landmark_vs_median("70", "12", "NR").verdict == "consistent"
    assert sc.landmark_vs_median("40", "12", "NR").verdict == "inconsistent"


def test_ledger_with_medians_not_reached_runs_every_check():
    rows = [_median(center="NR", ci_low="14.2", ci_high="NR"),
            _median(center="NR", quantity="survival.pfs.median", endpoint="PFS",
                    locator="Abstract"),
            _rate(center="71.0")]
    ctx = _ctx(rows)
    runs = registry.run_family("survival", ctx, isolate=False)
    assert all(r.status in ("ran", "not applicable") for r in runs)
    findings = [f for r in runs for f in r.findings]
    assert findings and not [f for f in findings if f.flagged]
    assert {f.check for f in findings} >= {"median_in_ci", "median_followup", "landmark_vs_median"}


def test_ledger_landmark_findings():
    rows = [_median(center="9.0", ci_low="7.5", ci_high="11.0"), _rate(center="62.5"),
            _rate(center="40.0", landmark="5", landmark_unit="years",
                  quantity="survival.os.rate_5y", locator="Discussion ¶1")]
    ctx = _ctx(rows)
    lm = _run("landmark_vs_median", ctx)
    verdicts = {f.quantity: f.verdict for f in lm}
    assert verdicts["survival.os.rate_12m"] == "inconsistent"     # 62.5% at 12 m, median 9.0
    assert verdicts["survival.os.rate_5y"] == "consistent"
    assert all("Results ¶2" in f.locators for f in lm)               # the median is cited
    fu = {f.quantity: f.verdict for f in _run("landmark_within_followup", ctx)}
    assert fu == {"survival.os.rate_12m": "consistent", "survival.os.rate_5y": "impossible"}
    # a rate with no median of its endpoint is not testable, not an error
    [f] = _run("landmark_vs_median", _ctx([_rate(center="62.5")]))
    assert f.verdict == "not testable"


@pytest.mark.parametrize("rows,meta", [
    ([_median(center="8.0")], {}),                                     # no dates, no CI
    ([_median(center="8.0", ci_low="0", ci_high="12.0")], DATES),      # CI touching 0
    ([_median(center="0", ci_low="0", ci_high="0")], DATES),
    ([_median(center="8.0", ci_low="0.1", ci_high="900.0")], DATES),   # very wide
    ([_rate(center="100")], {}),
    ([_rate(center="0", landmark="0.5", landmark_unit="days")], DATES),
    ([_median(center="8.0", n="1", ci_low="8.0", ci_high="8.0")], DATES),
])
def test_any_valid_survival_ledger_runs(rows, meta):
    ctx = _ctx(rows, meta)
    for check in registry.checks("survival"):
        run = registry.run_check(check, ctx, isolate=False)
        assert run.status in ("ran", "not applicable")
        assert all(f.verdict in VERDICTS for f in run.findings)


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
            row = sc.distinct_medians(led).iloc[0]
            res = sc.median_ci_events(row["center"], row["ci_low"], row["ci_high"], int(row["n"]))
            assert f.verdict == res.verdict
        else:
            assert f.verdict == "consistent", f.explanation


def test_real_ledger_checks_each_median_once():
    led = load_ledger("cao2024")
    findings = sc.check_medians(led)
    med = led.survival[led.survival["statistic"] == "median"]
    follow = [f for f in findings if f.check == "median_followup"]
    assert len(follow) == med.groupby(["quantity", "center"]).ngroups
    assert set(med["locator"]) == {loc for f in follow for loc in f.locators}


def test_clean_reference_ledger_is_not_flagged():
    led = load_ledger("ncctg_lung")
    flagged = [f for f in sc.check_medians(led) if f.flagged]
    assert not flagged, [(f.check, f.item, f.explanation) for f in flagged]


def test_map_versions_return_a_verdict_per_row():
    df = pd.DataFrame({"center": ["8.0", "30.0"], "ci_low": ["6.0", "20.0"], "ci_high": ["10.0", "40.0"],
                       "n": [200, 200]})
    fu = _followup(1.0, 25.0)
    follow = sc.median_followup_map(df, fu)
    assert list(follow["verdict"]) == ["consistent", "impossible"]
    events = sc.median_ci_events_map(df, fu)
    assert list(events["verdict"]) == ["consistent", "consistent"]
    assert (events["events_implied_low"] <= events["events_implied_high"]).all()
    lm = sc.landmark_vs_median_map(pd.DataFrame({"rate": ["70", "70"], "landmark": ["6", "6"],
                                                 "median": ["9.0", "4.0"]}))
    assert list(lm["verdict"]) == ["consistent", "inconsistent"]
