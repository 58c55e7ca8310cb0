"""Fault injection on the inputs: every entry slip of a ledger or a patient file is refused before any
analysis, all problems of a file at once, each message naming file, line, row id and field; the
slips that are the paper's own errors (an HR outside its CI) are accepted as data.

Every number here is made up (the tiny and whole_schema fixtures under tests/fixtures/ledgers/).
"""

from __future__ import annotations

import csv
import shutil

import pytest

from helpers.core.errors import (InputError, LedgerError, PatientDataError, Problem,
                                 ValidationReport)
from helpers.ledger.load import (SPECS, ledger_from_tables, list_studies, load_ledger,
                                 parse_date_printed, parse_restriction, validate_inputs,
                                 validate_ledger)

from conftest import TINY_ROOT, edit_cell

WHOLE = "whole_schema"


@pytest.fixture
def whole_copy(tmp_path):
    root = tmp_path / "published"
    shutil.copytree(TINY_ROOT / WHOLE, root / WHOLE)
    return root, root / WHOLE


def problems_of(root, study="tiny") -> list[Problem]:
    with pytest.raises(LedgerError) as info:
        load_ledger(study, root=root)
    report = validate_ledger(study, root=root)
    assert [p.message for p in report] == [p.message for p in info.value.problems]
    assert str(info.value).count("\n") == len(info.value.problems) - 1, "one line per problem"
    return info.value.problems


def one(root, study="tiny", *, file, field, words, line=None, row_id=None) -> Problem:
    found = problems_of(root, study)
    assert len(found) == 1, "\n".join(p.message for p in found)
    p = found[0]
    assert file in p.file and p.field == field, p.message
    if line is not None:
        assert p.line == line and f"line {line}" in p.message, p.message
    if row_id is not None:
        assert p.row_id == row_id and f"row_id {row_id}" in p.message, p.message
    for w in words:
        assert w in p.message, f"{w!r} not in {p.message!r}"
    return p


def set_yaml(d, old: str, new: str):
    path = d / "study.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def rename_column(path, old: str, new: str):
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    rows[0] = [new if h == old else h for h in rows[0]]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


# --------------------------------------------------------------------------- clean inputs

def test_the_whole_schema_fixture_loads_every_file_and_optional_column():
    ledger = load_ledger(WHOLE, root=TINY_ROOT)
    assert all(len(ledger.tables[k]) for k in SPECS), "the fixture has a row in every file"
    assert ledger.alpha is None                      # the study states no alpha
    surv = ledger.survival.set_index("row_id")
    assert surv.loc["v1", "center"] == "NR" and surv.loc["v1", "ci_high"] == "NR"
    assert (surv.loc["v3", "landmark"], surv.loc["v3", "landmark_unit"]) == ("1", "years")
    counts = ledger.counts.set_index("row_id")
    assert parse_restriction(counts.loc["k3", "restriction"]) == [("Sex", "Female")]
    assert counts.loc["k3", "note"] == "A note with\ntwo lines, quoted"   # line break kept
    assert ledger.counts["line"].tolist() == [2, 3, 4, 6]                # lines stay right after it
    s = ledger.summaries.iloc[0]
    assert (s["statistic"], s["low"], s["high"]) == ("mean_sd", "40", "79")
    assert ledger.design.set_index("row_id").loc["g3", "value"] == "1,000,000"


def test_printed_dates_keep_their_precision():
    dates = load_ledger(WHOLE, root=TINY_ROOT).dates().set_index(["where", "end"])
    start = dates.loc[("g2", "start")]
    assert start["precision"] == "year" and str(start["first"]) == "2015-01-01"
    assert str(start["last"]) == "2015-12-31"
    assert dates.loc[("g2", "end"), "precision"] == "month"
    assert dates.loc[("g4", "at"), "precision"] == "day"
    assert parse_date_printed("2020-02").last.day == 29


@pytest.mark.parametrize("study", list_studies())
def test_bundled_ledgers_have_no_problem(study):
    assert validate_inputs(study) == []


# --------------------------------------------------------------------------- study.yaml

