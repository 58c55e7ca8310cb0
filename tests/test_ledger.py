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


def test_non_numeric_text_where_a_number_is_needed(tiny_copy):
    root, d = tiny_copy
    line = edit_cell(d / "counts.csv", "c2", "percent", "4O.0")
    _expect(root, ["counts.csv", f"line {line}", "row_id c2", "field 'percent'", "'4O.0' is not a number"])


def test_non_integer_count(tiny_copy):
    root, d = tiny_copy
    line = edit_cell(d / "counts.csv", "c3", "count", "90.5")
    _expect(root, ["counts.csv", f"line {line}", "field 'count'", "not a whole number"])


def test_percentage_over_100(tiny_copy):
    root, d = tiny_copy
    line = edit_cell(d / "adverse_events.csv", "a1", "percent", "125.0")
    _expect(root, ["adverse_events.csv", f"line {line}", "field 'percent'", "outside 0-100"])


def test_count_over_its_denominator(tiny_copy):
    root, d = tiny_copy
    line = edit_cell(d / "counts.csv", "c1", "count", "201")
    _expect(root, ["counts.csv", f"line {line}", "field 'count'", "above its denominator 200"])


def test_ci_lower_above_upper(tiny_copy):
    root, d = tiny_copy
    line = edit_cell(d / "survival.csv", "v1", "ci_low", "9.9")
    _expect(root, ["survival.csv", f"line {line}", "field 'ci_low'", "above the upper limit"])


@pytest.mark.parametrize("value", ["0", "-1.2"])
def test_hazard_ratio_not_above_zero(tiny_copy, value):
    root, d = tiny_copy
    line = edit_cell(d / "hazard_ratios.csv", "h2", "hr", value)
    _expect(root, ["hazard_ratios.csv", f"line {line}", "field 'hr'", "not above 0"])


@pytest.mark.parametrize("value", ["1.2", "-0.01"])
def test_p_outside_unit_interval(tiny_copy, value):
    root, d = tiny_copy
    line = edit_cell(d / "hazard_ratios.csv", "h2", "p", value)
    _expect(root, ["hazard_ratios.csv", f"line {line}", "field 'p'", "outside [0, 1]"])


def test_duplicated_row_key_within_a_file(tiny_copy):
    root, d = tiny_copy
    line = edit_cell(d / "counts.csv", "c2", "row_id", "c1")
    _expect(root, ["counts.csv", f"line {line}", "field 'row_id'", "'c1' is used twice"])


def test_duplicated_row_key_across_files(tiny_copy):
    root, d = tiny_copy
    edit_cell(d / "survival.csv", "v1", "row_id", "c1")
    _expect(root, ["survival.csv", "'c1' is used twice", "counts.csv line 2"])


def test_empty_required_field(tiny_copy):
    root, d = tiny_copy
    line = edit_cell(d / "counts.csv", "c4", "locator", "")
    _expect(root, ["counts.csv", f"line {line}", "field 'locator'", "required field is empty"])


def test_value_outside_its_allowed_set(tiny_copy):
    root, d = tiny_copy
    line = edit_cell(d / "hazard_ratios.csv", "h2", "model", "multivariate")
    _expect(root, ["hazard_ratios.csv", f"line {line}", "field 'model'", "'multivariate' is not one of"])


def test_rate_without_definition(tiny_copy):
    root, d = tiny_copy
    line = edit_cell(d / "counts.csv", "c7", "definition", "")
    _expect(root, ["counts.csv", f"line {line}", "field 'definition'", "required when role is 'rate'"])


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
