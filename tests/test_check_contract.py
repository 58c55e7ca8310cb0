"""The check contract: every registered check's must-pass and must-flag examples, its metadata,
the catalogue in docs/checks.md, fault isolation and the evidence rules."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers.checks import registry
from helpers.checks.registry import Context, ContractError, Example, Settings, register
from helpers.core.evidence import ASSUMPTIONS, severity_for, strength_of, weight_of
from helpers.core.findings import Finding, Result, finding_from

ROOT = Path(__file__).resolve().parents[1]
CHECKS = registry.checks()
CHECKLIST_DIR = ROOT / "data" / "knowledge" / "checklists"


def _ids(checks):
    return [f"{c.family}-{c.name}" for c in checks]


def test_registry_is_not_empty():
    assert len(CHECKS) >= 20, [c.name for c in CHECKS]


@pytest.mark.parametrize("check", CHECKS, ids=_ids(CHECKS))
def test_must_pass_example(check):
    for ex in (e for e in check.examples if e.expect == "pass"):
        run = registry.run_check(check, ex.context(), isolate=False)
        assert run.status == "ran", run.reason
        assert run.findings, f"{check.name}: the must-pass example tests nothing"
        flagged = [f for f in run.findings if f.flagged]
        assert not flagged, [(f.item, f.verdict, f.explanation) for f in flagged]
        assert any(f.verdict == "consistent" for f in run.findings), \
            f"{check.name}: the must-pass example gives no 'consistent' verdict"


@pytest.mark.parametrize("check", CHECKS, ids=_ids(CHECKS))
def test_must_flag_example(check):
    for ex in (e for e in check.examples if e.expect == "flag"):
        run = registry.run_check(check, ex.context(), isolate=False)
        assert run.status == "ran", run.reason
        assert any(f.flagged for f in run.findings), \
            [(f.item, f.verdict, f.explanation) for f in run.findings]


@pytest.mark.parametrize("check", CHECKS, ids=_ids(CHECKS))
def test_metadata(check):
    assert check.title and check.reference and check.items
    assert set(check.assumptions) <= set(ASSUMPTIONS)
    assert check.func.__doc__, f"{check.name}: the registered function has no docstring"


def _known_items() -> set[str]:
    known = set()
    for file in CHECKLIST_DIR.glob("*.csv"):
        known |= set(pd.read_csv(file, dtype=str)["id"])
    return known


def test_items_exist_in_checklists():
    known = _known_items()
    if not known:
        pytest.skip("no checklist files yet")
    unknown = {c.name: [i for i in c.items if i not in known] for c in CHECKS}
    assert not {k: v for k, v in unknown.items() if v}


def test_catalogue_in_sync():
    doc = ROOT / "docs" / "checks.md"
    assert doc.is_file(), "run: .venv/bin/reanalysis checks --markdown > docs/checks.md"
    assert doc.read_text(encoding="utf-8") == registry.catalogue_markdown(), \
        "docs/checks.md is out of date: .venv/bin/reanalysis checks --markdown > docs/checks.md"


def test_catalogue_has_one_row_per_check():
    cat = registry.catalogue()
    assert len(cat) == len(CHECKS) and cat["check"].is_unique


# ----------------------------------------------------------------------- the contract itself

def _toy_examples():
    row = {"variable": "Sex", "level": "Male", "role": "level", "count": "3", "percent": "30.0",
           "denominator": "10", "population": "all", "quantity": "baseline.sex.male"}
    return [Example("pass", tables={"counts": [row]}), Example("flag", tables={"counts": [row]})]


def test_register_refuses_a_check_without_both_examples():
    with pytest.raises(ContractError, match="must-pass and a must-flag"):
        register("toy_no_flag", family="arithmetic", title="t", reads=["counts"],
                 assumptions=["arithmetic"], items=["4.9"], reference="r",
                 category="arithmetic", examples=[_toy_examples()[0]])(lambda ctx: [])


def test_register_refuses_unknown_assumption():
    with pytest.raises(ContractError, match="unknown assumption"):
        register("toy_bad_assumption", family="arithmetic", title="t", reads=["counts"],
                 assumptions=["optimism"], items=["4.9"], reference="r",
                 category="arithmetic", examples=_toy_examples())(lambda ctx: [])


def _toy_check(func, name="toy_check", assumptions=("arithmetic",)):
    return registry.Check(name=name, family="arithmetic", func=func, title="t", reads=("counts",),
                          assumptions=tuple(assumptions), items=("4.9",), reference="r",
                          category="arithmetic", examples=tuple(_toy_examples()))


def test_a_failing_check_costs_only_its_own_output():
    def boom(ctx):
        raise ZeroDivisionError("planted")
    ctx = _toy_examples()[0].context()
    run = registry.run_check(_toy_check(boom), ctx)
    assert run.status == "failed" and "ZeroDivisionError: planted" in run.reason
    assert run.findings == []


def test_a_check_without_its_tables_is_not_applicable():
    ctx = Example("pass", tables={"summaries": [{"variable": "Age", "statistic": "mean",
                                                  "center": "50", "n": "10", "population": "all",
                                                  "quantity": "baseline.age"}]}).context()
    run = registry.run_check(_toy_check(lambda c: 1 / 0), ctx)
    assert run.status == "not applicable"
    assert "counts" in run.reason


def test_undeclared_assumption_is_a_contract_error():
    def f(ctx):
        return [finding_from(ctx, item="x", result=Result("inconsistent", "statistical",
                                                          assumptions=("wald_interval",)),
                             locators=["Table 1"], printed="1", quantity="baseline.x")]
    with pytest.raises(ContractError, match="undeclared"):
        registry.run_check(_toy_check(f), _toy_examples()[0].context(), isolate=False)


def test_impossible_needs_conclusive_evidence():
    with pytest.raises(ValueError, match="arithmetic alone"):
        Finding(study="s", area="cox", check="c", item="i", verdict="impossible",
                category="statistical", locators=("Table 3",), printed="", expected="",
                explanation="", assumptions=("wald_interval",))
    ok = Finding(study="s", area="cox", check="c", item="i", verdict="impossible",
                 category="statistical", locators=("Table 3",), printed="", expected="",
                 explanation="", assumptions=())
    assert ok.strength == "conclusive"


def test_synthetic_patients_never_reach_patient_checks():
    class Synthetic:
        synthetic = True
        data = pd.DataFrame({"id": [1]})
    check = registry.Check(name="toy_patients", family="patient_level", func=lambda c: 1 / 0,
                           title="t", reads=("patients",), assumptions=("patient_data",),
                           items=("4.6",), reference="r", category="patient_data",
                           examples=tuple(_toy_examples()))
    ctx = Context(_toy_examples()[0].context().ledger, Settings(), None, Synthetic())
    run = registry.run_check(check, ctx)
    assert run.status == "not applicable" and "synthetic" in run.reason


# ----------------------------------------------------------------------- evidence rules

@pytest.mark.parametrize("assumptions, strength", [
    ((), "conclusive"), (("arithmetic",), "conclusive"), (("wald_interval",), "strong"),
    (("arithmetic", "uniform_accrual"), "moderate"), (("text_interpretation", "same_test"), "weak"),
])
def test_strength_is_the_weakest_assumption(assumptions, strength):
    assert strength_of(assumptions) == strength


@pytest.mark.parametrize("quantity, locators, weight", [
    ("response.orr", ["Table 2"], "headline"), ("baseline.sex.male", ["Table 1"], "supporting"),
    ("baseline.sex.male", ["Abstract / Results"], "headline"),
    ("background.incidence", ["Introduction ¶1"], "background"),
    ("ae.rash.any", ["Table 4"], "supporting"),
])
def test_weight_of_a_claim(quantity, locators, weight):
    assert weight_of(quantity, locators) == weight


@pytest.mark.parametrize("verdict, category, strength, weight, severity", [
    ("impossible", "arithmetic", "conclusive", "supporting", "critical"),
    ("inconsistent", "contradiction", "strong", "headline", "major"),
    ("inconsistent", "contradiction", "conclusive", "headline", "critical"),
    ("inconsistent", "statistical", "strong", "supporting", "major"),
    ("inconsistent", "design", "moderate", "headline", "minor"),
    ("implausible", "plausibility", "moderate", "supporting", "minor"),
    ("inconsistent", "rounding", "conclusive", "headline", "minor"),
    ("impossible", "arithmetic", "conclusive", "background", "minor"),
    ("consistent", "arithmetic", "conclusive", "headline", "none"),
    ("not testable", "statistical", "weak", "headline", "none"),
])
def test_severity_rule(verdict, category, strength, weight, severity):
    assert severity_for(verdict, category, strength, weight) == severity


def test_patient_data_are_a_precondition_not_one_of_the_tables():
    # a patient-level check that reads counts or summaries is not applicable on a ledger with
    # neither, even when real patient data are given
    class Real:
        synthetic = False
        data = pd.DataFrame({"id": [1]})
    check = registry.Check(name="toy_patients_tables", family="patient_level", func=lambda c: [],
                           title="t", reads=("patients", "counts", "summaries"),
                           assumptions=("patient_data",), items=("4.6",), reference="r",
                           category="patient_data", examples=tuple(_toy_examples()))
    ledger = Example("pass", tables={"survival": [{"endpoint": "OS", "statistic": "median",
                                                    "center": "12", "unit": "months", "n": "10",
                                                    "population": "all"}]}).context().ledger
    run = registry.run_check(check, Context(ledger, Settings(), None, Real()))
    assert run.status == "not applicable" and "counts" in run.reason
