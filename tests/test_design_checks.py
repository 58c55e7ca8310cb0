"""Family 7: results against the stated design."""

import pytest

from helpers.checks import design as dc
from helpers.ledger.load import load_ledger

from conftest import TINY_ROOT
from test_arithmetic import cao2024


@pytest.fixture(scope="module")
def toy():
    return load_ledger("toy_arith", root=TINY_ROOT)


def test_within_limits_and_levels():
    assert dc.within_limits("45.3", 18, 75) == "consistent"
    assert dc.within_limits("80", 18, 75, "maximum") == "impossible"
    assert dc.level_within_limits_result("<50", 18, 75).verdict == "consistent"
    assert dc.level_within_limits_result(">=80", 18, 75).verdict == "impossible"
    assert dc.level_within_limits_result("<=18", 18, 75).verdict == "consistent"


def test_assessment_window():
    # 4 assessments every 6 weeks = 24 weeks; accrual to Mar 2021, cut-off Apr 2021
    assert dc.assessment_window(4, 6, "2019-05", "2021-03", "2021-04") == "inconsistent"
    assert dc.assessment_window(2, 8, "2019-01", "2020-06", "2021-06") == "consistent"
    assert dc.date_span("2022-02")[1].day == 28


def test_alpha_scalars():
    assert dc.stated_alpha("0.05", 0.05) == "consistent"
    assert dc.stated_alpha("0.10", 0.05) == "inconsistent"
    assert dc.significance_claim("<0.005", 0.05) == "consistent"
    assert dc.significance_claim("0.08", 0.05) == "inconsistent"


def test_findings_on_toy(toy):
    lim = {(f.check, f.item): f.verdict for f in dc.limit_findings(toy, "half_up")}
    assert lim[("within_limits", "Age within inclusion limits")] == "impossible"   # max 80
    assert lim[("level_within_limits", "Age level >=60")] == "consistent"
    assert [f.verdict for f in dc.assessment_findings(toy)] == ["consistent"]
    assert [(f.check, f.verdict) for f in dc.followup_findings(toy)] == [
        ("median_vs_life_expectancy", "consistent")]
    alpha = {f.item: f.verdict for f in dc.alpha_findings(toy, toy.alpha)}
    assert alpha["alpha vs study alpha"] == "consistent"
    assert alpha["sample_size_alpha vs study alpha"] == "inconsistent"
    assert alpha["prognostic_p"] == "inconsistent"


def test_cao2024_design_findings():
    ledger = cao2024()
    window = dc.assessment_findings(ledger)
    assert [(f.verdict, f.category) for f in window] == [("inconsistent", "design")]
    alpha = dc.alpha_findings(ledger, ledger.alpha)
    stated = [f for f in alpha if f.check == "stated_alpha" and f.item == "alpha vs study alpha"]
    assert stated and all(f.verdict == "consistent" for f in stated)
    assert all(f.verdict == "consistent" for f in dc.limit_findings(ledger, "half_up"))


def test_median_vs_life_expectancy():
    assert dc.median_vs_life_expectancy("14.2", 3) == "consistent"
    assert dc.median_vs_life_expectancy("10.1", 12) == "inconsistent"


def test_unreadable_ledger_cells_name_file_line_and_field(tmp_path):
    import shutil

    from helpers.checks.arithmetic import total_bounds_findings
    from helpers.core.errors import LedgerError

    from conftest import edit_cell

    root = tmp_path / "published"
    shutil.copytree(TINY_ROOT / "toy_arith", root / "toy_arith")
    line = edit_cell(root / "toy_arith" / "design.csv", "m_imaging", "unit", "fortnights")
    with pytest.raises(LedgerError, match=rf"design.csv, line {line} \(row_id m_imaging\), "
                                          r"field 'unit'"):
        dc.assessment_findings(load_ledger("toy_arith", root=root))
    line = edit_cell(root / "toy_arith" / "adverse_events.csv", "t4_rash_ge3", "grade_band", "severe")
    with pytest.raises(LedgerError, match=rf"adverse_events.csv, line {line} .*field 'grade_band'"):
        total_bounds_findings(load_ledger("toy_arith", root=root), "half_up")


def test_assessment_window_without_accrual_end_is_not_testable(tmp_path):
    import shutil

    from conftest import edit_cell

    root = tmp_path / "published"
    shutil.copytree(TINY_ROOT / "toy_arith", root / "toy_arith")
    edit_cell(root / "toy_arith" / "design.csv", "m_accrual", "value_high", "")
    assert [f.verdict for f in dc.assessment_findings(load_ledger("toy_arith", root=root))] == [
        "not testable"]
