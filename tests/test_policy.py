"""The rounding policy: one resolution of ``rounding`` that every check, figure table and
patient-level comparison reads (made-up numbers)."""

import pandas as pd
import pytest

from helpers.checks import policy as po
from helpers.checks import registry
from helpers.checks.patient_level import ipd_matches
from helpers.checks.registry import Context, Example, Settings
from helpers.ledger.load import load_ledger

from conftest import TINY_ROOT


def _row(variable, count, percent, n, locator):
    return {"variable": variable, "level": "x", "role": "level", "definition": "",
            "count": str(count), "percent": percent, "denominator": str(n), "population": "all",
            "quantity": f"baseline.{variable.lower()}", "locator": locator}


# Table 1 rounds to nearest (2/3 -> 66.7, 1/6 -> 16.7); Table 4's own values prefer truncation
# (1/6 -> 16.6, 5/6 -> 83.3 both ways, 1/3 -> 33.3 both ways, 5/12 -> 41.6).
ROWS = [_row("A", 2, "66.7", 3, "Table 1 / A"), _row("B", 1, "16.7", 6, "Table 1 / B"),
        _row("C", 2, "66.7", 3, "Results ¶1"), _row("D", 1, "16.6", 6, "Table 4 / D"),
        _row("E", 5, "41.6", 12, "Table 4 / E"), _row("F", 1, "33.3", 3, "Table 4 / F")]


@pytest.fixture
def ledger():
    return Example("pass", tables={"counts": ROWS}).context().ledger


def test_a_place_whose_values_prefer_truncation_gets_truncation(ledger):
    p = po.resolve_policy(ledger, "auto")
    assert p.rule == "half_up" and p.inferred
    assert p.rule_for("Table 4 / D") == "truncate" and p.rule_for("Table 1 / A") == "half_up"
    assert p.rule_for("Discussion ¶2") == "half_up"            # a place with no values of its own
    assert p.assumptions == ("rounding_rule_inferred",)
    assert not p.mixed                                         # Table 4 only truncates
    described = p.describe().set_index("place")
    assert described.loc["Table 4", "rule"] == "truncate"


def test_a_requested_rule_applies_everywhere_and_rests_on_no_inference(ledger):
    p = po.resolve_policy(ledger, "half_even")
    assert {p.rule_for(loc) for loc in ("Table 1 / A", "Table 4 / D")} == {"half_even"}
    assert p.assumptions == () and not p.inferred
    with pytest.raises(ValueError, match="rounding rule 'ceiling'"):
        po.resolve_policy(ledger, "ceiling")


def test_auto_resolves_alike_for_a_check_a_figure_table_and_a_patient_comparison(ledger):
    direct = po.resolve_policy(ledger, "auto")
    ctx = Context(ledger, Settings(rounding="auto"))
    assert ctx.policy == direct and ctx.with_scope("baseline.").policy == direct
    # the figure table (rule heatmap / rule mix) reads the same rule table the policy infers from
    table = po.rule_table(ledger)
    for place, g in table.groupby("family"):
        fits = g[direct.rule_for(place)].astype(bool)
        assert fits.all(), (place, direct.rule_for(place))
    # the check's verdict on each cell is the verdict under the policy's rule for its place
    found = {f.locators[0]: f for f in registry.get("percent_count").run(ctx)}
    assert found["Table 4 / D"].verdict == "consistent"
    # a patient-level comparison of the same value under ctx.policy agrees with the check
    for r in ROWS:
        rule = ctx.policy.rule_for(r["locator"])
        recomputed = 100 * int(r["count"]) / int(r["denominator"])
        assert ipd_matches(r["percent"], recomputed, rule).verdict == found[r["locator"]].verdict, r


def test_the_notebook_context_reads_the_same_policy(tmp_path):
    from helpers.run.notebook import NotebookContext
    from helpers.core.findings import FindingsLog

    toy = load_ledger("toy_arith", root=TINY_ROOT)
    nb = NotebookContext(name="t", ledger=toy, log=FindingsLog("toy_arith", "t"),
                         output_dir=tmp_path, rounding="auto", alpha=None, seed=0)
    assert nb.policy == po.resolve_policy(toy, "auto") and nb.rule == nb.policy.rule


def test_rule_table_prevailing_rule_and_mix():
    toy = load_ledger("toy_arith", root=TINY_ROOT)
    table = po.rule_table(toy)
    stage2 = table.set_index("row_id").loc["t1_stage_2"]
    assert stage2["truncate"] and not stage2["half_up"] and stage2["needs"] == "truncate"
    assert po.prevailing_rule(toy) == "half_up"
    mix = po.rule_mix(table).set_index("family")
    assert mix.loc["Table 1", "mixes rules"]               # 41.7 needs rounding, 34.1 truncation
    assert mix.loc["Table 1", "only truncation"] == 1
    assert "Table 1" in po.resolve_policy(toy, "auto").mixed
    assert "Table 1" in po.resolve_policy(toy, "half_up").mixed   # a fact about the data
    assert list(po.only_nearest(table)) == [bool(r["half_up"] and not r["truncate"])
                                            for _, r in table.iterrows()]


def test_percent_rows_cover_counts_and_adverse_events():
    toy = load_ledger("toy_arith", root=TINY_ROOT)
    rows = po.percent_rows(toy)
    assert set(rows["table"]) == {"counts", "adverse_events"}
    assert rows["percent"].astype(str).str.strip().ne("").all()
    assert set(po.percent_rows(toy, "ae.")["table"]) == {"adverse_events"}
    empty = po.percent_rows(Example("pass", tables={}).context().ledger)
    assert isinstance(empty, pd.DataFrame) and empty.empty
