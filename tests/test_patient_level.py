"""Patient-level tables and the checks that hold a ledger against patient data.

Each check has a case where it must pass (the NCCTG reference ledger against the NCCTG data, or the
tiny made-up ledger against a made-up cohort built from it) and one where it must flag (the same
ledger with one printed number moved)."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy.stats import beta

from types import SimpleNamespace

from helpers.checks import registry
from helpers.checks.patient_level import ipd_matches, ipd_matches_map
from helpers.checks.registry import Context, Settings
from helpers.cohort.datasets import load_ncctg_lung
from helpers.cohort.ipd import validate_ipd
from helpers.cohort.survival import design_matrix, km_summary
from helpers.cohort.tables import (adverse_event_rates, comparison_table, exact_ci,
                                   patient_baseline_table, response_rates)
from helpers.core.findings import findings_frame
from helpers.core.paths import published_root
from helpers.core.printed import format_at, parse_printed
from helpers.ledger.load import load_ledger

from conftest import TINY_ROOT, edit_cell

CHECKS = ("cohort_size_matches_ipd", "baseline_matches_ipd", "response_matches_ipd",
          "survival_matches_ipd", "cox_matches_ipd", "direction_matches_ipd",
          "adverse_events_match_ipd")


def run(name, ledger, data, rounding="auto", **extra):
    """The findings of one registered patient-level check on real (not synthetic) data."""
    ctx = Context(ledger, Settings(rounding=rounding, extra=extra), None,
                  SimpleNamespace(data=data, synthetic=False))
    found = registry.run_check(registry.REGISTRY[name], ctx, isolate=False)   # only this family
    assert found.status in ("ran", "not applicable"), found.reason
    return found.findings


def run_all(ledger, data, **kw):
    return [f for name in CHECKS for f in run(name, ledger, data, **kw)]


@pytest.fixture(scope="module")
def lung():
    return load_ncctg_lung()


@pytest.fixture(scope="module")
def ncctg():
    return load_ledger("ncctg_lung")


@pytest.fixture
def ncctg_copy(tmp_path):
    """A writable copy of the NCCTG ledger: (root, folder)."""
    root = tmp_path / "published"
    shutil.copytree(published_root() / "ncctg_lung", root / "ncctg_lung")
    return root, root / "ncctg_lung"


def moved(text: str, units: int) -> str:
    """Printed text moved by ``units`` of its last digit (keeps the precision)."""
    p = parse_printed(text)
    return format_at(p.value + units * p.unit, p.decimals)


def by_row(findings) -> dict:
    return {f.locators[0]: f for f in findings}


def cell(ledger, table: str, row_id: str, column: str) -> str:
    df = getattr(ledger, table)
    return df.loc[df["row_id"] == row_id, column].iloc[0]


def locator(ledger, table: str, row_id: str) -> str:
    return cell(ledger, table, row_id, "locator")


# ---- the unit check -------------------------------------------------------------------------------

def test_ipd_matches_at_printed_precision():
    v = lambda *a: ipd_matches(*a).verdict  # noqa: E731
    assert v("37.5", 100 * 3 / 8) == "consistent"
    assert v("15.00", 15.004) == "consistent"           # trailing zeros count
    assert v("15.00", 15.006) == "inconsistent"
    assert v("<0.001", 0.0004) == "consistent"
    assert v("<0.001", 0.0011) == "inconsistent"
    assert v("6.42", 6.426, "truncate") == "consistent"
    assert v("6.42", 6.426, "half_up") == "inconsistent"
    assert v("0.5", 0.25 * 2 + 0.05, "half_even") == "inconsistent"    # 0.55 -> 0.6 (even)
    assert v("", 3.0) == "not testable" and v("3.0", None) == "not testable"
    assert ipd_matches("6.42", 6.426).category == "rounding"
    assert ipd_matches("6.42", 7.1).category == "patient_data"
    assert ipd_matches("6.42", 6.42).assumptions == ("patient_data",)


def test_ipd_matches_map_adds_a_verdict_column():
    df = pd.DataFrame({"printed": ["1.41", "0.725", "2"], "recomputed": [1.414, 0.8, None]})
    out = ipd_matches_map(df)
    assert list(out["verdict"]) == ["consistent", "inconsistent", "not testable"]
    assert "verdict" not in df.columns
    assert list(ipd_matches_map(df.iloc[:1].assign(printed="1.42"), rule="truncate")["verdict"]) \
        == ["inconsistent"]


# ---- tables ----------------------------------------------------------------------------------------

def made_up_cohort(ledger) -> pd.DataFrame:
    """A cohort built from the tiny ledger's counts, so that its printed numbers hold exactly."""
    n = ledger.n
    counts = ledger.counts.set_index("row_id")
    sex = ["Male"] * int(counts.loc["c1", "count"]) + ["Female"] * int(counts.loc["c2", "count"])
    resp = sum(([lv] * int(counts.loc[r, "count"]) for r, lv in
                (("c3", "PR"), ("c4", "SD"), ("c5", "PD"), ("c6", "CR"))), [])
    ae = ledger.adverse_events.set_index("row_id")
    low, high, total = (int(ae.loc[r, "count"]) for r in ("a1", "a2", "a3"))
    nausea = [2] * low + [3] * high + [0] * (n - low - high)
    rash = [0] * (low + high) + [1] * (total - low - high) + [0] * (n - total)
    rng = np.random.default_rng(7)
    return validate_ipd(pd.DataFrame({
        "id": [f"X{i}" for i in range(n)], "os_time": rng.exponential(10, n).round(2),
        "os_event": rng.integers(0, 2, n), "sex": sex, "best_response": resp,
        "ae_nausea": nausea, "ae_rash": rash}))


