"""Plausibility checks (helpers.checks.plausibility): made-up ledgers against the committed
knowledge base, the false-alarm discipline on ledgers of other diseases, and the real ledgers of
data/published (clean ones stay quiet; no verdict is ever 'impossible')."""

from __future__ import annotations

import pytest

from helpers.checks import registry
from helpers.checks.plausibility import grade_kind, wilson
from helpers.checks.registry import Context
from helpers.core.paths import published_root
from helpers.ledger.load import ledger_from_tables, load_ledger


def run(check: str, meta: dict, tables: dict, scope=None):
    ledger = ledger_from_tables("toy", meta, tables)
    res = registry.run_check(check, Context(ledger, scope=scope), isolate=False)
    return res


def flagged(res):
    return [f for f in res.findings if f.flagged]


def term(category, text, locator, i=[0]):
    i[0] += 1
    return {"category": category, "term": text, "locator": locator,
            "quantity": f"term.{category}.t{i[0]}"}


# ---------------------------------------------------------------- helpers

def test_wilson_and_grades():
    lo, hi = wilson(50, 100)
    assert lo < 50 < hi and 39 < lo < 41
    assert grade_kind("<3") == "mild" and grade_kind(">=3") == "severe"
    assert grade_kind("3-4") == "severe" and grade_kind("any") == "any"
    assert grade_kind("grade 1-2") == "mild" and grade_kind("weird") == "other"


# ---------------------------------------------------------------- vocabulary

def test_liver_vocabulary_is_expected_in_colorectal_liver_metastases():
    res = run("vocabulary_vs_disease", {"disease": "colorectal", "sites": ["liver"]}, {"terms": [
        term("procedure", "hepatic arterial infusion", "Abstract"),
        term("procedure", "hepatectomy", "Methods ¶1"),
        term("tumour_marker", "CEA", "Table 1"),
        term("disease", "liver metastases", "Title")]})
    assert res.status == "ran" and not flagged(res)
    assert any(f.verdict == "consistent" for f in res.findings)


def test_bclc_is_expected_in_hcc():
    res = run("vocabulary_vs_disease", {"disease": "hcc"}, {"terms": [
        term("staging_system", "BCLC staging", "Table 1"), term("tumour_marker", "AFP", "Table 1"),
        term("procedure", "TACE", "Results ¶1")]})
    assert not flagged(res)


def test_one_specific_term_alone_is_moderate_evidence():
    res = run("vocabulary_vs_disease", {"disease": "nsclc"}, {"terms": [
        term("staging_system", "BCLC staging", "Table 1"),
        term("tumour_marker", "AFP", "Table 1")]})
    bad = flagged(res)
    assert len(bad) == 1 and bad[0].strength == "moderate" and bad[0].severity == "minor"


def test_liver_vocabulary_in_a_lung_paper_names_the_disease_once():
    res = run("vocabulary_vs_disease", {"disease": "nsclc"}, {"terms": [
        term("staging_system", "BCLC staging", "Table 1"),
        term("staging_system", "BCLC stage", "Results ¶1"),
        term("tumour_marker", "AFP", "Table 1"),
        term("procedure", "TACE", "Results ¶2"),
        term("pathology", "vascular invasion", "Table 3"),
        term("disease", "NSCLC", "Title"),
        term("other", "zorblax score", "Methods ¶9")]})
    bad = flagged(res)
    assert len(bad) == 1
    f = bad[0]
    assert f.verdict == "implausible" and "Hepatocellular carcinoma" in f.explanation
    # two specific terms (BCLC, TACE) among four pointing to one disease: strong evidence
    assert f.assumptions == ("knowledge_base_specific",) and f.strength == "strong"
    assert f.explanation.startswith("4 terms at 5 places")
    assert {"Table 1", "Results ¶1", "Results ¶2", "Table 3"} <= set(f.locators)
    unknown = [x for x in res.findings if x.verdict == "not testable"]
    assert unknown and "zorblax score" in unknown[0].explanation


def test_one_suggestive_term_alone_is_not_flagged():
    res = run("vocabulary_vs_disease", {"disease": "nsclc"}, {"terms": [
        term("tumour_marker", "CEA", "Table 1"), term("disease", "NSCLC", "Title")]})
    assert not flagged(res)


