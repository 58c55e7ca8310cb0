"""The ledger loader: the clean ledgers load; each kind of malformed input stops with one message
naming the file, the line and the field."""

from __future__ import annotations

import csv
import re

import pytest

from helpers.core.errors import LedgerError
from helpers.ledger.load import SPECS, list_studies, load_ledger
from helpers.core.paths import published_root

from conftest import TINY_ROOT, edit_cell


def test_tiny_ledger_loads_with_every_table():
    ledger = load_ledger("tiny", root=TINY_ROOT)
    assert ledger.n == 200 and ledger.alpha == 0.05
    assert set(ledger.tables) == set(SPECS)
    # values stay as printed text: trailing zeros survive
    assert ledger.counts.set_index("row_id").loc["c1", "percent"] == "60.0"
    assert list(ledger.appearances("response.orr")["source"]) == ["table", "abstract"]


@pytest.mark.parametrize("study", list_studies())
def test_every_bundled_study_ledger_is_valid(study):
    ledger = load_ledger(study)
    assert len(ledger.rows()) > 0
    assert ledger.meta["study"] == study


def test_p_values_keep_their_bound_sign():
    ledger = load_ledger("tiny", root=TINY_ROOT)
    assert "p" in ledger.hazard_ratios.columns


def _expect(root, pattern_parts):
    with pytest.raises(LedgerError) as info:
        load_ledger("tiny", root=root)
    message = str(info.value)
    for part in pattern_parts:
        assert part in message, f"{part!r} not in {message!r}"
    return info.value


def test_unknown_study_folder(tmp_path):
    with pytest.raises(LedgerError, match=r"unknown study 'nosuch'.*known studies: tiny"):
        load_ledger("nosuch", root=TINY_ROOT)


def test_missing_column(tiny_copy):
    root, d = tiny_copy
    path = d / "counts.csv"
    rows = list(csv.reader(path.open(encoding="utf-8")))
    idx = rows[0].index("denominator")
    path.write_text("\n".join(",".join(r[:idx] + r[idx + 1:]) for r in rows) + "\n", encoding="utf-8")
    err = _expect(root, ["counts.csv", "field 'denominator'", "missing required column"])
    assert err.field == "denominator"


# (file, row_id, column, bad value, words the message must hold besides file, line and field)
CELL_ERRORS = [
    ("counts.csv", "c2", "percent", "4O.0", ["row_id c2", "'4O.0' is not a number"]),
    ("counts.csv", "c3", "count", "90.5", ["not a whole number"]),
    ("adverse_events.csv", "a1", "percent", "125.0", ["outside 0-100"]),
    ("counts.csv", "c1", "count", "201", ["above its denominator 200"]),
    ("survival.csv", "v1", "ci_low", "9.9", ["above the upper limit"]),
    ("hazard_ratios.csv", "h2", "hr", "0", ["not above 0"]),
    ("hazard_ratios.csv", "h2", "hr", "-1.2", ["not above 0"]),
    ("hazard_ratios.csv", "h2", "p", "1.2", ["outside [0, 1]"]),
    ("hazard_ratios.csv", "h2", "p", "-0.01", ["outside [0, 1]"]),
    ("counts.csv", "c2", "row_id", "c1", ["'c1' is used twice"]),
    ("counts.csv", "c4", "locator", "", ["required field is empty"]),
    ("hazard_ratios.csv", "h2", "model", "multivariate", ["'multivariate' is not one of"]),
    ("counts.csv", "c7", "definition", "", ["required when role is 'rate'"]),
    ("survival.csv", "v1", "ci_level", "0.95", ["percentage in (50, 100)", "a percentage: 95"]),
    ("counts.csv", "c1", "count", "1,20", ["not a thousands separator"]),
    ("survival.csv", "v1", "center", "-8.0", ["negative"]),
]


@pytest.mark.parametrize("file,row_id,column,value,words", CELL_ERRORS,
                         ids=[f"{f}-{c}-{v or 'empty'}" for f, _, c, v, _ in CELL_ERRORS])
def test_a_bad_cell_is_refused_naming_file_line_row_and_field(tiny_copy, file, row_id, column,
                                                              value, words):
    root, d = tiny_copy
    line = edit_cell(d / file, row_id, column, value)
    err = _expect(root, [file, f"line {line}", f"field '{column}'", *words])
    assert (err.line, err.field) == (line, column)
    assert len(err.problems) == 1, str(err)


def test_duplicated_row_key_across_files(tiny_copy):
    root, d = tiny_copy
    edit_cell(d / "survival.csv", "v1", "row_id", "c1")
    _expect(root, ["survival.csv", "'c1' is used twice", "counts.csv line 2"])


def test_study_yaml_naming_another_study(tiny_copy):
    root, d = tiny_copy
    text = (d / "study.yaml").read_text().replace("study: tiny", "study: other")
    (d / "study.yaml").write_text(text)
    _expect(root, ["study.yaml", "field 'study'", "folder is 'tiny'"])


def test_ragged_row(tiny_copy):
    root, d = tiny_copy
    with open(d / "design.csv", "a", encoding="utf-8") as fh:
        fh.write("g9,design.x,methods,Methods,1,analysis,x,1\n")
    _expect(root, ["design.csv", "line 6", "fields but the header has"])


def test_not_utf8(tiny_copy):
    root, d = tiny_copy
    (d / "statements.csv").write_bytes("row_id,quantity\nd1,caf\xe9\n".encode("latin-1"))
    _expect(root, ["statements.csv", "not UTF-8"])


def test_published_root_has_readme_for_reviewers():
    readme = published_root() / "README.md"
    text = readme.read_text(encoding="utf-8")
    for spec in SPECS.values():  # every file the loader reads is documented
        assert spec.name in text
        for column in spec.required:
            assert re.search(rf"`{column}`", text), f"{column} of {spec.name} undocumented"