@pytest.mark.parametrize("old,new,field,words", [
    ("n: 200", "n: yes", "n", ["yes/no value, not a number"]),
    ("n: 200", 'n: "200"', "n", ["'200' is text (it is quoted)", "n: 200 without quotes"]),
    ("n: 200", "n: 200.5", "n", ["not a whole number"]),
    ("n: 200", "n: 0", "n", ["not a positive integer"]),
    ("n: 200", "n: 210", "n", ["agrees with none of design.csv's cohort/n rows",
                               "200 on line 2 (row_id g1)"]),
    ("alpha: 0.05", "alpha: 1.5", "alpha", ["outside (0, 1)"]),
    ("alpha: 0.05", "alpha: 5", "alpha", ["outside (0, 1)", "a proportion: 0.05"]),
    ("alpha: 0.05", "alpha: 0.01", "alpha", ["agrees with none of design.csv's analysis/alpha"]),
    ("alpha: 0.05", "alhpa: 0.05", "alhpa", ["unknown key (did you mean 'alpha'?)"]),
    ("accrual: [2019-01, 2020-12]", "accrual: [2019-13, 2020-12]", "accrual",
     ["month 13 does not exist"]),
    ("accrual: [2019-01, 2020-12]", "accrual: [2020-12, 2019-01]", "accrual",
     ["ends (2019-01) before it starts (2020-12)"]),
    ("data_cutoff: 2021-12", "data_cutoff: 2021-02-30", "data_cutoff", ["day 30 does not exist"]),
    ("time_unit: months", "time_unit: moons", "time_unit", ["not one of"]),
])
def test_study_yaml_slips(tiny_copy, old, new, field, words):
    root, d = tiny_copy
    set_yaml(d, old, new)
    one(root, file="study.yaml", field=field, words=words)


def test_sites_and_regimen_may_be_one_text_of_names(tiny_copy):
    root, d = tiny_copy
    with open(d / "study.yaml", "a", encoding="utf-8") as fh:
        fh.write("sites: liver\nregimen: gemcitabine, oxaliplatin\n")
    assert load_ledger("tiny", root=root).meta["sites"] == "liver"


def test_errors_survive_pickling_with_every_problem():
    import pickle

    report = ValidationReport([Problem("a.csv", "bad", line=2, field="x", kind="ledger"),
                               Problem("b.csv", "worse", kind="ledger")])
    err = pickle.loads(pickle.dumps(report.error()))
    assert isinstance(err, LedgerError) and err.messages == report.messages
    single = pickle.loads(pickle.dumps(PatientDataError("p.csv", "bad", line=3, field="age")))
    assert (single.line, single.field, str(single)) == (3, "age", "p.csv, line 3, field 'age': bad")


def test_alpha_is_optional(tiny_copy):
    root, d = tiny_copy
    set_yaml(d, "alpha: 0.05\n", "")
    assert load_ledger("tiny", root=root).alpha is None


