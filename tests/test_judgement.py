"""The INSPECT-SR-shaped judgement: the checklists, the domain rule, the overall judgement."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.report.concerns import group_concerns
from helpers.report.judgement import checklists, domain_of, judge, known_items

from critique_helpers import mk


def test_checklists_have_their_columns_domains_and_citations():
    inspect, reappraised = checklists()
    assert {"id", "domain", "domain_name", "item", "topic", "assessable_from_ledger",
            "citation", "note"} <= set(inspect.columns)
    assert sorted(inspect["domain"].astype(int).unique()) == [1, 2, 3, 4]
    assert inspect["id"].is_unique and reappraised["id"].is_unique
    assert set(inspect["assessable_from_ledger"]) == {"yes", "no"}
    assert (inspect["citation"].str.contains("Wilkinson")).all()
    assert (reappraised["citation"].str.contains("Grey A")).all()
    assert reappraised["id"].str.startswith("R:").all()
    assert {"4.1", "4.6", "4.8", "4.9", "4.10", "2.4", "2.5", "3.1"} <= set(inspect["id"])


def test_every_registered_check_names_known_checklist_items():
    from helpers.checks import registry

    unknown = {c.name: sorted(set(c.items) - known_items()) for c in registry.checks()
               if set(c.items) - known_items()}
    assert not unknown, unknown


@pytest.mark.parametrize("item, domain", [("4.9", 4), ("2.5", 2), ("3.1", 3), ("R:authorship", 2),
                                          ("R:errors", 4), ("9.9", None)])
def test_domain_of_items(item, domain):
    assert domain_of(item) == domain


def _concerns(*severities):
    """One concern per requested severity, all on checklist item 4.9 (different tables)."""
    out = []
    for i, sev in enumerate(severities):
        verdict, cat = {"critical": ("impossible", "statistical"),
                        "major": ("inconsistent", "arithmetic"),
                        "minor": ("inconsistent", "rounding")}[sev]
        out.append(mk(f"Row {i}", verdict, cat, family="hazard", area="supporting",
                      quantity=f"baseline.x{i}", locators=(f"Table {i + 1} / Row",),
                      items=("4.9",)))
    concerns = group_concerns(out)
    assert sorted(c.severity for c in concerns) == sorted(severities)
    return concerns, out


@pytest.mark.parametrize("severities, expected", [
    (("critical",), "serious concerns"), (("major", "major"), "serious concerns"),
    (("major",), "some concerns"), (("minor",), "some concerns"), ((), "no concerns")])
def test_domain_rule(severities, expected):
    concerns, findings = _concerns(*severities)
    tested = findings or [mk("Row", "consistent", "statistical", items=("4.9",))]
    j = judge(concerns, pd.DataFrame([f.as_row() for f in tested]))
    d4 = next(d for d in j.domains if d.domain == 4)
    assert d4.judgement == expected and j.overall == expected


def test_untested_domains_are_not_assessed_and_overall_is_the_most_severe():
    concerns, findings = _concerns("minor")
    design = mk("Window", "inconsistent", "design", family="design", area="design",
                quantity="design.window", items=("2.5",))
    all_concerns = group_concerns(findings + [design])
    j = judge(all_concerns, pd.DataFrame([f.as_row() for f in findings + [design]]))
    by = {d.domain: d.judgement for d in j.domains}
    assert by[1] == "not assessed" and by[3] == "not assessed"
    assert by[2] == "some concerns" and by[4] == "some concerns"
    assert j.overall == "some concerns"
    assert {"1.1", "2.1"} <= set(j.not_assessed["id"])


def test_nothing_tested_is_not_assessed():
    assert judge([], None).overall == "not assessed"
