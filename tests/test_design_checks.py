"""Family 7: results against the stated design. Made-up numbers only."""

import shutil
from datetime import date

import pytest

from helpers.checks import design as dc
from helpers.checks import registry
from helpers.checks.registry import Context, Example
from helpers.core.errors import LedgerError
from helpers.ledger.load import load_ledger

from conftest import TINY_ROOT, edit_cell
from test_arithmetic import cao2024


def run(name, tables, meta=None, **settings):
    ctx = Example("pass", tables=tables, meta=meta or {}, settings=settings).context()
    out = registry.run_check(name, ctx, isolate=False)
    assert out.status == "ran", out.reason
    return out.findings


def drow(parameter, value, **kw):
    row = {"kind": kw.pop("kind", "inclusion"), "parameter": parameter, "value": str(value),
           "comparator": "=", "quantity": f"design.{parameter}"}
    row.update({k: str(v) for k, v in kw.items()})
    return row


def median(endpoint, center, unit="months", **kw):
    return {"endpoint": endpoint, "statistic": "median", "center": str(center), "unit": unit,
            "n": "80", "population": "all", "quantity": f"survival.{endpoint.lower()}.median",
            **kw}


@pytest.fixture(scope="module")
def toy():
    return load_ledger("toy_arith", root=TINY_ROOT)


# -- limits --------------------------------------------------------------------------------

def test_within_limits_and_levels():
    assert dc.within_limits("45.3", 18, 75) == "consistent"
    assert dc.within_limits("80", 18, 75, "maximum") == "impossible"
    assert dc.level_within_limits_result("<50", 18, 75).verdict == "consistent"
    assert dc.level_within_limits_result(">=80", 18, 75).verdict == "impossible"
    assert dc.level_within_limits_result("<=18", 18, 75).verdict == "consistent"


def test_within_limits_check():
    limits = drow("age", 20, value_high=70, comparator="range", unit="years")
    row = {"variable": "Age", "statistic": "median_range", "center": "45", "low": "21",
           "high": "70", "n": "40", "population": "all"}
    [f] = run("within_limits", {"design": [limits], "summaries": [row]})
    assert f.verdict == "consistent"               # a maximum on the limit is inside
    [f] = run("within_limits", {"design": [limits], "summaries": [{**row, "high": "70.6"}]})
    assert f.verdict == "impossible" and f.assumptions == ()
    assert "maximum 70.6" in f.explanation
    mean = {"variable": "Age", "statistic": "mean_sd", "center": "66.0", "sd": "6.0", "n": "40",
            "population": "all"}
    [f] = run("within_limits", {"design": [limits], "summaries": [mean]})
    assert f.verdict == "consistent" and "reaches outside the limits" in f.explanation


# -- assessment window -----------------------------------------------------------------------

def test_assessment_window():
    # 4 assessments every 6 weeks: 18 weeks after baseline; accrual to Mar 2021, cut-off Apr 2021
    assert dc.assessment_window(4, 6, "2019-05", "2021-03", "2021-04") == "inconsistent"
    assert dc.assessment_window(2, 8, "2019-01", "2020-06", "2021-06") == "consistent"
    assert dc.date_span("2022-02")[1].day == 28


def test_assessment_window_verdict_and_share_come_from_one_reading():
    """Overclaim fixed: the verdict used the favourable accrual end and the share the
    unfavourable one, and 'about k of N' was stated as if it were arithmetic."""
    res = dc.assessment_window_result(3, 6, "2019-01", "2020-12", "2020-12", n=100)
    rd = dc.AssessmentReading(3, 6, 6, "2019-01", "2020-12", "2020-12")
    # one reading: accrual 2019-01-01 .. 2020-12-01, cut-off 2020-12-31, 2 x 6 weeks after baseline
    assert (rd.start, rd.end, rd.cutoff_day) == (date(2019, 1, 1), date(2020, 12, 1),
                                                 date(2020, 12, 31))
    assert rd.latest_start == date(2020, 10, 8)
    share = (date(2020, 12, 1) - date(2020, 10, 8)).days / (date(2020, 12, 1) - date(2019, 1, 1)).days
    assert res.values["share"] == pytest.approx(share)
    assert res.verdict == "inconsistent" and res.assumptions == ("uniform_accrual",)
    assert f"about {share * 100:.0f} of 100 patients, assuming patients were enrolled at an even " \
           f"rate" in res.explanation
    assert "2020-12-01" in res.explanation and "2020-12-31" in res.explanation


def test_assessment_window_consistent_needs_no_assumption():
    res = dc.assessment_window_result(2, 8, "2019-01", "2020-06", "2021-06", n=100)
    assert res.verdict == "consistent" and res.assumptions == ()