@pytest.fixture(scope="module")
def tiny():
    return load_ledger("tiny", root=TINY_ROOT)


def test_response_rates_with_clopper_pearson(tiny):
    df = made_up_cohort(tiny)
    rates = response_rates(df, min_cell=0).set_index("level")      # every cell shown
    n = len(df)
    assert rates.loc["ORR", "count"] == (df["best_response"].isin(["CR", "PR"])).sum()
    assert rates.loc["DCR", "count"] == (df["best_response"].isin(["CR", "PR", "SD"])).sum()
    k = int(rates.loc["PR", "count"])
    # exact limits from the beta distribution (Clopper & Pearson 1934)
    assert rates.loc["PR", "ci_low"] == pytest.approx(100 * beta.ppf(0.025, k, n - k + 1))
    assert rates.loc["PR", "ci_high"] == pytest.approx(100 * beta.ppf(0.975, k + 1, n - k))
    assert rates.loc["CR", "ci_low"] == 0 and exact_ci(0, n)[1] == pytest.approx(
        100 * (1 - 0.025 ** (1 / n)))
    assert response_rates(df.drop(columns="best_response")).empty


def test_rates_suppress_counts_below_min_cell(tiny):
    df = made_up_cohort(tiny)
    safe = response_rates(df).set_index("level")                   # min_cell = 10
    assert safe.loc["CR", "shown"] == f"<10/{len(df)}" and safe.loc["CR", "suppressed"]
    assert pd.isna(safe.loc["CR", "count"]) and np.isnan(safe.loc["CR", "percent"])
    assert np.isnan(safe.loc["CR", "ci_high"])
    assert not safe.loc["PR", "suppressed"] and safe.loc["PR", "count"] == (
        df["best_response"] == "PR").sum()
    few = response_rates(df.iloc[:8]).set_index("level")           # 8 patients: all suppressed
    assert few["suppressed"].all() and few["count"].isna().all()


def test_adverse_event_rates_by_grade_band(tiny):
    df = made_up_cohort(tiny)
    ae = adverse_event_rates(df, min_cell=0).set_index(["event", "grade_band"])
    assert ae.loc[("nausea", "<3"), "count"] == (df["ae_nausea"].between(1, 2)).sum()
    assert ae.loc[("nausea", ">=3"), "count"] == (df["ae_nausea"] >= 3).sum()
    assert ae.loc[("ANY", "any"), "count"] == ((df["ae_nausea"] > 0) | (df["ae_rash"] > 0)).sum()
    assert adverse_event_rates(df.drop(columns=["ae_nausea", "ae_rash"])).empty


