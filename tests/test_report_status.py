"""The index lists checks that failed and checks that no section could run (made-up rows)."""

from __future__ import annotations

import pandas as pd

from helpers.report.pages import check_status


def test_check_status_lists_failures_and_checks_no_section_ran(tmp_path):
    pd.DataFrame([
        # ran in one section, not applicable in another: it applied
        ("01_a", "S1", "arithmetic", "alpha", "ran", 3, ""),
        ("02_b", "S2", "arithmetic", "alpha", "not applicable", 0, "no counts in this section"),
        # never ran: listed once, both notebooks, both reasons
        ("01_a", "S1", "design", "beta", "not applicable", 0, "the paper prints no design statements"),
        ("02_b", "S2", "design", "beta", "not applicable", 0, "the paper prints no summaries"),
        ("03_c", "S3", "hazard", "gamma", "failed", 0, "ValueError: bad (hazard.py:12)"),
    ], columns=["notebook", "section", "family", "check", "status", "findings", "reason"]
    ).to_csv(tmp_path / "checks.csv", index=False)
    failed, idle = check_status(tmp_path)
    assert list(failed["check"]) == ["gamma"] and "ValueError" in failed["reason"].iloc[0]
    assert list(idle["check"]) == ["beta"]
    assert idle["notebooks"].iloc[0] == "01_a, 02_b"
    assert idle["reason"].iloc[0] == "the paper prints no design statements; the paper prints no summaries"


def test_check_status_without_a_checks_file_is_empty(tmp_path):
    failed, idle = check_status(tmp_path)
    assert failed.empty and idle.empty
