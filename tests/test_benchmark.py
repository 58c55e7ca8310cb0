"""The planted-error benchmark on a small sample (one instance per kind): every error kind is
caught, no trap raises a false alarm, the clean ledger gives no flagged finding, and no plant makes
a check fail. ``make validate`` runs the full benchmark."""

import pytest

from helpers.checks.benchmark import ERRORS, TRAPS, evaluate


@pytest.fixture(scope="module")
def result():
    return evaluate("ncctg_lung", instances=1)


def test_the_clean_ledger_is_clean(result):
    _, _, clean = result
    assert clean == set()


@pytest.mark.parametrize("kind", sorted(ERRORS))
def test_every_planted_error_kind_is_caught(result, kind):
    df, _, _ = result
    rows = df[df["kind"] == kind]
    assert len(rows) and rows["flagged"].all(), rows[["quantity", "what", "check_errors"]].to_dict("records")


@pytest.mark.parametrize("kind", sorted(TRAPS))
def test_no_trap_raises_a_false_alarm(result, kind):
    df, _, _ = result
    rows = df[df["kind"] == kind]
    assert len(rows) and not rows["flagged"].any(), rows[["quantity", "what"]].to_dict("records")


def test_no_plant_makes_a_check_fail(result):
    df, _, _ = result
    crashed = df[df["check_errors"] != ""]
    assert crashed.empty, crashed[["kind", "check_errors"]].to_dict("records")
