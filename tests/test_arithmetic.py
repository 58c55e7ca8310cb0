"""Families 1, 2 and 4: each check passes on consistent made-up input and flags a planted slip;
the ledger versions run on the tiny and toy_arith fixtures and on the cao2024 ledger."""

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest

from helpers.checks import arithmetic as ar
from helpers.core.errors import InputError, LedgerError
from helpers.core.findings import Finding, findings_frame
from helpers.ledger.load import load_ledger

from conftest import TINY_ROOT


@pytest.fixture(scope="module")
def toy():
    return load_ledger("toy_arith", root=TINY_ROOT)


@pytest.fixture(scope="module")
def tiny():
    return load_ledger("tiny", root=TINY_ROOT)


def cao2024():
    """The real ledger of the paper (data/published/cao2024)."""
    return load_ledger("cao2024")


def one(findings, check, **where) -> Finding:
    hits = [f for f in findings if f.check == check
            and all(getattr(f, k) == v for k, v in where.items())]
    assert len(hits) == 1, (check, where, [(f.item, f.verdict) for f in hits])
    return hits[0]


# ---------------------------------------------------------------- family 1 (scalar + map)

def test_percent_count_pass_and_flags():
    assert ar.percent_count("58.33", 70, 120) == "consistent"
    assert ar.percent_count("34.1", 41, 120, "half_up") == "inconsistent"   # needs truncation
    assert ar.percent_count("34.1", 41, 120, "truncate") == "consistent"
    res = ar.percent_count_result("43.33", 50, 120)
    assert (res.verdict, res.category) == ("inconsistent", "arithmetic")   # that is 52/120
    assert "52" in res.explanation
    assert ar.percent_count("50.0", 3, 7) == "impossible"
    assert ar.percent_count("<5", 3, 70) == "not testable"


def test_grim_percent_pass_flag_and_no_power():
    assert ar.grim_percent("30.0", 40) == "consistent"
    assert ar.grim_percent("55.56", 40) == "impossible"
    assert ar.grim_percent("34.1", 120, "half_up") == "inconsistent"       # only truncation
    assert ar.grim_percent("34.1", 120, "truncate") == "consistent"
    assert ar.grim_percent("45.3", 5000) == "not testable"


def test_map_versions_return_a_verdict_column():
    df = pd.DataFrame({"percent": ["66.7", "66.6", "50.0"], "count": [2, 2, 3],
                       "denominator": [3, 3, 7]})
    out = ar.percent_count_map(df, "half_up")
    assert list(out["verdict"]) == ["consistent", "inconsistent", "impossible"]
    # without the count, 66.6 % of 3 is still only a truncation of 2/3
    assert list(ar.grim_percent_map(df, "half_up")["verdict"]) == ["consistent", "inconsistent",
                                                                  "impossible"]


def test_map_bad_cell_names_row_and_field():
    df = pd.DataFrame({"percent": ["66.7", "x"], "count": [2, 2], "denominator": [3, 3]})
    with pytest.raises(InputError, match=r"my.csv, line 3: .*field 'percent'|my.csv, line 3, field 'percent'"):
        ar.percent_count_map(df, source="my.csv")


def test_rule_table_and_prevailing_rule(toy):
    table = ar.rule_table(toy)
    stage2 = table.set_index("row_id").loc["t1_stage_2"]
    assert stage2["truncate"] and not stage2["half_up"] and stage2["needs"] == "truncate"
    assert ar.prevailing_rule(toy) == "half_up"
    mix = ar.rule_mix(table).set_index("family")
    assert mix.loc["Table 1", "mixes rules"]               # 41.7 needs rounding, 34.1 truncation
    assert ar.resolve_rule("truncate", toy) == "truncate"
    assert ar.resolve_rule("auto", toy) == "half_up"


