"""Families 1, 2 and 4: each scalar check passes on consistent made-up input and flags a planted
slip; the registered checks run on the tiny and toy_arith fixtures and on the cao2024 ledger."""

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
import pytest

from helpers.checks import arithmetic as ar
from helpers.checks import registry
from helpers.checks.policy import percent_rows
from helpers.checks.registry import Context, Example, Settings
from helpers.core.errors import InputError, LedgerError
from helpers.core.findings import Finding, findings_frame
from helpers.core.rounding import RULES
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


def run(name: str, ledger, rounding: str = "auto", scope=None) -> list[Finding]:
    """The findings of one registered check (raising, not isolating, errors)."""
    out = registry.run_check(name, Context(ledger, Settings(rounding=rounding), scope),
                             isolate=False)
    assert out.status == "ran", out.reason
    return out.findings


def one(findings, check, **where) -> Finding:
    hits = [f for f in findings if f.check == check
            and all(getattr(f, k) == v for k, v in where.items())]
    assert len(hits) == 1, (check, where, [(f.item, f.verdict) for f in hits])
    return hits[0]


def counts(*rows, **common) -> list[dict]:
    base = {"role": "level", "population": "all", "definition": "", "count": "", "percent": ""}
    return [{**base, **common, **{k: str(v) for k, v in r.items()}} for r in rows]


def example(tables, rounding="auto", scope=None) -> Context:
    ctx = Example("pass", tables=tables, scope=scope).context()
    return Context(ctx.ledger, Settings(rounding=rounding), scope)


# ---------------------------------------------------------------- family 1 (scalar + map)

def test_percent_count_pass_and_flags():
    assert ar.percent_count("58.33", 70, 120) == "consistent"
    assert ar.percent_count("34.1", 41, 120, "half_up") == "inconsistent"   # needs truncation
    assert ar.percent_count("34.1", 41, 120, "truncate") == "consistent"
    res = ar.percent_count_result("43.33", 50, 120)
    assert (res.verdict, res.category) == ("inconsistent", "contradiction")   # that is 52/120
    assert "52" in res.explanation
    assert ar.percent_count("50.0", 3, 7) == "impossible"
    assert ar.percent_count("<5", 3, 70) == "not testable"
    with pytest.raises(ValueError, match="do not make a proportion"):
        ar.percent_count("50.0", 8, 7)


@pytest.mark.parametrize("rule, verdicts", [
    # 1/8 = 12.5 % at 0 decimals: 13 under half-up, 12 under half-even and truncation;
    # 2/3 = 66.67 %: 66.7 rounding to nearest, 66.6 truncation
    ("half_up", {"13": "consistent", "12": "inconsistent", "66.7": "consistent",
                 "66.6": "inconsistent"}),
    ("half_even", {"13": "inconsistent", "12": "consistent", "66.7": "consistent",
                   "66.6": "inconsistent"}),
    ("truncate", {"13": "inconsistent", "12": "consistent", "66.7": "inconsistent",
                  "66.6": "consistent"}),
])
def test_percent_count_under_each_explicit_rule(rule, verdicts):
    for x, verdict in verdicts.items():
        k, n = (1, 8) if x in ("12", "13") else (2, 3)
        res = ar.percent_count_result(x, k, n, rule)
        assert res.verdict == verdict, (x, rule, res.explanation)
        if verdict == "inconsistent":
            assert res.category == "rounding" and res.values["rule_dependent"]
    # the registered check reads the requested rule: it rests on no inferred rule
    ctx = example({"counts": counts({"variable": "A", "level": "x", "count": 1, "percent": "13",
                                     "denominator": 8})}, rounding=rule)
    f = registry.get("percent_count").run(ctx)[0]
    assert f.verdict == verdicts["13"] and f.assumptions == ()


