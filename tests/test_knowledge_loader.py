"""The knowledge-base loader (helpers.ledger.knowledge): lookups on the committed files and on a
small made-up knowledge base written to a temporary folder."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from helpers.ledger.knowledge import KnowledgeBase, compact, keys_of, knowledge_base, normalise


def _write(folder: Path, name: str, rows: list[dict]) -> None:
    with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


@pytest.fixture()
def toy(tmp_path) -> KnowledgeBase:
    _write(tmp_path, "sources", [{"key": "src1", "authors": "Doe J, Roe R", "title": "A made-up source",
                                  "publication": "J Made Up", "year": "2001", "identifier": "x",
                                  "kind": "review"}])
    _write(tmp_path, "diseases", [
        {"key": "alpha", "name": "Alpha carcinoma", "organ": "spleen", "synonyms": "AC|alpha cancer",
         "citation": "src1", "note": ""},
        {"key": "beta", "name": "Beta carcinoma", "organ": "thyroid", "synonyms": "BC",
         "citation": "src1", "note": ""}])
    _write(tmp_path, "vocabulary", [
        {"term": "Zeta score", "synonyms": "ZS|Zeta staging", "category": "staging_system",
         "diseases": "alpha", "organs": "spleen", "specificity": "specific", "citation": "src1",
         "note": ""},
        {"term": "itchy palms", "synonyms": "palm itch|itchy-palm syndrome", "category": "adverse_event",
         "diseases": "", "organs": "", "specificity": "general", "citation": "src1", "note": ""}])
    _write(tmp_path, "drugs", [
        {"key": "drugamab", "name": "Drugamab", "synonyms": "DGM", "drug_class": "widget_inhibitor",
         "mechanism": "Blocks widgets.", "targets": "widget", "citation": "src1", "note": ""},
        {"key": "othermab", "name": "Othermab", "synonyms": "", "drug_class": "gadget_blocker",
         "mechanism": "Blocks gadgets.", "targets": "gadget", "citation": "src1", "note": ""}])
    _write(tmp_path, "regimens", [{"key": "dgo", "name": "DGO", "drugs": "drugamab|othermab",
                                   "synonyms": "drugamab plus othermab", "citation": "src1",
                                   "note": ""}])
    _write(tmp_path, "adverse_events", [
        {"drug": "widget_inhibitor", "event": "itchy palms", "synonyms": "", "any_low": "20",
         "any_high": "40", "g3_low": "1", "g3_high": "5", "characteristic": "yes", "opposite": "",
         "confidence": "moderate", "citation": "src1", "note": ""},
        {"drug": "othermab", "event": "low mood", "synonyms": "sadness", "any_low": "", "any_high": "",
         "g3_low": "", "g3_high": "", "characteristic": "yes", "opposite": "high mood",
         "confidence": "high", "citation": "src1", "note": ""}])
    _write(tmp_path, "baseline", [{"disease": "alpha", "variable": "male_share", "statistic": "share",
                                   "low": "40", "high": "50", "unit": "percent", "population": "toy",
                                   "confidence": "moderate", "citation": "src1", "note": ""}])
    _write(tmp_path, "fields", [
        {"keyword": "Medicine", "field": "Medical sciences", "clinical": "yes",
         "oncology_relevant": "yes", "citation": "src1", "note": ""},
        {"keyword": "Veterinary Medicine", "field": "Veterinary science", "clinical": "no",
         "oncology_relevant": "no", "citation": "src1", "note": ""}])
    return KnowledgeBase(tmp_path)


def test_normalise_and_keys():
    assert normalise("Hand\u2013Foot  Syndrome ") == "hand-foot syndrome"
    assert compact("CA 19-9") == "ca199"
    assert "rash" in keys_of("Rashes") and "ulcer" in keys_of("ulcers")


def test_terms_match_synonyms_case_insensitively(toy):
    assert [e.term for e in toy.terms("zeta STAGING")] == ["Zeta score"]
    assert toy.terms("zs")[0].diseases == ("alpha",)
    assert toy.terms("no such term") == []


def test_diseases_drugs_classes_regimens(toy):
    assert toy.disease("alpha cancer") == "alpha" and toy.disease("BC") == "beta"
    assert toy.disease("gamma") is None
    assert toy.drug("dgm") == "drugamab" and toy.drug_class("drugamab") == "widget_inhibitor"
    assert toy.klass("widget inhibitor") == "widget_inhibitor"
    assert toy.regimen("Drugamab plus Othermab") == "dgo"
    assert toy.regimen_drugs("dgo") == ["drugamab", "othermab"]


def test_events_of_a_drug_include_its_class(toy):
    assert {e.event for e in toy.events_of("drugamab")} == {"itchy palms"}
    assert {e.drug for e in toy.event_rows("Palm itch")} == {"widget_inhibitor"}  # via vocabulary
    assert {e.drug for e in toy.event_rows("sadness")} == {"othermab"}
    row = toy.events_of("othermab")[0]
    assert row.opposite == "high mood" and row.any_low is None and row.characteristic


def test_baseline_fields_sources(toy):
    (b,) = toy.baseline("alpha", "male_share")
    assert (b.low, b.high, b.confidence) == (40.0, 50.0, "moderate")
    assert toy.field_of("College of Veterinary Medicine").keyword == "Veterinary Medicine"
    assert toy.field_of("School of Medicine").oncology_relevant == "yes"
    assert toy.field_of("Undergraduate Office") is None
    assert toy.cite(["src1"]) == "Doe 2001"


def test_committed_knowledge_base_loads_once():
    kb = knowledge_base()
    assert kb is knowledge_base()
    assert kb.disease_keys and kb.events and kb.baseline()
    # every disease a vocabulary entry names is a disease key
    assert all(d in kb.disease_keys for e in kb._vocab for d in e.diseases)


def test_missing_folder_gives_an_empty_base(tmp_path):
    kb = KnowledgeBase(tmp_path)
    assert kb.terms("anything") == [] and kb.drug("x") is None and kb.field_of("x") is None