def test_percent_findings_on_fixtures(toy, tiny):
    found = ar.percent_findings(toy, "half_up")
    assert one(found, "percent_count", quantity="baseline.stage.ii").verdict == "inconsistent"
    assert one(found, "percent_count", quantity="baseline.stage.iii").verdict == "consistent"
    assert one(found, "grim_percent", quantity="response.dcr.line_later").verdict == "impossible"
    # the verdict follows the rule: under truncation the truncated row passes, a rounded one fails
    trunc = ar.percent_findings(toy, "truncate")
    assert one(trunc, "percent_count", quantity="baseline.stage.ii").verdict == "consistent"
    assert one(trunc, "percent_count", quantity="baseline.sex.female").verdict == "inconsistent"
    assert all(f.verdict == "consistent" for f in ar.percent_findings(tiny, "half_up"))


# ---------------------------------------------------------------- family 2

def test_level_and_percent_sums():
    assert ar.level_sum([70, 50], 120) == "consistent"
    assert ar.level_sum([50, 60], 120) == "inconsistent"
    assert ar.level_sum([50, 60], 120, complete=False) == "not testable"
    assert ar.level_sum([70, 60], 120, complete=False) == "inconsistent"
    assert ar.percent_sum(["33.3", "33.3", "33.3"]) == "consistent"        # 3 x 1/3
    assert ar.percent_sum(["62.8", "37.1"], "half_up") == "inconsistent"   # < 100 under rounding
    assert ar.percent_sum(["62.8", "37.1"], "truncate") == "consistent"
    assert ar.percent_sum(["60.0", "45.0"], complete=False) == "inconsistent"


def test_derived_rate():
    assert ar.derived_rate("45.0", [6, 48], 120) == "consistent"
    assert ar.derived_rate("37.5", [6, 48], 120) == "inconsistent"
    assert ar.derived_rate(None, [6, 48], 120, count=55) == "inconsistent"


def test_total_bounds():
    assert ar.total_bounds(12, [7, 5, 3], [7, 5, 3, 1], 120) == "consistent"
    assert ar.total_bounds(4, [7, 5], [7, 5, 1], 120) == "impossible"
    assert ar.total_bounds(30, [7, 5], [7, 5, 1], 120) == "inconsistent"
    assert ar.total_bounds(30, [7, 5], [7, 5, 1], 120, upper=False) == "consistent"
    assert ar.grades_of("<3") == {1, 2} and ar.grades_of(">=3") == {3, 4, 5}
    assert ar.grades_of("3-4") == {3, 4} and ar.grades_of("any") == set(range(1, 6))


def test_family2_findings_on_fixtures(toy, tiny):
    sums = ar.level_sum_findings(toy, "half_up")
    assert one(sums, "level_sum", item="Smoking (Table 1)").verdict == "inconsistent"
    assert one(sums, "level_sum", item="Best response (Table 2)").verdict == "consistent"
    rates = ar.derived_rate_findings(toy, "half_up")
    orr = [f for f in rates if f.quantity == "response.orr"]
    assert sorted(f.verdict for f in orr) == ["consistent", "consistent", "inconsistent"]
    bounds = ar.total_bounds_findings(toy, "half_up")
    assert one(bounds, "total_bounds", quantity="ae.any.ge3").verdict == "impossible"
    assert one(bounds, "total_bounds", quantity="ae.any.any").verdict == "consistent"
    clean = (ar.level_sum_findings(tiny, "half_up") + ar.derived_rate_findings(tiny, "half_up")
             + ar.total_bounds_findings(tiny, "half_up"))
    assert clean and all(f.verdict == "consistent" for f in clean)


# ---------------------------------------------------------------- family 4

def test_recombine_and_fitting_denominators():
    assert ar.recombine([("52.5", 80), ("30.0", 40)], "45.0", 120) == "consistent"
    assert ar.recombine([("85.0", 80), ("55.56", 40)], "78.3", 120) == "inconsistent"
    fits = ar.fitting_denominators(["30.0", "55.56"], "half_up", 120)
    assert fits == [90]
    assert 40 not in ar.fitting_denominators(["55.56"], "half_up", 120)


