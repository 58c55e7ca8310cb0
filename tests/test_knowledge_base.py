"""Integrity of the knowledge base in data/knowledge/.

Schema checks only: every file parses, has its columns, cites resolvable sources, uses keys that
exist, and keeps numbers in range. The facts themselves live in the CSV files, never here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

KB = Path(__file__).resolve().parents[1] / "data" / "knowledge"

# file -> (required columns, key columns that must be unique)
SCHEMA = {
    "sources.csv": (["key", "authors", "title", "publication", "year", "identifier", "kind"], ["key"]),
    "diseases.csv": (["key", "name", "organ", "synonyms", "citation"], ["key"]),
    "vocabulary.csv": (
        ["term", "synonyms", "category", "diseases", "organs", "specificity", "citation", "note"],
        ["term"],
    ),
    "drugs.csv": (["key", "name", "synonyms", "drug_class", "mechanism", "targets", "citation"], ["key"]),
    "regimens.csv": (["key", "name", "drugs", "citation"], ["key"]),
    "adverse_events.csv": (
        ["drug", "event", "synonyms", "any_low", "any_high", "g3_low", "g3_high", "characteristic",
         "opposite", "citation", "note"],
        ["drug", "event"],
    ),
    "baseline.csv": (
        ["disease", "variable", "statistic", "low", "high", "unit", "population", "citation", "note"],
        ["disease", "variable", "statistic", "population"],
    ),
    "fields.csv": (["keyword", "field", "clinical", "citation"], ["keyword"]),
}
CITING = [name for name in SCHEMA if name != "sources.csv"]

SOURCE_KINDS = {"guideline", "drug_label", "staging_manual", "systematic_review", "trial", "textbook",
                "classification", "review", "study"}
VOCAB_CATEGORIES = {"disease", "histology", "staging_system", "tumour_marker", "imaging", "procedure",
                    "prior_treatment", "drug", "regimen", "adverse_event", "laboratory", "pathology", "other"}
SPECIFICITY = {"specific", "suggestive", "general"}
STATISTICS = {"share", "mean", "median"}
YES_NO = {"yes", "no"}
CONFIDENCE = {"", "high", "moderate"}
ORGAN = re.compile(r"^[a-z]+(_[a-z]+)*$")
KEY = re.compile(r"^[a-z0-9]+([_-][a-z0-9]+)*$")


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(KB / name, dtype=str, keep_default_na=False, encoding="utf-8")


def items(cell: str) -> list[str]:
    """A `|`-separated list cell as a list (empty cell -> empty list)."""
    return [part for part in cell.split("|")] if cell != "" else []


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return {name: load(name) for name in SCHEMA}


@pytest.fixture(scope="module")
def source_keys(tables) -> set[str]:
    return set(tables["sources.csv"]["key"])


@pytest.fixture(scope="module")
def disease_keys(tables) -> set[str]:
    return set(tables["diseases.csv"]["key"])


def test_readme_exists():
    assert (KB / "README.md").is_file()


@pytest.mark.parametrize("name", sorted(SCHEMA))
def test_file_parses_with_required_columns(name):
    df = load(name)
    required, _ = SCHEMA[name]
    missing = [c for c in required if c not in df.columns]
    assert not missing, f"{name}: missing columns {missing}"
    assert len(df) > 0, f"{name} is empty"


@pytest.mark.parametrize("name", sorted(SCHEMA))
def test_no_duplicate_keys(name, tables):
    df = tables[name]
    _, key = SCHEMA[name]
    lowered = df[key].apply(lambda col: col.str.strip().str.lower())
    dups = df[lowered.duplicated(keep=False)]
    assert dups.empty, f"{name}: duplicate keys\n{dups[key]}"


@pytest.mark.parametrize("name", sorted(SCHEMA))
def test_cells_have_no_stray_whitespace(name, tables):
    df = tables[name]
    for col in df.columns:
        for i, cell in df[col].items():
            assert cell == cell.strip(), f"{name} row {i + 2} column {col}: leading/trailing space"
            for part in items(cell) if col in {"synonyms", "citation", "diseases", "organs", "drugs",
                                                "targets"} else []:
                assert part and part == part.strip(), f"{name} row {i + 2} {col}: bad list item {part!r}"


@pytest.mark.parametrize("name", CITING)
def test_every_row_cites_a_known_source(name, tables, source_keys):
    df = tables[name]
    for i, cell in df["citation"].items():
        keys = items(cell)
        assert keys, f"{name} row {i + 2}: empty citation"
        unknown = [k for k in keys if k not in source_keys]
        assert not unknown, f"{name} row {i + 2}: citation keys not in sources.csv: {unknown}"


def test_sources_are_well_formed(tables):
    df = tables["sources.csv"]
    for i, row in df.iterrows():
        assert KEY.match(row["key"]), f"sources row {i + 2}: key {row['key']!r} is not a slug"
        assert row["kind"] in SOURCE_KINDS, f"sources row {i + 2}: kind {row['kind']!r}"
        for col in ("authors", "title", "publication", "identifier"):
            assert row[col], f"sources row {i + 2}: empty {col}"
        assert row["year"] == "" or re.fullmatch(r"(1[89]|20)\d\d", row["year"]), (
            f"sources row {i + 2}: year {row['year']!r}")


def test_every_source_is_cited(tables, source_keys):
    cited = set()
    for name in CITING:
        for cell in tables[name]["citation"]:
            cited.update(items(cell))
    assert not source_keys - cited, f"sources never cited: {sorted(source_keys - cited)}"


def test_required_diseases_present(disease_keys):
    required = {"nsclc", "sclc", "hcc", "cholangiocarcinoma", "colorectal", "gastric", "oesophageal",
                "pancreatic", "breast", "renal", "melanoma", "prostate", "ovarian", "bladder", "head_neck",
                "mesothelioma", "pulmonary_metastases"}
    assert not required - disease_keys, f"missing diseases: {sorted(required - disease_keys)}"


def test_disease_organs_are_single_tokens(tables):
    for i, row in tables["diseases.csv"].iterrows():
        assert KEY.match(row["key"]), f"diseases row {i + 2}: key {row['key']!r}"
        assert ORGAN.match(row["organ"]), f"diseases row {i + 2}: organ {row['organ']!r}"


def test_disease_keys_used_anywhere_exist(tables, disease_keys):
    used = []
    for i, cell in tables["vocabulary.csv"]["diseases"].items():
        used += [("vocabulary.csv", i, d) for d in items(cell)]
    used += [("baseline.csv", i, d) for i, d in tables["baseline.csv"]["disease"].items()]
    bad = [(f, i + 2, d) for f, i, d in used if d not in disease_keys]
    assert not bad, f"unknown disease keys: {bad}"


def test_vocabulary_enumerations(tables):
    organs = set(tables["diseases.csv"]["organ"])
    for i, row in tables["vocabulary.csv"].iterrows():
        where = f"vocabulary row {i + 2} ({row['term']})"
        assert row["category"] in VOCAB_CATEGORIES, f"{where}: category {row['category']!r}"
        assert row["specificity"] in SPECIFICITY, f"{where}: specificity {row['specificity']!r}"
        for organ in items(row["organs"]):
            assert ORGAN.match(organ) and organ in organs, f"{where}: organ {organ!r} not a disease organ"
        if row["specificity"] != "general":
            assert row["diseases"] or row["organs"], f"{where}: {row['specificity']} but no disease or organ"


def test_vocabulary_spellings_map_to_one_term(tables):
    seen: dict[str, str] = {}
    for _, row in tables["vocabulary.csv"].iterrows():
        for spelling in [row["term"], *items(row["synonyms"])]:
            low = spelling.lower()
            assert seen.get(low, row["term"]) == row["term"], (
                f"spelling {spelling!r} belongs to both {seen[low]!r} and {row['term']!r}")
            seen[low] = row["term"]


def test_drugs_are_well_formed(tables):
    for i, row in tables["drugs.csv"].iterrows():
        assert KEY.match(row["key"]), f"drugs row {i + 2}: key {row['key']!r}"
        assert KEY.match(row["drug_class"]), f"drugs row {i + 2}: drug_class {row['drug_class']!r}"
        assert row["mechanism"] and row["targets"], f"drugs row {i + 2}: mechanism/targets empty"


def test_regimen_drugs_exist(tables):
    drugs = set(tables["drugs.csv"]["key"])
    for i, row in tables["regimens.csv"].iterrows():
        listed = items(row["drugs"])
        assert len(listed) >= 2, f"regimens row {i + 2}: a regimen needs at least two drugs"
        unknown = [d for d in listed if d not in drugs]
        assert not unknown, f"regimens row {i + 2}: unknown drugs {unknown}"


def test_adverse_event_drugs_exist(tables):
    drugs = tables["drugs.csv"]
    known = set(drugs["key"]) | set(drugs["drug_class"])
    bad = [(i + 2, d) for i, d in tables["adverse_events.csv"]["drug"].items() if d not in known]
    assert not bad, f"adverse_events drugs not in drugs.csv (key or drug_class): {bad}"


def _number(cell: str, where: str) -> float | None:
    if cell == "":
        return None
    try:
        return float(cell)
    except ValueError:
        pytest.fail(f"{where}: {cell!r} is not a number")


def _check_range(lo: str, hi: str, where: str, percent: bool) -> None:
    low, high = _number(lo, where), _number(hi, where)
    for value in (low, high):
        if value is not None and percent:
            assert 0 <= value <= 100, f"{where}: {value} outside 0-100"
        if value is not None:
            assert value >= 0, f"{where}: negative value {value}"
    if low is not None and high is not None:
        assert low <= high, f"{where}: low {low} > high {high}"


def test_adverse_event_ranges_and_flags(tables):
    for i, row in tables["adverse_events.csv"].iterrows():
        where = f"adverse_events row {i + 2} ({row['drug']}, {row['event']})"
        _check_range(row["any_low"], row["any_high"], where + " any", percent=True)
        _check_range(row["g3_low"], row["g3_high"], where + " g3", percent=True)
        g3_high, any_high = _number(row["g3_high"], where), _number(row["any_high"], where)
        if g3_high is not None and any_high is not None:
            assert g3_high <= any_high, f"{where}: grade >=3 above any grade"
        assert row["characteristic"] in YES_NO, f"{where}: characteristic {row['characteristic']!r}"
        assert row["opposite"] != row["event"], f"{where}: event is its own opposite"
        if "confidence" in row:
            assert row["confidence"] in CONFIDENCE, f"{where}: confidence {row['confidence']!r}"


def test_baseline_ranges(tables):
    for i, row in tables["baseline.csv"].iterrows():
        where = f"baseline row {i + 2} ({row['disease']}, {row['variable']})"
        assert row["statistic"] in STATISTICS, f"{where}: statistic {row['statistic']!r}"
        assert row["unit"], f"{where}: empty unit"
        assert row["population"], f"{where}: empty population"
        assert row["low"] != "" and row["high"] != "", f"{where}: low and high are required"
        if row["statistic"] == "share":
            assert row["unit"] == "percent", f"{where}: a share is given in percent"
        _check_range(row["low"], row["high"], where, percent=row["unit"] == "percent")
        if "confidence" in row:
            assert row["confidence"] in CONFIDENCE, f"{where}: confidence {row['confidence']!r}"


def test_baseline_covers_sex_and_age(tables):
    df = tables["baseline.csv"]
    for disease in ("nsclc", "hcc", "colorectal", "renal", "gastric", "pancreatic", "breast", "melanoma"):
        variables = set(df.loc[df["disease"] == disease, "variable"])
        assert {"male_share", "age"} <= variables, f"baseline lacks sex or age for {disease}"


def test_fields_flags(tables):
    for i, row in tables["fields.csv"].iterrows():
        where = f"fields row {i + 2} ({row['keyword']})"
        assert row["field"], f"{where}: empty field"
        assert row["clinical"] in YES_NO, f"{where}: clinical {row['clinical']!r}"
        if "oncology_relevant" in row:
            assert row["oncology_relevant"] in YES_NO | {"possible"}, f"{where}: oncology_relevant"