def test_no_stated_disease_is_not_testable():
    res = run("vocabulary_vs_disease", {}, {"terms": [term("procedure", "TACE", "Results")]})
    assert [f.verdict for f in res.findings] == ["not testable"]


def test_ledger_without_text_files_is_not_applicable():
    res = run("vocabulary_vs_disease", {"disease": "nsclc"}, {"counts": [
        {"variable": "Sex", "level": "Male", "role": "level", "count": "5", "percent": "50.0",
         "denominator": "10", "population": "all", "quantity": "baseline.sex.male"}]})
    assert res.status == "not applicable"


# ---------------------------------------------------------------- baseline

def _male(count, n, quantity="baseline.sex.male"):
    return {"variable": "Sex", "level": "Male", "role": "level", "count": str(count),
            "percent": f"{100 * count / n:.1f}", "denominator": str(n), "population": "all",
            "quantity": quantity, "locator": "Table 1 / Sex: Male"}


def test_male_share_far_above_the_disease_range_names_a_better_fit():
    res = run("baseline_vs_disease", {"disease": "breast"}, {"counts": [_male(60, 100)]})
    (f,) = res.findings
    assert f.verdict == "implausible" and "above the cited range" in f.explanation
    assert "lies within the cited range of" in f.explanation   # another disease fits


def test_male_share_inside_the_range_is_consistent():
    res = run("baseline_vs_disease", {"disease": "renal"}, {"counts": [_male(72, 100)]})
    assert [f.verdict for f in res.findings] == ["consistent"]


def test_a_small_cohort_just_outside_the_range_is_not_flagged():
    # 9 of 10 men: the sampling interval reaches far below the printed share
    res = run("baseline_vs_disease", {"disease": "renal"}, {"counts": [_male(9, 10)]})
    assert not flagged(res)


def test_mean_age_against_cited_medians_names_both_assumptions():
    res = run("baseline_vs_disease", {"disease": "renal"}, {"summaries": [
        {"variable": "Age", "statistic": "mean_sd", "center": "40.0", "sd": "5.0", "n": "200",
         "population": "all", "quantity": "baseline.age", "locator": "Table 1 / Age"}]})
    (f,) = res.findings
    assert f.verdict == "implausible" and "below" in f.explanation
    assert set(f.assumptions) == {"knowledge_base", "normal_distribution"}
    assert "moderate confidence" in f.explanation


def test_baseline_without_a_range_is_not_testable():
    res = run("baseline_vs_disease", {"disease": "renal"}, {"summaries": [
        {"variable": "Widget level", "statistic": "mean", "center": "4", "n": "20",
         "population": "all", "quantity": "baseline.widget"}]})
    assert [f.verdict for f in res.findings] == ["not testable"]
    assert "Widget level" in res.findings[0].explanation


# ---------------------------------------------------------------- adverse events

def _ae(event, band, count, n=100):
    return {"event": event, "grade_band": band, "role": "event", "count": str(count),
            "percent": f"{100 * count / n:.1f}", "denominator": str(n),
            "quantity": f"ae.{event.lower().replace(' ', '_')}.{band.replace('<', 'lt').replace('>=', 'ge')}",
            "locator": f"Table 4 / {event}: {band}"}


def test_renal_il2_series_reporting_hypotension_is_consistent():
    res = run("ae_vs_regimen", {"disease": "renal", "regimen": ["interleukin-2"]},
              {"adverse_events": [_ae("Hypotension", "any", 60)]})
    assert res.status == "ran" and not flagged(res)


def test_hypertension_with_il2_is_the_opposite_effect():
    res = run("ae_vs_regimen", {"disease": "renal", "regimen": ["interleukin-2"]},
              {"adverse_events": [_ae("Hypertensive", "<3", 30), _ae("Hypertensive", ">=3", 0)]})
    (f,) = flagged(res)
    assert "hypotension" in f.explanation and "opposite" in f.explanation
    assert "vegfr tki class" in f.explanation          # whose hallmark it is