def test_subgroup_findings_on_toy(toy):
    rec = ar.subgroup_findings(toy, "half_up")
    verdicts = {(f.quantity, f.printed.rsplit("overall ", 1)[1]): f.verdict for f in rec}
    assert verdicts[("response.orr", "45.0%")] == "consistent"
    assert verdicts[("response.orr", "37.5%")] == "inconsistent"
    assert verdicts[("response.dcr", "78.3%")] == "inconsistent"
    den = ar.denominator_findings(toy, "half_up")
    later = one(den, "subgroup_denominators", item="size of subgroup Later (Line of therapy)")
    assert later.verdict == "impossible" and later.expected == "90"
    first = one(den, "subgroup_denominators", item="size of subgroup First (Line of therapy)")
    assert first.verdict == "consistent"


def test_unknown_population_names_file_line_and_field(tiny_copy):
    from conftest import edit_cell

    root, d = tiny_copy
    line = edit_cell(d / "counts.csv", "c3", "population", "no.such.quantity")
    ledger = load_ledger("tiny", root=root)
    with pytest.raises(LedgerError) as info:
        ar.subgroup_findings(ledger, "half_up")
    msg = str(info.value)
    assert "counts.csv" in msg and f"line {line}" in msg and "field 'population'" in msg


# ---------------------------------------------------------------- the real ledger

def _independent_half_up(count: int, n: int, printed: str) -> bool:
    """k/n at the printed precision with decimal.Decimal (an implementation independent of
    helpers.core.rounding)."""
    places = len(printed.split(".")[1]) if "." in printed else 0
    q = Decimal(1).scaleb(-places)
    return (Decimal(100 * count) / Decimal(n)).quantize(q, ROUND_HALF_UP) == Decimal(printed)


def test_cao2024_structural_facts():
    ledger = cao2024()
    rule = ar.prevailing_rule(ledger)
    assert rule == "half_up"
    findings = ar.percent_findings(ledger, rule)
    rows = ar.percent_rows(ledger)
    by_key = {(f.quantity, f.locators[0]): f for f in findings}
    checked = 0
    for _, r in rows.iterrows():
        if r["count"] is None:
            continue
        f = by_key[(r["quantity"], r["locator"])]
        if _independent_half_up(r["count"], r["denominator"], r["percent"]):
            assert f.verdict == "consistent", f
            checked += 1
        else:
            assert f.verdict != "consistent", f
    assert checked > 20
    # levels whose counts add up to their denominator are never flagged
    for f in ar.level_sum_findings(ledger, rule):
        terms = f.explanation.split(" = ")[0]
        total = sum(int(t) for t in terms.split(" + "))
        if total == int(f.expected):
            assert f.verdict == "consistent"
    # a subgroup whose stated size cannot give its rates gets the sizes that can, each verified
    den = [f for f in ar.denominator_findings(ledger, rule) if f.verdict == "impossible"]
    assert den
    table = ar.denominator_table(ledger, rule)
    for _, r in table[~table["stated_fits"]].iterrows():
        for d in r["fitting"]:
            assert all(any(_independent_half_up(k, d, x) for k in range(d + 1)) for x in r["rates"])
    frame = findings_frame(findings)
    assert set(frame["verdict"]) <= {"consistent", "inconsistent", "impossible", "not testable"}


def test_plots_build_on_the_toy_ledger(toy):
    from helpers.report import figures as plots

    findings = findings_frame(ar.percent_findings(toy, "half_up"))
    pair = plots.percent_deviation(plots.deviation_table(toy, None, findings))
    assert pair.interactive.data and pair.static.axes
    assert pair.png()[:4] == b"\x89PNG"
    for p in (plots.rule_heatmap(ar.rule_table(toy)), plots.ae_bands(toy),
              plots.total_bounds_plot(toy), plots.denominator_plot(ar.denominator_table(toy, "half_up"), toy.n),
              plots.timeline_plot(toy), plots.limits_plot(toy)):
        assert p.interactive.data and p.static.axes


