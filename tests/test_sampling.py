"""Family 6: exact intervals of every rate, and other printed values of a rate set beside the
reference count's interval -- as evidence for a figure, never as a verdict."""

import inspect

import pandas as pd
import pytest

from helpers.checks import registry
from helpers.checks import sampling as sa
from helpers.checks.registry import Context
from helpers.core.findings import Finding
from helpers.ledger.load import ledger_from_tables, load_ledger

from conftest import TINY_ROOT
from test_arithmetic import cao2024


def test_within_sampling_error_is_no_longer_a_check():
    """Overclaim fixed: two printed values of one rate describe the same patients, so 'within
    sampling error' labelled real contradictions 'consistent'. It is neither registered nor a
    function that gives verdicts or findings."""
    assert "within_sampling_error" not in registry.load_all()
    assert registry.checks("sampling") == []
    for name in ("within_sampling_error", "within_sampling_error_result",
                 "within_sampling_error_map", "alternative_findings"):
        assert not hasattr(sa, name), name
    for name, fn in inspect.getmembers(sa, inspect.isfunction):
        if fn.__module__ == sa.__name__:
            assert "Finding" not in str(inspect.signature(fn).return_annotation), name


def _two_values_ledger(alternative: str):
    row = {"variable": "Best response", "level": "ORR", "role": "rate", "definition": "CR+PR",
           "denominator": "120", "population": "all", "quantity": "response.orr"}
    return ledger_from_tables("two_values", {"n": 120}, {"counts": [
        {**row, "count": "60", "percent": "50.0", "locator": "Table 2 / ORR"},
        {**row, "count": "60", "percent": "50.0", "locator": "Abstract / Results"},
        {**row, "percent": alternative, "source": "results", "locator": "Results ¶2"}]})


def test_alternative_table_is_evidence_without_a_verdict():
    ledger = _two_values_ledger("45.0")      # inside the exact 95 % interval of 60/120
    alt = sa.alternative_table(ledger, "half_up")
    assert len(alt) == 1
    r = alt.iloc[0]
    assert (r["reference"], r["alternative"], r["count"], r["n"]) == ("50.0", "45.0", 60, 120)
    assert r["ci_low"] < 45.0 < r["ci_high"] and bool(r["inside"])
    assert "verdict" not in alt.columns
    # running every registered check of the ledger: the contradiction is reported (by the
    # appearances family), never excused as sampling noise
    ctx = Context(ledger)
    found = [f for run in registry.run_family(list(registry.FAMILY_MODULES), ctx)
             for f in run.findings]
    assert not any(f.check == "within_sampling_error" for f in found)
    assert all(isinstance(f, Finding) for f in found)


def test_alternative_outside_the_interval_is_marked_but_not_judged():
    alt = sa.alternative_table(_two_values_ledger("30.0"), "half_up")
    assert not bool(alt.iloc[0]["inside"]) and "verdict" not in alt.columns


def test_rate_ci_table_on_toy():
    toy = load_ledger("toy_arith", root=TINY_ROOT)
    alt = sa.alternative_table(toy, "half_up")
    assert set(alt["quantity"]) == {"response.orr", "ae.nausea.ge3"}
    cis = sa.rate_ci_table(toy, "half_up")
    assert cis["ci_low"].isna().sum() == 1          # 55.56 % of 40: no count, no interval
    cis = cis.dropna(subset=["ci_low"])
    assert (cis["ci_low"] <= cis["percent"]).all() and (cis["percent"] <= cis["ci_high"]).all()
    wider = sa.rate_ci_table(toy, "half_up", 0.99).dropna(subset=["ci_low"])
    assert (wider["ci_low"].values <= cis["ci_low"].values).all()


def test_count_for():
    assert sa.count_for("25.0", 40, "half_up", 10) == (10, "printed")
    assert sa.count_for("25.0", 40, "half_up") == (10, "only count giving the percentage")
    assert sa.count_for("55.56", 40, "half_up")[0] is None


def test_cao2024_alternatives_are_listed_without_findings():
    ledger = cao2024()
    alt = sa.alternative_table(ledger, "half_up")
    assert "response.orr" in set(alt["quantity"])
    assert alt["inside"].notna().all()
    assert registry.run_family("sampling", Context(ledger)) == []