def test_hand_foot_syndrome_without_a_fluoropyrimidine_and_severe_over_mild():
    res = run("ae_vs_regimen", {"regimen": ["gemcitabine", "oxaliplatin"]}, {"adverse_events": [
        _ae("Hand-to-foot syndrome", "<3", 10), _ae("Hand-to-foot syndrome", ">=3", 15)]})
    (f,) = [x for x in flagged(res) if x.item == "Hand-to-foot syndrome"]
    assert "fluoropyrimidine class" in f.explanation and "none of which is in the regimen" in f.explanation
    assert "outnumbers" in f.explanation


def test_hand_foot_syndrome_with_capecitabine_is_consistent():
    res = run("ae_vs_regimen", {"regimen": ["capecitabine"]}, {"adverse_events": [
        _ae("Hand-foot syndrome", "<3", 40), _ae("Hand-foot syndrome", ">=3", 12)]})
    assert not [f for f in flagged(res) if f.item == "Hand-foot syndrome"]


def test_absent_hallmarks_need_a_real_table():
    events = ["Nausea", "Vomiting", "Diarrhea", "Rash", "Fever"]
    res = run("ae_vs_regimen", {"regimen": ["oxaliplatin"]},
              {"adverse_events": [_ae(e, "any", 10) for e in events]})
    (f,) = [x for x in res.findings if x.item == "expected events of oxaliplatin"]
    assert f.verdict == "implausible" and "neuropathy" in f.explanation
    few = run("ae_vs_regimen", {"regimen": ["oxaliplatin"]},
              {"adverse_events": [_ae("Nausea", "any", 10)]})
    (g,) = [x for x in few.findings if x.item == "expected events of oxaliplatin"]
    assert g.verdict == "not testable"


def test_unknown_event_and_no_regimen_are_not_testable():
    res = run("ae_vs_regimen", {"regimen": ["oxaliplatin"]},
              {"adverse_events": [_ae("Zorblax", "any", 5)]})
    assert [f.verdict for f in res.findings if f.item == "Zorblax"] == ["not testable"]
    res = run("ae_vs_regimen", {}, {"adverse_events": [_ae("Hypertensive", "any", 5)]})
    assert {f.verdict for f in res.findings} == {"not testable"}


# ---------------------------------------------------------------- regimen

def _reg(component, attribute, value, unit, locator, high=""):
    return {"component": component, "attribute": attribute, "value": value, "value_high": high,
            "unit": unit, "locator": locator, "quantity": f"regimen.{component}.{attribute}"}


def test_protocol_values_that_do_not_overlap_are_inconsistent():
    res = run("regimen_coherence", {"regimen": ["oxaliplatin"]}, {"regimen": [
        _reg("oxaliplatin", "duration", "2", "h", "Methods ¶1", high="3"),
        _reg("oxaliplatin", "duration", "6", "hours", "Discussion ¶2")]})
    (f,) = flagged(res)
    assert f.verdict == "inconsistent" and "Methods ¶1" in f.explanation


def test_a_value_inside_a_printed_range_agrees():
    res = run("regimen_coherence", {"regimen": ["oxaliplatin"]}, {"regimen": [
        _reg("oxaliplatin", "duration", "2", "h", "Methods ¶1", high="4"),
        _reg("oxaliplatin", "duration", "4", "hours", "Discussion ¶2")]})
    assert not flagged(res)


def test_cycles_vary_by_patient_and_are_not_compared():
    res = run("regimen_coherence", {"regimen": ["oxaliplatin"]}, {"regimen": [
        _reg("oxaliplatin", "cycles", "1", "cycles", "Methods ¶1"),
        _reg("oxaliplatin", "cycles", "3", "cycles", "Results ¶1")]})
    assert not [f for f in res.findings if "cycles" in f.item]


def test_drug_outside_the_regimen_unless_a_comparator():
    tables = {"terms": [term("drug", "sorafenib", "Discussion ¶3")]}
    res = run("regimen_coherence", {"regimen": ["interleukin-2"]}, tables)
    (f,) = flagged(res)
    assert f.verdict == "inconsistent" and "not in the stated regimen" in f.explanation
    tables["claims"] = [{"kind": "comparison", "subject": "sorafenib", "locator": "Discussion ¶3",
                         "quantity": "claim.comparison.sorafenib"}]
    assert not flagged(run("regimen_coherence", {"regimen": ["interleukin-2"]}, tables))


