"""Concerns: the grouping rule, titles from the findings, the ranking, plain words (made-up
numbers only)."""

from __future__ import annotations

from helpers.report.concerns import Plain, group_concerns, problem_of

from critique_helpers import mk


def hr(item, check, verdict="impossible", category="statistical", table="Table 7",
       assumptions=(), expected="p in [0.01, 0.02]"):
    return mk(item, verdict, category, family="hazard", check=check, area="cox",
              printed="1.23 (1.11-1.31), p 0.7", expected=expected,
              locators=(f"{table} / {item} / univariable",), quantity=f"cox.univariable.{item.lower()}",
              assumptions=assumptions, items=("4.9",), section="Hazard ratios", notebook="03_cox")


def test_findings_of_one_table_and_problem_form_one_concern_with_its_lines_of_evidence():
    findings = [hr("Alpha", "p_from_ci"), hr("Beta", "p_from_ci"), hr("Alpha", "ci_width_bound"),
                hr("Gamma", "hr_direction", verdict="inconsistent", category="contradiction",
                   expected="HR > 1 (whole CI)")]
    concerns = group_concerns(findings, meta={"n": 321})
    assert len(concerns) == 1
    c = concerns[0]
    assert c.title == "The hazard ratios in Table 7 cannot have come from a Cox model fitted to these 321 patients"
    assert {ln.check for ln in c.lines} == {"p_from_ci", "ci_width_bound", "hr_direction"}
    assert {ln.check: ln.count for ln in c.lines}["p_from_ci"] == 2
    assert list(c.exemplar["item"]) [:1] == ["Alpha"]          # the row with most lines first
    assert len(c.exemplar) == 3 and "p implied by the CI" in c.exemplar.columns
    assert c.severity == "critical" and c.strength == "conclusive"


def test_two_tables_are_two_concerns_and_a_model_assumption_softens_the_title():
    findings = [hr("Alpha", "p_from_ci"),
                hr("Delta", "ci_symmetry", verdict="inconsistent", table="Table 8",
                   assumptions=("wald_interval",))]
    titles = {c.object: c.title for c in group_concerns(findings, meta={"n": 50})}
    assert set(titles) == {"Table 7", "Table 8"}
    assert "cannot have come" in titles["Table 7"] and "cannot" not in titles["Table 8"]
    # the subject is the hazard ratios (plural), whatever the table is called
    assert titles["Table 8"].startswith("The hazard ratios in Table 8 are hard to reconcile")


def test_problem_rule_rounding_first_then_family_then_category():
    assert problem_of("arithmetic", "rounding", "inconsistent") == "rounding"
    assert problem_of("arithmetic", "rounding", "impossible") == "arithmetic"
    assert problem_of("hazard", "contradiction", "inconsistent") == "model"
    assert problem_of("appearances", "contradiction", "inconsistent") == "contradiction"
    assert problem_of("", "design", "inconsistent") == "design"


def test_concerns_rank_by_severity_then_strength_never_by_check_name():
    strong = mk("Sex: Male", "inconsistent", "contradiction", family="appearances",
                check="aaa_first_by_name", quantity="baseline.sex.male",
                locators=("Table 1 / Sex: Male", "Results ¶2"), assumptions=("same_quantity",),
                items=("4.10",))
    conclusive = mk("AE rate", "inconsistent", "arithmetic", family="arithmetic",
                    check="zzz_last_by_name", area="toxicity", quantity="ae.rash.ge3",
                    locators=("Table 4 / Rash",))
    rounding = mk("Age: >=60", "inconsistent", "rounding", check="aab", quantity="baseline.age")
    impossible = hr("Alpha", "p_from_ci")
    ranked = group_concerns([rounding, strong, conclusive, impossible])
    assert [c.severity for c in ranked] == ["critical", "major", "major", "minor"]
    assert [c.problem for c in ranked] == ["model", "arithmetic", "contradiction", "rounding"]
    assert ranked[1].strength == "conclusive" and ranked[2].strength == "strong"
    renamed = [f.with_(check=f.check[::-1]) for f in (rounding, strong, conclusive, impossible)]
    assert [c.problem for c in group_concerns(renamed)] == [c.problem for c in ranked]


def test_more_lines_of_evidence_rank_first_among_equals():
    one = [mk("Stage", "impossible", "arithmetic", check="a1", area="baseline",
              quantity="baseline.stage", locators=("Table 1 / Stage",))]
    two = [mk("Later line", "impossible", "arithmetic", check=c, area="toxicity",
              quantity="ae.any", locators=("Table 4 / Any",)) for c in ("b1", "b2")]
    ranked = group_concerns(one + two)
    assert [len(c.lines) for c in ranked] == [2, 1]


