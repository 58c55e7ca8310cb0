"""Patient-level files: a clean file loads; each kind of broken file stops with one message naming
the file, the line (header = line 1) and the field."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.cohort.datasets import load_ncctg_lung
from helpers.core.errors import PatientDataError
from helpers.cohort.ipd import load_ipd, registered_sources

HEADER = "id,os_time,os_event,best_response,line,ae_nausea,age\n"
GOOD = ["P1,10.5,1,PR,first,0,61", "P2,3.0,0,SD,later,3,55", "P3,7.25,1,,first,1,70"]


def write(tmp_path, text: str | bytes, name: str = "patients.csv"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def broken(tmp_path, rows: list[str], header: str = HEADER):
    return write(tmp_path, header + "\n".join(rows) + "\n")


def expect(path, *, line: int | None, field: str | None, words: str):
    with pytest.raises(PatientDataError) as info:
        load_ipd(str(path))
    msg = str(info.value)
    assert path.name in msg, msg
    if line is not None:
        assert f"line {line}" in msg and info.value.line == line, msg
    if field is not None:
        assert f"field '{field}'" in msg and info.value.field == field, msg
    assert words in msg, msg
    assert msg.count("\n") == 0, "one message, one line"


def test_a_clean_file_loads_with_typed_columns(tmp_path):
    df = load_ipd(str(broken(tmp_path, GOOD)))
    assert list(df["id"]) == ["P1", "P2", "P3"]
    assert df["os_time"].dtype == float and df["os_event"].tolist() == [1, 0, 1]
    assert df["best_response"].tolist() == ["PR", "SD", ""]
    assert df["ae_nausea"].tolist() == [0, 3, 1] and df["age"].dtype.kind in "if"


def test_the_ncctg_source_and_its_csv_export_load_the_same(tmp_path):
    assert "ncctg_lung" in registered_sources()
    named = load_ipd("ncctg_lung")
    path = tmp_path / "ncctg.csv"
    load_ncctg_lung().to_csv(path, index=False)
    from_csv = load_ipd(str(path))
    pd.testing.assert_frame_equal(named, from_csv, check_dtype=False)
    assert set(named.columns) == {"id", "os_time", "os_event", "age", "sex", "ph.ecog", "ph.karno",
                                  "pat.karno", "meal.cal", "wt.loss"}


def test_missing_id_column(tmp_path):
    path = write(tmp_path, "os_time,os_event\n1,1\n")
    expect(path, line=None, field="id", words="missing required column")


def test_time_without_its_event_column(tmp_path):
    path = write(tmp_path, "id,os_time\nP1,4\n")
    expect(path, line=None, field="os_event", words="missing required column")


def test_negative_time(tmp_path):
    expect(broken(tmp_path, [GOOD[0], "P2,-2,0,SD,later,0,55"]), line=3, field="os_time",
           words="negative time")


def test_non_numeric_time(tmp_path):
    expect(broken(tmp_path, [GOOD[0], GOOD[1], "P3,twelve,1,PR,first,0,70"]), line=4,
           field="os_time", words="'twelve' is not a number")


def test_event_not_0_or_1(tmp_path):
    expect(broken(tmp_path, ["P1,10,2,PR,first,0,61"]), line=2, field="os_event",
           words="is not 0 or 1")


def test_duplicated_id(tmp_path):
    expect(broken(tmp_path, [GOOD[0], GOOD[1], "P1,7,1,PR,first,0,70"]), line=4, field="id",
           words="duplicated patient id (first seen on line 2)")


def test_unknown_response_category(tmp_path):
    expect(broken(tmp_path, [GOOD[0], "P2,3,0,iCR,later,0,55"]), line=3, field="best_response",
           words="unknown response category 'iCR'")


def test_adverse_event_grade_outside_0_to_5(tmp_path):
    expect(broken(tmp_path, [GOOD[0], "P2,3,0,SD,later,7,55"]), line=3, field="ae_nausea",
           words="is not a CTCAE grade 0-5")


def test_empty_file(tmp_path):
    expect(write(tmp_path, ""), line=None, field=None, words="empty file")


def test_header_without_patients(tmp_path):
    expect(write(tmp_path, HEADER), line=None, field=None, words="no patients")


def test_wrong_encoding(tmp_path):
    path = write(tmp_path, (HEADER + GOOD[0] + "\n").encode("utf-8")
                 + "Pé,3,0,SD,later,0,55\n".encode("latin-1"))
    expect(path, line=None, field=None, words="not UTF-8")


def test_unknown_source_name():
    with pytest.raises(PatientDataError, match="neither a CSV file nor a known source"):
        load_ipd("no_such_dataset")


def test_a_stray_word_in_a_numeric_column_is_refused_at_load_not_dropped(tmp_path):
    # 'old' among ages: refused with its line and column, never read as a missing value
    expect(broken(tmp_path, [GOOD[0], GOOD[1], "P3,7,1,PR,first,0,old"]), line=4, field="age",
           words="'old' is not a number")


def test_non_numeric_covariate_stops_the_cox_model_with_line_and_field(tmp_path):
    # a frame that bypassed validation (read, not validated) still stops the Cox model with a place
    from helpers.cohort.ipd import read_ipd_csv
    from helpers.cohort.survival import cox_univariable

    df = read_ipd_csv(broken(tmp_path, [GOOD[0], GOOD[1], "P3,7,1,PR,first,0,old"]))
    df["os_time"] = df["os_time"].astype(float)
    df["os_event"] = df["os_event"].astype(int)
    spec = {"covariates": {"Age": {"column": "age", "type": "continuous"}}}
    with pytest.raises(PatientDataError) as info:
        cox_univariable(df, spec, "OS")
    msg = str(info.value)
    assert info.value.line == 4 and info.value.field == "age" and "'old' is not a number" in msg
    assert "patients.csv" in msg