def test_comparator_regimen_of_another_disease_given_this_studys_attribute():
    tables = {"regimen": [_reg("ralox", "duration", "5", "hours", "Discussion ¶4"),
                          _reg("ourscheme", "duration", "3", "hours", "Discussion ¶4")],
              "claims": [{"kind": "comparison", "subject": "ralox", "locator": "Discussion ¶4",
                          "quantity": "claim.comparison.ralox"}]}
    res = run("regimen_coherence", {"disease": "nsclc", "regimen": ["gemcitabine"]}, tables)
    (f,) = flagged(res)
    assert f.verdict == "implausible" and "Colorectal cancer" in f.explanation
    assert "text_interpretation" in f.assumptions
    # the same comparator in a colorectal paper is an ordinary comparison
    res = run("regimen_coherence", {"disease": "colorectal", "regimen": ["gemcitabine"]}, tables)
    assert not flagged(res)


def test_mechanism_claims_against_the_knowledge_base():
    claims = [{"kind": "mechanism", "subject": "gemcitabine", "object": "thymidylate synthase",
               "locator": "Discussion ¶4", "quantity": "claim.mechanism.gem1"},
              {"kind": "mechanism", "subject": "gemcitabine", "object": "ribonucleotide reductase",
               "locator": "Discussion ¶5", "quantity": "claim.mechanism.gem2"}]
    res = run("regimen_coherence", {"regimen": ["gemcitabine"]}, {"claims": claims})
    verdicts = {f.locators[0]: f.verdict for f in res.findings}
    assert verdicts == {"Discussion ¶4": "implausible", "Discussion ¶5": "consistent"}
    bad = flagged(res)[0]
    assert "Raltitrexed" in bad.explanation or "Fluorouracil" in bad.explanation


def test_treatment_change_of_targeted_drugs():
    claim = [{"kind": "treatment_change", "subject": "targeted drugs", "object": "dose reduction",
              "locator": "Results ¶4", "quantity": "claim.treatment_change.targeted_drugs"}]
    res = run("regimen_coherence", {"regimen": ["gemcitabine", "interleukin-2"]}, {"claims": claim})
    assert [f.verdict for f in res.findings] == ["inconsistent"]
    res = run("regimen_coherence", {"regimen": ["sorafenib"]}, {"claims": claim})
    assert [f.verdict for f in res.findings] == ["consistent"]


# ---------------------------------------------------------------- design

@pytest.mark.parametrize("arms, subject, verdict", [
    (1, "both groups", "inconsistent"), (1, "treatment groups", "inconsistent"),
    (1, "patient subgroups", "consistent"), (2, "both groups", "consistent"),
    (None, "both groups", "not testable")])
def test_groups_against_arms(arms, subject, verdict):
    meta = {} if arms is None else {"arms": arms}
    res = run("design_coherence", meta, {"claims": [
        {"kind": "groups", "subject": subject, "locator": "Discussion ¶4",
         "quantity": "claim.groups.x"}]})
    assert [f.verdict for f in res.findings] == [verdict]


# ---------------------------------------------------------------- real ledgers

def _published(study):
    if not (published_root() / study / "study.yaml").is_file():
        pytest.skip(f"{study} is not in data/published yet")
    return load_ledger(study)


@pytest.mark.parametrize("study", ["hai_il2_crlm", "shablak2011", "vanschil2010"])
def test_clean_ledgers_stay_quiet(study):
    ledger = _published(study)
    runs = registry.run_family(["plausibility", "bibliography"], Context(ledger), isolate=False)
    assert all(r.status in ("ran", "not applicable") for r in runs)
    loud = [(f.check, f.item, f.explanation) for r in runs for f in r.findings if f.flagged]
    assert not loud


def test_cao2024_vocabulary_points_to_another_disease():
    ledger = _published("cao2024")
    if ledger.tables["terms"].empty:
        pytest.skip("cao2024 has no terms.csv yet")
    run_ = registry.run_check("vocabulary_vs_disease", Context(ledger), isolate=False)
    loud = [f for f in run_.findings if f.flagged]
    assert loud and "Hepatocellular carcinoma" in loud[0].explanation