def test_percent_count_rule_dependent_flag_rests_on_the_inferred_rule():
    # three rows fit only rounding to nearest, one only truncation, at different places
    rows = counts({"variable": "A", "level": "a", "count": 2, "percent": "66.7", "denominator": 3,
                   "locator": "Table 1 / A: a"},
                  {"variable": "B", "level": "b", "count": 1, "percent": "16.7", "denominator": 6,
                   "locator": "Table 1 / B: b"},
                  {"variable": "C", "level": "c", "count": 2, "percent": "66.7", "denominator": 3,
                   "locator": "Table 2 / C: c"},
                  {"variable": "D", "level": "d", "count": 1, "percent": "16.6", "denominator": 6,
                   "locator": "Table 2 / D: d"})
    found = {f.locators[0]: f for f in registry.get("percent_count").run(example(
        {"counts": rows}))}
    # Table 2 mixes (66.7 only nearest, 16.6 only truncation): reported once by mixed_rounding
    assert found["Table 2 / D: d"].verdict == "consistent"
    assert "mixed-rounding" in found["Table 2 / D: d"].explanation
    mixed = registry.get("mixed_rounding").run(example({"counts": rows}))
    t2 = one(mixed, "mixed_rounding", item="rounding rule in Table 2")
    assert (t2.verdict, t2.severity, t2.assumptions) == ("inconsistent", "minor", ())
    assert one(mixed, "mixed_rounding", item="rounding rule in Table 1").verdict == "consistent"
    # with the rule requested, every cell is judged under it
    trunc = {f.locators[0]: f for f in registry.get("percent_count").run(example(
        {"counts": rows}, rounding="half_up"))}
    assert trunc["Table 2 / D: d"].verdict == "inconsistent"
    # a lone truncated value at a place that does not mix rests on the inferred rule
    lone = counts({"variable": "A", "level": "a", "count": 2, "percent": "66.7",
                   "denominator": 3, "locator": "Table 1 / A: a"},
                  {"variable": "B", "level": "b", "count": 5, "percent": "83.3",
                   "denominator": 6, "locator": "Table 1 / B: b"},
                  {"variable": "D", "level": "d", "count": 1, "percent": "16.6",
                   "denominator": 6, "locator": "Results ¶1"})
    f = {f.locators[0]: f for f in registry.get("percent_count").run(example({"counts": lone}))}
    # Results ¶1 has one value, fitting only truncation: its place rule is truncation
    assert f["Results ¶1"].verdict == "consistent"


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
    assert list(out["rules"]) == [("half_up", "half_even"), ("truncate",), ()]
    assert list(ar.percent_count_map(df, rule="truncate")["verdict"]) == \
        ["inconsistent", "consistent", "impossible"]
    # without the count, 66.6 % of 3 is still only a truncation of 2/3
    assert list(ar.grim_percent_map(df, "half_up")["verdict"]) == ["consistent", "inconsistent",
                                                                  "impossible"]


def test_map_bad_cell_names_row_and_field():
    df = pd.DataFrame({"percent": ["66.7", "x"], "count": [2, 2], "denominator": [3, 3]})
    with pytest.raises(InputError, match=r"my.csv, line 3.*field 'percent'"):
        ar.percent_count_map(df, source="my.csv")
    with pytest.raises(InputError, match="field 'pct'"):
        ar.percent_count_map(df, x="pct")


def test_percent_checks_on_fixtures(toy, tiny):
    found = run("percent_count", toy, "half_up")
    assert one(found, "percent_count", quantity="baseline.stage.ii").verdict == "inconsistent"
    assert one(found, "percent_count", quantity="baseline.stage.iii").verdict == "consistent"
    grim = run("grim_percent", toy, "half_up")
    assert one(grim, "grim_percent", quantity="response.dcr.line_later").verdict == "impossible"
    # the verdict follows the rule: under truncation the truncated row passes, a rounded one fails
    trunc = run("percent_count", toy, "truncate")
    assert one(trunc, "percent_count", quantity="baseline.stage.ii").verdict == "consistent"
    females = [f for f in trunc if f.quantity == "baseline.sex.female"]
    assert females and all(f.verdict == "inconsistent" for f in females)
    assert all(f.verdict == "consistent" for f in run("percent_count", tiny))
    # toy Table 1 mixes rules (41.7 only rounding, 34.1 only truncation): under auto, one finding
    mixed = run("mixed_rounding", toy)
    assert one(mixed, "mixed_rounding", item="rounding rule in Table 1").verdict == "inconsistent"
    auto = run("percent_count", toy)
    assert not [f for f in auto if f.flagged and f.locators[0].startswith("Table 1")]