def test_a_cohort_that_does_not_match_the_patient_data_leads():
    cohort = mk("Cohort size", "inconsistent", "patient_data", family="patient_level",
                check="cohort_size_matches_ipd", area="design", quantity="cohort.n",
                locators=("Methods ¶1",), assumptions=("patient_data",), items=("4.6",))
    ranked = group_concerns([hr("Alpha", "p_from_ci"), cohort])
    assert ranked[0].title == "The patient-level data are not the cohort the paper describes"
    assert ranked[0].severity != "critical" and ranked[1].severity == "critical"


def test_unflagged_findings_make_no_concern():
    assert group_concerns([mk("Sex", "consistent", "rounding"),
                           mk("Age", "not testable", "statistical")]) == []


def test_plain_words_drop_keys_files_and_snake_case():
    from helpers.ledger.load import ledger_from_tables

    ledger = ledger_from_tables("toy", {"n": 10}, {"counts": [
        {"variable": "Sex", "level": "Male", "role": "level", "count": "3", "percent": "30.0",
         "denominator": "10", "population": "all", "quantity": "baseline.sex.male",
         "row_id": "t1_sex_male"}]})
    plain = Plain(ledger)
    text = plain("Group sizes from counts.csv (baseline.sex.male) [baseline.sex.male] and "
                 "t1_sex_male under half_up")
    assert "counts.csv" not in text and "baseline.sex.male" not in text and "_" not in text
    assert "Sex: Male" in text and "half up" in text


def test_within_a_severity_a_headline_claim_outranks_a_supporting_one():
    """Weight before strength: a contradiction in a headline result (resting on the ledger's
    reading) comes before a conclusive point about a design statement."""
    design = mk("Sample-size alpha", "inconsistent", "design", family="design", check="aaa",
                area="design", quantity="design.sample_size_alpha", locators=("Methods ¶4",),
                items=("2.5",))
    headline = mk("Best response: ORR", "inconsistent", "contradiction", family="appearances",
                  check="zzz", area="efficacy", quantity="response.orr",
                  locators=("Table 2 / ORR", "Discussion ¶2"), assumptions=("same_quantity",),
                  items=("4.10",))
    ranked = group_concerns([design, headline])
    assert [c.severity for c in ranked] == ["major", "major"]
    assert [(c.problem, c.weight, c.strength) for c in ranked] == [
        ("contradiction", "headline", "strong"), ("design", "supporting", "conclusive")]


def test_what_the_paper_says_against_itself_comes_before_cited_knowledge():
    vocab = mk("vocabulary of Made-up liver disease", "implausible", "plausibility",
               family="plausibility", check="aaa", area="text", quantity="term.x",
               locators=("Table 1 / Stage", "Abstract"), assumptions=("knowledge_base_specific",),
               items=("3.1",))
    itself = mk("Best response: DCR", "inconsistent", "contradiction", family="appearances",
                check="zzz", area="efficacy", quantity="response.dcr",
                locators=("Table 2 / DCR", "Abstract"), assumptions=("same_quantity",),
                items=("4.10",))
    ranked = group_concerns([vocab, itself])
    assert [c.strength for c in ranked] == ["strong", "strong"]
    assert [c.problem for c in ranked] == ["contradiction", "plausibility"]
    assert ranked[1].external and not ranked[0].external


def test_a_count_and_its_percentage_that_disagree_join_the_contradictions():
    count = mk("Any event, grade >=3", "inconsistent", "contradiction", area="toxicity",
               quantity="ae.any.ge3", locators=("Results ¶5",), printed="50 patients (31.0%)")
    pair = mk("Rash, grade >=3", "inconsistent", "contradiction", family="appearances",
              check="appearances", area="toxicity", quantity="ae.rash.ge3",
              locators=("Table 4 / Rash", "Results ¶5"), assumptions=("same_quantity",))
    assert problem_of("arithmetic", "contradiction", "inconsistent") == "contradiction"
    (c,) = group_concerns([count, pair])
    assert c.problem == "contradiction" and c.n_findings == 2
    assert c.title.startswith("The paper contradicts itself on 2 results")


def test_the_vocabulary_title_names_the_disease_the_terms_point_to():
    f = mk("vocabulary of Made-up liver disease", "implausible", "plausibility",
           family="plausibility", check="vocabulary_vs_disease", area="text",
           quantity="term.vocabulary", expected="vocabulary of Made-up lung disease",
           locators=("Table 1 / Stage",), assumptions=("knowledge_base_specific",), items=("3.1",))
    (c,) = group_concerns([f], meta={"disease": "Made-up Lung Disease"})
    assert c.title == ("The clinical vocabulary describes made-up liver disease, "
                       "not made-up lung disease")