def test_baseline_table_with_tableone_beside_the_ledger(lung, ncctg):
    table = patient_baseline_table(lung, ncctg)
    assert len(table) == len(ncctg.counts) + len(ncctg.summaries)
    counts = ncctg.counts.set_index("row_id")
    for _, r in table[table["statistic"] == "n_percent"].iterrows():
        c = counts.loc[r["row_id"]]
        shown = "<10" if int(c["count"]) < 10 else f"{c['count']} ({c['percent']})"
        assert r["ipd"] == shown, r["row_id"]   # tableone's n (%), small cells suppressed
    ages = table[table["variable"] == "Age"].iloc[0]
    assert ages["ipd"].startswith(cell(ncctg, "summaries", "t1_age", "center"))


def test_baseline_table_without_a_ledger_lists_the_covariates(lung, ncctg):
    table = patient_baseline_table(lung, covariates=ncctg.covariates)
    assert {"Age", "Sex", "ECOG group", "Meal calories"} <= set(table["variable"])
    assert set(table.loc[table["variable"] == "Sex", "level"]) == {"Male", "Female"}


def test_design_matrix_reference_cut_scale_and_missing(lung, ncctg):
    design = design_matrix(lung, ncctg.covariates, ["Sex", "ECOG group", "Meal calories"],
                           references={"Sex": "Female"})
    cols = design.columns.set_index("variable")
    assert cols.loc["Sex", "reference"] == "Female" and cols.loc["Sex", "level"] == "Male"
    assert cols.loc["ECOG group", "reference"] == "0-1"
    x = design.matrix
    assert x["Sex: Male"].sum() == (lung["sex"] == "Male").sum()
    assert x["ECOG group: >=2"].isna().sum() == lung["ph.ecog"].isna().sum()
    assert np.allclose(x["Meal calories"].dropna(), lung["meal.cal"].dropna() / 100)
    with pytest.raises(ValueError, match="has no patients"):
        design_matrix(lung, ncctg.covariates, ["Sex"], references={"Sex": "Other"})


def test_km_summary_skips_endpoints_the_data_lack(lung):
    out = km_summary(lung)
    assert list(out["endpoint"]) == ["OS"]
    assert km_summary(lung.drop(columns=["os_time", "os_event"])).empty


# ---- the checks: the clean reference ledger passes ---------------------------------------------------

def test_reference_ledger_agrees_with_its_data(lung, ncctg):
    table = findings_frame(run_all(ncctg, lung))
    assert len(table) > 0
    bad = table[table["verdict"] != "consistent"]
    assert bad.empty, bad[["check", "item", "explanation"]].to_string()
    assert {"baseline_matches_ipd", "survival_matches_ipd", "cox_matches_ipd",
            "direction_matches_ipd", "cohort_size_matches_ipd"} <= set(table["check"])
    assert set(table["assumptions"]) <= {"patient_data", "patient_data; rounding_rule_inferred"}


def test_what_the_data_lack_is_not_testable(lung, tiny):
    """NCCTG has no PFS, response or adverse events: those rows of the tiny ledger are not testable."""
    verdict = {}
    for f in run_all(tiny, lung):
        verdict.setdefault(f.check, set()).add(f.verdict)
    for check in ("response_matches_ipd", "adverse_events_match_ipd", "survival_matches_ipd",
                  "cox_matches_ipd", "direction_matches_ipd"):
        assert verdict[check] == {"not testable"}, check


def test_made_up_cohort_passes_then_a_changed_response_flags(tiny):
    df = made_up_cohort(tiny)
    for name in ("response_matches_ipd", "adverse_events_match_ipd"):
        assert {f.verdict for f in run(name, tiny, df)} == {"consistent"}, name
    one_pr_to_sd = df.copy()
    one_pr_to_sd.loc[one_pr_to_sd["best_response"] == "PR", "best_response"] = ["SD"] + \
        ["PR"] * (int((df["best_response"] == "PR").sum()) - 1)
    flagged = {f.item: f for f in run("response_matches_ipd", tiny, one_pr_to_sd)}
    assert flagged["PR"].verdict == "inconsistent" and flagged["PR"].category == "patient_data"
    assert flagged["ORR"].verdict == "inconsistent" and flagged["PD"].verdict == "consistent"
    fewer_nausea = df.assign(ae_nausea=df["ae_nausea"].where(df["ae_nausea"] != 3, 0))
    assert {f.verdict for f in run("adverse_events_match_ipd", tiny, fewer_nausea)
            if f.item == "Nausea (>=3)"} == {"inconsistent"}