def test_scope_limits_the_rows(toy):
    base = run("percent_count", toy, "half_up", scope=("baseline.",))
    assert base and all(f.quantity.startswith("baseline.") for f in base)


def test_equal_fractions():
    assert ar.equal_fractions(["25.22", "25.22"]) == "consistent"
    assert ar.equal_fractions(["25.22", "25.21"]) == "inconsistent"
    assert ar.equal_fractions(["25.2", "25.22"]) == "not testable"
    toy = load_ledger("toy_arith", root=TINY_ROOT)
    found = run("equal_fractions", toy)
    # 50/120 is printed 41.7 for Sex: Female and Smoking: Yes; 40/120 as 33.3 three times
    assert found and all(f.verdict == "consistent" for f in found)


# ---------------------------------------------------------------- family 2

def test_level_and_percent_sums():
    assert ar.level_sum([70, 50], 120) == "consistent"
    assert ar.level_sum([50, 60], 120) == "inconsistent"
    assert ar.level_sum([50, 60], 120, complete=False) == "not testable"
    assert ar.level_sum([70, 60], 120, complete=False) == "inconsistent"
    assert ar.percent_sum(["33.3", "33.3", "33.3"]) == "consistent"        # 3 x 1/3
    res = ar.percent_sum_result(["62.8", "37.1"], "half_up")               # < 100 under rounding
    assert (res.verdict, res.category, res.values["rule_dependent"]) == \
        ("inconsistent", "rounding", True)
    assert ar.percent_sum(["62.8", "37.1"], "truncate") == "consistent"
    far = ar.percent_sum_result(["60.0", "30.0"])                          # no rule reaches 100
    assert (far.verdict, far.category) == ("inconsistent", "arithmetic")
    assert ar.percent_sum(["60.0", "45.0"], complete=False) == "inconsistent"


def test_derived_rate_arithmetic_impossible_and_rounding():
    assert ar.derived_rate("45.0", [6, 48], 120) == "consistent"
    wrong = ar.derived_rate_result("37.5", [6, 48], 120)                   # 54/120 = 45.0 %
    assert (wrong.verdict, wrong.category) == ("inconsistent", "arithmetic")
    assert ar.derived_rate(None, [6, 48], 120, count=55) == "inconsistent"
    assert ar.derived_rate(None, [60, 70], 120) == "inconsistent"           # more than n
    # no count out of 7 gives 50.0 %: impossible, whatever the parts
    imp = ar.derived_rate_result("50.0", [1, 2], 7)
    assert (imp.verdict, imp.category) == ("impossible", "rounding")
    # 2/3 printed 66.6: only truncation gives it
    trunc = ar.derived_rate_result("66.6", [1, 1], 3, "half_up")
    assert (trunc.verdict, trunc.category) == ("inconsistent", "rounding")
    assert ar.derived_rate("66.6", [1, 1], 3, "truncate") == "consistent"


