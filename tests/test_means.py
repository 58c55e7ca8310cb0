"""Family 5: GRIM and GRIMMER for means, SD bounds (inclusion limits, printed range), shares
beyond cut-offs. Made-up numbers only."""

import pandas as pd
import pytest

from helpers.checks import means as me
from helpers.checks import registry
from helpers.checks.registry import Context, Example
from helpers.ledger.load import load_ledger

from conftest import TINY_ROOT
from test_arithmetic import cao2024


def run(name, tables, **settings):
    ctx = Example("pass", tables=tables, settings=settings).context()
    out = registry.run_check(name, ctx, isolate=False)
    assert out.status == "ran", out.reason
    return out.findings


def summary(**kw):
    row = {"population": "all", "statistic": "mean_sd"}
    row.update({k: str(v) for k, v in kw.items()})
    return row


@pytest.fixture(scope="module")
def toy():
    return load_ledger("toy_arith", root=TINY_ROOT)


# -- scalars -----------------------------------------------------------------------------

def test_grim_mean():
    assert me.grim_mean("3.45", 20) == "consistent"            # 69 / 20
    assert me.grim_mean("3.47", 20) == "impossible"
    assert me.grim_mean("45.3", 120) == "not testable"          # no power: 1/120 < 0.1
    assert me.grim_mean("3.4", 20, granularity=None) == "not testable"
    assert me.grim_mean("3.4", 20, granularity="") == "not testable"
    assert me.grim_mean("2.25", 10, granularity="0.5") == "consistent"   # 45 halves / 10
    assert me.grim_mean("2.27", 10, granularity="0.5") == "impossible"
    assert me.grim_mean("3.45", "20") == "consistent"           # n as printed text
    with pytest.raises(ValueError):
        me.grim_mean("3.45", 0)


def test_grim_mean_rule_dependence():
    # 104/30 = 3.4667: truncates to 3.46, rounds to 3.47; no sum gives 3.46 when rounding
    res = me.grim_mean_result("3.46", 30, "half_up")
    assert res.verdict == "inconsistent" and res.values["rule_dependent"]
    assert me.grim_mean("3.46", 30, "truncate") == "consistent"


def test_grimmer():
    # 1,2,3,4,5 x4 (n=20): mean 3.00, SD 1.451... -> 1.45
    assert me.grimmer("3.00", "1.45", 20) == "consistent"
    assert me.grimmer("3.45", "1.22", 20) == "impossible"
    assert me.grimmer("3.45", "1.23", 20) == "consistent"
    assert me.grimmer("3.47", "1.23", 20) == "not testable"     # mean already fails GRIM
    assert me.grimmer("45.3", "9.9", 120) == "not testable"
    assert me.grimmer("3.45", "1.22", 20, granularity=None) == "not testable"


def test_sd_feasible():
    assert me.sd_feasible("45.3", "9.9", 120, 18, 75) == "consistent"
    assert me.sd_feasible("0.5", "0.9", 120, 0, 1) == "impossible"
    assert me.sd_feasible("80", "5", 50, 18, 65) == "not testable"   # mean outside: design check
    assert me.max_sd(0.5, 2, 0, 1) == pytest.approx(0.7071, abs=1e-4)   # {0, 1}


def test_sd_range_scalar_both_ways():
    # 50 values between a minimum printed "40" and a maximum printed "60", mean 50: read in the
    # paper's favour the range is 39.5-60.5, so the SD is at most sqrt(50/49) * 10.5 = 10.61
    res = me.sd_range_result("50.0", "30.0", 50, "40", "60")
    assert res.verdict == "impossible" and res.assumptions == ()
    assert res.values["bound"] == pytest.approx(10.61, abs=0.01)
    assert me.sd_range("50.0", "10.0", 50, "40", "60") == "consistent"
    assert me.sd_range("50.0", "10.6", 50, "40", "60") == "consistent"   # from 10.55
    assert me.sd_range("50.0", "10.7", 50, "40", "60") == "impossible"   # from 10.65
    # a mean outside its own range
    res = me.sd_range_result("65.0", "1.0", 50, "40", "60")
    assert res.verdict == "impossible" and "outside the printed range" in res.explanation


def test_sd_range_is_tighter_than_inclusion_limits():
    # within inclusion limits 18-90 the SD is possible; within the printed range 30-40 it is not
    assert me.sd_feasible("35.0", "8.0", 40, 18, 90) == "consistent"
    assert me.sd_range("35.0", "8.0", 40, "30", "40") == "impossible"


