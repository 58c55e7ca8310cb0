"""The letter: a clean study gives a short letter that says so; a planted contradiction leads;
word budgets; no internal ids, escapes, paths or check names; no number typed in the module."""

from __future__ import annotations

import ast
import re

import pytest

from helpers.ledger.load import load_ledger
from helpers.report.letter import (MAJOR_WORDS, OPENING_WORDS, build_critique, letter_blocks,
                                   render, word_counts)

from conftest import REPO, edit_cell
from critique_helpers import copy_study, mk, plant_second_appearance, registry_findings


@pytest.fixture(scope="module")
def clean():
    ledger = load_ledger("ncctg_lung")
    findings = registry_findings(ledger)
    return ledger, findings, build_critique(findings, ledger=ledger)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = copy_study("ncctg_lung", tmp_path_factory.mktemp("planted"))
    row = plant_second_appearance(root / "ncctg_lung")
    # and a minor slip: a percentage printed with the other rounding rule
    edit_cell(root / "ncctg_lung" / "counts.csv", "t1_sex_female", "percent", "39.4")
    ledger = load_ledger("ncctg_lung", root=root)
    findings = registry_findings(ledger)
    return ledger, findings, build_critique(findings, ledger=ledger), row


def _ids(ledger) -> set[str]:
    out = set()
    for df in ledger.tables.values():
        for col in ("row_id", "quantity"):
            if col in df.columns:
                out |= {v for v in df[col].astype(str) if "." in v or "_" in v}
    return out


def assert_plain(text: str, ledger, findings):
    assert not re.search(r"\\[<_*\[\]`|]", text), "markdown escape in the plain text"
    for key in _ids(ledger):
        assert not re.search(r"(?<![\w.])" + re.escape(key) + r"(?![\w.])", text), key
    for check in set(findings["check"]) - {""}:
        if "_" in check:
            assert check not in text, check
    paths = re.findall(r"(?:^|[\s(\[\"'])(?:/[A-Za-z]|\.{1,2}/|(?:[A-Za-z_][\w.-]*/){2,})\S*", text)
    assert not paths, paths
    assert not re.search(r"\b\w+\.(?:ya?ml|py|ipynb|json)\b", text)
    assert "data/published" not in text and str(REPO) not in text


def test_a_clean_study_gives_no_concerns_and_a_short_letter(clean):
    ledger, findings, cr = clean
    assert len(findings) and not cr.concerns
    assert cr.judgement.overall == "no concerns"
    blocks = letter_blocks(cr)
    text = render(blocks, "text")
    counts = word_counts(blocks)
    assert counts["total"] <= 400 and counts.get("major", 0) == 0
    assert "\u201cno concerns\u201d" in text and "We found nothing that needs correcting" in text
    assert "What we checked" in text and "Major concerns" not in text
    assert_plain(text, ledger, findings)


def test_a_planted_contradiction_is_the_first_concern(planted):
    ledger, findings, cr, row = planted
    first = cr.concerns[0]
    assert first.problem == "contradiction" and first.severity in ("critical", "major")
    assert row["printed"] in " ".join(first.exemplar["printed"])
    assert [c.severity for c in cr.concerns] == sorted(
        (c.severity for c in cr.concerns), key=["critical", "major", "minor"].index)
    assert any(c.severity == "minor" for c in cr.concerns)
    text = render(letter_blocks(cr), "text")
    major = text.split("Major concerns")[1].split("Minor concerns")[0]
    assert major.lstrip("-\n ").startswith(f"1. {first.title}")
    assert cr.judgement.overall in ("some concerns", "serious concerns")
    assert_plain(text, ledger, findings)


