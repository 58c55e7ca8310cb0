"""Bibliography checks (helpers.checks.bibliography) on made-up reference lists and bylines."""

from __future__ import annotations

from helpers.checks import registry
from helpers.checks.bibliography import (byline_keys, norm_title, on_topic, parse_refs,
                                         reference_authors, same_person)
from helpers.checks.registry import Context
from helpers.ledger.load import ledger_from_tables


def run(check: str, meta: dict, tables: dict):
    return registry.run_check(check, Context(ledger_from_tables("toy", meta, tables)),
                              isolate=False)


def ref(number, authors, title):
    return {"number": str(number), "authors": authors, "title": title,
            "row_id": f"ref_{number}_{abs(hash(title)) % 1000}", "quantity": f"reference.{number}",
            "source": "references", "locator": f"References / {number}"}


def author(pos, name, affs="1"):
    return {"position": str(pos), "name": name, "affiliations": affs,
            "quantity": f"author.a{pos}", "source": "byline", "locator": f"Byline / {pos}"}


# ---------------------------------------------------------------- helpers

def test_name_helpers():
    assert reference_authors("Doe J, Roe R K, et al") == [("doe", "j"), ("roe", "r")]
    assert ("doe", "j") in byline_keys("Jane Doe")
    assert same_person("Jane Doe", "jane doe") and same_person("Doe Jane", "Jane Doe")
    assert not same_person("Jane Doe", "John Doe")
    assert parse_refs("3, 5-7") == [3, 5, 6, 7] and parse_refs("x") == []
    assert norm_title("A Made-Up: Title.") == "a made up title"
    assert on_topic("Widgets in lung tumours", ["lung"]) == ["lung"]
    assert on_topic("Sunglasses", ["lung"]) == []


# ---------------------------------------------------------------- references

def test_duplicate_titles_under_two_numbers():
    res = run("references", {}, {"references": [
        ref(1, "Doe J", "A made-up review of widgets"), ref(2, "Poe P", "Other work"),
        ref(9, "Doe J, Roe R", "A Made-up Review of Widgets.")]})
    (f,) = [x for x in res.findings if x.flagged]
    assert f.item == "duplicate references 1 = 9" and f.assumptions == ()
    assert f.verdict == "inconsistent"


def test_one_number_with_two_entries():
    res = run("references", {}, {"references": [
        ref(4, "Doe J", "First made-up title"), ref(4, "Poe P", "Second made-up title")]})
    assert any(f.item == "reference 4: two entries" and f.verdict == "inconsistent"
               for f in res.findings)


def test_self_citations_off_topic_are_named():
    meta = {"disease": "nsclc", "regimen": ["gemcitabine"]}
    tables = {"authors": [author(1, "Jane Doe"), author(2, "Ray Roe")],
              "references": [ref(1, "Doe J, Poe P", "Gemcitabine in lung cancer: a made-up trial"),
                             ref(2, "Roe R", "Sunlight and sleep in made-up adults"),
                             ref(3, "Doe J", "Knitting habits of made-up cats"),
                             ref(4, "Zed Z", "An unrelated made-up title")]}
    res = run("references", meta, tables)
    (f,) = [x for x in res.findings if x.item == "self-citation"]
    assert f.verdict == "implausible" and "3 of 4 references" in f.explanation
    assert "Knitting" in f.explanation and "Sunlight" in f.explanation
    assert "Gemcitabine in lung" not in f.explanation.split(":", 1)[1].split("[")[0]
    assert f.strength == "weak"
    tables["references"] = tables["references"][:1] + tables["references"][3:]
    (g,) = [x for x in run("references", meta, tables).findings if x.item == "self-citation"]
    assert g.verdict == "consistent"