def test_name_matching():
    names = ["Age", "Maximum tumour diameter", "Albumin", "Prothrombin time", "Blood platelet",
             "C-reactive protein"]
    assert me.match_name("CRP", names) == "C-reactive protein"
    assert me.match_name("PT", names) == "Prothrombin time"
    assert me.match_name("ALB", names) == "Albumin"
    assert me.match_name("PLT", names) == "Blood platelet"
    assert me.match_name("Age", names) == "Age"
    assert me.match_name("Sex", names) is None
    assert me.parse_cutoff(">=200×10^9/L") == (">=", 200.0)
    assert me.parse_cutoff("≥ 10cm") == (">=", 10.0) and me.parse_cutoff("Male") is None


def test_cutoff_share_scalar():
    assert me.cutoff_share(">=60", "45.3", "9.9", 120, count=80) == "impossible"   # > Cantelli
    assert me.cutoff_share(">=60", "45.3", "9.9", 120, count=10) == "consistent"
    assert me.cutoff_share(">=60", "45.3", "9.9", 120) == "not testable"
    # 45.0 ± 5.0 (n = 200): normal share beyond 50 is ~16 %; 2 of 200 is possible (Cantelli
    # allows 50 %) but far from normal -> implausible, resting on normality
    res = me.cutoff_share_result(">=50", "45.0", "5.0", 200, count=2)
    assert res.verdict == "implausible" and res.assumptions == ("normal_distribution",)
    assert me.cutoff_share(">=50", "45.0", "5.0", 200, count=0) == "implausible"
    with pytest.raises(ValueError):
        me.cutoff_share("Male", "45.0", "5.0", 200)


# -- map versions --------------------------------------------------------------------------

def test_map_versions():
    df = pd.DataFrame({"center": ["3.45", "3.47"], "sd": ["1.23", "1.2"], "n": [20, 20],
                       "granularity": ["1", "1"]})
    assert list(me.grim_mean_map(df)["verdict"]) == ["consistent", "impossible"]
    assert list(me.grimmer_map(df)["verdict"]) == ["consistent", "not testable"]
    assert list(me.grim_mean_map(df, "truncate")["verdict"]) == ["consistent", "impossible"]


def test_grim_mean_map_blank_granularity_is_not_testable_not_an_error():
    """Bug fix: a blank granularity (continuous data) stopped the map with InputError while the
    scalar says 'not testable'."""
    df = pd.DataFrame({"center": ["3.45", "3.4", "3.47"], "n": ["20", "20", "20"],
                       "granularity": ["1", "", None]})
    out = me.grim_mean_map(df)
    assert list(out["verdict"]) == ["consistent", "not testable", "not testable"]
    assert list(me.grimmer_map(df.assign(sd=["1.23", "1.2", "1.2"]))["verdict"]) == [
        "consistent", "not testable", "not testable"]
    # no granularity column at all: continuous data throughout
    assert set(me.grim_mean_map(df.drop(columns="granularity"))["verdict"]) == {"not testable"}


def test_sd_maps():
    df = pd.DataFrame({"center": ["50.0", "50.0"], "sd": ["30.0", "10.0"], "n": [50, 50],
                       "low": ["40", "40"], "high": ["60", "60"]})
    out = me.sd_range_map(df)
    assert list(out["verdict"]) == ["impossible", "consistent"]
    assert out["bound"].iloc[0] == pytest.approx(10.61, abs=0.01)
    lim = df.assign(limit_low=[40, 40], limit_high=[60, 60])
    assert list(me.sd_feasible_map(lim)["verdict"]) == ["impossible", "consistent"]


# -- registered checks ----------------------------------------------------------------------

def test_grim_check_reads_each_place_rule_from_the_policy():
    row = summary(variable="Cycles", center="3.46", sd="1.00", n=30, granularity=1)
    tables = {"summaries": [row]}
    [f] = run("grim_mean", tables, rounding="truncate")
    assert f.verdict == "consistent"
    [f] = run("grim_mean", tables, rounding="half_up")      # requested: no inferred rule
    assert f.verdict == "inconsistent" and f.assumptions == ("data_granularity",)
    [f] = run("grim_mean", tables)                          # auto: the verdict rests on it
    assert f.verdict == "inconsistent"
    assert f.assumptions == ("data_granularity", "rounding_rule_inferred")