def test_derived_rate_outside_response_rows():
    rows = counts({"variable": "ECOG", "level": "0", "count": 3, "denominator": 10,
                   "quantity": "baseline.ecog.0", "locator": "Table 1 / ECOG: 0"},
                  {"variable": "ECOG", "level": "1", "count": 4, "denominator": 10,
                   "quantity": "baseline.ecog.1", "locator": "Table 1 / ECOG: 1"},
                  {"variable": "ECOG", "level": "0-1", "role": "rate", "definition": "0+1",
                   "count": 8, "denominator": 10, "quantity": "baseline.ecog.0_1",
                   "locator": "Table 1 / ECOG: 0-1"},
                  {"variable": "ECOG", "level": "0-1", "role": "rate", "definition": "0 + 1",
                   "percent": "70.0", "denominator": 10, "quantity": "baseline.ecog.0_1",
                   "locator": "Results ¶1"})
    found = registry.get("derived_rate").run(example({"counts": rows}, scope=("baseline.",)))
    verdicts = {f.locators[0]: f for f in found}
    assert verdicts["Table 1 / ECOG: 0-1"].verdict == "inconsistent"      # 3 + 4 is not 8
    assert verdicts["Table 1 / ECOG: 0-1"].assumptions == ()
    text = verdicts["Results ¶1"]
    assert text.verdict == "consistent" and "Table 1 / ECOG: 0" in text.locators


def test_derived_rate_with_parts_elsewhere_rests_on_same_quantity():
    rows = counts({"variable": "R", "level": "CR", "count": 1, "denominator": 10,
                   "quantity": "response.cr", "locator": "Table 2 / CR"},
                  {"variable": "R", "level": "PR", "count": 2, "denominator": 10,
                   "quantity": "response.pr", "locator": "Table 2 / PR"},
                  {"variable": "R", "level": "ORR", "role": "rate", "definition": "CR+PR",
                   "percent": "40.0", "denominator": 10, "quantity": "response.orr",
                   "locator": "Abstract"})
    f = registry.get("derived_rate").run(example({"counts": rows}))[0]
    assert f.verdict == "inconsistent" and f.assumptions == ("same_quantity",)


def test_total_bounds():
    assert ar.total_bounds(12, [7, 5, 3], [7, 5, 3, 1], 120) == "consistent"
    assert ar.total_bounds(4, [7, 5], [7, 5, 1], 120) == "impossible"
    assert ar.total_bounds(30, [7, 5], [7, 5, 1], 120) == "inconsistent"
    assert ar.total_bounds(30, [7, 5], [7, 5, 1], 120, upper=False) == "consistent"
    assert ar.grades_of("<3") == {1, 2} and ar.grades_of(">=3") == {3, 4, 5}
    assert ar.grades_of("3-4") == {3, 4} and ar.grades_of("any") == set(range(1, 6))
    assert ar.disjoint_cells({"<3": 5, ">=3": 2, "any": 7}, set(range(1, 6))) == {"any": 7}
    assert ar.disjoint_cells({"3-4": 2, "5": 1, "any": 7}, {3, 4, 5}) == {"3-4": 2, "5": 1}


def _ae(event, band, count, role="event", den=20, locator=None):
    return {"event": event, "grade_band": band, "role": role, "count": str(count), "percent": "",
            "denominator": str(den), "quantity": f"ae.{event.lower()}.{band}",
            "locator": locator or f"Table 4 / {event}: {band}"}


def test_total_bounds_never_adds_nested_bands():
    # Nausea: 5 of grade <3, 2 of grade >=3 and 7 of any grade; Rash 3 of any grade.
    # Patients with any event of any grade: at least 7 (Nausea), so 8 is fine; adding the
    # nested cells would claim 5 + 2 + 7 = 14 Nausea patients and make 8 impossible.
    rows = [_ae("Nausea", "<3", 5), _ae("Nausea", ">=3", 2), _ae("Nausea", "any", 7),
            _ae("Rash", "any", 3), _ae("ANY", "any", 8, "total", locator="Results ¶4"),
            _ae("ANY", ">=3", 3, "total", locator="Results ¶4")]
    found = {f.item: f for f in registry.get("total_bounds").run(example(
        {"adverse_events": rows}))}
    assert found["patients with any event, grade any"].verdict == "consistent"
    assert found["patients with any event, grade any"].expected == "[7, 20]"
    # grade >= 3: only Nausea's 2 lie inside; 3 > 2 needs an event the table omits
    assert found["patients with any event, grade >=3"].verdict == "inconsistent"