def test_drug_claim_cited_to_titles_about_something_else():
    tables = {"references": [ref(1, "Doe J", "Gemcitabine pharmacology: a made-up review"),
                             ref(2, "Poe P", "Shoe sizes of made-up runners")],
              "citations": [
                  {"refs": "1", "subject": "gemcitabine mechanism", "locator": "Discussion ¶1",
                   "quantity": "citation.discussion.1", "source": "discussion"},
                  {"refs": "2", "subject": "gemcitabine half-life", "locator": "Discussion ¶2",
                   "quantity": "citation.discussion.2", "source": "discussion"},
                  {"refs": "7", "subject": "gemcitabine dose", "locator": "Discussion ¶3",
                   "quantity": "citation.discussion.3", "source": "discussion"},
                  {"refs": "2", "subject": "weather in spring", "locator": "Discussion ¶4",
                   "quantity": "citation.discussion.4", "source": "discussion"}]}
    res = run("references", {}, tables)
    by_loc = {f.locators[0]: f for f in res.findings if f.quantity.startswith("citation.")}
    assert by_loc["Discussion ¶1"].verdict == "consistent"
    assert by_loc["Discussion ¶2"].verdict == "implausible"
    assert by_loc["Discussion ¶2"].strength == "weak"
    assert by_loc["Discussion ¶3"].verdict == "not testable"
    assert "Discussion ¶4" not in by_loc          # no drug named: nothing to check


# ---------------------------------------------------------------- authorship

def _roles(names_per_role: dict[str, list[str]]):
    return [{"role": r, "names": ";".join(ns), "quantity": f"contribution.r{i}",
             "source": "declarations", "locator": f"Author contributions / {r}"}
            for i, (r, ns) in enumerate(names_per_role.items())]


def test_every_author_in_every_role_and_a_stranger():
    names = ["Jane Doe", "Ray Roe", "Pat Poe"]
    roles = {r: list(names) for r in ("Conceptualization", "Methodology", "Writing")}
    roles["Writing"].append("Zed Zee")
    res = run("authorship", {}, {"authors": [author(i + 1, n) for i, n in enumerate(names)],
                                 "contributions": _roles(roles)})
    verdicts = {f.item: f.verdict for f in res.findings}
    assert verdicts["contribution roles"] == "implausible"
    assert verdicts["contributor not an author: Zed Zee"] == "inconsistent"


def test_distinct_roles_are_consistent():
    names = ["Jane Doe", "Ray Roe", "Pat Poe"]
    roles = {"Conceptualization": ["Jane Doe"], "Methodology": ["Ray Roe", "Pat Poe"],
             "Writing": names}
    res = run("authorship", {}, {"authors": [author(i + 1, n) for i, n in enumerate(names)],
                                 "contributions": _roles(roles)})
    assert not [f for f in res.findings if f.flagged]


def _aff(number, unit, institution="Made-up University"):
    return {"number": str(number), "unit": unit, "institution": institution,
            "quantity": f"affiliation.{number}", "source": "byline",
            "locator": f"Affiliations / {number}"}


def test_authors_with_only_unrelated_affiliations():
    res = run("authorship", {}, {
        "authors": [author(1, "Jane Doe", "1"), author(2, "Ray Roe", "2;3"),
                    author(3, "Pat Poe", "2;1")],
        "affiliations": [_aff(1, "Department of Oncology", "Made-up Hospital"),
                         _aff(2, "College of Veterinary Medicine"),
                         _aff(3, "Department of Earth Sciences")]})
    (f,) = [x for x in res.findings if x.item == "affiliation fields"]
    assert f.verdict == "implausible" and "1 of 3 authors" in f.explanation
    assert "Ray Roe" in f.explanation and "Pat Poe" not in f.explanation


def test_unrelated_affiliation_beside_a_clinical_one_is_consistent():
    res = run("authorship", {}, {
        "authors": [author(1, "Jane Doe", "1;2")],
        "affiliations": [_aff(1, "Department of Thoracic Surgery", "Made-up Hospital"),
                         _aff(2, "Department of Statistics"), ]})
    assert not [f for f in res.findings if f.flagged]


def test_unclassified_affiliations_are_listed():
    res = run("authorship", {}, {
        "authors": [author(1, "Jane Doe", "1")],
        "affiliations": [_aff(1, "Office of Nothing in Particular", "Made-up Institute")]})
    (f,) = res.findings
    assert f.verdict == "consistent" and "Not classified" in f.explanation