def test_grim_check_row_without_granularity_is_not_testable():
    [f] = run("grim_mean", {"summaries": [summary(variable="Weight", center="3.47", sd="1.2",
                                                  n=20)]})
    assert f.verdict == "not testable" and "continuous" in f.explanation


def test_sd_range_check_links_rows_of_the_same_variable_and_population():
    tables = {"summaries": [
        summary(variable="Weight", center="70.0", sd="30.0", n=50, locator="Table 1 / Weight"),
        summary(variable="Weight", statistic="median_range", center="69", low="60", high="80",
                n=50, locator="Results ¶1"),
        summary(variable="Weight", statistic="median_range", center="69", low="20", high="140",
                n=30, population="baseline.sex.male", locator="Table 2 / Weight")],
        "counts": [{"variable": "Sex", "level": "Male", "role": "level", "count": "30",
                    "denominator": "50", "population": "all", "quantity": "baseline.sex.male"}]}
    [f] = run("sd_range", tables)
    assert f.verdict == "impossible" and f.assumptions == ()
    assert f.locators == ("Table 1 / Weight", "Results ¶1")


def test_sd_range_check_mean_row_with_its_own_range_and_differing_n():
    own = summary(variable="Height", center="170.0", sd="25.0", n=40, low="160", high="180")
    [f] = run("sd_range", {"summaries": [own]})
    assert f.verdict == "impossible"
    tables = {"summaries": [
        summary(variable="Weight", center="70.0", sd="30.0", n=50),
        summary(variable="Weight", statistic="median_range", center="69", low="60", high="80",
                n=45)]}
    [f] = run("sd_range", tables)
    assert f.verdict == "not testable" and "different numbers" in f.explanation


def test_sd_range_runs_without_pairs():
    assert run("sd_range", {"summaries": [summary(variable="Weight", center="70.0", sd="9.0",
                                                  n=50)]}) == []


def test_cutoff_check_reads_counts_and_hazard_ratio_levels():
    tables = {"summaries": [summary(variable="Age", center="45.0", sd="5.0", n=50)],
              "hazard_ratios": [{"model": "univariable", "endpoint": "OS", "variable": "Age",
                                 "level": ">=60", "reference": "<60", "role": "estimate",
                                 "hr": "1.5", "n_level": "40"}]}
    [f] = run("cutoff_share", tables)
    assert f.verdict == "impossible" and "Cantelli" in f.explanation
    tables["hazard_ratios"][0]["n_level"] = ""
    [f] = run("cutoff_share", tables)
    assert f.verdict == "not testable"


def test_findings_on_fixtures(toy):
    ctx = Context(toy)
    verdict = {(r.check.name, f.quantity): f.verdict
               for r in registry.run_family("means", ctx) for f in r.findings}
    # GRIM-type verdicts rest on the data lying on the stated grid: inconsistent, not impossible
    assert verdict[("grim_mean", "treatment.cycles_c")] == "inconsistent"
    assert verdict[("grim_mean", "treatment.cycles_a")] == "consistent"
    assert verdict[("grimmer", "treatment.cycles_b")] == "inconsistent"
    assert verdict[("grimmer", "treatment.cycles_a")] == "consistent"
    assert verdict[("sd_feasible", "baseline.age")] == "consistent"
    assert verdict[("sd_feasible", "baseline.ecog")] == "impossible"
    assert verdict[("sd_range", "baseline.age")] == "consistent"
    assert verdict[("cutoff_share", "baseline.age")] == "impossible"   # beats Cantelli
    tiny = Context(load_ledger("tiny", root=TINY_ROOT))
    assert not any(f.flagged for r in registry.run_family("means", tiny) for f in r.findings)


def test_cao2024_behaviour_kept():
    ledger = cao2024()
    table = me.cutoff_table(ledger)
    assert {"Age", "ALB", "PT", "PLT", "CRP"} <= set(table["variable"])
    shares = table.dropna(subset=["implied_share"])
    assert ((shares["implied_share"] > 0) & (shares["implied_share"] < 100)).all()
    runs = {r.check.name: r for r in registry.run_family("means", Context(ledger))}
    assert all(r.status == "ran" for r in runs.values())
    assert {f.verdict for f in runs["cutoff_share"].findings} == {"not testable"}
    for name in ("grim_mean", "grimmer", "sd_feasible", "sd_range"):
        assert all(f.verdict in ("not testable", "consistent") for f in runs[name].findings)
    assert runs["sd_feasible"].findings