def test_nested_bands_of_one_event():
    assert ar.nested_band_result(">=3", 2, "any", 7).verdict == "consistent"
    res = ar.nested_band_result(">=3", 9, "any", 7)
    assert (res.verdict, res.category) == ("impossible", "arithmetic")
    with pytest.raises(ValueError, match="not inside"):
        ar.nested_band_result("any", 1, ">=3", 2)
    rows = [_ae("Nausea", ">=3", 4), _ae("Nausea", "any", 3), _ae("Rash", "5", 1),
            _ae("Rash", ">=3", 2)]
    found = {f.item: f for f in registry.get("nested_bands").run(example(
        {"adverse_events": rows}))}
    assert found["Nausea: grade >=3 within grade any"].verdict == "impossible"
    assert found["Rash: grade 5 within grade >=3"].verdict == "consistent"
    assert found["Nausea: grade >=3 within grade any"].assumptions == ()


def test_family2_checks_on_fixtures(toy, tiny):
    sums = run("level_sum", toy)
    assert one(sums, "level_sum", item="Smoking (Table 1)").verdict == "inconsistent"
    assert one(sums, "level_sum", item="Best response (Table 2)").verdict == "consistent"
    orr = [f for f in run("derived_rate", toy, "half_up") if f.quantity == "response.orr"]
    assert sorted(f.verdict for f in orr) == ["consistent", "consistent", "inconsistent"]
    bounds = run("total_bounds", toy)
    assert one(bounds, "total_bounds", quantity="ae.any.ge3").verdict == "impossible"
    assert one(bounds, "total_bounds", quantity="ae.any.any").verdict == "consistent"
    clean = run("level_sum", tiny) + run("derived_rate", tiny)
    assert clean and all(f.verdict == "consistent" for f in clean)


def test_nested_totals_flag_a_narrow_band_above_a_wide_one(tmp_path):
    import shutil

    from conftest import edit_cell

    root = tmp_path / "published"
    shutil.copytree(TINY_ROOT / "toy_arith", root / "toy_arith")
    edit_cell(root / "toy_arith" / "adverse_events.csv", "r4_any_ge3", "count", "80")
    edit_cell(root / "toy_arith" / "adverse_events.csv", "r4_any_ge3", "percent", "66.7")
    ledger = load_ledger("toy_arith", root=root)
    nested = run("nested_bands", ledger)
    assert one(nested, "nested_bands", quantity="ae.any.ge3").verdict == "impossible"
    bounds = run("total_bounds", ledger)
    assert one(bounds, "total_bounds", quantity="ae.any.ge3").verdict == "inconsistent"  # > rows


# ---------------------------------------------------------------- family 4

def test_recombine_and_fitting_denominators():
    assert ar.recombine([("52.5", 80), ("30.0", 40)], "45.0", 120) == "consistent"
    assert ar.recombine([("85.0", 80), ("55.56", 40)], "78.3", 120) == "inconsistent"
    fits = ar.fitting_denominators(["30.0", "55.56"], "half_up", 120)
    assert fits == [90]
    assert 40 not in ar.fitting_denominators(["55.56"], "half_up", 120)
    # a printed count decides: 3 (30.0 %) fits only n = 10 in 1..120
    assert ar.fitting_denominators(["30.0"], "half_up", 120, counts=[3]) == [10]