def test_assessment_window_check_on_a_range_of_intervals():
    rows = [drow("min_tumour_assessments", 3, comparator=">="),
            drow("imaging_interval", 6, value_high=8, comparator="range", unit="weeks",
                 kind="assessment"),
            drow("accrual", "2018-01", value_high="2019-06", comparator="range", kind="dates"),
            drow("data_cutoff", "2019-07", kind="dates")]
    [f] = run("assessment_window", {"design": rows}, meta={"n": 90})
    assert f.verdict == "inconsistent" and f.assumptions == ("uniform_accrual",)
    assert "6-8 weeks" in f.explanation and "12 to 16 weeks" in f.explanation
    assert "of 90 patients" in f.explanation


def test_unreadable_ledger_cells_name_file_line_and_field(tmp_path):
    root = tmp_path / "published"
    shutil.copytree(TINY_ROOT / "toy_arith", root / "toy_arith")
    line = edit_cell(root / "toy_arith" / "design.csv", "m_imaging", "unit", "fortnights")
    ctx = Context(load_ledger("toy_arith", root=root))
    with pytest.raises(LedgerError, match=rf"design.csv, line {line} \(row_id m_imaging\), "
                                          r"field 'unit'"):
        registry.run_check("assessment_window", ctx, isolate=False)
    assert registry.run_check("assessment_window", ctx).status == "failed"
    edit_cell(root / "toy_arith" / "design.csv", "m_imaging", "unit", "weeks")
    line = edit_cell(root / "toy_arith" / "design.csv", "r_cutoff", "value", "2021-13")
    with pytest.raises(LedgerError, match=rf"design.csv, line {line} \(row_id r_cutoff\), "
                                          r"field 'value'"):
        registry.run_check("survivor_selection", Context(load_ledger("toy_arith", root=root)),
                           isolate=False)


def test_assessment_window_without_accrual_end_is_not_testable(tmp_path):
    root = tmp_path / "published"
    shutil.copytree(TINY_ROOT / "toy_arith", root / "toy_arith")
    edit_cell(root / "toy_arith" / "design.csv", "m_accrual", "value_high", "")
    [f] = registry.run_check("assessment_window",
                             Context(load_ledger("toy_arith", root=root))).findings
    assert f.verdict == "not testable"


# -- survivor selection ------------------------------------------------------------------------

RULE_ROWS = [drow("min_tumour_assessments", 4, comparator=">="),
             drow("imaging_interval", 6, value_high=8, comparator="range", unit="weeks",
                  kind="assessment")]


def test_survivor_selection_states_the_guaranteed_time():
    res = dc.survivor_selection_result("9.0", "OS", "months", 4, 6, 8)
    assert res.values["guaranteed_weeks"] == 18               # (4 - 1) x 6
    assert "18 to 24 weeks" in res.explanation
    assert res.verdict == "inconsistent" and res.assumptions == ("text_interpretation",)
    assert "immortal time" in res.explanation


def test_survivor_selection_median_os_below_the_guaranteed_time_is_impossible():
    res = dc.survivor_selection_result("3.0", "OS", "months", 4, 6, 8)   # 13 weeks < 18
    assert res.verdict == "impossible" and res.assumptions == ()
    # the printed precision counts: 4.1 months may be 4.15 months = 18.04 weeks >= 18
    assert dc.survivor_selection_result("4.1", "OS", "months", 4, 6).verdict == "inconsistent"
    assert dc.survivor_selection_result("17", "OS", "weeks", 4, 6).verdict == "impossible"


def test_survivor_selection_low_pfs_is_not_impossible():
    res = dc.survivor_selection_result("3.0", "PFS", "months", 4, 6, 8)
    assert res.verdict == "inconsistent" and res.assumptions == ("text_interpretation",)
    assert "not freedom from" in res.explanation


def test_survivor_selection_check():
    found = run("survivor_selection", {"design": RULE_ROWS, "survival": [
        median("OS", "3.0", locator="Abstract"), median("OS", "3.0", locator="Results ¶3"),
        median("PFS", "5.5")]})
    verdict = {f.item: f.verdict for f in found}
    assert verdict == {"median OS vs required assessments": "impossible",
                       "median PFS vs required assessments": "inconsistent"}
    os_f = next(f for f in found if "OS" in f.item)
    assert {"Abstract", "Results ¶3"} <= set(os_f.locators)


def test_survivor_selection_baseline_only_rule_selects_nobody():
    rows = [drow("min_tumour_assessments", 1, comparator=">="),
            drow("imaging_interval", 8, unit="weeks", kind="assessment")]
    [f] = run("survivor_selection", {"design": rows, "survival": [median("OS", "2.0")]})
    assert f.verdict == "consistent"