@pytest.mark.parametrize("line,field,words", [
    ("sites: {liver: 1}", "sites", ["must be a list of names"]),
    ("sites: [liver, 3]", "sites", ["must be a list of names"]),
    ("regimen: [1, 2]", "regimen", ["must be a list of names"]),
    ("arms: true", "arms", ["yes/no value"]),
    ("arms: one", "arms", ["not a positive integer"]),
    ("disease: [a, b]", "disease", ["must be text"]),
])
def test_text_evidence_keys_of_study_yaml_are_typed(tiny_copy, line, field, words):
    root, d = tiny_copy
    with open(d / "study.yaml", "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    one(root, file="study.yaml", field=field, words=words)


# --------------------------------------------------------------------------- columns

@pytest.mark.parametrize("file,old,new,near", [
    ("counts.csv", "count", "Count", "count"),
    ("counts.csv", "percent", "pct", "percent"),
    ("hazard_ratios.csv", "p", "p_value", "p"),
    ("survival.csv", "ci_level", "ci_levle", "ci_level"),
])
def test_unknown_or_misspelt_columns_are_refused_with_the_nearest_name(tiny_copy, file, old, new,
                                                                       near):
    root, d = tiny_copy
    rename_column(d / file, old, new)
    p = one(root, file=file, field=new, words=[f"unknown column (did you mean '{near}'?)"])
    assert p.line is None or p.line == 1


def test_a_column_named_twice_is_refused(tiny_copy):
    root, d = tiny_copy
    rename_column(d / "counts.csv", "definition", "count")
    found = problems_of(root)
    assert any(p.field == "count" and "appears twice in the header" in p.message for p in found)


# --------------------------------------------------------------------------- numbers

@pytest.mark.parametrize("file,row_id,column,value,words", [
    ("counts.csv", "c1", "count", "1,20", ["'1,20'", "not a thousands separator",
                                            "a decimal comma?"]),
    ("counts.csv", "c1", "count", "1,200", ["thousands separator, which this column does not allow",
                                             "'1200'"]),
    ("summaries.csv", "s1", "center", "55,2", ["not a thousands separator", "'55.2'"]),
    ("design.csv", "g1", "value", "2,00", ["not a thousands separator"]),
    ("counts.csv", "c1", "denominator", "9" * 400, ["not a plausible count", "400 digits"]),
    ("summaries.csv", "s1", "center", "9" * 400, ["not a finite number"]),
    ("summaries.csv", "s1", "n", "-3", ["negative"]),
    ("survival.csv", "v1", "n", "0", ["n is 0"]),
    ("survival.csv", "v1", "ci_low", "-1.0", ["negative"]),
    ("hazard_ratios.csv", "h2", "ci_level", "0.95", ["a percentage: 95"]),
    ("hazard_ratios.csv", "h2", "ci_level", "40", ["percentage in (50, 100)"]),
    ("survival.csv", "v1", "ci_low", "NR", ["'NR' (not reached) is allowed only in center and "
                                             "ci_high"]),
    ("survival.csv", "v1", "center", "nr", ["write a median not reached as NR"]),
    ("counts.csv", "c1", "percent", "NR", ["'NR' (not reached) is allowed only in no column"]),
])
def test_number_slips(tiny_copy, file, row_id, column, value, words):
    root, d = tiny_copy
    line = edit_cell(d / file, row_id, column, value)
    one(root, file=file, field=column, line=line, row_id=row_id, words=words)


def test_thousands_separators_are_read_where_the_schema_allows_them(tiny_copy):
    root, d = tiny_copy
    edit_cell(d / "design.csv", "g2", "value_high", "1,000")
    assert load_ledger("tiny", root=root).design.set_index("row_id").loc["g2", "value_high"] == "1,000"


def test_a_hazard_ratio_outside_its_own_ci_is_accepted_as_data(tiny_copy):
    root, d = tiny_copy
    edit_cell(d / "hazard_ratios.csv", "h2", "hr", "2.50")          # CI printed 0.90-1.60
    assert load_ledger("tiny", root=root).hazard_ratios.set_index("row_id").loc["h2", "hr"] == "2.50"


# --------------------------------------------------------------------------- dates

@pytest.mark.parametrize("column,value,words", [
    ("value", "2019-13", ["month 13 does not exist"]),
    ("value_high", "2018-06", ["the end 2018-06 is before the start 2019-01"]),
    ("value", "January 2019", ["not a date"]),
])
def test_design_date_slips(tiny_copy, column, value, words):
    root, d = tiny_copy
    line = edit_cell(d / "design.csv", "g4", column, value)
    one(root, file="design.csv", field=column, line=line, row_id="g4", words=words)


def test_a_year_only_date_is_kept_with_year_precision(tiny_copy):
    root, d = tiny_copy
    edit_cell(d / "design.csv", "g4", "value", "2019")
    dates = load_ledger("tiny", root=root).dates()
    row = dates[(dates["where"] == "g4") & (dates["end"] == "start")].iloc[0]
    assert (row["printed"], row["precision"]) == ("2019", "year")


# --------------------------------------------------------------------------- new columns

@pytest.mark.parametrize("row_id,column,value,field,words", [
    ("v3", "landmark_unit", "", "landmark_unit", ["required when landmark is given"]),
    ("v3", "landmark", "", "landmark", ["required when landmark_unit is given"]),
    ("v3", "landmark_unit", "decades", "landmark_unit", ["'decades' is not one of"]),
    ("v3", "landmark", "0", "landmark", ["not above 0"]),
    ("v3", "center", "NR", "center", ["'NR' (not reached) is for a median, not a rate"]),
    ("v3", "center", "120", "center", ["above 100"]),
    ("v3", "unit", "months", "unit", ["a survival rate is in percent"]),
    ("v2", "landmark", "1", "landmark", ["belongs to a survival rate"]),
])
def test_landmark_and_not_reached_rules(whole_copy, row_id, column, value, field, words):
    root, d = whole_copy
    line = edit_cell(d / "survival.csv", row_id, column, value)
    found = problems_of(root, WHOLE)
    hit = [p for p in found if p.field == field and p.line == line and p.row_id == row_id
           and all(w in p.message for w in words)]
    assert hit, "\n".join(p.message for p in found)
    assert len(found) <= 2, "\n".join(p.message for p in found)


def test_a_malformed_restriction_is_refused(whole_copy):
    root, d = whole_copy
    line = edit_cell(d / "counts.csv", "k3", "restriction", "women")
    one(root, WHOLE, file="counts.csv", field="restriction", line=line, row_id="k3",
        words=["'women' is not '<variable>: <level>'"])


@pytest.mark.parametrize("file,row_id,column,value,words", [
    ("terms.csv", "t1", "category", "drugs", ["'drugs' is not one of", "did you mean 'drug'?"]),
    ("claims.csv", "q1", "kind", "mechanisms", ["is not one of"]),
    ("regimen.csv", "r1", "attribute", "doses", ["is not one of"]),
    ("authors.csv", "u1", "affiliations", "1,2", ["affiliation numbers separated by ';'"]),
    ("authors.csv", "u1", "corresponding", "true", ["is not one of"]),
    ("citations.csv", "z1", "refs", "see 1", ["reference numbers as printed"]),
    ("references.csv", "b1", "year", "in press", ["a four-digit year"]),
    ("references.csv", "b1", "number", "one", ["not a whole number"]),
    ("terms.csv", "t1", "term", "", ["required field is empty"]),
])
def test_text_evidence_slips(whole_copy, file, row_id, column, value, words):
    root, d = whole_copy
    line = edit_cell(d / file, row_id, column, value)
    one(root, WHOLE, file=file, field=column, line=line, row_id=row_id, words=words)


def test_text_evidence_files_need_their_required_columns(whole_copy):
    root, d = whole_copy
    rename_column(d / "claims.csv", "subject", "topic")
    found = problems_of(root, WHOLE)
    assert {(p.field, p.problem.split(" (")[0]) for p in found} == {
        ("subject", "missing required column"), ("topic", "unknown column")}


# --------------------------------------------------------------------------- cross-references

@pytest.mark.parametrize("file,row_id,column,value,words", [
    ("counts.csv", "k3", "population", "baseline.sex.femal",
     ["population 'baseline.sex.femal' is not the quantity of any row of counts.csv",
      "did you mean 'baseline.sex.female'?"]),
    ("survival.csv", "v2", "population", "line.first", ["is not the quantity of any row"]),
    ("hazard_ratios.csv", "h1", "level_quantity", "baseline.sex.f",
     ["'baseline.sex.f' is not the quantity of any row of counts.csv"]),
    ("hazard_ratios.csv", "h1", "reference_quantity", "baseline.male",
     ["is not the quantity of any row"]),
    ("counts.csv", "k3", "denominator", "48",
     ["denominator 48 is not the size of its population 'baseline.sex.female'",
      "printed as 50 on line 2"]),
])
def test_cross_references_must_resolve(whole_copy, file, row_id, column, value, words):
    root, d = whole_copy
    line = edit_cell(d / file, row_id, column, value)
    one(root, WHOLE, file=file, field=column, line=line, row_id=row_id, words=words)


# --------------------------------------------------------------------------- reading

def _write_rows(path, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


@pytest.mark.parametrize("odd", ["\u2028", "\x0c", "\u2029", "\x85", "\x1c"])
def test_odd_separators_in_a_note_keep_the_line_numbers(tiny_copy, odd):
    root, d = tiny_copy
    path = d / "counts.csv"
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    rows[2][-1] = f"a note{odd}with an odd separator"             # c2, line 3
    _write_rows(path, rows)
    line = edit_cell(path, "c4", "count", "x")                      # c4 is line 5 of the file
    assert line == 5
    one(root, file="counts.csv", field="count", line=5, row_id="c4", words=["'x'"])
    edit_cell(path, "c4", "count", "70")
    note = load_ledger("tiny", root=root).counts.set_index("row_id").loc["c2", "note"]
    assert odd in note


def test_a_multi_line_note_keeps_its_breaks_and_later_lines_stay_right(tiny_copy):
    root, d = tiny_copy
    path = d / "counts.csv"
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    rows[2][-1] = "first line\nsecond line\nthird line"             # c2 spans lines 3-5
    _write_rows(path, rows)
    ledger = load_ledger("tiny", root=root)
    counts = ledger.counts.set_index("row_id")
    assert counts.loc["c2", "note"] == "first line\nsecond line\nthird line"
    assert counts.loc["c3", "line"] == 6
    rows[3][rows[0].index("count")] = "x"                           # c3
    _write_rows(path, rows)
    one(root, file="counts.csv", field="count", line=6, row_id="c3", words=["'x'"])


def test_an_unclosed_quote_names_the_line_it_starts_on(tiny_copy):
    root, d = tiny_copy
    with open(d / "design.csv", "a", encoding="utf-8") as fh:
        fh.write('g9,design.x,methods,"Methods,x,analysis,x,1,,,,\n')
    p = one(root, file="design.csv", field=None, words=["unclosed quote", "starts on line 6"])
    assert p.line == 6


def test_a_ragged_row_does_not_hide_the_other_problems(tiny_copy):
    root, d = tiny_copy
    with open(d / "design.csv", "a", encoding="utf-8") as fh:
        fh.write("g9,design.x,methods,Methods,1,analysis,x,1\n")
    edit_cell(d / "counts.csv", "c2", "percent", "4O.0")
    found = problems_of(root)
    assert {(p.file.split("/")[-1], p.line) for p in found} == {("design.csv", 6), ("counts.csv", 3)}


# --------------------------------------------------------------------------- all at once

def test_every_problem_of_every_file_is_reported_at_once(tiny_copy):
    root, d = tiny_copy
    slips = [("counts.csv", "c1", "count", "1,20"), ("counts.csv", "c3", "percent", "4O"),
             ("survival.csv", "v1", "ci_level", "0.95"), ("hazard_ratios.csv", "h2", "p", "2"),
             ("design.csv", "g4", "value", "2019-13")]
    lines = {(f, edit_cell(d / f, r, c, v), r, c) for f, r, c, v in slips}
    set_yaml(d, "n: 200", "n: yes")
    found = problems_of(root)
    got = {(p.file.split("/")[-1], p.line, p.row_id, p.field) for p in found}
    assert got == lines | {("study.yaml", None, None, "n")}
    assert all(p.kind == "ledger" for p in found)


def test_many_problems_of_one_kind_are_listed_then_counted(tiny_copy):
    root, d = tiny_copy
    path = d / "statements.csv"
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    for i in range(60):
        rows.append([f"x{i}", "direction.x", "results", "R", "x", "worse", "PFS", "Sex", "Male", ""])
    _write_rows(path, rows)
    found = problems_of(root)
    assert len(found) == 51
    assert "... and 10 more rows with the same problem" in found[-1].message


# --------------------------------------------------------------------------- in memory

def _tiny_rows(d, name):
    with (d / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_ledger_from_tables_validates_exactly_like_load_ledger(tiny_copy):
    root, d = tiny_copy
    edit_cell(d / "counts.csv", "c1", "count", "4,60")
    edit_cell(d / "survival.csv", "v1", "ci_level", "0.95")
    edit_cell(d / "hazard_ratios.csv", "h2", "level_quantity", "baseline.nowhere")
    rename_column(d / "summaries.csv", "sd", "SD")
    on_disk = problems_of(root)
    tables = {k: _tiny_rows(d, s.name) for k, s in SPECS.items() if (d / s.name).is_file()}
    meta = {"n": 200, "alpha": 0.05, "time_unit": "months"}
    with pytest.raises(LedgerError) as info:
        ledger_from_tables("tiny", meta, tables)
    in_memory = info.value.problems

    def key(p):
        return (p.file.split("/")[-1], p.line or 0, p.row_id or "", p.field or "", p.problem)
    assert sorted(map(key, in_memory)) == sorted(map(key, on_disk))


def test_ledger_from_tables_takes_n_from_the_design_when_meta_gives_none():
    ledger = ledger_from_tables("toy", {}, {"design": [
        {"kind": "cohort", "parameter": "n", "value": "37", "quantity": "cohort.n"}]})
    assert ledger.n == 37


def test_ledger_from_tables_refuses_a_misspelt_field():
    with pytest.raises(LedgerError, match=r"counts.csv, field 'Count': unknown column \(did you "
                                          r"mean 'count'\?\)"):
        ledger_from_tables("toy", {"n": 10}, {"counts": [
            {"variable": "Sex", "level": "Male", "role": "level", "Count": "3",
             "denominator": "10", "population": "all"}]})


# --------------------------------------------------------------------------- validate_inputs

HEADER = "id,os_time,os_event,age\n"


def test_validate_inputs_reports_the_ledger_and_the_patient_file_together(tiny_copy, tmp_path):
    root, d = tiny_copy
    edit_cell(d / "counts.csv", "c1", "percent", "x")
    ipd = tmp_path / "patients.csv"
    ipd.write_text(HEADER + "P1,10,1,61\nP2,3,0,sixty\nP3,2401,1,70\n", encoding="utf-8")
    report = validate_inputs("tiny", str(ipd), root=root)
    assert isinstance(report, ValidationReport) and isinstance(report, list)
    assert [(p.kind, p.line, p.field) for p in report] == [
        ("ledger", 2, "percent"), ("patient data", 4, "os_time"), ("patient data", 3, "age")]
    assert "more than 200 years (2,400 months)" in report[1].message   # the study's time unit
    assert "'sixty' is not a number" in report[2].message
    err = report.error()
    assert isinstance(err, InputError) and str(err).count("\n") == 2
    with pytest.raises(InputError):
        report.raise_if_any()


def test_validate_inputs_on_a_clean_study_with_a_named_source_is_empty():
    report = validate_inputs("ncctg_lung", "ncctg_lung")
    assert report.ok and report == []


def test_validate_inputs_on_an_unknown_patient_source(tmp_path):
    report = validate_inputs("ncctg_lung", "no_such_source")
    assert [p.kind for p in report] == ["patient data"]
    assert "neither a CSV file nor a known source (" in report[0].message
    missing = validate_inputs("ncctg_lung", str(tmp_path / "gone.csv"))
    assert "gone.csv: file not found" in missing[0].message


def test_validate_inputs_on_an_unknown_study():
    report = validate_inputs("no_such_study")
    assert len(report) == 1 and "unknown study 'no_such_study'" in report[0].message


def test_validate_inputs_checks_covariate_columns_that_must_be_numeric(tmp_path):
    ipd = tmp_path / "patients.csv"
    ipd.write_text("id,os_time,os_event,age\nP1,100,1,sixty\nP2,30,0,fifty\n", encoding="utf-8")
    report = validate_inputs("ncctg_lung", str(ipd))
    assert [(p.line, p.field) for p in report if p.field == "age"] == [(2, "age"), (3, "age")]
    assert "numeric for 'Age' (covariates.yaml)" in report[0].message


# --------------------------------------------------------------------------- patient file

def ipd_problems(tmp_path, text: str | bytes, **kw) -> list[Problem]:
    from helpers.cohort.ipd import load_ipd, validate_ipd_file

    path = tmp_path / "patients.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    report = validate_ipd_file(path, **kw)
    with pytest.raises(PatientDataError) as info:
        load_ipd(str(path), **kw)
    assert [p.message for p in info.value.problems] == report.messages
    assert all("patients.csv" in m for m in report.messages)
    return list(report)


@pytest.mark.parametrize("text,line,field,words", [
    (HEADER + "P1,10,1,61\nP2,3,0\n", 3, None, ["has 3 fields but the header has 4"]),
    (HEADER + "P1,10,1,61\nP2,3,0,55,extra\n", 3, None, ["has 5 fields"]),
    (HEADER + 'P1,10,1,61\n"P2,3,0,55\nP3,4,1,50\n', 3, None, ["unclosed quote",
                                                              "starts on line 3"]),
    ("id,os_time,os_event,age,age\nP1,10,1,61,62\n", 1, "age", ["appears twice in the header"]),
    (HEADER + "P1,10,1,61\nP2,3,0,55\nP3,4,1,50\nP4,7,0,sixty\n", 5, "age",
     ["'sixty' is not a number", "the other values of 'age' are numbers"]),
    (HEADER + "P1,inf,1,61\n", 2, "os_time", ["'inf' is not a finite time"]),
    (HEADER + "P1,1e308,1,61\n", 2, "os_time", ["more than 200 years"]),
    (HEADER + "P1,-2,1,61\n", 2, "os_time", ["negative time -2"]),
    (HEADER + "P1,,1,61\n", 2, "os_time", ["empty time"]),
    ("id;os_time\nP1;3\n", None, "os_event", ["missing required column"]),
    ("idx;os_time;os_event\nP1;3;1\n", None, "id", ["looks semicolon-separated"]),
    ("id;os_time;os_event;age\nP1;3,5;1;61\n", 2, "os_time", ["'3,5' is not a number",
                                                             "a decimal comma?"]),
])
def test_patient_file_slips(tmp_path, text, line, field, words):
    found = ipd_problems(tmp_path, text)
    hit = [p for p in found if p.line == line and p.field == field
           and all(w in p.message for w in words)]
    assert hit, "\n".join(p.message for p in found)


def test_a_semicolon_or_tab_separated_file_is_read(tmp_path):
    from helpers.cohort.ipd import load_ipd

    for sep, name in ((";", "semicolon"), ("\t", "tab")):
        path = tmp_path / f"p_{name}.csv"
        path.write_text(sep.join(["id", "os_time", "os_event", "age"]) + "\n"
                        + sep.join(["P1", "10.5", "1", "61"]) + "\n", encoding="utf-8")
        df = load_ipd(str(path))
        assert df["os_time"].tolist() == [10.5] and df.attrs["separator"] == name


def test_times_are_bounded_in_the_studys_unit(tmp_path):
    text = HEADER + "P1,2399,1,61\nP2,2401,0,55\n"
    found = ipd_problems(tmp_path, text, time_unit="months")
    assert [(p.line, p.field) for p in found] == [(3, "os_time")]
    from helpers.cohort.ipd import validate_ipd_file
    assert validate_ipd_file(tmp_path / "patients.csv", time_unit="days").ok


def test_every_patient_file_problem_at_once_with_file_lines(tmp_path):
    text = (HEADER + "P1,10,1,61\n\nP2,-1,0,55\n"        # a blank line: P2 is on line 4
            + '"P3\nsplit",4,2,50\n'                     # a quoted line break: lines 5-6
            + "P4,7,0,old\nP5,8,1,52\nP6,9,0,53\n")
    found = ipd_problems(tmp_path, text)
    assert [(p.line, p.field) for p in found] == [(4, "os_time"), (5, "os_event"), (7, "age")]


def test_many_bad_patient_rows_are_listed_then_counted(tmp_path):
    text = HEADER + "".join(f"P{i},-{i + 1},1,60\n" for i in range(70))
    found = ipd_problems(tmp_path, text)
    assert len(found) == 51 and "... and 20 more rows" in found[-1].message


def test_a_clean_patient_file_with_missing_tokens_loads(tmp_path):
    from helpers.cohort.ipd import load_ipd

    path = tmp_path / "patients.csv"
    path.write_text(HEADER + "P1,10,1,NA\nP2,3,0,55\nP3,4,1,\n", encoding="utf-8")
    df = load_ipd(str(path))
    assert df["age"].isna().tolist() == [True, False, True] and df["age"].dtype.kind == "f"