def test_a_synthetic_cohort_reaches_no_patient_level_check(tiny):
    """The registry refuses synthetic data to every check that reads patients (no hand rule)."""
    ctx = Context(tiny, Settings(), None, SimpleNamespace(data=made_up_cohort(tiny), synthetic=True))
    runs = [registry.run_check(registry.REGISTRY[name], ctx) for name in CHECKS]
    assert runs and {r.status for r in runs} == {"not applicable"}
    assert all("synthetic" in r.reason for r in runs)


# ---- the checks: each flags a moved number -------------------------------------------------------------

def test_moved_hazard_ratio_is_flagged(lung, ncctg, ncctg_copy):
    root, folder = ncctg_copy
    edit_cell(folder / "hazard_ratios.csv", "hr_u_sex_female", "hr",
              moved(cell(ncctg, "hazard_ratios", "hr_u_sex_female", "hr"), 10))
    edited = load_ledger("ncctg_lung", root=root)
    f = by_row(run("cox_matches_ipd", edited, lung))[locator(ncctg, "hazard_ratios",
                                                             "hr_u_sex_female")]
    assert (f.verdict, f.category, f.severity) == ("inconsistent", "patient_data", "major")
    assert "HR printed" in f.explanation and "patient_data" in f.assumptions


def test_percent_off_by_one_unit_is_a_rounding_slip(lung, ncctg, ncctg_copy):
    root, folder = ncctg_copy
    edit_cell(folder / "counts.csv", "t1_sex_male", "percent",
              moved(cell(ncctg, "counts", "t1_sex_male", "percent"), 1))
    edited = load_ledger("ncctg_lung", root=root)
    f = by_row(run("baseline_matches_ipd", edited, lung))[locator(ncctg, "counts", "t1_sex_male")]
    assert (f.verdict, f.category, f.severity) == ("inconsistent", "rounding", "minor")


def test_the_rule_comes_from_the_policy_and_is_named_when_it_matters():
    """A made-up percentage on a rounding boundary: 1/8 = 12.5%, printed "13": consistent when
    halves round up, not under half-even or truncation; the policy's rule decides, and the finding
    names the inferred rule only when the verdict depends on it."""
    from helpers.ledger.load import ledger_from_tables

    led = ledger_from_tables("toy", {"n": 8}, {"counts": [
        {"variable": "Sex", "level": "Male", "role": "level", "count": "1", "percent": "13",
         "denominator": "8", "population": "all", "quantity": "baseline.sex.male"}]})
    df = pd.DataFrame({"id": [f"z{i}" for i in range(8)], "sex": ["Male"] + ["Female"] * 7})
    up = run("baseline_matches_ipd", led, df, rounding="half_up")[0]
    even = run("baseline_matches_ipd", led, df, rounding="half_even")[0]
    assert up.verdict == "consistent" and even.verdict == "inconsistent"
    assert up.assumptions == ("patient_data",)           # a requested rule is not an assumption
    auto = run("baseline_matches_ipd", led, df, rounding="auto")[0]
    assert "rounding_rule_inferred" in auto.assumptions


def test_moved_mean_and_wrong_count_are_flagged(lung, ncctg, ncctg_copy):
    root, folder = ncctg_copy
    edit_cell(folder / "summaries.csv", "t1_age", "center",
              moved(cell(ncctg, "summaries", "t1_age", "center"), 5))
    edit_cell(folder / "counts.csv", "t1_ecog_performance_status_0", "count",
              str(int(cell(ncctg, "counts", "t1_ecog_performance_status_0", "count")) + 1))
    edited = load_ledger("ncctg_lung", root=root)
    found = by_row(run("baseline_matches_ipd", edited, lung))
    assert found[locator(ncctg, "summaries", "t1_age")].verdict == "inconsistent"
    f = found[locator(ncctg, "counts", "t1_ecog_performance_status_0")]
    assert (f.verdict, f.category) == ("inconsistent", "patient_data")