def _many_findings():
    """Forty made-up hazard-ratio findings on one table, a response-rate problem in three checks,
    three contradictions and a dozen rounding slips: a letter that must fit its budget."""
    out = []
    for i in range(20):
        for check in ("p_from_ci", "ci_width_bound"):
            out.append(mk(f"Variable {i}: level (univariable, PFS)", "impossible", "statistical",
                          family="hazard", check=check, area="cox",
                          printed=f"1.{i:02d} (1.01-1.{i + 10}), p 0.{i + 10}",
                          expected=f"p in [0.00{i}, 0.01{i}] (at the printed values 0.00{i})",
                          locators=(f"Table 6 / Variable {i} / univariable",),
                          quantity=f"cox.univariable.v{i}", items=("4.9",),
                          explanation="no values within rounding of the printed interval give "
                                      "the printed p: the printed p is larger than any Wald p "
                                      "the interval allows " * 3))
    for check in ("grim_percent", "subgroup_recombination", "derived_rate"):
        out.append(mk("Best response: ORR", "impossible", "arithmetic", check=check,
                      area="efficacy", quantity="response.orr", locators=("Results ¶4",),
                      items=("4.8",)))
    for i in range(3):
        out.append(mk(f"Thing {i}", "inconsistent", "contradiction", family="appearances",
                      check="appearances", area="baseline", quantity=f"baseline.t{i}",
                      locators=(f"Table 1 / Thing {i}", "Results ¶2"),
                      assumptions=("same_quantity",), items=("4.10",)))
    for i in range(12):
        out.append(mk(f"Level {i}", "inconsistent", "rounding", quantity=f"baseline.l{i}",
                      locators=(f"Table 5 / Level {i}",)))
    for i in range(8):
        out.append(mk(f"Design {i}", "inconsistent", "design", family="design", area="design",
                      quantity=f"design.d{i}", items=("2.5",), locators=(f"Methods ¶{i}",),
                      explanation="the stated window cannot hold the stated assessments " * 4))
    return out


def test_word_budgets_hold_and_the_letter_keeps_its_shape():
    meta = {"title": "A made-up trial", "n": 300, "doi": "none"}
    blocks = letter_blocks(build_critique(_many_findings(), meta=meta))
    counts = word_counts(blocks)
    assert counts["opening"] <= OPENING_WORDS
    assert counts["major"] <= MAJOR_WORDS
    assert counts["minor"] <= 80
    text = render(blocks, "text")
    for heading in ("Major concerns", "Minor concerns", "Assumptions", "Requests to the authors",
                    "Appendix", "Yours sincerely"):
        assert heading in text
    assert "findings.csv" in text
    assert "The hazard ratios in Table 6 cannot have come from a Cox model fitted to these 300 patients" in text
    assert text.count("\n1. ") >= 1
    assert "same quantity and patients" in text       # the assumptions paragraph names them


def test_three_formats_say_the_same_and_markdown_needs_no_escapes():
    cr = build_critique(_many_findings(), meta={"title": "A made-up trial", "n": 300})
    blocks = letter_blocks(cr)
    text, md, page = (render(blocks, f) for f in ("text", "markdown", "html"))
    assert "\\" not in md and "\\" not in text
    assert page.startswith("<!DOCTYPE html>") and "<table>" in page
    for c in cr.concerns[:3]:
        assert c.title in text and c.title in md
    assert "## Major concerns" in md and "| row | printed |" in md


def test_concerns_in_the_letter_follow_the_ranking():
    cr = build_critique(_many_findings(), meta={"title": "A made-up trial", "n": 300})
    text = render(letter_blocks(cr), "text")
    positions = [text.find(f"{c.rank}. {c.title}") for c in cr.major if f"{c.rank}. {c.title}" in text]
    assert positions == sorted(positions) and len(positions) >= 2


def test_the_published_study_letter_is_plain():
    ledger = load_ledger("cao2024")
    findings = registry_findings(ledger)
    cr = build_critique(findings, ledger=ledger)
    blocks = letter_blocks(cr)
    counts = word_counts(blocks)
    assert counts["opening"] <= OPENING_WORDS and counts.get("major", 0) <= MAJOR_WORDS
    assert_plain(render(blocks, "text"), ledger, findings)


def test_letter_module_types_no_number():
    tree = ast.parse((REPO / "src" / "helpers" / "report" / "letter.py").read_text(encoding="utf-8"))
    texts = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert texts and not [t for t in texts if re.search(r"\d", t)]


def test_every_number_in_the_letter_comes_from_the_findings_meta_or_checklists():
    from helpers.report.judgement import checklists

    meta = {"title": "A made-up trial", "n": 300, "doi": "none"}
    findings = _many_findings()
    cr = build_critique(findings, meta=meta)
    text = render(letter_blocks(cr), "text")
    num = lambda s: set(re.findall(r"\d+(?:\.\d+)?", s))  # noqa: E731
    allowed = num(" ".join(cr.findings.astype(str).to_numpy().ravel())) | num(str(meta))
    inspect, _ = checklists()
    allowed |= num(" ".join(inspect["id"])) | {str(i) for i in range(len(findings) + 1)}
    assert num(text) <= allowed, num(text) - allowed