@pytest.mark.parametrize("study", ["cao2024", "hai_il2_crlm", "shablak2011", "ncctg_lung"])
def test_never_impossible_and_never_failing(study):
    ledger = _published(study)
    runs = registry.run_family(["plausibility", "bibliography"], Context(ledger))
    assert not [r.reason for r in runs if r.status == "failed"]
    assert not [f for r in runs for f in r.findings if f.verdict == "impossible"]


# ---------------------------------------------------------------- robustness

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_WORDS = st.sampled_from(["BCLC", "AFP", "TACE", "IL-2", "sorafenib", "hypertension", "zorblax",
                          "", "Hand-foot syndrome", "both groups", "targeted drugs", "lung",
                          "Department of Earth Sciences", "ralox", "≥3", "1,000", "NR", "x y z"])
_CATS = st.sampled_from(["disease", "staging_system", "tumour_marker", "procedure", "drug",
                         "regimen", "adverse_event", "other"])


@st.composite
def text_ledgers(draw):
    n = draw(st.integers(1, 12))
    tables = {}
    if draw(st.booleans()):
        tables["terms"] = [{"category": draw(_CATS), "term": draw(_WORDS) or "t",
                            "quantity": f"term.x.{i}"} for i in range(n)]
    if draw(st.booleans()):
        tables["regimen"] = [{"component": draw(_WORDS) or "c",
                              "attribute": draw(st.sampled_from(["dose", "duration", "cycles",
                                                                 "route"])),
                              "value": draw(_WORDS) or "1", "unit": draw(st.sampled_from(["", "h"])),
                              "quantity": f"regimen.x.{i}"} for i in range(n)]
    if draw(st.booleans()):
        tables["claims"] = [{"kind": draw(st.sampled_from(["groups", "mechanism", "comparison",
                                                           "treatment_change"])),
                             "subject": draw(_WORDS) or "s", "object": draw(_WORDS),
                             "quantity": f"claim.x.{i}"} for i in range(n)]
    if draw(st.booleans()):
        tables["adverse_events"] = [{"event": draw(_WORDS) or "E",
                                     "grade_band": draw(st.sampled_from(["any", "<3", ">=3", "?"])),
                                     "role": "event", "count": str(draw(st.integers(0, 5))),
                                     "denominator": "5", "quantity": f"ae.x.{i}"} for i in range(n)]
    if draw(st.booleans()):
        tables["references"] = [{"number": str(draw(st.integers(1, 4))), "authors": draw(_WORDS) or "A",
                                 "title": draw(_WORDS) or "T", "quantity": f"reference.{i}"}
                                for i in range(n)]
        tables["citations"] = [{"refs": draw(st.sampled_from(["1", "2-3", "9", "4,5"])),
                                "subject": draw(_WORDS) or "s", "quantity": f"citation.x.{i}"}
                               for i in range(n)]
    if draw(st.booleans()):
        tables["authors"] = [{"position": str(i + 1), "name": draw(_WORDS) or "N",
                              "affiliations": draw(st.sampled_from(["", "1", "1;2", "7"])),
                              "quantity": f"author.{i}"} for i in range(n)]
        tables["affiliations"] = [{"number": "1", "unit": draw(_WORDS), "institution": "I",
                                   "quantity": "affiliation.1"}]
        tables["contributions"] = [{"role": "R", "names": draw(_WORDS) or "N",
                                    "quantity": "contribution.r"}]
    if not tables:
        tables["terms"] = [{"category": "other", "term": "t", "quantity": "term.x.0"}]
    meta = {"disease": draw(st.sampled_from(["", "nsclc", "hcc", "nonsense"])),
            "regimen": draw(st.sampled_from([[], ["gemcitabine"], ["unknown-drug"], "interleukin-2"])),
            "arms": draw(st.sampled_from(["", 1, 2])),
            "sites": draw(st.sampled_from([[], ["liver"], "liver"]))}
    return ledger_from_tables("fuzz", meta, tables)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(text_ledgers())
def test_text_checks_survive_any_valid_text_ledger(ledger):
    for check in registry.checks(["plausibility", "bibliography"]):
        r = registry.run_check(check, Context(ledger), isolate=False)
        assert r.status in ("ran", "not applicable")
        assert not [f for f in r.findings if f.verdict == "impossible"]