def test_a_moved_range_is_flagged_without_quoting_the_data_extremes(lung, ncctg, ncctg_copy):
    root, folder = ncctg_copy
    low = cell(ncctg, "summaries", "t1_meal_cal", "low")
    edit_cell(folder / "summaries.csv", "t1_meal_cal", "low", str(int(low) + 50))
    edited = load_ledger("ncctg_lung", root=root)
    f = by_row(run("baseline_matches_ipd", edited, lung))[locator(ncctg, "summaries", "t1_meal_cal")]
    assert f.verdict == "inconsistent"
    true_min = str(int(lung["meal.cal"].min()))
    assert "not shown" in f.expected and true_min not in f.expected + f.explanation


def test_moved_median_and_wrong_ci_type_are_flagged(lung, ncctg, ncctg_copy):
    root, folder = ncctg_copy
    edit_cell(folder / "survival.csv", "res_os_median", "center",
              moved(cell(ncctg, "survival", "res_os_median", "center"), 30))
    # the log-log row claimed as a log interval: its limits no longer match
    edit_cell(folder / "survival.csv", "sens_os_median_loglog", "note", "conf.type=log")
    edited = load_ledger("ncctg_lung", root=root)
    found = by_row(run("survival_matches_ipd", edited, lung))
    assert found[locator(ncctg, "survival", "res_os_median")].verdict == "inconsistent"
    assert found[locator(ncctg, "survival", "sens_os_median_loglog")].verdict == "inconsistent"


def test_reversed_statement_is_flagged(lung, ncctg, ncctg_copy):
    root, folder = ncctg_copy
    other = cell(ncctg, "statements", "st_sex_better", "level")
    edit_cell(folder / "statements.csv", "st_sex_poorer", "level", other)
    edited = load_ledger("ncctg_lung", root=root)
    f = {x.item: x for x in run("direction_matches_ipd", edited, lung)}[
        f"poorer_prognosis: Sex {other}"]
    assert (f.verdict, f.category) == ("inconsistent", "patient_data")


def test_wrong_cohort_size_is_flagged(lung, ncctg):
    assert {f.verdict for f in run("cohort_size_matches_ipd", ncctg, lung)} == {"consistent"}
    assert {f.verdict for f in run("cohort_size_matches_ipd", ncctg, lung.iloc[1:])} == {
        "inconsistent"}


# ---- disclosure control in findings, comparison tables and curves ----------------------------------

def test_tables_and_findings_name_no_patient(ncctg):
    data = load_ncctg_lung()
    data["id"] = [f"PT-{i:06d}-ZX" for i in range(1, len(data) + 1)]
    text = "".join(t.to_csv() for t in (findings_frame(run_all(ncctg, data)),
                                        patient_baseline_table(data, ncctg), km_summary(data),
                                        comparison_table(ncctg, data)))
    assert "PT-" not in text


def test_one_patient_is_never_quoted(ncctg):
    """A file with one patient: every count is <10 and every summary suppressed in the findings;
    none of the patient's values (time, age, calories, ...) appears."""
    one = load_ncctg_lung().iloc[[7]].reset_index(drop=True)
    found = run_all(ncctg, one)
    assert found and any(f.verdict == "inconsistent" for f in found)
    text = " | ".join(f.expected + " " + f.explanation for f in found)
    values = {str(int(v)) for v in one.drop(columns="id").select_dtypes("number").iloc[0].dropna()
              if float(v).is_integer() and abs(v) >= 10}
    quoted = {v for v in values if re.search(rf"(?<![\d.]){v}(?![\d.])", text)}
    printed = {t for f in found for t in re.findall(r"\d+", f.printed)}
    assert not (quoted - printed), quoted - printed
    assert "<10" in text and "suppressed" in text
    comp = comparison_table(ncctg, one)
    assert comp["recomputed"].isna().all() and comp["difference_units"].isna().all()