def test_map_check_runs_any_scalar_check_and_names_bad_cells():
    df = pd.DataFrame({"row_id": ["a", "b"], "x": ["45.0", "37.5"], "n": [120, 120]})
    out = ar.map_check(ar.grim_percent, df, constants={"rule": "half_up"}, x="x", n="n")
    assert list(out["verdict"]) == ["consistent", "consistent"] and "explanation" in out
    bad = pd.DataFrame({"row_id": ["a", "b"], "x": ["45.0", "4x"], "n": [120, 120]})
    with pytest.raises(InputError, match=r"sheet.csv, line 3 \(row_id b\), field 'x'"):
        ar.map_check(ar.grim_percent, bad, "sheet.csv", x="x", n="n")
    with pytest.raises(InputError, match="field 'nope'"):
        ar.map_check(ar.grim_percent, df, x="nope", n="n")


def test_nested_totals_flag_a_narrow_band_above_a_wide_one(tmp_path):
    import shutil

    from conftest import edit_cell

    root = tmp_path / "published"
    shutil.copytree(TINY_ROOT / "toy_arith", root / "toy_arith")
    edit_cell(root / "toy_arith" / "adverse_events.csv", "r4_any_ge3", "count", "80")
    edit_cell(root / "toy_arith" / "adverse_events.csv", "r4_any_ge3", "percent", "66.7")
    found = ar.total_bounds_findings(load_ledger("toy_arith", root=root), "half_up")
    assert one(found, "nested_totals", quantity="ae.any.ge3").verdict == "impossible"
    assert one(found, "total_bounds", quantity="ae.any.ge3").verdict == "inconsistent"  # > 13 rows


def test_all_checks_on_cao2024_name_the_known_problems_and_only_them():
    from helpers.checks import appearances
    from helpers.checks import design as design_checks
    from helpers.checks import means
    from helpers.checks import sampling

    ledger = cao2024()
    rule = ar.prevailing_rule(ledger)
    found = (ar.percent_findings(ledger, rule) + ar.level_sum_findings(ledger, rule)
             + ar.derived_rate_findings(ledger, rule) + ar.total_bounds_findings(ledger, rule)
             + ar.subgroup_findings(ledger, rule) + ar.denominator_findings(ledger, rule)
             + appearances.appearance_findings(ledger, rule)
             + sampling.alternative_findings(ledger, rule, ledger.alpha)
             + means.mean_findings(ledger, rule) + means.sd_feasibility_findings(ledger, rule)
             + means.cutoff_findings(ledger, rule) + design_checks.limit_findings(ledger, rule)
             + design_checks.assessment_findings(ledger) + design_checks.followup_findings(ledger)
             + design_checks.alpha_findings(ledger, ledger.alpha))
    frame = findings_frame(found)
    flagged = frame[frame["verdict"].isin(["inconsistent", "impossible"])]
    contradictions = set(flagged[flagged["category"] == "contradiction"]["quantity"])
    assert "response.orr" in contradictions
    assert any(q.startswith("baseline.extrapulmonary") for q in contradictions)
    # one table prints the same fraction with two different percentages: it mixes rules
    mixed = ar.equal_fraction_findings(ledger, "ae.")
    assert any(f.verdict == "inconsistent" for f in mixed)
    # severities follow the one rule
    from helpers.core.findings import severity_for

    assert all(severity_for(v, c) == s for v, c, s in
               zip(frame["verdict"], frame["category"], frame["severity"]))
    # every flagged rounding finding is a printed percentage that half-up does not reproduce
    rows = ar.percent_rows(ledger).set_index(["quantity", "locator"])
    for _, f in flagged[flagged["check"] == "percent_count"].iterrows():
        r = rows.loc[(f["quantity"], f["locators"])]
        assert not _independent_half_up(r["count"], r["denominator"], r["percent"])


def test_equal_fractions():
    assert ar.equal_fractions(["25.22", "25.22"]) == "consistent"
    assert ar.equal_fractions(["25.22", "25.21"]) == "inconsistent"
    assert ar.equal_fractions(["25.2", "25.22"]) == "not testable"
    toy = load_ledger("toy_arith", root=TINY_ROOT)
    found = ar.equal_fraction_findings(toy)
    # 50/120 is printed 41.7 for Sex: Female and Smoking: Yes; 40/120 as 33.3 three times
    assert found and all(f.verdict == "consistent" for f in found)