def test_survivor_selection_not_applicable_without_survival():
    ctx = Example("pass", tables={"design": RULE_ROWS}).context()
    assert registry.run_check("survivor_selection", ctx).status == "not applicable"


# -- life expectancy -------------------------------------------------------------------------------

def test_median_vs_life_expectancy():
    assert dc.median_vs_life_expectancy("14.2", 3) == "consistent"
    assert dc.median_vs_life_expectancy("10.1", 12) == "inconsistent"


def test_median_close_to_the_required_life_expectancy_is_inconsistent():
    """Overclaim fixed: a median OS just above the required life expectancy passed."""
    res = dc.median_vs_life_expectancy_result("9.4", 9)
    assert res.verdict == "inconsistent" and res.assumptions == ("text_interpretation",)
    assert "close to" in res.explanation
    assert dc.median_vs_life_expectancy("11.5", 9) == "consistent"    # beyond 1.25 x 9


def test_life_expectancy_check_converts_units():
    life = drow("life_expectancy", 1, comparator=">", unit="years")
    [f] = run("median_vs_life_expectancy", {"design": [life], "survival": [median("OS", "13.0")]})
    assert f.verdict == "inconsistent"
    [f] = run("median_vs_life_expectancy", {"design": [life],
                                            "survival": [median("OS", "120", unit="weeks")]})
    assert f.verdict == "consistent"


# -- alpha -------------------------------------------------------------------------------------------

def test_alpha_scalars():
    assert dc.stated_alpha("0.05", 0.05) == "consistent"
    assert dc.stated_alpha("0.10", 0.05) == "inconsistent"
    assert dc.significance_claim("<0.005", 0.05) == "consistent"
    assert dc.significance_claim("<0.05", 0.05) == "consistent"
    assert dc.significance_claim("0.08", 0.05) == "inconsistent"
    assert dc.significance_claim("0.05", 0.05) == "inconsistent"
    assert dc.significance_claim(">0.01", 0.05) == "inconsistent"


def test_alpha_checks_use_ctx_alpha():
    claim = [drow("prognostic_p", "0.03", kind="outcome")]
    [f] = run("significance_claim", {"design": claim})            # the study states none
    assert f.verdict == "not testable" and "no significance level" in f.explanation
    [f] = run("significance_claim", {"design": claim}, meta={"alpha": 0.05})
    assert f.verdict == "consistent"
    [f] = run("significance_claim", {"design": claim}, meta={"alpha": 0.05}, alpha=0.01)
    assert f.verdict == "inconsistent"                              # the run's setting wins
    [f] = run("stated_alpha", {"design": [drow("sample_size_alpha", "0.05", kind="analysis")]})
    assert f.verdict == "not testable"


# -- ledgers ---------------------------------------------------------------------------------------

def test_findings_on_toy(toy):
    ctx = Context(toy)
    found = {(r.check.name, f.item): f.verdict for r in registry.run_family("design", ctx)
             for f in r.findings}
    assert found[("within_limits", "Age within inclusion limits")] == "impossible"   # max above
    assert found[("level_within_limits", "Age level >=60")] == "consistent"
    assert found[("assessment_window", "required assessments before the cut-off")] == "consistent"
    assert found[("median_vs_life_expectancy", "median OS vs required life expectancy")] == \
        "consistent"
    assert found[("survivor_selection", "median OS vs required assessments")] == "inconsistent"
    assert found[("stated_alpha", "alpha vs study alpha")] == "consistent"
    assert found[("stated_alpha", "sample_size_alpha vs study alpha")] == "inconsistent"
    assert found[("significance_claim", "prognostic_p")] == "inconsistent"


def test_cao2024_design_findings():
    runs = {r.check.name: r for r in registry.run_family("design", Context(cao2024()))}
    assert all(r.status == "ran" for r in runs.values()), {n: r.reason for n, r in runs.items()}
    window = runs["assessment_window"].findings
    assert [(f.verdict, f.category, f.assumptions) for f in window] == [
        ("inconsistent", "design", ("uniform_accrual",))]
    stated = [f for f in runs["stated_alpha"].findings if f.item == "alpha vs study alpha"]
    assert stated and all(f.verdict == "consistent" for f in stated)
    assert all(f.verdict == "consistent" for f in runs["within_limits"].findings)
    survivors = runs["survivor_selection"].findings
    assert {f.verdict for f in survivors} == {"inconsistent"} and len(survivors) == 2
    assert [f.verdict for f in runs["median_vs_life_expectancy"].findings] == ["inconsistent"]