def test_comparison_table_is_computed_directly_and_hides_what_it_must(lung, ncctg):
    comp = comparison_table(ncctg, lung, ["baseline"])
    assert len(comp) and set(comp["agreement"]) == {"match"}
    extremes = comp[comp["field"].isin(["min", "max"])]
    assert len(extremes) and extremes["recomputed"].isna().all()
    counts = comp[comp["field"] == "count"]
    small = counts[counts["printed"].astype(int) < 10]
    assert len(small) and set(small["shown"]) == {"<10"} and small["recomputed"].isna().all()
    big = counts[counts["printed"].astype(int) >= 10]
    assert (big["recomputed"] == big["printed_value"]).all()


def test_km_curves_are_coarsened_and_cut_where_few_remain(lung):
    from helpers.cohort.tables import km_curves

    curves = km_curves(lung, time_unit="days")
    grid = curves.attrs["grid"]
    assert grid == pytest.approx(365.25 / 12)
    steps = curves["time"].to_numpy()
    assert np.allclose(steps / grid, np.round(steps / grid))          # on the grid only
    assert not set(steps[1:]) & set(lung["os_time"])                   # no patient's time
    from helpers.cohort.survival import km_fit
    from helpers.cohort.disclosure import coarsen
    full = km_fit(coarsen(lung["os_time"], grid), lung["os_event"]).curve
    assert steps.max() == full.loc[full["n_risk"] >= 10, "time"].max()
    assert steps.max() < full["time"].max()
    assert km_curves(lung.iloc[:9], time_unit="days").empty           # fewer than 10 patients


def test_everything_runs_on_the_synthetic_cohort_and_a_csv_path(tmp_path):
    """The same functions take the synthetic cohort (cao2024), NCCTG and a CSV path."""
    from helpers.cohort.patients import load_patient_data
    from helpers.cohort.tables import cox_tables

    ledger = load_ledger("cao2024")
    synthetic = load_patient_data("synthetic", ledger, seed=1)
    assert synthetic.synthetic and synthetic.has_response and synthetic.has_adverse_events
    data = synthetic.data
    assert len(patient_baseline_table(data, ledger)) == (
        ledger.counts["quantity"].str.startswith("baseline.").sum()
        + ledger.summaries["quantity"].str.startswith("baseline.").sum())
    assert set(response_rates(data)["level"]) >= {"ORR", "DCR"}
    assert len(adverse_event_rates(data)) > 0 and set(km_summary(data)["endpoint"]) == {"PFS", "OS"}
    assert not cox_tables(ledger, data).empty
    assert len(comparison_table(ledger, data)) > 0

    path = tmp_path / "cohort.csv"
    load_ncctg_lung().to_csv(path, index=False)
    from_csv = load_patient_data(str(path), load_ledger("ncctg_lung"))
    assert not from_csv.synthetic and from_csv.source == "cohort.csv"
    assert from_csv.endpoints == ["OS"] and not from_csv.has_response


def test_covariates_yaml_values_map_and_baseline_section():
    from helpers.cohort.tables import resolve_variable
    from helpers.cohort.survival import level_series

    df = validate_ipd(pd.DataFrame({"id": ["a", "b", "c", "d"], "line": ["first", "later", "first", ""],
                                    "ecog": [0.0, 1.0, np.nan, 1.0]}))
    spec = {"baseline": {"Line of therapy": {"column": "line",
                                             "values": {"first": "First line", "later": "Later line"}}},
            "covariates": {"ECOG": {"column": "ecog"}}}
    item = resolve_variable("Line of therapy", spec, df)
    assert list(level_series(df, item, levels=["First line", "Later line", "Missing"])) == [
        "First line", "Later line", "First line", "Missing"]
    ecog = level_series(df, resolve_variable("ECOG", spec, df), levels=["0", "1"])
    assert ecog.iloc[0] == "0" and ecog.iloc[1] == "1" and pd.isna(ecog.iloc[2])
    assert resolve_variable("Albumin", spec, df) is None