def test_subgroup_checks_on_toy(toy):
    rec = run("subgroup_recombination", toy, "half_up")
    verdicts = {(f.quantity, f.printed.rsplit("overall ", 1)[1]): f.verdict for f in rec}
    assert verdicts[("response.orr", "45.0%")] == "consistent"
    assert verdicts[("response.orr", "37.5%")] == "inconsistent"
    assert verdicts[("response.dcr", "78.3%")] == "inconsistent"
    den = run("subgroup_denominators", toy, "half_up")
    later = one(den, "subgroup_denominators", item="size of subgroup Later (Line of therapy)")
    assert later.verdict == "impossible" and later.expected == "90"
    first = one(den, "subgroup_denominators", item="size of subgroup First (Line of therapy)")
    assert first.verdict == "consistent"


def _subgroups(rate_row: dict, size_rows=None) -> dict:
    size_rows = size_rows or [
        {"variable": "Line", "level": "First", "count": 8, "denominator": 12,
         "quantity": "baseline.line.first"},
        {"variable": "Line", "level": "Later", "count": 4, "denominator": 12,
         "quantity": "baseline.line.later"}]
    return {"counts": counts(*size_rows, {"variable": "R", "level": "ORR", "role": "rate",
                                          "definition": "CR+PR", **rate_row})}


def test_subgroup_tie_is_a_rounding_question_never_impossible():
    # 1/8 = 12.5 % printed 12 (a tie at 0 decimals): half-up gives 13, half-even 12; another
    # tie printed upwards (5/8 = 62.5 % as 63) makes half-up the study's rule
    tables = _subgroups({"count": 1, "percent": "12", "denominator": 8,
                         "population": "baseline.line.first", "quantity": "response.orr.first"})
    tables["counts"] += counts({"variable": "X", "level": "x", "count": 5, "percent": "63",
                                "denominator": 8, "quantity": "baseline.x"})
    f = registry.get("subgroup_denominators").run(example(tables))[0]
    assert (f.verdict, f.category) == ("inconsistent", "rounding")
    assert f.assumptions == ("rounding_rule_inferred",) and "halfway" in f.explanation
    g = registry.get("subgroup_denominators").run(example(tables, rounding="half_even"))[0]
    assert g.verdict == "consistent"


def test_subgroups_not_marked_as_a_partition_get_no_sums_to_n():
    sizes = [{"variable": "Line", "level": "First", "count": 8, "denominator": 12,
              "quantity": "baseline.line.first"},
             {"variable": "Smoking", "level": "Yes", "count": 4, "denominator": 12,
              "quantity": "baseline.smoking.yes"}]
    tables = _subgroups({"percent": "55.56", "denominator": 8,
                         "population": "baseline.line.first", "quantity": "response.orr.first"},
                        sizes)
    tables["counts"] += counts({"variable": "R", "level": "ORR", "role": "rate",
                                "definition": "CR+PR", "percent": "25.0", "denominator": 4,
                                "population": "baseline.smoking.yes",
                                "quantity": "response.orr.smokers"},
                               {"variable": "R", "level": "ORR", "role": "rate",
                                "definition": "CR+PR", "percent": "50.0", "denominator": 12,
                                "quantity": "response.orr"})
    ctx = example(tables)
    den = registry.get("subgroup_denominators").run(ctx)
    first = [f for f in den if "First" in f.item][0]
    assert first.verdict == "impossible" and "N =" not in first.explanation
    rec = registry.get("subgroup_recombination").run(ctx)
    assert rec and all(f.verdict == "not testable" for f in rec)


def test_unknown_population_names_file_line_and_field(tiny_copy):
    from conftest import edit_cell

    root, d = tiny_copy
    line = edit_cell(d / "counts.csv", "c3", "population", "no.such.quantity")
    # a dangling population is refused when the ledger is loaded, before any check runs
    with pytest.raises(LedgerError) as info:
        load_ledger("tiny", root=root)
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
    findings = run("percent_count", ledger, "half_up")
    rows = percent_rows(ledger)
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
    for f in run("level_sum", ledger):
        terms = f.explanation.split(" = ")[0]
        if sum(int(t) for t in terms.split(" + ")) == int(f.expected):
            assert f.verdict == "consistent"
    # a subgroup whose stated size cannot give its rates gets the sizes that can, each verified
    assert [f for f in run("subgroup_denominators", ledger) if f.verdict == "impossible"]
    table = ar.denominator_table(ledger, "half_up")
    for _, r in table[~table["stated_fits"]].iterrows():
        for d in r["fitting"]:
            assert all(any(_independent_half_up(k, d, x) for k in range(d + 1)) for x in r["rates"])


def test_cao2024_auto_reports_mixed_places_once():
    ledger = cao2024()
    mixed = [f for f in run("mixed_rounding", ledger) if f.flagged]
    assert mixed and all(f.severity == "minor" and f.category == "rounding" for f in mixed)
    places = {f.item for f in mixed}
    cells = [f for f in run("percent_count", ledger) + run("grim_percent", ledger) if f.flagged]
    # no cell at a mixed place is flagged for fitting only another rule
    for f in cells:
        assert not (f"rounding rule in {f.locators[0].split(' / ')[0]}" in places
                    and f.category == "rounding" and f.verdict == "inconsistent"), f


def test_plots_build_on_the_toy_ledger(toy):
    from helpers.report import figures as plots

    findings = findings_frame(run("percent_count", toy, "half_up"))
    fig = plots.percent_deviation(plots.deviation_table(toy, None, findings))
    figs = [fig]
    from helpers.checks.policy import rule_table

    for p in (plots.rule_heatmap(rule_table(toy)), plots.ae_bands(toy),
              plots.denominator_plot(ar.denominator_table(toy, "half_up"), toy.n)):
        figs.append(p)
    for f in figs:   # one interactive figure per result, with data and a title
        f = getattr(f, "interactive", f)
        assert f.data and f.layout.title.text


def test_every_arithmetic_finding_on_cao2024_follows_the_evidence_rules():
    from helpers.core.evidence import severity_for

    ledger = cao2024()
    runs = registry.run_family(["arithmetic", "appearances"], Context(ledger), isolate=False)
    assert all(r.status == "ran" for r in runs), [(r.check.name, r.reason) for r in runs]
    frame = findings_frame(registry.findings_of(runs))
    assert set(frame["verdict"]) <= {"consistent", "inconsistent", "impossible", "not testable"}
    assert all(severity_for(v, c, s, w) == sev for v, c, s, w, sev in
               zip(frame["verdict"], frame["category"], frame["strength"], frame["weight"],
                   frame["severity"]))
    # an 'impossible' rests on arithmetic alone
    assert (frame.loc[frame["verdict"] == "impossible", "assumptions"] == "").all()
    # one table prints the same fraction with two different percentages
    assert any(f.verdict == "inconsistent" for f in run("equal_fractions", ledger, scope=("ae.",)))
    # every flagged percent_count under half-up is a value half-up does not reproduce
    rows = percent_rows(ledger).set_index(["quantity", "locator"])
    for f in run("percent_count", ledger, "half_up"):
        if f.flagged:
            r = rows.loc[(f.quantity, f.locators[0])]
            assert not _independent_half_up(r["count"], r["denominator"], r["percent"])


def test_an_unreadable_grade_band_names_file_line_and_field(tmp_path):
    import shutil

    from conftest import edit_cell

    root = tmp_path / "published"
    shutil.copytree(TINY_ROOT / "toy_arith", root / "toy_arith")
    line = edit_cell(root / "toy_arith" / "adverse_events.csv", "t4_rash_ge3", "grade_band",
                     "severe")
    ledger = load_ledger("toy_arith", root=root)
    for name in ("total_bounds", "nested_bands"):
        with pytest.raises(LedgerError, match=rf"adverse_events.csv, line {line} .*field "
                                              r"'grade_band'"):
            run(name, ledger)
    # isolated, the run records the failure with the message instead of crashing the notebook
    failed = registry.run_check("total_bounds", Context(ledger))
    assert failed.status == "failed" and "grade_band" in failed.reason
